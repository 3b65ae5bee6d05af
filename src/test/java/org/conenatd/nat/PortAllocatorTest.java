package org.conenatd.nat;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.conenatd.inet.Inet4.parseAddr;
import static org.junit.jupiter.api.Assertions.*;

class PortAllocatorTest {
    private static final int A = parseAddr("10.0.0.101"), B = parseAddr("10.0.0.102");
    private static final long SECOND = 1_000_000_000L;

    /** An allocation whose first flow conntrack has already reported: live until its flows end. */
    private static int live(PortAllocator a, long endpoint, PortAllocator.PortUse use) {
        int port = a.allocate(endpoint, use, 0, 0);
        if (port >= 0) a.flowStarted(port, endpoint);
        return port;
    }

    @Test
    void anEndpointKeepsItsOwnSourcePortWhenItIsFree() {
        PortAllocator a = new PortAllocator(Protocol.UDP, 1024, 65535);
        assertEquals(5000, live(a, Endpoint.of(A, 5000), PortAllocator.PortUse.NONE));
        assertEquals(5000, live(a, Endpoint.of(A, 5000), PortAllocator.PortUse.NONE), "same endpoint, same port, any destination");
        assertEquals(Endpoint.of(A, 5000), a.ownerOf(5000));
    }

    @Test
    void twoEndpointsWithTheSameSourcePortNeverShareAPublicPort() {
        PortAllocator a = new PortAllocator(Protocol.UDP, 1024, 65535);
        int pa = live(a, Endpoint.of(A, 5000), PortAllocator.PortUse.NONE);
        int pb = live(a, Endpoint.of(B, 5000), PortAllocator.PortUse.NONE);
        assertEquals(5000, pa);
        assertNotEquals(pa, pb);
        assertTrue(pb >= 1024 && pb <= 65535);
    }

    @Test
    void portsHeldByAnythingElseAreSkipped() {
        PortAllocator a = new PortAllocator(Protocol.UDP, 2000, 2003);
        PortAllocator.PortUse routerSockets = p -> p == 2000 || p == 2001;
        assertEquals(2002, live(a, Endpoint.of(A, 2000), routerSockets), "its own port is the router's: take another");
        assertEquals(2003, live(a, Endpoint.of(B, 9), routerSockets));
    }

    @Test
    void sourcePortsOutsideThePoolAreNotPreserved() {
        PortAllocator a = new PortAllocator(Protocol.UDP, 20000, 20009);
        int p = live(a, Endpoint.of(A, 5000), PortAllocator.PortUse.NONE);
        assertTrue(p >= 20000 && p <= 20009, "got " + p);
    }

    @Test
    void anExhaustedPoolSaysSoAndHandsOutNothing() {
        PortAllocator a = new PortAllocator(Protocol.UDP, 3000, 3001);
        assertEquals(3000, live(a, Endpoint.of(A, 3000), PortAllocator.PortUse.NONE));
        assertEquals(3001, live(a, Endpoint.of(A, 3001), PortAllocator.PortUse.NONE));
        assertEquals(-1, live(a, Endpoint.of(B, 1), PortAllocator.PortUse.NONE));
        assertEquals(2, a.allocated());
    }

    @Test
    void aMappingOutlivesItsLastFlowByTheHoldTimeThenItsPortReturns() {
        PortAllocator a = new PortAllocator(Protocol.UDP, 3000, 3000);
        long ep = Endpoint.of(A, 3000);
        live(a, ep, PortAllocator.PortUse.NONE);
        a.flowsEnded(3000, ep, 10 * SECOND, 5 * SECOND);
        assertTrue(a.isHeld(3000));
        List<String> gone = new ArrayList<>();
        assertEquals(0, a.expire(14 * SECOND, (p, e) -> gone.add(p + " " + Endpoint.format(e))));
        assertEquals(1, a.expire(15 * SECOND, (p, e) -> gone.add(p + " " + Endpoint.format(e))));
        assertEquals(List.of("3000 10.0.0.101:3000"), gone);
        assertEquals(-1, a.portOf(ep));
        assertEquals(3000, live(a, Endpoint.of(B, 7), PortAllocator.PortUse.NONE), "the port is free again");
    }

    @Test
    void aNewFlowDuringTheHoldKeepsTheMapping() {
        PortAllocator a = new PortAllocator(Protocol.UDP, 3000, 3000);
        long ep = Endpoint.of(A, 3000);
        live(a, ep, PortAllocator.PortUse.NONE);
        a.flowsEnded(3000, ep, 0, 5 * SECOND);
        a.flowStarted(3000, ep);
        assertFalse(a.isHeld(3000));
        assertEquals(0, a.expire(100 * SECOND, (p, e) -> fail("live mapping expired")));
        assertEquals(0, a.holding());
    }

    @Test
    void aNewMappingWhoseFirstPacketNeverMadeAFlowExpiresAfterTheHold() {
        PortAllocator a = new PortAllocator(Protocol.UDP, 3000, 3000);
        long ep = Endpoint.of(A, 3000);
        assertEquals(3000, a.allocate(ep, PortAllocator.PortUse.NONE, 0, 2 * SECOND));
        assertTrue(a.isHeld(3000));
        assertEquals(1, a.expire(2 * SECOND, (p, e) -> { }));
        assertEquals(0, a.allocated());
        assertEquals(3000, a.allocate(ep, PortAllocator.PortUse.NONE, 0, 2 * SECOND));
        a.flowStarted(3000, ep);
        assertEquals(0, a.expire(100 * SECOND, (p, e) -> fail("a live mapping expired")));
    }

    @Test
    void flowsOfOtherEndpointsOnAPortDoNotTouchItsMapping() {
        PortAllocator a = new PortAllocator(Protocol.UDP, 3000, 3000);
        live(a, Endpoint.of(A, 3000), PortAllocator.PortUse.NONE);
        a.flowsEnded(3000, Endpoint.of(B, 3000), 0, 0);
        assertFalse(a.isHeld(3000));
    }

    @Test
    void adoptedMappingsAreKeptAndConflictingOnesRefused() {
        PortAllocator a = new PortAllocator(Protocol.UDP, 1024, 65535);
        assertTrue(a.adopt(Endpoint.of(A, 5000), 40000, 0, SECOND));
        assertFalse(a.adopt(Endpoint.of(B, 5000), 40000, 0, SECOND), "port taken");
        assertFalse(a.adopt(Endpoint.of(A, 5000), 40001, 0, SECOND), "endpoint has a port");
        assertTrue(a.isHeld(40000), "held until its flows are seen");
        PortAllocator narrow = new PortAllocator(Protocol.UDP, 20000, 20009);
        assertFalse(narrow.adopt(Endpoint.of(B, 1), 40000, 0, SECOND), "a port outside the pool would never expire");
        assertEquals(40000, live(a, Endpoint.of(A, 5000), PortAllocator.PortUse.NONE));
    }

    @Test
    void manyEndpointsGetDistinctPortsUntilThePoolIsFull() {
        PortAllocator a = new PortAllocator(Protocol.TCP, 10000, 10999);
        java.util.Map<Long, Integer> given = new java.util.HashMap<>();
        for (int i = 0; i < 1200; i++) {
            long ep = Endpoint.of(A + i % 7, 10000 + i);
            int p = live(a, ep, PortAllocator.PortUse.NONE);
            if (p >= 0) given.put(ep, p);
            else assertEquals(1000, a.allocated(), "only a full pool refuses");
        }
        Set<Integer> ports = new HashSet<>(given.values());
        assertEquals(given.size(), ports.size(), "no port handed to two endpoints");
        assertEquals(1000, ports.size());
        assertThrows(IllegalArgumentException.class, () -> new PortAllocator(Protocol.UDP, 2000, 1999));
        assertThrows(IllegalArgumentException.class, () -> new PortAllocator(Protocol.UDP, 0, 10));
    }
}
