package org.conenatd.nat;

import java.util.ArrayList;
import java.util.List;

/**
 * The mappings at one moment, as {@code conenatd list} shows them: read-only rows built from the
 * tables under their writers' locks, so the control socket never touches the tables themselves.
 */
public final class MappingSnapshot {
    private MappingSnapshot() {}

    /** {@link Row#holdLeftNanos} of a mapping with live flows. */
    public static final long LIVE = -1;
    /** {@link Row#holdLeftNanos} where mappings have no hold (seed mode: a mapping lives exactly as long as its flows). */
    public static final long NO_HOLD = -2;

    /**
     * One mapping. {@code receives}: the endpoint gets unsolicited traffic to the port (false only
     * for a second endpoint sharing a port in seed mode). {@code origin}: who made it;
     * {@code leaseLeftNanos}: what is left of a port-mapping protocol's lifetime, -1 without one,
     * {@link PortAllocator#FOREVER} for a static mapping. {@code shadowed}: a port forward of the
     * router's own rules takes this port's inbound traffic. {@code externalIp}: the pool address
     * of the mapping, 0 for the interface's own (no pool, and seed mode).
     */
    public record Row(Protocol protocol, int publicPort, long endpoint, int flows, long ageNanos, long holdLeftNanos,
                      boolean receives, MappingOrigin origin, long leaseLeftNanos, boolean shadowed, int externalIp) {
        public Row(Protocol protocol, int publicPort, long endpoint, int flows, long ageNanos, long holdLeftNanos, boolean receives) {
            this(protocol, publicPort, endpoint, flows, ageNanos, holdLeftNanos, receives, MappingOrigin.DYNAMIC, -1, false, 0);
        }

        public boolean held() { return holdLeftNanos >= 0; }
    }

    /** Says whether a port forward of the router's rules covers a public port. */
    @FunctionalInterface
    public interface Forwards {
        boolean covers(Protocol p, int port);

        Forwards NONE = (p, port) -> false;
    }

    /** Seed mode: every (port, endpoint) pair of the core's table; no hold. */
    public static List<Row> ofTable(MappingTable table, long now) {
        List<Row> rows = new ArrayList<>();
        table.forEachSlot((p, port, ep, flows, since, receives) ->
                rows.add(new Row(p, port, ep, flows, Math.max(0, now - since), NO_HOLD, receives)));
        return rows;
    }

    /**
     * Kernel mode: every allocated port, live or held, with the core's count of its endpoint's
     * flows on it. {@code allocators} may hold nulls (protocols not enabled).
     */
    public static List<Row> ofAllocators(PortAllocator[] allocators, MappingTable table, long now) {
        return ofAllocators(allocators, table, now, Forwards.NONE);
    }

    /** Rows in order of protocol, external address and port. */
    public static List<Row> ofAllocators(PortAllocator[] allocators, MappingTable table, long now, Forwards forwards) {
        List<Row> rows = new ArrayList<>();
        for (PortAllocator a : allocators) {
            if (a == null) continue;
            List<Row> mine = new ArrayList<>(a.allocated());
            a.forEach((x, ep) -> {
                long left = a.holdLeft(x, now);
                int port = External.port(x);
                mine.add(new Row(a.protocol(), port, ep, table.flows(a.protocol(), port, ep),
                        Math.max(0, now - a.since(x)), left < 0 ? LIVE : left, true, a.originOf(x), a.leaseLeft(x, now),
                        forwards.covers(a.protocol(), port), a.pool().address(External.index(x))));
            });
            mine.sort((r1, r2) -> r1.externalIp != r2.externalIp ? Integer.compareUnsigned(r1.externalIp, r2.externalIp)
                    : Integer.compare(r1.publicPort, r2.publicPort));
            rows.addAll(mine);
        }
        return rows;
    }
}
