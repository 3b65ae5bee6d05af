package org.conenatd.portmap.upnp;

import org.conenatd.nat.Protocol;
import org.conenatd.portmap.PortMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A PortMapper as the NAT's contract describes it, in memory: one public port per endpoint and
 * protocol, the pool 1024-65535, lifetimes capped, and leases of any origin kept for listings.
 */
class FakePortMapper implements PortMapper {
    volatile int external = 0xC6336407; // 198.51.100.7
    final int maxLifetime;
    final List<String> calls = new ArrayList<>();
    private final Map<Long, Lease> byPort = new TreeMap<>();
    private int nextFree = 40000;

    FakePortMapper(int maxLifetime) {
        this.maxLifetime = maxLifetime;
    }

    private static long key(Protocol p, int port) {
        return (long) p.ordinal() << 16 | port;
    }

    @Override public int externalAddress() { return external; }
    @Override public long epochSeconds() { return 42; }
    @Override public int maxLifetimeSeconds() { return maxLifetime; }

    @Override
    public synchronized Grant map(Origin origin, Protocol protocol, int ip, int port, int suggested, boolean exact,
                                  int lifetime, String description) throws Refused {
        calls.add("map " + origin.label + " " + protocol.label + " " + ip + ":" + port + " " + suggested + " "
                + exact + " " + lifetime + " " + description);
        if (suggested != 0 && suggested < 1024) {
            if (exact) throw new Refused(Reason.UNSUPPORTED, "port " + suggested + " outside the pool");
            suggested = 0;
        }
        Lease current = null;
        for (Lease l : byPort.values()) {
            if (l.protocol() == protocol && l.internalIp() == ip && l.internalPort() == port) current = l;
        }
        int ext;
        Lease holder = suggested == 0 ? null : byPort.get(key(protocol, suggested));
        if (suggested != 0 && (holder == null || holder == current)) {
            ext = suggested;
        } else if (exact) {
            throw new Refused(Reason.PORT_IN_USE, "port " + suggested + " is taken");
        } else if (current != null) {
            ext = current.externalPort();
        } else {
            while (byPort.containsKey(key(protocol, nextFree))) nextFree++;
            if (nextFree > 65535) throw new Refused(Reason.NO_RESOURCES, "pool used up");
            ext = nextFree++;
        }
        if (current != null) byPort.remove(key(protocol, current.externalPort()));
        int granted = Math.max(1, Math.min(lifetime, maxLifetime));
        byPort.put(key(protocol, ext), new Lease(origin, protocol, ext, ip, port, granted, description));
        return new Grant(ext, granted);
    }

    @Override
    public synchronized boolean unmap(Origin origin, Protocol protocol, int ip, int port) {
        calls.add("unmap " + origin.label + " " + protocol.label + " " + ip + ":" + port);
        return byPort.values().removeIf(l -> l.origin() == origin && l.protocol() == protocol
                && l.internalIp() == ip && l.internalPort() == port);
    }

    @Override
    public synchronized Lease leaseOf(Protocol protocol, int port) {
        return byPort.get(key(protocol, port));
    }

    @Override
    public synchronized List<Lease> leases() {
        List<Lease> all = new ArrayList<>(byPort.values());
        all.sort((a, b) -> a.externalPort() != b.externalPort() ? Integer.compare(a.externalPort(), b.externalPort())
                : a.protocol().compareTo(b.protocol()));
        return all;
    }

    /** A lease another protocol made, for listings. */
    synchronized void put(Lease l) {
        byPort.put(key(l.protocol(), l.externalPort()), l);
    }
}
