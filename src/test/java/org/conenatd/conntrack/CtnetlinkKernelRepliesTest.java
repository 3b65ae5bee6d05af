package org.conenatd.conntrack;

import static org.conenatd.conntrack.CapturedConntrackVectors.*;
import static org.conenatd.netlink.NetlinkHex.segment;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import org.conenatd.sys.Errno;
import org.conenatd.netlink.MessageReader;
import org.conenatd.netlink.Netlink;
import org.conenatd.netlink.NetlinkException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * MessageReader on the kernel's real answers to ctnetlink creates (CapturedConntrackVectors), and
 * the NetlinkException NetlinkSocket.request would build from them.
 */
class CtnetlinkKernelRepliesTest {

    @BeforeAll
    static void hostIsLittleEndian() {
        assumeTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, "vectors spell host order as little-endian");
    }

    private static MessageReader single(String hex) {
        MemorySegment seg = segment(hex);
        MessageReader m = new MessageReader().wrap(seg, 0, seg.byteSize());
        assertTrue(m.next());
        return m;
    }

    /** What NetlinkSocket.request throws for an error answer. */
    private static NetlinkException asException(MessageReader m, String op) {
        return new NetlinkException(op, -m.errorCode(), m.extAck(), m.seq());
    }

    @Test
    void kernelAckToTheCreateIsErrorZeroForSeq7() {
        MessageReader m = single(CREATE_ACK);
        assertTrue(m.isError());
        assertEquals(0, m.errorCode());
        assertEquals(7, m.seq());
        assertEquals(7, m.errorRequestSeq());
        assertEquals(Netlink.NLM_F_CAPPED, m.flags());
        assertNull(m.extAck());
        assertFalse(m.next());
    }

    @Test
    void kernelEexistForTheSecondCreateNamesEexistAndSeq7() {
        MessageReader m = single(CREATE_EEXIST);
        assertTrue(m.isError());
        assertEquals(-Errno.EEXIST, m.errorCode());
        assertEquals(7, m.errorRequestSeq());
        assertNull(m.extAck());
        NetlinkException e = asException(m, Conntrack.describeDnat(Tuple.IPPROTO_UDP, 
                ConntrackEncodeTest.WAN, 3478, ConntrackEncodeTest.NAT, 40000, ConntrackEncodeTest.LAN, 5000));
        assertEquals("create udp 198.51.100.7:3478 -> 203.0.113.1:40000 dnat 10.0.0.2:5000: EEXIST (File exists) [seq 7]",
                e.getMessage());
        assertEquals(Errno.EEXIST, e.errno());
    }

    @Test
    void kernelPolicyFailureCappedCarriesTheExtAckText() {
        MessageReader m = single(BAD_TIMEOUT_CAPPED);
        assertEquals(Netlink.NLM_F_CAPPED | Netlink.NLM_F_ACK_TLVS, m.flags());
        assertEquals(-34, m.errorCode());
        assertEquals(9, m.errorRequestSeq());
        assertEquals("Attribute failed policy validation", m.extAck());
        NetlinkException e = asException(m, "create");
        assertTrue(e.getMessage().startsWith("create: ERANGE ("), e.getMessage());
        assertTrue(e.getMessage().endsWith("): Attribute failed policy validation [seq 9]"), e.getMessage());
        assertEquals("Attribute failed policy validation", e.extAck());
    }

    @Test
    void kernelPolicyFailureUncappedSkipsTheWholeEchoedRequestToFindTheText() {
        MessageReader m = single(BAD_TIMEOUT_UNCAPPED);
        assertEquals(Netlink.NLM_F_ACK_TLVS, m.flags());
        assertEquals(276, m.length());
        assertEquals(-34, m.errorCode());
        assertEquals(9, m.errorRequestSeq());
        assertEquals("Attribute failed policy validation", m.extAck());
        assertFalse(m.next());
        assertNull(m.error());
    }

    @Test
    void repliesAreNotConntrackEvents() {
        for (String hex : new String[] {CREATE_ACK, CREATE_EEXIST, BAD_TIMEOUT_CAPPED, BAD_TIMEOUT_UNCAPPED}) {
            MessageReader m = single(hex);
            assertNull(Event.decode(m));
        }
    }
}
