package org.conenatd.conntrack;

import org.conenatd.nat.FlowSnapshot;
import org.conenatd.nat.FullConeNat;
import org.conenatd.nat.Protocol;

/**
 * The edge between ctnetlink and the NAT core: which conntrack entries are mapping flows, and
 * their translation into the core's {@link org.conenatd.nat.MappingFlow} terms.
 *
 * <p>A mapping flow is an entry the kernel source-NAT'd (IPS_SRC_NAT) and did not destination-NAT
 * (the entries created for inbound peers are DNAT'd and must not count), of an enabled protocol,
 * whose reply tuple ends at the public address: the reply's source is the peer, its destination
 * port the public port, and the original source the LAN endpoint.
 */
public final class MappingFlows {
    /** Any public address: the kernel-mode router NATs to whatever address its interface has. */
    public static final int ANY_ADDRESS = 0;

    private final int natIp;
    private final boolean inbound;
    private final boolean[] enabled = new boolean[Protocol.count()];

    /**
     * @param natIp     the public address the reply must end at, or {@link #ANY_ADDRESS}
     * @param protocols the protocols whose flows make mappings
     */
    public MappingFlows(int natIp, Protocol... protocols) {
        this(natIp, false, protocols);
    }

    /**
     * @param inbound also count flows that came in and were DNAT'd to a LAN endpoint (kernel mode:
     *                its maps DNAT inbound peers, and such a flow keeps its mapping alive). Their
     *                original tuple runs peer -> public port, the reply starts at the LAN endpoint.
     */
    public MappingFlows(int natIp, boolean inbound, Protocol... protocols) {
        this.natIp = natIp;
        this.inbound = inbound;
        for (Protocol p : protocols) enabled[p.ordinal()] = true;
    }

    /** The mapping flow's protocol, or null if {@code f} is not a mapping flow. */
    public Protocol protocolOf(FlowView f) {
        Protocol p = Protocol.of(f.origProto);
        if (p == null || !enabled[p.ordinal()]) return null;
        if (isOutbound(f) || isInbound(f)) return p;
        return null;
    }

    private boolean isOutbound(FlowView f) {
        return f.has(Status.IPS_SRC_NAT) && !f.has(Status.IPS_DST_NAT) && f.replyDstPort != 0
                && (natIp == ANY_ADDRESS || f.replyDst == natIp);
    }

    private boolean isInbound(FlowView f) {
        return inbound && f.has(Status.IPS_DST_NAT) && !f.has(Status.IPS_SRC_NAT) && f.origDstPort != 0
                && (natIp == ANY_ADDRESS || f.origDst == natIp);
    }

    /** Applies one event to the core; true if it was about a mapping flow. Allocation-free. */
    public boolean apply(Event.Type type, FlowView f, FullConeNat nat) {
        if (type == Event.Type.UPDATE) return false; // updates change no flow count
        Protocol p = protocolOf(f);
        if (p == null) return false;
        boolean out = isOutbound(f);
        // (peer, public port) names the flow; the LAN endpoint is the original source (outbound)
        // or the reply source (inbound)
        int peer = out ? f.replySrc : f.origSrc, peerPort = out ? f.replySrcPort : f.origSrcPort;
        int natPort = out ? f.replyDstPort : f.origDstPort;
        if (type == Event.Type.NEW) {
            nat.flowStarted(p, peer, peerPort, natPort, out ? f.origSrc : f.replySrc, out ? f.origSrcPort : f.replySrcPort);
        } else {
            nat.flowEnded(p, peer, peerPort, natPort);
        }
        return true;
    }

    /** Adds a dumped entry to the snapshot if it is a mapping flow (dumping thread, no lock). */
    public void collect(FlowView f, FlowSnapshot snapshot) {
        Protocol p = protocolOf(f);
        if (p == null) return;
        if (isOutbound(f)) snapshot.add(p, f.replySrc, f.replySrcPort, f.replyDstPort, f.origSrc, f.origSrcPort);
        else snapshot.add(p, f.origSrc, f.origSrcPort, f.origDstPort, f.replySrc, f.replySrcPort);
    }
}
