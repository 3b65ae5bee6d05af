package org.conenatd.nftables.expr;

import org.conenatd.netlink.Encoder;

import static org.conenatd.nftables.NfTables.*;

/** {@code nat snat|dnat ip addr_min reg proto_min reg [flags]}: both from registers. */
public record Nat(int type, int family, int addrMinReg, int protoMinReg, int flags) implements Expr {
    @Override public String name() { return "nat"; }

    @Override
    public void encodeData(Encoder e) {
        e.u32be(NFTA_NAT_TYPE, type);
        e.u32be(NFTA_NAT_FAMILY, family);
        e.u32be(NFTA_NAT_REG_ADDR_MIN, addrMinReg);
        e.u32be(NFTA_NAT_REG_PROTO_MIN, protoMinReg);
        if (flags != 0) e.u32be(NFTA_NAT_FLAGS, flags);
    }
}
