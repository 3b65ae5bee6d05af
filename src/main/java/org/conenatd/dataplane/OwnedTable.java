package org.conenatd.dataplane;

import org.conenatd.netlink.NetlinkException;
import org.conenatd.nftables.NftBatch;
import org.conenatd.nftables.NftMaps;
import org.conenatd.nftables.RulesetMonitor;
import org.conenatd.nftables.Table;
import org.conenatd.ops.Counters;
import org.conenatd.ops.Log;
import org.conenatd.ops.StartupException;
import org.conenatd.sys.Errno;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

import static org.conenatd.nftables.NfTables.*;

/**
 * One of conenatd's nf_tables tables, written by conenatd itself over the socket of its
 * {@link NftMaps} (which, for an owned table, is the only socket the kernel lets change it):
 * installed in one transaction with the strongest {@link TableProtection} the kernel gives, removed
 * at stop, and on the watched path rebuilt, every element included, when another process deletes
 * or changes any part of it.
 *
 * <p>Every use of the socket happens under the plane's {@code lock}, which the plane holds while it
 * stages and commits its elements; the rebuild takes it too, so no element change interleaves.
 */
public final class OwnedTable {
    /** Writes every element of the plane's state into a table just created empty; returns how many. */
    public interface State {
        int replay(NftMaps maps);
    }

    private final List<Table> alternatives;
    private Table def;
    private final NftMaps maps;
    private final ReentrantLock lock;
    private final Log log;
    private final LongAdder restores;
    private volatile TableProtection protection;
    private volatile String lastRestore;
    private State state;
    private RulesetMonitor monitor;
    private Thread watcher;
    private volatile boolean running;
    private String pendingChange;
    private boolean tookOver;
    private volatile boolean ready;

    /**
     * @param alternatives the table as the plane wants it, best first: a later one is tried when the
     *                     kernel lacks an expression of an earlier one (nft's {@code queue}, say)
     */
    public OwnedTable(List<Table> alternatives, NftMaps maps, ReentrantLock lock, Counters counters, Log log) {
        this.alternatives = List.copyOf(alternatives);
        this.def = alternatives.getFirst();
        this.maps = maps;
        this.lock = lock;
        this.log = log;
        this.restores = counters.counter("table_restores",
                "Times conenatd's table was rebuilt after another process deleted or changed it (watched tables).");
        counters.gauge("table_protection", "How conenatd's table is protected: 3 persist, 2 owner, 1 watched, 0 not installed.",
                () -> protection == null ? 0 : protection.gauge);
    }

    public String name() { return def.name(); }
    public TableProtection protection() { return protection; }

    /**
     * What is there before install: null if no table, else its flags. A table another live process
     * owns is a start-up error (nothing can be done with it).
     */
    public NftMaps.TableInfo existing() throws StartupException {
        try {
            NftMaps.TableInfo t = maps.tableInfo();
            if (t != null && t.owned() && t.ownerPortId() != maps.portId()) {
                throw new StartupException("table ip " + def.name() + " belongs to another running process (netlink port id "
                        + Integer.toUnsignedString(t.ownerPortId()) + "); stop it first");
            }
            return t;
        } catch (NetlinkException e) {
            throw StartupHints.cannotOpen("nf_tables netlink (reading table ip " + def.name() + ")", e);
        }
    }

    /** Whether the table a previous instance left can be taken over as it is, maps and all. */
    private static boolean takesOver(NftMaps.TableInfo t, TableProtection p) {
        if (t == null) return false;
        boolean orphan = (t.flags() & (NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST)) == NFT_TABLE_F_PERSIST;
        return p == TableProtection.PERSIST ? orphan : p == TableProtection.WATCHED && (t.flags() & (NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST)) == 0;
    }

    /**
     * Installs the table with the first of {@code choices} the kernel accepts. Returns true if the
     * table {@code found} was taken over with its maps; false if it was created anew (after
     * deleting {@code found}), in which case {@code state} is replayed into it before this returns.
     */
    public boolean install(List<TableProtection> choices, NftMaps.TableInfo found, State state) throws StartupException {
        return install(choices, found, state, true);
    }

    /** As above; with {@code mayTakeOver} false a table found is always replaced (its maps are not adopted). */
    public boolean install(List<TableProtection> choices, NftMaps.TableInfo found, State state, boolean mayTakeOver)
            throws StartupException {
        this.state = state;
        lock.lock();
        try {
            NetlinkException[] refused = {null};
            int from = firstAccepted(refused);
            NetlinkException last = refused[0];
            for (TableProtection p : choices) {
                // watching starts before the table exists: a reload right after install is seen
                if (p == TableProtection.WATCHED) openMonitor();
                for (int d = from; d < alternatives.size(); d++) {
                    def = alternatives.get(d);
                    boolean inPlace = mayTakeOver && takesOver(found, p);
                    try {
                        try {
                            commitCreate(found != null && !inPlace, p);
                        } catch (NetlinkException e) {
                            if (!inPlace || e.op().startsWith("create table")) throw e;
                            inPlace = false; // a table of another shape (an older conenatd's): anew, elements replayed
                            commitCreate(true, p);
                        }
                    } catch (NetlinkException e) {
                        last = e;
                        boolean unknown = e.errno() == Errno.EOPNOTSUPP || e.errno() == Errno.EINVAL || e.errno() == Errno.ENOENT;
                        // an expression this kernel lacks: the next form of the table
                        if (unknown && e.op().startsWith("add rule") && d + 1 < alternatives.size()) continue;
                        // flags this kernel does not know: the next, weaker protection
                        if (unknown && e.op().startsWith("create table") && p != choices.getLast()) break;
                        throw new StartupException("cannot install table ip " + def.name() + ": " + e.getMessage()
                                + StartupHints.ofNfTables(e), e);
                    }
                    if (d > 0) {
                        log.info("[*] table ip " + def.name() + ": the kernel refused " + last.op() + " (" + last.getMessage()
                                + "); using its alternative form");
                    }
                    if (!inPlace) state.replay(maps);
                    tookOver = inPlace;
                    if (p == TableProtection.WATCHED) startWatching();
                    return inPlace;
                }
            }
            throw new StartupException("cannot install table ip " + def.name() + " with " + choices + ": "
                    + (last == null ? "no choice" : last.getMessage()), last);
        } finally {
            lock.unlock();
        }
    }

    /** The scratch table of {@link #firstAccepted}: owned, so it goes with the socket if conenatd dies meanwhile. */
    static final String PROBE = "conenatd_probe";

    /**
     * The first of the alternatives whose rules this kernel accepts, found in a scratch table with
     * empty sets and unhooked chains; the refusal is left in {@code refused[0]}. Committing a form
     * the kernel refuses into the real table would cost as much as one it takes: the kernel binds
     * every rule to the real maps first, and with a million elements that is seconds. Where no
     * probe can be made (no owned tables), the real install tries the forms in turn, as before.
     */
    private int firstAccepted(NetlinkException[] refused) {
        for (int d = 0; d + 1 < alternatives.size(); d++) {
            NftBatch b = maps.batch();
            b.probe(alternatives.get(d), PROBE, NFT_TABLE_F_OWNER);
            try {
                maps.commit(b);
            } catch (NetlinkException e) {
                boolean unknown = e.errno() == Errno.EOPNOTSUPP || e.errno() == Errno.EINVAL || e.errno() == Errno.ENOENT;
                if (!unknown || !e.op().startsWith("add rule")) return d; // no probe possible: the install finds out
                refused[0] = e;
                continue;
            }
            NftBatch del = maps.batch();
            del.deleteTable(PROBE);
            try {
                maps.commit(del);
            } catch (NetlinkException e) {
                log.warn("[!] cannot delete table ip " + PROBE + ": " + e.getMessage() + "; it goes when conenatd stops");
            }
            return d;
        }
        return alternatives.size() - 1;
    }

    private void commitCreate(boolean deleteFirst, TableProtection p) throws NetlinkException {
        NftBatch b = maps.batch();
        if (deleteFirst) b.deleteTable(def.name());
        b.create(def, p.flags);
        maps.commit(b);
        protection = p;
    }

    private void openMonitor() throws StartupException {
        if (monitor != null) return;
        try {
            monitor = RulesetMonitor.open(maps.portId()); // its own transactions are filtered out in the kernel
        } catch (NetlinkException e) {
            throw StartupHints.cannotOpen("the nf_tables monitor (NFNLGRP_NFTABLES)", e);
        }
    }

    private void startWatching() {
        running = true;
        watcher = Thread.ofPlatform().name("table-watch").daemon().start(this::watch);
    }

    private void watch() {
        RulesetMonitor.Listener l = new RulesetMonitor.Listener() {
            @Override
            public void changed(int msg, String table, int portId) {
                if (!table.equals(def.name()) || portId == maps.portId()) return;
                // a deletion flushes first: DELRULE comes before DELTABLE, which says more
                if (pendingChange == null || msg == NFT_MSG_DELTABLE) pendingChange = what(msg);
            }

            @Override
            public void committed(int pid, String name) {
                if (pendingChange == null) return;
                String why = pendingChange + " by " + (name.isEmpty() ? "pid " + pid : name + " (pid " + pid + ")");
                pendingChange = null;
                restore(why);
            }

            @Override
            public void lost() {
                // anything may have changed: rebuild (restore takes the lock before it uses the socket)
                pendingChange = null;
                restore("perhaps changed (ruleset notifications were lost)");
            }
        };
        while (running) {
            try {
                monitor.poll(l);
            } catch (NetlinkException e) {
                if (running) log.warn("[!] table ip " + def.name() + " watch: " + e.getMessage());
            }
        }
    }

    private static String what(int msg) {
        return switch (msg) {
            case NFT_MSG_DELTABLE -> "deleted";
            case NFT_MSG_DELCHAIN, NFT_MSG_DELRULE, NFT_MSG_DELSET, NFT_MSG_DELOBJ -> "cut";
            default -> "changed";
        };
    }

    /** The watched path: the table anew, with every element from the plane's state. */
    void restore(String why) {
        long t0 = System.nanoTime();
        lock.lock();
        try {
            NftMaps.TableInfo t = maps.tableInfo();
            commitCreate(t != null, TableProtection.WATCHED);
            int n = state.replay(maps);
            restores.increment();
            lastRestore = Instant.now().truncatedTo(ChronoUnit.SECONDS) + " (" + why + ")";
            log.warn("[!] table ip " + def.name() + " was " + why + "; restored with " + n + " elements in "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms");
        } catch (NetlinkException | RuntimeException e) {
            log.error("[!] table ip " + def.name() + " was " + why + " and could not be restored: " + e.getMessage()
                    + "; full cone is off until the next change");
        } finally {
            lock.unlock();
        }
    }

    /** For {@code status}: "ip conenatd, persist, restores 0[, last ...]". */
    public String status() {
        TableProtection p = protection;
        String last = lastRestore;
        return "ip " + def.name() + ", " + (p == null ? "not installed" : p.label) + ", restores " + restores.sum()
                + (last == null ? "" : ", last " + last);
    }

    /** The daemon is serving: from now on a stop deletes the table, even one taken over from a previous instance. */
    public void ready() { ready = true; }

    /**
     * Stops watching and deletes the table; idempotent. A persistent table taken over from a
     * previous instance is left in place if the daemon never got ready (a failed restart must not
     * destroy the mappings the table kept): closing the socket orphans it again.
     */
    public void remove() {
        running = false;
        if (watcher != null) {
            try {
                watcher.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            watcher = null;
        }
        if (monitor != null) {
            monitor.close();
            monitor = null;
        }
        if (protection == null) return;
        if (tookOver && !ready && protection == TableProtection.PERSIST) {
            log.warn("[!] table ip " + def.name() + " is left as the previous instance left it: this one stopped before it was ready");
            protection = null;
            return;
        }
        lock.lock();
        try {
            NftBatch b = maps.batch();
            b.deleteTable(def.name());
            maps.commit(b);
        } catch (NetlinkException e) {
            if (e.errno() != Errno.ENOENT) log.warn("[!] cannot delete table ip " + def.name() + ": " + e.getMessage());
        } finally {
            protection = null;
            lock.unlock();
        }
    }
}
