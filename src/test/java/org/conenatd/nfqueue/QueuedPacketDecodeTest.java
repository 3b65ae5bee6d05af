package org.conenatd.nfqueue;

import static org.conenatd.netlink.NetlinkHex.hex;
import static org.conenatd.nfqueue.NfQueueVectors.*;
import static org.conenatd.netlink.NetlinkHex.segment;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import org.conenatd.netlink.MessageReader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * QueuedPacket.decode on packet messages laid out from linux/netfilter/nfnetlink_queue.h:
 *
 * <pre>
 *   nlmsg_type NFNL_SUBSYS_QUEUE << 8 | NFQNL_MSG_PACKET = 0x0300; nfgenmsg res_id = queue number
 *   struct nfqnl_msg_packet_hdr { __be32 packet_id; __be16 hw_protocol; __u8 hook; } __packed  (7 bytes)
 *   NFQA_PACKET_HDR 1, NFQA_MARK 3 (__be32), NFQA_IFINDEX_INDEV 5 (__be32), NFQA_HWADDR 9, NFQA_PAYLOAD 10
 * </pre>
 *
 * plus one the kernel sent (see capture-nfqueue-vectors.sh). The vectors are in NfQueueVectors.
 */
class QueuedPacketDecodeTest {

    @BeforeAll
    static void hostIsLittleEndian() {
        assumeTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, "vectors spell host order as little-endian");
    }

    private final QueuedPacket p = new QueuedPacket();

    /** A NFQNL_MSG_PACKET message (flags, seq and pid 0) around {@code body}, nlmsg_len computed. */
    private static String packetMsg(String body) {
        return org.conenatd.netlink.NetlinkHex.le32(16 + body.length() / 2) + "0003" + "0000" + "00000000" + "00000000" + body;
    }

    private static MessageReader single(String hex) {
        MemorySegment seg = segment(hex);
        MessageReader m = new MessageReader().wrap(seg, 0, seg.byteSize());
        assertTrue(m.next(), "one message");
        return m;
    }

    @Test
    void handBuiltPacketDecodesToEveryField() {
        MessageReader m = single(HAND_PACKET);
        assertTrue(QueuedPacket.isPacket(m));
        assertTrue(p.decode(m));
        assertEquals(300, p.queue());
        assertEquals(258, p.id());
        assertEquals(0x0800, p.hwProtocol());
        assertEquals(0, p.hook());
        assertEquals(0x8000002a, p.mark());
        assertEquals(3, p.inputInterface());
        assertTrue(p.hasPayload());
        assertEquals(16 + 4 + 12 + 8 + 8 + 4, p.payloadOffset());
        assertEquals(29, p.payloadLength());
        assertEquals(INBOUND_IP, hex(p.segment(), p.payloadOffset(), p.payloadLength()));
    }

    @Test
    void kernelPacketDecodesWithItsUnpaddedPayload() {
        MessageReader m = single(KERNEL_PACKET);
        assertEquals(95, m.length());
        assertTrue(p.decode(m));
        assertEquals(7, p.queue());
        assertEquals(1, p.id());
        assertEquals(0x0800, p.hwProtocol());
        assertEquals(1, p.hook(), "NF_INET_LOCAL_IN");
        assertEquals(0, p.mark(), "the kernel leaves NFQA_MARK out for mark 0");
        assertEquals(1, p.inputInterface());
        assertEquals(60, p.payloadOffset());
        assertEquals(35, p.payloadLength());
        assertEquals(KERNEL_PACKET.substring(120), hex(p.segment(), p.payloadOffset(), p.payloadLength()));
        assertFalse(m.next());
    }

    @Test
    void viewIsReusedAndFieldsAbsentFromTheNextMessageAreReset() {
        assertTrue(p.decode(single(HAND_PACKET)));
        assertTrue(p.decode(single(KERNEL_PACKET)));
        assertEquals(0, p.mark());
        assertEquals(1, p.id());
        String noPayload = packetMsg("02000007"
                         + "0b000100" + "00000005" + "0800" + "03" + "00"
                         + "08000300" + "00000001"
                         + "08000500" + "00000002");
        assertTrue(p.decode(single(noPayload)));
        assertFalse(p.hasPayload());
        assertEquals(0, p.payloadLength());
        assertEquals(5, p.id());
        assertEquals(3, p.hook(), "NF_INET_FORWARD");
    }

    @Test
    void packetIdZeroAfterTheKernelCounterWrapsDecodes() {
        String msg = HAND_PACKET.substring(0, 48) + "00000000" + HAND_PACKET.substring(56);
        assertTrue(p.decode(single(msg)));
        assertEquals(0, p.id());
    }

    /**
     * 0xffffffff is a real packet id: the kernel numbers queued packets with
     * {@code entry->id = ++queue->id_sequence}, an unsigned int that wraps
     * (net/netfilter/nfnetlink_queue.c, __nfqnl_enqueue_packet), so every 2^32 packets on a queue
     * one has id 0xffffffff. It must decode like any other, or the packet would get no verdict and
     * stay held in the queue until the queue is unbound.
     */
    @Test
    void packetIdFfffffffAfterTheKernelsCounterWrapsStillDecodes() {
        String msg = HAND_PACKET.substring(0, 48) + "ffffffff" + HAND_PACKET.substring(56);
        assertTrue(p.decode(single(msg)), "packet id 0xffffffff rejected");
        assertEquals(0xffffffff, p.id());
        assertEquals(0x8000002a, p.mark());
    }

    @Test
    void truncatedPacketHeaderIsRejected() {
        // NFQA_PACKET_HDR with 6 of its 7 bytes (hook missing), and with only the packet id
        for (String hdr : new String[] {"0a000100" + "00000102" + "0800" + "0000", "08000100" + "00000102"}) {
            String msg = packetMsg("0200012c" + hdr);
            assertFalse(p.decode(single(msg)), hdr);
        }
    }

    @Test
    void packetWithoutPacketHeaderIsRejected() {
        String msg = packetMsg("0200012c" + "08000300" + "00000001" + "08000a00" + "45000014");
        assertFalse(p.decode(single(msg)));
    }

    @Test
    void malformedAttributeAfterAGoodHeaderIsRejected() {
        // NFQA_MARK with 2 bytes, then NFQA_PAYLOAD claiming more than there is
        String shortMark = packetMsg("02000007"
                + "0b000100" + "00000001" + "0800" + "01" + "00" + "06000300" + "0001" + "0000");
        assertFalse(p.decode(single(shortMark)));
        String overrun = packetMsg("02000007"
                + "0b000100" + "00000001" + "0800" + "01" + "00" + "40000a00" + "45000014");
        assertFalse(p.decode(single(overrun)));
    }

    @Test
    void messageShorterThanNfgenmsgIsRejected() {
        assertFalse(p.decode(single(packetMsg("0200"))));
        assertEquals(-1, p.queue());
    }

    @Test
    void otherMessageTypesAreNotPackets() {
        for (String type : new String[] {"0103", "0203", "0001", "0200"}) { // verdict, config, ct NEW, NLMSG_ERROR
            String msg = HAND_PACKET.substring(0, 8) + type + HAND_PACKET.substring(12);
            MessageReader m = single(msg);
            assertFalse(QueuedPacket.isPacket(m), type);
            assertFalse(p.decode(m), type);
        }
    }

    @Test
    void twoPacketsInOneDatagramDecodeOneAfterTheOther() {
        MemorySegment seg = segment(HAND_PACKET + KERNEL_PACKET);
        MessageReader m = new MessageReader().wrap(seg, 0, seg.byteSize());
        assertTrue(m.next());
        assertTrue(p.decode(m));
        assertEquals(258, p.id());
        assertTrue(m.next());
        assertTrue(p.decode(m));
        assertEquals(1, p.id());
        assertEquals(84 + 60, p.payloadOffset());
        assertFalse(m.next());
    }
}
