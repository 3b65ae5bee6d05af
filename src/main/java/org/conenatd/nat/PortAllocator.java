package org.conenatd.nat;

import java.util.Arrays;

/**
 * Endpoint-independent port allocation (RFC 4787 REQ-1, REQ-3) for one protocol: every LAN endpoint
 * gets one public port, kept while the endpoint has live flows and for a hold time after the last
 * one ends (REQ-5/6), and no two endpoints ever share a port.
 *
 * <p>A new endpoint keeps its own source port when that port is in the pool and free (port
 * preservation); otherwise it takes the next free port of the pool, round-robin, so a port just
 * released is the last to be handed out again. "Free" also asks a {@link PortUse} whether anything
 * else holds the port (the router's own sockets, live flows of other endpoints).
 *
 * <p>Plain values, no clock of its own: times are passed in (nanoseconds, any origin). Not
 * thread-safe; the data plane serialises calls.
 */
public final class PortAllocator {
    /** Says whether something other than this allocator holds a port right now. */
    @FunctionalInterface
    public interface PortUse {
        boolean inUse(int port);

        PortUse NONE = port -> false;
    }

    /** Told when a mapping's hold time ran out and its port went back to the pool. */
    @FunctionalInterface
    public interface Expiry {
        void expired(int port, long endpoint);
    }

    private static final long LIVE = Long.MAX_VALUE;

    private final Protocol protocol;
    private final int first, last;
    private final long[] owner = new long[65536];        // port -> endpoint, or Endpoint.NONE
    private final long[] expiresAt = new long[65536];    // port -> deadline, LIVE while flows live
    private final long[] since = new long[65536];        // port -> when it was allocated or adopted (listings)
    private final long[] keepUntil = new long[65536];    // port -> a lease's end: no expiry before it (0: none)
    private final byte[] origin = new byte[65536];       // port -> MappingOrigin ordinal
    private final FlowIndex byEndpoint = new FlowIndex(); // endpoint + 1 -> port (key 0 is reserved)
    private final FlowIndex perHost = new FlowIndex();    // LAN address + 1 -> its ports (RFC 6888 REQ-4)
    private int cursor;
    private int allocated;
    private int holding; // allocated ports whose flows all ended

    public PortAllocator(Protocol protocol, int first, int last) {
        if (first < 1 || last > 65535 || first > last) {
            throw new IllegalArgumentException("port range " + first + "-" + last + " is empty or out of 1-65535");
        }
        this.protocol = protocol;
        this.first = first;
        this.last = last;
        this.cursor = first;
        Arrays.fill(owner, Endpoint.NONE);
    }

    public Protocol protocol() { return protocol; }
    public int first() { return first; }
    public int last() { return last; }
    public int allocated() { return allocated; }
    public int holding() { return holding; }
    public int poolSize() { return last - first + 1; }

    /** The endpoint's port, or -1. */
    public int portOf(long endpoint) {
        long p = byEndpoint.get(endpoint + 1);
        return p < 0 ? -1 : (int) p;
    }

    /** How many ports the endpoints of LAN address {@code ip} hold. */
    public int portsOfHost(int ip) {
        long n = perHost.get(hostKey(ip));
        return n < 0 ? 0 : (int) n;
    }

    private static long hostKey(int ip) {
        return Integer.toUnsignedLong(ip) + 1;
    }

    private void countHost(long endpoint, int delta) {
        long k = hostKey(Endpoint.ip(endpoint));
        long n = Math.max(0, perHost.get(k)) + delta;
        if (n > 0) perHost.put(k, n);
        else perHost.remove(k);
    }

    /** The port's endpoint, or {@link Endpoint#NONE}. */
    public long ownerOf(int port) {
        return owner[port & 0xffff];
    }

    /**
     * The endpoint's port, allocating one if it has none; -1 if the pool is exhausted. A new
     * allocation starts held until {@code now + holdNanos}: it becomes live with the first flow
     * conntrack reports ({@link #flowStarted}), so a first packet that never made a flow frees its
     * port after the hold.
     */
    public int allocate(long endpoint, PortUse use, long now, long holdNanos) {
        int known = portOf(endpoint);
        if (known >= 0) return known;
        int wanted = Endpoint.port(endpoint);
        int port = wanted >= first && wanted <= last && free(wanted, use) ? wanted : nextFree(use);
        if (port < 0) return -1;
        take(port, endpoint, now, now + holdNanos);
        return port;
    }

    /**
     * Records a mapping made elsewhere (found in the kernel at restart), held like a new one until
     * its flows are seen. False if the port is outside the pool (expiry and listings walk the pool
     * only, so such a mapping would never go), or if the port or the endpoint is taken already.
     */
    public boolean adopt(long endpoint, int port, long now, long holdNanos) {
        if (port < first || port > last || owner[port] != Endpoint.NONE || portOf(endpoint) >= 0) return false;
        take(port, endpoint, now, now + holdNanos);
        return true;
    }

    private void take(int port, long endpoint, long now, long expiry) {
        owner[port] = endpoint;
        expiresAt[port] = expiry;
        since[port] = now;
        byEndpoint.add(endpoint + 1, port);
        countHost(endpoint, 1);
        allocated++;
        holding++;
    }

    private boolean free(int port, PortUse use) {
        return owner[port] == Endpoint.NONE && !use.inUse(port);
    }

    private int nextFree(PortUse use) {
        int n = poolSize();
        for (int i = 0; i < n; i++) {
            int p = cursor;
            cursor = cursor == last ? first : cursor + 1;
            if (free(p, use)) return p;
        }
        return -1;
    }

    /** Nanoseconds left of the mapping's lease at {@code now}, -1 if it has none, {@link #FOREVER} for a static one. */
    public long leaseLeft(int port, long now) {
        long until = keepUntil[port & 0xffff];
        if (until == 0) return -1;
        return until == FOREVER ? FOREVER : Math.max(0, until - now);
    }

    /** The endpoint's last flow on its port ended: the mapping is held until {@code now + holdNanos}. */
    public void flowsEnded(int port, long endpoint, long now, long holdNanos) {
        port &= 0xffff;
        if (owner[port] != endpoint || expiresAt[port] != LIVE) return;
        expiresAt[port] = now + holdNanos;
        holding++;
    }

    /** A flow of the endpoint started on its port: the mapping is live again, whatever its hold. */
    public void flowStarted(int port, long endpoint) {
        port &= 0xffff;
        if (owner[port] != endpoint || expiresAt[port] == LIVE) return;
        expiresAt[port] = LIVE;
        holding--;
    }

    /** True if the mapping of {@code port} is held (no live flow) rather than live. */
    public boolean isHeld(int port) {
        return owner[port & 0xffff] != Endpoint.NONE && expiresAt[port & 0xffff] != LIVE;
    }

    /** When the mapping of {@code port} was allocated or adopted (the clock of the calls). */
    public long since(int port) {
        return since[port & 0xffff];
    }

    /** Nanoseconds left of a held mapping's hold at {@code now} (0 if due), or -1 if it is live or free. */
    public long holdLeft(int port, long now) {
        port &= 0xffff;
        if (owner[port] == Endpoint.NONE || expiresAt[port] == LIVE) return -1;
        return Math.max(0, expiresAt[port] - now);
    }

    /**
     * Frees every mapping whose hold ran out by {@code now}, telling {@code sink} before each port
     * goes back to the pool. Returns how many expired. Scans the pool: call it about once a second.
     */
    public int expire(long now, Expiry sink) {
        if (holding == 0) return 0;
        int n = 0;
        for (int p = first; p <= last; p++) {
            if (!due(p, now)) continue;
            sink.expired(p, owner[p]);
            release(p);
            holding--;
            n++;
        }
        return n;
    }

    /** Visits every held mapping whose hold ran out by {@code now}, without freeing it; returns how many. */
    public int forEachDue(long now, Expiry visitor) {
        if (holding == 0) return 0;
        int n = 0;
        for (int p = first; p <= last; p++) {
            if (!due(p, now)) continue;
            visitor.expired(p, owner[p]);
            n++;
        }
        return n;
    }

    /** A held mapping whose hold and lease ran out by {@code now}. */
    private boolean due(int port, long now) {
        long at = expiresAt[port], lease = keepUntil[port];
        return owner[port] != Endpoint.NONE && at != LIVE && at - now <= 0 && (lease == 0 || lease - now <= 0);
    }

    /**
     * Gives the mapping of {@code port} a lease (a port-mapping protocol's lifetime, or a static
     * mapping's forever: {@link #FOREVER}): it does not expire before {@code until}, whatever its
     * flows; its hold after the last flow still applies past that. 0 ends the lease.
     */
    public void lease(int port, long endpoint, long until, MappingOrigin by) {
        port &= 0xffff;
        if (owner[port] != endpoint) return;
        keepUntil[port] = until;
        origin[port] = (byte) by.ordinal();
    }

    /** A lease that never ends: static mappings. */
    public static final long FOREVER = Long.MAX_VALUE;

    /** Who made the mapping of {@code port}. */
    public MappingOrigin originOf(int port) { return MappingOrigin.VALUES[origin[port & 0xffff]]; }

    /** Keeps a held mapping of {@code endpoint} until {@code deadline}: something the caller knows of still uses it. */
    public void holdUntil(int port, long endpoint, long deadline) {
        port &= 0xffff;
        if (owner[port] != endpoint || expiresAt[port] == LIVE) return;
        expiresAt[port] = deadline;
    }

    /** Forgets the mapping of {@code port} at once (its kernel elements could not be kept). */
    public void forget(int port) {
        port &= 0xffff;
        if (owner[port] == Endpoint.NONE) return;
        if (expiresAt[port] != LIVE) holding--;
        release(port);
    }

    private void release(int port) {
        keepUntil[port] = 0;
        origin[port] = 0;
        byEndpoint.remove(owner[port] + 1);
        countHost(owner[port], -1);
        owner[port] = Endpoint.NONE;
        expiresAt[port] = 0;
        allocated--;
    }

    /** Visits every mapping (for listings and adoption checks). */
    public void forEach(Expiry visitor) {
        for (int p = first; p <= last; p++) if (owner[p] != Endpoint.NONE) visitor.expired(p, owner[p]);
    }
}
