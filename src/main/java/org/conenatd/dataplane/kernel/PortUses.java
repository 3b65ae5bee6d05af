package org.conenatd.dataplane.kernel;

import org.conenatd.nat.Endpoint;
import org.conenatd.nat.External;
import org.conenatd.nat.FullConeNat;
import org.conenatd.nat.MappingSnapshot;
import org.conenatd.nat.PortAllocator;
import org.conenatd.nat.Protocol;

/**
 * What else holds a public port, for allocation: the router's own sockets, live outbound flows of
 * other endpoints (plain NAT), ports DNAT'd flows used at the last look at conntrack, and the
 * router's port forwards. A plain-NAT flow of the endpoint being mapped does not count: it may
 * keep its own port. Used with the mappings' lock held.
 */
final class PortUses {
    private final LocalPorts localPorts = new LocalPorts();
    private final FullConeNat nat;
    private final InboundFlows inbound;
    private final PortAllocator.PortUse[] use = new PortAllocator.PortUse[Protocol.count()];
    private long allocating = Endpoint.NONE;
    /** The ports the router's own port forwards take (set once the plane reads them). */
    volatile MappingSnapshot.Forwards forwarded = MappingSnapshot.Forwards.NONE;

    /**
     * @param mapped the protocol's allocator, to tell a plain-NAT flow (which holds its port) from
     *               a mapped endpoint's flow on its own port of another pool address (which does not)
     */
    PortUses(FullConeNat nat, InboundFlows inbound, java.util.function.Function<Protocol, PortAllocator> mapped) {
        this.nat = nat;
        this.inbound = inbound;
        for (Protocol p : Protocol.values()) {
            use[p.ordinal()] = port -> {
                long holder = nat.lookup(p, port);
                return localPorts.inUse(p, port) || plainFlow(mapped.apply(p), holder, port) || inbound.seen(p, port)
                        || forwarded.covers(p, port);
            };
        }
    }

    private boolean plainFlow(PortAllocator a, long holder, int port) {
        if (holder == Endpoint.NONE || holder == allocating) return false;
        if (a == null) return true;
        int x = a.portOf(holder);
        return x < 0 || External.port(x) != port;
    }

    /** Allocates a port for {@code endpoint}, asking what else holds each candidate. */
    int allocate(PortAllocator a, long endpoint, long now, long holdNanos) {
        localPorts.refresh(now);
        allocating = endpoint;
        try {
            return a.allocate(endpoint, use[a.protocol().ordinal()], now, holdNanos);
        } finally {
            allocating = Endpoint.NONE;
        }
    }

    /** Whether {@code external} is free for {@code endpoint}: in the pool, unowned, and held by nothing else. */
    boolean free(PortAllocator a, int external, long endpoint) {
        int port = External.port(external);
        if (External.index(external) >= a.pool().size() || port < a.first() || port > a.last() || a.ownerOf(external) != Endpoint.NONE) {
            return false;
        }
        localPorts.refresh(System.nanoTime());
        allocating = endpoint;
        try {
            return !use[a.protocol().ordinal()].inUse(port);
        } finally {
            allocating = Endpoint.NONE;
        }
    }
}
