package org.conenatd.dataplane.kernel;

import org.conenatd.nat.External;
import org.conenatd.nat.PortAllocator;
import org.conenatd.nat.Protocol;
import org.conenatd.ops.Counters;

import java.util.HashMap;
import java.util.Map;

/**
 * What kernel mode tells of its pool and port blocks: the metrics per external address (mappings,
 * hosts paired) and of blocks held, and a host's address and blocks for {@code list --host}. Reads
 * under the mappings' lock.
 */
final class PoolReport {
    private PoolReport() {}

    static void register(Counters c, KernelConfig cfg, Mappings m) {
        if (cfg.pool().pooled()) {
            c.gauges("address_mappings", "Mappings per external address of the pool, all protocols.", "address", () -> perAddress(m, true));
            c.gauges("address_hosts", "LAN hosts paired with each external address of the pool.", "address", () -> perAddress(m, false));
        }
        if (cfg.pool().portBlock() > 0) c.gauge("port_blocks", "Port blocks held by LAN hosts, all protocols.", () -> blocks(m, cfg));
    }

    private static Map<String, Long> perAddress(Mappings m, boolean mappingsNotHosts) {
        Map<String, Long> out = new HashMap<>();
        m.lock.lock();
        try {
            for (int i = 0; i < m.pool.size(); i++) out.put(m.pool.format(i), mappingsNotHosts ? m.pool.used(i) : m.pool.hosts(i));
        } finally {
            m.lock.unlock();
        }
        return out;
    }

    private static long blocks(Mappings m, KernelConfig cfg) {
        m.lock.lock();
        try {
            long n = 0;
            for (Protocol p : cfg.protocols()) n += m.allocator(p).blocks();
            return n;
        } finally {
            m.lock.unlock();
        }
    }

    /** "; address 203.0.113.2; udp blocks 203.0.113.2:1024-1087, ..." (lock held); empty without a pool or blocks. */
    static String hostSummary(Mappings m, KernelConfig cfg, int ip) {
        StringBuilder sb = new StringBuilder();
        int i = m.pool.pairedIndex(ip);
        if (m.pool.pooled() && i >= 0) sb.append("; address ").append(m.pool.format(i));
        for (Protocol p : cfg.protocols()) {
            PortAllocator a = m.allocator(p);
            if (a.blockSize() == 0) continue;
            int[] b = a.blocksOf(ip);
            sb.append("; ").append(p.label).append(" blocks");
            if (b.length == 0) sb.append(" none");
            for (int k = 0; k < b.length; k++) {
                sb.append(k == 0 ? " " : ", ").append(m.where(b[k])).append('-').append(External.port(b[k]) + a.blockSize() - 1);
            }
        }
        return sb.toString();
    }
}
