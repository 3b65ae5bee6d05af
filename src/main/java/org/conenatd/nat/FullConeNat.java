package org.conenatd.nat;

import java.util.Arrays;

/**
 * The full-cone logic, free of sockets and of kernel vocabulary: counts the live flows of every
 * mapping ({@link MappingFlow}: a LAN endpoint's flow leaving from a public port), keeps the
 * {@link MappingTable}, and tells its {@link MappingListener}s what changed.
 *
 * <p>Every flow is remembered by (protocol, peer, public port), which the kernel keeps unique, so a
 * flow seen twice (an event and a dump, or a repeated event) counts once, and an end for a flow
 * never counted changes nothing. A resync ({@link #beginResync} ... {@link #finishResync})
 * reconciles the table with a snapshot taken while flows keep starting and ending: what happened
 * during the window says which differences are real.
 *
 * <p>Not thread-safe: the caller serialises the flow and resync calls. {@link #lookup} may be
 * called from any thread.
 */
public final class FullConeNat {
    private final MappingTable table;
    /** Copied on add (rare), read on every change: a plain array walk allocates nothing. */
    private volatile MappingListener[] listeners = new MappingListener[0];
    private final FlowIndex[] flows = perProtocol();
    private FlowIndex[] born, dead; // non-null while a resync window is open

    public FullConeNat(MappingTable table) {
        this.table = table;
    }

    public FullConeNat() {
        this(new MappingTable());
    }

    /** Adds a listener; every change is told to every listener, in the order they were added. */
    public synchronized void addListener(MappingListener l) {
        MappingListener[] a = Arrays.copyOf(listeners, listeners.length + 1);
        a[a.length - 1] = l;
        listeners = a;
    }

    public MappingTable table() { return table; }

    /** Mapping flows currently counted, all protocols. */
    public int flowCount() {
        int n = 0;
        for (FlowIndex f : flows) n += f.size();
        return n;
    }

    /** The LAN endpoint that receives unsolicited traffic to {@code natPort}, or {@link Endpoint#NONE}. */
    public long lookup(Protocol p, int natPort) {
        return table.lookup(p, natPort);
    }

    /** A mapping flow started. Allocation-free. */
    public void flowStarted(Protocol p, int peerIp, int peerPort, int natPort, int lanIp, int lanPort) {
        long key = FlowIndex.key(peerIp, peerPort, natPort);
        if (born != null) born[p.ordinal()].add(key, 1);
        add(p, key, FlowIndex.pack(natPort, Endpoint.of(lanIp, lanPort)));
    }

    /** A mapping flow ended. Allocation-free. */
    public void flowEnded(Protocol p, int peerIp, int peerPort, int natPort) {
        long key = FlowIndex.key(peerIp, peerPort, natPort);
        if (dead != null) dead[p.ordinal()].add(key, 1);
        remove(p, key);
    }

    public void flowStarted(MappingFlow f) {
        flowStarted(f.protocol(), f.peerIp(), f.peerPort(), f.natPort(), f.lanIp(), f.lanPort());
    }

    public void flowEnded(MappingFlow f) {
        flowEnded(f.protocol(), f.peerIp(), f.peerPort(), f.natPort());
    }

    private void add(Protocol p, long key, long v) {
        FlowIndex index = flows[p.ordinal()];
        long known = index.get(key);
        if (known == v) return; // already counted (duplicate event, or seen in a dump)
        if (known != -1) remove(p, key); // the flow's key now belongs to another endpoint (an end was lost)
        index.add(key, v);
        int natPort = FlowIndex.natPort(v);
        long ep = FlowIndex.endpoint(v);
        report(table.addFlow(p, natPort, ep), p, natPort, ep);
    }

    private void remove(Protocol p, long key) {
        long v = flows[p.ordinal()].remove(key);
        if (v == -1) return; // never counted: it predates us, or is not ours
        int natPort = FlowIndex.natPort(v);
        long ep = FlowIndex.endpoint(v);
        report(table.removeFlow(p, natPort, ep), p, natPort, ep);
    }

    private void report(MappingTable.Change c, Protocol p, int natPort, long ep) {
        MappingListener[] ls = listeners;
        if (ls.length == 0) return;
        int n = table.flows(p, natPort, ep);
        long receiver = table.lookup(p, natPort);
        for (MappingListener l : ls) l.changed(c, p, natPort, ep, n, receiver);
    }

    /** Opens a resync window: from now on, starts and ends are remembered until {@link #finishResync}. */
    public void beginResync() {
        born = perProtocol();
        dead = perProtocol();
    }

    /** Closes a window whose snapshot failed: the table stays as the flow calls left it. */
    public void abortResync() {
        born = dead = null;
    }

    public record ResyncResult(int added, int removed) {}

    /**
     * Reconciles with {@code snapshot} (the mapping flows of a dump started after
     * {@link #beginResync}): a snapshot flow we lack is added unless it ended during the window; a
     * flow we have that the snapshot lacks is removed unless it started during the window (the
     * dump may have passed its bucket before it existed). Apply all pending events first.
     */
    public ResyncResult finishResync(FlowSnapshot snapshot) {
        if (born == null) throw new IllegalStateException("no resync in progress");
        FlowIndex[] b = born, d = dead;
        born = dead = null;
        int added = 0, removed = 0;
        for (Protocol p : Protocol.values()) {
            int i = p.ordinal();
            FlowIndex mine = flows[i], dumped = snapshot.flows(p), bi = b[i], di = d[i];
            FlowIndex stale = new FlowIndex();
            mine.forEach((k, v) -> {
                if (bi.contains(k) || di.contains(k)) return; // the window's events are newer than the dump
                if (dumped.get(k) != v) stale.add(k, v); // gone, or replaced by another flow with lost events
            });
            stale.forEach((k, v) -> remove(p, k));
            int[] missing = new int[1];
            dumped.forEach((k, v) -> {
                if (!mine.contains(k) && !di.contains(k) && !bi.contains(k)) {
                    add(p, k, v);
                    missing[0]++;
                }
            });
            removed += stale.size();
            added += missing[0];
        }
        return new ResyncResult(added, removed);
    }

    private static FlowIndex[] perProtocol() {
        FlowIndex[] a = new FlowIndex[Protocol.count()];
        for (int i = 0; i < a.length; i++) a[i] = new FlowIndex();
        return a;
    }
}
