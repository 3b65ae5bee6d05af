package org.conenatd.nftables.expr;

import org.conenatd.netlink.Encoder;

import static org.conenatd.nftables.NfTables.*;

/** {@code payload load <len>b @ <base> header + <offset> => reg}. */
public record Payload(int base, int offset, int len, int dreg) implements Expr {
    /** IPv4 source address (network header + 12). */
    public static Payload ipSaddr(int dreg) { return new Payload(NFT_PAYLOAD_NETWORK_HEADER, 12, 4, dreg); }
    /** IPv4 destination address (network header + 16). */
    public static Payload ipDaddr(int dreg) { return new Payload(NFT_PAYLOAD_NETWORK_HEADER, 16, 4, dreg); }
    /** UDP or TCP source port (transport header + 0). */
    public static Payload sport(int dreg) { return new Payload(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, dreg); }
    /** UDP or TCP destination port (transport header + 2). */
    public static Payload dport(int dreg) { return new Payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, dreg); }

    @Override public String name() { return "payload"; }

    @Override
    public void encodeData(Encoder e) {
        e.u32be(NFTA_PAYLOAD_DREG, dreg);
        e.u32be(NFTA_PAYLOAD_BASE, base);
        e.u32be(NFTA_PAYLOAD_OFFSET, offset);
        e.u32be(NFTA_PAYLOAD_LEN, len);
    }
}
