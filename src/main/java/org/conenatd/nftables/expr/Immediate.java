package org.conenatd.nftables.expr;

import org.conenatd.netlink.Encoder;

import static org.conenatd.nftables.NfTables.*;

/** {@code immediate reg <dreg> <data>}: a constant into a register. */
public record Immediate(int dreg, byte[] data) implements Expr {
    @Override public String name() { return "immediate"; }

    @Override
    public void encodeData(Encoder e) {
        e.u32be(NFTA_IMMEDIATE_DREG, dreg);
        Expr.value(e, NFTA_IMMEDIATE_DATA, data);
    }
}
