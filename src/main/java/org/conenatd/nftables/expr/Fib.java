package org.conenatd.nftables.expr;

import org.conenatd.netlink.Encoder;

import static org.conenatd.nftables.NfTables.*;

/** {@code fib daddr [. iif] type => reg}: the address type of the destination (2: local). */
public record Fib(int flags, int result, int dreg) implements Expr {
    /** RTN_LOCAL, the address type {@code fib ... type local} compares with. */
    public static final int RTN_LOCAL = 2;

    @Override public String name() { return "fib"; }

    @Override
    public void encodeData(Encoder e) {
        e.u32be(NFTA_FIB_FLAGS, flags);
        e.u32be(NFTA_FIB_RESULT, result);
        e.u32be(NFTA_FIB_DREG, dreg);
    }
}
