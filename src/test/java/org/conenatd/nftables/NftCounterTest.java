package org.conenatd.nftables;

import org.conenatd.netlink.Decoder;
import org.conenatd.netlink.Encoder;
import org.conenatd.netlink.MessageReader;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.conenatd.netlink.NetlinkHex.dirtyEncoder;
import static org.conenatd.netlink.NetlinkHex.segment;
import static org.conenatd.netlink.NetlinkHex.written;
import static org.junit.jupiter.api.Assertions.*;

/**
 * NftCounter's NFT_MSG_GETOBJ request and the packet count of its answer, against vectors written
 * by hand from linux/netfilter/nf_tables.h (enum nf_tables_msg_types, nft_object_attributes,
 * nft_counter_attributes, NFT_OBJECT_COUNTER) on a little-endian host.
 */
class NftCounterTest {
    /** Get counter "inbound" of table "conenatd", seq 7. */
    static final String GET_INBOUND =
            "38000000"                                   // nlmsg_len 56
          + "130a" + "0500"                              // NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETOBJ (19); REQUEST | ACK
          + "07000000" + "00000000"                      // seq 7, pid 0
          + "02" + "00" + "0000"                         // nfgenmsg: NFPROTO_IPV4
          + "0d000100" + "636f6e656e61746400" + "000000" // NFTA_OBJ_TABLE "conenatd\0" + 3 padding
          + "0c000200" + "696e626f756e6400"              // NFTA_OBJ_NAME "inbound\0"
          + "08000300" + "00000001";                     // NFTA_OBJ_TYPE NFT_OBJECT_COUNTER, big-endian

    /** The kernel's answer: NFT_MSG_NEWOBJ with NFTA_OBJ_DATA { bytes 4,200, packets 42 }. */
    static final String NEWOBJ_42 =
            "54000000" + "120a" + "0000" + "07000000" + "00000000"
          + "02" + "00" + "0001"
          + "0d000100" + "636f6e656e61746400" + "000000"
          + "0c000200" + "696e626f756e6400"
          + "08000300" + "00000001"
          + "1c000480"                                   // NFTA_OBJ_DATA (4) | NLA_F_NESTED, 28 bytes
          +   "0c000100" + "0000000000001068"            //   NFTA_COUNTER_BYTES 4,200
          +   "0c000200" + "000000000000002a";           //   NFTA_COUNTER_PACKETS 42

    @Test
    void getRequestEncodesExactlyTheHandWrittenVector() {
        Encoder e = dirtyEncoder(256);
        NftCounter.encodeGet(e, 7, SetElems.nulTerminated("conenatd", NfTables.NFT_TABLE_MAXNAMELEN),
                SetElems.nulTerminated("inbound", NfTables.NFT_OBJ_MAXNAMELEN));
        assertEquals(GET_INBOUND, written(e));
    }

    @Test
    void theAnswersPacketCountIsRead() {
        MemorySegment s = segment(NEWOBJ_42);
        MessageReader m = new MessageReader().wrap(s, 0, s.byteSize());
        assertTrue(m.next());
        assertEquals(42, NftCounter.packetsOf(m, new Decoder(), new Decoder()));
    }

    @Test
    void anAnswerOfAnotherKindOrWithoutDataHasNoCount() {
        MemorySegment s = segment(GET_INBOUND); // a GETOBJ, not a NEWOBJ
        MessageReader m = new MessageReader().wrap(s, 0, s.byteSize());
        assertTrue(m.next());
        assertEquals(-1, NftCounter.packetsOf(m, new Decoder(), new Decoder()));
        String noData = "38000000" + "120a" + GET_INBOUND.substring(12);
        MemorySegment t = segment(noData);
        MessageReader n = new MessageReader().wrap(t, 0, t.byteSize());
        assertTrue(n.next());
        assertEquals(-1, NftCounter.packetsOf(n, new Decoder(), new Decoder()));
    }

    @Test
    void aTruncatedCountIsNoCount() {
        // the packets attribute cut to 4 bytes (and the lengths around it shortened to match)
        String cut = "50000000" + NEWOBJ_42.substring(8, NEWOBJ_42.length() - 24).replace("1c000480", "18000480")
                + "08000200" + "0000002a";
        MemorySegment s = segment(cut);
        MessageReader m = new MessageReader().wrap(s, 0, s.byteSize());
        assertTrue(m.next());
        assertEquals(-1, NftCounter.packetsOf(m, new Decoder(), new Decoder()));
    }
}
