package org.conenatd.packet;

import static org.conenatd.packet.CapturedPackets.*;
import static org.conenatd.packet.Ipv4UdpView.BE16;
import static org.conenatd.packet.Ipv4UdpView.Classification.UDP;
import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

class Ipv4UdpViewTest {

    /** Packets sit at an odd offset with trailing bytes, as an NFQUEUE payload does in a netlink buffer. */
    private static final int OFF = 37, TRAIL = 13;

    private final Ipv4UdpView view = new Ipv4UdpView();

    private static int u16(MemorySegment seg, long off) { return seg.get(BE16, off) & 0xFFFF; }

    private static void set16(MemorySegment seg, long off, int v) { seg.set(BE16, off, (short) v); }

    /** Asserts both checksum fields equal a full recomputation (not merely "verify"): the representation matters too. */
    private static void assertChecksumsRecomputed(MemorySegment seg, Ipv4UdpView v) {
        assertEquals(Ipv4UdpView.ipv4HeaderChecksum(seg, OFF, v.headerLength()), u16(seg, OFF + 10), "IP header checksum");
        assertEquals(Ipv4UdpView.udpChecksum(seg, OFF), v.udpChecksum(), "UDP checksum");
        assertTrue(Checksums.valid(seg, OFF, v.totalLength()));
    }

    @Test
    void capturedPacketsParseToTheFieldsTheKernelSent() {
        record Want(String hex, int src, int dst, int sport, int dport, int hl, int total, int udpLen, int csum) {}
        Want[] wants = {
            new Want(DNAT_EVEN_BEFORE, C_ADDR, PUBLIC_ADDR, 40000, 5000, 20, 42, 22, 0x4219),
            new Want(DNAT_EVEN_AFTER, C_ADDR, S_ADDR, 40000, 6000, 20, 42, 22, 0x6ded),
            new Want(DNAT_ODD_BEFORE, C_ADDR, PUBLIC_ADDR, 40001, 5000, 20, 39, 19, 0x77f0),
            new Want(DNAT_ODD_AFTER, C_ADDR, S_ADDR, 40001, 6000, 20, 39, 19, 0xa3c4),
            new Want(OPTIONS_SENT, C_ADDR, S_ADDR, 40002, 6000, 32, 52, 20, 0xdfdd),
            new Want(OPTIONS_FORWARDED, C_ADDR, S_ADDR, 40002, 6000, 32, 52, 20, 0xdfdd),
            new Want(DIRECT, C_ADDR, S_ADDR, 40003, 6000, 20, 34, 14, 0xfa3d),
        };
        for (Want w : wants) {
            MemorySegment seg = inBuffer(w.hex, OFF, TRAIL);
            assertEquals(UDP, view.wrap(seg, OFF, w.total + TRAIL), w.hex);
            assertEquals(w.src, view.srcAddr());
            assertEquals(w.dst, view.dstAddr());
            assertEquals(w.sport, view.srcPort());
            assertEquals(w.dport, view.dstPort());
            assertEquals(w.hl, view.headerLength());
            assertEquals(w.total, view.totalLength());
            assertEquals(w.udpLen, view.udpLength());
            assertEquals(w.csum, view.udpChecksum());
        }
    }

    @ParameterizedTest
    @FieldSource("org.conenatd.packet.CapturedPackets#WHOLE_UDP")
    void fullChecksumComputationReproducesTheKernelsChecksums(String hex) {
        MemorySegment seg = inBuffer(hex, OFF, TRAIL);
        assertEquals(UDP, view.wrap(seg, OFF, hex.length() / 2));
        assertChecksumsRecomputed(seg, view);
    }

    @Test
    void udpChecksumOverAReassembledDatagramMatchesTheSendersChecksum() {
        // The fragments' UDP checksum covers all 776 bytes: rebuild the datagram to prove
        // udpChecksum() on a long payload, and that the fragments really are one datagram.
        byte[] first = bytes(FRAGMENT_FIRST), last = bytes(FRAGMENT_LAST);
        byte[] whole = new byte[20 + 776];
        System.arraycopy(first, 0, whole, 0, first.length);
        System.arraycopy(last, 20, whole, first.length, last.length - 20);
        MemorySegment seg = inBuffer(whole, OFF, 0);
        set16(seg, OFF + 2, whole.length);
        set16(seg, OFF + 6, 0); // no MF, offset 0
        set16(seg, OFF + 10, Ipv4UdpView.ipv4HeaderChecksum(seg, OFF, 20));
        assertEquals(UDP, view.wrap(seg, OFF, whole.length));
        assertEquals(0xedcc, Ipv4UdpView.udpChecksum(seg, OFF));
        assertTrue(Checksums.valid(seg, OFF, whole.length));
    }

    static final String[][] DNAT_PAIRS = {{DNAT_EVEN_BEFORE, DNAT_EVEN_AFTER}, {DNAT_ODD_BEFORE, DNAT_ODD_AFTER}};

    @ParameterizedTest
    @FieldSource("DNAT_PAIRS")
    void rewriteDestinationMatchesTheKernelsDnatByteForByte(String before, String after) {
        MemorySegment seg = inBuffer(before, OFF, TRAIL);
        int len = before.length() / 2;
        assertEquals(UDP, view.wrap(seg, OFF, len + TRAIL));
        // R also decremented the TTL while forwarding; do that (with a correct header checksum) first.
        seg.set(ValueLayout.JAVA_BYTE, OFF + 8, (byte) 63);
        set16(seg, OFF + 10, Ipv4UdpView.ipv4HeaderChecksum(seg, OFF, 20));

        view.rewriteDestination(S_ADDR, 6000);

        assertEquals(after, HexFormat.of().formatHex(slice(seg, OFF, len)));
        assertEquals((byte) 0xA5, seg.get(ValueLayout.JAVA_BYTE, OFF + len), "wrote past the packet");
        assertEquals((byte) 0xA5, seg.get(ValueLayout.JAVA_BYTE, OFF - 1), "wrote before the packet");
    }

    static final int[][] TARGETS = {
        {S_ADDR, 6000}, {0, 0}, {0xFFFFFFFF, 65535}, {0xC63364C8, 53}, {0x80000000, 1}, {0x0000FFFF, 0xFFFF}, {C_ADDR, 40000},
    };

    @Test
    void rewriteDestinationEqualsFullRecomputationOnEveryCapturedPacket() {
        for (String hex : WHOLE_UDP) {
            for (int[] t : TARGETS) {
                MemorySegment seg = inBuffer(hex, OFF, TRAIL);
                assertEquals(UDP, view.wrap(seg, OFF, hex.length() / 2));
                int src = view.srcAddr(), sport = view.srcPort();
                view.rewriteDestination(t[0], t[1]);
                assertEquals(t[0], view.dstAddr());
                assertEquals(t[1], view.dstPort());
                assertEquals(src, view.srcAddr());
                assertEquals(sport, view.srcPort());
                assertChecksumsRecomputed(seg, view);
            }
        }
    }

    @Test
    void rewriteSourceEqualsFullRecomputationOnEveryCapturedPacket() {
        for (String hex : WHOLE_UDP) {
            for (int[] t : TARGETS) {
                MemorySegment seg = inBuffer(hex, OFF, TRAIL);
                assertEquals(UDP, view.wrap(seg, OFF, hex.length() / 2));
                int dst = view.dstAddr(), dport = view.dstPort();
                view.rewriteSource(t[0], t[1]);
                assertEquals(t[0], view.srcAddr());
                assertEquals(t[1], view.srcPort());
                assertEquals(dst, view.dstAddr());
                assertEquals(dport, view.dstPort());
                assertChecksumsRecomputed(seg, view);
            }
        }
    }

    @Test
    void zeroUdpChecksumStaysZeroAfterRewrite() {
        // Hand-made: DIRECT with its UDP checksum cleared, as a sender that skips UDP checksums sends it.
        MemorySegment seg = inBuffer(DIRECT, OFF, TRAIL);
        set16(seg, OFF + 26, 0);
        assertEquals(UDP, view.wrap(seg, OFF, 34));
        assertEquals(0, view.udpChecksum());
        assertTrue(Checksums.valid(seg, OFF, 34));

        view.rewriteDestination(0xC63364C8, 53);

        assertEquals(0, view.udpChecksum());
        assertEquals(Ipv4UdpView.ipv4HeaderChecksum(seg, OFF, 20), u16(seg, OFF + 10));
        assertTrue(Checksums.valid(seg, OFF, 34));
    }

    @Test
    void computedZeroUdpChecksumIsWrittenAsFFFF() {
        // Choose the last payload word of DNAT_EVEN_BEFORE so that after DNAT to 10.77.2.2:6000 the
        // one's complement sum is 0xFFFF, i.e. the computed checksum is 0 and must go out as 0xFFFF.
        int len = 42, lastWord = OFF + len - 2, udpCheck = OFF + 26;
        MemorySegment probe = inBuffer(DNAT_EVEN_BEFORE, OFF, 0);
        probe.set(Ipv4UdpView.BE32, OFF + 16, S_ADDR);
        set16(probe, OFF + 22, 6000);
        set16(probe, lastWord, 0);
        int word = Ipv4UdpView.udpChecksum(probe, OFF); // = ~(sum of everything else): adding it makes 0xFFFF

        MemorySegment seg = inBuffer(DNAT_EVEN_BEFORE, OFF, 0);
        set16(seg, lastWord, word);
        set16(seg, udpCheck, Ipv4UdpView.udpChecksum(seg, OFF)); // a valid original
        assertEquals(UDP, view.wrap(seg, OFF, len));
        assertNotEquals(0xFFFF, view.udpChecksum(), "the original must not already be the special case");

        view.rewriteDestination(S_ADDR, 6000);

        assertEquals(0xFFFF, view.udpChecksum());
        // udpChecksum() only returns 0xFFFF for a computed 0 (a computed 0xFFFF needs all-zero data).
        assertEquals(0xFFFF, Ipv4UdpView.udpChecksum(seg, OFF));
        assertTrue(Checksums.valid(seg, OFF, len));

        // And 0xFFFF as the old value updates correctly too.
        view.rewriteDestination(PUBLIC_ADDR, 5000);
        assertChecksumsRecomputedAt(seg, len);
    }

    private void assertChecksumsRecomputedAt(MemorySegment seg, int len) {
        assertEquals(UDP, view.wrap(seg, OFF, len));
        assertChecksumsRecomputed(seg, view);
    }

    @Test
    void rewriteKeepsChecksumsExactOnRandomValidPackets() {
        Random rnd = new Random(0xC0FFEE);
        for (int i = 0; i < 20_000; i++) {
            int ihl = 20 + 4 * rnd.nextInt(11), payload = rnd.nextInt(1480 - ihl + 20);
            int total = ihl + 8 + payload;
            byte[] p = new byte[total];
            rnd.nextBytes(p);
            MemorySegment seg = inBuffer(p, OFF, TRAIL);
            seg.set(ValueLayout.JAVA_BYTE, OFF, (byte) (0x40 | ihl / 4));
            set16(seg, OFF + 2, total);
            set16(seg, OFF + 6, rnd.nextBoolean() ? 0x4000 : 0); // DF or nothing
            seg.set(ValueLayout.JAVA_BYTE, OFF + 9, (byte) 17);
            set16(seg, OFF + ihl + 4, 8 + payload);
            set16(seg, OFF + 10, Ipv4UdpView.ipv4HeaderChecksum(seg, OFF, ihl));
            boolean noUdpChecksum = rnd.nextInt(10) == 0;
            set16(seg, OFF + ihl + 6, noUdpChecksum ? 0 : Ipv4UdpView.udpChecksum(seg, OFF));

            assertEquals(UDP, view.wrap(seg, OFF, total + TRAIL));
            if (rnd.nextBoolean()) view.rewriteDestination(rnd.nextInt(), rnd.nextInt(65536));
            else view.rewriteSource(rnd.nextInt(), rnd.nextInt(65536));

            assertEquals(Ipv4UdpView.ipv4HeaderChecksum(seg, OFF, ihl), u16(seg, OFF + 10), "case " + i);
            assertEquals(noUdpChecksum ? 0 : Ipv4UdpView.udpChecksum(seg, OFF), view.udpChecksum(), "case " + i);
        }
    }

    @Test
    void accessorsAndRewritesRefuseAViewThatHoldsNoUdpPacket() {
        assertThrows(IllegalStateException.class, view::srcAddr); // never wrapped
        MemorySegment seg = inBuffer(DIRECT, OFF, TRAIL);
        assertEquals(UDP, view.wrap(seg, OFF, 34));
        assertEquals(Ipv4UdpView.Classification.TRUNCATED, view.wrap(seg, OFF, 33)); // a failed wrap invalidates
        assertThrows(IllegalStateException.class, view::dstPort);
        assertThrows(IllegalStateException.class, view::udpChecksum);
        assertThrows(IllegalStateException.class, () -> view.rewriteDestination(S_ADDR, 1));
        assertEquals(DIRECT, HexFormat.of().formatHex(slice(seg, OFF, 34)), "packet must be untouched");
    }

    @Test
    void rewriteRejectsPortsOutsideSixteenBitsWithoutTouchingThePacket() {
        MemorySegment seg = inBuffer(DIRECT, OFF, TRAIL);
        assertEquals(UDP, view.wrap(seg, OFF, 34));
        assertThrows(IllegalArgumentException.class, () -> view.rewriteDestination(S_ADDR, 65536));
        assertThrows(IllegalArgumentException.class, () -> view.rewriteDestination(S_ADDR, -1));
        assertEquals(DIRECT, HexFormat.of().formatHex(slice(seg, OFF, 34)));
    }

    @Test
    void toStringShowsTheFlow() {
        MemorySegment seg = inBuffer(DNAT_EVEN_BEFORE, OFF, TRAIL);
        view.wrap(seg, OFF, 42);
        assertEquals("UDP 10.77.1.2:40000 -> 203.0.113.10:5000 len 42", view.toString());
    }

    @Test
    void wrapAndRewriteDoNotAllocateOnceWarm() {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        MemorySegment seg = inBuffer(DNAT_ODD_BEFORE, OFF, TRAIL);
        int n = 200_000;
        long sink = 0;
        for (int round = 0; round < 3; round++) { // the first rounds warm up the JIT
            long before = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < n; i++) {
                if (view.wrap(seg, OFF, 39 + TRAIL) == UDP) {
                    view.rewriteDestination(i, i & 0xFFFF);
                    sink += view.udpChecksum();
                }
            }
            long perPacket = (mx.getCurrentThreadAllocatedBytes() - before) / n;
            if (round == 2) assertEquals(0, perPacket, "bytes allocated per packet");
        }
        assertNotEquals(-1, sink);
    }
}
