package org.conenatd.portmap;

import org.conenatd.nat.Protocol;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * A PortMapper in memory, as the interface describes one: a pool of public ports, one lease per
 * endpoint and protocol, suggested ports granted when free, {@code exact} refusing otherwise, and
 * leases of any origin kept for listings. Tests set the external address, epoch and cap, take
 * ports away, and read the calls made. {@link #forUpnp} is the set-up the UPnP suites use.
 */
public final class FakePortMapper implements PortMapper {
    /** One call to map() or unmap(); an unmap has no suggestion, lifetime nor description. */
    public record Call(boolean map, Origin origin, Protocol protocol, int internalIp, int internalPort,
                       int suggestedPort, boolean exact, int lifetimeSeconds, String description) {}

    public volatile int externalAddress = 0xCB007101; // 203.0.113.1
    public volatile long epoch = 42;
    public volatile int maxLifetime = 86_400;
    /** Suggested ports below this are outside the pool: refused (UNSUPPORTED) when exact, else ignored. */
    public volatile int lowestSuggestion = 1;
    /** When set, every map() is refused with NO_RESOURCES. */
    public volatile boolean exhausted;
    /** When set, map() throws it, as a mapper whose netlink socket failed might. */
    public volatile RuntimeException failWith;
    /** Ports something else (a static forward, another endpoint) holds. */
    public final Set<Integer> taken = new HashSet<>();
    public final List<Call> calls = new ArrayList<>();
    private final int low, high;
    private final TreeMap<Long, Lease> byPort = new TreeMap<>(); // protocol ordinal << 16 | port

    public FakePortMapper(int low, int high) {
        this.low = low;
        this.high = high;
    }

    public FakePortMapper() {
        this(40_000, 40_009);
    }

    /** Public address 198.51.100.7, the pool 40000-65535, no suggestions below 1024, leases capped at {@code maxLifetime}. */
    public static FakePortMapper forUpnp(int maxLifetime) {
        FakePortMapper m = new FakePortMapper(40_000, 65_535);
        m.externalAddress = 0xC6336407; // 198.51.100.7
        m.lowestSuggestion = 1024;
        m.maxLifetime = maxLifetime;
        return m;
    }

    @Override public int externalAddress() { return externalAddress; }

    @Override public long epochSeconds() { return epoch; }

    @Override public int maxLifetimeSeconds() { return maxLifetime; }

    @Override
    public synchronized Grant map(Origin origin, Protocol protocol, int internalIp, int internalPort, int suggestedPort,
                                  boolean exact, int lifetimeSeconds, String description) throws Refused {
        calls.add(new Call(true, origin, protocol, internalIp, internalPort, suggestedPort, exact, lifetimeSeconds, description));
        if (failWith != null) throw failWith;
        if (exhausted) throw new Refused(Reason.NO_RESOURCES, "pool used up");
        if (suggestedPort != 0 && suggestedPort < lowestSuggestion) {
            if (exact) throw new Refused(Reason.UNSUPPORTED, "port " + suggestedPort + " outside the pool");
            suggestedPort = 0;
        }
        int lifetime = Math.max(1, Math.min(lifetimeSeconds, maxLifetime));
        Lease old = leaseOfEndpoint(protocol, internalIp, internalPort);
        boolean wanted = suggestedPort != 0 && free(protocol, suggestedPort, old);
        int port;
        if (old != null && (!exact || suggestedPort == 0 || suggestedPort == old.externalPort())) {
            port = old.externalPort();
        } else if (wanted) {
            port = suggestedPort;
        } else if (exact && suggestedPort != 0) {
            throw new Refused(Reason.PORT_IN_USE, "port " + suggestedPort + " is taken");
        } else {
            port = -1;
            for (int p = low; p <= high && port < 0; p++) if (free(protocol, p, old)) port = p;
            if (port < 0) throw new Refused(Reason.NO_RESOURCES, "pool used up");
        }
        if (old != null) byPort.remove(key(protocol, old.externalPort()));
        byPort.put(key(protocol, port), new Lease(origin, protocol, port, internalIp, internalPort, lifetime, description));
        return new Grant(port, lifetime);
    }

    private boolean free(Protocol p, int port, Lease mine) {
        if (taken.contains(port)) return false;
        Lease l = byPort.get(key(p, port));
        return l == null || l == mine;
    }

    @Override
    public synchronized boolean unmap(Origin origin, Protocol protocol, int internalIp, int internalPort) {
        calls.add(new Call(false, origin, protocol, internalIp, internalPort, 0, false, 0, ""));
        Lease l = leaseOfEndpoint(protocol, internalIp, internalPort);
        if (l == null || l.origin() != origin) return false;
        byPort.remove(key(protocol, l.externalPort()));
        return true;
    }

    @Override
    public synchronized Lease leaseOf(Protocol protocol, int externalPort) {
        return byPort.get(key(protocol, externalPort));
    }

    /** By external port, then protocol. */
    @Override
    public synchronized List<Lease> leases() {
        List<Lease> l = new ArrayList<>(byPort.values());
        l.sort(Comparator.comparingInt(Lease::externalPort));
        return l;
    }

    /** Puts a lease as another origin (UPnP, NAT-PMP, PCP) would have made it. */
    public synchronized void put(Lease l) {
        byPort.put(key(l.protocol(), l.externalPort()), l);
    }

    private Lease leaseOfEndpoint(Protocol p, int ip, int port) {
        for (Lease l : byPort.values()) {
            if (l.protocol() == p && l.internalIp() == ip && l.internalPort() == port) return l;
        }
        return null;
    }

    private static long key(Protocol p, int port) {
        return (long) p.ordinal() << 16 | port;
    }
}
