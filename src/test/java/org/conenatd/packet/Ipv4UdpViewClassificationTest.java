package org.conenatd.packet;

import static org.conenatd.packet.CapturedPackets.*;
import static org.conenatd.packet.Ipv4UdpView.BE16;
import static org.conenatd.packet.Ipv4UdpView.Classification.*;
import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import org.conenatd.packet.Ipv4UdpView.Classification;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Ipv4UdpViewClassificationTest {

    private static final int OFF = 11;
    private final Ipv4UdpView view = new Ipv4UdpView();

    /** DIRECT (IHL 5, total 34) with one 16-bit field replaced. */
    private static MemorySegment directWith(int fieldOffset, int value) {
        MemorySegment seg = inBuffer(DIRECT, OFF, 8);
        seg.set(BE16, OFF + fieldOffset, (short) value);
        return seg;
    }

    private static MemorySegment directWithByte(int fieldOffset, int value) {
        MemorySegment seg = inBuffer(DIRECT, OFF, 8);
        seg.set(ValueLayout.JAVA_BYTE, OFF + fieldOffset, (byte) value);
        return seg;
    }

    @Test
    void truncatedAtEveryLengthBelowTheIpTotalLength() {
        for (String hex : new String[] {DIRECT, DNAT_ODD_BEFORE, OPTIONS_SENT}) {
            int total = hex.length() / 2;
            MemorySegment seg = inBuffer(hex, OFF, 0);
            for (int len = 0; len < total; len++) {
                assertEquals(TRUNCATED, view.wrap(seg, OFF, len), "length " + len + " of " + total);
            }
            assertEquals(UDP, view.wrap(seg, OFF, total));
        }
    }

    @Test
    void trailingBytesBeyondTheTotalLengthAreIgnored() {
        MemorySegment seg = inBuffer(DNAT_EVEN_BEFORE, OFF, 100);
        assertEquals(UDP, view.wrap(seg, OFF, 142));
        assertEquals(42, view.totalLength());
        assertTrue(Checksums.valid(seg, OFF, 142));
    }

    @Test
    void notIpv4ForEveryOtherVersionEvenWhenShort() {
        for (int version = 0; version < 16; version++) {
            if (version == 4) continue;
            MemorySegment seg = directWithByte(0, version << 4 | 5);
            assertEquals(NOT_IPV4, view.wrap(seg, OFF, 34), "version " + version);
            assertEquals(NOT_IPV4, view.wrap(seg, OFF, 1), "version " + version + ", one byte");
        }
        // The start of an IPv6 UDP header: version 6, payload length 14, next header 17.
        MemorySegment v6 = inBuffer("6000000000" + "0e" + "1140", OFF, 0);
        assertEquals(NOT_IPV4, view.wrap(v6, OFF, 8));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4})
    void badHeaderWhenIhlIsBelowFive(int ihl) {
        assertEquals(BAD_HEADER, view.wrap(directWithByte(0, 0x40 | ihl), OFF, 34));
    }

    @Test
    void badHeaderWhenTotalLengthIsShorterThanTheIpHeader() {
        assertEquals(BAD_HEADER, view.wrap(directWith(2, 19), OFF, 34));
        assertEquals(BAD_HEADER, view.wrap(directWith(2, 0), OFF, 34));
        MemorySegment opt = inBuffer(OPTIONS_SENT, OFF, 0);
        opt.set(BE16, OFF + 2, (short) 31); // IHL 8 needs 32
        assertEquals(BAD_HEADER, view.wrap(opt, OFF, 52));
    }

    @Test
    void truncatedWhenIhlClaimsMoreOptionsThanTheBuffer() {
        MemorySegment seg = directWithByte(0, 0x4F); // 60-byte header, total length still 34
        assertEquals(BAD_HEADER, view.wrap(seg, OFF, 34));
        seg.set(BE16, OFF + 2, (short) 70); // consistent header, but only 34 bytes there
        assertEquals(TRUNCATED, view.wrap(seg, OFF, 34));
    }

    @Test
    void capturedFragmentsAreFragments() {
        assertEquals(FRAGMENT, view.wrap(inBuffer(FRAGMENT_FIRST, OFF, 0), OFF, 572), "MF set, offset 0");
        assertEquals(FRAGMENT, view.wrap(inBuffer(FRAGMENT_LAST, OFF, 0), OFF, 244), "MF clear, offset 552");
    }

    @ParameterizedTest
    @ValueSource(ints = {0x2000, 0x6000, 0x0001, 0x4001, 0x1FFF, 0x3FFF, 0xFFFF})
    void fragmentWhenMoreFragmentsOrAnOffsetIsSet(int flagsAndOffset) {
        assertEquals(FRAGMENT, view.wrap(directWith(6, flagsAndOffset), OFF, 34));
    }

    @ParameterizedTest
    @ValueSource(ints = {0x0000, 0x4000, 0x8000, 0xC000})
    void dontFragmentAndTheReservedBitAloneAreNotFragments(int flags) {
        assertEquals(UDP, view.wrap(directWith(6, flags), OFF, 34));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 6, 16, 18, 41, 47, 50, 132, 136, 255})
    void notUdpForOtherProtocols(int protocol) { // 1 ICMP, 6 TCP, 136 UDP-Lite, ...
        assertEquals(NOT_UDP, view.wrap(directWithByte(9, protocol), OFF, 34));
    }

    @Test
    void aNonUdpFragmentIsReportedAsNotUdp() {
        MemorySegment seg = directWithByte(9, 6);
        seg.set(BE16, OFF + 6, (short) 0x2000);
        assertEquals(NOT_UDP, view.wrap(seg, OFF, 34));
    }

    @ParameterizedTest
    @ValueSource(ints = {15, 0x8000, 0xFFFF, 0, 7})
    void badHeaderWhenUdpLengthExceedsTheIpPayloadOrIsBelowEight(int udpLength) {
        assertEquals(BAD_HEADER, view.wrap(directWith(24, udpLength), OFF, 34)); // IP payload is 14
    }

    @Test
    void badHeaderWhenTheIpPayloadCannotHoldAUdpHeader() {
        for (int total = 20; total < 28; total++) {
            MemorySegment seg = directWith(2, total);
            seg.set(BE16, OFF + 24, (short) 8);
            assertEquals(BAD_HEADER, view.wrap(seg, OFF, 34), "total length " + total);
        }
    }

    @Test
    void udpLengthShorterThanTheIpPayloadIsAcceptedLikeTheKernel() {
        MemorySegment seg = directWith(24, 8); // 6 payload bytes become IP padding
        assertEquals(UDP, view.wrap(seg, OFF, 34));
        assertEquals(8, view.udpLength());
        assertEquals(34, view.totalLength());
    }

    @Test
    void wrapRejectsARangeOutsideTheSegmentAsACallerBug() {
        MemorySegment seg = inBuffer(DIRECT, 0, 0);
        assertThrows(IndexOutOfBoundsException.class, () -> view.wrap(seg, 0, 35));
        assertThrows(IndexOutOfBoundsException.class, () -> view.wrap(seg, 1, 34));
        assertThrows(IndexOutOfBoundsException.class, () -> view.wrap(seg, -1, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> view.wrap(seg, 0, -1));
    }

    @Test
    void wrapNeverThrowsOnRandomOrMutatedBytes() {
        Random rnd = new Random(20240601L);
        byte[][] seeds = {bytes(DIRECT), bytes(DNAT_ODD_BEFORE), bytes(OPTIONS_SENT), bytes(FRAGMENT_FIRST), bytes(FRAGMENT_LAST)};
        MemorySegment seg = MemorySegment.ofArray(new byte[1024]);
        Map<Classification, Integer> seen = new EnumMap<>(Classification.class);
        for (int i = 0; i < 200_000; i++) {
            int off = rnd.nextInt(8), len;
            if (i % 2 == 0) { // random bytes, usually starting with version 4 so the parser goes deep
                len = rnd.nextInt(80);
                byte[] b = new byte[len];
                rnd.nextBytes(b);
                if (len > 0 && rnd.nextInt(4) != 0) b[0] = (byte) (0x40 | (b[0] & 0xF));
                if (len > 9 && rnd.nextBoolean()) b[9] = 17;
                MemorySegment.copy(b, 0, seg, ValueLayout.JAVA_BYTE, off, len);
            } else { // a captured packet with a few bytes flipped, cut short or with junk after it
                byte[] b = seeds[rnd.nextInt(seeds.length)].clone();
                for (int k = 1 + rnd.nextInt(3); k > 0; k--) b[rnd.nextInt(Math.min(b.length, 40))] = (byte) rnd.nextInt(256);
                len = (int) Math.max(0, Math.min(seg.byteSize() - off, b.length + rnd.nextInt(40) - 20));
                MemorySegment.copy(b, 0, seg, ValueLayout.JAVA_BYTE, off, Math.min(len, b.length));
            }
            Classification c = view.wrap(seg, off, len);
            seen.merge(c, 1, Integer::sum);
            if (c == UDP) { // whatever got through must be self-consistent and safe to rewrite
                assertTrue(view.headerLength() >= 20 && view.headerLength() <= 60);
                assertTrue(view.totalLength() <= len && view.totalLength() >= view.headerLength() + 8);
                assertTrue(view.udpLength() >= 8 && view.udpLength() <= view.totalLength() - view.headerLength());
                view.rewriteDestination(rnd.nextInt(), rnd.nextInt(65536));
                assertNotNull(view.toString());
            }
        }
        assertEquals(Classification.values().length, seen.size(), "every classification reached: " + seen);
    }
}
