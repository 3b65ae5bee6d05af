package org.conenatd.dataplane.kernel;

import org.conenatd.dataplane.MapWriter;
import org.conenatd.dataplane.TableProtection;
import org.conenatd.nat.Endpoint;
import org.conenatd.nat.FullConeNat;
import org.conenatd.nat.MappingOrigin;
import org.conenatd.nat.MappingTable;
import org.conenatd.nat.Protocol;
import org.conenatd.nftables.NftMaps;
import org.conenatd.nftables.ScriptedNfTables;
import org.conenatd.ops.Counters;
import org.conenatd.ops.Log;
import org.conenatd.portmap.PortMapper;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.conenatd.inet.Inet4.parseAddr;
import static org.junit.jupiter.api.Assertions.*;

/** Mappings on request share the allocator with conenatd's own: suggested ports, exact ports, leases, deletes, statics. */
class LeasesTest {
    private static final int A = parseAddr("10.0.0.11"), B = parseAddr("10.0.0.12");
    private static final long SECOND = 1_000_000_000L;
    private final Mappings m = new Mappings(new KernelConfig("wan0", 47000, 0x400000, 20000, 20999, 2, List.of(Protocol.UDP, Protocol.TCP), 64,
            KernelConfig.Filtering.ENDPOINT, List.of(), List.of(TableProtection.values()), KernelConfig.Economy.DEFAULT, KernelConfig.PortMapping.NONE),
            new MapWriter(new NftMaps(new ScriptedNfTables().transport, KernelConfig.TABLE)), new FullConeNat(new MappingTable()),
            new InboundFlows(sink -> { }), new KernelPlaneCounters(new Counters()), new Log(Log.Level.QUIET, false, 0));
    private final Leases leases = new Leases(m, "wan0", 3600, new Log(Log.Level.QUIET, false, 0));

    @Test
    void aFreeSuggestedPortIsGrantedAndTheLifetimeCapped() throws Exception {
        PortMapper.Grant g = leases.map(PortMapper.Origin.NATPMP, Protocol.UDP, A, 5000, 20500, false, 86400, "");
        assertEquals(new PortMapper.Grant(20500, 3600), g);
        assertEquals(MappingOrigin.NATPMP, m.allocator(Protocol.UDP).originOf(20500));
        assertEquals(1, leases.leases().size());
    }

    @Test
    void aTakenSuggestionGetsAnotherPortUnlessExactIsAsked() throws Exception {
        leases.map(PortMapper.Origin.UPNP, Protocol.UDP, A, 5000, 20500, true, 60, "game");
        assertNotEquals(20500, leases.map(PortMapper.Origin.NATPMP, Protocol.UDP, B, 5000, 20500, false, 60, "").externalPort());
        PortMapper.Refused r = assertThrows(PortMapper.Refused.class,
                () -> leases.map(PortMapper.Origin.UPNP, Protocol.UDP, B, 6000, 20500, true, 60, ""));
        assertEquals(PortMapper.Reason.PORT_IN_USE, r.reason);
        assertEquals("game", leases.leaseOf(Protocol.UDP, 20500).description());
    }

    @Test
    void anEndpointHasOnePortWhateverAsksAndAnExactRequestMovesIt() throws Exception {
        int first = leases.map(PortMapper.Origin.PCP, Protocol.UDP, A, 5000, 0, false, 60, "").externalPort();
        assertEquals(first, leases.map(PortMapper.Origin.PCP, Protocol.UDP, A, 5000, 20777, false, 60, "").externalPort(), "renewed, not moved");
        assertEquals(20777, leases.map(PortMapper.Origin.UPNP, Protocol.UDP, A, 5000, 20777, true, 60, "").externalPort());
        assertEquals(Endpoint.NONE, m.allocator(Protocol.UDP).ownerOf(first), "the old port went back to the pool");
    }

    @Test
    void aLeaseOutlivesTheHoldAndADeleteOfAMappingWithoutFlowsFreesItAtOnce() throws Exception {
        int port = leases.map(PortMapper.Origin.NATPMP, Protocol.UDP, A, 5000, 0, false, 60, "").externalPort();
        m.expire(System.nanoTime() + 10 * SECOND); // the 2 s hold is up, the 60 s lease is not
        assertEquals(Endpoint.of(A, 5000), m.allocator(Protocol.UDP).ownerOf(port));
        assertFalse(leases.unmap(PortMapper.Origin.UPNP, Protocol.UDP, A, 5000), "only its origin deletes a lease");
        assertTrue(leases.unmap(PortMapper.Origin.NATPMP, Protocol.UDP, A, 5000));
        assertEquals(Endpoint.NONE, m.allocator(Protocol.UDP).ownerOf(port));
        m.expire(System.nanoTime() + 100 * SECOND);
    }

    @Test
    void aStaticMappingTakesItsPortFromADynamicOneAndNeverExpires() throws Exception {
        leases.map(PortMapper.Origin.NATPMP, Protocol.UDP, B, 7000, 20074, true, 60, "");
        leases.applyStatic(List.of(new KernelConfig.PortMapping.Static(Protocol.UDP, 20074, A, 3074)));
        assertEquals(Endpoint.of(A, 3074), m.allocator(Protocol.UDP).ownerOf(20074));
        assertEquals(-1, m.allocator(Protocol.UDP).portOf(Endpoint.of(B, 7000)));
        m.expire(System.nanoTime() + 1_000_000 * SECOND);
        assertEquals(Endpoint.of(A, 3074), m.allocator(Protocol.UDP).ownerOf(20074), "static: for ever");
        assertTrue(leases.leases().isEmpty(), "statics are not protocol leases");
    }

    @Test
    void withAPoolLeasesAndStaticsLandOnTheHostsOwnAddressAndAreToldSo() throws Exception {
        int x1 = parseAddr("203.0.113.40"), x2 = parseAddr("203.0.113.41");
        KernelConfig cfg = new KernelConfig("wan0", 47000, 0x400000, 20000, 20999, 2, List.of(Protocol.UDP, Protocol.TCP), 64,
                KernelConfig.Filtering.ENDPOINT, List.of(), List.of(TableProtection.values()), KernelConfig.Economy.DEFAULT,
                KernelConfig.PortMapping.NONE).withPool(new KernelConfig.Pool(new int[] {x1, x2}, 0));
        Mappings pm = new Mappings(cfg, new MapWriter(new NftMaps(new ScriptedNfTables().transport, KernelConfig.TABLE)),
                new FullConeNat(new MappingTable()), new InboundFlows(sink -> { }), new KernelPlaneCounters(new Counters()),
                new Log(Log.Level.QUIET, false, 0));
        Leases pl = new Leases(pm, "wan0", 3600, new Log(Log.Level.QUIET, false, 0));
        assertEquals(20500, pl.map(PortMapper.Origin.NATPMP, Protocol.UDP, A, 5000, 20500, false, 60, "").externalPort());
        int addrA = pl.externalAddress(A);
        assertTrue(addrA == x1 || addrA == x2);
        int addrB = pl.externalAddress(B);
        assertNotEquals(addrA, addrB, "a new host is told the address it would get: the least used");
        assertEquals(20500, pl.map(PortMapper.Origin.PCP, Protocol.UDP, B, 5000, 20500, true, 60, "").externalPort(),
                "the same port on B's own address is free");
        pl.applyStatic(List.of(new KernelConfig.PortMapping.Static(Protocol.TCP, 20074, A, 3074)));
        int st = pm.allocator(Protocol.TCP).portOf(Endpoint.of(A, 3074));
        assertEquals(20074, org.conenatd.nat.External.port(st));
        assertEquals(addrA, pm.pool.address(org.conenatd.nat.External.index(st)), "paired: A's TCP static on A's address");
        assertEquals(addrA, pl.externalAddress(A));
        // UPnP names a lease by its port: each host means the one on its own address
        assertEquals(A, pl.leaseOf(Protocol.UDP, 20500, A).internalIp());
        assertEquals(B, pl.leaseOf(Protocol.UDP, 20500, B).internalIp());
    }
}
