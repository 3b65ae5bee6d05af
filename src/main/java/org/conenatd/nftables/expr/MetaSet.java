package org.conenatd.nftables.expr;

import org.conenatd.netlink.Encoder;

import static org.conenatd.nftables.NfTables.*;

/** {@code meta set <key> with reg}: the packet's mark, for instance. */
public record MetaSet(int key, int sreg) implements Expr {
    @Override public String name() { return "meta"; }

    @Override
    public void encodeData(Encoder e) {
        e.u32be(NFTA_META_KEY, key);
        e.u32be(NFTA_META_SREG, sreg);
    }
}
