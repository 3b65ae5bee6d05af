package org.conenatd.nftables.expr;

import org.conenatd.netlink.Encoder;

import static org.conenatd.nftables.NfTables.*;

/** {@code cmp eq|neq reg <data>}: the register's first {@code data.length} bytes against a constant. */
public record Cmp(int sreg, int op, byte[] data) implements Expr {
    @Override public String name() { return "cmp"; }

    @Override
    public void encodeData(Encoder e) {
        e.u32be(NFTA_CMP_SREG, sreg);
        e.u32be(NFTA_CMP_OP, op);
        Expr.value(e, NFTA_CMP_DATA, data);
    }
}
