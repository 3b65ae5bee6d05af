package org.conenatd.nftables.expr;

import org.conenatd.netlink.Encoder;

import static org.conenatd.nftables.NfTables.*;

/** {@code ct load <key> => reg [, dir original|reply]}: state, status, an address of a direction. */
public record Ct(int key, int dreg, int direction) implements Expr {
    /** No direction: the key is not per direction. */
    public static final int NONE = -1, ORIGINAL = 0, REPLY = 1;

    public static Ct load(int key, int dreg) { return new Ct(key, dreg, NONE); }

    @Override public String name() { return "ct"; }

    @Override
    public void encodeData(Encoder e) {
        e.u32be(NFTA_CT_KEY, key);
        e.u32be(NFTA_CT_DREG, dreg);
        if (direction != NONE) e.u8(NFTA_CT_DIRECTION, direction);
    }
}
