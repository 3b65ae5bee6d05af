package org.conenatd.nat;

import org.conenatd.conntrack.Event;
import org.conenatd.conntrack.Flow;
import org.conenatd.conntrack.Status;
import org.conenatd.conntrack.Tuple;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.conenatd.packet.Inet4.parseAddr;
import static org.junit.jupiter.api.Assertions.*;

class FullConeNatTest {
    private static final int NAT = parseAddr("203.0.113.1");
    private static final int LAN = parseAddr("10.0.0.101");
    private static final int PEER = parseAddr("198.51.100.7");

    private final List<String> log = new ArrayList<>();
    private final FullConeNat nat = new FullConeNat(NAT, new MappingTable(),
            (c, port, ip, lp, flows, winner) -> log.add(c + " " + port));

    /** An outbound flow as the kernel reports it after MASQUERADE: lan:lp -> peer, reply peer -> nat:np. */
    private static Flow outbound(int lanPort, int natPort, int status) {
        Tuple orig = Tuple.udp(LAN, lanPort, PEER, 3478);
        Tuple reply = Tuple.udp(PEER, 3478, NAT, natPort);
        return new Flow(orig, reply, status, 0, 1, 30, 0);
    }

    private static final int SNAT = Status.IPS_SRC_NAT.mask | Status.IPS_CONFIRMED.mask | Status.IPS_SRC_NAT_DONE.mask;

    @Test
    void snatFlowToTheNatAddressMapsItsReplyPortToTheLanEndpoint() {
        assertTrue(nat.onEvent(new Event(Event.Type.NEW, outbound(5000, 12000, SNAT))));
        assertEquals(MappingTable.endpoint(LAN, 5000), nat.route(NAT, 12000));
        assertEquals(List.of("MAPPED 12000"), log);
        assertTrue(nat.onEvent(new Event(Event.Type.DESTROY, outbound(5000, 12000, SNAT))));
        assertEquals(MappingTable.NONE, nat.route(NAT, 12000));
        assertEquals(List.of("MAPPED 12000", "UNMAPPED 12000"), log);
    }

    @Test
    void flowsThatAreNotOutboundSnatToTheNatAddressAreIgnored() {
        int dnat = SNAT | Status.IPS_DST_NAT.mask;
        assertFalse(nat.onEvent(new Event(Event.Type.NEW, outbound(5000, 12000, dnat))), "our own DNAT'd entries");
        assertFalse(nat.onEvent(new Event(Event.Type.NEW, outbound(5000, 12000, Status.IPS_CONFIRMED.mask))), "not NAT'd");
        Flow otherAddress = new Flow(Tuple.udp(LAN, 5000, PEER, 1), Tuple.udp(PEER, 1, parseAddr("203.0.113.9"), 12000), SNAT, 0, 1, 30, 0);
        assertFalse(nat.onEvent(new Event(Event.Type.NEW, otherAddress)), "SNAT'd to another address");
        Flow tcp = new Flow(new Tuple(Tuple.IPPROTO_TCP, LAN, PEER, 5000, 80), new Tuple(Tuple.IPPROTO_TCP, PEER, NAT, 80, 12000), SNAT, 0, 1, 30, 0);
        assertFalse(nat.onEvent(new Event(Event.Type.NEW, tcp)), "TCP");
        assertFalse(nat.onEvent(new Event(Event.Type.UPDATE, outbound(5000, 12000, SNAT))), "updates do not count flows");
        assertEquals(MappingTable.NONE, nat.route(NAT, 12000));
        assertTrue(log.isEmpty());
    }

    @Test
    void packetsToOtherAddressesAreNeverRouted() {
        nat.onEvent(new Event(Event.Type.NEW, outbound(5000, 12000, SNAT)));
        assertEquals(MappingTable.NONE, nat.route(parseAddr("203.0.113.2"), 12000));
        assertEquals(MappingTable.NONE, nat.route(NAT, 12001));
    }
}
