package org.conenatd.nftables;

import static org.conenatd.netlink.NetlinkHex.dirtyEncoder;
import static org.conenatd.netlink.NetlinkHex.segment;
import static org.conenatd.nftables.CapturedNftVectors.*;
import static org.conenatd.nftables.NfTables.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import org.conenatd.netlink.Encoder;
import org.conenatd.sys.Errno;
import org.conenatd.netlink.MessageReader;
import org.conenatd.netlink.Netlink;
import org.junit.jupiter.api.Test;

/** SetElemView and BatchError on what the kernel really sent (CapturedNftVectors). */
class SetElemViewDecodeTest {
    private final MessageReader r = new MessageReader();
    private final SetElemView v = new SetElemView();

    private MessageReader first(String hex) {
        MemorySegment s = segment(hex);
        r.wrap(s, 0, s.byteSize());
        assertTrue(r.next());
        return r;
    }

    @Test
    void dumpReplyOfTheOutboundMapDecodesToBothElements() {
        assertTrue(v.wrap(first(DUMP_REPLY_OUT_1)), v.error());
        assertEquals((Netlink.NLM_F_MULTI), r.flags());
        assertEquals(NFT_MSG_NEWSETELEM, v.msgType());
        assertEquals(NFPROTO_IPV4, v.family());
        assertEquals(7, v.resId());
        assertTrue(v.isSet(SetElemsEncodeTest.OUT.nameZ()));
        assertFalse(v.isSet(SetElemsEncodeTest.IN.nameZ()));
        assertTrue(v.next());
        assertEquals(8, v.keyLength);
        assertEquals(0x0a000065, v.keyAddr);
        assertEquals(5000, v.keyPort);
        assertEquals(2, v.dataLength);
        assertEquals(20000, v.dataPort);
        assertEquals(0, v.timeoutMs);
        assertTrue(v.next());
        assertEquals(0x0a000066, v.keyAddr);
        assertEquals(40000, v.keyPort);
        assertEquals(20001, v.dataPort);
        assertEquals("10.0.0.102 . 40000 : 20001", BatchError.describe(v));
        assertFalse(v.next());
        assertNull(v.error());
    }

    /** --pool's maps: the kernel's dump reply (CapturedRulesetVectors "pool-dump-reply-out_udp"): 8-byte key, 8-byte data. */
    @Test
    void dumpReplyOfAnEndpointToEndpointMapDecodesBothSides() {
        assertTrue(v.wrap(first(java.util.HexFormat.of().formatHex(CapturedRulesetVectors.message("pool-dump-reply-out_udp")))), v.error());
        assertEquals(Netlink.NLM_F_MULTI, r.flags());
        assertEquals(NFT_MSG_NEWSETELEM, v.msgType());
        assertEquals(NFPROTO_IPV4, v.family());
        assertTrue(v.isSet(NftMap.endpointMap("out_udp").nameZ()));
        assertTrue(v.next());
        assertEquals(8, v.keyLength);
        assertEquals(0x0a000065, v.keyAddr);
        assertEquals(5000, v.keyPort);
        assertEquals(8, v.dataLength);
        assertEquals(0xcb007102, v.dataAddr);                      // 203.0.113.2
        assertEquals(5000, v.dataPort);
        assertEquals(0, v.timeoutMs);
        assertEquals("10.0.0.101 . 5000 : 203.0.113.2 . 5000", BatchError.describe(v));
        assertFalse(v.next());
        assertNull(v.error());
    }

    /** ... and nft's own request for that element (NLA_F_NESTED set) reads back the same. */
    @Test
    void nftsEndpointToEndpointRequestDecodes() {
        assertTrue(v.wrap(first(java.util.HexFormat.of().formatHex(CapturedRulesetVectors.message("pool-elements-out_udp")))), v.error());
        assertTrue(v.next());
        assertEquals("10.0.0.101 . 5000 : 203.0.113.2 . 5000", BatchError.describe(v));
        assertEquals(8, v.dataLength);
        assertFalse(v.next());
        assertNull(v.error());
    }

    @Test
    void lastDumpDatagramHoldsAnEmptyElementListThenDone() {
        assertTrue(v.wrap(first(DUMP_REPLY_OUT_2)), v.error());
        assertFalse(v.next());
        assertNull(v.error());
        assertTrue(r.next());
        assertTrue(r.isDone());
        assertEquals(0, r.errorCode());
    }

    @Test
    void timeoutAndTimeLeftOfASetElementDecode() {
        assertTrue(v.wrap(first(DUMP_REPLY_SEEN)), v.error());
        assertTrue(v.next());
        assertEquals(0x0a000065, v.keyAddr);
        assertEquals(5000, v.keyPort);
        assertEquals(-1, v.dataLength);
        assertEquals(30_000, v.timeoutMs);
        assertEquals(29_612, v.expirationMs);
        assertFalse(v.next());
    }

    @Test
    void nftsOwnRequestsDecodeTooWithNlaFNestedSet() {
        MemorySegment s = segment(NFT_ADD_IN);
        r.wrap(s, 0, s.byteSize());
        assertTrue(r.next());
        assertFalse(v.wrap(r), "batch begin is not a set-element message");
        assertTrue(r.next());
        assertTrue(v.wrap(r), v.error());
        assertTrue(v.next());
        assertEquals("20000 : 10.0.0.101 . 5000", BatchError.describe(v));
        r.next();
        assertFalse(v.wrap(r));
    }

    @Test
    void ackOfACommittedMessageIsErrorZero() {
        first(ACK_101);
        assertTrue(r.isError());
        assertEquals(0, r.errorCode());
        assertEquals(101, r.seq());
        assertEquals(-1, new BatchError().badAttrOffset(r));
    }

    /** A request laid out like the python one behind the captured errors, seq 101, by our encoder. */
    private static Encoder request(String set, int lan, int lanPort, int natPort) {
        Encoder e = dirtyEncoder(1024);
        int m = SetElems.beginElements(e, NFT_MSG_NEWSETELEM, Netlink.NLM_F_CREATE, 101,
                SetElemsEncodeTest.TABLE, SetElems.nulTerminated(set, 256));
        SetElems.outboundElement(e, lan, lanPort, natPort);
        SetElems.endElements(e, m);
        return e;
    }

    @Test
    void eexistPointsAtTheElementWhichNamesItInNftNotation() {
        first(EEXIST_101);
        assertEquals(-Errno.EEXIST, r.errorCode());
        assertNull(r.extAck(), "nf_tables sends an offset, no text");
        BatchError b = new BatchError();
        assertEquals(52, b.badAttrOffset(r));
        Encoder e = request("out_udp", 0x0a000067, 5003, 20003);
        b.locate(e.buffer(), 0, e.length(), 52);
        assertEquals(0, b.elementIndex);
        assertEquals("element 10.0.0.103 . 5003 : 20003", b.what);
    }

    @Test
    void enoentForAMissingSetPointsAtTheSetName() {
        first(ENOENT_101);
        assertEquals(-Errno.ENOENT, r.errorCode());
        BatchError b = new BatchError();
        assertEquals(36, b.badAttrOffset(r));
        Encoder e = request("nosuch", 0x0a000067, 5003, 20003);
        b.locate(e.buffer(), 0, e.length(), 36);
        assertEquals(-1, b.elementIndex);
        assertEquals("the set name", b.what);
    }

    @Test
    void wrongKeySizeAndChangedValueAlsoPointAtTheElement() {
        for (String hex : new String[] {EINVAL_101, OTHER_VALUE_EEXIST_101}) {
            first(hex);
            assertEquals(52, new BatchError().badAttrOffset(r));
        }
        first(OTHER_VALUE_EEXIST_101);
        assertEquals(-Errno.EEXIST, r.errorCode(), "a different value for an existing key is EEXIST, not EBUSY");
    }

    @Test
    void notAnNfTablesMessageIsRefusedWithAReason() {
        MemorySegment s = segment("14000000" + "0001" + "0000" + "00000000" + "00000000" + "02000000");
        r.wrap(s, 0, s.byteSize());
        assertTrue(r.next());
        assertFalse(v.wrap(r));
        assertNotNull(v.error());
        assertFalse(v.next());
    }
}
