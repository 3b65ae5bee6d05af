package org.conenatd.nftables.expr;

import org.conenatd.netlink.Encoder;

import static org.conenatd.nftables.NfTables.*;

/** {@code dynset add|update reg_key <r> set <name>}: the packet adds or refreshes an element. */
public record Dynset(String set, int op, int sregKey) implements Expr {
    @Override public String name() { return "dynset"; }

    @Override
    public void encodeData(Encoder e) {
        e.u32be(NFTA_DYNSET_SREG_KEY, sregKey);
        e.u32be(NFTA_DYNSET_OP, op);
        e.bytes(NFTA_DYNSET_SET_NAME, Expr.cstring(set));
    }
}
