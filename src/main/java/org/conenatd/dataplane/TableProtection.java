package org.conenatd.dataplane;

import org.conenatd.ops.StartupException;

import java.util.List;

import static org.conenatd.nftables.NfTables.NFT_TABLE_F_OWNER;
import static org.conenatd.nftables.NfTables.NFT_TABLE_F_PERSIST;

/**
 * How conenatd's table survives the rest of the ruleset's life (firewall reloads, {@code nft flush
 * ruleset}) and its own death:
 * <ul>
 *   <li>{@code persist} (Linux >= 6.9): owned by conenatd's socket, so no other process can change
 *       or flush it; outlives a killed daemon (orphaned, still forwarding) until the next instance
 *       takes it over with its maps.</li>
 *   <li>{@code owner} (Linux >= 5.12): owned, but the kernel deletes it when the daemon dies; the
 *       next instance rebuilds it and adopts the endpoints of live conntrack flows.</li>
 *   <li>{@code watched}: a plain table; conenatd watches the ruleset's notifications and rebuilds
 *       its table, with every element, when another process deletes or changes it.</li>
 * </ul>
 */
public enum TableProtection {
    PERSIST("persist", NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST, 3),
    OWNER("owner", NFT_TABLE_F_OWNER, 2),
    WATCHED("watched", 0, 1);

    public final String label;
    /** The table's NFTA_TABLE_FLAGS. */
    public final int flags;
    /** The value of the {@code table_protection} gauge. */
    public final int gauge;

    TableProtection(String label, int flags, int gauge) {
        this.label = label;
        this.flags = flags;
        this.gauge = gauge;
    }

    /** The environment variable that picks one when the command line does not. */
    public static final String ENV = "CONENATD_TABLE_PROTECTION";

    /**
     * What to try, best first: the one asked for ({@code --table-protection}, else the environment
     * variable), or for "auto" (the default) every kind from the strongest down, the first the
     * kernel accepts winning.
     */
    public static List<TableProtection> choices(String option, String env) throws StartupException {
        String s = option != null ? option : env;
        String from = option != null ? "--table-protection" : ENV;
        if (s == null || s.isBlank() || s.trim().equalsIgnoreCase("auto")) return List.of(PERSIST, OWNER, WATCHED);
        for (TableProtection p : values()) {
            if (p.label.equalsIgnoreCase(s.trim()) || (p == WATCHED && s.trim().equalsIgnoreCase("watch"))) return List.of(p);
        }
        throw new StartupException("invalid " + from + " '" + s + "': expected auto, persist, owner or watch");
    }
}
