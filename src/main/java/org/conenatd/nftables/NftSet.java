package org.conenatd.nftables;

import java.util.HexFormat;

import static org.conenatd.nftables.NfTables.*;

/**
 * The definition of a set or map of an IPv4 table (what NFT_MSG_NEWSET carries), for the few
 * shapes conenatd uses. {@code userdata} is nft's own metadata (byte orders of key and data), sent
 * as nft sends it so that {@code nft list} prints our sets exactly as it prints its own.
 */
public record NftSet(String name, int flags, int keyType, int keyLen, int dataType, int dataLen, long timeoutMs,
                     byte[] userdata) {
    // nft's datatype ids (TYPE_BITS = 6 per field of a concatenation)
    static final int TYPE_IPV4_ADDR = 7, TYPE_INET_SERVICE = 13;
    static final int ADDR_PORT = (TYPE_IPV4_ADDR << 6) | TYPE_INET_SERVICE, PORT_ADDR = (TYPE_INET_SERVICE << 6) | TYPE_IPV4_ADDR;
    static final int ADDR_PORT_ADDR = (ADDR_PORT << 6) | TYPE_IPV4_ADDR;
    private static final HexFormat HEX = HexFormat.of();

    /** {@code map <name> { type ipv4_addr . inet_service : inet_service; }}: LAN endpoint to public port. */
    public static NftSet endpointToPort(String name) {
        return new NftSet(name, NFT_SET_MAP, ADDR_PORT, 8, TYPE_INET_SERVICE, 2, 0,
                HEX.parseHex("000400000000010402000000030800040d0000000100060400000000"));
    }

    /** {@code map <name> { type inet_service : ipv4_addr . inet_service; }}: public port to LAN endpoint. */
    public static NftSet portToEndpoint(String name) {
        return new NftSet(name, NFT_SET_MAP, TYPE_INET_SERVICE, 2, ADDR_PORT, 8, 0,
                HEX.parseHex("000402000000010400000000040800040d0000000100060400000000"));
    }

    /**
     * {@code map <name> { type ipv4_addr . inet_service : ipv4_addr . inet_service; }}: endpoint to
     * endpoint, the external address carried both ways (--pool): LAN endpoint to public endpoint,
     * or public endpoint to LAN endpoint. 8 bytes each side (each field in its own 4-byte register).
     */
    public static NftSet endpointToEndpoint(String name) {
        return new NftSet(name, NFT_SET_MAP, ADDR_PORT, 8, ADDR_PORT, 8, 0,
                HEX.parseHex("000400000000010400000000030800040d0000000100040800040d0000000100060400000000"));
    }

    /**
     * {@code set <name> { type ipv4_addr . inet_service . ipv4_addr; flags dynamic,timeout; timeout <s>s; }}:
     * public address . public port . peer address, 12 bytes (nft sends the same userdata as for
     * two fields).
     */
    public static NftSet addrPortPeer(String name, long timeoutMs) {
        return new NftSet(name, NFT_SET_TIMEOUT | NFT_SET_EVAL, ADDR_PORT_ADDR, 12, 0, 0, timeoutMs,
                HEX.parseHex("000400000000030800040d0000000100"));
    }

    /** {@code set <name> { type inet_service . ipv4_addr; flags dynamic,timeout; timeout <s>s; }}. */
    public static NftSet portAndPeer(String name, long timeoutMs) {
        return new NftSet(name, NFT_SET_TIMEOUT | NFT_SET_EVAL, PORT_ADDR, 8, 0, 0, timeoutMs,
                HEX.parseHex("000400000000030800040d0000000100"));
    }

    /** {@code set <name> { type ipv4_addr; flags interval; }}: address prefixes. */
    public static NftSet prefixes(String name) {
        return new NftSet(name, NFT_SET_INTERVAL, TYPE_IPV4_ADDR, 4, 0, 0, 0, HEX.parseHex("000402000000"));
    }

    /** {@code set <name> { type inet_service; flags interval; }}: port ranges. */
    public static NftSet portRanges(String name) {
        return new NftSet(name, NFT_SET_INTERVAL, TYPE_INET_SERVICE, 2, 0, 0, 0, HEX.parseHex("000402000000"));
    }

    public boolean isMap() { return (flags & NFT_SET_MAP) != 0; }
}
