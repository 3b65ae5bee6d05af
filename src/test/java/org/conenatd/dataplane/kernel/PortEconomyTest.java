package org.conenatd.dataplane.kernel;

import org.conenatd.dataplane.MapWriter;
import org.conenatd.dataplane.TableProtection;
import org.conenatd.nat.Endpoint;
import org.conenatd.nat.FullConeNat;
import org.conenatd.nat.MappingTable;
import org.conenatd.nat.Protocol;
import org.conenatd.nftables.NftMaps;
import org.conenatd.nftables.ScriptedNfTables;
import org.conenatd.ops.Counters;
import org.conenatd.ops.Log;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.conenatd.inet.Inet4.parseAddr;
import static org.junit.jupiter.api.Assertions.*;

/** Kernel mode's port economy: a per-host limit that never evicts, and holds per protocol. */
class PortEconomyTest {
    private static final int HOST_A = parseAddr("10.0.0.101"), HOST_B = parseAddr("10.0.0.102");
    private static final long SECOND = 1_000_000_000L;

    private final Counters counters = new Counters();
    private final FullConeNat nat = new FullConeNat(new MappingTable());

    private Mappings mappings(int limit, int udpHold, int tcpHold) {
        KernelConfig cfg = new KernelConfig("wan0", 47000, 0x400000, 20000, 20999, udpHold, List.of(Protocol.UDP, Protocol.TCP), 64,
                KernelConfig.Filtering.ENDPOINT, List.of(), List.of(TableProtection.values()),
                new KernelConfig.Economy(tcpHold, new int[] {1024, 65535}, limit, false), KernelConfig.PortMapping.NONE);
        return new Mappings(cfg, new MapWriter(new NftMaps(new ScriptedNfTables().transport, KernelConfig.TABLE)),
                nat, new InboundFlows(sink -> { }), new KernelPlaneCounters(counters),
                new Log(Log.Level.QUIET, false, 0));
    }

    private static int allocate(Mappings m, Protocol p, int host, int port, long now) {
        m.lock.lock();
        try {
            int got = m.mappingFor(p, Endpoint.of(host, port), now);
            m.commitStaged();
            return got;
        } finally {
            m.lock.unlock();
        }
    }

    @Test
    void aHostAtItsLimitGetsNoNewPortAndKeepsItsOldOnesWhileOtherHostsAreUnaffected() {
        Mappings m = mappings(3, 300, 240);
        for (int i = 0; i < 3; i++) assertTrue(allocate(m, Protocol.UDP, HOST_A, 20000 + i, 0) >= 0);
        assertEquals(Mappings.HOST_LIMIT, allocate(m, Protocol.UDP, HOST_A, 20003, 0), "a fourth endpoint of the same host");
        assertEquals(20000, allocate(m, Protocol.UDP, HOST_A, 20000, 0), "an existing mapping is still answered, never evicted");
        assertEquals(3, m.allocator(Protocol.UDP).portsOfHost(HOST_A));
        assertEquals(1, counters.value("host_limit_hits"));
        assertEquals(1, m.hosts.hits(HOST_A));
        assertEquals(20010, allocate(m, Protocol.UDP, HOST_B, 20010, 0), "another host is unaffected");
        assertTrue(allocate(m, Protocol.TCP, HOST_A, 20004, 0) >= 0, "the limit is per protocol");
        assertEquals(0, m.hosts.hits(HOST_B));
    }

    @Test
    void aPortReleasedByExpiryMakesRoomUnderTheLimit() {
        Mappings m = mappings(1, 2, 240);
        int port = allocate(m, Protocol.UDP, HOST_A, 20000, 0);
        assertEquals(Mappings.HOST_LIMIT, allocate(m, Protocol.UDP, HOST_A, 20001, 0));
        m.changed(MappingTable.Change.UNMAPPED, Protocol.UDP, port, Endpoint.of(HOST_A, 20000), 0, Endpoint.NONE);
        m.expire(System.nanoTime() + 10 * SECOND);
        assertEquals(0, m.allocator(Protocol.UDP).portsOfHost(HOST_A));
        assertTrue(allocate(m, Protocol.UDP, HOST_A, 20001, 0) >= 0);
    }

    @Test
    void anEndpointWhosePlainNatFlowHoldsItsOwnPortKeepsThatPortWhenMappedButNotAnotherEndpointsPort() {
        Mappings m = mappings(0, 300, 240);
        // 10.0.0.101:20500 talked to a DNS server first: plain NAT kept its port
        nat.flowStarted(Protocol.UDP, parseAddr("198.51.100.53"), 53, 20500, HOST_A, 20500);
        assertEquals(20500, allocate(m, Protocol.UDP, HOST_A, 20500, 0), "its own plain-NAT flow does not take the port from it");
        nat.flowStarted(Protocol.UDP, parseAddr("198.51.100.53"), 53, 20600, HOST_B, 20601); // another host's flow on 20600
        assertNotEquals(20600, allocate(m, Protocol.UDP, HOST_A, 20600, 0), "a port another endpoint's flow holds is never given");
    }

    @Test
    void tcpMappingsGoAfterTheTcpHoldWhileUdpOnesKeepTheUdpHold() {
        Mappings m = mappings(0, 300, 3);
        long t0 = System.nanoTime();
        int tcp = allocate(m, Protocol.TCP, HOST_A, 20000, t0);
        int udp = allocate(m, Protocol.UDP, HOST_A, 20001, t0);
        m.changed(MappingTable.Change.MAPPED, Protocol.TCP, tcp, Endpoint.of(HOST_A, 20000), 1, Endpoint.NONE);
        m.changed(MappingTable.Change.MAPPED, Protocol.UDP, udp, Endpoint.of(HOST_A, 20001), 1, Endpoint.NONE);
        long ended = System.nanoTime();
        m.changed(MappingTable.Change.UNMAPPED, Protocol.TCP, tcp, Endpoint.of(HOST_A, 20000), 0, Endpoint.NONE);
        m.changed(MappingTable.Change.UNMAPPED, Protocol.UDP, udp, Endpoint.of(HOST_A, 20001), 0, Endpoint.NONE);
        m.expire(ended + 5 * SECOND);
        assertEquals(0, m.allocator(Protocol.TCP).portsOfHost(HOST_A), "3 s after its last connection");
        assertEquals(1, m.allocator(Protocol.UDP).portsOfHost(HOST_A), "the UDP mapping keeps its 300 s");
        m.expire(ended + 301 * SECOND);
        assertEquals(0, m.allocator(Protocol.UDP).portsOfHost(HOST_A));
    }
}
