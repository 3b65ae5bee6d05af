package org.conenatd.portmap.pcp;

import org.conenatd.portmap.FakePortMapper;
import org.conenatd.portmap.pcp.PortMapResponder.Outcome;
import org.conenatd.portmap.pcp.PortMapResponder.Reply;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.conenatd.portmap.pcp.Bytes.buf;
import static org.conenatd.portmap.pcp.Bytes.hex;
import static org.junit.jupiter.api.Assertions.*;

/** Datagram in, datagram out: the RFC vectors through the whole path, with the fake mapper. */
class PortMapResponderTest {
    static final int HOST = 0x0A000005;
    final FakePortMapper mapper = new FakePortMapper(5001, 5001);
    final PortMapResponder responder = new PortMapResponder(new PortMapHandler(mapper, false));
    final ByteBuffer out = ByteBuffer.allocate(Pcp.MAX_LENGTH);

    Reply answer(String hex) {
        out.clear();
        Reply r = responder.answer(buf(hex), HOST, out);
        out.flip();
        return r;
    }

    @Test
    void pcpMapVectorGetsItsResponseVector() {
        Reply r = answer(PcpVectors.MAP_REQUEST);
        assertEquals(PcpVectors.MAP_RESPONSE, hex(out));
        assertEquals(new Reply(Dialect.PCP, Outcome.GRANTED, "pcp 10.0.0.5: MAP 5000/udp mapped to 203.0.113.1:5001 for 7200 s"), r);
    }

    @Test
    void natPmpVectorsGetTheirResponses() {
        assertEquals(Outcome.ANSWERED, answer(NatPmpCodecTest.ADDRESS_REQUEST).outcome());
        assertEquals(NatPmpCodecTest.ADDRESS_RESPONSE, hex(out));
        mapper.taken.add(5001);
        Reply r = answer(NatPmpCodecTest.MAP_UDP_REQUEST);
        assertEquals("00" + "81" + "0004" + "0000002a" + "1388" + "0000" + "00000000", hex(out), "pool used up: result 4");
        assertEquals(new Reply(Dialect.NATPMP, Outcome.REFUSED, "natpmp 10.0.0.5: 5000/udp refused: OUT_OF_RESOURCES"), r);
    }

    @Test
    void versionsOtherThanZeroAndTwoArePcpsUnsupportedVersion() {
        Reply r = answer("01" + "00" + "0000");
        assertEquals(Dialect.PCP, r.dialect());
        assertEquals(Outcome.REFUSED, r.outcome());
        assertEquals("02" + "80" + "00" + "01" + "00000708" + "0000002a" + PcpVectors.RESERVED_96, hex(out));
    }

    @Test
    void silenceWritesNothing() {
        assertEquals(new Reply(null, Outcome.DROPPED, null), answer(""));
        assertEquals(0, out.remaining());
        assertEquals(new Reply(Dialect.NATPMP, Outcome.DROPPED, null), answer("00"));
        assertEquals(new Reply(Dialect.PCP, Outcome.DROPPED, null), answer(PcpVectors.MAP_RESPONSE));
        assertEquals(0, out.remaining());
    }

    @Test
    void aDeletionIsCountedAsOne() {
        answer(PcpVectors.MAP_REQUEST);
        String delete = PcpVectors.MAP_REQUEST.substring(0, 8) + "00000000" + PcpVectors.MAP_REQUEST.substring(16);
        assertEquals(Outcome.DELETED, answer(delete).outcome());
        assertEquals(0, mapper.leases().size());
    }
}
