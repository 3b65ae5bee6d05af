package org.conenatd.bench.jmh;

import org.conenatd.packet.Ipv4UdpView;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/** Builds the IPv4/UDP packets the benchmarks work on: well-formed, both checksums valid. */
final class Packets {
    private Packets() {}

    static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    static final int PEER_IP = 0xC6336407;  // 198.51.100.7
    static final int PEER_PORT = 3478;
    static final int NAT_IP = 0xCB007101;   // 203.0.113.1
    static final int NAT_PORT = 40000;
    static final int LAN_IP = 0x0A000002;   // 10.0.0.2
    static final int LAN_PORT = 5000;

    /**
     * Writes an unfragmented IPv4 (IHL 5, DF) / UDP datagram of {@code totalLength} bytes,
     * PEER -> NAT, with pseudo-random payload and correct IP and UDP checksums, at {@code off}.
     */
    static void writeUdp(MemorySegment seg, long off, int totalLength, long seed) {
        if (totalLength < 28 || totalLength > 0xffff) throw new IllegalArgumentException("length " + totalLength);
        seg.asSlice(off, totalLength).fill((byte) 0);
        seg.set(ValueLayout.JAVA_BYTE, off, (byte) 0x45);            // version 4, IHL 5
        seg.set(BE16, off + 2, (short) totalLength);
        seg.set(BE16, off + 4, (short) 0x1234);                      // identification
        seg.set(BE16, off + 6, (short) 0x4000);                      // DF
        seg.set(ValueLayout.JAVA_BYTE, off + 8, (byte) 64);          // TTL
        seg.set(ValueLayout.JAVA_BYTE, off + 9, (byte) 17);          // UDP
        seg.set(BE32, off + 12, PEER_IP);
        seg.set(BE32, off + 16, NAT_IP);
        long udp = off + 20;
        seg.set(BE16, udp, (short) PEER_PORT);
        seg.set(BE16, udp + 2, (short) NAT_PORT);
        seg.set(BE16, udp + 4, (short) (totalLength - 20));
        SplittableRandom r = new SplittableRandom(seed);
        for (long i = udp + 8; i < off + totalLength; i++) seg.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt(256));
        seg.set(BE16, off + 10, (short) Ipv4UdpView.ipv4HeaderChecksum(seg, off, 20));
        seg.set(BE16, udp + 6, (short) Ipv4UdpView.udpChecksum(seg, off));
        if (!org.conenatd.packet.Checksums.valid(seg, off, totalLength)) throw new IllegalStateException("bad test packet");
    }
}
