package org.conenatd.dataplane.kernel;

import org.conenatd.nat.Endpoint;
import org.conenatd.nat.FullConeNat;
import org.conenatd.nat.MappingListener;
import org.conenatd.nat.MappingTable;
import org.conenatd.nat.PortAllocator;
import org.conenatd.nat.Protocol;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.nftables.NftMap;
import org.conenatd.nftables.NftMaps;
import org.conenatd.nftables.SetElemView;
import org.conenatd.ops.Log;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Kernel mode's mappings: one {@link PortAllocator} per protocol and the kernel maps that mirror
 * them, changed together under one lock. The kernel never holds an element the allocator does not
 * know: elements are committed before a mapping counts, and a mapping whose elements were refused
 * is forgotten at once.
 *
 * <p>Lifetime: a mapping is live while conntrack reports an outbound flow of its endpoint on its
 * port (the core tells us, as a {@link MappingListener}), then held for the hold time; when that is
 * up and no flow that came in through the maps still lives ({@link InboundFlows}), its elements go
 * and its port returns to the pool.
 *
 * <p>Over 300 lines because allocation, adoption, expiry and their recovery from refused
 * transactions all change the allocators and the kernel maps together, under one lock and through
 * one staged batch; split apart, each piece would need the other's internals.
 */
final class Mappings implements MappingListener {
    private final KernelConfig cfg;
    private final NftMaps maps;
    private final FullConeNat nat;
    private final LocalPorts localPorts = new LocalPorts();
    private final KernelPlaneCounters count;
    private final Log log;
    private final long holdNanos, recheckNanos;
    private final InboundFlows inbound;
    private long lastInboundWarning;
    private final PortAllocator[] allocators = new PortAllocator[Protocol.count()];
    private final NftMap[] out = new NftMap[Protocol.count()], in = new NftMap[Protocol.count()];
    private final PortAllocator.PortUse[] use = new PortAllocator.PortUse[Protocol.count()];
    final ReentrantLock lock = new ReentrantLock();
    /** Mappings per transaction (two elements each): well inside the 512 KiB batch buffer. */
    private static final int CHUNK = 1024;

    // the batch being staged: which allocations its elements belong to
    private final int[] stagedPort = new int[CHUNK];
    private final Protocol[] stagedProto = new Protocol[CHUNK];
    private final long[] stagedEndpoint = new long[CHUNK];
    private int staged;

    Mappings(KernelConfig cfg, NftMaps maps, FullConeNat nat, InboundFlows inbound, KernelPlaneCounters count, Log log) {
        this.cfg = cfg;
        this.inbound = inbound;
        this.maps = maps;
        this.nat = nat;
        this.count = count;
        this.log = log;
        this.holdNanos = cfg.holdSeconds() * 1_000_000_000L;
        this.recheckNanos = Math.min(holdNanos, 5_000_000_000L);
        for (Protocol p : cfg.protocols()) {
            int i = p.ordinal();
            allocators[i] = new PortAllocator(p, cfg.firstPort(), cfg.lastPort());
            out[i] = NftMap.outbound(Ruleset.outMap(p));
            in[i] = NftMap.inbound(Ruleset.inMap(p));
            // the router's sockets, live outbound flows of any endpoint (plain NAT), and ports that
            // DNAT'd flows (port forwards) used at the last look at conntrack
            use[i] = port -> localPorts.inUse(p, port) || nat.lookup(p, port) != Endpoint.NONE || inbound.seen(p, port);
        }
    }

    PortAllocator allocator(Protocol p) { return allocators[p.ordinal()]; }

    boolean enabled(Protocol p) { return allocators[p.ordinal()] != null; }

    /**
     * Reads the maps a previous instance left (after {@code kill -9} they stay in the kernel and keep
     * working) and adopts every consistent pair; removes the elements that must go (a half pair, or
     * a port outside this instance's pool) and returns how many. Call before the queue runs.
     */
    int adoptFromKernel(long now) throws NetlinkException {
        int dropped = 0;
        for (Protocol p : cfg.protocols()) {
            int i = p.ordinal();
            long[] inbound = new long[65536];
            java.util.Arrays.fill(inbound, Endpoint.NONE);
            maps.dump(in[i], (SetElemView e) -> inbound[e.keyPort] = Endpoint.of(e.dataAddr, e.dataPort));
            boolean[] adopted = new boolean[65536];
            java.util.List<long[]> strayOut = new java.util.ArrayList<>();
            maps.dump(out[i], (SetElemView e) -> {
                long ep = Endpoint.of(e.keyAddr, e.keyPort);
                int port = e.dataPort;
                if (inbound[port] == ep && allocators[i].adopt(ep, port, now, holdNanos)) adopted[port] = true;
                else strayOut.add(new long[] {ep});
            });
            for (long[] s : strayOut) {
                maps.remove(out[i], Endpoint.ip(s[0]), Endpoint.port(s[0]));
                if (++dropped % CHUNK == 0) maps.commit();
            }
            for (int port = 0; port < 65536; port++) {
                if (inbound[port] != Endpoint.NONE && !adopted[port]) {
                    maps.remove(in[i], 0, port);
                    if (++dropped % CHUNK == 0) maps.commit();
                }
            }
            maps.commit();
            count.adopted.add(allocators[i].allocated());
        }
        return dropped;
    }

    /**
     * After the first resync: endpoints whose live flows hold a port conenatd has no mapping for
     * (a restart after SIGTERM removed the table; the flows kept their ports) get that port as
     * their mapping, so a restart changes no live endpoint's port.
     */
    void adoptLiveFlows(long now) {
        boolean asked = refreshInbound(now);
        int[] adoptedLive = new int[1];
        lock.lock();
        try {
            nat.table().forEachMapped((p, port, receiver) -> {
                if (adoptLive(p, port, receiver, now)) adoptedLive[0]++;
            });
            // endpoints that only have flows that came in (their events are off): from conntrack
            if (asked) inbound.forEachSeen((p, port, ep) -> {
                if (adoptLive(p, port, ep, now)) adoptedLive[0]++;
            });
            commitStaged();
            int n = adoptedLive[0];
            if (n > 0) log.info("[*] adopted " + n + " mappings from live conntrack flows");
        } finally {
            lock.unlock();
        }
    }

    /** Adopts a port a live flow holds for {@code ep} if the pool has it free (lock held). */
    private boolean adoptLive(Protocol p, int port, long ep, long now) {
        PortAllocator a = allocators[p.ordinal()];
        if (a == null || ep == Endpoint.NONE || port < a.first() || port > a.last()) return false;
        if (a.ownerOf(port) != Endpoint.NONE || a.portOf(ep) >= 0) return false;
        if (!a.adopt(ep, port, now, holdNanos)) return false;
        if (nat.lookup(p, port) == ep) a.flowStarted(port, ep); // outbound flows: live; inbound only: held, checked at expiry
        if (staged == stagedPort.length) commitStaged();
        stage(p, port, ep);
        return true;
    }

    /**
     * The mapping for a LAN endpoint's first packet (lock held): its port, a new one staged for the
     * next {@link #commitStaged}, or -1 if the pool is exhausted.
     */
    int mappingFor(Protocol p, long endpoint, long now) {
        PortAllocator a = allocators[p.ordinal()];
        int known = a.portOf(endpoint);
        if (known >= 0) return known; // a second first packet (or a retry) of a mapped endpoint
        localPorts.refresh(now);
        int port = a.allocate(endpoint, use[p.ordinal()], now, holdNanos);
        if (port < 0) {
            count.poolExhausted.increment();
            return -1;
        }
        if (staged == stagedPort.length) commitStaged();
        stage(p, port, endpoint);
        count.allocations.increment();
        if (port == Endpoint.port(endpoint)) count.preserved.increment();
        return port;
    }

    private void stage(Protocol p, int port, long ep) {
        int i = p.ordinal();
        maps.add(out[i], Endpoint.ip(ep), Endpoint.port(ep), 0, port);
        maps.add(in[i], 0, port, Endpoint.ip(ep), Endpoint.port(ep));
        stagedProto[staged] = p;
        stagedPort[staged] = port;
        stagedEndpoint[staged] = ep;
        staged++;
    }

    /**
     * Commits the staged elements in one transaction. A refused element's allocation is forgotten
     * (it never existed for the kernel either) and the rest are committed again.
     */
    void commitStaged() {
        while (staged > 0) {
            try {
                maps.commit();
                for (int i = 0; i < staged; i++) {
                    log.info("[+] " + stagedProto[i].label + " " + cfg.wanIf() + ":" + stagedPort[i] + " -> "
                            + Endpoint.format(stagedEndpoint[i]) + " allocated");
                }
                staged = 0;
                return;
            } catch (NetlinkException e) {
                count.nftFailures.increment();
                int bad = maps.failedElement() < 0 ? -1 : maps.failedElement() / 2; // two elements per mapping
                log.warn("[!] " + e.getMessage() + (bad < 0 ? "; dropping the whole batch" : "; dropping that mapping"));
                int from = bad < 0 ? 0 : bad, to = bad < 0 ? staged : bad + 1;
                for (int i = from; i < to; i++) allocators[stagedProto[i].ordinal()].forget(stagedPort[i]);
                int keep = 0;
                for (int i = 0; i < staged; i++) {
                    if (i >= from && i < to) continue;
                    stagedProto[keep] = stagedProto[i];
                    stagedPort[keep] = stagedPort[i];
                    stagedEndpoint[keep] = stagedEndpoint[i];
                    keep++;
                }
                staged = 0;
                for (int i = 0; i < keep; i++) stage(stagedProto[i], stagedPort[i], stagedEndpoint[i]);
            }
        }
    }

    /**
     * Expires held mappings whose time is up and removes their elements; once a second. A due
     * mapping that still has a flow that came in through the maps is kept and looked at again
     * after the recheck interval; once that flow is gone it is held for the hold time.
     */
    void expire(long now) {
        boolean due = anyDue(now);
        long age = now - inbound.refreshedAt();
        // at most one dump every REFRESH_GAP (a due mapping waits that long at most); and one
        // every REFRESH_EVERY anyway, so that allocation knows the ports of port forwards
        if (due ? age < REFRESH_GAP : age < REFRESH_EVERY) return;
        if (!refreshInbound(now) || !due) return;
        lock.lock();
        try {
            for (Protocol p : cfg.protocols()) {
                int i = p.ordinal();
                PortAllocator a = allocators[i];
                inbound.holdWhileLive(p, a, now, recheckNanos, holdNanos, (port, ep) -> {
                    count.keptByInbound.increment();
                    log.debug("[=] " + p.label + " " + cfg.wanIf() + ":" + port + " -> " + Endpoint.format(ep)
                            + " kept: a flow that came in through it still lives");
                });
                java.util.List<long[]> gone = new java.util.ArrayList<>();
                if (a.expire(now, (port, ep) -> gone.add(new long[] {port, ep})) == 0) continue;
                // in transactions of at most CHUNK mappings: one batch must fit the send buffer
                for (int from = 0; from < gone.size(); from += CHUNK) {
                    java.util.List<long[]> chunk = gone.subList(from, Math.min(gone.size(), from + CHUNK));
                    for (long[] g : chunk) {
                        maps.remove(out[i], Endpoint.ip(g[1]), Endpoint.port(g[1]));
                        maps.remove(in[i], 0, (int) g[0]);
                    }
                    try {
                        maps.commit();
                    } catch (NetlinkException e) {
                        count.nftFailures.increment();
                        log.warn("[!] removing " + chunk.size() + " expired mappings at once: " + e.getMessage() + "; one by one");
                        keepWhatTheKernelKeeps(p, chunk, now);
                    }
                }
                for (long[] g : gone) {
                    if (allocators[i].ownerOf((int) g[0]) == g[1]) continue; // kept: its elements are still there
                    count.expirations.increment();
                    log.info("[-] " + p.label + " " + cfg.wanIf() + ":" + g[0] + " -> " + Endpoint.format(g[1])
                            + " released (" + cfg.holdSeconds() + " s after its last flow)");
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private static final long REFRESH_GAP = 2_000_000_000L, REFRESH_EVERY = 30_000_000_000L;

    /** Asks conntrack for the inbound flows, without the lock (a dump takes milliseconds; first packets must not wait). */
    private boolean refreshInbound(long now) {
        try {
            inbound.refresh((p, port) -> allocators[p.ordinal()].ownerOf(port), now);
            return true;
        } catch (NetlinkException e) {
            if (now - lastInboundWarning > 60_000_000_000L) {
                lastInboundWarning = now;
                log.warn("[!] cannot ask conntrack for inbound flows: " + e.getMessage() + "; no mapping expires until it answers");
            }
            return false;
        }
    }

    private boolean anyDue(long now) {
        lock.lock();
        try {
            for (Protocol p : cfg.protocols()) {
                if (allocators[p.ordinal()].forEachDue(now, (port, ep) -> { }) > 0) return true;
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /**
     * After a refused removal batch: each mapping's elements are removed on their own. One that is
     * already gone (ENOENT) is gone; one the kernel still holds for another reason is taken back
     * into the allocator (held), so the daemon never forgets an element the kernel has, and the
     * next expiry tries again.
     */
    private void keepWhatTheKernelKeeps(Protocol p, java.util.List<long[]> gone, long now) {
        int i = p.ordinal();
        for (long[] g : gone) {
            int port = (int) g[0];
            long ep = g[1];
            boolean outGone = removeOne(out[i], Endpoint.ip(ep), Endpoint.port(ep));
            boolean inGone = removeOne(in[i], 0, port);
            if (!outGone || !inGone) allocators[i].adopt(ep, port, now, holdNanos);
        }
    }

    private boolean removeOne(NftMap map, int keyAddr, int keyPort) {
        maps.remove(map, keyAddr, keyPort);
        try {
            maps.commit();
            return true;
        } catch (NetlinkException e) {
            if (e.errno() == org.conenatd.sys.Errno.ENOENT) return true;
            log.error("[!] " + e.getMessage() + "; the mapping is kept and retried");
            return false;
        }
    }

    @Override
    public void changed(MappingTable.Change c, Protocol p, int natPort, long endpoint, int flows, long receiver) {
        PortAllocator a = allocators[p.ordinal()];
        if (a == null) return;
        lock.lock();
        try {
            if (a.ownerOf(natPort) != endpoint) return; // plain NAT, a port forward, or another endpoint
            inbound.forget(p, natPort); // outbound flows hold it now, or start its hold anew
            switch (c) {
                case MAPPED, REFRESHED, CONFLICT -> a.flowStarted(natPort, endpoint);
                case UNMAPPED, RELEASED, MOVED -> {
                    if (flows == 0) a.flowsEnded(natPort, endpoint, System.nanoTime(), holdNanos);
                }
                case UNKNOWN -> { }
            }
        } finally {
            lock.unlock();
        }
    }

    int allocated() {
        int n = 0;
        for (PortAllocator a : allocators) if (a != null) n += a.allocated();
        return n;
    }

    int held() {
        int n = 0;
        for (PortAllocator a : allocators) if (a != null) n += a.holding();
        return n;
    }
}
