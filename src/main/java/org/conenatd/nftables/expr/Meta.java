package org.conenatd.nftables.expr;

import org.conenatd.netlink.Encoder;

import static org.conenatd.nftables.NfTables.*;

/** {@code meta load <key> => reg}: iifname, oifname, l4proto, mark... */
public record Meta(int key, int dreg) implements Expr {
    @Override public String name() { return "meta"; }

    @Override
    public void encodeData(Encoder e) {
        e.u32be(NFTA_META_KEY, key);
        e.u32be(NFTA_META_DREG, dreg);
    }
}
