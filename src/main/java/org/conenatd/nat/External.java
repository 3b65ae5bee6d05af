package org.conenatd.nat;

/**
 * An external transport address of the pool packed into one int, so the allocator's tables stay
 * primitive: bits 16..31 the index of the address in the {@link AddressPool}, bits 0..15 the
 * port. With one address (no {@code --pool}) the index is 0 and the packed value is the port itself.
 */
public final class External {
    private External() {}

    public static int of(int index, int port) { return index << 16 | (port & 0xffff); }

    public static int index(int external) { return external >>> 16; }

    public static int port(int external) { return external & 0xffff; }
}
