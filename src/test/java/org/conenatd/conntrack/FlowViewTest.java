package org.conenatd.conntrack;

import org.conenatd.netlink.MessageReader;
import org.conenatd.netlink.NetlinkHex;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.*;

/** The allocation-free event decoding agrees with the record decoding on real kernel events. */
class FlowViewTest {

    private static void sameAsRecord(String hex) {
        MemorySegment seg = NetlinkHex.segment(hex);
        MessageReader m = new MessageReader().wrap(seg, 0, seg.byteSize());
        assertTrue(m.next());
        Flow record = Flow.decode(m);
        FlowView view = new FlowView();
        assertTrue(view.decode(m));
        assertNotNull(record);
        assertEquals(record.orig(), view.toFlow().orig());
        assertEquals(record.reply(), view.toFlow().reply());
        assertEquals(record.status(), view.status);
        assertEquals(record.mark(), view.mark);
        assertEquals(record.id(), view.id);
    }

    @Test
    void newEventDecodesToTheSameFlowAsTheRecordDecoder() {
        sameAsRecord(CapturedConntrackVectors.NEW_EVENT);
    }

    @Test
    void destroyEventDecodesToTheSameFlowAsTheRecordDecoder() {
        sameAsRecord(CapturedConntrackVectors.DESTROY_EVENT);
    }

    @Test
    void ipv6AndTruncatedEventsAreRefused() {
        MemorySegment v6 = NetlinkHex.segment(CapturedConntrackVectors.IPV6_NEW_EVENT);
        MessageReader m = new MessageReader().wrap(v6, 0, v6.byteSize());
        assertTrue(m.next());
        assertFalse(new FlowView().decode(m));

        byte[] full = NetlinkHex.segment(CapturedConntrackVectors.NEW_EVENT).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        FlowView view = new FlowView();
        int accepted = 0;
        for (int cut = 20; cut <= full.length; cut++) {
            byte[] part = java.util.Arrays.copyOf(full, cut);
            java.nio.ByteBuffer.wrap(part).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0, cut); // nlmsg_len
            MemorySegment seg = NetlinkHex.segment(part);
            MessageReader r = new MessageReader().wrap(seg, 0, cut);
            assertTrue(r.next(), "cut at " + cut);
            if (view.decode(r)) accepted++;
        }
        assertTrue(accepted >= 1, "the whole message decodes");
        byte[] headerOnly = java.util.Arrays.copyOf(full, 24);
        java.nio.ByteBuffer.wrap(headerOnly).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0, 24);
        MessageReader r = new MessageReader().wrap(NetlinkHex.segment(headerOnly), 0, 24);
        assertTrue(r.next());
        assertFalse(view.decode(r), "no tuples, no flow");
    }
}
