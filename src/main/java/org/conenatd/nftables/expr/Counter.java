package org.conenatd.nftables.expr;

import org.conenatd.netlink.Encoder;

/** {@code counter}: an anonymous packet and byte counter of its own rule. */
public record Counter() implements Expr {
    @Override public String name() { return "counter"; }

    @Override
    public void encodeData(Encoder e) {
        e.u64be(org.conenatd.nftables.NfTables.NFTA_COUNTER_BYTES, 0);
        e.u64be(org.conenatd.nftables.NfTables.NFTA_COUNTER_PACKETS, 0);
    }
}
