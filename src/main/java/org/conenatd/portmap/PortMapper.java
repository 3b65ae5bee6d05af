package org.conenatd.portmap;

import org.conenatd.nat.Protocol;

import java.util.List;

/**
 * What the port-mapping protocols (NAT-PMP, PCP, UPnP IGD) ask of the NAT: one allocator for every
 * kind of mapping, so that a port granted here is never handed to another endpoint and a port
 * already taken is never granted. A mapping maps one LAN endpoint (address, port) to one public
 * port, full cone both ways, as conenatd's own mappings do; an endpoint has at most one public port
 * per protocol, whatever asked for it. Implementations are thread-safe.
 */
public interface PortMapper {
    /** Who made a mapping; {@code list} shows it. */
    enum Origin {
        DYNAMIC("dynamic"), STATIC("static"), NATPMP("natpmp"), PCP("pcp"), UPNP("upnp");

        public final String label;

        Origin(String label) { this.label = label; }
    }

    /** Why a request was refused. */
    enum Reason {
        /** The pool, or the host's share of it, is used up. */
        NO_RESOURCES,
        /** The exact public port asked for belongs to another endpoint or to something else. */
        PORT_IN_USE,
        /** The protocol is not one conenatd maps, or the port is outside the pool. */
        UNSUPPORTED
    }

    final class Refused extends Exception {
        public final Reason reason;

        public Refused(Reason reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }
    }

    /** What was granted: the public port and the lifetime in seconds (after capping). */
    record Grant(int externalPort, int lifetimeSeconds) {}

    /** A mapping made by a protocol, for listings (UPnP's GetGenericPortMappingEntry). */
    record Lease(Origin origin, Protocol protocol, int externalPort, int internalIp, int internalPort, int secondsLeft,
                 String description) {}

    /** The public IPv4 address now (the WAN interface's), or 0 if it has none. */
    int externalAddress();

    /** The external address the mappings of LAN host {@code lanIp} use (with a pool, its own); 0 if there is none. */
    default int externalAddress(int lanIp) { return externalAddress(); }

    /** Seconds since this instance started mapping: the NAT-PMP / PCP epoch, which restarts with the daemon. */
    long epochSeconds();

    /** The longest lifetime granted (--map-lifetime-max), in seconds. */
    int maxLifetimeSeconds();

    /**
     * Maps LAN endpoint {@code internalIp:internalPort} for {@code lifetimeSeconds} (capped at
     * {@link #maxLifetimeSeconds}; at least 1). {@code suggestedPort} 0 means any; otherwise it is
     * granted when free. With {@code exact} a request whose suggested port cannot be had is refused
     * (PORT_IN_USE) instead of being given another. An endpoint already mapped keeps its port unless
     * {@code exact} asks for another that is free, and its lease is renewed. {@code description}
     * (UPnP's NewPortMappingDescription, may be empty) is kept for listings.
     */
    Grant map(Origin origin, Protocol protocol, int internalIp, int internalPort, int suggestedPort, boolean exact,
              int lifetimeSeconds, String description) throws Refused;

    /**
     * Deletes the lease of LAN endpoint {@code internalIp:internalPort} that {@code origin} made
     * (lifetime 0). The mapping itself stays while the endpoint's flows live, as a dynamic one.
     * Returns false if there was no such lease.
     */
    boolean unmap(Origin origin, Protocol protocol, int internalIp, int internalPort);

    /** The mapping of public port {@code externalPort}, if a protocol made it; null otherwise. */
    Lease leaseOf(Protocol protocol, int externalPort);

    /**
     * The lease of {@code externalPort} as LAN host {@code client} sees it: with a pool, a port is a
     * lease on each address, and a client's own address is the one it means.
     */
    default Lease leaseOf(Protocol protocol, int externalPort, int client) { return leaseOf(protocol, externalPort); }

    /** Every mapping the protocols made (NATPMP, PCP, UPNP), in public-port order. */
    List<Lease> leases();
}
