package org.conenatd.nat;

import java.util.Arrays;

/**
 * Endpoint-independent port allocation (RFC 4787 REQ-1, REQ-3) for one protocol over the external
 * addresses of an {@link AddressPool}: every LAN endpoint gets one external address and port
 * ({@link External}), kept while the endpoint has live flows and for a hold time after the last
 * one ends (REQ-5/6); no two endpoints ever share one; all endpoints of a host use the address it
 * is paired with (REQ-2).
 *
 * <p>A new endpoint keeps its own source port when that port is in range and free (port
 * preservation); otherwise it takes the next free port of its address, round-robin, so a port just
 * released is the last to be handed out again. "Free" also asks a {@link PortUse} whether anything
 * else holds the port (the router's own sockets, live flows of other endpoints). With port blocks
 * (RFC 6888 REQ-14, RFC 7422) a host gets blocks of n consecutive ports, up to a number of blocks,
 * and its endpoints are allocated inside them; a block goes back when its last mapping does.
 *
 * <p>Memory follows the mappings, not the address space: a mapping is one slot of a slab (address
 * and port, endpoint, deadline, start: 28 bytes) and an entry in two open-addressing indexes
 * (external -> slot, endpoint -> external: 16 bytes each at a load of 0.25 to 0.5). Leases,
 * origins other than dynamic and blocks ({@link PortBlocks}) cost only where they exist.
 *
 * <p>Plain values, no clock of its own: times are passed in (nanoseconds, any origin). Not
 * thread-safe; the data plane serialises calls. (Over 300 lines: the slab and its indexes change
 * together on every take and release, and each lifetime call is a few lines of its own.)
 */
public final class PortAllocator {
    /** Says whether something other than this allocator holds a port (on every address) right now. */
    @FunctionalInterface
    public interface PortUse {
        boolean inUse(int port);

        PortUse NONE = port -> false;
    }

    /** Visits a mapping: its {@link External} and its endpoint. */
    @FunctionalInterface
    public interface Expiry {
        void expired(int external, long endpoint);
    }

    /** Told of each port block given to a host or taken back: ports {@code first..last} of address {@code index}. */
    @FunctionalInterface
    public interface BlockListener {
        void changed(boolean given, int host, int index, int first, int last);
    }

    /** {@link #allocate} found nothing free; or, with port blocks, the host holds all the blocks it may. */
    public static final int EXHAUSTED = -1, BLOCKS_FULL = -2;
    /** A lease that never ends: static mappings. */
    public static final long FOREVER = Long.MAX_VALUE;
    private static final long LIVE = Long.MAX_VALUE;

    private final Protocol protocol;
    private final int first, last;
    private final AddressPool pool;
    private final PortBlocks blocks; // null without --port-block
    // the slab: one slot per mapping; a free slot has owner NONE and ext = the next free slot
    private int[] ext = new int[256];
    private long[] owner = new long[256];
    private long[] expiresAt = new long[256]; // LIVE while flows live
    private long[] since = new long[256];     // when it was allocated or adopted (listings)
    private int slots, freeSlot = -1;
    private final FlowIndex byExternal = new FlowIndex(256); // external + 1 -> slot
    private final FlowIndex byEndpoint = new FlowIndex(256); // endpoint + 1 -> external
    private final FlowIndex perHost = new FlowIndex(64);     // LAN address + 1 -> its mappings (RFC 6888 REQ-4)
    private final FlowIndex leases = new FlowIndex(16);      // external + 1 -> a lease's end: no expiry before it
    private final FlowIndex origins = new FlowIndex(16);     // external + 1 -> MappingOrigin ordinal, if not DYNAMIC
    private final int[] cursor;
    private int allocated;
    private PortUse blockUse = PortUse.NONE; // the use of the allocation in progress, for freeForBlocks
    private final java.util.function.IntPredicate freeForBlocks = e -> free(e, blockUse); // one for all: no lambda per call
    private int holding; // allocated mappings whose flows all ended

    /** One address (the interface's own), no blocks. */
    public PortAllocator(Protocol protocol, int first, int last) {
        this(protocol, first, last, AddressPool.single(), 0, 0);
    }

    /**
     * @param blockSize ports per block, 0 for no blocks
     * @param maxBlocks blocks one host may hold, 0 for no limit
     */
    public PortAllocator(Protocol protocol, int first, int last, AddressPool pool, int blockSize, int maxBlocks) {
        if (first < 1 || last > 65535 || first > last) {
            throw new IllegalArgumentException("port range " + first + "-" + last + " is empty or out of 1-65535");
        }
        if (blockSize < 0 || blockSize > last - first + 1) {
            throw new IllegalArgumentException("a port block of " + blockSize + " does not fit the port range " + first + "-" + last);
        }
        this.protocol = protocol;
        this.first = first;
        this.last = last;
        this.pool = pool;
        this.blocks = blockSize == 0 ? null : new PortBlocks(first, last, pool.size(), blockSize, maxBlocks);
        this.cursor = new int[pool.size()];
        Arrays.fill(cursor, first);
    }

    public Protocol protocol() { return protocol; }
    public int first() { return first; }
    public int last() { return last; }
    public AddressPool pool() { return pool; }
    public int blockSize() { return blocks == null ? 0 : blocks.size(); }
    public int allocated() { return allocated; }
    public int holding() { return holding; }
    /** Ports per address. */
    public int poolSize() { return last - first + 1; }

    /** Told of every block given or taken back (without blocks: never). */
    public void onBlocks(BlockListener l) { if (blocks != null) blocks.listener = l; }

    /** The endpoint's {@link External}, or -1. */
    public int portOf(long endpoint) {
        long x = byEndpoint.get(endpoint + 1);
        return x < 0 ? -1 : (int) x;
    }

    /** How many mappings the endpoints of LAN address {@code ip} hold. */
    public int portsOfHost(int ip) {
        long n = perHost.get(hostKey(ip));
        return n < 0 ? 0 : (int) n;
    }

    /** The blocks LAN address {@code ip} holds, as {@link External}s of their first ports (empty without blocks). */
    public int[] blocksOf(int ip) { return blocks == null ? new int[0] : blocks.of(ip); }

    /** How many blocks are held, all hosts. */
    public int blocks() { return blocks == null ? 0 : blocks.held(); }

    /** The endpoint of {@code external}, or {@link Endpoint#NONE}. */
    public long ownerOf(int external) {
        int s = slotOf(external);
        return s < 0 ? Endpoint.NONE : owner[s];
    }

    /**
     * The endpoint's {@link External}, allocating one if it has none; {@link #EXHAUSTED} if nothing
     * is free, {@link #BLOCKS_FULL} if the host's blocks are full and it may have no more. A new
     * allocation starts held until {@code now + holdNanos}: it becomes live with the first flow
     * conntrack reports ({@link #flowStarted}), so a first packet that never made a flow frees its
     * port after the hold.
     */
    public int allocate(long endpoint, PortUse use, long now, long holdNanos) {
        int known = portOf(endpoint);
        if (known >= 0) return known;
        int paired = pool.pairedIndex(Endpoint.ip(endpoint));
        if (paired >= 0 || pool.size() == 1) return allocateOn(Math.max(0, paired), endpoint, use, now, holdNanos);
        int best = pool.leastUsed();
        int got = allocateOn(best, endpoint, use, now, holdNanos);
        if (got != EXHAUSTED) return got;
        for (int i : pool.byUse()) { // the least-used address is full: a new host may go to another
            if (i == best) continue;
            got = allocateOn(i, endpoint, use, now, holdNanos);
            if (got != EXHAUSTED) return got;
        }
        return got;
    }

    private int allocateOn(int index, long endpoint, PortUse use, long now, long holdNanos) {
        int wanted = Endpoint.port(endpoint);
        int x;
        if (blocks == null) {
            x = inRange(wanted) && free(External.of(index, wanted), use) ? External.of(index, wanted) : nextFree(index, use);
        } else {
            blockUse = use;
            x = blocks.allocate(index, endpoint, freeForBlocks);
        }
        if (x < 0) return x;
        take(x, endpoint, now, now + holdNanos);
        return x;
    }

    private boolean inRange(int port) { return port >= first && port <= last; }

    private boolean free(int external, PortUse use) {
        return slotOf(external) < 0 && !use.inUse(External.port(external));
    }

    private int nextFree(int index, PortUse use) {
        int n = poolSize();
        for (int i = 0; i < n; i++) {
            int p = cursor[index];
            cursor[index] = p == last ? first : p + 1;
            if (free(External.of(index, p), use)) return External.of(index, p);
        }
        return EXHAUSTED;
    }

    /**
     * Records a mapping made elsewhere (found in the kernel at restart), held like a new one until
     * its flows are seen. False if the port is out of range (or, with blocks, in no whole block), if
     * the external or the endpoint is taken already, if the host is paired with another address,
     * or if its block is another host's.
     */
    public boolean adopt(long endpoint, int external, long now, long holdNanos) {
        int index = External.index(external), host = Endpoint.ip(endpoint);
        if (index >= pool.size() || !inRange(External.port(external)) || slotOf(external) >= 0 || portOf(endpoint) >= 0) return false;
        int paired = pool.pairedIndex(host);
        if (paired >= 0 && paired != index) return false;
        if (blocks != null && !blocks.adopt(host, external)) return false;
        take(external, endpoint, now, now + holdNanos);
        return true;
    }

    private void take(int external, long endpoint, long now, long expiry) {
        int s = freeSlot;
        if (s >= 0) freeSlot = ext[s];
        else {
            if (slots == owner.length) grow();
            s = slots++;
        }
        ext[s] = external;
        owner[s] = endpoint;
        expiresAt[s] = expiry;
        since[s] = now;
        byExternal.add(key(external), s);
        byEndpoint.add(endpoint + 1, Integer.toUnsignedLong(external));
        countHost(endpoint, 1);
        pool.took(Endpoint.ip(endpoint), External.index(external));
        if (blocks != null) blocks.used(external, 1);
        allocated++;
        holding++;
    }

    private void release(int s) {
        int external = ext[s];
        long endpoint = owner[s];
        leases.remove(key(external));
        origins.remove(key(external));
        byExternal.remove(key(external));
        byEndpoint.remove(endpoint + 1);
        countHost(endpoint, -1);
        pool.released(Endpoint.ip(endpoint));
        if (blocks != null) blocks.used(external, -1);
        owner[s] = Endpoint.NONE;
        ext[s] = freeSlot;
        freeSlot = s;
        allocated--;
    }

    private void grow() {
        int n = owner.length + (owner.length >> 1);
        ext = Arrays.copyOf(ext, n);
        owner = Arrays.copyOf(owner, n);
        expiresAt = Arrays.copyOf(expiresAt, n);
        since = Arrays.copyOf(since, n);
    }

    private static long key(int external) { return Integer.toUnsignedLong(external) + 1; }

    private static long hostKey(int ip) { return Integer.toUnsignedLong(ip) + 1; }

    private int slotOf(int external) { return (int) byExternal.get(key(external)); }

    private void countHost(long endpoint, int delta) {
        long k = hostKey(Endpoint.ip(endpoint));
        long n = Math.max(0, perHost.get(k)) + delta;
        if (n > 0) perHost.put(k, n);
        else perHost.remove(k);
    }

    // ---- lifetime

    /** The endpoint's last flow on its external ended: the mapping is held until {@code now + holdNanos}. */
    public void flowsEnded(int external, long endpoint, long now, long holdNanos) {
        int s = slotOf(external);
        if (s < 0 || owner[s] != endpoint || expiresAt[s] != LIVE) return;
        expiresAt[s] = now + holdNanos;
        holding++;
    }

    /** A flow of the endpoint started on its external: the mapping is live again, whatever its hold. */
    public void flowStarted(int external, long endpoint) {
        int s = slotOf(external);
        if (s < 0 || owner[s] != endpoint || expiresAt[s] == LIVE) return;
        expiresAt[s] = LIVE;
        holding--;
    }

    /** True if the mapping of {@code external} is held (no live flow) rather than live. */
    public boolean isHeld(int external) {
        int s = slotOf(external);
        return s >= 0 && expiresAt[s] != LIVE;
    }

    /** When the mapping of {@code external} was allocated or adopted (the clock of the calls). */
    public long since(int external) {
        int s = slotOf(external);
        return s < 0 ? 0 : since[s];
    }

    /** Nanoseconds left of a held mapping's hold at {@code now} (0 if due), or -1 if it is live or free. */
    public long holdLeft(int external, long now) {
        int s = slotOf(external);
        if (s < 0 || expiresAt[s] == LIVE) return -1;
        return Math.max(0, expiresAt[s] - now);
    }

    /** Keeps a held mapping of {@code endpoint} until {@code deadline}: something the caller knows of still uses it. */
    public void holdUntil(int external, long endpoint, long deadline) {
        int s = slotOf(external);
        if (s < 0 || owner[s] != endpoint || expiresAt[s] == LIVE) return;
        expiresAt[s] = deadline;
    }

    /**
     * Gives the mapping of {@code external} a lease (a port-mapping protocol's lifetime, or a static
     * mapping's forever: {@link #FOREVER}): it does not expire before {@code until}, whatever its
     * flows; its hold after the last flow still applies past that. 0 ends the lease.
     */
    public void lease(int external, long endpoint, long until, MappingOrigin by) {
        int s = slotOf(external);
        if (s < 0 || owner[s] != endpoint) return;
        if (until == 0) leases.remove(key(external)); else leases.put(key(external), until);
        if (until == 0 || by == MappingOrigin.DYNAMIC) origins.remove(key(external)); else origins.put(key(external), by.ordinal());
    }

    /** Nanoseconds left of the mapping's lease at {@code now}, -1 if it has none, {@link #FOREVER} for a static one. */
    public long leaseLeft(int external, long now) {
        long until = leases.get(key(external));
        if (until < 0) return -1;
        return until == FOREVER ? FOREVER : Math.max(0, until - now);
    }

    /** Who made the mapping of {@code external}. */
    public MappingOrigin originOf(int external) {
        long o = origins.get(key(external));
        return o < 0 ? MappingOrigin.DYNAMIC : MappingOrigin.VALUES[(int) o];
    }

    /** A held mapping whose hold and lease ran out by {@code now}. */
    private boolean due(int s, long now) {
        long at = expiresAt[s];
        if (owner[s] == Endpoint.NONE || at == LIVE || at - now > 0) return false;
        long lease = leases.size() == 0 ? -1 : leases.get(key(ext[s]));
        return lease < 0 || lease - now <= 0;
    }

    /**
     * Frees every mapping whose hold ran out by {@code now}, telling {@code sink} before each goes
     * back to the pool. Returns how many expired. Walks the slab: call it about once a second.
     */
    public int expire(long now, Expiry sink) {
        if (holding == 0) return 0;
        int n = 0;
        for (int s = 0; s < slots; s++) {
            if (!due(s, now)) continue;
            sink.expired(ext[s], owner[s]);
            release(s);
            holding--;
            n++;
        }
        return n;
    }

    /** Visits every held mapping whose hold ran out by {@code now}, without freeing it; returns how many. */
    public int forEachDue(long now, Expiry visitor) {
        if (holding == 0) return 0;
        int n = 0;
        for (int s = 0; s < slots; s++) {
            if (!due(s, now)) continue;
            visitor.expired(ext[s], owner[s]);
            n++;
        }
        return n;
    }

    /** Forgets the mapping of {@code external} at once (its kernel elements could not be kept). */
    public void forget(int external) {
        int s = slotOf(external);
        if (s < 0) return;
        if (expiresAt[s] != LIVE) holding--;
        release(s);
    }

    /** Visits every mapping (for listings and adoption checks), in no particular order. */
    public void forEach(Expiry visitor) {
        for (int s = 0; s < slots; s++) if (owner[s] != Endpoint.NONE) visitor.expired(ext[s], owner[s]);
    }
}
