package org.conenatd.dataplane.seed;

import org.conenatd.dataplane.MapWriter;
import org.conenatd.nftables.Chain;
import org.conenatd.nftables.NftSet;
import org.conenatd.nftables.Table;
import org.conenatd.nat.Endpoint;
import org.conenatd.nat.FullConeNat;
import org.conenatd.nat.MappingListener;
import org.conenatd.nat.MappingTable;
import org.conenatd.nat.Protocol;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.nftables.NftMap;
import org.conenatd.nftables.NftMaps;
import org.conenatd.ops.Counters;
import org.conenatd.ops.Log;
import org.conenatd.inet.Inet4;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Seed mode's kernel path ({@code --kernel-dnat <first-last>[,...]}): the mapped ports of those ranges go
 * into an nft map, and a nat prerouting chain at {@code dstnat - 1}, before the operator's iptables
 * nat PREROUTING, DNATs new inbound flows to them in the kernel. The nat hook stops at the first
 * chain that binds NAT, so those flows never reach the seed's NFQUEUE rule and cost the daemon
 * nothing. The queue still gets what the map does not have yet (an outbound flow's event can come
 * after the first inbound packet) and every unmapped port, and handles them as the seed describes.
 *
 * <p>The range is the operator's: ports the seed's rules RETURN (reserved ones, the normal-NAT
 * part) must stay out, or they would become full cone. The rule matches only packets to the NAT
 * address that arrived on the interface owning it ({@code fib daddr . iif type local}), so a LAN
 * host's packet to the public address is never DNAT'd (the seed has no hairpinning).
 *
 * <p>The core's changes mark ports dirty (on the thread that changed the table); this class's own
 * thread reads each dirty port's current receiver from the table and writes the difference in one
 * transaction through its {@link MapWriter}, so the map always converges on the table whatever the
 * interleaving. A rebuilt table is refilled the same way: every element counts as absent and every
 * mapped port as dirty ({@link #replayAll}).
 */
final class SeedDnatMap implements MappingListener, Runnable {
    static final String TABLE = "conenatd_seed_dnat";
    /** The rule's named counter: new inbound flows the kernel DNAT'd. */
    static final String COUNTER = "dnat_flows";
    private static final NftMap MAP = NftMap.inbound("in_udp");
    private static final int BATCH = 1024;

    private final boolean[] inRange = new boolean[65536];
    private final FullConeNat nat;
    private final MapWriter writer;
    /** Held while the socket is used: by the writer thread, and by a rebuild of the table. */
    final ReentrantLock io = new ReentrantLock();
    private final Log log;
    private final LongAdder updates, failures;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition dirtied = lock.newCondition();
    private final boolean[] dirty = new boolean[65536];
    private final int[] ring = new int[65536]; // each port at most once: dirty[] dedupes
    private int head, pending;
    private volatile boolean running = true;

    // the writer thread's own
    private final long[] have = new long[65536];
    private final int[] batch = new int[BATCH];
    private final long[] batchEp = new long[BATCH];
    private final boolean[] retry = new boolean[65536];
    private int retries;
    private long lastRetry = System.nanoTime(), lastError = System.nanoTime() - 20_000_000_000L;
    private volatile int held;

    /** @param ranges pairs of first and last port */
    SeedDnatMap(int[] ranges, FullConeNat nat, NftMaps maps, Counters counters, Log log) {
        for (int i = 0; i + 1 < ranges.length; i += 2) java.util.Arrays.fill(inRange, ranges[i], ranges[i + 1] + 1, true);
        this.nat = nat;
        this.writer = new MapWriter(maps);
        this.log = log;
        java.util.Arrays.fill(have, Endpoint.NONE);
        this.updates = counters.counter("kernel_dnat_updates", "Map elements written for --kernel-dnat (added, changed or removed).");
        this.failures = counters.counter("kernel_dnat_failures", "--kernel-dnat map updates the kernel refused.");
        counters.gauge("kernel_dnat_ports", "Mapped ports the kernel DNATs without the queue (--kernel-dnat).", () -> held);
    }

    /**
     * The table: a map of mapped ports, and a nat prerouting chain at {@code dstnat - 1} whose one
     * rule DNATs new inbound flows to those ports. Their flows send no events: the seed counts only
     * outbound flows, and at high rates the events of inbound ones would be most of its work.
     */
    static Table table(int natIp) {
        var rule = org.conenatd.nftables.RuleBuilder.rule().ipDaddr(natIp).fibDaddrLocal(true).l4proto(Protocol.UDP.number)
                .dportIn(MAP.name()).ctEventsOff().counter(COUNTER).dnatByDport(MAP.name())
                .in("pre", "ip daddr " + Inet4.format(natIp) + " fib daddr . iif type local udp dport @in_udp ct event set 0x0 counter name \""
                        + COUNTER + "\" dnat ip to udp dport map @in_udp");
        return new Table(TABLE, List.of(NftSet.portToEndpoint(MAP.name())), List.of(COUNTER),
                List.of(new Chain("pre", Chain.NAT, org.conenatd.nftables.NfTables.NF_INET_PRE_ROUTING, -100 - 1)), List.of(rule));
    }

    /**
     * The table was (re)created empty: every element counts as absent, every mapped port is
     * written again by the writer thread. Returns the ports to write. The io lock is held.
     */
    int replayAll() {
        java.util.Arrays.fill(have, Endpoint.NONE);
        held = 0;
        int[] n = {0};
        nat.table().forEachMapped((p, port, receiver) -> {
            if (p == Protocol.UDP && inRange[port]) {
                mark(port);
                n[0]++;
            }
        });
        return n[0];
    }

    @Override
    public void changed(MappingTable.Change c, Protocol p, int natPort, long endpoint, int flows, long receiver) {
        switch (c) {
            case MAPPED, MOVED, UNMAPPED -> { if (p == Protocol.UDP) mark(natPort); }
            default -> { } // the receiver stays
        }
    }

    private void mark(int port) {
        if (!inRange[port]) return;
        lock.lock();
        try {
            if (dirty[port]) return;
            dirty[port] = true;
            ring[(head + pending) & 0xffff] = port;
            pending++;
            dirtied.signal();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void run() {
        while (running) {
            lock.lock();
            try {
                while (pending == 0 && running) dirtied.await(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            drainOnce();
            retryFailed(System.nanoTime());
        }
    }

    /** Takes up to a batch of dirty ports and writes them; returns how many it took (the writer's loop body; tests call it directly). */
    int drainOnce() {
        int n = 0;
        lock.lock();
        try {
            while (pending > 0 && n < BATCH) {
                int port = ring[head];
                head = (head + 1) & 0xffff;
                pending--;
                dirty[port] = false;
                batch[n++] = port;
            }
        } finally {
            lock.unlock();
        }
        io.lock();
        try {
            write(n);
        } finally {
            io.unlock();
        }
        return n;
    }

    /**
     * Writes the current receiver of each port of the batch, one entry per port, in one
     * transaction. A port whose element the kernel refuses loses its element (so its packets take
     * the queue, which always knows the current receiver) and is tried again a second later.
     */
    private void write(int n) {
        int changes = 0;
        for (int i = 0; i < n; i++) {
            int port = batch[i];
            long ep = nat.lookup(Protocol.UDP, port); // read now: a later change marks the port again
            if (ep == have[port]) continue;
            batch[changes] = port;
            batchEp[changes] = ep;
            stage(port, ep);
            changes++;
        }
        if (changes == 0) return;
        java.util.List<Object[]> refused = new java.util.ArrayList<>(0);
        writer.commit((entry, e) -> {
            failures.increment();
            refused.add(new Object[] {batch[entry], e});
            batch[entry] = -1;
        });
        for (int i = 0; i < changes; i++) if (batch[i] >= 0) applied(batch[i], batchEp[i]);
        for (Object[] r : refused) giveUp((Integer) r[0], (NetlinkException) r[1]); // the writer is free again
    }

    private void giveUp(int port, NetlinkException e) {
        writer.entry();
        writer.removeIfPresent(MAP, 0, port);
        boolean[] gone = {true};
        writer.commit((entry, again) -> {
            failures.increment(); // the old element may stay: the retry below tries again
            gone[0] = false;
        });
        if (gone[0]) applied(port, Endpoint.NONE);
        retry[port] = true;
        retries++;
        long now = System.nanoTime();
        if (now - lastError > 10_000_000_000L) {
            lastError = now;
            log.error("[!] kernel DNAT of port " + port + ": " + e.getMessage() + "; its packets go through the queue, retried every second"
                    + " (further failures are only counted in kernel_dnat_failures for 10 s)");
        }
    }

    /** Marks the ports that failed dirty again, once a second. */
    void retryFailed(long now) {
        if (retries == 0 || now - lastRetry < 1_000_000_000L) return;
        lastRetry = now;
        retries = 0;
        for (int port = 0; port < 65536; port++) {
            if (!retry[port]) continue;
            retry[port] = false;
            mark(port);
        }
    }

    // A present element is always destroyed first (no error if absent): the kernel refuses to
    // re-add a key with another value, and a retry must not depend on what a failed batch left.
    private void stage(int port, long ep) {
        writer.entry();
        writer.removeIfPresent(MAP, 0, port);
        if (ep != Endpoint.NONE) writer.add(MAP, 0, port, Endpoint.ip(ep), Endpoint.port(ep));
    }

    private void applied(int port, long ep) {
        if (ep == have[port]) return;
        if (have[port] == Endpoint.NONE) held++;
        else if (ep == Endpoint.NONE) held--;
        have[port] = ep;
        updates.increment();
    }

    void stop() {
        running = false;
        lock.lock();
        try {
            dirtied.signal();
        } finally {
            lock.unlock();
        }
    }
}
