package org.conenatd.nat;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.conenatd.nat.MappingTable.Change.*;
import static org.conenatd.nat.MappingTable.endpoint;
import static org.junit.jupiter.api.Assertions.*;

class MappingTableTest {
    private static final int LAN1 = 0x0a000065; // 10.0.0.101
    private static final int LAN2 = 0x0a000066; // 10.0.0.102

    @Test
    void firstFlowMapsThePortAndLastFlowUnmapsIt() {
        MappingTable t = new MappingTable();
        assertEquals(MappingTable.NONE, t.lookup(10240));
        assertEquals(MAPPED, t.addFlow(10240, LAN1, 5000));
        assertEquals(endpoint(LAN1, 5000), t.lookup(10240));
        assertEquals(REFRESHED, t.addFlow(10240, LAN1, 5000));
        assertEquals(2, t.flows(10240, endpoint(LAN1, 5000)));
        assertEquals(1, t.mappedPorts());
        assertEquals(RELEASED, t.removeFlow(10240, LAN1, 5000));
        assertEquals(endpoint(LAN1, 5000), t.lookup(10240), "still one live flow");
        assertEquals(UNMAPPED, t.removeFlow(10240, LAN1, 5000));
        assertEquals(MappingTable.NONE, t.lookup(10240));
        assertEquals(0, t.mappedPorts());
        assertEquals(0, t.slots());
    }

    @Test
    void endpointPackingKeepsHighAddressesAndPorts() {
        long ep = endpoint(0xfffffffe, 65535);
        assertEquals(0xfffffffe, MappingTable.ip(ep));
        assertEquals(65535, MappingTable.port(ep));
        assertNotEquals(MappingTable.NONE, endpoint(0xffffffff, 0xffff), "no endpoint collides with NONE");
    }

    @Test
    void aSecondEndpointOnAPortIsAConflictAndTheOldestKeepsReceiving() {
        MappingTable t = new MappingTable();
        t.addFlow(20000, LAN1, 5000);
        assertEquals(CONFLICT, t.addFlow(20000, LAN2, 6000));
        assertEquals(endpoint(LAN1, 5000), t.lookup(20000));
        assertEquals(REFRESHED, t.addFlow(20000, LAN2, 6000));
        assertEquals(2, t.flows(20000, endpoint(LAN2, 6000)), "counts are kept per endpoint, never mixed");
        assertEquals(1, t.flows(20000, endpoint(LAN1, 5000)));
        assertArrayEquals(new long[] {endpoint(LAN1, 5000), endpoint(LAN2, 6000)}, t.endpoints(20000));

        assertEquals(MOVED, t.removeFlow(20000, LAN1, 5000));
        assertEquals(endpoint(LAN2, 6000), t.lookup(20000), "traffic moves to the endpoint that is still alive");
        assertEquals(RELEASED, t.removeFlow(20000, LAN2, 6000));
        assertEquals(UNMAPPED, t.removeFlow(20000, LAN2, 6000));
        assertEquals(MappingTable.NONE, t.lookup(20000));
    }

    @Test
    void losingAYoungerConflictingEndpointDoesNotMoveThePort() {
        MappingTable t = new MappingTable();
        t.addFlow(20000, LAN1, 5000);
        t.addFlow(20000, LAN2, 6000);
        assertEquals(RELEASED, t.removeFlow(20000, LAN2, 6000));
        assertEquals(endpoint(LAN1, 5000), t.lookup(20000));
    }

    @Test
    void removingAFlowThatWasNeverCountedChangesNothing() {
        MappingTable t = new MappingTable();
        assertEquals(UNKNOWN, t.removeFlow(30000, LAN1, 5000));
        t.addFlow(30000, LAN1, 5000);
        assertEquals(UNKNOWN, t.removeFlow(30000, LAN2, 5000));
        assertEquals(endpoint(LAN1, 5000), t.lookup(30000));
    }

    @Test
    void clearForgetsEverything() {
        MappingTable t = new MappingTable();
        for (int p = 1024; p < 3024; p++) t.addFlow(p, LAN1, p);
        t.clear();
        assertEquals(0, t.mappedPorts());
        assertEquals(0, t.slots());
        for (int p = 1024; p < 3024; p++) assertEquals(MappingTable.NONE, t.lookup(p));
        assertEquals(MAPPED, t.addFlow(1024, LAN2, 1));
    }

    @Test
    void randomAddsAndRemovesAgreeWithASimpleModel() {
        MappingTable t = new MappingTable();
        Map<Integer, java.util.LinkedHashMap<Long, Integer>> model = new HashMap<>();
        Random r = new Random(42);
        for (int i = 0; i < 200_000; i++) {
            int port = 1000 + r.nextInt(50);
            int ip = LAN1 + r.nextInt(3);
            int lp = 5000 + r.nextInt(3);
            long ep = endpoint(ip, lp);
            var slots = model.computeIfAbsent(port, k -> new java.util.LinkedHashMap<>());
            if (r.nextBoolean()) {
                t.addFlow(port, ip, lp);
                slots.merge(ep, 1, Integer::sum);
            } else {
                t.removeFlow(port, ip, lp);
                slots.computeIfPresent(ep, (k, v) -> v == 1 ? null : v - 1);
            }
            long expected = slots.isEmpty() ? MappingTable.NONE : slots.keySet().iterator().next();
            assertEquals(expected, t.lookup(port), "step " + i);
            assertEquals(slots.getOrDefault(ep, 0), t.flows(port, ep));
        }
        int live = model.values().stream().mapToInt(Map::size).sum();
        assertEquals(live, t.slots());
        assertEquals(model.values().stream().filter(m -> !m.isEmpty()).count(), t.mappedPorts());
    }
}
