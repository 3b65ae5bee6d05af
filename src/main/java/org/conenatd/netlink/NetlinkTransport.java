package org.conenatd.netlink;

import java.lang.foreign.MemorySegment;

/**
 * What protocol code needs of a netlink socket: send datagrams, receive them, number requests.
 * {@link NetlinkSocket} is the kernel's; tests put a scripted fake behind the same interface, so
 * batching, sequence matching and error handling are testable without root.
 */
public interface NetlinkTransport extends AutoCloseable {

    /** For messages: which socket this is ("nfqueue 1000", "ctnetlink requests"). */
    String name();

    /** The next request sequence number (never 0). */
    int nextSeq();

    /** The port id the kernel bound this socket to (0 for transports that are not sockets). */
    default int portId() { return 0; }

    /** Sends {@code len} bytes of {@code buf} as one datagram. */
    void send(MemorySegment buf, int len) throws NetlinkException;

    /** Sends everything the encoder holds (one or many messages) in one datagram. */
    default void send(Encoder enc) throws NetlinkException {
        send(enc.buffer(), enc.length());
    }

    /**
     * Receives one datagram. Returns its length, or -1 when the receive timeout expired (or, with
     * {@code dontWait}, when nothing is queued). Throws on errors, ENOBUFS included: the caller
     * decides whether lost messages matter.
     */
    int receive(MemorySegment buf, boolean dontWait) throws NetlinkException;

    /**
     * Fills the batch's buffers: waits (up to the receive timeout) for the first datagram, then
     * takes only what is already queued. Returns the count, or -1 if nothing arrived. This default
     * is one receive per datagram; the kernel socket does it in one recvmmsg.
     */
    default int receiveMany(BatchReceiver batch) throws NetlinkException {
        int n = 0;
        while (n < batch.capacity()) {
            int len = receive(batch.buffer(n), n > 0);
            if (len < 0) break;
            batch.setLength(n++, len);
        }
        return n == 0 ? -1 : n;
    }

    /** Waits up to {@code timeoutMs} for data without consuming it; true if a receive would not block. */
    boolean awaitReadable(int timeoutMs) throws NetlinkException;

    @Override
    void close();
}
