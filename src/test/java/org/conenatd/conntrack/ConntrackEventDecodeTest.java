package org.conenatd.conntrack;

import static org.conenatd.conntrack.CapturedConntrackVectors.*;
import static org.conenatd.netlink.NetlinkHex.bytes;
import static org.conenatd.netlink.NetlinkHex.segment;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.conenatd.netlink.Decoder;
import org.conenatd.netlink.MessageReader;
import org.conenatd.netlink.Netlink;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Event.decode / Flow.decode on the kernel's own event bytes (CapturedConntrackVectors). */
class ConntrackEventDecodeTest {

    @BeforeAll
    static void hostIsLittleEndian() {
        assumeTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, "vectors spell host order as little-endian");
    }

    private final Decoder a = new Decoder();

    /** Every event decodeEvent returns for the messages of one datagram. */
    private List<Event> decodeAll(byte[] datagram) {
        MemorySegment seg = segment(datagram);
        MessageReader m = new MessageReader().wrap(seg, 0, seg.byteSize());
        List<Event> out = new ArrayList<>();
        while (m.next()) {
            Event e = Event.decode(m);
            if (e != null) out.add(e);
        }
        return out;
    }

    private Event decodeOne(String hex) {
        MemorySegment seg = segment(hex);
        MessageReader m = new MessageReader().wrap(seg, 0, seg.byteSize());
        assertTrue(m.next(), "one message");
        Event e = Event.decode(m);
        assertFalse(m.next());
        assertNull(m.error());
        return e;
    }

    @Test
    void kernelNewEventOfAMasqueradedFlowDecodesToItsTuplesAndStatus() {
        Event e = decodeOne(NEW_EVENT);
        assertNotNull(e);
        assertEquals(Event.Type.NEW, e.type());
        Flow f = e.flow();
        assertEquals(Tuple.udp(C_ADDR, 40000, S_ADDR, 3478), f.orig());
        // MASQUERADE rewrote the reply destination to R's address; the port was kept
        assertEquals(Tuple.udp(S_ADDR, 3478, R_WAN_ADDR, 40000), f.reply());
        assertEquals(0x198, f.status());
        assertTrue(f.has(Status.IPS_SRC_NAT));
        assertTrue(f.has(Status.IPS_SRC_NAT_DONE));
        assertTrue(f.has(Status.IPS_CONFIRMED));
        assertFalse(f.has(Status.IPS_DST_NAT));
        assertFalse(f.has(Status.IPS_SEEN_REPLY), "the event precedes the reply");
        assertEquals(FLOW_ID, f.id());
        assertEquals(30, f.timeout());
        assertEquals(0, f.mark(), "no CTA_MARK in the event: mark 0");
        assertEquals(0, f.zone());
        assertEquals("udp 10.88.1.2:40000 -> 198.51.100.2:3478 | reply udp 198.51.100.2:3478 -> 198.51.100.1:40000"
                + " [CONFIRMED|SRC_NAT|SRC_NAT_DONE|DST_NAT_DONE]", f.toString());
    }

    @Test
    void kernelDestroyEventDecodesToTheSameFlowMarkedDying() {
        Event e = decodeOne(DESTROY_EVENT);
        assertNotNull(e);
        assertEquals(Event.Type.DESTROY, e.type());
        Flow f = e.flow();
        assertEquals(Tuple.udp(C_ADDR, 40000, S_ADDR, 3478), f.orig());
        assertEquals(Tuple.udp(S_ADDR, 3478, R_WAN_ADDR, 40000), f.reply());
        assertEquals(0x39a, f.status());
        assertTrue(f.has(Status.IPS_SRC_NAT));
        assertFalse(f.has(Status.IPS_DST_NAT));
        assertTrue(f.has(Status.IPS_SEEN_REPLY), "S answered before the delete");
        assertTrue(f.has(Status.IPS_DYING));
        assertEquals(FLOW_ID, f.id(), "same entry as the NEW event");
        assertEquals(29, f.timeout());
    }

    @Test
    void newAndDestroyInOneDatagramBothDecode() {
        byte[] both = bytes(NEW_EVENT + DESTROY_EVENT);
        List<Event> events = decodeAll(both);
        assertEquals(List.of(Event.Type.NEW, Event.Type.DESTROY), events.stream().map(Event::type).toList());
        assertEquals(events.get(0).flow().orig(), events.get(1).flow().orig());
    }

    @Test
    void eventTypeComesFromTheMessageTypeAndTheCreateExclFlags() {
        int ctNew = 0x0100, ctGet = 0x0101, ctDelete = 0x0102;
        assertEquals(Event.Type.NEW, Event.Type.of(ctNew, Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL));
        assertEquals(Event.Type.UPDATE, Event.Type.of(ctNew, 0));
        assertEquals(Event.Type.UPDATE, Event.Type.of(ctNew, Netlink.NLM_F_MULTI), "a dump entry");
        assertEquals(Event.Type.DESTROY, Event.Type.of(ctDelete, 0));
        assertNull(Event.Type.of(ctGet, 0));
        assertNull(Event.Type.of(0x0103, 0), "IPCTNL_MSG_CT_GET_CTRZERO");
    }

    @Test
    void newEventWithoutCreateFlagsIsAnUpdate() {
        byte[] b = bytes(NEW_EVENT);
        b[6] = 0;
        b[7] = 0;                                  // nlmsg_flags 0, as the kernel sends updates
        Event e = decodeAll(b).getFirst();
        assertEquals(Event.Type.UPDATE, e.type());
    }

    @Test
    void ipv6EventDecodesToNull() {
        assertNull(decodeOne(IPV6_NEW_EVENT));
    }

    @Test
    void messagesOfOtherSubsystemsOrTypesDecodeToNull() {
        // the NEW event relabelled: ctnetlink_exp (subsystem 2), queue (3), IPCTNL_MSG_CT_GET
        for (int type : new int[] {0x0200, 0x0300, 0x0101, 0x0000}) {
            byte[] b = bytes(NEW_EVENT);
            b[4] = (byte) type;
            b[5] = (byte) (type >> 8);
            assertEquals(List.of(), decodeAll(b), Integer.toHexString(type));
        }
        assertNull(decodeOne(CREATE_ACK), "NLMSG_ERROR");
        assertNull(decodeOne("14000000" + "0300" + "0200" + "01000000" + "00000000" + "00000000"), "NLMSG_DONE");
    }

    @Test
    void missingReplyTupleDecodesToNull() {
        // NEW_EVENT with CTA_TUPLE_REPLY relabelled as type 0x7f (unknown, skipped)
        byte[] b = bytes(NEW_EVENT);
        int reply = 16 + 4 + 52;
        assertEquals(0x8002, Short.toUnsignedInt(segment(b).get(ValueLayout.JAVA_SHORT_UNALIGNED, reply + 2)));
        b[reply + 2] = 0x7f;
        assertEquals(List.of(), decodeAll(b));
    }

    @Test
    void corruptNestedLengthDecodesToNull() {
        // CTA_TUPLE_IP inside CTA_TUPLE_ORIG claims 49 bytes; its parent's payload has 48
        byte[] b = bytes(NEW_EVENT);
        int tupleIp = 16 + 4 + 4;
        assertEquals(20, b[tupleIp]);
        b[tupleIp] = 0x31;
        assertEquals(List.of(), decodeAll(b));
    }

    @Test
    void truncatedEventNeverThrowsAndDecodesOnlyAtAttributeBoundariesAfterBothTuples() {
        byte[] full = bytes(NEW_EVENT);
        // ends of CTA_TUPLE_REPLY, CTA_ID, CTA_STATUS: cutting there leaves a shorter but well-formed event
        Set<Integer> boundaries = Set.of(124, 132, 140);
        for (int len = 16; len < full.length; len++) {
            byte[] cut = java.util.Arrays.copyOf(full, len);
            cut[0] = (byte) len;                   // nlmsg_len follows the cut: the attributes are what's short
            List<Event> events = decodeAll(cut);
            if (boundaries.contains(len)) {
                assertEquals(1, events.size(), "cut at " + len);
                assertEquals(Tuple.udp(S_ADDR, 3478, R_WAN_ADDR, 40000), events.getFirst().flow().reply());
            } else {
                assertEquals(List.of(), events, "cut at " + len);
            }
        }
    }

    @Test
    void datagramCutShorterThanItsNlmsgLenYieldsNoEventAndAReaderError() {
        byte[] full = bytes(NEW_EVENT);
        for (int len = 0; len < full.length; len++) {
            MemorySegment seg = segment(java.util.Arrays.copyOf(full, len));
            MessageReader m = new MessageReader().wrap(seg, 0, len);
            assertFalse(m.next(), "cut at " + len);
            assertEquals(len != 0, m.error() != null);
        }
    }

    @Test
    void flowDecodeIsReusableWithTheSameScratchDecoders() {
        assertNotNull(decodeOne(NEW_EVENT));
        assertNull(decodeOne(IPV6_NEW_EVENT));
        Event again = decodeOne(DESTROY_EVENT);
        assertNotNull(again, "a failed decode leaves no error behind in the scratch decoders");
        assertEquals(FLOW_ID, again.flow().id());
    }

    @Test
    void statusDescribeNamesTheBits() {
        assertEquals("SEEN_REPLY|CONFIRMED|SRC_NAT|SRC_NAT_DONE|DST_NAT_DONE|DYING", Status.describe(0x39a));
        assertEquals("0", Status.describe(0));
        assertEquals(1 << 5, Status.IPS_DST_NAT.mask);
    }
}
