package org.conenatd.nat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Any sequence of allocations, adoptions, lifetime calls, expiries and forgets over a small pool
 * (so that ports, blocks and addresses run out) keeps the allocator's promises: no external is
 * shared, every host's mappings are on one address (paired pooling), with blocks every mapping lies
 * in a block of its own host and no host holds more than its blocks, and the counts (per address,
 * per host, allocated, blocks) agree with the mappings themselves.
 */
class PooledAllocationPropertiesTest {
    /** One operation: kind, host (0..5), LAN port (small set), and an argument. */
    record Op(int kind, int host, int port, int arg) {}

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = net.jqwik.api.Combinators.combine(Arbitraries.integers().between(0, 6), Arbitraries.integers().between(0, 5),
                Arbitraries.integers().between(0, 11), Arbitraries.integers().between(0, 40)).as(Op::new);
        return op.list().ofMaxSize(300);
    }

    @Property(tries = 300)
    void promisesHoldWhateverTheSequence(@ForAll("ops") List<Op> ops, @ForAll @IntRange(min = 0, max = 2) int blockChoice,
                                         @ForAll @IntRange(min = 1, max = 3) int addresses) {
        int block = new int[] {0, 4, 8}[blockChoice];
        int[] addrs = new int[addresses];
        for (int i = 0; i < addresses; i++) addrs[i] = 0xCB007128 + i;
        AddressPool pool = new AddressPool(addrs);
        PortAllocator a = new PortAllocator(Protocol.UDP, 5000, 5023, pool, block, block == 0 ? 0 : 2);
        long now = 0;
        for (Op o : ops) {
            long ep = Endpoint.of(0x0A000064 + o.host(), 5000 + o.port());
            now += 1_000_000_000L;
            switch (o.kind()) {
                case 0, 1 -> {
                    int x = a.allocate(ep, port -> port == 5000 + o.arg(), now, 3_000_000_000L);
                    assertTrue(x >= 0 || x == PortAllocator.EXHAUSTED || x == PortAllocator.BLOCKS_FULL, "result " + x);
                    if (x >= 0) assertEquals(ep, a.ownerOf(x));
                }
                case 2 -> a.adopt(ep, External.of(o.arg() % addresses, 5000 + (o.arg() % 24)), now, 2_000_000_000L);
                case 3 -> { int x = a.portOf(ep); if (x >= 0) a.flowStarted(x, ep); }
                case 4 -> { int x = a.portOf(ep); if (x >= 0) a.flowsEnded(x, ep, now, o.arg() * 100_000_000L); }
                case 5 -> a.expire(now, (x, e) -> assertEquals(e, a.ownerOf(x)));
                default -> { int x = a.portOf(ep); if (x >= 0) a.forget(x); }
            }
            check(a, pool, block, addresses);
        }
    }

    private static void check(PortAllocator a, AddressPool pool, int block, int addresses) {
        Map<Integer, Integer> addressOfHost = new HashMap<>();
        Map<Integer, Integer> perHost = new HashMap<>();
        long[] perAddress = new long[addresses];
        Set<Integer> externals = new HashSet<>();
        int[] n = {0};
        a.forEach((x, ep) -> {
            n[0]++;
            assertTrue(externals.add(x), "external " + x + " given twice");
            assertEquals(x, a.portOf(ep));
            int host = Endpoint.ip(ep), i = External.index(x);
            Integer before = addressOfHost.put(host, i);
            assertTrue(before == null || before == i, "host " + host + " on two addresses");
            assertEquals(i, pool.pairedIndex(host));
            perHost.merge(host, 1, Integer::sum);
            perAddress[i]++;
            if (block > 0) {
                boolean inOwnBlock = false;
                for (int b : a.blocksOf(host)) {
                    if (External.index(b) == i && External.port(x) >= External.port(b) && External.port(x) < External.port(b) + block) inOwnBlock = true;
                }
                assertTrue(inOwnBlock, "mapping " + x + " outside its host's blocks");
            }
        });
        assertEquals(n[0], a.allocated());
        for (int i = 0; i < addresses; i++) assertEquals(perAddress[i], pool.used(i));
        perHost.forEach((h, c) -> assertEquals(c, a.portsOfHost(h)));
        if (block > 0) {
            int held = 0;
            for (int h = 0; h < 6; h++) {
                int[] b = a.blocksOf(0x0A000064 + h);
                held += b.length;
                assertEquals(perHost.containsKey(0x0A000064 + h), b.length > 0, "a host holds blocks exactly while it has mappings");
            }
            assertEquals(held, a.blocks());
        }
    }
}
