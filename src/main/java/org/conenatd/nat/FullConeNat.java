package org.conenatd.nat;

import org.conenatd.conntrack.Event;
import org.conenatd.conntrack.FlowView;
import org.conenatd.conntrack.Status;
import org.conenatd.conntrack.Tuple;

/**
 * The full-cone logic, free of sockets: learns mappings from conntrack events and table dumps,
 * and answers, for an inbound first packet, which LAN endpoint (if any) it should be DNAT'd to.
 *
 * <p>Every mapping flow is remembered by its reply tuple ({@link FlowIndex#key}), so a flow seen twice (an event and a
 * dump, or a repeated event) counts once, and a DESTROY for a flow never counted changes nothing.
 * A resync ({@link #beginResync} ... {@link #finishResync}) reconciles the table with a dump taken
 * while events keep flowing: events seen during the window say which differences are real.
 *
 * <p>Not thread-safe: the caller serialises {@link #onEvent} and the resync calls. {@link #route}
 * may be called from any thread.
 */
public final class FullConeNat {

    /** What happened to the mapping table, for logs and counters. */
    public interface Listener {
        void changed(MappingTable.Change change, int natPort, int lanIp, int lanPort, int flows, long winner);
    }

    private final int natIp;
    private final MappingTable table;
    private final Listener listener;
    private final FlowIndex flows = new FlowIndex();
    private FlowIndex born, dead; // non-null while a resync window is open
    private final FlowView scratch = new FlowView();

    public FullConeNat(int natIp, MappingTable table, Listener listener) {
        this.natIp = natIp;
        this.table = table;
        this.listener = listener;
    }

    public int natIp() { return natIp; }
    public MappingTable table() { return table; }
    /** Mapping flows currently counted. */
    public int flowCount() { return flows.size(); }

    /**
     * True for the flows that make mappings: UDP, source-NAT'd by the kernel to {@code natIp}, not
     * destination-NAT'd (the entries we create for inbound peers are DNAT'd and must not count).
     */
    public boolean isOutboundMapping(FlowView f) {
        return f.origProto == Tuple.IPPROTO_UDP
                && f.has(Status.IPS_SRC_NAT)
                && !f.has(Status.IPS_DST_NAT)
                && f.replyDst == natIp
                && f.replyDstPort != 0;
    }

    /** Applies one event (record form, for tests and tools); returns true if it was about a mapping flow. */
    public boolean onEvent(Event e) {
        return onEvent(e.type(), scratch.set(e.flow()));
    }

    /** Applies one event; returns true if it was about a mapping flow. Allocation-free. */
    public boolean onEvent(Event.Type type, FlowView f) {
        if (!isOutboundMapping(f)) return false;
        long key = key(f);
        switch (type) {
            case NEW -> {
                if (born != null) born.add(key, 1);
                add(key, value(f));
            }
            case DESTROY -> {
                if (dead != null) dead.add(key, 1);
                remove(key);
            }
            case UPDATE -> { return false; }
        }
        return true;
    }

    private static long key(FlowView f) {
        return FlowIndex.key(f.replySrc, f.replySrcPort, f.replyDstPort);
    }

    private static long value(FlowView f) {
        return FlowIndex.pack(f.replyDstPort, MappingTable.endpoint(f.origSrc, f.origSrcPort));
    }

    private void add(long key, long v) {
        long known = flows.get(key);
        if (known == v) return; // already counted (duplicate event, or seen in a dump)
        if (known != -1) remove(key); // the reply tuple now belongs to another endpoint (a DESTROY was lost)
        flows.add(key, v);
        int natPort = FlowIndex.natPort(v);
        long ep = FlowIndex.endpoint(v);
        report(table.addFlow(natPort, MappingTable.ip(ep), MappingTable.port(ep)), natPort, ep);
    }

    private void remove(long key) {
        long v = flows.remove(key);
        if (v == -1) return; // never counted: it predates us, or is not ours
        int natPort = FlowIndex.natPort(v);
        long ep = FlowIndex.endpoint(v);
        report(table.removeFlow(natPort, MappingTable.ip(ep), MappingTable.port(ep)), natPort, ep);
    }

    private void report(MappingTable.Change c, int natPort, long ep) {
        if (listener != null) listener.changed(c, natPort, MappingTable.ip(ep), MappingTable.port(ep),
                table.flows(natPort, ep), table.lookup(natPort));
    }

    /** Opens a resync window: from now on, births and deaths are remembered until {@link #finishResync}. */
    public void beginResync() {
        born = new FlowIndex();
        dead = new FlowIndex();
    }

    /** Closes a window whose dump failed: the table stays as events left it. */
    public void abortResync() {
        born = dead = null;
    }

    /**
     * Collects the mapping flows of a dump (call for every dumped entry, from the dumping thread
     * only; no lock needed).
     */
    public void collect(FlowView f, FlowIndex snapshot) {
        if (isOutboundMapping(f)) snapshot.add(key(f), value(f));
    }

    public record ResyncResult(int added, int removed) {}

    /**
     * Reconciles with {@code snapshot} (the mapping flows of a dump started after
     * {@link #beginResync}): a dumped flow we lack is added unless it died during the window; a flow
     * we have that the dump lacks is removed unless it was born during the window (the dump may
     * have passed its bucket before it existed). Apply all pending events before calling this.
     */
    public ResyncResult finishResync(FlowIndex snapshot) {
        if (born == null) throw new IllegalStateException("no resync in progress");
        FlowIndex b = born, d = dead;
        born = dead = null;
        int[] counts = new int[2];
        FlowIndex stale = new FlowIndex();
        flows.forEach((k, v) -> {
            if (b.contains(k) || d.contains(k)) return; // events of the window are newer than the dump
            long dumped = snapshot.get(k);
            if (dumped != v) stale.add(k, v); // gone, or replaced by another flow with lost events
        });
        stale.forEach((k, v) -> {
            remove(k);
            counts[1]++;
        });
        snapshot.forEach((k, v) -> {
            if (!flows.contains(k) && !d.contains(k) && !b.contains(k)) {
                add(k, v);
                counts[0]++;
            }
        });
        return new ResyncResult(counts[0], counts[1]);
    }

    /**
     * The LAN endpoint for an unsolicited packet to {@code dstIp:dstPort}, or
     * {@link MappingTable#NONE} when the packet is not ours to forward.
     */
    public long route(int dstIp, int dstPort) {
        if (dstIp != natIp) return MappingTable.NONE;
        return table.lookup(dstPort);
    }
}
