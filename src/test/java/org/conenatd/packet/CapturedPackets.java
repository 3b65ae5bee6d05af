package org.conenatd.packet;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;

/**
 * IPv4 packets whose checksums a real Linux stack (kernel 6.18) produced, captured with
 * capture-vectors.sh in this folder: three throw-away network namespaces joined by veth pairs,
 *
 * <pre>
 *   C 10.77.1.2 --vc/vrc-- 10.77.1.1 R 10.77.2.1 --vrs/vs-- 10.77.2.2 S
 *   R: iptables -t nat -A PREROUTING -d 203.0.113.10 -p udp --dport 5000 -j DNAT --to-destination 10.77.2.2:6000
 * </pre>
 *
 * with tx checksum offload off on every veth ({@code ethtool -K tx off}), so the checksums are
 * software-computed and final. C sent with python3 sockets; tcpdump -w on R's ingress veth (vrc)
 * saw the packets as C sent them ("before"), and on R's egress veth (vrs) as R forwarded them
 * (TTL decremented and, where the rule matched, DNAT'd by the kernel's nf_nat: "after").
 * The Ethernet header is stripped; every string starts at the IPv4 header. tcpdump -vv reported
 * "udp sum ok" for all of them.
 */
final class CapturedPackets {
    private CapturedPackets() {}

    static final int C_ADDR = 0x0A4D0102;      // 10.77.1.2
    static final int S_ADDR = 0x0A4D0202;      // 10.77.2.2
    static final int PUBLIC_ADDR = 0xCB00710A; // 203.0.113.10, what C addressed before DNAT

    /** C -> 203.0.113.10:5000, 14-byte (even) payload, as C sent it. */
    static final String DNAT_EVEN_BEFORE =
            "45" + "00" + "002a"          // version 4, IHL 5 | TOS 0 | total length 42
          + "a1a6" + "4000"               // id | flags DF, fragment offset 0
          + "40" + "11" + "51c3"          // TTL 64 | protocol 17 (UDP) | header checksum
          + "0a4d0102" + "cb00710a"       // src 10.77.1.2 | dst 203.0.113.10
          + "9c40" + "1388"               // UDP src port 40000 | dst port 5000
          + "0016" + "4219"               // UDP length 22 | UDP checksum
          + "636f6e656e6174642d6576656e21"; // "conenatd-even!"

    /** The same datagram leaving R: TTL 63, DNAT'd by the kernel to 10.77.2.2:6000. */
    static final String DNAT_EVEN_AFTER =
            "45" + "00" + "002a"
          + "a1a6" + "4000"
          + "3f" + "11" + "827f"          // TTL 63 | UDP | header checksum (TTL and dst changed)
          + "0a4d0102" + "0a4d0202"       // src 10.77.1.2 | dst 10.77.2.2
          + "9c40" + "1770"               // 40000 | 6000
          + "0016" + "6ded"               // length 22 | checksum updated by nf_nat
          + "636f6e656e6174642d6576656e21";

    /** C -> 203.0.113.10:5000, 11-byte (odd) payload, as C sent it. */
    static final String DNAT_ODD_BEFORE =
            "45" + "00" + "0027"          // IHL 5 | total length 39
          + "a1a9" + "4000"               // id | DF
          + "40" + "11" + "51c3"          // TTL 64 | UDP | header checksum
          + "0a4d0102" + "cb00710a"       // 10.77.1.2 -> 203.0.113.10
          + "9c41" + "1388"               // 40001 -> 5000
          + "0013" + "77f0"               // UDP length 19 | checksum (last byte summed as 0x6400)
          + "6f6464207061796c6f6164";     // "odd payload"

    /** The odd datagram leaving R, DNAT'd to 10.77.2.2:6000. */
    static final String DNAT_ODD_AFTER =
            "45" + "00" + "0027"
          + "a1a9" + "4000"
          + "3f" + "11" + "827f"          // TTL 63 | UDP | header checksum
          + "0a4d0102" + "0a4d0202"       // 10.77.1.2 -> 10.77.2.2
          + "9c41" + "1770"               // 40001 -> 6000
          + "0013" + "a3c4"               // length 19 | checksum updated by nf_nat
          + "6f6464207061796c6f6164";

    /** C -> 10.77.2.2:6000 with a record-route option (setsockopt IP_OPTIONS), as C sent it: IHL 8. */
    static final String OPTIONS_SENT =
            "48" + "00" + "0034"          // version 4, IHL 8 (32 bytes) | total length 52
          + "7390" + "4000"               // id | DF
          + "40" + "11" + "4e75"          // TTL 64 | UDP | header checksum
          + "0a4d0102" + "0a4d0202"       // 10.77.1.2 -> 10.77.2.2
          + "07" + "0b" + "08"            // option RR, length 11, pointer 8 (next free slot)
          + "0a4d0102" + "00000000"       // slot 1: C's address, slot 2: empty
          + "00"                          // EOL pads the header to a multiple of 4
          + "9c42" + "1770"               // UDP 40002 -> 6000 (starts at byte 32)
          + "0014" + "dfdd"               // UDP length 20 | checksum
          + "77697468206f7074696f6e73";   // "with options"

    /** The option packet leaving R: R recorded 10.77.2.1 in slot 2 and recomputed the header checksum. */
    static final String OPTIONS_FORWARDED =
            "48" + "00" + "0034"
          + "7390" + "4000"
          + "3f" + "11" + "fd68"          // TTL 63 | UDP | header checksum
          + "0a4d0102" + "0a4d0202"
          + "07" + "0b" + "0c"            // RR, length 11, pointer 12 (full)
          + "0a4d0102" + "0a4d0201"       // slots: 10.77.1.2, 10.77.2.1
          + "00"
          + "9c42" + "1770"
          + "0014" + "dfdd"
          + "77697468206f7074696f6e73";

    /** C -> 10.77.2.2:6000 directly (no NAT), 6-byte payload, as C sent it. */
    static final String DIRECT =
            "45" + "00" + "0022"          // IHL 5 | total length 34
          + "73a7" + "4000"               // id | DF
          + "40" + "11" + "af86"          // TTL 64 | UDP | header checksum
          + "0a4d0102" + "0a4d0202"       // 10.77.1.2 -> 10.77.2.2
          + "9c43" + "1770"               // 40003 -> 6000
          + "000e" + "fa3d"               // UDP length 14 | checksum
          + "646972656374";               // "direct"

    /**
     * First fragment of a 768-byte datagram (payload bytes 0..255 three times) that C sent with
     * IP_PMTUDISC_DONT over an MTU of 576. The UDP checksum covers the whole datagram.
     */
    static final String FRAGMENT_FIRST =
            "45" + "00" + "023c"          // IHL 5 | total length 572
          + "73f1" + "2000"               // id | MF set, offset 0
          + "40" + "11" + "cd22"          // TTL 64 | UDP | header checksum
          + "0a4d0102" + "0a4d0202"       // 10.77.1.2 -> 10.77.2.2
          + "9c44" + "1770"               // 40004 -> 6000
          + "0308" + "edcc"               // UDP length 776 (whole datagram) | checksum
          + "000102030405060708090a0b0c0d0e0f1011121314151617"  // 544 payload bytes
          + "18191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637"
          + "38393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f5051525354555657"
          + "58595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f7071727374757677"
          + "78797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f9091929394959697"
          + "98999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7"
          + "b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7"
          + "d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7"
          + "f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f1011121314151617"
          + "18191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637"
          + "38393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f5051525354555657"
          + "58595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f7071727374757677"
          + "78797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f9091929394959697"
          + "98999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7"
          + "b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7"
          + "d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7"
          + "f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f1011121314151617"
          + "18191a1b1c1d1e1f";

    /** Second and last fragment of the same datagram. */
    static final String FRAGMENT_LAST =
            "45" + "00" + "00f4"          // IHL 5 | total length 244
          + "73f1" + "0045"               // same id | MF clear, offset 69*8 = 552
          + "40" + "11" + "ee25"          // TTL 64 | UDP | header checksum
          + "0a4d0102" + "0a4d0202"       // no UDP header here: payload continues at datagram byte 552
          + "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
          + "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
          + "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
          + "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
          + "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
          + "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
          + "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

    /** Every unfragmented UDP vector. */
    static final String[] WHOLE_UDP = {
        DNAT_EVEN_BEFORE, DNAT_EVEN_AFTER, DNAT_ODD_BEFORE, DNAT_ODD_AFTER, OPTIONS_SENT, OPTIONS_FORWARDED, DIRECT
    };

    static byte[] bytes(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    /** A native segment holding {@code packet} at {@code offset} with {@code trailing} junk bytes after it, like a netlink buffer. */
    static MemorySegment inBuffer(byte[] packet, int offset, int trailing) {
        MemorySegment seg = Arena.ofAuto().allocate(offset + packet.length + trailing);
        seg.fill((byte) 0xA5);
        MemorySegment.copy(packet, 0, seg, ValueLayout.JAVA_BYTE, offset, packet.length);
        return seg;
    }

    static MemorySegment inBuffer(String hex, int offset, int trailing) {
        return inBuffer(bytes(hex), offset, trailing);
    }

    static byte[] slice(MemorySegment seg, long offset, int length) {
        return seg.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE);
    }
}
