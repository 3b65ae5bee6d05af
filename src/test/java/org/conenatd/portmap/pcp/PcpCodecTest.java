package org.conenatd.portmap.pcp;

import org.conenatd.portmap.pcp.Pcp.Address;
import org.conenatd.portmap.pcp.Pcp.Filter;
import org.conenatd.portmap.pcp.Pcp.MapData;
import org.conenatd.portmap.pcp.Pcp.Nonce;
import org.conenatd.portmap.pcp.Pcp.Opcode;
import org.conenatd.portmap.pcp.Pcp.PeerData;
import org.conenatd.portmap.pcp.Pcp.PreferFailure;
import org.conenatd.portmap.pcp.Pcp.Result;
import org.conenatd.portmap.pcp.Pcp.ThirdParty;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.conenatd.portmap.pcp.Bytes.buf;
import static org.conenatd.portmap.pcp.Bytes.written;
import static org.conenatd.portmap.pcp.Bytes.zeros;
import static org.conenatd.portmap.pcp.PcpVectors.*;
import static org.junit.jupiter.api.Assertions.*;

/** PCP messages against {@link PcpVectors}, and §8.3's rules for what is not a valid request. */
class PcpCodecTest {
    static final Nonce N = new Nonce(0x01020304, 0x05060708, 0x090a0b0c);
    static final Address CLIENT_10_0_0_5 = Address.ofIpv4(0x0A000005);
    static final Address EXT = Address.ofIpv4(0xCB007101);
    static final Address PEER_198 = Address.ofIpv4(0xC6336407);
    static final MapData MAP_DATA = new MapData(N, 17, 5000, 5001, Address.ofIpv4(0));

    static Pcp.Request valid(String hex) {
        var d = PcpCodec.decodeRequest(buf(hex));
        return assertInstanceOf(PcpCodec.Valid.class, d, d.toString()).request();
    }

    static Result invalid(String hex) {
        var d = PcpCodec.decodeRequest(buf(hex));
        return assertInstanceOf(PcpCodec.Invalid.class, d, d.toString()).result();
    }

    @Test
    void mapRequestBothWays() {
        var r = new Pcp.Request(Opcode.MAP, 7200, CLIENT_10_0_0_5, MAP_DATA, List.of());
        assertEquals(r, valid(MAP_REQUEST));
        assertEquals(MAP_REQUEST, written(o -> PcpCodec.encodeRequest(r, o)));
    }

    @Test
    void mapResponseBothWays() {
        var r = new Pcp.Response(Opcode.MAP, Result.SUCCESS, 7200, 42, new MapData(N, 17, 5000, 5001, EXT), List.of());
        assertEquals(MAP_RESPONSE, written(o -> PcpCodec.encodeResponse(r, o)));
        assertEquals(r, PcpCodec.decodeResponse(buf(MAP_RESPONSE)));
    }

    @Test
    void optionsBothWays() {
        String hex = MAP_REQUEST + THIRD_PARTY_10_0_0_9 + PREFER_FAILURE + FILTER_120;
        var r = valid(hex);
        assertEquals(List.of(new ThirdParty(Address.ofIpv4(0x0A000009)), new PreferFailure(), new Filter(120, 0, PEER_198)),
                r.options());
        assertEquals(hex, written(o -> PcpCodec.encodeRequest(r, o)));
        var resp = new Pcp.Response(Opcode.MAP, Result.SUCCESS, 7200, 42, new MapData(N, 17, 5000, 5001, EXT), r.options());
        String respHex = MAP_RESPONSE + THIRD_PARTY_10_0_0_9 + PREFER_FAILURE + FILTER_120;
        assertEquals(respHex, written(o -> PcpCodec.encodeResponse(resp, o)));
        assertEquals(resp, PcpCodec.decodeResponse(buf(respHex)));
    }

    @Test
    void peerBothWays() {
        var data = new PeerData(N, 6, 5000, 0, Address.ofIpv4(0), 443, PEER_198);
        var r = new Pcp.Request(Opcode.PEER, 600, CLIENT_10_0_0_5, data, List.of());
        assertEquals(r, valid(PEER_REQUEST));
        assertEquals(PEER_REQUEST, written(o -> PcpCodec.encodeRequest(r, o)));
        var resp = new Pcp.Response(Opcode.PEER, Result.SUCCESS, 600, 42, new PeerData(N, 6, 5000, 40000, EXT, 443, PEER_198),
                List.of());
        assertEquals(PEER_RESPONSE, written(o -> PcpCodec.encodeResponse(resp, o)));
        assertEquals(resp, PcpCodec.decodeResponse(buf(PEER_RESPONSE)));
    }

    @Test
    void announceBothWays() {
        assertEquals(new Pcp.Request(Opcode.ANNOUNCE, 0, CLIENT_10_0_0_5, new Pcp.Announce(), List.of()), valid(ANNOUNCE_REQUEST));
        assertEquals(ANNOUNCE_RESPONSE, written(o -> PcpCodec.encodeAnnounce(42, o)));
        assertEquals(new Pcp.Response(Opcode.ANNOUNCE, Result.SUCCESS, 0, 42, new Pcp.Announce(), List.of()),
                PcpCodec.decodeResponse(buf(ANNOUNCE_RESPONSE)));
    }

    @Test
    void addressesReadAsIpv4MappedAndUnspecified() {
        assertEquals("10.0.0.5", CLIENT_10_0_0_5.toString());
        assertTrue(Address.ofIpv4(0).isUnspecified());
        assertTrue(Address.UNSPECIFIED.isUnspecified());
        assertFalse(Address.UNSPECIFIED.isIpv4Mapped());
        assertEquals("2001:0db8:0000:0000:0000:0000:0000:0001", new Address(0x20010db8_00000000L, 1).toString());
    }

    @Test
    void silenceForWhatIsTooShortOrAResponse() {
        for (String hex : List.of("", "02", MAP_REQUEST.substring(0, 40), MAP_RESPONSE, "02" + "81")) {
            assertInstanceOf(PcpCodec.Ignored.class, PcpCodec.decodeRequest(buf(hex)), hex);
        }
    }

    @Test
    void anotherVersionGetsUnsupportedVersionHeaderOnlyWithVersion2() {
        String v3 = "03" + MAP_REQUEST.substring(2);
        assertEquals(Result.UNSUPP_VERSION, invalid(v3));
        assertEquals(Result.UNSUPP_VERSION, invalid("01" + "01"), "even when shorter than a header");
        assertEquals("02" + "81" + "00" + "01"   // version 2, R | opcode 1, reserved, UNSUPP_VERSION
                   + "00000708"                   // lifetime 1800: a long lifetime error
                   + "0000002a" + RESERVED_96,
                written(o -> PcpCodec.encodeError(buf(v3), Result.UNSUPP_VERSION, 42, o)));
    }

    @Test
    void malformedRequestsEchoTheRequestTruncatedAndPadded() {
        String oversized = MAP_REQUEST + zeros(1104 - 60);
        assertEquals(Result.MALFORMED_REQUEST, invalid(oversized));
        String answer = written(o -> PcpCodec.encodeError(buf(oversized), Result.MALFORMED_REQUEST, 42, o));
        assertEquals(1100 * 2, answer.length(), "truncated to 1100 bytes");
        assertEquals("02" + "81" + "00" + "03" + "00000708" + "0000002a" + RESERVED_96 + MAP_REQUEST.substring(48),
                answer.substring(0, 120));

        String odd = MAP_REQUEST + "ff";
        assertEquals(Result.MALFORMED_REQUEST, invalid(odd));
        assertEquals("02" + "81" + "00" + "03" + "00000708" + "0000002a" + RESERVED_96 + MAP_REQUEST.substring(48) + "ff000000",
                written(o -> PcpCodec.encodeError(buf(odd), Result.MALFORMED_REQUEST, 42, o)));

        assertEquals(Result.MALFORMED_REQUEST, invalid(MAP_REQUEST.substring(0, 96)), "48 bytes: too short for MAP");
        assertEquals(Result.MALFORMED_REQUEST, invalid(PEER_REQUEST.substring(0, 120)), "60 bytes: too short for PEER");
    }

    @Test
    void anUnknownOpcodeGetsUnsupportedOpcode() {
        String op5 = "02" + "05" + "0000" + "00000000" + CLIENT;
        assertEquals(Result.UNSUPP_OPCODE, invalid(op5));
        assertEquals("02" + "85" + "00" + "04" + "00000708" + "0000002a" + RESERVED_96,
                written(o -> PcpCodec.encodeError(buf(op5), Result.UNSUPP_OPCODE, 42, o)));
    }

    @Test
    void optionRules() {
        // 0x7f: mandatory and unknown; 0x80: optional and unknown, skipped
        assertEquals(Result.UNSUPP_OPTION, invalid(MAP_REQUEST + "7f000000"));
        assertEquals(List.of(new PreferFailure()), valid(MAP_REQUEST + "80000004" + "aabbccdd" + PREFER_FAILURE).options());
        assertEquals(Result.MALFORMED_OPTION, invalid(PEER_REQUEST + PREFER_FAILURE), "PREFER_FAILURE is MAP's only");
        assertEquals(Result.MALFORMED_OPTION, invalid(ANNOUNCE_REQUEST + THIRD_PARTY_10_0_0_9), "no option is ANNOUNCE's");
        assertEquals(List.of(), valid(ANNOUNCE_REQUEST + "80000000").options());
        assertEquals(Result.MALFORMED_OPTION, invalid(MAP_REQUEST + THIRD_PARTY_10_0_0_9 + THIRD_PARTY_10_0_0_9), "twice");
        assertEquals(Result.MALFORMED_OPTION, invalid(MAP_REQUEST + "01000004" + "0a000009"), "THIRD_PARTY of 4 bytes");
        assertEquals(Result.MALFORMED_OPTION, invalid(MAP_REQUEST + "02000004" + "00000000"), "PREFER_FAILURE with data");
        assertEquals(Result.MALFORMED_OPTION, invalid(MAP_REQUEST + "80000008" + "00000000"), "runs past the end");
        assertEquals(2, valid(MAP_REQUEST + FILTER_120 + FILTER_120).options().size(), "FILTER may repeat");
        // an optional one of odd length is padded to 4 bytes
        assertEquals(List.of(new PreferFailure()), valid(MAP_REQUEST + "80000001" + "ff000000" + PREFER_FAILURE).options());
    }

    @Test
    void nonZeroReservedFieldsAreIgnored() {
        String hex = "02" + "01" + "ffff" + "00001c20" + CLIENT + NONCE + "11" + "ffffff" + "1388" + "1389" + ANY_V4;
        assertEquals(MAP_DATA, valid(hex).data());
    }

    @Test
    void decodeResponseRefusesWhatIsNone() {
        assertNull(PcpCodec.decodeResponse(buf(MAP_REQUEST)), "R bit clear");
        assertNull(PcpCodec.decodeResponse(buf(MAP_RESPONSE + "00")), "not a multiple of 4");
        assertNull(PcpCodec.decodeResponse(buf("02" + "85" + "00" + "04" + zeros(20))), "unknown opcode");
        var headerOnly = PcpCodec.decodeResponse(buf("02" + "81" + "00" + "01" + "00000708" + "0000002a" + RESERVED_96));
        assertEquals(new Pcp.Response(Opcode.MAP, Result.UNSUPP_VERSION, 1800, 42, null, List.of()), headerOnly);
    }
}
