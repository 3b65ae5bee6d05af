package org.conenatd.dataplane.kernel;

import org.conenatd.nat.Endpoint;
import org.conenatd.nat.External;
import org.conenatd.nat.MappingOrigin;
import org.conenatd.nat.PortAllocator;
import org.conenatd.nat.Protocol;
import org.conenatd.ops.Log;
import org.conenatd.portmap.PortMapper;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Kernel mode's answer to the port-mapping protocols and to {@code --static}: mappings made on
 * request, from the same allocators and through the same element writer as the first packets'.
 * A lease keeps a mapping at least until its lifetime ends (a static one for ever); past that it
 * lives like any other: while its flows live, plus the hold.
 */
final class Leases implements PortMapper {
    private final Mappings m;
    private final String wanIf;
    private final int maxLifetime;
    private final Log log;
    private final long started = System.nanoTime();
    private final Map<Long, String> descriptions = Collections.synchronizedMap(new HashMap<>());

    Leases(Mappings m, String wanIf, int maxLifetimeSeconds, Log log) {
        this.m = m;
        this.wanIf = wanIf;
        this.maxLifetime = maxLifetimeSeconds;
        this.log = log;
    }

    @Override
    public int externalAddress() {
        try {
            NetworkInterface nif = NetworkInterface.getByName(wanIf);
            if (nif == null) return 0;
            for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                if (a instanceof Inet4Address) return java.nio.ByteBuffer.wrap(a.getAddress()).getInt();
            }
        } catch (SocketException e) {
            // no address to give: the protocols answer that they cannot provide one
        }
        return 0;
    }

    /** With a pool, the address the host is paired with, or the one a new host would get; else the interface's. */
    @Override
    public int externalAddress(int lanIp) {
        if (!m.pool.pooled()) return externalAddress();
        m.lock.lock();
        try {
            return m.pool.address(m.pool.indexFor(lanIp));
        } finally {
            m.lock.unlock();
        }
    }


    @Override
    public long epochSeconds() { return (System.nanoTime() - started) / 1_000_000_000L; }

    @Override
    public int maxLifetimeSeconds() { return maxLifetime; }

    @Override
    public Grant map(Origin origin, Protocol p, int ip, int lanPort, int suggested, boolean exact, int lifetime, String description)
            throws Refused {
        if (!m.enabled(p)) throw new Refused(Reason.UNSUPPORTED, p.label + " gets no full cone here (--protocols)");
        int granted = Math.max(1, Math.min(lifetime, maxLifetime));
        long ep = Endpoint.of(ip, lanPort), now = System.nanoTime();
        m.lock.lock();
        try {
            int x = place(p, ep, suggested, exact, now);
            m.allocator(p).lease(x, ep, now + granted * 1_000_000_000L, MappingOrigin.valueOf(origin.name()));
            descriptions.put(key(p, x), description == null ? "" : description);
            log.info("[+] " + p.label + " " + m.where(x) + " -> " + Endpoint.format(ep) + " leased to " + origin.label
                    + " for " + granted + " s");
            return new Grant(External.port(x), granted);
        } finally {
            m.lock.unlock();
        }
    }

    /** The endpoint's external: the one it has, the port suggested on its host's address, or any (lock held). */
    private int place(Protocol p, long ep, int suggestedPort, boolean exact, long now) throws Refused {
        PortAllocator a = m.allocator(p);
        int known = a.portOf(ep);
        if (known >= 0 && (!exact || suggestedPort == 0 || suggestedPort == External.port(known))) return known;
        int suggested = suggestedPort == 0 ? 0 : External.of(m.pool.indexFor(Endpoint.ip(ep)), suggestedPort);
        if (exact && suggested != 0 && !m.portFree(p, suggested, ep)) {
            throw new Refused(Reason.PORT_IN_USE, "public " + p.label + " port " + suggestedPort + " is taken or outside the pool");
        }
        if (known >= 0) release(p, known, ep, now); // moved to the port asked for
        if (m.hosts.full(a, ep)) {
            throw new Refused(Reason.NO_RESOURCES, Endpoint.format(ep) + "'s host is at its limit of " + m.hosts.limit() + " ports");
        }
        int port;
        if (suggested != 0 && m.portFree(p, suggested, ep) && a.adopt(ep, suggested, now, m.holdNanos(p))) {
            port = suggested;
            m.stage(p, port, ep, false);
        } else {
            port = m.mappingFor(p, ep, now);
            if (port < 0) throw new Refused(Reason.NO_RESOURCES, "no free " + p.label + " port in the pool");
        }
        m.commitStaged();
        if (a.portOf(ep) != port) throw new Refused(Reason.NO_RESOURCES, "the kernel refused the mapping's elements");
        return port;
    }

    private void release(Protocol p, int port, long ep, long now) {
        m.allocator(p).forget(port);
        List<long[]> gone = new ArrayList<>();
        gone.add(new long[] {port, ep});
        m.removeReleased(p, gone, now);
        descriptions.remove(key(p, port));
    }

    @Override
    public boolean unmap(Origin origin, Protocol p, int ip, int lanPort) {
        if (!m.enabled(p)) return false;
        long ep = Endpoint.of(ip, lanPort);
        m.lock.lock();
        try {
            PortAllocator a = m.allocator(p);
            int port = a.portOf(ep);
            if (port < 0 || a.originOf(port) != MappingOrigin.valueOf(origin.name())) return false;
            if (a.isHeld(port)) {
                release(p, port, ep, System.nanoTime()); // no flow: gone now, as the protocol asked
                log.info("[-] " + p.label + " " + m.where(port) + " -> " + Endpoint.format(ep) + " deleted by " + origin.label);
            } else {
                a.lease(port, ep, 0, MappingOrigin.DYNAMIC); // its flows keep it, as conenatd's own
                descriptions.remove(key(p, port));
            }
            return true;
        } finally {
            m.lock.unlock();
        }
    }

    /** The lease of {@code port} on any address of the pool (the first found). */
    @Override
    public Lease leaseOf(Protocol p, int port) { return leaseOf(p, port, -1); }

    /** With a pool: on {@code client}'s own address first (-1: none), then on any. */
    @Override
    public Lease leaseOf(Protocol p, int port, int client) {
        if (!m.enabled(p) || port < 1 || port > 65535) return null;
        m.lock.lock();
        try {
            long now = System.nanoTime();
            if (client != -1) {
                Lease own = lease(p, External.of(m.pool.indexFor(client), port), now);
                if (own != null || m.pool.pooled()) return own; // with a pool another host's lease of the port is not the client's
            }
            for (int i = 0; i < m.pool.size(); i++) {
                Lease l = lease(p, External.of(i, port), now);
                if (l != null) return l;
            }
            return null;
        } finally {
            m.lock.unlock();
        }
    }

    @Override
    public List<Lease> leases() {
        List<Lease> out = new ArrayList<>();
        m.lock.lock();
        try {
            long now = System.nanoTime();
            for (Protocol p : Protocol.values()) {
                if (!m.enabled(p)) continue;
                m.allocator(p).forEach((x, ep) -> {
                    Lease l = lease(p, x, now);
                    if (l != null) out.add(l);
                });
            }
        } finally {
            m.lock.unlock();
        }
        return out;
    }

    private Lease lease(Protocol p, int x, long now) {
        PortAllocator a = m.allocator(p);
        long ep = a.ownerOf(x);
        if (ep == Endpoint.NONE) return null;
        MappingOrigin o = a.originOf(x);
        if (o == MappingOrigin.DYNAMIC || o == MappingOrigin.STATIC) return null;
        long left = a.leaseLeft(x, now);
        return new Lease(Origin.valueOf(o.name()), p, External.port(x), Endpoint.ip(ep), Endpoint.port(ep),
                (int) Math.max(0, left / 1_000_000_000L), descriptions.getOrDefault(key(p, x), ""));
    }

    /**
     * Makes the static mappings, at start after the previous instance's are adopted: a static port
     * is taken from whatever else held it, and its endpoint leaves any other port it had.
     */
    void applyStatic(List<KernelConfig.PortMapping.Static> statics) {
        long now = System.nanoTime();
        m.lock.lock();
        try {
            for (KernelConfig.PortMapping.Static s : statics) {
                PortAllocator a = m.allocator(s.protocol());
                long ep = Endpoint.of(s.lanIp(), s.lanPort());
                int had = a.portOf(ep);
                // on the host's address (paired pooling), the one its other mappings use
                int x = External.of(had >= 0 ? External.index(had) : m.pool.indexFor(s.lanIp()), s.publicPort());
                long holder = a.ownerOf(x);
                if (holder != ep) {
                    if (holder != Endpoint.NONE) {
                        log.warn("[!] " + s.protocol().label + " " + m.where(x) + " -> " + Endpoint.format(holder)
                                + " gives way to the static mapping to " + Endpoint.format(ep));
                        release(s.protocol(), x, holder, now);
                    }
                    had = a.portOf(ep);
                    if (had >= 0) release(s.protocol(), had, ep, now);
                    if (!a.adopt(ep, x, now, m.holdNanos(s.protocol()))) {
                        log.error("[!] " + s.protocol().label + " static mapping " + m.where(x) + " -> " + Endpoint.format(ep)
                                + " cannot be made: its host's other mappings or port blocks are elsewhere");
                        continue;
                    }
                    m.stage(s.protocol(), x, ep, false);
                }
                a.lease(x, ep, PortAllocator.FOREVER, MappingOrigin.STATIC);
                log.info("[+] " + s.protocol().label + " " + m.where(x) + " -> " + Endpoint.format(ep) + " static");
            }
            m.commitStaged();
        } finally {
            m.lock.unlock();
        }
    }

    private static long key(Protocol p, int external) { return ((long) p.ordinal() << 32) | Integer.toUnsignedLong(external); }
}
