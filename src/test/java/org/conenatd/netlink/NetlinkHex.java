package org.conenatd.netlink;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;

/** Hex helpers shared by the netlink, conntrack and nfqueue tests. */
public final class NetlinkHex {
    private NetlinkHex() {}

    private static final HexFormat HEX = HexFormat.of();

    public static byte[] bytes(String hex) {
        return HEX.parseHex(hex.replaceAll("\\s", ""));
    }

    /**
     * The bytes in a segment of exactly their size: a read past the end throws instead of picking
     * up whatever follows, so "never reads out of bounds" is checked for real.
     */
    public static MemorySegment segment(String hex) {
        return MemorySegment.ofArray(bytes(hex));
    }

    public static MemorySegment segment(byte[] b) {
        return MemorySegment.ofArray(b);
    }

    public static String hex(MemorySegment seg, long offset, long length) {
        return HEX.formatHex(seg.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));
    }

    /** Everything the encoder has written so far, as lowercase hex. */
    public static String written(Encoder e) {
        return hex(e.buffer(), 0, e.length());
    }

    /**
     * An encoder over a buffer pre-filled with 0xAA, so padding the encoder forgets to zero shows
     * up as "aa" in the expected-vs-actual diff.
     */
    public static Encoder dirtyEncoder(int size) {
        MemorySegment buf = Arena.ofAuto().allocate(size, 8);
        buf.fill((byte) 0xAA);
        return new Encoder(buf);
    }

    /** Host-order (little-endian on x86) u32, as nlmsghdr fields are written. */
    public static String le32(int v) {
        return HEX.formatHex(new byte[] {(byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)});
    }
}
