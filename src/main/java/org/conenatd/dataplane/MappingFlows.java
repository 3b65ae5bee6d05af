package org.conenatd.dataplane;

import org.conenatd.conntrack.Event;
import org.conenatd.conntrack.FlowView;
import org.conenatd.conntrack.Status;
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
    private final boolean[] enabled = new boolean[Protocol.count()];

    /**
     * @param natIp     the public address the reply must end at, or {@link #ANY_ADDRESS}
     * @param protocols the protocols whose flows make mappings
     */
    public MappingFlows(int natIp, Protocol... protocols) {
        this.natIp = natIp;
        for (Protocol p : protocols) enabled[p.ordinal()] = true;
    }

    /** The mapping flow's protocol, or null if {@code f} is not a mapping flow. */
    public Protocol protocolOf(FlowView f) {
        Protocol p = Protocol.of(f.origProto);
        if (p == null || !enabled[p.ordinal()]) return null;
        boolean outbound = f.has(Status.IPS_SRC_NAT) && !f.has(Status.IPS_DST_NAT) && f.replyDstPort != 0
                && (natIp == ANY_ADDRESS || f.replyDst == natIp);
        return outbound ? p : null;
    }

    /** Applies one event to the core; true if it was about a mapping flow. Allocation-free. */
    public boolean apply(Event.Type type, FlowView f, FullConeNat nat) {
        if (type == Event.Type.UPDATE) return false; // updates change no flow count
        Protocol p = protocolOf(f);
        if (p == null) return false;
        // (peer, public port) names the flow; the LAN endpoint is the original source
        if (type == Event.Type.NEW) {
            nat.flowStarted(p, peerKey(f), f.replySrcPort, f.replyDstPort, f.origSrc, f.origSrcPort);
        } else {
            nat.flowEnded(p, peerKey(f), f.replySrcPort, f.replyDstPort);
        }
        return true;
    }

    /**
     * The peer address as the core's flow key knows it. With any public address (kernel mode, and
     * its pool) two live flows may share peer, peer port and public port on two external
     * addresses, which the core's 64-bit key would take for one flow; the external address is
     * folded in. For one address the fold is a bijection, so nothing changes there; across
     * addresses two flows collide only if their peers differ by exactly the fold of their two
     * external addresses, with the same ports.
     */
    private int peerKey(FlowView f) {
        return natIp == ANY_ADDRESS ? f.replySrc ^ fold(f.replyDst) : f.replySrc;
    }

    static int fold(int address) {
        int h = address * 0x9E3779B1;
        return h ^ (h >>> 15);
    }

    /** Adds a dumped entry to the snapshot if it is a mapping flow (dumping thread, no lock). */
    public void collect(FlowView f, FlowSnapshot snapshot) {
        Protocol p = protocolOf(f);
        if (p != null) snapshot.add(p, peerKey(f), f.replySrcPort, f.replyDstPort, f.origSrc, f.origSrcPort);
    }
}
