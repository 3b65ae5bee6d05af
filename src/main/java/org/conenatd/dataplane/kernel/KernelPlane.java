package org.conenatd.dataplane.kernel;

import org.conenatd.conntrack.Conntrack;
import org.conenatd.dataplane.MappingFlows;
import org.conenatd.dataplane.MapWriter;
import org.conenatd.dataplane.OwnedTable;
import org.conenatd.dataplane.DataPlane;
import org.conenatd.dataplane.RuleCounter;
import org.conenatd.dataplane.PlaneContext;
import org.conenatd.dataplane.StartupHints;
import org.conenatd.nat.FullConeNat;
import org.conenatd.nat.MappingSnapshot;
import org.conenatd.nat.PortAllocator;
import org.conenatd.nat.Protocol;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.nfqueue.NfQueue;
import org.conenatd.nftables.NftMaps;
import org.conenatd.ops.StartupException;
import org.conenatd.sys.Errno;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Kernel mode ({@code conenatd -i <wan-if>}): conenatd is the control plane of an nftables data
 * plane. It allocates endpoint-independent ports itself and keeps two maps per protocol; the
 * kernel masquerades every flow of a mapped endpoint to its port and DNATs every inbound packet to
 * a mapped port, so no inbound packet ever reaches user space. Only the first packet of a LAN
 * endpoint without a mapping is queued, once.
 */
public final class KernelPlane implements DataPlane {
    private final KernelConfig cfg;
    private OwnedTable table;
    private Leases leases;
    private PortMappingServices services;
    private ForwardWatch forwards;
    private NftMaps maps;
    private NfQueue queue;
    private Mappings mappings;
    private OutboundPath outbound;
    private Thread queueThread, expiryThread;
    private volatile boolean running;
    private PlaneContext ctx;
    private InstanceLock lock;
    private Conntrack expiryConntrack;
    private RuleCounter inboundCounter;

    public KernelPlane(KernelConfig cfg) {
        this.cfg = cfg;
    }

    @Override
    public String name() { return "kernel"; }

    @Override
    public MappingFlows mappingFlows() {
        // Any public address (it may change). Inbound flows through the maps send no events; expiry
        // asks conntrack for them (InboundFlows).
        return new MappingFlows(MappingFlows.ANY_ADDRESS, cfg.protocols().toArray(new Protocol[0]));
    }

    /**
     * Opens what the plane needs and installs its table. On failure it throws and leaves the rest
     * to {@link #stop}, which the daemon's undo stack runs and which closes whatever was opened.
     */
    @Override
    public void start(PlaneContext context) throws StartupException {
        this.ctx = context;
        if (!Files.isDirectory(Path.of("/sys/class/net", cfg.wanIf()))) {
            throw new StartupException("no network interface '" + cfg.wanIf() + "' (see: ip link)");
        }
        if (cfg.pool().pooled()) {
            for (String w : PoolCheck.check(cfg.pool().addresses(), cfg.wanIf(), PoolCheck.nets(), PoolCheck.routes(), cfg.sources())) {
                context.log().warn("[!] " + w);
            }
        }
        lock = InstanceLock.tryAcquire();
        if (lock == null) {
            throw new StartupException("another conenatd runs in kernel mode in this network namespace; stop it first");
        }
        KernelPlaneCounters count = new KernelPlaneCounters(context.counters());
        // The queue first: if another process owns it, nothing of the ruleset has been touched.
        try {
            // Not fail-open: a first packet beyond a full queue is dropped (its sender retries)
            // rather than sent on to plain NAT, where it would take a port the pool may hand to
            // another endpoint. With no daemon at all, bypass in the queue rule still lets it pass.
            queue = NfQueue.bind(cfg.queueNum(), cfg.queueMaxLen(), false, 8 << 20, 128);
        } catch (NetlinkException e) {
            throw StartupHints.queueBind(cfg.queueNum(), e, "pick another with -q");
        }
        try {
            maps = NftMaps.open(KernelConfig.TABLE); // this socket owns the table: every change goes through it
            expiryConntrack = Conntrack.open("ctnetlink expiry"); // the expiry thread's own: dumps must not interleave
        } catch (NetlinkException e) {
            throw StartupHints.cannotOpen(maps == null ? "nf_tables netlink" : "ctnetlink", e);
        }
        mappings = new Mappings(cfg, new MapWriter(maps), context.nat(), new InboundFlows(InboundFlows.of(expiryConntrack)), count, context.log());
        table = new OwnedTable(Ruleset.tables(cfg), maps, mappings.lock, context.counters(), context.log());
        NftMaps.TableInfo found = table.existing();
        mappings.journal = new Journal(Journal.defaultPath(), context.log());
        boolean whole = found == null || adoptLeftMaps(found);
        // a table whose maps could not all be read is replaced, never taken over with elements nobody knows
        if (table.install(cfg.tableProtection(), found, m -> mappings.replay(), whole)) {
            // taken over as it was: the journal is started afresh here (a new table's replay started it)
            mappings.lock.lock();
            try {
                mappings.rewriteJournal(); // from now on it follows every change
            } finally {
                mappings.lock.unlock();
            }
        }
        forwards = new ForwardWatch(mappings, cfg.wanIf(), maps.portId(), count.forwardConflicts, context.log());
        try {
            forwards.start();
            mappings.uses.forwarded = forwards::covers;
        } catch (NetlinkException e) {
            context.log().warn("[!] cannot read the router's port forwards, their ports may be allocated: " + e.getMessage());
        }
        leases = new Leases(mappings, cfg.wanIf(), cfg.portMapping().maxLifetimeSeconds(), context.log());
        if (cfg.economy().allocationLog() != null) {
            mappings.records = new AllocationRecords(org.conenatd.ops.AllocationLog.open(cfg.economy().allocationLog(), context.log()),
                    leases::externalAddress, mappings.pool, cfg.pool().portBlock() > 0);
        }
        leases.applyStatic(cfg.portMapping().statics());
        context.nat().addListener(mappings);
        try {
            inboundCounter = RuleCounter.register(context.counters(), "inbound_flows",
                    "New inbound flows the maps DNAT'd to LAN endpoints (counted by the kernel).", KernelConfig.TABLE, Ruleset.INBOUND_COUNTER);
        } catch (NetlinkException e) {
            context.log().warn("[!] cannot read the inbound counter, inbound_flows stays 0: " + e.getMessage());
        }
        context.counters().gauge("ports_allocated", "Public ports allocated to LAN endpoints (all protocols).", mappings::allocated);
        context.counters().gauge("ports_held", "Allocated ports whose flows all ended, kept for the hold time.", mappings::held);
        context.counters().gauge("pool_size", "Ports in the pool, per protocol.", () -> cfg.lastPort() - cfg.firstPort() + 1L);
        PoolReport.register(context.counters(), cfg, mappings);
        if (cfg.portMapping().serve()) {
            services = new PortMappingServices(cfg, leases, context.counters(), context.log());
            services.start();
        }
        outbound = new OutboundPath(queue, mappings, cfg.markBit(), cfg.economy().dropOnLimit(), context.log(), count);
        running = true;
        queueThread = context.workers().start("nfqueue", outbound);
        expiryThread = context.workers().start("expiry", this::expiryLoop);
    }

    /**
     * The maps of a table a previous instance left: adopted whether the table is taken over or
     * built anew. False if a protocol's maps were missing (another configuration left it).
     */
    private boolean adoptLeftMaps(NftMaps.TableInfo found) throws StartupException {
        try {
            Adoption.Adopted a = Adoption.fromKernel(mappings, found, System.nanoTime());
            int adopted = mappings.allocated();
            if (adopted + a.dropped() > 0) {
                ctx.log().info("[*] adopted " + adopted + " mappings from the maps a previous instance left"
                        + (a.fromJournal() ? " (as its journal " + mappings.journal.path() + " lists them)" : "")
                        + (a.dropped() > 0 ? "; dropped " + a.dropped() + " inconsistent " + (a.fromJournal() ? "records" : "elements") : ""));
            }
            return a.whole();
        } catch (NetlinkException e) {
            throw new StartupException("cannot read the maps of table ip " + KernelConfig.TABLE + ": " + e.getMessage(), e);
        }
    }

    @Override
    public OwnedTable table() { return table; }

    @Override
    public void reopen() {
        AllocationRecords r = mappings == null ? null : mappings.records;
        if (r != null) r.reopen();
    }

    @Override
    public String hostLimit(int ip) {
        Mappings m = mappings;
        if (m == null) return null;
        m.lock.lock();
        try {
            String where = PoolReport.hostSummary(m, cfg, ip);
            if (m.hosts.limit() == 0) return "no limit (--ports-per-host)" + where;
            return "limit " + m.hosts.limit() + " per protocol (--ports-per-host), reached " + m.hosts.hits(ip) + " times" + where;
        } finally {
            m.lock.unlock();
        }
    }

    @Override
    public boolean mappingsAreFlows() { return false; }

    @Override
    public long mappingCount(FullConeNat nat) { return mappings == null ? 0 : mappings.allocated(); }

    @Override
    public void ready() {
        org.conenatd.nat.FlowIndex[] externals = null;
        if (cfg.pool().pooled()) { // which address each live flow is NAT'd to: the core counts ports only
            try (Conntrack c = Conntrack.open("ctnetlink adoption")) {
                externals = Adoption.outboundExternals(c);
            } catch (NetlinkException e) {
                ctx.log().warn("[!] cannot ask conntrack which pool address live flows use; none is adopted: " + e.getMessage());
            }
        }
        mappings.adoptLiveFlows(System.nanoTime(), externals);
        table.ready();
    }

    private void expiryLoop() {
        long tick = Math.max(100, Math.min(1000, Math.min(cfg.holdSeconds(), cfg.economy().tcpHoldSeconds()) * 250L));
        while (running) {
            try {
                Thread.sleep(tick);
            } catch (InterruptedException e) {
                return;
            }
            mappings.expire(System.nanoTime());
        }
    }

    @Override
    public String describe() { return cfg.describe(); }

    /** The allocators' mappings (held ones too), under their lock; the daemon holds the events (lock order: events, then ours). */
    @Override
    public java.util.List<MappingSnapshot.Row> mappings(FullConeNat nat, long now) {
        Mappings m = mappings;
        if (m == null) return java.util.List.of();
        PortAllocator[] a = new PortAllocator[Protocol.count()];
        for (Protocol p : cfg.protocols()) a[p.ordinal()] = m.allocator(p);
        m.lock.lock();
        try {
            return MappingSnapshot.ofAllocators(a, nat.table(), now, m.uses.forwarded);
        } finally {
            m.lock.unlock();
        }
    }

    @Override
    public void stop() {
        if (services != null) {
            services.stop(); // no new leases while the rest goes
            services = null;
        }
        if (forwards != null) {
            forwards.stop();
            forwards = null;
        }
        running = false;
        if (outbound != null) outbound.stop();
        join(queueThread);
        join(expiryThread);
        closeQueue();
        if (inboundCounter != null) {
            inboundCounter.close(); // reads the final count before the table goes
            inboundCounter = null;
        }
        if (mappings != null && mappings.journal != null) {
            mappings.journal.close(true); // the table goes with a clean stop, and its journal with it
            mappings.journal = null;
        }
        if (table != null) {
            table.remove();
            table = null;
        }
        if (maps != null) {
            maps.close();
            maps = null;
        }
        closeExpiryConntrack();
        if (mappings != null && mappings.records != null) {
            mappings.records.close();
            mappings.records = null;
        }
        queueThread = expiryThread = null;
        if (lock != null) {
            lock.close();
            lock = null;
        }
    }

    private void closeExpiryConntrack() {
        if (expiryConntrack == null) return;
        expiryConntrack.close();
        expiryConntrack = null;
    }

    private void closeQueue() {
        if (queue == null) return;
        try {
            queue.unbind();
        } catch (NetlinkException e) {
            if (ctx != null) ctx.log().warn("[!] " + e.getMessage());
        }
        queue.close();
        queue = null;
    }

    private static void join(Thread t) {
        if (t == null) return;
        try {
            t.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
