package org.conenatd.dataplane.kernel;

import org.conenatd.conntrack.Flow;
import org.conenatd.conntrack.FlowViews;
import org.conenatd.conntrack.Status;
import org.conenatd.conntrack.Tuple;
import org.conenatd.nat.Endpoint;
import org.conenatd.nat.Protocol;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.conenatd.inet.Inet4.parseAddr;
import static org.junit.jupiter.api.Assertions.*;

/** Which conntrack entries are flows that came in through the maps, and which endpoint a port's flows count for. */
class InboundFlowsTest {
    private static final int PEER = parseAddr("198.51.100.7"), PUB = parseAddr("203.0.113.1"), LAN = parseAddr("10.0.0.101");
    private static final int DNAT = Status.IPS_DST_NAT.mask, SNAT = Status.IPS_SRC_NAT.mask;

    private static List<String> accepted(Flow f) {
        List<String> out = new ArrayList<>();
        InboundFlows.accept(FlowViews.of(f), (p, port, ep) -> out.add(p.label + " " + port + " " + Endpoint.format(ep)));
        return out;
    }

    @Test
    void aDnatdInboundFlowCountsForTheEndpointItsReplyStartsAt() {
        Flow in = new Flow(Tuple.udp(PEER, 4000, PUB, 12000), Tuple.udp(LAN, 5000, PEER, 4000), DNAT, 0, 1, 30, 0);
        assertEquals(List.of("udp 12000 10.0.0.101:5000"), accepted(in));
    }

    @Test
    void outboundHairpinnedAndPlainEntriesAreNotInboundFlows() {
        Flow out = new Flow(Tuple.udp(LAN, 5000, PEER, 4000), Tuple.udp(PEER, 4000, PUB, 12000), SNAT, 0, 1, 30, 0);
        Flow hairpin = new Flow(Tuple.udp(LAN, 5001, PUB, 12000), Tuple.udp(LAN, 5000, PUB, 12001), DNAT | SNAT, 0, 1, 30, 0);
        Flow plain = new Flow(Tuple.udp(PEER, 4000, PUB, 53), Tuple.udp(PUB, 53, PEER, 4000), 0, 0, 1, 30, 0);
        assertEquals(List.of(), accepted(out), "a kernel that ignores the status filter sends these too");
        assertEquals(List.of(), accepted(hairpin));
        assertEquals(List.of(), accepted(plain));
    }

    @Test
    void everyEndpointWithAFlowToAPortIsLiveNotOnlyTheLastSeen() throws Exception {
        long owner = Endpoint.of(LAN, 5000), other = Endpoint.of(LAN + 1, 80);
        InboundFlows flows = new InboundFlows(sink -> {
            sink.flow(Protocol.UDP, 12000, owner);
            sink.flow(Protocol.UDP, 12000, other); // a port forward's flow, seen after the owner's
        });
        assertFalse(flows.seen(Protocol.UDP, 12000), "never asked: nothing seen");
        flows.refresh(System.nanoTime());
        assertTrue(flows.live(Protocol.UDP, 12000, owner));
        assertTrue(flows.live(Protocol.UDP, 12000, other), "with a pool two endpoints may have port 12000 on two addresses");
        assertFalse(flows.live(Protocol.UDP, 12000, Endpoint.of(LAN + 2, 80)));
        assertTrue(flows.seen(Protocol.UDP, 12000));
        assertFalse(flows.seen(Protocol.UDP, 12001));
    }
}
