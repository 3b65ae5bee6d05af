package org.conenatd.portmap.pcp;

/**
 * The two protocols served on UDP port 5351, told apart by a datagram's first byte: NAT-PMP is
 * version 0 and PCP version 2 (RFC 6887 §9 makes PCP the successor that shares the port).
 */
public enum Dialect {
    NATPMP("natpmp"), PCP("pcp");

    /** Lower-case name, as in logs and counter names. */
    public final String label;

    Dialect(String label) { this.label = label; }
}
