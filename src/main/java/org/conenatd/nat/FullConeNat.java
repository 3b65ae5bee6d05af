package org.conenatd.nat;

import org.conenatd.conntrack.Event;
import org.conenatd.conntrack.Flow;
import org.conenatd.conntrack.Status;
import org.conenatd.conntrack.Tuple;

/**
 * The full-cone logic, free of sockets: learns mappings from conntrack events and answers, for an
 * inbound first packet, which LAN endpoint (if any) it should be DNAT'd to.
 */
public final class FullConeNat {

    /** What happened to the mapping table, for logs and counters. */
    public interface Listener {
        void changed(MappingTable.Change change, int natPort, int lanIp, int lanPort, int flows, long winner);
    }

    private final int natIp;
    private final MappingTable table;
    private final Listener listener;

    public FullConeNat(int natIp, MappingTable table, Listener listener) {
        this.natIp = natIp;
        this.table = table;
        this.listener = listener;
    }

    public int natIp() { return natIp; }
    public MappingTable table() { return table; }

    /**
     * True for the flows that make mappings: UDP, source-NAT'd by the kernel to {@code natIp}, not
     * destination-NAT'd (the entries we create for inbound peers are DNAT'd and must not count).
     */
    public boolean isOutboundMapping(Flow f) {
        return f.orig().proto() == Tuple.IPPROTO_UDP
                && f.has(Status.IPS_SRC_NAT)
                && !f.has(Status.IPS_DST_NAT)
                && f.reply().dst() == natIp;
    }

    /** Applies one event; returns true if it touched the table. */
    public boolean onEvent(Event e) {
        Flow f = e.flow();
        if (!isOutboundMapping(f)) return false;
        return switch (e.type()) {
            case NEW -> { add(f); yield true; }
            case DESTROY -> { remove(f); yield true; }
            case UPDATE -> false;
        };
    }

    public void add(Flow f) {
        int natPort = f.reply().dstPort();
        int lanIp = f.orig().src(), lanPort = f.orig().srcPort();
        MappingTable.Change c = table.addFlow(natPort, lanIp, lanPort);
        report(c, natPort, lanIp, lanPort);
    }

    public void remove(Flow f) {
        int natPort = f.reply().dstPort();
        int lanIp = f.orig().src(), lanPort = f.orig().srcPort();
        MappingTable.Change c = table.removeFlow(natPort, lanIp, lanPort);
        report(c, natPort, lanIp, lanPort);
    }

    private void report(MappingTable.Change c, int natPort, int lanIp, int lanPort) {
        if (listener != null) {
            listener.changed(c, natPort, lanIp, lanPort,
                    table.flows(natPort, MappingTable.endpoint(lanIp, lanPort)), table.lookup(natPort));
        }
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
