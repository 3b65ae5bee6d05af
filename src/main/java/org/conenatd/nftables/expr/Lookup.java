package org.conenatd.nftables.expr;

import org.conenatd.netlink.Encoder;

import static org.conenatd.nftables.NfTables.*;

/**
 * {@code lookup reg <sreg> set <name> [dreg <dreg>] [0x1]}: is the key in the set (or not, with
 * {@code inverted}); for a map, {@code dreg} receives the element's value. The set is named, never
 * referred to by a transaction id: conenatd's sets exist before its rules.
 */
public record Lookup(String set, int sreg, int dreg, boolean inverted) implements Expr {
    /** A membership test: no value is loaded. */
    public static Lookup in(String set, int sreg) { return new Lookup(set, sreg, -1, false); }
    public static Lookup notIn(String set, int sreg) { return new Lookup(set, sreg, -1, true); }
    /** A map lookup into {@code dreg}. */
    public static Lookup map(String set, int sreg, int dreg) { return new Lookup(set, sreg, dreg, false); }

    @Override public String name() { return "lookup"; }

    @Override
    public void encodeData(Encoder e) {
        e.u32be(NFTA_LOOKUP_SREG, sreg);
        if (dreg >= 0) e.u32be(NFTA_LOOKUP_DREG, dreg);
        e.bytes(NFTA_LOOKUP_SET, Expr.cstring(set));
        if (inverted) e.u32be(NFTA_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
    }
}
