package org.conenatd.netlink;

import static org.conenatd.sys.Layouts.*;

import org.conenatd.sys.Errno;
import org.conenatd.sys.Libc;
import java.lang.foreign.MemorySegment;

import static org.conenatd.netlink.Netlink.NLMSG_HDRLEN;
import static org.conenatd.netlink.Netlink.align;

/**
 * Iterates over the netlink messages in one received datagram. Like {@link Decoder}, malformed
 * input sets a sticky error and stops iteration instead of throwing.
 */
public final class MessageReader {
    private MemorySegment seg;
    private long pos;
    private long end;
    private long msgStart;
    private int msgLen;
    private String error;
    private final Decoder errAttrs = new Decoder();

    public MessageReader wrap(MemorySegment seg, long offset, long length) {
        this.seg = seg;
        this.pos = offset;
        this.end = offset + length;
        this.error = null;
        this.msgStart = -1;
        return this;
    }

    public boolean next() {
        if (error != null || pos >= end) return false;
        if (end - pos < NLMSG_HDRLEN) {
            error = "truncated message header at " + pos;
            return false;
        }
        int len = seg.get(U32, pos);
        if (len < NLMSG_HDRLEN || len > end - pos) {
            error = "bad message length " + Integer.toUnsignedString(len) + " at " + pos;
            return false;
        }
        msgStart = pos;
        msgLen = len;
        pos += Math.min(align(len), end - pos);
        return true;
    }

    public int type() { return Short.toUnsignedInt(seg.get(U16, msgStart + 4)); }
    public int flags() { return Short.toUnsignedInt(seg.get(U16, msgStart + 6)); }
    public int seq() { return seg.get(U32, msgStart + 8); }
    public int portId() { return seg.get(U32, msgStart + 12); }
    public long offset() { return msgStart; }
    public int length() { return msgLen; }
    public long payloadOffset() { return msgStart + NLMSG_HDRLEN; }
    public int payloadLength() { return msgLen - NLMSG_HDRLEN; }
    public MemorySegment segment() { return seg; }
    public String error() { return error; }

    /** For nfnetlink messages: attributes start after the 4-byte nfgenmsg. */
    public Decoder nfAttributes(Decoder d) {
        if (payloadLength() < Netlink.NFGENMSG_LEN) {
            d.wrap(seg, payloadOffset(), 0);
            d.fail("message shorter than nfgenmsg");
            return d;
        }
        return d.wrap(seg, payloadOffset() + Netlink.NFGENMSG_LEN, payloadLength() - Netlink.NFGENMSG_LEN);
    }

    public int nfFamily() { return Byte.toUnsignedInt(seg.get(java.lang.foreign.ValueLayout.JAVA_BYTE, payloadOffset())); }
    public int nfResId() { return Short.toUnsignedInt(seg.get(U16BE, payloadOffset() + 2)); }

    public boolean isError() { return type() == Netlink.NLMSG_ERROR; }
    public boolean isDone() { return type() == Netlink.NLMSG_DONE; }

    /** For NLMSG_ERROR: the (negative) error, 0 for an ACK. */
    public int errorCode() {
        return payloadLength() >= 4 ? seg.get(U32, payloadOffset()) : -Errno.EINVAL;
    }

    /** For NLMSG_ERROR: the sequence number of the request it answers (from the echoed header). */
    public int errorRequestSeq() {
        return payloadLength() >= 4 + NLMSG_HDRLEN ? seg.get(U32, payloadOffset() + 4 + 8) : 0;
    }

    /** For NLMSG_ERROR with NLM_F_ACK_TLVS: the kernel's extended-ack message, else null. */
    public String extAck() {
        if ((flags() & Netlink.NLM_F_ACK_TLVS) == 0 || payloadLength() < 4 + NLMSG_HDRLEN) return null;
        long skip = 4 + NLMSG_HDRLEN;
        if ((flags() & Netlink.NLM_F_CAPPED) == 0) {
            int origLen = seg.get(U32, payloadOffset() + 4);
            if (origLen < NLMSG_HDRLEN) return null;
            skip = 4 + (long) align(origLen);
        }
        if (skip > payloadLength()) return null;
        Decoder d = errAttrs.wrap(seg, payloadOffset() + skip, payloadLength() - skip);
        while (d.next()) {
            if (d.type() == Netlink.NLMSGERR_ATTR_MSG) return d.string();
        }
        return null;
    }
}
