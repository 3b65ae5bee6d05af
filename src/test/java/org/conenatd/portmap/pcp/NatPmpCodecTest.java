package org.conenatd.portmap.pcp;

import org.conenatd.nat.Protocol;
import org.conenatd.portmap.pcp.NatPmp.ExternalAddressRequest;
import org.conenatd.portmap.pcp.NatPmp.ExternalAddressResponse;
import org.conenatd.portmap.pcp.NatPmp.MapRequest;
import org.conenatd.portmap.pcp.NatPmp.MapResponse;
import org.conenatd.portmap.pcp.NatPmp.Result;
import org.junit.jupiter.api.Test;

import static org.conenatd.portmap.pcp.Bytes.buf;
import static org.conenatd.portmap.pcp.Bytes.written;
import static org.junit.jupiter.api.Assertions.*;

/** NAT-PMP messages against vectors written field by field from RFC 6886 §3.2-3.5. */
class NatPmpCodecTest {
    /** §3.2: version 0, opcode 0. */
    static final String ADDRESS_REQUEST = "00" + "00";

    /** §3.2: external address 203.0.113.1, 42 s into the epoch. */
    static final String ADDRESS_RESPONSE =
            "00"           // version 0
          + "80"           // opcode 128 = 0 + 128
          + "0000"         // result code 0, success
          + "0000002a"     // seconds since start of epoch: 42
          + "cb007101";    // external IPv4 address 203.0.113.1

    /** §3.3: map UDP 5000, suggesting public port 5001, for 3600 s. */
    static final String MAP_UDP_REQUEST =
            "00"           // version 0
          + "01"           // opcode 1, map UDP
          + "0000"         // reserved
          + "1388"         // internal port 5000
          + "1389"         // suggested external port 5001
          + "00000e10";    // requested lifetime 3600 s

    /** §3.3: the answer, public port 40000 for 3600 s. */
    static final String MAP_UDP_RESPONSE =
            "00"           // version 0
          + "81"           // opcode 129 = 1 + 128
          + "0000"         // success
          + "0000002a"     // epoch 42
          + "1388"         // internal port 5000
          + "9c40"         // mapped external port 40000
          + "00000e10";    // lifetime 3600 s

    /** §3.4: delete TCP 22's mapping: lifetime 0, suggested port 0. */
    static final String DELETE_TCP_REQUEST = "00" + "02" + "0000" + "0016" + "0000" + "00000000";
    static final String DELETE_TCP_RESPONSE = "00" + "82" + "0000" + "0000002a" + "0016" + "0000" + "00000000";

    @Test
    void externalAddressRequestBothWays() {
        assertEquals(new NatPmpCodec.Valid(new ExternalAddressRequest()), NatPmpCodec.decodeRequest(buf(ADDRESS_REQUEST)));
        assertEquals(ADDRESS_REQUEST, written(o -> NatPmpCodec.encodeRequest(new ExternalAddressRequest(), o)));
    }

    @Test
    void externalAddressResponseBothWays() {
        var r = new ExternalAddressResponse(Result.SUCCESS, 42, 0xCB007101);
        assertEquals(ADDRESS_RESPONSE, written(o -> NatPmpCodec.encodeResponse(r, o)));
        assertEquals(r, NatPmpCodec.decodeResponse(buf(ADDRESS_RESPONSE)));
    }

    @Test
    void mapRequestAndResponseBothWays() {
        var req = new MapRequest(Protocol.UDP, 5000, 5001, 3600);
        assertEquals(new NatPmpCodec.Valid(req), NatPmpCodec.decodeRequest(buf(MAP_UDP_REQUEST)));
        assertEquals(MAP_UDP_REQUEST, written(o -> NatPmpCodec.encodeRequest(req, o)));
        var resp = new MapResponse(Protocol.UDP, Result.SUCCESS, 42, 5000, 40000, 3600);
        assertEquals(MAP_UDP_RESPONSE, written(o -> NatPmpCodec.encodeResponse(resp, o)));
        assertEquals(resp, NatPmpCodec.decodeResponse(buf(MAP_UDP_RESPONSE)));
    }

    @Test
    void tcpDeletionBothWays() {
        var req = new MapRequest(Protocol.TCP, 22, 0, 0);
        assertEquals(new NatPmpCodec.Valid(req), NatPmpCodec.decodeRequest(buf(DELETE_TCP_REQUEST)));
        var resp = new MapResponse(Protocol.TCP, Result.SUCCESS, 42, 22, 0, 0);
        assertEquals(DELETE_TCP_RESPONSE, written(o -> NatPmpCodec.encodeResponse(resp, o)));
        assertEquals(resp, NatPmpCodec.decodeResponse(buf(DELETE_TCP_RESPONSE)));
    }

    @Test
    void theReservedFieldIsIgnoredAndTrailingBytesToo() {
        var d = NatPmpCodec.decodeRequest(buf("00" + "01" + "ffff" + "1388" + "0000" + "00000e10" + "deadbeef"));
        assertEquals(new NatPmpCodec.Valid(new MapRequest(Protocol.UDP, 5000, 0, 3600)), d);
    }

    @Test
    void aLifetimeAbove2To31IsReadUnsigned() {
        var d = (NatPmpCodec.Valid) NatPmpCodec.decodeRequest(buf("00" + "01" + "0000" + "1388" + "0000" + "ffffffff"));
        assertEquals(0xFFFF_FFFFL, ((MapRequest) d.request()).lifetime());
    }

    @Test
    void anotherVersionIsAnsweredUnsupportedVersionWithOpcode128() {
        String req = "01" + "00";
        assertInstanceOf(NatPmpCodec.Unsupported.class, NatPmpCodec.decodeRequest(buf(req)));
        // §3.5 with erratum 3618: version 0, opcode 128, result 1, epoch
        assertEquals("00" + "80" + "0001" + "0000002a",
                written(o -> NatPmpCodec.encodeError(buf(req), Result.UNSUPPORTED_VERSION, 42, o)));
    }

    @Test
    void anUnknownOpcodeIsEchoedWithTheTopBitAndResult5() {
        String req = "00" + "03" + "0000" + "11223344" + "5566";
        var d = NatPmpCodec.decodeRequest(buf(req));
        assertEquals(Result.UNSUPPORTED_OPCODE, ((NatPmpCodec.Unsupported) d).result());
        assertEquals("00" + "83" + "0005" + "0000002a" + "5566",
                written(o -> NatPmpCodec.encodeError(buf(req), Result.UNSUPPORTED_OPCODE, 42, o)));
        // a 2-byte one still gets the 8-byte header every response starts with
        assertEquals("00" + "8f" + "0005" + "0000002a",
                written(o -> NatPmpCodec.encodeError(buf("000f"), Result.UNSUPPORTED_OPCODE, 42, o)));
    }

    @Test
    void shortOversizedAndResponsesAreIgnored() {
        assertInstanceOf(NatPmpCodec.Ignored.class, NatPmpCodec.decodeRequest(buf("")));
        assertInstanceOf(NatPmpCodec.Ignored.class, NatPmpCodec.decodeRequest(buf("00")));
        assertInstanceOf(NatPmpCodec.Ignored.class, NatPmpCodec.decodeRequest(buf(MAP_UDP_REQUEST.substring(0, 22))));
        assertInstanceOf(NatPmpCodec.Ignored.class, NatPmpCodec.decodeRequest(buf(ADDRESS_RESPONSE)));
        assertInstanceOf(NatPmpCodec.Ignored.class, NatPmpCodec.decodeRequest(buf("0000" + Bytes.zeros(1099))));
    }

    @Test
    void decodingLeavesTheBufferAsItWas() {
        var b = buf("ffff" + MAP_UDP_REQUEST).position(2);
        assertInstanceOf(NatPmpCodec.Valid.class, NatPmpCodec.decodeRequest(b));
        assertEquals(2, b.position());
    }

    @Test
    void anErrorResponseMayStopAfterItsHeader() {
        var r = NatPmpCodec.decodeResponse(buf("00" + "81" + "0004" + "0000002a"));
        assertEquals(new MapResponse(Protocol.UDP, Result.OUT_OF_RESOURCES, 42, 0, 0, 0), r);
        assertNull(NatPmpCodec.decodeResponse(buf("00" + "81" + "0000" + "0000002a")), "a success needs its fields");
        assertNull(NatPmpCodec.decodeResponse(buf(MAP_UDP_REQUEST)), "a request is no response");
        assertNull(NatPmpCodec.decodeResponse(buf("00" + "80" + "0009" + "0000002a" + "00000000")), "result 9 is undefined");
    }
}
