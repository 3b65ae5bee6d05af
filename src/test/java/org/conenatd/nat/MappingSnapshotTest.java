package org.conenatd.nat;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.conenatd.inet.Inet4.parseAddr;
import static org.junit.jupiter.api.Assertions.*;

/** The rows `conenatd list` is made of: age from when a mapping began, hold left only for held kernel mappings. */
class MappingSnapshotTest {
    private static final int A = parseAddr("10.0.0.101"), B = parseAddr("10.0.0.102");
    private static final long SECOND = 1_000_000_000L;

    @Test
    void seedRowsAreTheTablesPairsOldestFirstWithNoHold() throws Exception {
        MappingTable t = new MappingTable();
        t.addFlow(Protocol.UDP, 12000, Endpoint.of(A, 5000));
        Thread.sleep(5);
        t.addFlow(Protocol.UDP, 12000, Endpoint.of(B, 5000)); // a second endpoint on the port
        t.addFlow(Protocol.UDP, 12000, Endpoint.of(A, 5000));
        t.addFlow(Protocol.TCP, 80, Endpoint.of(B, 80));
        List<MappingSnapshot.Row> rows = MappingSnapshot.ofTable(t, System.nanoTime());
        assertEquals(3, rows.size());
        MappingSnapshot.Row a = rows.get(0), b = rows.get(1), tcp = rows.get(2);
        assertEquals(Endpoint.of(A, 5000), a.endpoint());
        assertEquals(2, a.flows());
        assertTrue(a.receives());
        assertFalse(b.receives(), "the younger endpoint of a shared port does not receive");
        assertTrue(a.ageNanos() > b.ageNanos(), "ages count from when each pair began");
        assertEquals(MappingSnapshot.NO_HOLD, a.holdLeftNanos());
        assertFalse(a.held());
        assertEquals(Protocol.TCP, tcp.protocol());
    }

    @Test
    void kernelRowsShowLiveAndHeldMappingsWithTheHoldLeft() {
        PortAllocator udp = new PortAllocator(Protocol.UDP, 1024, 65535);
        MappingTable t = new MappingTable();
        long now = 1000 * SECOND;
        long live = Endpoint.of(A, 5000), held = Endpoint.of(B, 6000);
        assertEquals(5000, udp.allocate(live, PortAllocator.PortUse.NONE, now, 300 * SECOND));
        udp.flowStarted(5000, live);
        t.addFlow(Protocol.UDP, 5000, live);
        assertEquals(6000, udp.allocate(held, PortAllocator.PortUse.NONE, now + 10 * SECOND, 300 * SECOND));
        PortAllocator[] all = new PortAllocator[Protocol.count()];
        all[Protocol.UDP.ordinal()] = udp;
        List<MappingSnapshot.Row> rows = MappingSnapshot.ofAllocators(all, t, now + 60 * SECOND);
        assertEquals(2, rows.size());
        MappingSnapshot.Row r0 = rows.get(0), r1 = rows.get(1);
        assertEquals(5000, r0.publicPort());
        assertEquals(1, r0.flows());
        assertEquals(60 * SECOND, r0.ageNanos());
        assertEquals(MappingSnapshot.LIVE, r0.holdLeftNanos());
        assertEquals(6000, r1.publicPort());
        assertEquals(0, r1.flows());
        assertEquals(50 * SECOND, r1.ageNanos());
        assertTrue(r1.held());
        assertEquals(250 * SECOND, r1.holdLeftNanos(), "allocated at +10 s with a 300 s hold, read at +60 s");
        assertEquals(0, udp.holdLeft(6000, now + 400 * SECOND), "due, not negative");
        assertEquals(-1, udp.holdLeft(5000, now), "live");
        assertEquals(-1, udp.holdLeft(7000, now), "free");
    }
}
