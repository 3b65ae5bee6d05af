package org.conenatd.dataplane.kernel;

import org.conenatd.nat.Endpoint;
import org.conenatd.nat.FlowIndex;
import org.conenatd.nat.PortAllocator;

import java.util.concurrent.atomic.LongAdder;

/**
 * {@code --ports-per-host} (RFC 6888 REQ-4): whether a LAN address holds its share of a protocol's
 * pool already, and how often each address was refused for it. Used with the mappings' lock held.
 */
final class HostLimit {
    private final int limit;
    private final LongAdder refused;
    private final FlowIndex hits = new FlowIndex(); // LAN address + 1 -> times refused

    /** @param limit ports per LAN address and protocol, 0 for none */
    HostLimit(int limit, LongAdder refused) {
        this.limit = limit;
        this.refused = refused;
    }

    int limit() { return limit; }

    /** Whether the endpoint's address holds {@link #limit} ports of {@code a}'s pool already. */
    boolean full(PortAllocator a, long endpoint) {
        return limit > 0 && a.portsOfHost(Endpoint.ip(endpoint)) >= limit;
    }

    /** {@link #full}, counting the refusal. */
    boolean refuse(PortAllocator a, long endpoint) {
        if (!full(a, endpoint)) return false;
        refused(endpoint);
        return true;
    }

    /** Counts a refusal for the host's limit (its port blocks are full); returns {@link Mappings#HOST_LIMIT}. */
    int refused(long endpoint) {
        refused.increment();
        long k = Integer.toUnsignedLong(Endpoint.ip(endpoint)) + 1;
        hits.put(k, Math.max(0, hits.get(k)) + 1);
        return Mappings.HOST_LIMIT;
    }

    /** Times LAN address {@code ip} was refused for its limit. */
    long hits(int ip) { return Math.max(0, hits.get(Integer.toUnsignedLong(ip) + 1)); }
}
