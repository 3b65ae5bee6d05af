package org.conenatd.nfqueue;

import static org.conenatd.netlink.NetlinkHex.dirtyEncoder;
import static org.conenatd.netlink.NetlinkHex.hex;
import static org.conenatd.netlink.NetlinkHex.le32;
import static org.conenatd.netlink.NetlinkHex.segment;
import static org.conenatd.netlink.NetlinkHex.written;
import static org.conenatd.nfqueue.Nfqnl.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.conenatd.netlink.Decoder;
import org.conenatd.netlink.Encoder;
import org.conenatd.netlink.MessageReader;
import org.conenatd.netlink.Netlink;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * NfQueue's config and verdict encoders against vectors written from
 * linux/netfilter/nfnetlink_queue.h:
 *
 * <pre>
 *   struct nfqnl_msg_config_cmd    { __u8 command; __u8 _pad; __be16 pf; }            4 bytes
 *   struct nfqnl_msg_config_params { __be32 copy_range; __u8 copy_mode; } __packed    5 bytes
 *   struct nfqnl_msg_verdict_hdr   { __be32 verdict; __be32 id; }                     8 bytes
 *   NFQA_CFG_CMD 1, NFQA_CFG_PARAMS 2, NFQA_CFG_QUEUE_MAXLEN 3, NFQA_CFG_MASK 4, NFQA_CFG_FLAGS 5 (__be32 each)
 *   NFQA_VERDICT_HDR 2, NFQA_MARK 3, NFQA_PAYLOAD 10
 * </pre>
 *
 * The kernel accepted these layouts (capture-nfqueue-vectors.sh: ACK for both config messages and
 * for a verdict, and the verdict-ed datagram arrived). Each vector is checked both ways: the
 * encoder's bytes equal it, and it parses back (MessageReader / Decoder) to the fields it was
 * built from. bind() and unbind() send exactly what {@link NfQueue#encodeConfigCmd} and
 * {@link NfQueue#encodeConfigParams} build, and verdict() what {@link NfQueue#encodeVerdict} builds.
 */
class NfQueueEncodingTest {

    private static final ValueLayout.OfInt U32BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort U16BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int MSG_VERDICT = 0x0301;  // NFNL_SUBSYS_QUEUE << 8 | NFQNL_MSG_VERDICT
    private static final int MSG_CONFIG = 0x0302;   // NFNL_SUBSYS_QUEUE << 8 | NFQNL_MSG_CONFIG
    private static final int AF_INET = 2;

    @BeforeAll
    static void hostIsLittleEndian() {
        assumeTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, "vectors spell host order as little-endian");
    }

    /** A reader positioned on the first message of {@code hex}. */
    private static MessageReader firstMessage(String hex) {
        MemorySegment seg = segment(hex);
        MessageReader m = new MessageReader().wrap(seg, 0, seg.byteSize());
        assertTrue(m.next());
        return m;
    }

    /** Checks an NFQA_VERDICT_HDR at the decoder: verdict code and (unsigned) packet id. */
    private static void assertVerdictHdr(Decoder d, int verdict, int id) {
        assertTrue(d.next());
        assertEquals(NFQA_VERDICT_HDR, d.type());
        assertEquals(8, d.length());
        assertEquals(verdict, d.u32be());
        assertEquals(id, d.segment().get(U32BE, d.offset() + 4));
    }

    /** Checks an NFQA_CFG_CMD at the decoder: command, zero pad byte, big-endian pf. */
    private static void assertConfigCmd(String hex, int seq, int queue, int command, int pf) {
        MessageReader m = firstMessage(hex);
        assertEquals(MSG_CONFIG, m.type());
        assertEquals(Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK, m.flags());
        assertEquals(seq, m.seq());
        assertEquals(0, m.portId());
        assertEquals(0, m.nfFamily(), "AF_UNSPEC");
        assertEquals(queue, m.nfResId());
        Decoder d = m.nfAttributes(new Decoder());
        assertTrue(d.next());
        assertEquals(NFQA_CFG_CMD, d.type());
        assertEquals(4, d.length());
        assertEquals(command, d.u8());
        assertEquals(0, Byte.toUnsignedInt(d.segment().get(ValueLayout.JAVA_BYTE, d.offset() + 1)), "_pad");
        assertEquals(pf, Short.toUnsignedInt(d.segment().get(U16BE, d.offset() + 2)));
        assertFalse(d.next());
        assertTrue(d.ok());
        assertFalse(m.next());
    }

    // ---- verdicts

    static final String ACCEPT_258_MARK_2A =
            "28000000"                   // nlmsg_len 40
          + "0103"                       // nlmsg_type 0x0301: NFNL_SUBSYS_QUEUE << 8 | NFQNL_MSG_VERDICT
          + "0100"                       // nlmsg_flags NLM_F_REQUEST (no ACK: errors still come back)
          + "00000000" + "00000000"      // seq 0 | pid 0
          + "00" + "00" + "0007"         // nfgenmsg: AF_UNSPEC | NFNETLINK_V0 | res_id 7 = queue
          + "0c000200"                   // nla_len 12 | NFQA_VERDICT_HDR
          +   "00000001"                 //   verdict NF_ACCEPT, big-endian
          +   "00000102"                 //   id 258, big-endian
          + "08000300" + "0000002a";     // nla_len 8 | NFQA_MARK | 0x2a

    /** The 29-byte IPv4/UDP packet of QueuedPacketDecodeTest, as a replacement payload. */
    static final String PAYLOAD = NfQueueVectors.INBOUND_IP;

    @Test
    void acceptVerdictWithMarkEncodesTheHandWrittenVector() {
        Encoder e = dirtyEncoder(64);
        NfQueue.encodeVerdict(e, 7, 258, Verdict.NF_ACCEPT, 0x2a, true, null, 0, 0);
        assertEquals(ACCEPT_258_MARK_2A, written(e));

        MessageReader m = firstMessage(ACCEPT_258_MARK_2A);
        assertEquals(40, m.length());
        assertEquals(MSG_VERDICT, m.type());
        assertEquals(Netlink.NLM_F_REQUEST, m.flags());
        assertEquals(0, m.seq());
        assertEquals(0, m.portId());
        assertEquals(0, m.nfFamily());
        assertEquals(7, m.nfResId());
        Decoder d = m.nfAttributes(new Decoder());
        assertVerdictHdr(d, Verdict.NF_ACCEPT.code, 258);
        assertTrue(d.next());
        assertEquals(NFQA_MARK, d.type());
        assertEquals(0x2a, d.u32be());
        assertFalse(d.next());
        assertTrue(d.ok());
        assertFalse(m.next());
    }

    @Test
    void verdictIsByteForByteTheOneTheKernelAccepted() {
        // capture-nfqueue-vectors.sh "sent-verdict-1": id 2 of queue 7, after which the datagram arrived
        String kernelAccepted = "28000000010301000000000000000000000000070c0002000000000100000002080003000000002a";
        Encoder e = dirtyEncoder(64);
        NfQueue.encodeVerdict(e, 7, 2, Verdict.NF_ACCEPT, 0x2a, true, null, 0, 0);
        assertEquals(kernelAccepted, written(e));

        MessageReader m = firstMessage(kernelAccepted);
        assertEquals(MSG_VERDICT, m.type());
        assertEquals(7, m.nfResId());
        Decoder d = m.nfAttributes(new Decoder());
        assertVerdictHdr(d, Verdict.NF_ACCEPT.code, 2);
        assertTrue(d.next());
        assertEquals(NFQA_MARK, d.type());
        assertEquals(0x2a, d.u32be());
        assertFalse(d.next());
        assertTrue(d.ok());
    }

    @Test
    void verdictWithPayloadAppendsAPaddedNfqaPayload() {
        MemorySegment buf = segment("ffffffff" + PAYLOAD + "ffff");
        Encoder e = dirtyEncoder(128);
        NfQueue.encodeVerdict(e, 7, 258, Verdict.NF_ACCEPT, 0x2a, true, buf, 4, 29);
        String want = "4c000000"                 // nlmsg_len 76 = 40 + 36
                    + ACCEPT_258_MARK_2A.substring(8)
                    + "21000a00"                 // nla_len 33 | NFQA_PAYLOAD
                    + PAYLOAD                    //   29 bytes
                    + "000000";                  //   3 padding
        assertEquals(want, written(e));

        MessageReader m = firstMessage(want);
        assertEquals(76, m.length());
        Decoder d = m.nfAttributes(new Decoder());
        assertVerdictHdr(d, Verdict.NF_ACCEPT.code, 258);
        assertTrue(d.next());
        assertEquals(NFQA_MARK, d.type());
        assertEquals(0x2a, d.u32be());
        assertTrue(d.next());
        assertEquals(NFQA_PAYLOAD, d.type());
        assertEquals(29, d.length());
        assertEquals(PAYLOAD, hex(d.segment(), d.offset(), d.length()));
        assertFalse(d.next());
        assertTrue(d.ok());
    }

    @Test
    void verdictWithoutMarkOmitsNfqaMark() {
        Encoder e = dirtyEncoder(64);
        NfQueue.encodeVerdict(e, 300, 0x80000001, Verdict.NF_DROP, 0x2a, false, null, 0, 0);
        String want = "20000000" + "0103" + "0100" + "00000000" + "00000000"
                    + "0000012c"                  // AF_UNSPEC | v0 | queue 300
                    + "0c000200" + "00000000"     // NFQA_VERDICT_HDR: NF_DROP
                    + "80000001";                 //   id 0x80000001: unsigned on the wire
        assertEquals(want, written(e));

        MessageReader m = firstMessage(want);
        assertEquals(32, m.length());
        assertEquals(300, m.nfResId());
        Decoder d = m.nfAttributes(new Decoder());
        assertVerdictHdr(d, Verdict.NF_DROP.code, 0x80000001);
        assertFalse(d.next(), "no NFQA_MARK");
        assertTrue(d.ok());
    }

    @Test
    void verdictsBatchBackToBackAndParseBack() {
        Encoder e = dirtyEncoder(128);
        NfQueue.encodeVerdict(e, 7, 258, Verdict.NF_ACCEPT, 0x2a, true, null, 0, 0);
        NfQueue.encodeVerdict(e, 7, 259, Verdict.NF_REPEAT, 0x10000, true, null, 0, 0);
        String want = ACCEPT_258_MARK_2A
                    + "28000000" + "0103" + "0100" + "00000000" + "00000000" + "00000007"
                    + "0c000200" + "00000004" + "00000103"   // NF_REPEAT | id 259
                    + "08000300" + "00010000";               // mark 0x10000
        assertEquals(want, written(e));

        MessageReader m = new MessageReader().wrap(segment(want), 0, want.length() / 2);
        Decoder d = new Decoder();
        int[][] expect = {{1, 258, 0x2a}, {4, 259, 0x10000}};
        for (int[] w : expect) {
            assertTrue(m.next());
            assertEquals(MSG_VERDICT, m.type());
            assertFalse(QueuedPacket.isPacket(m));
            assertEquals(7, m.nfResId());
            m.nfAttributes(d);
            assertVerdictHdr(d, w[0], w[1]);
            assertTrue(d.next());
            assertEquals(NFQA_MARK, d.type());
            assertEquals(w[2], d.u32be());
            assertFalse(d.next());
            assertTrue(d.ok());
        }
        assertFalse(m.next());
    }

    @Test
    void verdictCodesAreTheKernelsNfValues() {
        assertEquals(0, Verdict.NF_DROP.code);
        assertEquals(1, Verdict.NF_ACCEPT.code);
        assertEquals(2, Verdict.NF_STOLEN.code);
        assertEquals(3, Verdict.NF_QUEUE.code);
        assertEquals(4, Verdict.NF_REPEAT.code);
        assertEquals(5, Verdict.NF_STOP.code);
    }

    // ---- config

    @Test
    void unbindConfigCmdCarriesRequestAckAndTheQueueAsResId() {
        // what unbind() sends: encodeConfigCmd(e, seq, queue, NFQNL_CFG_CMD_UNBIND, AF_INET)
        int seq = 0x01020304;
        Encoder e = dirtyEncoder(64);
        NfQueue.encodeConfigCmd(e, seq, 7, NFQNL_CFG_CMD_UNBIND, AF_INET);
        String want = "1c000000"                 // nlmsg_len 28
                    + "0203"                     // 0x0302: NFNL_SUBSYS_QUEUE << 8 | NFQNL_MSG_CONFIG
                    + "0500"                     // NLM_F_REQUEST | NLM_F_ACK
                    + le32(seq)                  // nlmsg_seq
                    + "00000000"                 // nlmsg_pid
                    + "00" + "00" + "0007"       // nfgenmsg: AF_UNSPEC | v0 | queue 7
                    + "08000100"                 // nla_len 8 | NFQA_CFG_CMD
                    +   "02"                     //   command NFQNL_CFG_CMD_UNBIND
                    +   "00"                     //   _pad
                    +   "0002";                  //   pf AF_INET, big-endian
        assertEquals(want, written(e));
        assertConfigCmd(want, seq, 7, NFQNL_CFG_CMD_UNBIND, AF_INET);
    }

    @Test
    void bindCmdLayoutIsTheOneTheKernelAccepted() {
        // capture-nfqueue-vectors.sh "sent-config-bind" (seq 100), ACKed by the kernel; bind()'s first message
        String kernelAccepted = "1c000000020305006400000000000000000000070800010001000002";
        Encoder e = dirtyEncoder(64);
        NfQueue.encodeConfigCmd(e, 100, 7, NFQNL_CFG_CMD_BIND, AF_INET);
        assertEquals(kernelAccepted, written(e));
        assertConfigCmd(kernelAccepted, 100, 7, NFQNL_CFG_CMD_BIND, AF_INET);
    }

    /**
     * The second message bind() sends (queue 7, maxLen 1024, failOpen), built by the same
     * encodeConfigParams call bind() makes, against the bytes the kernel ACKed
     * (capture-nfqueue-vectors.sh "sent-config-params", seq 101): the 5-byte packed struct and
     * its padding are pinned down.
     */
    @Test
    void bindParamsLayoutTheKernelAccepted() {
        String kernelAccepted =
                "38000000"                   // nlmsg_len 56
              + "0203" + "0500"              // NFQNL_MSG_CONFIG | REQUEST|ACK
              + "65000000" + "00000000"      // seq 101 | pid 0
              + "00" + "00" + "0007"         // AF_UNSPEC | v0 | queue 7
              + "09000200"                   // nla_len 9 | NFQA_CFG_PARAMS
              +   "0000ffff"                 //   copy_range 0xffff, big-endian
              +   "02"                       //   copy_mode NFQNL_COPY_PACKET
              +   "000000"                   //   3 padding
              + "08000300" + "00000400"      // NFQA_CFG_QUEUE_MAXLEN 1024
              + "08000400" + "00000001"      // NFQA_CFG_MASK NFQA_CFG_F_FAIL_OPEN
              + "08000500" + "00000001";     // NFQA_CFG_FLAGS NFQA_CFG_F_FAIL_OPEN
        Encoder e = dirtyEncoder(128);
        NfQueue.encodeConfigParams(e, 101, 7, 0xffff, NFQNL_COPY_PACKET, 1024,
                NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN);
        assertEquals(kernelAccepted, written(e));

        MessageReader m = firstMessage(kernelAccepted);
        assertEquals(56, m.length());
        assertEquals(MSG_CONFIG, m.type());
        assertEquals(Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK, m.flags());
        assertEquals(101, m.seq());
        assertEquals(0, m.nfFamily());
        assertEquals(7, m.nfResId());
        Decoder d = m.nfAttributes(new Decoder());
        assertTrue(d.next());
        assertEquals(NFQA_CFG_PARAMS, d.type());
        assertEquals(5, d.length());
        assertEquals(0xffff, d.u32be());
        assertEquals(NFQNL_COPY_PACKET, Byte.toUnsignedInt(d.segment().get(ValueLayout.JAVA_BYTE, d.offset() + 4)));
        int[][] rest = {{NFQA_CFG_QUEUE_MAXLEN, 1024}, {NFQA_CFG_MASK, NFQA_CFG_F_FAIL_OPEN},
                        {NFQA_CFG_FLAGS, NFQA_CFG_F_FAIL_OPEN}};
        for (int[] a : rest) {
            assertTrue(d.next());
            assertEquals(a[0], d.type());
            assertEquals(4, d.length());
            assertEquals(a[1], d.u32be());
        }
        assertFalse(d.next());
        assertTrue(d.ok());
        assertFalse(m.next());
    }

    @Test
    void bindParamsWithoutFailOpenKeepTheMaskAndClearTheFlag() {
        // bind(…, failOpen = false): the mask still names FAIL_OPEN so the kernel clears it
        Encoder e = dirtyEncoder(128);
        NfQueue.encodeConfigParams(e, 101, 7, 0xffff, NFQNL_COPY_PACKET, 1024, NFQA_CFG_F_FAIL_OPEN, 0);
        String w = written(e);
        assertEquals("38000000", w.substring(0, 8));
        assertEquals("08000400" + "00000001"      // NFQA_CFG_MASK NFQA_CFG_F_FAIL_OPEN
                   + "08000500" + "00000000",     // NFQA_CFG_FLAGS 0
                w.substring(w.length() - 32));
    }

    @Test
    void kernelAcksToTheConfigMessagesParseAsErrorZero() {
        // capture-nfqueue-vectors.sh "ack-config-bind" and "ack-config-params"
        for (String[] ack : new String[][] {
                {"2400000002000001640000006e430000000000001c000000020305006400000000000000", "100"},
                {"2400000002000001650000006e4300000000000038000000020305006500000000000000", "101"}}) {
            MessageReader m = firstMessage(ack[0]);
            assertTrue(m.isError());
            assertFalse(QueuedPacket.isPacket(m));
            assertEquals(0, m.errorCode());
            assertEquals(Integer.parseInt(ack[1]), m.seq());
            assertEquals(Integer.parseInt(ack[1]), m.errorRequestSeq());
            assertEquals(Netlink.NLM_F_CAPPED, m.flags());
        }
    }
}
