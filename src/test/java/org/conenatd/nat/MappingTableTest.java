package org.conenatd.nat;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.conenatd.nat.MappingTable.Change.*;
import static org.conenatd.nat.Endpoint.NONE;
import static org.conenatd.nat.Protocol.TCP;
import static org.conenatd.nat.Protocol.UDP;
import static org.junit.jupiter.api.Assertions.*;

class MappingTableTest {
    private static final int LAN1 = 0x0a000065; // 10.0.0.101
    private static final int LAN2 = 0x0a000066; // 10.0.0.102

    @Test
    void firstFlowMapsThePortAndLastFlowUnmapsIt() {
        MappingTable t = new MappingTable();
        assertEquals(NONE, t.lookup(UDP, 10240));
        assertEquals(MAPPED, t.addFlow(UDP, 10240, Endpoint.of(LAN1, 5000)));
        assertEquals(Endpoint.of(LAN1, 5000), t.lookup(UDP, 10240));
        assertEquals(REFRESHED, t.addFlow(UDP, 10240, Endpoint.of(LAN1, 5000)));
        assertEquals(2, t.flows(UDP, 10240, Endpoint.of(LAN1, 5000)));
        assertEquals(1, t.mappedPorts());
        assertEquals(RELEASED, t.removeFlow(UDP, 10240, Endpoint.of(LAN1, 5000)));
        assertEquals(Endpoint.of(LAN1, 5000), t.lookup(UDP, 10240), "still one live flow");
        assertEquals(UNMAPPED, t.removeFlow(UDP, 10240, Endpoint.of(LAN1, 5000)));
        assertEquals(NONE, t.lookup(UDP, 10240));
        assertEquals(0, t.mappedPorts());
        assertEquals(0, t.slots());
    }

    @Test
    void endpointPackingKeepsHighAddressesAndPorts() {
        long ep = Endpoint.of(0xfffffffe, 65535);
        assertEquals(0xfffffffe, Endpoint.ip(ep));
        assertEquals(65535, Endpoint.port(ep));
        assertNotEquals(NONE, Endpoint.of(0xffffffff, 0xffff), "no endpoint collides with NONE");
    }

    @Test
    void aSecondEndpointOnAPortIsAConflictAndTheOldestKeepsReceiving() {
        MappingTable t = new MappingTable();
        t.addFlow(UDP, 20000, Endpoint.of(LAN1, 5000));
        assertEquals(CONFLICT, t.addFlow(UDP, 20000, Endpoint.of(LAN2, 6000)));
        assertEquals(Endpoint.of(LAN1, 5000), t.lookup(UDP, 20000));
        assertEquals(REFRESHED, t.addFlow(UDP, 20000, Endpoint.of(LAN2, 6000)));
        assertEquals(2, t.flows(UDP, 20000, Endpoint.of(LAN2, 6000)), "counts are kept per endpoint, never mixed");
        assertEquals(1, t.flows(UDP, 20000, Endpoint.of(LAN1, 5000)));
        assertArrayEquals(new long[] {Endpoint.of(LAN1, 5000), Endpoint.of(LAN2, 6000)}, t.endpoints(UDP, 20000));

        assertEquals(MOVED, t.removeFlow(UDP, 20000, Endpoint.of(LAN1, 5000)));
        assertEquals(Endpoint.of(LAN2, 6000), t.lookup(UDP, 20000), "traffic moves to the endpoint that is still alive");
        assertEquals(RELEASED, t.removeFlow(UDP, 20000, Endpoint.of(LAN2, 6000)));
        assertEquals(UNMAPPED, t.removeFlow(UDP, 20000, Endpoint.of(LAN2, 6000)));
        assertEquals(NONE, t.lookup(UDP, 20000));
    }

    @Test
    void losingAYoungerConflictingEndpointDoesNotMoveThePort() {
        MappingTable t = new MappingTable();
        t.addFlow(UDP, 20000, Endpoint.of(LAN1, 5000));
        t.addFlow(UDP, 20000, Endpoint.of(LAN2, 6000));
        assertEquals(RELEASED, t.removeFlow(UDP, 20000, Endpoint.of(LAN2, 6000)));
        assertEquals(Endpoint.of(LAN1, 5000), t.lookup(UDP, 20000));
    }

    @Test
    void removingAFlowThatWasNeverCountedChangesNothing() {
        MappingTable t = new MappingTable();
        assertEquals(UNKNOWN, t.removeFlow(UDP, 30000, Endpoint.of(LAN1, 5000)));
        t.addFlow(UDP, 30000, Endpoint.of(LAN1, 5000));
        assertEquals(UNKNOWN, t.removeFlow(UDP, 30000, Endpoint.of(LAN2, 5000)));
        assertEquals(Endpoint.of(LAN1, 5000), t.lookup(UDP, 30000));
    }

    @Test
    void udpAndTcpMappingsOnTheSamePortAreDistinct() {
        MappingTable t = new MappingTable();
        assertEquals(MAPPED, t.addFlow(UDP, 40000, Endpoint.of(LAN1, 5000)));
        assertEquals(MAPPED, t.addFlow(TCP, 40000, Endpoint.of(LAN2, 6000)), "another protocol: a new mapping, not a conflict");
        assertEquals(Endpoint.of(LAN1, 5000), t.lookup(UDP, 40000));
        assertEquals(Endpoint.of(LAN2, 6000), t.lookup(TCP, 40000));
        assertEquals(1, t.mappedPorts(UDP));
        assertEquals(1, t.mappedPorts(TCP));
        assertEquals(UNMAPPED, t.removeFlow(TCP, 40000, Endpoint.of(LAN2, 6000)));
        assertEquals(Endpoint.of(LAN1, 5000), t.lookup(UDP, 40000), "the UDP mapping is untouched");
        assertEquals(NONE, t.lookup(TCP, 40000));
        assertEquals(UNKNOWN, t.removeFlow(TCP, 40000, Endpoint.of(LAN1, 5000)), "a UDP flow is never counted as TCP");
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
            long ep = Endpoint.of(ip, lp);
            var slots = model.computeIfAbsent(port, k -> new java.util.LinkedHashMap<>());
            if (r.nextBoolean()) {
                t.addFlow(UDP, port, Endpoint.of(ip, lp));
                slots.merge(ep, 1, Integer::sum);
            } else {
                t.removeFlow(UDP, port, Endpoint.of(ip, lp));
                slots.computeIfPresent(ep, (k, v) -> v == 1 ? null : v - 1);
            }
            long expected = slots.isEmpty() ? NONE : slots.keySet().iterator().next();
            assertEquals(expected, t.lookup(UDP, port), "step " + i);
            assertEquals(slots.getOrDefault(ep, 0), t.flows(UDP, port, ep));
        }
        int live = model.values().stream().mapToInt(Map::size).sum();
        assertEquals(live, t.slots());
        assertEquals(model.values().stream().filter(m -> !m.isEmpty()).count(), t.mappedPorts());
    }
}
