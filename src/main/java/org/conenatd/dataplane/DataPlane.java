package org.conenatd.dataplane;

import org.conenatd.dataplane.MappingFlows;
import org.conenatd.nat.FullConeNat;
import org.conenatd.nat.MappingSnapshot;
import org.conenatd.ops.StartupException;

import java.util.List;

/**
 * The seam a data plane plugs into. The core ({@link org.conenatd.nat.FullConeNat}) learns mappings
 * from conntrack and tells its listeners; a data plane makes the kernel act on them:
 * <ul>
 *   <li>{@code seed}: the original design. An NFQUEUE rule hands over unsolicited first packets;
 *       the plane creates their DNAT conntrack entries and lets them through.</li>
 *   <li>{@code nft} (kernel mode): the plane keeps nftables maps, so the kernel DNATs by itself.</li>
 * </ul>
 * The daemon calls {@link #start} once, after the event subscription is open and before the first
 * resync, and {@link #stop} once at the end.
 */
public interface DataPlane {

    /** Short name for logs and status: "seed", "nft". */
    String name();

    /** Which conntrack entries count as mapping flows under this plane. */
    MappingFlows mappingFlows();

    /**
     * Opens sockets, installs rules and starts the plane's threads. On failure nothing is left
     * behind and the message is fit for the operator.
     */
    void start(PlaneContext context) throws StartupException;

    /**
     * True if a mapping is exactly "a port with live flows" (seed mode), so flow-level changes are
     * the mapping lines of the log; false if the plane has mappings of its own (kernel mode logs
     * its allocations and releases) and flow-level lines belong to debug mode.
     */
    default boolean mappingsAreFlows() { return true; }

    /** How many mappings there are now, for the ready line: the core's mapped ports, or the plane's own allocations. */
    default long mappingCount(org.conenatd.nat.FullConeNat nat) { return nat.table().mappedPorts(); }

    /** Called once the first resync has rebuilt the core from the live table, before "ready". */
    default void ready() { }

    /** What the ready line says about this plane ("nat 203.0.113.1, queue 1000, fwmark 2000"). */
    String describe();

    /**
     * The mappings now, for {@code conenatd list}; the daemon calls it with conntrack events held.
     * By default the core's table: mappings that live exactly as long as their flows.
     */
    default List<MappingSnapshot.Row> mappings(FullConeNat nat, long now) {
        return MappingSnapshot.ofTable(nat.table(), now);
    }

    /** What limits the public ports of LAN address {@code ip}, and how often it was hit, for {@code list --host}; null if nothing. */
    default String hostLimit(int ip) { return null; }

    /** SIGHUP: reopens the files the plane writes (after logrotate moved them). */
    default void reopen() { }

    /** The nf_tables table the plane writes itself, or null if it writes none. */
    default OwnedTable table() { return null; }

    /** Stops the threads, unbinds and removes what {@link #start} installed. Idempotent. */
    void stop();
}
