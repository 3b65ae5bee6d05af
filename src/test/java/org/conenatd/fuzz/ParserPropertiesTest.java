package org.conenatd.fuzz;

import org.conenatd.packet.Checksums;
import org.conenatd.conntrack.Event;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.conenatd.netlink.Decoder;
import org.conenatd.netlink.MessageReader;
import org.conenatd.nfqueue.QueuedPacket;
import org.conenatd.packet.Ipv4UdpView;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Property-based fuzzing (jqwik, with shrinking) of everything that reads bytes from the kernel or
 * the wire: whatever the input, parsing never throws, and a rewrite is only ever done on a packet
 * the parser accepted, leaving valid checksums behind.
 */
class ParserPropertiesTest {

    private static MemorySegment seg(byte[] b) {
        MemorySegment s = Arena.ofAuto().allocate(Math.max(1, b.length));
        MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, 0, b.length);
        return s;
    }

    @Property(tries = 20_000)
    void packetParserNeverThrowsOnArbitraryBytes(@ForAll @Size(max = 120) byte[] bytes) {
        Ipv4UdpView v = new Ipv4UdpView();
        Ipv4UdpView.Classification c = v.wrap(seg(bytes), 0, bytes.length);
        assertNotNull(c);
        if (c == Ipv4UdpView.Classification.UDP) {
            assertTrue(v.headerLength() >= 20 && v.headerLength() + 8 <= v.totalLength());
            assertTrue(v.totalLength() <= bytes.length);
        }
    }

    /** Valid IPv4/UDP packets with options, odd payloads and either checksum style. */
    @Provide
    Arbitrary<byte[]> udpPackets() {
        Arbitrary<Integer> optionWords = Arbitraries.integers().between(0, 10);
        Arbitrary<byte[]> payload = Arbitraries.bytes().array(byte[].class).ofMaxSize(200);
        Arbitrary<Integer> addr = Arbitraries.integers();
        Arbitrary<Integer> port = Arbitraries.integers().between(0, 65535);
        Arbitrary<Boolean> zeroSum = Arbitraries.of(true, false);
        return Combinators.combine(optionWords, payload, addr, addr, port, port, zeroSum).as(
                (ow, pl, src, dst, sp, dp, zero) -> build(ow, pl, src, dst, sp, dp, zero));
    }

    static byte[] build(int optionWords, byte[] payload, int src, int dst, int sport, int dport, boolean zeroSum) {
        int ihl = 20 + optionWords * 4;
        int total = ihl + 8 + payload.length;
        MemorySegment s = Arena.ofAuto().allocate(total);
        s.set(ValueLayout.JAVA_BYTE, 0, (byte) (0x40 | (ihl / 4)));
        s.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 2, (short) total);
        s.set(ValueLayout.JAVA_BYTE, 6, (byte) 0x40); // DF
        s.set(ValueLayout.JAVA_BYTE, 8, (byte) 64);
        s.set(ValueLayout.JAVA_BYTE, 9, (byte) 17);
        s.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 12, src);
        s.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 16, dst);
        for (int i = 20; i < ihl; i++) s.set(ValueLayout.JAVA_BYTE, i, (byte) 1); // NOP options
        var be16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
        s.set(be16, ihl, (short) sport);
        s.set(be16, ihl + 2, (short) dport);
        s.set(be16, ihl + 4, (short) (8 + payload.length));
        MemorySegment.copy(payload, 0, s, ValueLayout.JAVA_BYTE, ihl + 8, payload.length);
        s.set(be16, 10, (short) Ipv4UdpView.ipv4HeaderChecksum(s, 0, ihl));
        if (!zeroSum) s.set(be16, ihl + 6, (short) Ipv4UdpView.udpChecksum(s, 0));
        return s.toArray(ValueLayout.JAVA_BYTE);
    }

    @Property(tries = 5_000)
    void rewritingAnyValidPacketLeavesValidChecksumsAndTheNewDestination(
            @ForAll("udpPackets") byte[] packet, @ForAll int newAddr, @ForAll @IntRange(max = 65535) int newPort) {
        MemorySegment s = seg(packet);
        Ipv4UdpView v = new Ipv4UdpView();
        assertEquals(Ipv4UdpView.Classification.UDP, v.wrap(s, 0, packet.length));
        boolean hadSum = v.udpChecksum() != 0;
        int src = v.srcAddr(), sport = v.srcPort();
        v.rewriteDestination(newAddr, newPort);
        assertEquals(Ipv4UdpView.Classification.UDP, v.wrap(s, 0, packet.length));
        assertEquals(newAddr, v.dstAddr());
        assertEquals(newPort, v.dstPort());
        assertEquals(src, v.srcAddr());
        assertEquals(sport, v.srcPort());
        assertEquals(hadSum, v.udpChecksum() != 0, "a zero checksum stays zero, a real one never becomes zero");
        assertTrue(Checksums.valid(s, 0, packet.length));
    }

    @Property(tries = 20_000)
    void netlinkDecodersNeverThrowOnArbitraryDatagrams(@ForAll @Size(max = 300) byte[] bytes) {
        MemorySegment s = seg(bytes);
        MessageReader m = new MessageReader().wrap(s, 0, bytes.length);
        Decoder a = new Decoder();
        QueuedPacket q = new QueuedPacket();
        while (m.next()) {
            m.errorCode();
            m.extAck();
            Event.decode(m);
            q.decode(m);
        }
    }

    @Property(tries = 20_000)
    void attributeWalkNeverThrowsAndStopsOnTheFirstError(@ForAll @Size(max = 200) byte[] bytes) {
        Decoder d = new Decoder(seg(bytes), 0, bytes.length);
        Decoder child = new Decoder();
        int n = 0;
        while (d.next()) {
            n++;
            d.u8();
            d.u16be();
            d.u32be();
            d.u64be();
            d.string();
            d.nested(child);
            while (child.next()) child.u32();
        }
        assertTrue(n <= bytes.length / 4 + 1);
        if (!d.ok()) assertFalse(d.next(), "the error is sticky");
    }
}
