package org.conenatd.conntrack;

/**
 * Real ctnetlink messages from the running kernel (6.18), captured with capture-conntrack-vectors.sh
 * in this folder (run as root). Three throw-away network namespaces joined by veth pairs:
 *
 * <pre>
 *   C 10.88.1.2 --vc/vrc-- 10.88.1.1 R 198.51.100.1 --vrs/vs-- 198.51.100.2 S
 *   R: iptables -t nat -A POSTROUTING -o vrs -p udp -j MASQUERADE
 * </pre>
 *
 * In R a python3 raw NETLINK_NETFILTER socket bound to the groups NFNLGRP_CONNTRACK_NEW and
 * NFNLGRP_CONNTRACK_DESTROY printed every datagram it received as hex. C sent one UDP datagram
 * 10.88.1.2:40000 -> 198.51.100.2:3478 and S echoed it back; then {@code conntrack -D -p udp
 * --orig-src 10.88.1.2} deleted the entry in R; then R sent a UDP datagram ::1:40001 -> ::1:9
 * (an ip6tables conntrack match in R's OUTPUT made R track IPv6). {@code conntrack -L} in R, before
 * the delete, showed:
 *
 * <pre>
 *   udp 17 29 src=10.88.1.2 dst=198.51.100.2 sport=40000 dport=3478 src=198.51.100.2 dst=198.51.100.1 sport=3478 dport=40000 mark=0 use=1
 * </pre>
 *
 * Then, in R, python3 sent requests laid out by hand (see the script) and printed the kernel's
 * answers: the DNAT create of ConntrackEncodeTest twice (ACK, then EEXIST), and the same create
 * with a 2-byte CTA_TIMEOUT, with NETLINK_EXT_ACK on and NETLINK_CAP_ACK on, then off. After the
 * first create {@code conntrack -L} in R showed the entry the kernel built from it:
 *
 * <pre>
 *   udp 17 119 src=198.51.100.7 dst=203.0.113.1 sport=3478 dport=40000 [UNREPLIED] src=10.0.0.2 dst=198.51.100.7 sport=5000 dport=3478 mark=0 use=1
 * </pre>
 *
 * Header fields are host order (little-endian), attribute payloads network order.
 */
public final class CapturedConntrackVectors {
    private CapturedConntrackVectors() {}

    static final int C_ADDR = 0x0A580102;       // 10.88.1.2
    static final int S_ADDR = 0xC6336402;       // 198.51.100.2
    static final int R_WAN_ADDR = 0xC6336401;   // 198.51.100.1, what MASQUERADE picked
    static final int FLOW_ID = 0x9a51249b;

    /** The NEW event for the client's flow, as the MASQUERADE rule set it up (148 bytes, one datagram). */
    public static final String NEW_EVENT =
            "94000000"                                      // nlmsg_len 148
          + "0001" + "0006"                                 // IPCTNL_MSG_CT_NEW (0x0100) | NLM_F_CREATE|NLM_F_EXCL (0x0600): a creation
          + "00000000" + "00000000"                         // nlmsg_seq 0 | nlmsg_pid 0: a multicast event
          + "02" + "00" + "0000"                            // nfgenmsg: AF_INET | NFNETLINK_V0 | res_id 0
          + "34000180"                                      // CTA_TUPLE_ORIG, len 52, NLA_F_NESTED
          + "14000180"                                      //   CTA_TUPLE_IP, len 20, NLA_F_NESTED
          + "08000100" + "0a580102"                         //     CTA_IP_V4_SRC, len 8: 10.88.1.2
          + "08000200" + "c6336402"                         //     CTA_IP_V4_DST, len 8: 198.51.100.2
          + "1c000280"                                      //   CTA_TUPLE_PROTO, len 28, NLA_F_NESTED
          + "05000100" + "11" + "000000"                    //     CTA_PROTO_NUM, len 5: 17, 3 padding
          + "06000200" + "9c40" + "0000"                    //     CTA_PROTO_SRC_PORT, len 6: 40000, 2 padding
          + "06000300" + "0d96" + "0000"                    //     CTA_PROTO_DST_PORT, len 6: 3478, 2 padding
          + "34000280"                                      // CTA_TUPLE_REPLY, len 52, NLA_F_NESTED
          + "14000180"                                      //   CTA_TUPLE_IP, len 20, NLA_F_NESTED
          + "08000100" + "c6336402"                         //     CTA_IP_V4_SRC, len 8: 198.51.100.2
          + "08000200" + "c6336401"                         //     CTA_IP_V4_DST, len 8: 198.51.100.1
          + "1c000280"                                      //   CTA_TUPLE_PROTO, len 28, NLA_F_NESTED
          + "05000100" + "11" + "000000"                    //     CTA_PROTO_NUM, len 5: 17, 3 padding
          + "06000200" + "0d96" + "0000"                    //     CTA_PROTO_SRC_PORT, len 6: 3478, 2 padding
          + "06000300" + "9c40" + "0000"                    //     CTA_PROTO_DST_PORT, len 6: 40000, 2 padding
          + "08000c00" + "9a51249b"                         // CTA_ID 0x9a51249b
          + "08000300" + "00000198"                         // CTA_STATUS 0x198: CONFIRMED|SRC_NAT|SRC_NAT_DONE|DST_NAT_DONE
          + "08000700" + "0000001e";                        // CTA_TIMEOUT 30 s (udp unreplied)

    /** The DESTROY event after {@code conntrack -D} (148 bytes, one datagram). */
    public static final String DESTROY_EVENT =
            "94000000"                                      // nlmsg_len 148
          + "0201" + "0000"                                 // IPCTNL_MSG_CT_DELETE (0x0102) | flags 0
          + "00000000" + "1942d5cc"                         // nlmsg_seq 0 | nlmsg_pid 0xccd54219: the port of the `conntrack -D` that deleted it
          + "02" + "00" + "0000"                            // nfgenmsg: AF_INET | NFNETLINK_V0 | res_id 0
          + "34000180"                                      // CTA_TUPLE_ORIG, len 52, NLA_F_NESTED
          + "14000180"                                      //   CTA_TUPLE_IP, len 20, NLA_F_NESTED
          + "08000100" + "0a580102"                         //     CTA_IP_V4_SRC, len 8: 10.88.1.2
          + "08000200" + "c6336402"                         //     CTA_IP_V4_DST, len 8: 198.51.100.2
          + "1c000280"                                      //   CTA_TUPLE_PROTO, len 28, NLA_F_NESTED
          + "05000100" + "11" + "000000"                    //     CTA_PROTO_NUM, len 5: 17, 3 padding
          + "06000200" + "9c40" + "0000"                    //     CTA_PROTO_SRC_PORT, len 6: 40000, 2 padding
          + "06000300" + "0d96" + "0000"                    //     CTA_PROTO_DST_PORT, len 6: 3478, 2 padding
          + "34000280"                                      // CTA_TUPLE_REPLY, len 52, NLA_F_NESTED
          + "14000180"                                      //   CTA_TUPLE_IP, len 20, NLA_F_NESTED
          + "08000100" + "c6336402"                         //     CTA_IP_V4_SRC, len 8: 198.51.100.2
          + "08000200" + "c6336401"                         //     CTA_IP_V4_DST, len 8: 198.51.100.1
          + "1c000280"                                      //   CTA_TUPLE_PROTO, len 28, NLA_F_NESTED
          + "05000100" + "11" + "000000"                    //     CTA_PROTO_NUM, len 5: 17, 3 padding
          + "06000200" + "0d96" + "0000"                    //     CTA_PROTO_SRC_PORT, len 6: 3478, 2 padding
          + "06000300" + "9c40" + "0000"                    //     CTA_PROTO_DST_PORT, len 6: 40000, 2 padding
          + "08000c00" + "9a51249b"                         // CTA_ID 0x9a51249b
          + "08000300" + "0000039a"                         // CTA_STATUS 0x39a: SEEN_REPLY|CONFIRMED|SRC_NAT|SRC_NAT_DONE|DST_NAT_DONE|DYING
          + "08000700" + "0000001d";                        // CTA_TIMEOUT 29 s left

    /** A NEW event for an IPv6 flow ::1:40001 -> ::1:9 in R (196 bytes): not ours to decode. */
    public static final String IPV6_NEW_EVENT =
            "c4000000"                                      // nlmsg_len 196
          + "0001" + "0006"                                 // IPCTNL_MSG_CT_NEW | NLM_F_CREATE|NLM_F_EXCL
          + "00000000" + "00000000"                         // nlmsg_seq 0 | nlmsg_pid 0
          + "0a" + "00" + "0000"                            // nfgenmsg: AF_INET6 (10) | NFNETLINK_V0 | res_id 0
          + "4c000180"                                      // CTA_TUPLE_ORIG, len 76, NLA_F_NESTED
          + "2c000180"                                      //   CTA_TUPLE_IP, len 44, NLA_F_NESTED
          + "14000300" + "00000000000000000000000000000001" //     CTA_IP_V6_SRC, len 20: ::1
          + "14000400" + "00000000000000000000000000000001" //     CTA_IP_V6_DST, len 20: ::1
          + "1c000280"                                      //   CTA_TUPLE_PROTO, len 28, NLA_F_NESTED
          + "05000100" + "11" + "000000"                    //     CTA_PROTO_NUM, len 5: 17, 3 padding
          + "06000200" + "9c41" + "0000"                    //     CTA_PROTO_SRC_PORT, len 6: 40001, 2 padding
          + "06000300" + "0009" + "0000"                    //     CTA_PROTO_DST_PORT, len 6: 9, 2 padding
          + "4c000280"                                      // CTA_TUPLE_REPLY, len 76, NLA_F_NESTED
          + "2c000180"                                      //   CTA_TUPLE_IP, len 44, NLA_F_NESTED
          + "14000300" + "00000000000000000000000000000001" //     CTA_IP_V6_SRC, len 20: ::1
          + "14000400" + "00000000000000000000000000000001" //     CTA_IP_V6_DST, len 20: ::1
          + "1c000280"                                      //   CTA_TUPLE_PROTO, len 28, NLA_F_NESTED
          + "05000100" + "11" + "000000"                    //     CTA_PROTO_NUM, len 5: 17, 3 padding
          + "06000200" + "0009" + "0000"                    //     CTA_PROTO_SRC_PORT, len 6: 9, 2 padding
          + "06000300" + "9c41" + "0000"                    //     CTA_PROTO_DST_PORT, len 6: 40001, 2 padding
          + "08000c00" + "df09202f"                         // CTA_ID 0xdf09202f
          + "08000300" + "00000008"                         // CTA_STATUS 0x8: CONFIRMED
          + "08000700" + "0000001e";                        // CTA_TIMEOUT, len 8: 0x1e (30)

    /** The kernel's ACK to the first DNAT create (seq 7), capped: only the request's header is echoed. */
    public static final String CREATE_ACK =
            "24000000"                                      // nlmsg_len 36
          + "0200" + "0001"                                 // NLMSG_ERROR | NLM_F_CAPPED
          + "07000000" + "933e0000"                         // nlmsg_seq 7 | nlmsg_pid 0x3e93: the python socket
          + "00000000"                                      // error 0: ACK
          + "ac000000" + "0001" + "0506"                    //   echoed: nlmsg_len 172 | ct NEW | REQUEST|ACK|EXCL|CREATE
          + "07000000" + "00000000";                        //   echoed: seq 7 | pid 0

    /** The answer to the same create sent again: the entry exists. */
    public static final String CREATE_EEXIST =
            "24000000"                                      // nlmsg_len 36
          + "0200" + "0001"                                 // NLMSG_ERROR | NLM_F_CAPPED
          + "07000000" + "933e0000"                         // nlmsg_seq 7 | nlmsg_pid
          + "efffffff"                                      // error -17 (-EEXIST)
          + "ac000000" + "0001" + "0506"                    //   echoed header of the request
          + "07000000" + "00000000";

    /** A create (seq 9) whose CTA_TIMEOUT has 2 bytes, with NETLINK_CAP_ACK: header echoed, then TLVs. */
    public static final String BAD_TIMEOUT_CAPPED =
            "78000000"                                      // nlmsg_len 120
          + "0200" + "0003"                                 // NLMSG_ERROR | NLM_F_CAPPED|NLM_F_ACK_TLVS
          + "09000000" + "933e0000"                         // nlmsg_seq 9 | nlmsg_pid
          + "deffffff"                                      // error -34 (-ERANGE)
          + "ac000000" + "0001" + "0506"                    //   echoed header: len 172 (not what follows!)
          + "09000000" + "00000000"
          + "27000100"                                      // nla_len 39 | NLMSGERR_ATTR_MSG
          + "417474726962757465206661696c656420706f6c6963792076616c69646174696f6e00" // "Attribute failed policy validation\0"
          + "00"                                            // 1 padding
          + "08000200" + "a4000000"                         // NLMSGERR_ATTR_OFFS 164: CTA_TIMEOUT in the request
          + "24000480"                                      // nla_len 36 | NLMSGERR_ATTR_POLICY | NESTED
          + "0c000400" + "0000000000000000"                 //   NL_POLICY_TYPE_ATTR_MIN_VALUE_U 0 (u64)
          + "0c000500" + "ffffffff00000000"                 //   NL_POLICY_TYPE_ATTR_MAX_VALUE_U 0xffffffff
          + "08000100" + "04000000";                        //   NL_POLICY_TYPE_ATTR_TYPE NL_ATTR_TYPE_U32

    /** The same failure without NETLINK_CAP_ACK: all 172 bytes of the request echoed before the TLVs. */
    public static final String BAD_TIMEOUT_UNCAPPED =
            "14010000"                                      // nlmsg_len 276
          + "0200" + "0002"                                 // NLMSG_ERROR | NLM_F_ACK_TLVS
          + "09000000" + "933e0000"                         // nlmsg_seq 9 | nlmsg_pid
          + "deffffff"                                      // error -34 (-ERANGE)
          + "ac000000" + "0001" + "0506" + "09000000" + "00000000" // echoed request: nlmsghdr
          + "02000000"                                      //   nfgenmsg AF_INET
          + "34000180" + "14000180" + "08000100" + "c6336407" + "08000200" + "cb007101"   // CTA_TUPLE_ORIG
          + "1c000280" + "05000100" + "11000000" + "06000200" + "0d960000" + "06000300" + "9c400000"
          + "34000280" + "14000180" + "08000100" + "cb007101" + "08000200" + "c6336407"   // CTA_TUPLE_REPLY
          + "1c000280" + "05000100" + "11000000" + "06000200" + "9c400000" + "06000300" + "0d960000"
          + "28000d80" + "08000100" + "0a000002" + "08000200" + "0a000002"                // CTA_NAT_DST
          + "14000380" + "06000100" + "13880000" + "06000200" + "13880000"
          + "06000700" + "0078" + "0000"                    //   CTA_TIMEOUT with 2 bytes: the culprit, at offset 164
          + "27000100"                                      // NLMSGERR_ATTR_MSG
          + "417474726962757465206661696c656420706f6c6963792076616c69646174696f6e00" + "00"
          + "08000200" + "a4000000"                         // NLMSGERR_ATTR_OFFS 164
          + "24000480"                                      // NLMSGERR_ATTR_POLICY
          + "0c000400" + "0000000000000000"
          + "0c000500" + "ffffffff00000000"
          + "08000100" + "04000000";

    /** What python3 sent for the accepted create, for comparison with ConntrackEncodeTest's vector. */
    static final String SENT_CREATE =
            "ac00000000010506070000000000000002000000340001801400018008000100c633640708000200cb0071011c00028005000100"
          + "11000000060002000d960000060003009c400000340002801400018008000100cb00710108000200c63364071c0002800500"
          + "010011000000060002009c40000006000300" + "0d96000028000d80080001000a000002080002000a000002140003800600"
          + "01001388000006000200138800000800070000000078";
}
