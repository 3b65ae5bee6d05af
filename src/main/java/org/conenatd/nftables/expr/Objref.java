package org.conenatd.nftables.expr;

import org.conenatd.netlink.Encoder;

import java.nio.charset.StandardCharsets;

import static org.conenatd.nftables.NfTables.*;

/** {@code counter name "x"}: a reference to a named object of the table (a counter here). */
public record Objref(int type, String object) implements Expr {
    @Override public String name() { return "objref"; }

    @Override
    public void encodeData(Encoder e) {
        e.u32be(NFTA_OBJREF_IMM_TYPE, type);
        e.bytes(NFTA_OBJREF_IMM_NAME, object.getBytes(StandardCharsets.UTF_8)); // nft sends this name without its NUL
    }
}
