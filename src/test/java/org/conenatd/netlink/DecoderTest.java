package org.conenatd.netlink;

import static org.conenatd.netlink.NetlinkHex.dirtyEncoder;
import static org.conenatd.netlink.NetlinkHex.segment;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Decoder over hand-written attribute runs (struct nlattr: __u16 nla_len, __u16 nla_type, host
 * order; payloads here big-endian as ctnetlink sends them). Malformed input must never throw: the
 * first problem becomes a sticky error, next() returns false and accessors return 0.
 */
class DecoderTest {

    @BeforeAll
    static void hostIsLittleEndian() {
        assumeTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, "vectors spell host order as little-endian");
    }

    /** Five attributes, 44 bytes. */
    static final String RUN =
            "08000100" + "c6336407"              // nla_len 8 | type 1 | u32be 198.51.100.7
          + "06000240" + "1388" + "0000"         // nla_len 6 | type 2 | NLA_F_NET_BYTEORDER (0x4000) | u16be 5000 | 2 padding
          + "0c000380"                           // nla_len 12 | type 3 | NLA_F_NESTED (0x8000)
          +   "08000100" + "0000002a"            //   nla_len 8 | type 1 | u32be 42
          + "08000400" + "68692100"              // nla_len 8 | type 4 | "hi!\0"
          + "05000500" + "11" + "000000"         // nla_len 5 | type 5 | u8 17 | 3 padding
          + "0c0006c0" + "0102030405060708";     // nla_len 12 | type 6 | NESTED|NET_BYTEORDER | u64be

    @Test
    void iteratesEveryAttributeInOrderWithItsTypeLengthAndPayload() {
        MemorySegment seg = segment(RUN);
        Decoder d = new Decoder(seg, 0, seg.byteSize());
        assertTrue(d.next());
        assertEquals(1, d.type());
        assertEquals(4, d.length());
        assertEquals(4, d.offset());
        assertEquals(0xc6336407, d.u32be());
        assertTrue(d.next());
        assertEquals(2, d.type());
        assertEquals(5000, d.u16be());
        assertTrue(d.next());
        assertEquals(3, d.type());
        assertTrue(d.next());
        assertEquals(4, d.type());
        assertEquals("hi!", d.string());
        assertTrue(d.next());
        assertEquals(5, d.type());
        assertEquals(17, d.u8());
        assertTrue(d.next());
        assertEquals(6, d.type());
        assertEquals(0x0102030405060708L, d.u64be());
        assertFalse(d.next());
        assertTrue(d.ok());
        assertNull(d.error());
        assertFalse(d.next(), "stays at the end");
    }

    @Test
    void typeMasksNlaFNestedAndNlaFNetByteorderWhileIsNestedReportsTheFlag() {
        MemorySegment seg = segment(RUN);
        Decoder d = new Decoder(seg, 0, seg.byteSize());
        assertTrue(d.next());
        assertFalse(d.isNested());
        assertTrue(d.next());
        assertEquals(2, d.type(), "0x4002 without NET_BYTEORDER");
        assertFalse(d.isNested());
        assertTrue(d.next());
        assertEquals(3, d.type(), "0x8003 without NESTED");
        assertTrue(d.isNested());
        d.next();
        d.next();
        assertTrue(d.next());
        assertEquals(6, d.type(), "0xc006 without both");
        assertTrue(d.isNested());
        assertEquals(0x3fff, Netlink.NLA_TYPE_MASK);
    }

    @Test
    void nestedPointsAChildAtThePayloadOnlyAndTheParentCarriesOn() {
        MemorySegment seg = segment(RUN);
        Decoder d = new Decoder(seg, 0, seg.byteSize());
        d.next();
        d.next();
        d.next();
        Decoder c = d.nested(new Decoder());
        assertTrue(c.next());
        assertEquals(1, c.type());
        assertEquals(42, c.u32be());
        assertFalse(c.next(), "the child stops at the end of the nest, not of the run");
        assertTrue(c.ok());
        assertTrue(d.next());
        assertEquals(4, d.type());
    }

    @Test
    void errorsInANestedChildStayInTheChild() {
        String run = "0c000180" + "09000100" + "00000000"   // nest of 12 whose child claims 9 bytes (only 8 there)
                   + "08000200" + "00000007";
        MemorySegment seg = segment(run);
        Decoder d = new Decoder(seg, 0, seg.byteSize());
        assertTrue(d.next());
        Decoder c = d.nested(new Decoder());
        assertFalse(c.next());
        assertNotNull(c.error());
        assertTrue(d.ok());
        assertTrue(d.next());
        assertEquals(7, d.u32be());
    }

    @Test
    void lastAttributeWithoutTrailingPaddingIsAccepted() {
        // The kernel ends NFQA_PAYLOAD (and so the message) unpadded: 5 bytes here, no padding after.
        MemorySegment seg = segment("08000100" + "00000001" + "05000a00" + "45");
        Decoder d = new Decoder(seg, 0, seg.byteSize());
        assertTrue(d.next());
        assertTrue(d.next());
        assertEquals(1, d.length());
        assertEquals(0x45, d.u8());
        assertFalse(d.next());
        assertTrue(d.ok());
    }

    @Test
    void emptyRunYieldsNothingAndNoError() {
        Decoder d = new Decoder(segment("08000100"), 4, 0);
        assertFalse(d.next());
        assertTrue(d.ok());
    }

    @Test
    void truncatedAttributeHeaderIsAStickyErrorNotAnException() {
        MemorySegment seg = segment("08000100" + "00000001" + "0800");       // 2 stray bytes
        Decoder d = new Decoder(seg, 0, seg.byteSize());
        assertTrue(d.next());
        assertFalse(d.next());
        assertTrue(d.error().contains("truncated attribute header"), d.error());
        assertFalse(d.ok());
        assertFalse(d.next(), "sticky");
    }

    @Test
    void attributeLongerThanTheRemainingBytesIsAStickyError() {
        MemorySegment seg = segment("08000100" + "00000001" + "10000200" + "00000002"); // claims 16, has 8
        Decoder d = new Decoder(seg, 0, seg.byteSize());
        assertTrue(d.next());
        assertFalse(d.next());
        assertTrue(d.error().contains("bad attribute length 16 at 8"), d.error());
        assertFalse(d.next());
    }

    @Test
    void attributeLengthBelowTheHeaderSizeIsAnError() {
        for (String len : new String[] {"0000", "0100", "0300"}) {
            MemorySegment seg = segment(len + "0100" + "00000000");
            Decoder d = new Decoder(seg, 0, seg.byteSize());
            assertFalse(d.next(), len);
            assertTrue(d.error().startsWith("bad attribute length"), d.error());
        }
    }

    @Test
    void afterAnErrorEveryAccessorReturnsZeroOrEmpty() {
        MemorySegment seg = segment("08000100" + "0000002a" + "ffff0200");
        Decoder d = new Decoder(seg, 0, seg.byteSize());
        assertTrue(d.next());
        assertEquals(42, d.u32be());
        assertFalse(d.next());
        // the cursor still points at the good attribute, but the error wins
        assertEquals(0, d.u8());
        assertEquals(0, d.u16be());
        assertEquals(0, d.u32be());
        assertEquals(0, d.u32());
        assertEquals(0L, d.u64be());
        assertEquals("", d.string());
    }

    @Test
    void accessorWiderThanTheAttributeSetsTheErrorAndReturnsZero() {
        MemorySegment seg = segment("06000700" + "0078" + "0000" + "08000800" + "00000001");
        Decoder d = new Decoder(seg, 0, seg.byteSize());
        assertTrue(d.next());
        assertEquals(0, d.u32be(), "2-byte attribute read as u32");
        assertEquals("attribute type 7 has 2 bytes, needs 4", d.error());
        assertFalse(d.next(), "the error stops iteration");
        assertEquals(0, d.u16be(), "even the accessor that would have fitted");
    }

    @Test
    void u64OnAFourByteAttributeIsAnErrorToo() {
        MemorySegment seg = segment("08000100" + "00000001");
        Decoder d = new Decoder(seg, 0, seg.byteSize());
        d.next();
        assertEquals(0L, d.u64be());
        assertFalse(d.ok());
    }

    @Test
    void accessorsBeforeTheFirstNextReturnZeroWithoutError() {
        Decoder d = new Decoder(segment(RUN), 0, 44);
        assertEquals(0, d.u32be());
        assertEquals("", d.string());
        assertTrue(d.ok());
    }

    @Test
    void stringStopsAtNulOrAtTheAttributeEndWhenUnterminated() {
        MemorySegment seg = segment("08000100" + "61620063" + "07000200" + "616263" + "00");
        Decoder d = new Decoder(seg, 0, seg.byteSize());
        d.next();
        assertEquals("ab", d.string());
        d.next();
        assertEquals("abc", d.string(), "3 bytes, unterminated: the padding is not part of it");
    }

    @Test
    void wrapBeyondTheSegmentIsAnErrorAndWrapAgainClearsIt() {
        MemorySegment seg = segment("08000100" + "00000001");
        Decoder d = new Decoder();
        d.wrap(seg, 4, 8);
        assertFalse(d.next());
        assertEquals("attributes out of bounds", d.error());
        d.wrap(seg, -1, 4);
        assertFalse(d.ok());
        d.wrap(seg, 0, 8);
        assertTrue(d.ok(), "a reused decoder starts clean");
        assertTrue(d.next());
        assertEquals(1, d.u32be());
    }

    @Test
    void callerFailureKeepsTheFirstReason() {
        Decoder d = new Decoder(segment(RUN), 0, 44);
        d.fail("missing CTA_TUPLE_ORIG");
        d.fail("second");
        assertEquals("missing CTA_TUPLE_ORIG", d.error());
        assertFalse(d.next());
    }

    @Test
    void decoderAtANonZeroOffsetReadsOnlyItsWindow() {
        Encoder e = dirtyEncoder(64);
        e.u32be(9, 0xdeadbeef);
        e.u32be(1, 5);
        e.u32be(2, 6);
        e.u32be(9, 0xdeadbeef);
        assertEquals(32, e.length());
        Decoder d = new Decoder(e.buffer(), 8, 16);
        int sum = 0;
        while (d.next()) sum += d.u32be();
        assertEquals(11, sum);
        assertTrue(d.ok());
    }
}
