package org.conenatd.netlink;

import org.conenatd.sys.Errno;

import java.lang.foreign.MemorySegment;

/**
 * Request/answer exchanges over a {@link NetlinkTransport}: send, then read until the ACK, the
 * error or the NLMSG_DONE that carries the request's sequence number. Answers to other
 * sequences (late replies to earlier requests) are skipped.
 */
public final class NetlinkRequests {
    private NetlinkRequests() {}

    /** Receives the data messages of an answer (dump entries). */
    public interface Handler {
        void onMessage(MessageReader msg) throws NetlinkException;
    }

    /** Sends the request(s) in {@code enc} and waits for the answer to {@code seq}. */
    public static void request(NetlinkTransport t, Encoder enc, int seq, String op, MemorySegment rbuf, Handler handler)
            throws NetlinkException {
        t.send(enc);
        awaitAnswer(t, seq, op, rbuf, handler);
    }

    /** Sends several requests in one datagram and waits for the answer to each, in order. */
    public static void request(NetlinkTransport t, Encoder enc, int[] seqs, String op, MemorySegment rbuf, Handler handler)
            throws NetlinkException {
        t.send(enc);
        for (int seq : seqs) awaitAnswer(t, seq, op, rbuf, handler);
    }

    private static void awaitAnswer(NetlinkTransport t, int seq, String op, MemorySegment rbuf, Handler handler)
            throws NetlinkException {
        MessageReader m = new MessageReader();
        boolean interrupted = false;
        while (true) {
            int n = t.receive(rbuf, false);
            if (n < 0) throw new NetlinkException(op + ": no answer from the kernel", Errno.ETIMEDOUT, null, seq);
            m.wrap(rbuf, 0, n);
            while (m.next()) {
                if (m.seq() != seq) continue;
                if (m.isError()) {
                    int code = m.errorCode();
                    if (code == 0) return;
                    throw new NetlinkException(op, -code, m.extAck(), seq);
                }
                if ((m.flags() & Netlink.NLM_F_DUMP_INTR) != 0) interrupted = true;
                if (m.isDone()) {
                    // NLMSG_DONE carries the dump's own result; a dump cut short must not pass for whole
                    int code = m.payloadLength() >= 4 ? m.errorCode() : 0;
                    if (code < 0) throw new NetlinkException(op, -code, null, seq);
                    if (interrupted) {
                        throw new NetlinkException(op + ": dump interrupted by table changes",
                                Errno.EAGAIN, null, seq);
                    }
                    return;
                }
                if (handler != null) handler.onMessage(m);
            }
            if (m.error() != null) {
                throw new NetlinkException(op + ": malformed answer: " + m.error(), Errno.EINVAL, null, seq);
            }
        }
    }
}
