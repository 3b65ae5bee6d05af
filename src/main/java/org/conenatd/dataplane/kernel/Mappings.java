package org.conenatd.dataplane.kernel;

import org.conenatd.dataplane.MapWriter;
import org.conenatd.nat.AddressPool;
import org.conenatd.nat.Endpoint;
import org.conenatd.nat.External;
import org.conenatd.nat.FlowIndex;
import org.conenatd.nat.FullConeNat;
import org.conenatd.nat.MappingListener;
import org.conenatd.nat.MappingTable;
import org.conenatd.nat.PortAllocator;
import org.conenatd.nat.Protocol;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.nftables.NftMap;
import org.conenatd.nftables.NftMaps;
import org.conenatd.ops.Log;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Kernel mode's mappings: one {@link PortAllocator} per protocol over one {@link AddressPool}, and
 * the kernel maps that mirror them, changed together under one lock. The kernel never holds an element the allocator does not
 * know: elements are committed before a mapping counts, and a mapping whose elements were refused
 * is forgotten at once.
 *
 * <p>Lifetime: a mapping is live while conntrack reports an outbound flow of its endpoint on its
 * port (the core tells us, as a {@link MappingListener}), then held for the hold time; when that is
 * up and no flow that came in through the maps still lives ({@link InboundFlows}), its elements go
 * and its port returns to the pool.
 *
 * <p>Allocation, adoption and expiry live here; the elements are written by the plane's
 * {@link MapWriter}, which reports the entries the kernel refused.
 */
final class Mappings implements MappingListener {
    private final KernelConfig cfg;
    private final NftMaps maps;
    private final MapWriter writer;
    private final FullConeNat nat;
    final PortUses uses;
    final HostLimit hosts;
    private final KernelPlaneCounters count;
    private final Log log;
    private final long[] holdNanos = new long[Protocol.count()];
    private final Expiry expiry;
    private final InboundFlows inbound;
    private final PortAllocator[] allocators = new PortAllocator[Protocol.count()];
    /** The external addresses: the --pool, or the interface's own (index 0, address 0: the maps carry ports only). */
    final AddressPool pool;
    private final NftMap[] out = new NftMap[Protocol.count()], in = new NftMap[Protocol.count()];
    final ReentrantLock lock = new ReentrantLock();
    /** Mappings per transaction (two elements each): well inside the 512 KiB batch buffer. */
    private static final int CHUNK = 1024;

    // the batch being staged: which allocations its elements belong to
    private final int[] stagedPort = new int[CHUNK];
    private final Protocol[] stagedProto = new Protocol[CHUNK];
    private final long[] stagedEndpoint = new long[CHUNK];
    private final boolean[] stagedRepair = new boolean[CHUNK];
    private int staged;
    /** The allocation log's records (--allocation-log), or null. */
    volatile AllocationRecords records;
    /** The write-ahead journal of the mappings ({@link Journal}), or null. */
    Journal journal;

    Mappings(KernelConfig cfg, MapWriter writer, FullConeNat nat, InboundFlows inbound, KernelPlaneCounters count, Log log) {
        this.cfg = cfg;
        this.inbound = inbound;
        this.maps = writer.maps();
        this.writer = writer;
        this.nat = nat;
        this.count = count;
        this.log = log;
        this.expiry = new Expiry(this, cfg, inbound, count, log);
        this.uses = new PortUses(nat, inbound, this::allocator);
        this.hosts = new HostLimit(cfg.economy().portsPerHost(), count.hostLimitHits);
        this.pool = cfg.pool().pooled() ? new AddressPool(cfg.pool().addresses()) : AddressPool.single();
        for (Protocol p : cfg.protocols()) {
            int i = p.ordinal();
            holdNanos[i] = cfg.holdSeconds(p) * 1_000_000_000L;
            allocators[i] = new PortAllocator(p, cfg.firstPort(), cfg.lastPort(), pool, cfg.pool().portBlock(), cfg.blocksPerHost());
            allocators[i].onBlocks((given, host, index, from, to) -> block(p, given, host, index, from, to));
            out[i] = Ruleset.outElements(cfg, p);
            in[i] = Ruleset.inElements(cfg, p);
        }
    }

    PortAllocator allocator(Protocol p) { return allocators[p.ordinal()]; }

    /** "203.0.113.2:5000" with a pool, "eth0:5000" without. */
    String where(int external) {
        return (pool.pooled() ? pool.format(External.index(external)) : cfg.wanIf()) + ":" + External.port(external);
    }

    private void block(Protocol p, boolean given, int host, int index, int from, int to) {
        log.info("[" + (given ? "+" : "-") + "] " + p.label + " block " + where(External.of(index, from)) + "-" + to + " -> "
                + org.conenatd.inet.Inet4.format(host) + (given ? " allocated" : " released"));
        AllocationRecords r = records; // volatile: the plane's stop clears it
        if (r != null) r.block(given, p, host, index, from, to);
    }

    boolean enabled(Protocol p) { return allocators[p.ordinal()] != null; }

    NftMap outMap(Protocol p) { return out[p.ordinal()]; }
    NftMap inMap(Protocol p) { return in[p.ordinal()]; }
    MapWriter writer() { return writer; }
    NftMaps maps() { return maps; }
    KernelPlaneCounters count() { return count; }
    KernelConfig cfg() { return cfg; }

    /** After the first resync: the endpoints of live flows keep their ports ({@link Adoption#fromLiveFlows}). */
    void adoptLiveFlows(long now, FlowIndex[] externals) {
        Adoption.fromLiveFlows(this, nat, inbound, refreshInbound(now), externals, now, log);
    }

    long holdNanos(Protocol p) { return holdNanos[p.ordinal()]; }

    /** Whether {@code port} is free for {@code endpoint} (lock held). */
    boolean portFree(Protocol p, int port, long endpoint) { return uses.free(allocators[p.ordinal()], port, endpoint); }

    /** {@link #mappingFor} found no port: the pool is exhausted, or the host is at its limit. */
    static final int EXHAUSTED = -1, HOST_LIMIT = -2;

    /**
     * The mapping for a LAN endpoint's first packet (lock held): its port, a new one staged for the
     * next {@link #commitStaged}, {@link #EXHAUSTED} or {@link #HOST_LIMIT}. A host at its limit
     * gets no new mapping; its existing ones are never evicted (RFC 6888 REQ-11).
     */
    int mappingFor(Protocol p, long endpoint, long now) {
        PortAllocator a = allocators[p.ordinal()];
        int known = a.portOf(endpoint);
        if (known >= 0) {
            // a first packet of a mapped endpoint: its out element is missing (a removal half
            // refused, a refused replay) or its first packet came twice; writing both elements
            // again is harmless (an equal element is no conflict) and repairs the first case
            if (!stagedNow(p, known)) stage(p, known, endpoint, true);
            return known;
        }
        if (hosts.refuse(a, endpoint)) return HOST_LIMIT;
        int port = uses.allocate(a, endpoint, now, holdNanos[p.ordinal()]);
        if (port == PortAllocator.BLOCKS_FULL) return hosts.refused(endpoint);
        if (port < 0) {
            count.poolExhausted.increment();
            return EXHAUSTED;
        }
        stage(p, port, endpoint, false);
        count.allocations.increment();
        if (External.port(port) == Endpoint.port(endpoint)) count.preserved.increment();
        return port;
    }

    private boolean stagedNow(Protocol p, int port) {
        for (int i = 0; i < staged; i++) if (stagedPort[i] == port && stagedProto[i] == p) return true;
        return false;
    }

    /**
     * Stages a mapping's two elements for the next {@link #commitStaged} (lock held); a
     * {@code repair} writes those of a mapping the kernel had already (no log line).
     */
    void stage(Protocol p, int port, long ep, boolean repair) {
        if (staged == stagedPort.length) commitStaged();
        int i = p.ordinal();
        writer.entry();
        int addr = pool.address(External.index(port)), pub = External.port(port);
        writer.add(out[i], Endpoint.ip(ep), Endpoint.port(ep), addr, pub);
        writer.add(in[i], addr, pub, Endpoint.ip(ep), Endpoint.port(ep));
        stagedProto[staged] = p;
        stagedPort[staged] = port;
        stagedEndpoint[staged] = ep;
        stagedRepair[staged] = repair;
        staged++;
    }

    /**
     * Commits the staged elements in one transaction. A refused mapping's allocation is forgotten
     * (it never existed for the kernel either); the writer commits the rest.
     */
    void commitStaged() {
        if (staged == 0) return;
        Journal j = journal;
        if (j != null) { // written before the elements: the journal holds every mapping the maps hold
            for (int i = 0; i < staged; i++) if (!stagedRepair[i]) j.added(stagedProto[i], stagedPort[i], stagedEndpoint[i]);
            j.flush();
        }
        NetlinkException[] gone = {null};
        writer.commit((entry, e) -> {
            count.nftFailures.increment();
            // an add refused with ENOENT: the table or its map is gone (another process deleted a
            // watched table); the mapping is kept, and the rebuild that follows writes it
            if (e.errno() == org.conenatd.sys.Errno.ENOENT) {
                gone[0] = e;
                return;
            }
            log.warn("[!] " + e.getMessage() + "; dropping that mapping");
            allocators[stagedProto[entry].ordinal()].forget(stagedPort[entry]);
            if (j != null && !stagedRepair[entry]) j.removed(stagedProto[entry], stagedPort[entry], stagedEndpoint[entry]);
            stagedPort[entry] = -1;
        });
        if (gone[0] != null) log.warn("[!] " + gone[0].getMessage() + "; the mappings are kept for the table's rebuild");
        AllocationRecords r = records;
        for (int i = 0; i < staged; i++) {
            if (stagedPort[i] < 0 || stagedRepair[i]) continue;
            log.info("[+] " + stagedProto[i].label + " " + where(stagedPort[i]) + " -> "
                    + Endpoint.format(stagedEndpoint[i]) + " allocated");
            if (r != null) r.given(stagedProto[i], stagedPort[i], stagedEndpoint[i]);
        }
        if (r != null) r.flush();
        staged = 0;
    }

    /**
     * Writes every mapping into maps just created empty (the table was rebuilt), without a line
     * per mapping; a mapping the kernel refuses is forgotten. Returns the elements written. The
     * lock is held.
     */
    int replay() {
        for (Protocol p : cfg.protocols()) {
            allocators[p.ordinal()].forEach((x, ep) -> stage(p, x, ep, true));
        }
        commitStaged();
        rewriteJournal(); // a new table: a new handle
        return 2 * allocated();
    }

    /** Starts the journal afresh for the table as it is now, holding every mapping (lock held). */
    void rewriteJournal() { Journal.rewriteFor(this, log); }

    /** Expires what is due ({@link Expiry}); once a second, from the expiry thread. */
    void expire(long now) {
        expiry.expire(now);
        Journal.compactFor(this, log);
    }

    /**
     * Removes the elements of mappings the allocator has let go ({port, endpoint} each), in
     * transactions of at most CHUNK mappings (one batch must fit the send buffer). An element
     * already gone is gone; one the kernel keeps for another reason takes its mapping back into
     * the allocator (held), so the daemon never forgets an element the kernel has, and the next
     * expiry tries again. Lock held.
     */
    void removeReleased(Protocol p, java.util.List<long[]> gone, long now) {
        int i = p.ordinal();
        AllocationRecords r = records;
        for (int from = 0; from < gone.size(); from += CHUNK) {
            java.util.List<long[]> chunk = gone.subList(from, Math.min(gone.size(), from + CHUNK));
            for (long[] g : chunk) {
                writer.entry();
                writer.remove(out[i], Endpoint.ip(g[1]), Endpoint.port(g[1]));
                writer.entry();
                writer.remove(in[i], pool.address(External.index((int) g[0])), External.port((int) g[0]));
            }
            writer.commit((entry, e) -> {
                if (e.errno() == org.conenatd.sys.Errno.ENOENT) return;
                count.nftFailures.increment();
                log.error("[!] " + e.getMessage() + "; the mapping is kept and retried");
                long[] g = chunk.get(entry / 2);
                allocators[i].adopt(g[1], (int) g[0], now, holdNanos[i]);
            });
        }
        Journal j = journal;
        for (long[] g : gone) {
            if (allocators[i].ownerOf((int) g[0]) == g[1]) continue; // kept back
            if (j != null) j.removed(p, (int) g[0], g[1]);
            if (r != null) r.taken(p, (int) g[0], g[1]);
        }
        if (j != null) j.flush();
        if (r != null) r.flush();
    }

    boolean refreshInbound(long now) {
        return inbound.tryRefresh(now, log);
    }

    @Override
    public void changed(MappingTable.Change c, Protocol p, int natPort, long endpoint, int flows, long receiver) {
        PortAllocator a = allocators[p.ordinal()];
        if (a == null) return;
        lock.lock();
        try {
            int x = a.portOf(endpoint);
            if (x < 0 || External.port(x) != natPort) return; // plain NAT, a port forward, or another endpoint
            inbound.forget(p, natPort, endpoint); // outbound flows hold it now, or start its hold anew
            switch (c) {
                case MAPPED, REFRESHED, CONFLICT -> a.flowStarted(x, endpoint);
                case UNMAPPED, RELEASED, MOVED -> {
                    if (flows == 0) a.flowsEnded(x, endpoint, System.nanoTime(), holdNanos[p.ordinal()]);
                }
                case UNKNOWN -> { }
            }
        } finally {
            lock.unlock();
        }
    }

    int allocated() { return sum(PortAllocator::allocated); }

    int held() { return sum(PortAllocator::holding); }

    private int sum(java.util.function.ToIntFunction<PortAllocator> f) {
        int n = 0;
        for (PortAllocator a : allocators) if (a != null) n += f.applyAsInt(a);
        return n;
    }
}
