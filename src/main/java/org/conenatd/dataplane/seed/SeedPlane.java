package org.conenatd.dataplane.seed;

import org.conenatd.conntrack.DnatBatch;
import org.conenatd.dataplane.MappingFlows;
import org.conenatd.dataplane.DataPlane;
import org.conenatd.dataplane.RuleCounter;
import org.conenatd.dataplane.PlaneContext;
import org.conenatd.dataplane.StartupHints;
import org.conenatd.nat.Protocol;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.nfqueue.NfQueue;
import org.conenatd.nftables.NftMaps;
import org.conenatd.dataplane.OwnedTable;
import org.conenatd.dataplane.TableProtection;
import org.conenatd.ops.StartupException;
import org.conenatd.inet.Inet4;

/**
 * The seed's data plane (ConeNATd's design): the operator's NFQUEUE rule in nat PREROUTING hands
 * over the first packet of every unsolicited inbound UDP flow; for a mapped port the plane creates
 * the flow's DNAT conntrack entry and accepts the rewritten packet, and the kernel handles the rest
 * of the flow. Unmapped packets go back marked, so the rule's RETURN lets them pass.
 */
public final class SeedPlane implements DataPlane {

    /**
     * @param firstQueue the queue of the operator's NFQUEUE rule; with {@code --queue-balance
     *                   first:last} in the rule, each queue of the range gets a thread of its own
     * @param dnatRanges the port ranges {@code --kernel-dnat} DNATs in the kernel ({@link SeedDnatMap}),
     *                   as pairs of first and last port; empty for none (the seed's path only)
     * @param tableProtection how to protect that table, best first ({@link TableProtection#choices})
     */
    public record Config(int natIp, int firstQueue, int lastQueue, int fwmark, int queueMaxLen, int ctTimeout,
                         int[] dnatRanges, java.util.List<TableProtection> tableProtection) {
        public Config(int natIp, int queueNum, int fwmark, int queueMaxLen, int ctTimeout) {
            this(natIp, queueNum, queueNum, fwmark, queueMaxLen, ctTimeout, new int[0], java.util.List.of(TableProtection.values()));
        }

        boolean kernelDnat() { return dnatRanges.length > 0; }

        /** The ranges as the command line gives them: "first-last[,first-last...]". */
        String dnatRangesText() { return org.conenatd.inet.Ranges.format(dnatRanges); }
    }

    /** One queue with its own creation socket and thread: lanes share only the core and the counters. */
    private record Lane(NfQueue queue, DnatBatch creates, InboundPath inbound, Thread thread) {}

    private final Config cfg;
    private final java.util.List<Lane> lanes = new java.util.ArrayList<>();
    private PlaneContext ctx;
    private SeedDnatMap kernelDnat;
    private NftMaps dnatMaps;
    private OwnedTable dnatTable;
    private Thread dnatThread;
    private RuleCounter dnatCounter;

    public SeedPlane(Config cfg) {
        this.cfg = cfg;
    }

    @Override
    public String name() { return "seed"; }

    @Override
    public MappingFlows mappingFlows() {
        return new MappingFlows(cfg.natIp(), Protocol.UDP);
    }

    @Override
    public void start(PlaneContext context) throws StartupException {
        this.ctx = context;
        SeedCounters counters = new SeedCounters(context.counters());
        for (int q = cfg.firstQueue(); q <= cfg.lastQueue(); q++) {
            DnatBatch creates;
            try {
                creates = DnatBatch.open(InboundPath.ROWS);
            } catch (NetlinkException e) {
                throw StartupHints.cannotOpen("ctnetlink", e);
            }
            NfQueue queue;
            try {
                queue = NfQueue.bind(q, cfg.queueMaxLen(), true, 8 << 20);
            } catch (NetlinkException e) {
                creates.close();
                throw StartupHints.queueBind(q, e, "another conenatd?");
            }
            InboundPath inbound = new InboundPath(queue, creates, context.nat(), context.events(), cfg.natIp(),
                    cfg.fwmark(), cfg.ctTimeout(), context.log(), counters);
            String name = cfg.firstQueue() == cfg.lastQueue() ? "nfqueue" : "nfqueue-" + q;
            lanes.add(new Lane(queue, creates, inbound, context.workers().start(name, inbound)));
        }
        if (cfg.kernelDnat()) startKernelDnat(context);
    }

    private void startKernelDnat(PlaneContext context) throws StartupException {
        try {
            dnatMaps = NftMaps.open(SeedDnatMap.TABLE); // this socket owns the table: every change goes through it
        } catch (NetlinkException e) {
            throw StartupHints.cannotOpen("nf_tables netlink", e);
        }
        kernelDnat = new SeedDnatMap(cfg.dnatRanges(), context.nat(), dnatMaps, context.counters(), context.log());
        dnatTable = new OwnedTable(java.util.List.of(SeedDnatMap.table(cfg.natIp())), dnatMaps, kernelDnat.io, context.counters(), context.log());
        context.nat().addListener(kernelDnat);
        // a table a previous instance left goes: the core's table, rebuilt from conntrack, refills it
        dnatTable.install(cfg.tableProtection(), dnatTable.existing(), m -> kernelDnat.replayAll(), false);
        dnatThread = context.workers().start("kernel-dnat", kernelDnat);
        try {
            dnatCounter = RuleCounter.register(context.counters(), "kernel_dnat_flows",
                    "New inbound flows the kernel DNAT'd to mapped ports without the queue (--kernel-dnat).", SeedDnatMap.TABLE, SeedDnatMap.COUNTER);
        } catch (NetlinkException e) {
            context.log().warn("[!] cannot read the kernel DNAT counter, kernel_dnat_flows stays 0: " + e.getMessage());
        }
    }

    @Override
    public OwnedTable table() { return dnatTable; }

    @Override
    public String describe() {
        String q = cfg.firstQueue() == cfg.lastQueue() ? "queue " + cfg.firstQueue()
                : "queues " + cfg.firstQueue() + ":" + cfg.lastQueue();
        return "nat " + Inet4.format(cfg.natIp()) + ", " + q + ", fwmark " + cfg.fwmark()
                + (cfg.kernelDnat() ? ", kernel DNAT of mapped ports " + cfg.dnatRangesText() : "");
    }

    @Override
    public void stop() {
        if (kernelDnat != null) {
            // the table goes first: from now on every first packet takes the seed's path again
            kernelDnat.stop();
            try {
                if (dnatThread != null) dnatThread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            kernelDnat = null;
        }
        if (dnatCounter != null) {
            dnatCounter.close(); // the final count, before the table goes
            dnatCounter = null;
        }
        if (dnatTable != null) {
            dnatTable.remove();
            dnatTable = null;
        }
        if (dnatMaps != null) {
            dnatMaps.close();
            dnatMaps = null;
        }
        for (Lane l : lanes) l.inbound().stop();
        for (Lane l : lanes) {
            try {
                l.thread().join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                l.queue().unbind();
            } catch (NetlinkException e) {
                ctx.log().warn("[!] " + e.getMessage());
            }
            l.queue().close();
            l.creates().close();
        }
        lanes.clear();
    }
}
