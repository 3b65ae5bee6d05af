package org.conenatd.nftables;

/**
 * A base chain: {@code type <type> hook <hook> priority <priority>; policy accept;}. conenatd's
 * chains never drop: they only NAT, mark or queue, and leave every verdict to the operator's.
 */
public record Chain(String name, String type, int hook, int priority) {
    public static final String FILTER = "filter", NAT = "nat";
}
