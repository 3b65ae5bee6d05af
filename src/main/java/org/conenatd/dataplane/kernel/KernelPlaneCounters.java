package org.conenatd.dataplane.kernel;

import org.conenatd.ops.Counters;

import java.util.concurrent.atomic.LongAdder;

/** Kernel mode's counters: first packets, allocations, the pool, and the map updates. */
final class KernelPlaneCounters {
    final LongAdder queued, allocations, preserved, poolExhausted, hostLimitHits, dropped, expirations, keptByInbound, adopted,
            nftFailures, notPorts, forwardConflicts;

    KernelPlaneCounters(Counters c) {
        queued = c.counter("queued", "First packets of LAN endpoints without a mapping, handed to conenatd.");
        notPorts = c.counter("not_udp", "Queued packets without UDP or TCP ports, passed on.");
        allocations = c.counter("allocations", "Public ports allocated to LAN endpoints.");
        preserved = c.counter("allocations_preserved", "Allocations that kept the endpoint's own source port.");
        poolExhausted = c.counter("pool_exhausted", "First packets that found no free port: plain NAT for them (or dropped, --on-limit drop).");
        hostLimitHits = c.counter("host_limit_hits", "First packets of hosts at their --ports-per-host limit: no new mapping for them.");
        dropped = c.counter("limit_drops", "First packets dropped because of a limit or a full pool (--on-limit drop).");
        expirations = c.counter("expirations", "Mappings released after their hold time.");
        keptByInbound = c.counter("kept_by_inbound", "Due mappings kept because a flow that came in through the maps still lived.");
        adopted = c.counter("adopted", "Mappings adopted at start from a previous instance's maps.");
        forwardConflicts = c.counter("forward_conflicts", "Mappings whose port a port forward of the router's rules took later.");
        nftFailures = c.counter("nft_failures", "Map updates the kernel refused.");
    }
}
