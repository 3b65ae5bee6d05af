package org.conenatd.packet;

import org.conenatd.inet.Inet4;

import org.conenatd.sys.Layouts;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * A reusable view over an IPv4 packet held in a {@link MemorySegment}, typically an NFQUEUE
 * payload inside a netlink receive buffer. {@link #wrap} re-targets the view, so one instance
 * per receive thread handles every packet without allocating. Not thread-safe.
 *
 * <p>Accessors and rewrites are only valid after {@code wrap} returned {@link Classification#UDP};
 * otherwise they throw {@link IllegalStateException} rather than read a packet we declined.
 */
public final class Ipv4UdpView {

    /** What {@link #wrap} found. Everything but {@code UDP} must be passed on untouched. */
    public enum Classification {
        /** A complete, unfragmented IPv4 UDP datagram: accessors and rewrites are valid. */
        UDP,
        /** Fewer bytes than the headers or the IP total length need. */
        TRUNCATED,
        /** The version nibble is not 4. */
        NOT_IPV4,
        /** IHL below 5, total length shorter than the header, or a UDP length that does not fit. */
        BAD_HEADER,
        /** A UDP fragment (MF set or non-zero offset): its ports may be absent and its checksum covers bytes we don't have. */
        FRAGMENT,
        /** Any protocol other than UDP (fragmented or not). */
        NOT_UDP
    }

    static final ValueLayout.OfByte U8 = Layouts.U8;
    static final ValueLayout.OfShort BE16 = Layouts.U16BE;
    static final ValueLayout.OfInt BE32 = Layouts.U32BE;

    // Field offsets, RFC 791 and RFC 768.
    private static final int IP_TOTAL_LENGTH = 2, IP_FLAGS_FRAG = 6, IP_PROTOCOL = 9, IP_CHECKSUM = 10;
    private static final int IP_SRC = 12, IP_DST = 16;
    private static final int UDP_SRC_PORT = 0, UDP_DST_PORT = 2, UDP_LENGTH = 4, UDP_CHECKSUM = 6;
    private static final int MIN_IP_HEADER = 20, UDP_HEADER = 8, PROTO_UDP = 17;
    /** MF plus the 13-bit offset; DF (0x4000) alone is an ordinary whole datagram. */
    private static final int MF_OR_OFFSET = 0x3FFF;

    private MemorySegment seg;
    private long ip, udp; // absolute offsets of the IP and UDP headers within seg
    private int ihlBytes, totalLength;
    private boolean valid;

    /**
     * Parses the IPv4 header at {@code offset}. {@code length} is how many bytes the caller has;
     * it may exceed the IP total length (trailing bytes are ignored).
     *
     * @throws IndexOutOfBoundsException if {@code [offset, offset+length)} is not inside {@code seg}:
     *     that is a caller bug, not a bad packet
     */
    public Classification wrap(MemorySegment seg, long offset, int length) {
        Objects.checkFromIndexSize(offset, length, seg.byteSize());
        valid = false;
        if (length < 1) return Classification.TRUNCATED;
        int b0 = u8(seg, offset);
        if (b0 >>> 4 != 4) return Classification.NOT_IPV4;
        if (length < MIN_IP_HEADER) return Classification.TRUNCATED;
        int ihl = (b0 & 0xF) * 4;
        int total = u16(seg, offset + IP_TOTAL_LENGTH);
        if (ihl < MIN_IP_HEADER || total < ihl) return Classification.BAD_HEADER;
        if (total > length) return Classification.TRUNCATED;
        if (u8(seg, offset + IP_PROTOCOL) != PROTO_UDP) return Classification.NOT_UDP;
        if ((u16(seg, offset + IP_FLAGS_FRAG) & MF_OR_OFFSET) != 0) return Classification.FRAGMENT;
        if (total - ihl < UDP_HEADER) return Classification.BAD_HEADER;
        // As the kernel's udp_error(): the UDP length may be shorter than the IP payload
        // (the rest is padding) but never longer, and never shorter than the UDP header.
        int udpLength = u16(seg, offset + ihl + UDP_LENGTH);
        if (udpLength < UDP_HEADER || udpLength > total - ihl) return Classification.BAD_HEADER;

        this.seg = seg;
        this.ip = offset;
        this.udp = offset + ihl;
        this.ihlBytes = ihl;
        this.totalLength = total;
        this.valid = true;
        return Classification.UDP;
    }

    public int srcAddr() { check(); return seg.get(BE32, ip + IP_SRC); }
    public int dstAddr() { check(); return seg.get(BE32, ip + IP_DST); }
    public int srcPort() { check(); return u16(seg, udp + UDP_SRC_PORT); }
    public int dstPort() { check(); return u16(seg, udp + UDP_DST_PORT); }
    /** IP header length in bytes (IHL*4), options included. */
    public int headerLength() { check(); return ihlBytes; }
    public int totalLength() { check(); return totalLength; }
    /** The UDP length field: header plus payload. */
    public int udpLength() { check(); return u16(seg, udp + UDP_LENGTH); }
    /** The UDP checksum as stored; 0 means the sender sent none. */
    public int udpChecksum() { check(); return u16(seg, udp + UDP_CHECKSUM); }

    /** Rewrites the destination in place, keeping both checksums correct without re-summing the packet. */
    public void rewriteDestination(int newAddr, int newPort) {
        rewrite(IP_DST, UDP_DST_PORT, newAddr, newPort);
    }

    /** Rewrites the source in place, keeping both checksums correct without re-summing the packet. */
    public void rewriteSource(int newAddr, int newPort) {
        rewrite(IP_SRC, UDP_SRC_PORT, newAddr, newPort);
    }

    private void rewrite(int addrField, int portField, int newAddr, int newPort) {
        check();
        if ((newPort & ~0xFFFF) != 0) throw new IllegalArgumentException("port out of range: " + newPort);
        int oldAddr = seg.get(BE32, ip + addrField);
        int oldPort = u16(seg, udp + portField);
        seg.set(BE32, ip + addrField, newAddr);
        seg.set(BE16, udp + portField, (short) newPort);

        // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), summed in 16-bit words.
        int ipSum = (~u16(seg, ip + IP_CHECKSUM) & 0xFFFF) + swap32(oldAddr, newAddr);
        seg.set(BE16, ip + IP_CHECKSUM, (short) ~fold(ipSum));

        int udpCheck = u16(seg, udp + UDP_CHECKSUM);
        if (udpCheck == 0) return; // "no checksum" must stay that way: a value here would be wrong, not optional
        // The address is in the pseudo header, so it changes the UDP checksum as well as the IP one.
        int udpSum = (~udpCheck & 0xFFFF) + swap32(oldAddr, newAddr) + (~oldPort & 0xFFFF) + newPort;
        int c = ~fold(udpSum) & 0xFFFF;
        seg.set(BE16, udp + UDP_CHECKSUM, (short) (c == 0 ? 0xFFFF : c)); // 0 on the wire would mean "none"
    }

    /** ~m + m' for a 32-bit field as two 16-bit words, unfolded. */
    private static int swap32(int oldValue, int newValue) {
        return (~oldValue >>> 16) + (~oldValue & 0xFFFF) + (newValue >>> 16) + (newValue & 0xFFFF);
    }

    private static int fold(long sum) {
        while ((sum >>> 16) != 0) sum = (sum & 0xFFFF) + (sum >>> 16);
        return (int) sum;
    }

    private void check() {
        if (!valid) throw new IllegalStateException("view does not hold a UDP packet");
    }

    // ---- full computations: for tests and debugging, not the per-packet path ----

    /** The header checksum the IPv4 header at {@code off} should carry (its own checksum field counted as 0). */
    public static int ipv4HeaderChecksum(MemorySegment seg, long off, int ihlBytes) {
        long sum = sum16(seg, off, ihlBytes) - u16(seg, off + IP_CHECKSUM);
        return ~fold(sum) & 0xFFFF;
    }

    /**
     * The UDP checksum (pseudo header included) the packet at {@code ipOff} should carry, in its
     * on-the-wire form: a computed 0 is returned as 0xFFFF. Trusts IHL and the UDP length field,
     * so call it only on a packet {@link #wrap} classified as UDP.
     */
    public static int udpChecksum(MemorySegment seg, long ipOff) {
        long udp = ipOff + (u8(seg, ipOff) & 0xF) * 4;
        int udpLength = u16(seg, udp + UDP_LENGTH);
        long sum = sum16(seg, ipOff + IP_SRC, 8) + PROTO_UDP + udpLength // pseudo header
                + sum16(seg, udp, udpLength) - u16(seg, udp + UDP_CHECKSUM);
        int c = ~fold(sum) & 0xFFFF;
        return c == 0 ? 0xFFFF : c;
    }

    /** Plain sum of big-endian 16-bit words; an odd last byte is padded with zero (RFC 768). */
    private static long sum16(MemorySegment seg, long off, int len) {
        long sum = 0;
        int i = 0;
        for (; i + 1 < len; i += 2) sum += u16(seg, off + i);
        if (i < len) sum += u8(seg, off + i) << 8;
        return sum;
    }

    private static int u8(MemorySegment seg, long off) { return seg.get(U8, off) & 0xFF; }
    private static int u16(MemorySegment seg, long off) { return seg.get(BE16, off) & 0xFFFF; }

    @Override
    public String toString() {
        if (!valid) return "Ipv4UdpView[not UDP]";
        return "UDP " + Inet4.format(srcAddr()) + ":" + srcPort() + " -> " + Inet4.format(dstAddr()) + ":" + dstPort()
                + " len " + totalLength;
    }
}
