package org.conenatd.nfqueue;

/**
 * nfnetlink_queue packet messages for QueuedPacketDecodeTest and the decoder fuzz test: one laid
 * out by hand from linux/netfilter/nfnetlink_queue.h, one the kernel sent. Header fields are host
 * order (little-endian), attribute payloads network order.
 */
public final class NfQueueVectors {
    private NfQueueVectors() {}

    /** IPv4/UDP 198.51.100.7:3478 -> 203.0.113.1:40000, payload "!" (checksums left 0: not looked at here). */
    public static final String INBOUND_IP =
            "4500001d" + "00014000"      // v4 IHL 5, total length 29 | id 1, DF
          + "4011" + "0000"              // TTL 64, UDP | header checksum (0)
          + "c6336407" + "cb007101"      // 198.51.100.7 -> 203.0.113.1
          + "0d96" + "9c40"              // 3478 -> 40000
          + "0009" + "0000"              // UDP length 9 | checksum (0)
          + "21";                        // "!"

    public static final String HAND_PACKET =
            "54000000"                   // nlmsg_len 84
          + "0003" + "0000"              // 0x0300 NFQNL_MSG_PACKET | flags 0
          + "00000000" + "00000000"      // seq 0 | pid 0
          + "02" + "00" + "012c"         // nfgenmsg: AF_INET | NFNETLINK_V0 | res_id 300 = queue number (big-endian)
          + "0b000100"                   // nla_len 11 | NFQA_PACKET_HDR
          +   "00000102"                 //   packet_id 258
          +   "0800"                     //   hw_protocol ETH_P_IP
          +   "00"                       //   hook NF_INET_PRE_ROUTING
          +   "00"                       //   1 padding
          + "08000300" + "8000002a"      // NFQA_MARK 0x8000002a (top bit set)
          + "08000500" + "00000003"      // NFQA_IFINDEX_INDEV 3
          + "21000a00"                   // nla_len 33 | NFQA_PAYLOAD
          +   INBOUND_IP                 //   29 bytes
          +   "000000";                  //   3 padding

    /**
     * Captured in a throw-away namespace by capture-nfqueue-vectors.sh: the kernel's message for
     * UDP 10.89.0.1:40000 -> 10.89.0.1:9 "queued!" hitting {@code iptables -A INPUT -p udp -d
     * 10.89.0.1 --dport 9 -j NFQUEUE --queue-num 7}. 95 bytes: the payload, and so the message and
     * the datagram, end unpadded.
     */
    public static final String KERNEL_PACKET =
            "5f000000"                   // nlmsg_len 95
          + "0003" + "0000"              // NFQNL_MSG_PACKET | flags 0
          + "00000000" + "00000000"      // seq 0 | pid 0
          + "02" + "00" + "0007"         // nfgenmsg: AF_INET | v0 | queue 7
          + "0b000100"                   // nla_len 11 | NFQA_PACKET_HDR
          +   "00000001" + "0800" + "01" //   packet_id 1 | ETH_P_IP | hook NF_INET_LOCAL_IN
          +   "00"                       //   1 padding
          + "08000500" + "00000001"      // NFQA_IFINDEX_INDEV 1 (lo)
          + "10000900"                   // nla_len 16 | NFQA_HWADDR
          +   "0006" + "0000" + "0000000000000000" // hw_addrlen 6 | pad | lo's all-zero address
          + "27000a00"                   // nla_len 39 | NFQA_PAYLOAD, 35 bytes, no padding after
          +   "45000023" + "c35d4000" + "401162b9" + "0a590001" + "0a590001" // IPv4 10.89.0.1 -> 10.89.0.1
          +   "9c40" + "0009" + "000f" + "f183"                          // UDP 40000 -> 9, len 15, checksum
          +   "71756575656421";                                          // "queued!"
}
