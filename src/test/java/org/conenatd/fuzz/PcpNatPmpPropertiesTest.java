package org.conenatd.fuzz;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.conenatd.nat.Protocol;
import org.conenatd.portmap.FakePortMapper;
import org.conenatd.portmap.pcp.Dialect;
import org.conenatd.portmap.pcp.NatPmp;
import org.conenatd.portmap.pcp.NatPmpCodec;
import org.conenatd.portmap.pcp.Pcp;
import org.conenatd.portmap.pcp.PcpCodec;
import org.conenatd.portmap.pcp.PortMapHandler;
import org.conenatd.portmap.pcp.PortMapResponder;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * NAT-PMP and PCP datagrams from hostile LAN hosts: whatever the bytes, decoding and handling
 * never throw, an answer is the size and shape its RFC allows, and silence writes nothing. Valid
 * requests survive encode and decode unchanged.
 */
class PcpNatPmpPropertiesTest {
    private static final int SOURCE = 0x0A000005;
    private static final HexFormat HEX = HexFormat.of();
    /** A PCP MAP with THIRD_PARTY and FILTER, a PEER, and a NAT-PMP map: the starts of the mutations. */
    private static final List<byte[]> SEEDS = List.of(
            HEX.parseHex("0201000000001c2000000000000000000000ffff0a000005" + "0102030405060708090a0b0c" + "11000000"
                    + "13881389" + "00000000000000000000ffff00000000" + "01000010" + "00000000000000000000ffff0a000009"
                    + "03000014" + "00780000" + "00000000000000000000ffffc6336407"),
            HEX.parseHex("020200000000025800000000000000000000ffff0a000005" + "0102030405060708090a0b0c" + "06000000"
                    + "13880000" + "00000000000000000000ffff00000000" + "01bb0000" + "00000000000000000000ffffc6336407"),
            HEX.parseHex("000100001388138900000e10"));

    private final FakePortMapper mapper = new FakePortMapper(40_000, 40_003);
    private final PortMapResponder responder = new PortMapResponder(new PortMapHandler(mapper, true));
    private final ByteBuffer out = ByteBuffer.allocate(Pcp.MAX_LENGTH);

    @Property(tries = 20_000)
    void decodersNeverThrow(@ForAll @Size(max = 1200) byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        assertNotNull(NatPmpCodec.decodeRequest(b));
        assertNotNull(PcpCodec.decodeRequest(b));
        NatPmpCodec.decodeResponse(b);
        PcpCodec.decodeResponse(b);
        assertEquals(0, b.position());
    }

    @Property(tries = 20_000)
    void answersToArbitraryBytesAreWellFormed(@ForAll @Size(max = 1200) byte[] bytes, @ForAll boolean pcpFirstByte) {
        if (pcpFirstByte && bytes.length > 0) bytes[0] = Pcp.VERSION;
        checkAnswer(bytes);
    }

    /** Valid requests with bytes changed and maybe cut: deeper into the option and handler paths. */
    @Property(tries = 20_000)
    void answersToMutatedRequestsAreWellFormed(@ForAll("mutants") byte[] bytes) {
        checkAnswer(bytes);
    }

    @Provide
    Arbitrary<byte[]> mutants() {
        Arbitrary<byte[]> seed = Arbitraries.of(SEEDS);
        Arbitrary<List<Integer>> edits = Arbitraries.integers().between(0, Integer.MAX_VALUE).list().ofMaxSize(6);
        Arbitrary<Integer> cut = Arbitraries.integers().between(0, 200);
        return Combinators.combine(seed, edits, cut).as((s, e, c) -> {
            byte[] b = s.clone();
            for (int x : e) b[x % b.length] = (byte) (x >>> 8);
            return c < b.length && c % 3 == 0 ? java.util.Arrays.copyOf(b, c) : b;
        });
    }

    private void checkAnswer(byte[] bytes) {
        out.clear();
        PortMapResponder.Reply r = responder.answer(ByteBuffer.wrap(bytes), SOURCE, out);
        out.flip();
        assertNotNull(r);
        if (r.outcome() == PortMapResponder.Outcome.DROPPED) {
            assertEquals(0, out.remaining(), "silence writes nothing");
            return;
        }
        assertTrue(out.remaining() <= Pcp.MAX_LENGTH);
        if (r.dialect() == Dialect.PCP) {
            assertTrue(out.remaining() >= Pcp.HEADER_LENGTH && out.remaining() % 4 == 0, "PCP answer of " + out.remaining());
            assertEquals(Pcp.VERSION, out.get(0));
            assertNotEquals(0, out.get(1) & Pcp.R_BIT);
            assertEquals(r.outcome() == PortMapResponder.Outcome.REFUSED, out.get(3) != 0, "refused iff an error result");
        } else {
            assertTrue(out.remaining() >= NatPmp.HEADER_LENGTH);
            assertEquals(NatPmp.VERSION, out.get(0));
            assertNotEquals(0, out.get(1) & NatPmp.RESPONSE_BIT);
        }
    }

    @Provide
    Arbitrary<Pcp.Address> addresses() {
        Arbitrary<Pcp.Address> v4 = Arbitraries.integers().map(Pcp.Address::ofIpv4);
        Arbitrary<Pcp.Address> any = Combinators.combine(Arbitraries.longs(), Arbitraries.longs()).as(Pcp.Address::new);
        return Arbitraries.oneOf(v4, any);
    }

    @Provide
    Arbitrary<Pcp.Request> mapRequests() {
        Arbitrary<Pcp.Nonce> nonce = Combinators.combine(Arbitraries.integers(), Arbitraries.integers(), Arbitraries.integers())
                .as(Pcp.Nonce::new);
        Arbitrary<Integer> u8 = Arbitraries.integers().between(0, 255), u16 = Arbitraries.integers().between(0, 65535);
        Arbitrary<Pcp.MapData> data = Combinators.combine(nonce, u8, u16, u16, addresses()).as(Pcp.MapData::new);
        Arbitrary<Pcp.Option> filter = Combinators.combine(u8, u16, addresses()).as(Pcp.Filter::new);
        Arbitrary<List<Pcp.Option>> filters = filter.list().ofMaxSize(5);
        Arbitrary<Boolean> flag = Arbitraries.of(true, false);
        Arbitrary<Long> lifetime = Arbitraries.longs().between(0, 0xFFFF_FFFFL);
        return Combinators.combine(lifetime, addresses(), data, flag, flag, addresses(), filters).as((l, c, d, third, prefer, tp, f) -> {
            List<Pcp.Option> options = new java.util.ArrayList<>();
            if (third) options.add(new Pcp.ThirdParty(tp));
            if (prefer) options.add(new Pcp.PreferFailure());
            options.addAll(f);
            return new Pcp.Request(Pcp.Opcode.MAP, l, c, d, options);
        });
    }

    @Property(tries = 3000)
    void pcpMapRequestsRoundTrip(@ForAll("mapRequests") Pcp.Request request) {
        out.clear();
        PcpCodec.encodeRequest(request, out);
        out.flip();
        assertEquals(new PcpCodec.Valid(request), PcpCodec.decodeRequest(out));
    }

    @Property(tries = 3000)
    void natPmpMapRequestsRoundTrip(@ForAll boolean tcp, @ForAll @IntRange(max = 65535) int internal,
                                    @ForAll @IntRange(max = 65535) int suggested, @ForAll long lifetime) {
        var request = new NatPmp.MapRequest(tcp ? Protocol.TCP : Protocol.UDP, internal, suggested, lifetime & 0xFFFF_FFFFL);
        out.clear();
        NatPmpCodec.encodeRequest(request, out);
        out.flip();
        assertEquals(new NatPmpCodec.Valid(request), NatPmpCodec.decodeRequest(out));
    }
}
