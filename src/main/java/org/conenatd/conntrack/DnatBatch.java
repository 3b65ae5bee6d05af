package org.conenatd.conntrack;

import org.conenatd.netlink.Encoder;
import org.conenatd.netlink.MessageReader;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.netlink.NetlinkSocket;
import org.conenatd.netlink.NetlinkTransport;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A batch of DNAT entry creations sent in one datagram, with each failure matched back to its
 * request by sequence number. Buffers are allocated once; a batch allocates nothing.
 *
 * <p>The creations carry no NLM_F_ACK: the kernel handles every request inside the send() that
 * carries it and queues an error only for those that fail, so draining the socket right after the
 * send yields exactly the failures. One thread at a time.
 */
public final class DnatBatch implements AutoCloseable {
    private static final int MESSAGE_BYTES = 256; // one creation encodes to 132 bytes

    private final NetlinkTransport sock;
    private final Encoder enc;
    private final MemorySegment ackBuf;
    private final MessageReader acks = new MessageReader();
    private final int[] seqs;
    private final int[] errnos;
    private int size;

    public DnatBatch(NetlinkTransport sock, int capacity) {
        this.sock = sock;
        Arena arena = Arena.ofAuto();
        this.enc = new Encoder(arena.allocate((long) capacity * MESSAGE_BYTES, 8));
        this.ackBuf = arena.allocate(64 * 1024, 8);
        this.seqs = new int[capacity];
        this.errnos = new int[capacity];
    }

    /** A batch over its own ctnetlink socket. */
    public static DnatBatch open(int capacity) throws NetlinkException {
        return new DnatBatch(NetlinkSocket.open("ctnetlink requests", s -> {
            s.setReceiveTimeout(1000);
            s.setReceiveBuffer(4 << 20);
        }), capacity);
    }

    public int capacity() { return seqs.length; }
    public int size() { return size; }

    public void reset() {
        enc.reset();
        size = 0;
    }

    /** Adds one creation (see {@link Conntrack#encodeDnatCreate}); returns its index in the batch. */
    public int add(int proto, int wanIp, int wanPort, int natIp, int natPort, int lanIp, int lanPort, int timeoutSeconds) {
        if (size == seqs.length) throw new IllegalStateException("batch full (" + size + ")");
        int i = size++;
        seqs[i] = sock.nextSeq();
        errnos[i] = 0;
        Conntrack.encodeDnatCreate(enc, seqs[i], proto, wanIp, wanPort, natIp, natPort, lanIp, lanPort, timeoutSeconds, false);
        return i;
    }

    /** Sends every creation in one datagram, then collects the failures; see {@link #errno}. */
    public void send() throws NetlinkException {
        if (size == 0) return;
        sock.send(enc);
        int n;
        while ((n = sock.receive(ackBuf, true)) > 0) {
            acks.wrap(ackBuf, 0, n);
            while (acks.next()) {
                if (!acks.isError() || acks.errorCode() == 0) continue;
                int seq = acks.seq();
                for (int i = 0; i < size; i++) { // a failure is rare: a scan beats a map here
                    if (seqs[i] == seq) {
                        errnos[i] = -acks.errorCode();
                        break;
                    }
                }
            }
        }
    }

    /** 0 if creation {@code i} succeeded, else the kernel's errno (EEXIST: the entry exists already). */
    public int errno(int i) {
        return errnos[i];
    }

    @Override
    public void close() {
        sock.close();
    }
}
