package org.conenatd.nftables;

import static org.conenatd.netlink.NetlinkHex.dirtyEncoder;
import static org.conenatd.netlink.NetlinkHex.written;
import static org.conenatd.nftables.CapturedNftVectors.*;
import static org.conenatd.nftables.NfTables.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.conenatd.netlink.Encoder;
import org.conenatd.netlink.MessageReader;
import org.conenatd.netlink.Netlink;
import org.junit.jupiter.api.Test;

/**
 * The encoder against what nft 1.0.6 sends (CapturedNftVectors): byte for byte, with the sequence
 * numbers nft used, except for NFTA_SET_ELEM_LIST_SET_ID, which nft adds to every NEWSETELEM and we
 * do not (the kernel uses it only for a set created in the same batch).
 */
class SetElemsEncodeTest {
    static final byte[] TABLE = SetElems.nulTerminated("conenatd", NFT_TABLE_MAXNAMELEN);
    static final NftMap OUT = NftMap.outbound("out_udp"), IN = NftMap.inbound("in_udp"), SEEN = NftMap.addrPortSet("seen");
    static final int LAN = 0x0a000065; // 10.0.0.101

    /** nft's NEWSETELEM minus its 8-byte SET_ID attribute, nlmsg_len adjusted (92 -> 84). */
    static String withoutSetId(String captured, int id) {
        String setId = "08000400" + String.format("%08x", id);
        assertTrue(captured.contains(setId));
        return captured.replace(setId, "").replace("5c000000" + "0c0a", "54000000" + "0c0a");
    }

    private static String batch(NftMap map, int msg, int flags, Runnable elements, Encoder e) {
        SetElems.batchBegin(e, 0);
        int m = SetElems.beginElements(e, msg, flags, 1, TABLE, map.nameZ());
        elements.run();
        SetElems.endElements(e, m);
        SetElems.batchEnd(e, 2, false);
        return written(e);
    }

    @Test
    void addToTheOutboundMapIsWhatNftSends() {
        Encoder e = dirtyEncoder(1024);
        assertEquals(withoutSetId(NFT_ADD_OUT, 1),
                batch(OUT, NFT_MSG_NEWSETELEM, Netlink.NLM_F_CREATE, () -> SetElems.outboundElement(e, LAN, 5000, 20000), e));
    }

    @Test
    void addToTheInboundMapIsWhatNftSends() {
        Encoder e = dirtyEncoder(1024);
        assertEquals(withoutSetId(NFT_ADD_IN, 2),
                batch(IN, NFT_MSG_NEWSETELEM, Netlink.NLM_F_CREATE, () -> SetElems.inboundElement(e, 20000, LAN, 5000), e));
    }

    @Test
    void deleteNamesTheKeyOnlyAsNftDoes() {
        Encoder e = dirtyEncoder(1024);
        assertEquals(NFT_DELETE_OUT,
                batch(OUT, NFT_MSG_DELSETELEM, 0, () -> SetElems.keyElement(e, OUT.key(), LAN, 5000), e));
    }

    @Test
    void elementWithATimeoutIsWhatNftSends() {
        Encoder e = dirtyEncoder(1024);
        assertEquals(withoutSetId(NFT_ADD_SEEN_TIMEOUT, 3), batch(SEEN, NFT_MSG_NEWSETELEM, Netlink.NLM_F_CREATE,
                () -> SetElems.element(e, SEEN.key(), LAN, 5000, SEEN.data(), 0, 0, 30_000, 0), e));
    }

    @Test
    void dumpRequestIsWhatNftSendsWithItsStrayPaddingZeroed() {
        Encoder e = dirtyEncoder(256);
        SetElems.dumpRequest(e, 0, TABLE, OUT.nameZ());
        assertEquals(NFT_DUMP_REQUEST_OUT.substring(0, NFT_DUMP_REQUEST_OUT.length() - 6) + "000000", written(e));
    }

    @Test
    void batchEndAsksForAnAckOnlyWhenTold() {
        Encoder e = dirtyEncoder(64);
        SetElems.batchEnd(e, 2, true);
        assertEquals(BATCH_END_SEQ2.replace("1100" + "0100", "1100" + "0500"), written(e));
    }

    @Test
    void manyElementsInManyMessagesDecodeBackToWhatWasEncoded() {
        Encoder e = dirtyEncoder(64 * 1024);
        SetElems.batchBegin(e, 10);
        int m1 = SetElems.beginElements(e, NFT_MSG_NEWSETELEM, Netlink.NLM_F_CREATE, 11, TABLE, OUT.nameZ());
        for (int i = 0; i < 64; i++) SetElems.outboundElement(e, 0x0a000000 + i, 1024 + i, 40000 + i);
        SetElems.endElements(e, m1);
        int m2 = SetElems.beginElements(e, NFT_MSG_NEWSETELEM, Netlink.NLM_F_CREATE, 12, TABLE, IN.nameZ());
        for (int i = 0; i < 64; i++) SetElems.inboundElement(e, 40000 + i, 0x0a000000 + i, 1024 + i);
        SetElems.endElements(e, m2);
        SetElems.batchEnd(e, 13, true);

        MessageReader r = new MessageReader().wrap(e.buffer(), 0, e.length());
        SetElemView v = new SetElemView();
        int[] types = new int[4];
        int n = 0, count = 0;
        while (r.next()) {
            types[n++] = r.type();
            if (r.type() != NfTables.msgType(NFT_MSG_NEWSETELEM)) continue;
            assertTrue(v.wrap(r), v.error());
            boolean out = v.isSet(OUT.nameZ());
            assertTrue(out || v.isSet(IN.nameZ()));
            for (int i = 0; v.next(); i++, count++) {
                assertEquals(out ? 8 : 2, v.keyLength);
                assertEquals(out ? 2 : 8, v.dataLength);
                assertEquals(out ? 0x0a000000 + i : 0, v.keyAddr);
                assertEquals(out ? 1024 + i : 40000 + i, v.keyPort);
                assertEquals(out ? 0 : 0x0a000000 + i, v.dataAddr);
                assertEquals(out ? 40000 + i : 1024 + i, v.dataPort);
            }
            assertEquals(null, v.error());
        }
        assertEquals(null, r.error());
        assertEquals(128, count);
        assertEquals(NFNL_MSG_BATCH_BEGIN, types[0]);
        assertEquals(NFNL_MSG_BATCH_END, types[3]);
    }

    /**
     * --pool's maps: an 8-byte key and 8-byte data, against nft's {@code add element ip
     * conenatd_pool out_udp { 10.0.0.101 . 5000 : 203.0.113.2 . 5000 }} (CapturedRulesetVectors
     * "pool-elements-out_udp", the message alone, nft's NFTA_SET_ELEM_LIST_SET_ID taken out).
     */
    @Test
    void endpointToEndpointElementIsWhatNftSends() {
        String theirs = java.util.HexFormat.of().formatHex(CapturedRulesetVectors.message("pool-elements-out_udp"));
        String setId = "08000400" + "0000000c";                   // NFTA_SET_ELEM_LIST_SET_ID 12: nft's 12th set of the run
        assertTrue(theirs.contains(setId));
        theirs = theirs.replace(setId, "");
        assertEquals("64000000", theirs.substring(0, 8));         // nlmsg_len 100 -> 92
        theirs = "5c000000" + theirs.substring(8);
        NftMap out = NftMap.endpointMap("out_udp");
        Encoder e = dirtyEncoder(1024);
        int m = SetElems.beginElements(e, NFT_MSG_NEWSETELEM, Netlink.NLM_F_CREATE, 1,
                SetElems.nulTerminated("conenatd_pool", NFT_TABLE_MAXNAMELEN), out.nameZ());
        SetElems.element(e, out.key(), LAN, 5000, out.data(), 0xcb007102, 5000, 0, 0);
        SetElems.endElements(e, m);
        assertEquals(theirs, written(e));
        assertEquals(8, out.key().length);
        assertEquals(8, out.data().length);
        assertTrue(out.isMap());
    }

    @Test
    void namesAreNulTerminatedAndBounded() {
        assertEquals(9, TABLE.length);
        assertEquals(0, TABLE[8]);
        assertThrows(IllegalArgumentException.class, () -> SetElems.nulTerminated("", 256));
        assertThrows(IllegalArgumentException.class, () -> SetElems.nulTerminated("x".repeat(256), 256));
        assertFalse(new NftMap("x".repeat(255), Datatype.INET_SERVICE, Datatype.NONE).isMap());
    }

}
