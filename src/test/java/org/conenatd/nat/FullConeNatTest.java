package org.conenatd.nat;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.conenatd.inet.Inet4.parseAddr;
import static org.junit.jupiter.api.Assertions.*;

/** The core on plain values: no kernel vocabulary in sight. */
class FullConeNatTest {
    private static final int LAN = parseAddr("10.0.0.101");
    private static final int PEER = parseAddr("198.51.100.7");

    private final List<String> log = new ArrayList<>();
    private final FullConeNat nat = new FullConeNat();

    {
        nat.addListener((c, p, port, ep, flows, receiver) -> log.add(c + " " + p.label + " " + port));
    }

    private static MappingFlow outbound(Protocol p, int lanPort, int natPort) {
        return new MappingFlow(p, LAN, lanPort, natPort, PEER, 3478);
    }

    @Test
    void aFlowMapsItsPublicPortToTheLanEndpointUntilItEnds() {
        nat.flowStarted(outbound(Protocol.UDP, 5000, 12000));
        assertEquals(Endpoint.of(LAN, 5000), nat.lookup(Protocol.UDP, 12000));
        assertEquals(List.of("MAPPED udp 12000"), log);
        nat.flowEnded(outbound(Protocol.UDP, 5000, 12000));
        assertEquals(Endpoint.NONE, nat.lookup(Protocol.UDP, 12000));
        assertEquals(List.of("MAPPED udp 12000", "UNMAPPED udp 12000"), log);
    }

    @Test
    void otherPortsAndTheOtherProtocolAreNeverRouted() {
        nat.flowStarted(outbound(Protocol.UDP, 5000, 12000));
        assertEquals(Endpoint.NONE, nat.lookup(Protocol.UDP, 12001));
        assertEquals(Endpoint.NONE, nat.lookup(Protocol.TCP, 12000));
    }

    @Test
    void aFlowSeenTwiceCountsOnceAndOneEndEndsIt() {
        nat.flowStarted(outbound(Protocol.UDP, 5000, 12000));
        nat.flowStarted(outbound(Protocol.UDP, 5000, 12000));
        assertEquals(1, nat.flowCount());
        nat.flowEnded(outbound(Protocol.UDP, 5000, 12000));
        assertEquals(Endpoint.NONE, nat.lookup(Protocol.UDP, 12000));
    }

    @Test
    void everyListenerHearsEveryChangeInOrder() {
        List<String> second = new ArrayList<>();
        nat.addListener((c, p, port, ep, flows, receiver) -> second.add(c + " " + Endpoint.format(ep) + " " + flows));
        nat.flowStarted(outbound(Protocol.TCP, 5000, 12000));
        nat.flowStarted(new MappingFlow(Protocol.TCP, LAN, 5000, 12000, PEER + 1, 80));
        nat.flowEnded(outbound(Protocol.TCP, 5000, 12000));
        assertEquals(List.of("MAPPED tcp 12000", "REFRESHED tcp 12000", "RELEASED tcp 12000"), log);
        assertEquals(List.of("MAPPED 10.0.0.101:5000 1", "REFRESHED 10.0.0.101:5000 2", "RELEASED 10.0.0.101:5000 1"), second);
    }
}
