package org.conenatd.netlink;

import static org.conenatd.sys.Layouts.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.function.Consumer;

import static org.conenatd.netlink.Netlink.NLA_F_NESTED;
import static org.conenatd.netlink.Netlink.NLA_HDRLEN;
import static org.conenatd.netlink.Netlink.NLMSG_HDRLEN;
import static org.conenatd.netlink.Netlink.align;

/**
 * Writes netlink messages and attributes into one reusable buffer. Several messages may be written
 * back to back and sent with a single send(): the kernel processes them one by one. Lengths and
 * padding are filled in by {@link #end} and {@link #endNested}; no I/O happens here.
 */
public final class Encoder {
    private final MemorySegment buf;
    private int pos;

    public Encoder(MemorySegment buf) {
        this.buf = buf;
    }

    public MemorySegment buffer() { return buf; }
    /** Bytes written so far (all messages). */
    public int length() { return pos; }
    public void reset() { pos = 0; }
    public int remaining() { return (int) Math.min(Integer.MAX_VALUE, buf.byteSize() - pos); }

    /** Starts a message; returns its offset, to be passed to {@link #end}. */
    public int begin(int type, int flags, int seq) {
        int start = pos;
        reserve(NLMSG_HDRLEN);
        buf.set(U32, start, 0);
        buf.set(U16, start + 4, (short) type);
        buf.set(U16, start + 6, (short) flags);
        buf.set(U32, start + 8, seq);
        buf.set(U32, start + 12, 0); // port id: the kernel fills it in
        pos += NLMSG_HDRLEN;
        return start;
    }

    /** The nfgenmsg header every nfnetlink message carries after nlmsghdr. */
    public void nfgenmsg(int family, int resId) {
        reserve(Netlink.NFGENMSG_LEN);
        buf.set(ValueLayout.JAVA_BYTE, pos, (byte) family);
        buf.set(ValueLayout.JAVA_BYTE, pos + 1, (byte) Netlink.NFNETLINK_V0);
        buf.set(U16BE, pos + 2, (short) resId);
        pos += Netlink.NFGENMSG_LEN;
    }

    public void end(int start) {
        pos = align(pos);
        buf.set(U32, start, pos - start);
    }

    public int beginNested(int type) {
        int start = pos;
        attrHeader(type | NLA_F_NESTED, 0);
        return start;
    }

    public void endNested(int start) {
        if (pos - start > 0xffff) throw new IllegalArgumentException("nested attribute does not fit nla_len");
        buf.set(U16, start, (short) (pos - start));
        pos = align(pos);
    }

    public void nested(int type, Consumer<Encoder> body) {
        int start = beginNested(type);
        body.accept(this);
        endNested(start);
    }

    public void u8(int type, int v) {
        attrHeader(type, 1);
        buf.set(ValueLayout.JAVA_BYTE, pos, (byte) v);
        pad(1);
    }

    public void u16be(int type, int v) {
        attrHeader(type, 2);
        buf.set(U16BE, pos, (short) v);
        pad(2);
    }

    public void u32be(int type, int v) {
        attrHeader(type, 4);
        buf.set(U32BE, pos, v);
        pad(4);
    }

    public void u64be(int type, long v) {
        attrHeader(type, 8);
        buf.set(U64BE, pos, v);
        pad(8);
    }

    public void u32(int type, int v) {
        attrHeader(type, 4);
        buf.set(U32, pos, v);
        pad(4);
    }

    public void bytes(int type, MemorySegment src, long off, int len) {
        attrHeader(type, len);
        MemorySegment.copy(src, off, buf, pos, len);
        pad(len);
    }

    public void bytes(int type, byte[] src) {
        attrHeader(type, src.length);
        MemorySegment.copy(src, 0, buf, ValueLayout.JAVA_BYTE, pos, src.length);
        pad(src.length);
    }

    /** An attribute of {@code len} bytes whose payload the caller fills at the returned offset. */
    public int raw(int type, int len) {
        attrHeader(type, len);
        int at = pos;
        buf.asSlice(at, align(len)).fill((byte) 0);
        pad(len);
        return at;
    }

    private void attrHeader(int type, int payloadLen) {
        if (NLA_HDRLEN + payloadLen > 0xffff) {
            throw new IllegalArgumentException("attribute of " + payloadLen + " bytes does not fit nla_len");
        }
        reserve(align(NLA_HDRLEN + payloadLen));
        buf.set(U16, pos, (short) (NLA_HDRLEN + payloadLen));
        buf.set(U16, pos + 2, (short) type);
        pos += NLA_HDRLEN;
    }

    private void pad(int len) {
        int end = pos + len;
        int aligned = align(end);
        for (int i = end; i < aligned; i++) buf.set(ValueLayout.JAVA_BYTE, i, (byte) 0);
        pos = aligned;
    }

    private void reserve(int n) {
        if (pos + (long) n > buf.byteSize()) {
            throw new IllegalStateException("netlink buffer full: " + pos + " + " + n + " > " + buf.byteSize());
        }
    }
}
