package org.conenatd.nftables;

/**
 * A set or map of an nf_tables table: its name and the shape of its keys and values. The name is
 * kept NUL-terminated, as the kernel wants it, so encoding an element copies bytes and allocates
 * nothing.
 */
public final class NftMap {
    private final String name;
    private final byte[] nameZ;
    private final Datatype key;
    private final Datatype data;

    public NftMap(String name, Datatype key, Datatype data) {
        if (key == Datatype.NONE) throw new IllegalArgumentException("a set needs a key");
        this.name = name;
        this.nameZ = SetElems.nulTerminated(name, NfTables.NFT_SET_MAXNAMELEN);
        this.key = key;
        this.data = data;
    }

    /** {@code type ipv4_addr . inet_service : inet_service}: LAN address . LAN port -> public port. */
    public static NftMap outbound(String name) {
        return new NftMap(name, Datatype.IPV4_ADDR_INET_SERVICE, Datatype.INET_SERVICE);
    }

    /** {@code type inet_service : ipv4_addr . inet_service}: public port -> LAN address . LAN port. */
    public static NftMap inbound(String name) {
        return new NftMap(name, Datatype.INET_SERVICE, Datatype.IPV4_ADDR_INET_SERVICE);
    }

    /**
     * {@code type ipv4_addr . inet_service : ipv4_addr . inet_service}: endpoint -> endpoint
     * (--pool: LAN endpoint -> public address . public port, and back), 8 bytes each side.
     */
    public static NftMap endpointMap(String name) {
        return new NftMap(name, Datatype.IPV4_ADDR_INET_SERVICE, Datatype.IPV4_ADDR_INET_SERVICE);
    }

    /** {@code type ipv4_addr . inet_service}, no values (e.g. a set with {@code flags timeout}). */
    public static NftMap addrPortSet(String name) {
        return new NftMap(name, Datatype.IPV4_ADDR_INET_SERVICE, Datatype.NONE);
    }

    public String name() { return name; }
    byte[] nameZ() { return nameZ; }
    public Datatype key() { return key; }
    public Datatype data() { return data; }
    public boolean isMap() { return data != Datatype.NONE; }

    @Override
    public String toString() {
        return name + " {" + key + (isMap() ? " : " + data : "") + "}";
    }
}
