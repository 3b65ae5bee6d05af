package org.conenatd.netlink;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Function;

/**
 * A scripted stand-in for a kernel socket: datagrams to hand out are queued in {@link #inbox},
 * everything sent is kept in {@link #sent}, a responder may answer each send (as the kernel
 * queues its replies before send() returns), and a send can be made to fail.
 */
public final class FakeTransport implements NetlinkTransport {
    public final Deque<byte[]> inbox = new ArrayDeque<>();
    public final List<byte[]> sent = new ArrayList<>();
    private Function<byte[], List<byte[]>> responder = d -> List.of();
    private final Deque<NetlinkException> sendFailures = new ArrayDeque<>();
    private int seq = 100;
    private boolean closed;

    /**
     * The kernel's answer to one request: NLMSG_ERROR with -errno (0: an ACK) and the request's
     * header (its type and seq), as the kernel sends it with NLM_F_CAPPED.
     */
    public static byte[] errorAnswer(int seq, int errno, int requestType) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(36).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(36).putShort((short) Netlink.NLMSG_ERROR).putShort((short) Netlink.NLM_F_CAPPED).putInt(seq).putInt(0);
        b.putInt(-errno);
        b.putInt(16).putShort((short) requestType).putShort((short) 0).putInt(seq).putInt(0);
        return b.array();
    }

    /** Replies the kernel would queue for a sent datagram. */
    public FakeTransport respondWith(Function<byte[], List<byte[]>> r) {
        this.responder = r;
        return this;
    }

    /** The next send throws {@code e} (and sends nothing). */
    public void failNextSend(NetlinkException e) {
        sendFailures.add(e);
    }

    public boolean closed() { return closed; }

    @Override
    public String name() { return "fake"; }

    @Override
    public int nextSeq() { return ++seq; }

    @Override
    public void send(MemorySegment buf, int len) throws NetlinkException {
        if (!sendFailures.isEmpty()) throw sendFailures.poll();
        byte[] d = buf.asSlice(0, len).toArray(ValueLayout.JAVA_BYTE);
        sent.add(d);
        inbox.addAll(responder.apply(d));
    }

    @Override
    public int receive(MemorySegment buf, boolean dontWait) {
        byte[] d = inbox.poll();
        if (d == null) return -1; // as a receive timeout (or EAGAIN) would
        MemorySegment.copy(d, 0, buf, ValueLayout.JAVA_BYTE, 0, d.length);
        return d.length;
    }

    @Override
    public boolean awaitReadable(int timeoutMs) {
        return !inbox.isEmpty();
    }

    @Override
    public void close() {
        closed = true;
    }
}
