package org.conenatd.nat;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class FlowIndexTest {

    @Test
    void keysFromReplyTuplesAreDistinctWhereConntrackIdsWouldCollide() {
        // 50,000 flows of the burst test: every (peer, peer port, nat port) keeps its own slot.
        FlowIndex f = new FlowIndex();
        int n = 0;
        for (int peer = 0; peer < 200; peer++) {
            for (int port = 0; port < 250; port++) {
                assertTrue(f.add(FlowIndex.key(0xcb00710a + peer % 20, 20000 + peer / 20, 10240 + port), n++));
            }
        }
        assertEquals(50_000, f.size());
    }

    @Test
    void addRefusesADuplicateAndRemoveReturnsTheValue() {
        FlowIndex f = new FlowIndex(4);
        long k = FlowIndex.key(1, 2, 3);
        assertTrue(f.add(k, 42));
        assertFalse(f.add(k, 43));
        assertEquals(42, f.get(k));
        assertEquals(42, f.remove(k));
        assertEquals(-1, f.remove(k));
        assertFalse(f.contains(k));
        assertThrows(IllegalArgumentException.class, () -> f.add(0, 1), "key 0 is reserved");
    }

    @Test
    void packKeepsNatPortAndEndpointApart() {
        long ep = Endpoint.of(0xffffffff, 65535);
        long v = FlowIndex.pack(65535, ep);
        assertEquals(65535, FlowIndex.natPort(v));
        assertEquals(ep, FlowIndex.endpoint(v));
    }

    @Test
    void randomOperationsAgreeWithAHashMapThroughGrowthAndDeletions() {
        FlowIndex f = new FlowIndex(16);
        Map<Long, Long> model = new HashMap<>();
        Random r = new Random(7);
        for (int i = 0; i < 300_000; i++) {
            long k = 1 + r.nextInt(5000) * 0x1_0000_0001L; // clustered keys stress probe chains
            if (r.nextInt(3) == 0) {
                assertEquals(model.containsKey(k) ? model.remove(k) : -1L, f.remove(k));
            } else {
                long v = r.nextLong() & 0xffffffffffffL;
                assertEquals(!model.containsKey(k), f.add(k, v));
                model.putIfAbsent(k, v);
            }
        }
        assertEquals(model.size(), f.size());
        model.forEach((k, v) -> assertEquals(v, f.get(k)));
        int[] seen = {0};
        f.forEach((k, v) -> {
            assertEquals(model.get(k), v);
            seen[0]++;
        });
        assertEquals(model.size(), seen[0]);
    }

    @Test
    void putSetsAValuePresentOrNotAndSaysWhatWasThere() {
        FlowIndex f = new FlowIndex();
        assertEquals(-1, f.put(7, 1));
        assertEquals(1, f.put(7, 2));
        assertEquals(2, f.get(7));
        assertEquals(1, f.size());
    }
}
