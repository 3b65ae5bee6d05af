package org.conenatd.dataplane.seed;

import org.conenatd.conntrack.DnatBatch;
import org.conenatd.conntrack.MappingFlows;
import org.conenatd.dataplane.DataPlane;
import org.conenatd.dataplane.PlaneContext;
import org.conenatd.dataplane.StartupHints;
import org.conenatd.nat.Protocol;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.nfqueue.NfQueue;
import org.conenatd.ops.StartupException;
import org.conenatd.packet.Inet4;
import org.conenatd.sys.Errno;

/**
 * The seed's data plane (ConeNATd's design): the operator's NFQUEUE rule in nat PREROUTING hands
 * over the first packet of every unsolicited inbound UDP flow; for a mapped port the plane creates
 * the flow's DNAT conntrack entry and accepts the rewritten packet, and the kernel handles the rest
 * of the flow. Unmapped packets go back marked, so the rule's RETURN lets them pass.
 */
public final class SeedPlane implements DataPlane {

    public record Config(int natIp, int queueNum, int fwmark, int queueMaxLen, int ctTimeout) {}

    private final Config cfg;
    private NfQueue queue;
    private DnatBatch creates;
    private InboundPath inbound;
    private Thread thread;
    private PlaneContext ctx;

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
        try {
            creates = DnatBatch.open(InboundPath.ROWS);
        } catch (NetlinkException e) {
            throw new StartupException("cannot open ctnetlink: " + e.getMessage() + StartupHints.of(e));
        }
        try {
            queue = NfQueue.bind(cfg.queueNum(), cfg.queueMaxLen(), true, 8 << 20);
        } catch (NetlinkException e) {
            creates.close();
            // The kernel answers EPERM (we are root by now) when another socket owns the queue.
            String why = e.errno() == Errno.EPERM || e.errno() == Errno.EBUSY
                    ? "; queue " + cfg.queueNum() + " is already bound by another process (another conenatd?)"
                    : StartupHints.of(e);
            throw new StartupException("cannot bind NFQUEUE " + cfg.queueNum() + ": " + e.getMessage() + why);
        }
        inbound = new InboundPath(queue, creates, context.nat(), context.events(), cfg.natIp(), cfg.fwmark(),
                cfg.ctTimeout(), context.log(), new SeedCounters(context.counters()));
        thread = context.workers().start("nfqueue", inbound);
    }

    @Override
    public String describe() {
        return "nat " + Inet4.format(cfg.natIp()) + ", queue " + cfg.queueNum() + ", fwmark " + cfg.fwmark();
    }

    @Override
    public void stop() {
        if (inbound != null) inbound.stop();
        if (thread != null) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (queue != null) {
            try {
                queue.unbind();
            } catch (NetlinkException e) {
                ctx.log().warn("[!] " + e.getMessage());
            }
            queue.close();
            queue = null;
        }
        if (creates != null) {
            creates.close();
            creates = null;
        }
        inbound = null;
        thread = null;
    }
}
