package org.conenatd.dataplane.kernel;

import org.conenatd.nat.Endpoint;
import org.conenatd.nat.PortAllocator;
import org.conenatd.nat.Protocol;
import org.conenatd.ops.Log;

import java.util.ArrayList;
import java.util.List;

/**
 * When kernel mode's mappings go: a held mapping whose hold (and lease) is up loses its elements
 * and its port returns to the pool. A due mapping that still has a flow that came in through the
 * maps is kept and looked at again after the recheck interval; once that flow is gone it is held
 * for the hold time. Conntrack is asked for those flows at most once every REFRESH_GAP (a due
 * mapping waits that long at most), and once every REFRESH_EVERY anyway, so that allocation knows
 * the ports of port forwards.
 */
final class Expiry {
    private static final long REFRESH_GAP = 2_000_000_000L, REFRESH_EVERY = 30_000_000_000L;

    private final Mappings m;
    private final KernelConfig cfg;
    private final InboundFlows inbound;
    private final KernelPlaneCounters count;
    private final Log log;

    Expiry(Mappings m, KernelConfig cfg, InboundFlows inbound, KernelPlaneCounters count, Log log) {
        this.m = m;
        this.cfg = cfg;
        this.inbound = inbound;
        this.count = count;
        this.log = log;
    }

    void expire(long now) {
        boolean due = anyDue(now);
        long age = now - inbound.refreshedAt();
        if (due ? age < REFRESH_GAP : age < REFRESH_EVERY) return;
        if (!m.refreshInbound(now) || !due) return; // the dump runs without the lock: first packets must not wait
        m.lock.lock();
        try {
            for (Protocol p : cfg.protocols()) {
                PortAllocator a = m.allocator(p);
                long hold = m.holdNanos(p);
                inbound.holdWhileLive(p, a, now, Math.min(hold, 5_000_000_000L), hold, (port, ep) -> {
                    count.keptByInbound.increment();
                    log.debug("[=] " + p.label + " " + m.where(port) + " -> " + Endpoint.format(ep)
                            + " kept: a flow that came in through it still lives");
                });
                List<long[]> gone = new ArrayList<>();
                if (a.expire(now, (port, ep) -> gone.add(new long[] {port, ep})) == 0) continue;
                m.removeReleased(p, gone, now);
                for (long[] g : gone) {
                    if (a.ownerOf((int) g[0]) == g[1]) continue; // kept: its elements are still there
                    count.expirations.increment();
                    log.info("[-] " + p.label + " " + m.where((int) g[0]) + " -> " + Endpoint.format(g[1])
                            + " released (" + cfg.holdSeconds(p) + " s after its last flow)");
                }
            }
        } finally {
            m.lock.unlock();
        }
    }

    private boolean anyDue(long now) {
        m.lock.lock();
        try {
            for (Protocol p : cfg.protocols()) {
                if (m.allocator(p).forEachDue(now, (port, ep) -> { }) > 0) return true;
            }
            return false;
        } finally {
            m.lock.unlock();
        }
    }
}
