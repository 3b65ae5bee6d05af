package org.conenatd.conntrack;

import org.conenatd.netlink.MessageReader;
import org.conenatd.netlink.Netlink;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.netlink.NetlinkSocket;
import org.conenatd.netlink.NetlinkTransport;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** A subscription to conntrack NEW and DESTROY events. */
public final class ConntrackEvents implements AutoCloseable {
    private final NetlinkTransport sock;
    private final int grantedBuffer;
    private final MemorySegment rbuf = Arena.ofAuto().allocate(256 * 1024, 8);
    private final MessageReader reader = new MessageReader();
    private final FlowView view = new FlowView();

    /** Receives events without allocating: the view is reused for every event. */
    public interface Sink {
        void accept(Event.Type type, FlowView flow);
    }

    /** Events from a subscribed transport (or a test's fake). */
    public ConntrackEvents(NetlinkTransport sock, int grantedBuffer) {
        this.sock = sock;
        this.grantedBuffer = grantedBuffer;
    }

    public static ConntrackEvents subscribe(int receiveBufferBytes, long pollMillis) throws NetlinkException {
        NetlinkSocket s = NetlinkSocket.open("conntrack events", sock -> {
            sock.setReceiveBuffer(receiveBufferBytes);
            sock.setReceiveTimeout(pollMillis);
            sock.joinGroup(Netlink.NFNLGRP_CONNTRACK_NEW);
            sock.joinGroup(Netlink.NFNLGRP_CONNTRACK_DESTROY);
        });
        try {
            return new ConntrackEvents(s, s.receiveBuffer());
        } catch (NetlinkException e) {
            s.close();
            throw e;
        }
    }

    /** The receive buffer the kernel granted, in bytes. */
    public int receiveBuffer() { return grantedBuffer; }

    /** Waits up to {@code timeoutMs} for events without consuming any. */
    public boolean awaitEvents(int timeoutMs) throws NetlinkException {
        return sock.awaitReadable(timeoutMs);
    }

    /**
     * Reads and applies what is queued on the socket right now, without blocking, but at most
     * {@code maxDatagrams}. Every event the kernel emitted before this call is in the socket
     * already (delivery is synchronous), so once it returns a count the caller has seen them all.
     * Returns -1 if it stopped at the limit with more possibly queued, else the number of events.
     */
    public int drain(Sink sink, int maxDatagrams) throws NetlinkException {
        int count = 0;
        int n;
        for (int d = 0; d < maxDatagrams; d++) {
            if ((n = sock.receive(rbuf, true)) <= 0) return count;
            count += decodeAll(n, sink);
        }
        return -1;
    }

    private int decodeAll(int n, Sink sink) {
        int count = 0;
        reader.wrap(rbuf, 0, n);
        while (reader.next()) {
            Event.Type type = Event.Type.of(reader);
            if (type == null || !view.decode(reader)) continue;
            sink.accept(type, view);
            count++;
        }
        return count;
    }

    @Override
    public void close() {
        sock.close();
    }
}
