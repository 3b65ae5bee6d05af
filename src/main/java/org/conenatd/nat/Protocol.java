package org.conenatd.nat;

/**
 * The transport protocols a mapping can be for. A UDP and a TCP mapping on the same port number
 * are distinct mappings (RFC 4787 and RFC 5382 treat them apart), so every table is indexed by
 * protocol as well as by port.
 */
public enum Protocol {
    UDP(17, "udp"),
    TCP(6, "tcp");

    /** The IP protocol number (IPPROTO_*). */
    public final int number;
    /** Lower-case name, as in logs and nft rules. */
    public final String label;

    private static final Protocol[] VALUES = values();

    Protocol(int number, String label) {
        this.number = number;
        this.label = label;
    }

    /** The protocol of an IP protocol number, or null for one conenatd does not map. */
    public static Protocol of(int ipProtocol) {
        for (Protocol p : VALUES) if (p.number == ipProtocol) return p;
        return null;
    }

    /** All protocols, without the copy {@code values()} makes. */
    public static Protocol byOrdinal(int ordinal) {
        return VALUES[ordinal];
    }

    public static int count() {
        return VALUES.length;
    }
}
