package org.conenatd.nat;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.conenatd.inet.Inet4.parseAddr;
import static org.junit.jupiter.api.Assertions.*;

/** Paired pooling over several external addresses, and port blocks, with plain values. */
class PooledAllocationTest {
    private static final int A = parseAddr("10.0.0.101"), B = parseAddr("10.0.0.102"), C = parseAddr("10.0.0.103");
    private static final int[] FOUR = {parseAddr("203.0.113.2"), parseAddr("203.0.113.3"), parseAddr("203.0.113.4"), parseAddr("203.0.113.5")};

    private static int alloc(PortAllocator a, int host, int port) {
        return a.allocate(Endpoint.of(host, port), PortAllocator.PortUse.NONE, 0, 1_000_000_000L);
    }

    @Test
    void everyEndpointOfAHostUsesTheHostsAddressOnEveryProtocol() {
        AddressPool pool = new AddressPool(FOUR);
        PortAllocator udp = new PortAllocator(Protocol.UDP, 1024, 65535, pool, 0, 0);
        PortAllocator tcp = new PortAllocator(Protocol.TCP, 1024, 65535, pool, 0, 0);
        int first = External.index(alloc(udp, A, 5000));
        for (int p = 5001; p < 5100; p++) assertEquals(first, External.index(alloc(udp, A, p)));
        assertEquals(first, External.index(alloc(tcp, A, 443)), "the same address for the host's TCP endpoints");
    }

    @Test
    void aNewHostGoesToTheLeastUsedAddress() {
        AddressPool pool = new AddressPool(FOUR);
        PortAllocator udp = new PortAllocator(Protocol.UDP, 1024, 65535, pool, 0, 0);
        for (int p = 5000; p < 5010; p++) alloc(udp, A, p);
        alloc(udp, B, 5000);
        alloc(udp, B, 5001);
        Set<Integer> used = new HashSet<>(List.of(pool.pairedIndex(A), pool.pairedIndex(B)));
        assertEquals(2, used.size(), "two hosts, two addresses");
        int c = External.index(alloc(udp, C, 5000));
        assertFalse(used.contains(c), "the third host takes an unused address, not the one with 2 mappings");
        assertEquals(5000, External.port(alloc(udp, C, 5000)), "ports are preserved on each address: three hosts, one port 5000 each");
    }

    @Test
    void aHostIsUnpairedWithItsLastMappingAndMayLandElsewhereAfter() {
        AddressPool pool = new AddressPool(FOUR);
        PortAllocator udp = new PortAllocator(Protocol.UDP, 1024, 65535, pool, 0, 0);
        int x = alloc(udp, A, 5000);
        assertEquals(External.index(x), pool.pairedIndex(A));
        udp.forget(x);
        assertEquals(-1, pool.pairedIndex(A));
        assertEquals(0, pool.used(External.index(x)));
    }

    @Test
    void aFullAddressKeepsItsHostsThereButSendsNewHostsElsewhere() {
        AddressPool pool = new AddressPool(new int[] {FOUR[0], FOUR[1]});
        PortAllocator udp = new PortAllocator(Protocol.UDP, 3000, 3001, pool, 0, 0);
        int a1 = alloc(udp, A, 3000), a2 = alloc(udp, A, 3001);
        assertEquals(External.index(a1), External.index(a2));
        assertEquals(PortAllocator.EXHAUSTED, alloc(udp, A, 1), "paired: the host never spills onto another address");
        int b = alloc(udp, B, 3000);
        assertNotEquals(External.index(a1), External.index(b));
    }

    @Test
    void adoptionRefusesAMappingOnAnotherAddressThanTheHostsPair() {
        AddressPool pool = new AddressPool(FOUR);
        PortAllocator udp = new PortAllocator(Protocol.UDP, 1024, 65535, pool, 0, 0);
        assertTrue(udp.adopt(Endpoint.of(A, 5000), External.of(2, 5000), 0, 1));
        assertFalse(udp.adopt(Endpoint.of(A, 5001), External.of(3, 5001), 0, 1));
        assertTrue(udp.adopt(Endpoint.of(A, 5001), External.of(2, 6001), 0, 1));
        assertFalse(udp.adopt(Endpoint.of(B, 5001), External.of(4, 6001), 0, 1), "no fifth address");
        assertEquals(2, pool.pairedIndex(A));
    }

    @Test
    void memoryIsNotPerAddressSpaceAnExternalIsItsIndexAndPort() {
        int x = External.of(65535, 65535);
        assertEquals(65535, External.index(x));
        assertEquals(65535, External.port(x));
        assertEquals(5000, External.of(0, 5000), "without a pool an external is the port");
    }

    /** "+first-last" for each block given, "-first-last" for each taken back. */
    private static List<String> blockLog(PortAllocator a) {
        List<String> log = new ArrayList<>();
        a.onBlocks((given, host, index, from, to) -> log.add((given ? "+" : "-") + from + "-" + to));
        return log;
    }

    @Test
    void hostsEndpointsFallInBlocksOfNUpToTheirLimit() {
        AddressPool pool = new AddressPool(FOUR);
        PortAllocator udp = new PortAllocator(Protocol.UDP, 1024, 65535, pool, 64, 2);
        List<String> log = blockLog(udp);
        Set<Integer> blocks = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            int x = alloc(udp, A, 40000 + i * 7);
            assertTrue(x >= 0, "endpoint " + i);
            blocks.add((External.port(x) - 1024) / 64);
        }
        assertEquals(2, blocks.size(), "100 endpoints in two blocks of 64");
        assertEquals(2, udp.blocksOf(A).length);
        assertEquals(2, log.size());
        for (int i = 100; i < 128; i++) assertTrue(alloc(udp, A, 50000 + i) >= 0);
        assertEquals(PortAllocator.BLOCKS_FULL, alloc(udp, A, 60000), "the 129th: both blocks full, no third");
        assertTrue(alloc(udp, B, 60000) >= 0, "another host still gets a block");
    }

    @Test
    void theFirstEndpointOfABlockKeepsItsPortAndTheBlockGoesWithItsLastMapping() {
        AddressPool pool = new AddressPool(FOUR);
        PortAllocator udp = new PortAllocator(Protocol.UDP, 1024, 65535, pool, 64, 0);
        List<String> log = blockLog(udp);
        int x = alloc(udp, A, 5000);
        assertEquals(5000, External.port(x), "the block around 5000 was free: port preserved");
        int y = alloc(udp, A, 5010);
        assertEquals(5010, External.port(y), "5010 is in the host's block too");
        assertEquals(List.of("+4992-5055"), log);
        udp.forget(x);
        assertEquals(1, udp.blocks());
        udp.forget(y);
        assertEquals(0, udp.blocks());
        assertEquals(List.of("+4992-5055", "-4992-5055"), log);
    }

    @Test
    void anotherHostsBlockIsNeverUsedEvenForPortPreservation() {
        AddressPool pool = AddressPool.single();
        PortAllocator udp = new PortAllocator(Protocol.UDP, 1024, 65535, pool, 64, 0);
        int a = alloc(udp, A, 5000);
        int b = alloc(udp, B, 5001);
        assertNotEquals((External.port(a) - 1024) / 64, (External.port(b) - 1024) / 64);
        assertFalse(udp.adopt(Endpoint.of(C, 5002), External.of(0, 5002), 0, 1), "adoption into A's block is refused");
    }

    @Test
    void aBlockLargerThanThePortRangeIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PortAllocator(Protocol.UDP, 1024, 2047, AddressPool.single(), 2048, 0));
        assertTrue(e.getMessage().contains("does not fit"), e.getMessage());
    }

    @Test
    void expiryWalksTheMappingsNotThePortSpace() {
        AddressPool pool = new AddressPool(FOUR);
        PortAllocator udp = new PortAllocator(Protocol.UDP, 1024, 65535, pool, 0, 0);
        int x = alloc(udp, A, 5000), y = alloc(udp, B, 5000);
        List<Integer> gone = new ArrayList<>();
        assertEquals(2, udp.expire(2_000_000_000L, (e, ep) -> gone.add(e)));
        assertEquals(Set.of(x, y), new HashSet<>(gone));
        assertEquals(0, udp.allocated());
        assertEquals(0, pool.used(External.index(x)) + pool.used(External.index(y)));
    }

    @Test
    void thePoolKeepsItsAddressesInAscendingOrderAndFindsEachOne() {
        int hi = parseAddr("203.0.113.9"), lo = parseAddr("198.51.100.7"), mid = parseAddr("200.0.0.1");
        AddressPool pool = new AddressPool(new int[] {hi, lo, mid});
        assertEquals(lo, pool.address(0));
        assertEquals(hi, pool.address(2), "compared unsigned: 203.x is above 198.x although both are negative ints");
        assertEquals(1, pool.indexOf(mid));
        assertEquals(2, pool.indexOf(hi));
        assertEquals(-1, pool.indexOf(parseAddr("203.0.113.10")));
        assertEquals(0, pool.indexFor(A), "a new host: the least used, the first of equals");
    }
}
