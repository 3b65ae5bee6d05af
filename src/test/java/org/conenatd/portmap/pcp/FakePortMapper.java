package org.conenatd.portmap.pcp;

import org.conenatd.nat.Protocol;
import org.conenatd.portmap.PortMapper;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * A PortMapper in memory, as the interface describes one: a pool of public ports, one lease per
 * endpoint and protocol, suggested ports granted when free, {@code exact} refusing otherwise. Tests
 * set the external address, epoch and cap, take ports away, and read the calls made.
 */
public final class FakePortMapper implements PortMapper {
    public volatile int externalAddress = 0xCB007101; // 203.0.113.1
    public volatile long epoch = 42;
    public volatile int maxLifetime = 86_400;
    /** When set, every map() is refused with NO_RESOURCES. */
    public volatile boolean exhausted;
    /** When set, map() throws it, as a mapper whose netlink socket failed might. */
    public volatile RuntimeException failWith;
    /** Ports something else (a static forward, another endpoint) holds. */
    public final Set<Integer> taken = new HashSet<>();
    public final List<String> calls = new ArrayList<>();
    private final int low, high;
    private final TreeMap<Long, Lease> byPort = new TreeMap<>(); // protocol ordinal << 16 | port

    public FakePortMapper(int low, int high) {
        this.low = low;
        this.high = high;
    }

    public FakePortMapper() {
        this(40_000, 40_009);
    }

    @Override public int externalAddress() { return externalAddress; }

    @Override public long epochSeconds() { return epoch; }

    @Override public int maxLifetimeSeconds() { return maxLifetime; }

    @Override
    public synchronized Grant map(Origin origin, Protocol protocol, int internalIp, int internalPort, int suggestedPort,
                                  boolean exact, int lifetimeSeconds, String description) throws Refused {
        calls.add("map " + origin.label + " " + protocol.label + " " + internalIp + ":" + internalPort + " suggest "
                + suggestedPort + (exact ? " exact" : "") + " for " + lifetimeSeconds);
        if (failWith != null) throw failWith;
        if (exhausted) throw new Refused(Reason.NO_RESOURCES, "pool used up");
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
        calls.add("unmap " + origin.label + " " + protocol.label + " " + internalIp + ":" + internalPort);
        Lease l = leaseOfEndpoint(protocol, internalIp, internalPort);
        if (l == null || l.origin() != origin) return false;
        byPort.remove(key(protocol, l.externalPort()));
        return true;
    }

    @Override
    public synchronized Lease leaseOf(Protocol protocol, int externalPort) {
        return byPort.get(key(protocol, externalPort));
    }

    @Override
    public synchronized List<Lease> leases() {
        List<Lease> l = new ArrayList<>(byPort.values());
        l.sort(Comparator.comparingInt(Lease::externalPort));
        return l;
    }

    /** Puts a lease as another origin (UPnP, say) would have made it. */
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
