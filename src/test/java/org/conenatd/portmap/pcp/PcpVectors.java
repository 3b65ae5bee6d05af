package org.conenatd.portmap.pcp;

/**
 * PCP messages written by hand, field by field, from RFC 6887's figures: the common request and
 * response headers (Figures 2 and 3), MAP (Figure 9), PEER (Figure 10), options (Figure 4) and
 * THIRD_PARTY, PREFER_FAILURE and FILTER (§13.1-13.3). Client 10.0.0.5, external 203.0.113.1.
 */
final class PcpVectors {
    private PcpVectors() {}

    static final String CLIENT = "00000000000000000000ffff0a000005";   // ::ffff:10.0.0.5
    static final String EXTERNAL = "00000000000000000000ffffcb007101"; // ::ffff:203.0.113.1
    static final String ANY_V4 = "00000000000000000000ffff00000000";   // ::ffff:0.0.0.0
    static final String PEER_ADDR = "00000000000000000000ffffc6336407"; // ::ffff:198.51.100.7
    static final String NONCE = "0102030405060708090a0b0c";
    static final String RESERVED_96 = "000000000000000000000000";

    /** MAP UDP 5000, suggesting port 5001 and any address, for 7200 s. */
    static final String MAP_REQUEST =
            "02"               // version 2
          + "01"               // R = 0, opcode 1 (MAP)
          + "0000"             // reserved
          + "00001c20"         // requested lifetime 7200
          + CLIENT             // PCP client's IP address
          + NONCE              // mapping nonce, 96 bits
          + "11"               // protocol 17 (UDP)
          + "000000"           // reserved, 24 bits
          + "1388"             // internal port 5000
          + "1389"             // suggested external port 5001
          + ANY_V4;            // suggested external IP address: none

    /** Its answer: port 5001 of 203.0.113.1 for 7200 s, epoch 42. */
    static final String MAP_RESPONSE =
            "02"               // version 2
          + "81"               // R = 1, opcode 1
          + "00"               // reserved
          + "00"               // result code 0, SUCCESS
          + "00001c20"         // lifetime 7200
          + "0000002a"         // epoch time 42
          + RESERVED_96        // reserved, 96 bits
          + NONCE              // the request's nonce
          + "11" + "000000"    // protocol 17, reserved
          + "1388"             // internal port 5000
          + "1389"             // assigned external port 5001
          + EXTERNAL;          // assigned external IP address

    static final String THIRD_PARTY_10_0_0_9 =
            "01"               // option code 1, THIRD_PARTY
          + "00"               // reserved
          + "0010"             // option length 16
          + "00000000000000000000ffff0a000009"; // internal IP address ::ffff:10.0.0.9

    static final String PREFER_FAILURE = "02" + "00" + "0000"; // code 2, reserved, length 0

    /** FILTER: only 198.51.100.0/24 (prefix 96 + 24 = 120), any port. */
    static final String FILTER_120 =
            "03"               // option code 3, FILTER
          + "00"               // reserved
          + "0014"             // option length 20
          + "00"               // reserved
          + "78"               // prefix length 120
          + "0000"             // remote peer port: any
          + PEER_ADDR;         // remote peer IP address

    /** PEER TCP 5000 with 198.51.100.7:443, for 600 s. */
    static final String PEER_REQUEST =
            "02" + "02" + "0000" // version 2, opcode 2 (PEER), reserved
          + "00000258"         // requested lifetime 600
          + CLIENT
          + NONCE
          + "06" + "000000"    // protocol 6 (TCP), reserved
          + "1388"             // internal port 5000
          + "0000"             // suggested external port: any
          + ANY_V4             // suggested external address: any
          + "01bb"             // remote peer port 443
          + "0000"             // reserved
          + PEER_ADDR;         // remote peer IP address

    static final String PEER_RESPONSE =
            "02" + "82" + "00" + "00" // version, R | PEER, reserved, SUCCESS
          + "00000258" + "0000002a" + RESERVED_96
          + NONCE + "06" + "000000" + "1388"
          + "9c40"             // assigned external port 40000
          + EXTERNAL
          + "01bb" + "0000" + PEER_ADDR;

    /** ANNOUNCE (§14.1): header only, lifetime 0. */
    static final String ANNOUNCE_REQUEST = "02" + "00" + "0000" + "00000000" + CLIENT;

    /** The unsolicited ANNOUNCE of §14.1.3, epoch 42. */
    static final String ANNOUNCE_RESPONSE = "02" + "80" + "00" + "00" + "00000000" + "0000002a" + RESERVED_96;
}
