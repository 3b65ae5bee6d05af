package org.conenatd.netlink;

import org.conenatd.sys.Errno;
import org.conenatd.sys.Libc;
import static org.conenatd.netlink.NetlinkHex.segment;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * MessageReader over hand-written datagrams, laid out from linux/netlink.h:
 *
 * <pre>
 *   struct nlmsgerr { int error; struct nlmsghdr msg; }  then, with NLM_F_ACK_TLVS, nlattrs
 *   (NLMSGERR_ATTR_MSG = 1 string, NLMSGERR_ATTR_OFFS = 2 u32, ...). Without NLM_F_CAPPED the
 *   whole original message is echoed after error, and the TLVs follow it (aligned); with
 *   NLM_F_CAPPED only its 16-byte header is.
 * </pre>
 *
 * Real kernel answers (ACK, EEXIST, a policy failure with and without CAPPED) are checked in
 * org.conenatd.conntrack.CtnetlinkKernelRepliesTest.
 */
class MessageReaderTest {

    @BeforeAll
    static void hostIsLittleEndian() {
        assumeTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, "vectors spell host order as little-endian");
    }

    /** The 16-byte header of the request the errors below answer: a ctnetlink create, seq 7. */
    static final String ECHOED_CREATE_HEADER =
            "ac000000"             //   nlmsg_len 172 (the original's length, even when capped)
          + "0001" + "0506"        //   IPCTNL_MSG_CT_NEW | REQUEST|ACK|EXCL|CREATE
          + "07000000"             //   nlmsg_seq 7
          + "00000000";            //   nlmsg_pid 0, as we sent it

    static final String EEXIST_CAPPED =
            "24000000"             // nlmsg_len 36
          + "0200" + "0001"        // NLMSG_ERROR | NLM_F_CAPPED
          + "07000000"             // nlmsg_seq 7, copied from the request
          + "39300000"             // nlmsg_pid 12345: our port id
          + "efffffff"             // error -17 (-EEXIST)
          + ECHOED_CREATE_HEADER;

    static final String ACK_CAPPED =
            "24000000" + "0200" + "0001" + "07000000" + "39300000"
          + "00000000"             // error 0: an ACK
          + ECHOED_CREATE_HEADER;

    static final String EEXIST_CAPPED_WITH_TLVS =
            "40000000"             // nlmsg_len 64
          + "0200" + "0003"        // NLMSG_ERROR | NLM_F_CAPPED (0x100) | NLM_F_ACK_TLVS (0x200)
          + "07000000" + "39300000"
          + "efffffff"             // error -17
          + ECHOED_CREATE_HEADER   // header only: its nlmsg_len (172) must not be used to skip
          + "11000100"             // nla_len 17 | NLMSGERR_ATTR_MSG
          + "656e74727920657869737473" + "00" // "entry exists\0"
          + "000000"               // 3 padding
          + "08000200" + "14000000"; // nla_len 8 | NLMSGERR_ATTR_OFFS | 20, host order

    /** The original request echoed in full: a ctnetlink create whose CTA_TIMEOUT is 2 bytes. */
    static final String BAD_REQUEST =
            "1c000000" + "0001" + "0506" + "07000000" + "00000000" // nlmsghdr, len 28
          + "02000000"                                              // nfgenmsg AF_INET
          + "06000700" + "0078" + "0000";                           // CTA_TIMEOUT, 2 bytes, 2 padding

    static final String ERANGE_UNCAPPED_WITH_TLVS =
            "4c000000"             // nlmsg_len 76 = 16 + 4 + 28 + 20 + 8
          + "0200" + "0002"        // NLMSG_ERROR | NLM_F_ACK_TLVS, not CAPPED
          + "07000000" + "39300000"
          + "deffffff"             // error -34 (-ERANGE)
          + BAD_REQUEST            // all 28 bytes of the original
          + "11000100" + "656e74727920657869737473" + "00" + "000000" // NLMSGERR_ATTR_MSG "entry exists"
          + "08000200" + "14000000";                                   // NLMSGERR_ATTR_OFFS 20

    private static MessageReader readerOf(String hex) {
        MemorySegment seg = segment(hex);
        return new MessageReader().wrap(seg, 0, seg.byteSize());
    }

    @Test
    void readsSeveralMessagesFromOneDatagram() {
        String datagram =
                "1c000000" + "0001" + "0200" + "2a000000" + "39300000" // len 28 | ct NEW | NLM_F_MULTI | seq 42 | pid 12345
              + "02000000"                                              // nfgenmsg AF_INET, res_id 0
              + "08000c00" + "00000001"                                 // CTA_ID 1
              + "14000000" + "0300" + "0200" + "2a000000" + "39300000" // len 20 | NLMSG_DONE | MULTI | seq 42
              + "00000000";                                             // int 0
        MessageReader r = readerOf(datagram);
        assertTrue(r.next());
        assertEquals(0, r.offset());
        assertEquals(28, r.length());
        assertEquals(0x0100, r.type());
        assertEquals(Netlink.NLM_F_MULTI, r.flags());
        assertEquals(42, r.seq());
        assertEquals(12345, r.portId());
        assertEquals(16, r.payloadOffset());
        assertEquals(12, r.payloadLength());
        assertFalse(r.isDone());
        assertFalse(r.isError());
        Decoder d = r.nfAttributes(new Decoder());
        assertTrue(d.next());
        assertEquals(1, d.u32be());
        assertTrue(r.next());
        assertEquals(28, r.offset());
        assertTrue(r.isDone());
        assertEquals(42, r.seq());
        assertFalse(r.next());
        assertNull(r.error());
    }

    @Test
    void unalignedMessageLengthSkipsToTheNextAlignedMessage() {
        String datagram =
                "15000000" + "0003" + "0000" + "01000000" + "00000000" // len 21: 16 + nfgenmsg... only 5 bytes
              + "0000000745" + "000000"                                   // 5 payload bytes + 3 padding
              + "10000000" + "0100" + "0000" + "02000000" + "00000000"; // NLMSG_NOOP, seq 2, at offset 24
        MessageReader r = readerOf(datagram);
        assertTrue(r.next());
        assertEquals(21, r.length());
        assertEquals(5, r.payloadLength());
        assertTrue(r.next());
        assertEquals(24, r.offset());
        assertEquals(2, r.seq());
        assertFalse(r.next());
        assertNull(r.error());
    }

    @Test
    void lastMessageMayEndUnpaddedAtTheEndOfTheDatagram() {
        MessageReader r = readerOf("11000000" + "0003" + "0000" + "01000000" + "00000000" + "ff");
        assertTrue(r.next());
        assertEquals(17, r.length());
        assertFalse(r.next());
        assertNull(r.error());
    }

    @Test
    void readerWindowCanStartInsideALargerBuffer() {
        MemorySegment seg = segment("deadbeef" + ACK_CAPPED + "deadbeef");
        MessageReader r = new MessageReader().wrap(seg, 4, 36);
        assertTrue(r.next());
        assertEquals(4, r.offset());
        assertTrue(r.isError());
        assertEquals(0, r.errorCode());
        assertFalse(r.next());
        assertNull(r.error());
    }

    @Test
    void truncatedHeaderStopsWithAnErrorAfterTheGoodMessages() {
        MessageReader r = readerOf(ACK_CAPPED + "10000000" + "0300" + "0000"); // 8 of 16 header bytes
        assertTrue(r.next());
        assertFalse(r.next());
        assertEquals("truncated message header at 36", r.error());
        assertFalse(r.next(), "sticky");

        MessageReader tiny = readerOf("2400000002000001");
        assertFalse(tiny.next());
        assertEquals("truncated message header at 0", tiny.error());
    }

    @Test
    void lengthBelowTheHeaderOrBeyondTheDatagramIsAnError() {
        String rest = "0300" + "0000" + "01000000" + "00000000" + "00000000";
        MessageReader shortLen = readerOf("08000000" + rest);
        assertFalse(shortLen.next());
        assertEquals("bad message length 8 at 0", shortLen.error());

        MessageReader longLen = readerOf("15000000" + rest);            // 21 > 20 bytes there
        assertFalse(longLen.next());
        assertEquals("bad message length 21 at 0", longLen.error());

        MessageReader huge = readerOf("ffffffff" + rest);               // would be negative as an int
        assertFalse(huge.next());
        assertEquals("bad message length 4294967295 at 0", huge.error());
    }

    @Test
    void wrapClearsAPreviousError() {
        MessageReader r = readerOf("08000000" + "0300" + "0000" + "01000000" + "00000000");
        assertFalse(r.next());
        MemorySegment ok = segment(ACK_CAPPED);
        r.wrap(ok, 0, ok.byteSize());
        assertNull(r.error());
        assertTrue(r.next());
    }

    @Test
    void errorMessageCarriesTheNegativeErrnoAndTheRequestSeq() {
        MessageReader r = readerOf(EEXIST_CAPPED);
        assertTrue(r.next());
        assertTrue(r.isError());
        assertEquals(-Errno.EEXIST, r.errorCode());
        assertEquals(7, r.seq());
        assertEquals(7, r.errorRequestSeq(), "from the echoed header");
        assertEquals(Netlink.NLM_F_CAPPED, r.flags());
        assertNull(r.extAck(), "no NLM_F_ACK_TLVS");
    }

    @Test
    void ackIsAnErrorMessageWithCodeZero() {
        MessageReader r = readerOf(ACK_CAPPED);
        assertTrue(r.next());
        assertTrue(r.isError());
        assertEquals(0, r.errorCode());
        assertEquals(7, r.errorRequestSeq());
        assertNull(r.extAck());
    }

    @Test
    void extAckTextIsFoundAfterTheEchoedHeaderWhenCapped() {
        MessageReader r = readerOf(EEXIST_CAPPED_WITH_TLVS);
        assertTrue(r.next());
        assertEquals(-17, r.errorCode());
        assertEquals(7, r.errorRequestSeq());
        assertEquals("entry exists", r.extAck());
    }

    @Test
    void extAckTextIsFoundAfterTheWholeEchoedRequestWhenNotCapped() {
        MessageReader r = readerOf(ERANGE_UNCAPPED_WITH_TLVS);
        assertTrue(r.next());
        assertEquals(76, r.length());
        assertEquals(-34, r.errorCode());
        assertEquals(7, r.errorRequestSeq());
        assertEquals("entry exists", r.extAck());
        assertFalse(r.next());
    }

    @Test
    void extAckIsNullWhenTheTlvsCarryNoMessage() {
        String onlyOffset = "2c000000" + "0200" + "0003" + "07000000" + "39300000" + "eaffffff"
                          + ECHOED_CREATE_HEADER
                          + "08000200" + "14000000";  // NLMSGERR_ATTR_OFFS only
        MessageReader r = readerOf(onlyOffset);
        assertTrue(r.next());
        assertEquals(-Errno.EINVAL, r.errorCode());
        assertNull(r.extAck());
    }

    @Test
    void extAckIsNullWhenTheEchoedLengthPointsPastTheMessage() {
        // not capped, but the echoed nlmsg_len (172) is far more than the 20 bytes echoed
        String lying = EEXIST_CAPPED_WITH_TLVS.substring(0, 8) + "0200" + "0002" + EEXIST_CAPPED_WITH_TLVS.substring(16);
        MessageReader r = readerOf(lying);
        assertTrue(r.next());
        assertNull(r.extAck());
    }

    @Test
    void errorMessageTooShortForItsFieldsReportsEinvalAndSeqZero() {
        MessageReader r = readerOf("10000000" + "0200" + "0000" + "07000000" + "00000000");
        assertTrue(r.next());
        assertTrue(r.isError());
        assertEquals(-Errno.EINVAL, r.errorCode());
        assertEquals(0, r.errorRequestSeq());
        assertNull(r.extAck());
    }

    @Test
    void nfAttributesOfAMessageShorterThanNfgenmsgIsAnError() {
        MessageReader r = readerOf("12000000" + "0001" + "0000" + "01000000" + "00000000" + "0200" + "0000");
        assertTrue(r.next());
        Decoder d = r.nfAttributes(new Decoder());
        assertFalse(d.next());
        assertEquals("message shorter than nfgenmsg", d.error());
    }
}
