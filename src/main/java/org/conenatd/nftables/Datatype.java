package org.conenatd.nftables;

/**
 * The nft datatypes conenatd's maps use as keys and values, with the bytes the kernel stores for
 * each. nft puts every field of a concatenation in its own 4-byte register, so
 * {@code ipv4_addr . inet_service} is 8 bytes (address, port, 2 zero bytes) while a lone
 * {@code inet_service} is 2. All fields are in network order.
 */
public enum Datatype {
    /** No value: the element of a plain set. */
    NONE(0),
    /** {@code ipv4_addr}: 4 bytes. */
    IPV4_ADDR(4),
    /** {@code inet_service}: a port, 2 bytes. */
    INET_SERVICE(2),
    /** {@code ipv4_addr . inet_service}: address, port, 2 zero bytes of register padding. */
    IPV4_ADDR_INET_SERVICE(8);

    public final int length;

    Datatype(int length) {
        this.length = length;
    }

    public boolean hasAddr() { return this == IPV4_ADDR || this == IPV4_ADDR_INET_SERVICE; }
    public boolean hasPort() { return this == INET_SERVICE || this == IPV4_ADDR_INET_SERVICE; }
}
