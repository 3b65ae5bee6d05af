package org.conenatd.nftables;

import org.conenatd.nftables.expr.Expr;

import java.util.List;

/** A rule of a chain: its expressions in order, and what it does in nft's words (for errors and logs). */
public record Rule(String chain, List<Expr> exprs, String text) {
    public Rule {
        exprs = List.copyOf(exprs);
    }
}
