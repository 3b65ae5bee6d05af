package org.conenatd.nftables;

/**
 * Real nf_tables netlink traffic from this machine (kernel 6.18, nft 1.0.6), captured with
 * capture-nftables-vectors.sh in this folder (run as root) in a throw-away network namespace
 * holding:
 *
 * <pre>
 *   table ip conenatd {
 *     map out_udp { type ipv4_addr . inet_service : inet_service; }
 *     map in_udp  { type inet_service : ipv4_addr . inet_service; }
 *     set seen    { type ipv4_addr . inet_service; flags timeout; }
 *   }
 * </pre>
 *
 * What nft sent and received was taken from {@code strace -e write=3 -e read=3} (full hex of every
 * datagram on nft's netlink socket); the kernel's answers to hand-built batches from a python3 raw
 * NETLINK_NETFILTER socket with NETLINK_EXT_ACK and NETLINK_CAP_ACK on. Header fields are host order
 * (little-endian), attribute payloads network order, except NLMSGERR_ATTR_OFFS (host order).
 */
public final class CapturedNftVectors {
    private CapturedNftVectors() {}

    static final String BATCH_BEGIN =
            "14000000" + "1000" + "0100"            // nlmsg_len 20 | NFNL_MSG_BATCH_BEGIN | NLM_F_REQUEST
          + "00000000" + "00000000"                 // nlmsg_seq 0 | nlmsg_pid 0
          + "00" + "00" + "000a";                   // nfgenmsg: AF_UNSPEC | NFNETLINK_V0 | res_id NFNL_SUBSYS_NFTABLES (BE)

    static final String BATCH_END_SEQ2 =
            "14000000" + "1100" + "0100"            // nlmsg_len 20 | NFNL_MSG_BATCH_END | NLM_F_REQUEST (no ACK asked)
          + "02000000" + "00000000"                 // nlmsg_seq 2 | nlmsg_pid 0
          + "00" + "00" + "000a";

    /** {@code nft add element ip conenatd out_udp { 10.0.0.101 . 5000 : 20000 }}: one 132-byte datagram. */
    public static final String NFT_ADD_OUT = BATCH_BEGIN
          + "5c000000" + "0c0a" + "0104"            // nlmsg_len 92 | NFT_MSG_NEWSETELEM (0x0a0c) | NLM_F_REQUEST|NLM_F_CREATE
          + "01000000" + "00000000"                 // nlmsg_seq 1 | nlmsg_pid 0
          + "02" + "00" + "0000"                    // nfgenmsg: NFPROTO_IPV4 | NFNETLINK_V0 | res_id 0
          + "0d000100" + "636f6e656e61746400" + "000000" // NFTA_SET_ELEM_LIST_TABLE, len 13: "conenatd\0", 3 padding
          + "0c000200" + "6f75745f75647000"         // NFTA_SET_ELEM_LIST_SET, len 12: "out_udp\0"
          + "08000400" + "00000001"                 // NFTA_SET_ELEM_LIST_SET_ID 1: nft's transaction-local id (not sent by us)
          + "24000380"                              // NFTA_SET_ELEM_LIST_ELEMENTS, len 36, NLA_F_NESTED
          + "20000180"                              //   NFTA_LIST_ELEM, len 32, NLA_F_NESTED
          + "10000180"                              //     NFTA_SET_ELEM_KEY, len 16, NLA_F_NESTED
          + "0c000100" + "0a000065" + "1388" + "0000" //     NFTA_DATA_VALUE, len 12: 10.0.0.101 | port 5000 | 2 zero bytes of register padding
          + "0c000280"                              //     NFTA_SET_ELEM_DATA, len 12, NLA_F_NESTED
          + "06000100" + "4e20" + "0000"            //       NFTA_DATA_VALUE, len 6: port 20000 (2 bytes, not a 4-byte register) | 2 attribute padding
          + BATCH_END_SEQ2;

    /** {@code nft add element ip conenatd in_udp { 20000 : 10.0.0.101 . 5000 }}. */
    public static final String NFT_ADD_IN = BATCH_BEGIN
          + "5c000000" + "0c0a" + "0104" + "01000000" + "00000000" // NEWSETELEM, len 92, REQUEST|CREATE, seq 1
          + "02" + "00" + "0000"
          + "0d000100" + "636f6e656e61746400" + "000000" // TABLE "conenatd\0"
          + "0b000200" + "696e5f75647000" + "00"     // SET, len 11: "in_udp\0", 1 padding
          + "08000400" + "00000002"                 // SET_ID 2
          + "24000380"                              // ELEMENTS, len 36, nested
          + "20000180"                              //   LIST_ELEM, len 32, nested
          + "0c000180"                              //     KEY, len 12, nested
          + "06000100" + "4e20" + "0000"            //       DATA_VALUE, len 6: port 20000, 2 padding
          + "10000280"                              //     DATA, len 16, nested
          + "0c000100" + "0a000065" + "1388" + "0000" //     DATA_VALUE, len 12: 10.0.0.101 | 5000 | 2 zero
          + BATCH_END_SEQ2;

    /** {@code nft delete element ip conenatd out_udp { 10.0.0.101 . 5000 }}. */
    public static final String NFT_DELETE_OUT = BATCH_BEGIN
          + "48000000" + "0e0a" + "0100"            // nlmsg_len 72 | NFT_MSG_DELSETELEM (0x0a0e) | NLM_F_REQUEST only
          + "01000000" + "00000000"
          + "02" + "00" + "0000"
          + "0d000100" + "636f6e656e61746400" + "000000"
          + "0c000200" + "6f75745f75647000"         // SET "out_udp\0" (no SET_ID on a delete)
          + "18000380"                              // ELEMENTS, len 24, nested
          + "14000180"                              //   LIST_ELEM, len 20, nested
          + "10000180"                              //     KEY, len 16, nested
          + "0c000100" + "0a000065" + "1388" + "0000" //     DATA_VALUE: 10.0.0.101 . 5000
          + BATCH_END_SEQ2;

    /** {@code nft add element ip conenatd seen { 10.0.0.101 . 5000 timeout 30s }}. */
    public static final String NFT_ADD_SEEN_TIMEOUT = BATCH_BEGIN
          + "5c000000" + "0c0a" + "0104" + "01000000" + "00000000"
          + "02" + "00" + "0000"
          + "0d000100" + "636f6e656e61746400" + "000000"
          + "09000200" + "7365656e00" + "000000"    // SET, len 9: "seen\0", 3 padding
          + "08000400" + "00000003"                 // SET_ID 3
          + "24000380"                              // ELEMENTS, len 36, nested
          + "20000180"                              //   LIST_ELEM, len 32, nested
          + "0c000400" + "0000000000007530"         //     NFTA_SET_ELEM_TIMEOUT, len 12: 30000 ms (u64 BE), ahead of the key
          + "10000180"                              //     KEY, len 16, nested
          + "0c000100" + "0a000065" + "1388" + "0000"
          + BATCH_END_SEQ2;

    /** {@code nft list map ip conenatd out_udp}: the GETSETELEM dump request (sent with sendto). */
    public static final String NFT_DUMP_REQUEST_OUT =
            "30000000" + "0d0a" + "0103"            // nlmsg_len 48 | NFT_MSG_GETSETELEM (0x0a0d) | NLM_F_REQUEST|NLM_F_DUMP
          + "00000000" + "00000000"                 // nlmsg_seq 0 | nlmsg_pid 0
          + "02" + "00" + "0000"                    // NFPROTO_IPV4
          + "0c000200" + "6f75745f75647000"         // NFTA_SET_ELEM_LIST_SET "out_udp\0" (nft puts the set first)
          + "0d000100" + "636f6e656e61746400" + "617464"; // NFTA_SET_ELEM_LIST_TABLE "conenatd\0", padding "atd": nft leaves it uninitialised

    /**
     * The kernel's dump reply to that request, out_udp holding 10.0.0.101 . 5000 : 20000 and
     * 10.0.0.102 . 40000 : 20001: one datagram with one message holding both elements...
     */
    public static final String DUMP_REPLY_OUT_1 =
            "74000000" + "0c0a" + "0200"            // nlmsg_len 116 | NFT_MSG_NEWSETELEM | NLM_F_MULTI
          + "00000000" + "0d1c0000"                 // nlmsg_seq 0 | nlmsg_pid (nft's port)
          + "02" + "00" + "0007"                    // NFPROTO_IPV4 | v0 | res_id 7: the ruleset generation
          + "0d000100" + "636f6e656e61746400" + "000000"
          + "0c000200" + "6f75745f75647000"
          + "44000300"                              // ELEMENTS, len 68: the kernel does not set NLA_F_NESTED
          + "20000100"                              //   LIST_ELEM, len 32 (no NLA_F_NESTED)
          + "10000100"                              //     KEY, len 16
          + "0c000100" + "0a000065" + "1388" + "0000" //     DATA_VALUE: 10.0.0.101 . 5000
          + "0c000200"                              //     DATA, len 12
          + "06000100" + "4e20" + "0000"            //       DATA_VALUE: 20000
          + "20000100"                              //   LIST_ELEM, len 32
          + "10000100"
          + "0c000100" + "0a000066" + "9c40" + "0000" //     10.0.0.102 . 40000
          + "0c000200"
          + "06000100" + "4e21" + "0000";           //       20001

    /** ...then a datagram with a last, empty element message and NLMSG_DONE. */
    public static final String DUMP_REPLY_OUT_2 =
            "34000000" + "0c0a" + "0200" + "00000000" + "0d1c0000" // nlmsg_len 52 | NEWSETELEM | NLM_F_MULTI
          + "02" + "00" + "0007"
          + "0d000100" + "636f6e656e61746400" + "000000"
          + "0c000200" + "6f75745f75647000"
          + "04000300"                              // ELEMENTS, len 4: empty
          + "14000000" + "0300" + "0200" + "00000000" + "0d1c0000" // NLMSG_DONE | NLM_F_MULTI
          + "00000000";                             // the dump's result: 0

    /** {@code nft list set ip conenatd seen}: an element with its timeout and the time left. */
    public static final String DUMP_REPLY_SEEN =
            "60000000" + "0c0a" + "0200" + "00000000" + "4a1c0000" // nlmsg_len 96 | NEWSETELEM | NLM_F_MULTI
          + "02" + "00" + "0007"
          + "0d000100" + "636f6e656e61746400" + "000000"
          + "09000200" + "7365656e00" + "000000"
          + "30000300"                              // ELEMENTS, len 48
          + "2c000100"                              //   LIST_ELEM, len 44
          + "10000100"                              //     KEY, len 16
          + "0c000100" + "0a000065" + "1388" + "0000" //     10.0.0.101 . 5000
          + "0c000400" + "0000000000007530"         //     NFTA_SET_ELEM_TIMEOUT 30000 ms
          + "0c000500" + "00000000000073ac";        //     NFTA_SET_ELEM_EXPIRATION 29612 ms left

    /** A NEWSETELEM with NLM_F_ACK (seq 101) that committed: its ACK. */
    public static final String ACK_101 =
            "24000000" + "0200" + "0001"            // nlmsg_len 36 | NLMSG_ERROR | NLM_F_CAPPED
          + "65000000" + "a31c0000"                 // nlmsg_seq 101 | nlmsg_pid
          + "00000000"                              // error 0: an ACK
          + "54000000" + "0c0a" + "0504" + "65000000" + "00000000"; // echoed header: len 84, NEWSETELEM, REQUEST|ACK|CREATE, seq 101

    /** The same element again with NLM_F_EXCL: EEXIST, pointing at the element. */
    public static final String EEXIST_101 =
            "2c000000" + "0200" + "0003"            // nlmsg_len 44 | NLMSG_ERROR | NLM_F_CAPPED|NLM_F_ACK_TLVS
          + "65000000" + "a31c0000"
          + "efffffff"                              // -17 EEXIST
          + "54000000" + "0c0a" + "0106" + "65000000" + "00000000" // echoed: REQUEST|CREATE|EXCL
          + "08000200" + "34000000";                // NLMSGERR_ATTR_OFFS 52: the first NFTA_LIST_ELEM of the message

    /** An element for a set that does not exist: ENOENT, pointing at the set name. */
    public static final String ENOENT_101 =
            "2c000000" + "0200" + "0003" + "65000000" + "a31c0000"
          + "feffffff"                              // -2 ENOENT
          + "54000000" + "0c0a" + "0104" + "65000000" + "00000000"
          + "08000200" + "24000000";                // NLMSGERR_ATTR_OFFS 36: NFTA_SET_ELEM_LIST_SET

    /** A 6-byte key for the 8-byte ipv4_addr . inet_service key: EINVAL at the element. */
    public static final String EINVAL_101 =
            "2c000000" + "0200" + "0003" + "65000000" + "a31c0000"
          + "eaffffff"                              // -22 EINVAL
          + "54000000" + "0c0a" + "0104" + "65000000" + "00000000"
          + "08000200" + "34000000";

    /** An existing key with another value, without NLM_F_EXCL: EEXIST (not EBUSY) at the element. */
    public static final String OTHER_VALUE_EEXIST_101 =
            "2c000000" + "0200" + "0003" + "65000000" + "a31c0000"
          + "efffffff"
          + "54000000" + "0c0a" + "0104" + "65000000" + "00000000"
          + "08000200" + "34000000";
}
