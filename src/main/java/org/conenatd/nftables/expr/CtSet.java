package org.conenatd.nftables.expr;

import org.conenatd.netlink.Encoder;

import static org.conenatd.nftables.NfTables.*;

/** {@code ct set <key> with reg}: here the event mask, set to 0 so a flow sends no events. */
public record CtSet(int key, int sreg) implements Expr {
    @Override public String name() { return "ct"; }

    @Override
    public void encodeData(Encoder e) {
        e.u32be(NFTA_CT_KEY, key);
        e.u32be(NFTA_CT_SREG, sreg);
    }
}
