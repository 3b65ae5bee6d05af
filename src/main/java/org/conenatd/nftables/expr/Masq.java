package org.conenatd.nftables.expr;

import org.conenatd.netlink.Encoder;

import static org.conenatd.nftables.NfTables.*;

/** {@code masq proto_min reg flags}: masquerade to the interface's address, the port from a register. */
public record Masq(int flags, int protoMinReg) implements Expr {
    @Override public String name() { return "masq"; }

    @Override
    public void encodeData(Encoder e) {
        e.u32be(NFTA_MASQ_FLAGS, flags);
        e.u32be(NFTA_MASQ_REG_PROTO_MIN, protoMinReg);
    }
}
