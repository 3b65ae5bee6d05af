package org.conenatd.netlink;

import static org.conenatd.netlink.NetlinkHex.bytes;
import static org.conenatd.netlink.NetlinkHex.dirtyEncoder;
import static org.conenatd.netlink.NetlinkHex.hex;
import static org.conenatd.netlink.NetlinkHex.segment;
import static org.conenatd.netlink.NetlinkHex.written;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Encoder output checked byte for byte against vectors written from linux/netlink.h:
 *
 * <pre>
 *   struct nlmsghdr { __u32 nlmsg_len; __u16 nlmsg_type; __u16 nlmsg_flags; __u32 nlmsg_seq; __u32 nlmsg_pid; }  host order
 *   struct nlattr   { __u16 nla_len; __u16 nla_type; }  host order; nla_len counts the 4-byte header, not the padding
 *   NLA_ALIGNTO = NLMSG_ALIGNTO = 4
 * </pre>
 *
 * Every vector is also parsed back (MessageReader / Decoder) to the fields it was built from.
 * The buffers start out filled with 0xAA so unzeroed padding would show.
 */
class EncoderTest {

    @BeforeAll
    static void hostIsLittleEndian() {
        assumeTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, "vectors spell host order as little-endian");
    }

    @Test
    void emptyMessageIsTheSixteenByteHeaderWithHostOrderFieldsAndZeroPortId() {
        Encoder e = dirtyEncoder(64);
        int m = e.begin(0x0100, 0x0605, 0x01020304);
        e.end(m);
        String want = "10000000"          // nlmsg_len 16
                    + "0001"              // nlmsg_type 0x0100, little-endian
                    + "0506"              // nlmsg_flags 0x0605
                    + "04030201"          // nlmsg_seq 0x01020304
                    + "00000000";         // nlmsg_pid 0: the kernel fills it in
        assertEquals(want, written(e));

        MessageReader r = new MessageReader().wrap(segment(want), 0, 16);
        assertTrue(r.next());
        assertEquals(16, r.length());
        assertEquals(0x0100, r.type());
        assertEquals(0x0605, r.flags());
        assertEquals(0x01020304, r.seq());
        assertEquals(0, r.portId());
        assertEquals(0, r.payloadLength());
        assertFalse(r.next());
        assertEquals(null, r.error());
    }

    @Test
    void nfgenmsgIsFamilyThenVersionZeroThenBigEndianResId() {
        Encoder e = dirtyEncoder(64);
        int m = e.begin(0x0302, 0x0005, 9);
        e.nfgenmsg(2, 0x0107);
        e.end(m);
        String want = "14000000" + "0203" + "0500" + "09000000" + "00000000" // nlmsghdr, len 20
                    + "02"                // nfgen_family AF_INET
                    + "00"                // version NFNETLINK_V0
                    + "0107";             // res_id 0x0107, big-endian
        assertEquals(want, written(e));

        MessageReader r = new MessageReader().wrap(segment(want), 0, 20);
        assertTrue(r.next());
        assertEquals(2, r.nfFamily());
        assertEquals(0x0107, r.nfResId());
        Decoder d = r.nfAttributes(new Decoder());
        assertFalse(d.next());
        assertTrue(d.ok());
    }

    @Test
    void u8AttributeHasLengthFiveAndIsZeroPaddedToEightBytes() {
        Encoder e = dirtyEncoder(16);
        e.u8(1, 0x11);
        assertEquals("05000100" + "11" + "000000", written(e)); // nla_len 5 | nla_type 1 | 17 | 3 padding
        assertEquals(8, e.length());

        Decoder d = new Decoder(e.buffer(), 0, e.length());
        assertTrue(d.next());
        assertEquals(1, d.type());
        assertEquals(1, d.length());
        assertEquals(0x11, d.u8());
        assertFalse(d.next());
        assertTrue(d.ok());
    }

    @Test
    void u16beAttributeHasLengthSixBigEndianPayloadAndIsZeroPaddedToEight() {
        Encoder e = dirtyEncoder(16);
        e.u16be(2, 40000);
        assertEquals("06000200" + "9c40" + "0000", written(e)); // nla_len 6 | type 2 | 40000 BE | 2 padding
        Decoder d = new Decoder(e.buffer(), 0, e.length());
        assertTrue(d.next());
        assertEquals(2, d.length());
        assertEquals(40000, d.u16be());
    }

    @Test
    void u32beAndU32DifferOnlyInPayloadByteOrder() {
        Encoder e = dirtyEncoder(32);
        e.u32be(7, 0x0a000002);
        e.u32(8, 0x0a000002);
        assertEquals("08000700" + "0a000002"   // nla_len 8 | type 7 | 10.0.0.2, network order
                   + "08000800" + "0200000a",  // nla_len 8 | type 8 | same value, host order
                written(e));
        Decoder d = new Decoder(e.buffer(), 0, e.length());
        assertTrue(d.next());
        assertEquals(0x0a000002, d.u32be());
        assertTrue(d.next());
        assertEquals(0x0a000002, d.u32());
        assertFalse(d.next());
    }

    @Test
    void bytesAttributeOfAnyLengthIsPaddedToTheNextMultipleOfFour() {
        Encoder e = dirtyEncoder(64);
        e.bytes(10, bytes("abcdef"));         // 3 bytes: nla_len 7, 1 padding
        e.bytes(10, bytes("01020304"));       // 4 bytes: nla_len 8, no padding
        e.bytes(10, bytes("0102030405"));     // 5 bytes: nla_len 9, 3 padding
        e.bytes(10, new byte[0]);             // empty: nla_len 4
        assertEquals("07000a00" + "abcdef" + "00"
                   + "08000a00" + "01020304"
                   + "09000a00" + "0102030405" + "000000"
                   + "04000a00",
                written(e));
        assertEquals(8 + 8 + 12 + 4, e.length());

        Decoder d = new Decoder(e.buffer(), 0, e.length());
        int[] lengths = {3, 4, 5, 0};
        for (int len : lengths) {
            assertTrue(d.next());
            assertEquals(10, d.type());
            assertEquals(len, d.length());
        }
        assertFalse(d.next());
        assertTrue(d.ok());
    }

    @Test
    void bytesFromASegmentSliceCopiesOnlyThatSlice() {
        MemorySegment src = segment("ffff" + "c0ffee" + "ffff");
        Encoder e = dirtyEncoder(16);
        e.bytes(10, src, 2, 3);
        assertEquals("07000a00" + "c0ffee" + "00", written(e));
    }

    @Test
    void rawReservesAZeroedPaddedPayloadAndReturnsItsOffset() {
        Encoder e = dirtyEncoder(32);
        e.u32be(1, 1);
        int at = e.raw(2, 5);
        assertEquals(8 + 4, at);
        e.buffer().set(ValueLayout.JAVA_BYTE, at + 4, (byte) 0x02);
        assertEquals("08000100" + "00000001"
                   + "09000200" + "0000000002" + "000000", // nla_len 9 | type 2 | 5 bytes | 3 padding
                written(e));
    }

    @Test
    void nestedAttributeGetsNlaFNestedAndALengthCoveringItsPaddedChildren() {
        Encoder e = dirtyEncoder(64);
        int n = e.beginNested(2);
        e.u8(1, 17);
        e.u16be(2, 3478);
        e.endNested(n);
        String want = "14000280"                 // nla_len 20 | type 2 | NLA_F_NESTED (0x8000)
                    + "05000100" + "11000000"    //   u8 17 + 3 padding
                    + "06000200" + "0d960000";   //   u16be 3478 + 2 padding
        assertEquals(want, written(e));

        Decoder d = new Decoder(segment(want), 0, 20);
        assertTrue(d.next());
        assertTrue(d.isNested());
        assertEquals(2, d.type());
        assertEquals(16, d.length());
        Decoder c = d.nested(new Decoder());
        assertTrue(c.next());
        assertEquals(17, c.u8());
        assertTrue(c.next());
        assertEquals(3478, c.u16be());
        assertFalse(c.next());
        assertTrue(c.ok());
        assertFalse(d.next());
    }

    @Test
    void nestedAttributesTwoLevelsDeepEachCountTheirOwnLength() {
        Encoder e = dirtyEncoder(64);
        e.nested(13, outer -> {
            outer.u32be(1, 0x0a000002);
            outer.nested(3, inner -> inner.u16be(1, 5000));
        });
        e.nested(5, empty -> { });
        assertEquals("18000d80"                   // nla_len 24 | 13 | NESTED
                   + "08000100" + "0a000002"      //   u32be 10.0.0.2
                   + "0c000380"                   //   nla_len 12 | 3 | NESTED
                   + "06000100" + "13880000"      //     u16be 5000 + 2 padding
                   + "04000580",                  // empty nest: nla_len 4 | 5 | NESTED
                written(e));
    }

    @Test
    void messageLengthCountsHeaderNfgenmsgAndEveryPaddedAttribute() {
        Encoder e = dirtyEncoder(64);
        int m = e.begin(0x0100, 0x0001, 1);
        e.nfgenmsg(2, 0);
        e.u8(1, 1);               // 8
        e.bytes(2, bytes("aa"));  // 8
        int n = e.beginNested(3); // 4 + 8
        e.u16be(1, 1);
        e.endNested(n);
        e.end(m);
        assertEquals(16 + 4 + 8 + 8 + 12, e.length());
        assertEquals(e.length(), e.buffer().get(ValueLayout.JAVA_INT, 0));
        assertEquals("30000000", written(e).substring(0, 8)); // nlmsg_len 48
    }

    @Test
    void severalMessagesBackToBackEachCarryTheirOwnLengthAndSeq() {
        Encoder e = dirtyEncoder(128);
        int a = e.begin(0x0301, 0x0001, 0);
        e.nfgenmsg(0, 7);
        e.u32be(3, 0x2a);
        e.end(a);
        int b = e.begin(0x0302, 0x0005, 5);
        e.nfgenmsg(0, 7);
        e.u8(1, 1);
        e.end(b);
        int c = e.begin(Netlink.NLMSG_NOOP, 0, 6);
        e.end(c);
        assertEquals(0, a);
        assertEquals(28, b);
        assertEquals(56, c);
        String want = "1c000000" + "0103" + "0100" + "00000000" + "00000000" + "00000007" + "08000300" + "0000002a"
                    + "1c000000" + "0203" + "0500" + "05000000" + "00000000" + "00000007" + "05000100" + "01000000"
                    + "10000000" + "0100" + "0000" + "06000000" + "00000000";
        assertEquals(want, written(e));

        MessageReader r = new MessageReader().wrap(segment(want), 0, want.length() / 2);
        int[][] expect = {{28, 0x0301, 1, 0}, {28, 0x0302, 5, 5}, {16, Netlink.NLMSG_NOOP, 0, 6}};
        for (int[] x : expect) {
            assertTrue(r.next());
            assertEquals(x[0], r.length());
            assertEquals(x[1], r.type());
            assertEquals(x[2], r.flags());
            assertEquals(x[3], r.seq());
        }
        assertFalse(r.next());
        assertEquals(null, r.error());
    }

    @Test
    void resetStartsOverAtOffsetZero() {
        Encoder e = dirtyEncoder(64);
        e.end(e.begin(1, 0, 1));
        e.reset();
        assertEquals(0, e.length());
        assertEquals(64, e.remaining());
        int m = e.begin(3, 0, 2);
        assertEquals(0, m);
        e.end(m);
        assertEquals("10000000" + "0300" + "0000" + "02000000" + "00000000", written(e));
    }

    @Test
    void remainingCountsDownByAlignedAttributeSizes() {
        Encoder e = dirtyEncoder(40);
        e.u8(1, 1);
        assertEquals(32, e.remaining());
        e.bytes(2, bytes("0102030405"));
        assertEquals(20, e.remaining());
    }

    @Test
    void fullBufferThrowsIllegalStateAndWritesNothingPastTheEnd() {
        MemorySegment buf = Arena.ofAuto().allocate(24, 8);
        Encoder e = new Encoder(buf);
        e.begin(1, 0, 1);
        e.u32be(1, 1);                                          // exactly fills the 24 bytes
        assertThrows(IllegalStateException.class, () -> e.u8(2, 1));
        assertThrows(IllegalStateException.class, () -> e.bytes(2, new byte[64]));
        assertThrows(IllegalStateException.class, () -> e.begin(1, 0, 2));
        assertEquals(24, e.length());
        Encoder tight = new Encoder(Arena.ofAuto().allocate(8, 8));
        // an attribute needs its padding too: 4 + 5 bytes pads to 12 > 8
        assertThrows(IllegalStateException.class, () -> tight.bytes(1, new byte[5]));
        assertEquals(0, tight.length());
    }

    @Test
    void attributeOf65531PayloadBytesIsTheLargestAndHasNlaLenFfff() {
        Encoder e = new Encoder(Arena.ofAuto().allocate(70_000, 8));
        byte[] payload = new byte[65531];
        payload[0] = 0x11;
        payload[65530] = 0x22;
        e.bytes(10, payload);
        assertEquals(65536, e.length(), "4 + 65531 = 65535, padded to 65536");
        assertEquals("ffff" + "0a00", hex(e.buffer(), 0, 4));   // nla_len 0xffff | type 10
        assertEquals("11", hex(e.buffer(), 4, 1));
        assertEquals("22" + "00", hex(e.buffer(), 4 + 65530, 2)); // last byte, 1 padding

        Decoder d = new Decoder(e.buffer(), 0, e.length());
        assertTrue(d.next());
        assertEquals(10, d.type());
        assertEquals(65531, d.length());
        assertFalse(d.next());
        assertTrue(d.ok());
    }

    @Test
    void attributeOf65532PayloadBytesDoesNotFitNlaLenAndThrows() {
        Encoder e = new Encoder(Arena.ofAuto().allocate(70_000, 8));
        assertThrows(IllegalArgumentException.class, () -> e.bytes(10, new byte[65532]));
        MemorySegment src = Arena.ofAuto().allocate(65532, 8);
        assertThrows(IllegalArgumentException.class, () -> e.bytes(10, src, 0, 65532));
        assertThrows(IllegalArgumentException.class, () -> e.raw(10, 65532));
        assertEquals(0, e.length(), "nothing written");
    }

    @Test
    void nestedAttributeGrowingPast65535BytesThrowsOnEndNested() {
        Encoder e = new Encoder(Arena.ofAuto().allocate(70_000, 8));
        int n = e.beginNested(1);
        e.bytes(2, new byte[65524]);    // 4 + 4 + 65524 = 65532: still fits
        e.u8(3, 1);                     // + 8 = 65540 > 0xffff
        assertThrows(IllegalArgumentException.class, () -> e.endNested(n));

        Encoder fits = new Encoder(Arena.ofAuto().allocate(70_000, 8));
        int f = fits.beginNested(1);
        fits.bytes(2, new byte[65524]); // nest of exactly 65532 bytes
        fits.endNested(f);
        assertEquals("fcff" + "0180", hex(fits.buffer(), 0, 4)); // nla_len 65532 | 1 | NESTED
    }
}
