package org.conenatd.netlink;

import static org.conenatd.sys.Layouts.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

import static org.conenatd.netlink.Netlink.NLA_HDRLEN;
import static org.conenatd.netlink.Netlink.NLA_TYPE_MASK;
import static org.conenatd.netlink.Netlink.align;

/**
 * A cursor over a run of netlink attributes: {@code while (d.next()) switch (d.type()) ...}.
 * Malformed input never throws: the first problem is kept as a sticky error, {@link #next} then
 * returns false, and accessors return 0. Check {@link #error()} once at the end. Instances are
 * reusable ({@link #wrap}) so decoding needs no allocation.
 */
public final class Decoder {
    private MemorySegment seg;
    private long pos;
    private long end;
    private long attrStart = -1;
    private int attrType;
    private int attrLen;
    private String error;

    public Decoder() {}

    public Decoder(MemorySegment seg, long offset, long length) {
        wrap(seg, offset, length);
    }

    public Decoder wrap(MemorySegment seg, long offset, long length) {
        this.seg = seg;
        this.pos = offset;
        this.end = offset + length;
        this.attrStart = -1;
        this.error = null;
        if (offset < 0 || length < 0 || end > seg.byteSize()) fail("attributes out of bounds");
        return this;
    }

    public boolean next() {
        if (error != null || pos >= end) return false;
        if (end - pos < NLA_HDRLEN) {
            fail("truncated attribute header at " + pos);
            return false;
        }
        int len = Short.toUnsignedInt(seg.get(U16, pos));
        int type = Short.toUnsignedInt(seg.get(U16, pos + 2));
        if (len < NLA_HDRLEN || pos + len > end) {
            fail("bad attribute length " + len + " at " + pos);
            return false;
        }
        attrStart = pos;
        attrType = type;
        attrLen = len - NLA_HDRLEN;
        pos += Math.min(align(len), end - pos);
        return true;
    }

    /** Attribute type without the NLA_F_NESTED / NLA_F_NET_BYTEORDER flags. */
    public int type() { return attrType & NLA_TYPE_MASK; }
    public boolean isNested() { return (attrType & Netlink.NLA_F_NESTED) != 0; }
    public int length() { return attrLen; }
    /** Offset of the current attribute's payload in the segment. */
    public long offset() { return attrStart + NLA_HDRLEN; }
    public MemorySegment segment() { return seg; }
    public String error() { return error; }
    public boolean ok() { return error == null; }

    public int u8() {
        return sized(1) ? Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, offset())) : 0;
    }

    public int u16be() {
        return sized(2) ? Short.toUnsignedInt(seg.get(U16BE, offset())) : 0;
    }

    public int u32be() {
        return sized(4) ? seg.get(U32BE, offset()) : 0;
    }

    public int u32() {
        return sized(4) ? seg.get(U32, offset()) : 0;
    }

    public long u64be() {
        return sized(8) ? seg.get(U64BE, offset()) : 0;
    }

    /** A NUL-terminated (or unterminated) string attribute. */
    public String string() {
        if (error != null || attrStart < 0) return "";
        int n = 0;
        while (n < attrLen && seg.get(ValueLayout.JAVA_BYTE, offset() + n) != 0) n++;
        byte[] b = new byte[n];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, offset(), b, 0, n);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Points {@code child} at the current attribute's payload; errors found there stay in the child. */
    public Decoder nested(Decoder child) {
        return child.wrap(seg, offset(), attrLen);
    }

    /** Records a problem found by the caller (e.g. a missing mandatory attribute). */
    public void fail(String why) {
        if (error == null) error = why;
    }

    private boolean sized(int n) {
        if (error != null || attrStart < 0) return false;
        if (attrLen < n) {
            fail("attribute type " + type() + " has " + attrLen + " bytes, needs " + n);
            return false;
        }
        return true;
    }
}
