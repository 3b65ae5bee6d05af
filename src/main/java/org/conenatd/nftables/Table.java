package org.conenatd.nftables;

import java.util.List;

/**
 * An IPv4 table as conenatd writes it: its sets and maps, named counters, base chains and rules,
 * and the fixed contents of its interval sets, installed together in one transaction by
 * {@link NftBatch#create}.
 */
public record Table(String name, List<NftSet> sets, List<String> counters, List<Chain> chains, List<Rule> rules,
                    List<Ranges> ranges) {
    /** The elements of an interval set: ranges as first, last, first, last... of keys {@code keyLen} bytes long (4: addresses, 2: ports). */
    public record Ranges(String set, int keyLen, long[] firstLast) { }

    public Table {
        sets = List.copyOf(sets);
        counters = List.copyOf(counters);
        chains = List.copyOf(chains);
        rules = List.copyOf(rules);
        ranges = List.copyOf(ranges);
    }

    public Table(String name, List<NftSet> sets, List<String> counters, List<Chain> chains, List<Rule> rules) {
        this(name, sets, counters, chains, rules, List.of());
    }

    public NftSet set(String setName) {
        for (NftSet s : sets) if (s.name().equals(setName)) return s;
        throw new IllegalArgumentException("no set " + setName + " in table " + name);
    }
}
