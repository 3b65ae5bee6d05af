package org.conenatd.dataplane;

import org.conenatd.conntrack.Event;
import org.conenatd.conntrack.Flow;
import org.conenatd.conntrack.FlowViews;
import org.conenatd.conntrack.Tuple;
import org.conenatd.conntrack.Status;
import org.conenatd.nat.Endpoint;
import org.conenatd.nat.FlowSnapshot;
import org.conenatd.nat.FullConeNat;
import org.conenatd.nat.Protocol;
import org.junit.jupiter.api.Test;

import static org.conenatd.inet.Inet4.parseAddr;
import static org.junit.jupiter.api.Assertions.*;

/** The ctnetlink edge: which conntrack entries are mapping flows, translated into the core. */
class MappingFlowsTest {
    private static final int NAT = parseAddr("203.0.113.1");
    private static final int LAN = parseAddr("10.0.0.101");
    private static final int PEER = parseAddr("198.51.100.7");
    private static final int SNAT = Status.IPS_SRC_NAT.mask | Status.IPS_CONFIRMED.mask | Status.IPS_SRC_NAT_DONE.mask;

    private final FullConeNat nat = new FullConeNat();
    private final MappingFlows seed = new MappingFlows(NAT, Protocol.UDP);

    /** An outbound flow as the kernel reports it after MASQUERADE: lan:lp -> peer, reply peer -> nat:np. */
    private static Flow outbound(int lanPort, int natPort, int status) {
        return new Flow(Tuple.udp(LAN, lanPort, PEER, 3478), Tuple.udp(PEER, 3478, NAT, natPort), status, 0, 1, 30, 0);
    }

    private boolean apply(MappingFlows filter, Event.Type type, Flow f) {
        return filter.apply(type, FlowViews.of(f), nat);
    }

    @Test
    void snatFlowToTheNatAddressMapsItsReplyPortToTheLanEndpoint() {
        assertTrue(apply(seed, Event.Type.NEW, outbound(5000, 12000, SNAT)));
        assertEquals(Endpoint.of(LAN, 5000), nat.lookup(Protocol.UDP, 12000));
        assertTrue(apply(seed, Event.Type.DESTROY, outbound(5000, 12000, SNAT)));
        assertEquals(Endpoint.NONE, nat.lookup(Protocol.UDP, 12000));
    }

    @Test
    void flowsThatAreNotOutboundSnatToTheNatAddressAreIgnored() {
        int dnat = SNAT | Status.IPS_DST_NAT.mask;
        assertFalse(apply(seed, Event.Type.NEW, outbound(5000, 12000, dnat)), "our own DNAT'd entries");
        assertFalse(apply(seed, Event.Type.NEW, outbound(5000, 12000, Status.IPS_CONFIRMED.mask)), "not NAT'd");
        Flow otherAddress = new Flow(Tuple.udp(LAN, 5000, PEER, 1), Tuple.udp(PEER, 1, parseAddr("203.0.113.9"), 12000), SNAT, 0, 1, 30, 0);
        assertFalse(apply(seed, Event.Type.NEW, otherAddress), "SNAT'd to another address");
        Flow tcp = new Flow(new Tuple(Tuple.IPPROTO_TCP, LAN, PEER, 5000, 80), new Tuple(Tuple.IPPROTO_TCP, PEER, NAT, 80, 12000), SNAT, 0, 1, 30, 0);
        assertFalse(apply(seed, Event.Type.NEW, tcp), "TCP is not enabled in seed mode");
        assertFalse(apply(seed, Event.Type.UPDATE, outbound(5000, 12000, SNAT)), "updates do not count flows");
        assertEquals(Endpoint.NONE, nat.lookup(Protocol.UDP, 12000));
        assertEquals(0, nat.flowCount());
    }

    @Test
    void anyAddressAndTcpWhenTheModeAsksForThem() {
        MappingFlows kernel = new MappingFlows(MappingFlows.ANY_ADDRESS, Protocol.UDP, Protocol.TCP);
        Flow otherAddress = new Flow(Tuple.udp(LAN, 5000, PEER, 1), Tuple.udp(PEER, 1, parseAddr("203.0.113.9"), 12000), SNAT, 0, 1, 30, 0);
        assertTrue(apply(kernel, Event.Type.NEW, otherAddress), "the WAN address may change: any address counts");
        Flow tcp = new Flow(new Tuple(Tuple.IPPROTO_TCP, LAN, PEER, 5001, 80), new Tuple(Tuple.IPPROTO_TCP, PEER, NAT, 80, 12000), SNAT, 0, 1, 30, 0);
        assertTrue(apply(kernel, Event.Type.NEW, tcp));
        assertEquals(Endpoint.of(LAN, 5000), nat.lookup(Protocol.UDP, 12000));
        assertEquals(Endpoint.of(LAN, 5001), nat.lookup(Protocol.TCP, 12000));
    }

    @Test
    void ownDnatEntriesInTheDumpAreNotMappings() {
        Flow ours = new Flow(Tuple.udp(0xc6336401, 4000, NAT, 12000), Tuple.udp(LAN, 5000, 0xc6336401, 4000),
                SNAT | Status.IPS_DST_NAT.mask, 0, 0, 30, 0);
        FlowSnapshot s = new FlowSnapshot();
        seed.collect(FlowViews.of(ours), s);
        assertEquals(0, s.size());
        seed.collect(FlowViews.of(outbound(5000, 12000, SNAT)), s);
        assertEquals(1, s.size());
    }
}
