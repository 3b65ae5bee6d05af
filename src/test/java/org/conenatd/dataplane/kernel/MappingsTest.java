package org.conenatd.dataplane.kernel;

import org.conenatd.nat.Endpoint;
import org.conenatd.nat.FullConeNat;
import org.conenatd.nat.MappingTable;
import org.conenatd.nat.Protocol;
import org.conenatd.netlink.FakeTransport;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.nftables.NfTables;
import org.conenatd.nftables.NftMaps;
import org.conenatd.nftables.ScriptedNfTables;
import org.conenatd.ops.Counters;
import org.conenatd.ops.Log;
import org.conenatd.sys.Errno;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.conenatd.inet.Inet4.parseAddr;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Kernel mode's promise that the kernel never holds an element the daemon does not know, checked
 * against a scripted nf_tables transport that refuses what a test chooses.
 */
class MappingsTest {
    private static final int LAN = parseAddr("10.0.0.101");
    private static final long SECOND = 1_000_000_000L;

    private final ScriptedNfTables kernel = new ScriptedNfTables();
    private final FakeTransport nft = kernel.transport;
    private final KernelConfig cfg = new KernelConfig("wan0", 47000, 0x400000, 20000, 20009, 2, List.of(Protocol.UDP), 64);
    private final FullConeNat nat = new FullConeNat(new MappingTable());
    private final Counters counters = new Counters();
    /** Live flows that came in through the maps, as conntrack would list them: {port, endpoint}. */
    private final List<long[]> inboundFlows = new ArrayList<>();
    private boolean conntrackFails;
    private final Mappings mappings = new Mappings(cfg, new org.conenatd.dataplane.MapWriter(new NftMaps(nft, KernelConfig.TABLE)), nat,
            new InboundFlows(sink -> {
                if (conntrackFails) throw new NetlinkException("dump conntrack entries by status", Errno.ENOBUFS);
                for (long[] f : inboundFlows) sink.flow(Protocol.UDP, (int) f[0], f[1]);
            }),
            new KernelPlaneCounters(counters), new Log(Log.Level.QUIET, false, 0));
    private int allocate(int lanPort) {
        mappings.lock.lock();
        try {
            int p = mappings.mappingFor(Protocol.UDP, Endpoint.of(LAN, lanPort), 0);
            mappings.commitStaged();
            return p;
        } finally {
            mappings.lock.unlock();
        }
    }

    @Test
    void aCommittedAllocationCountsAndItsElementsWereSent() {
        assertEquals(20001, allocate(20001), "port preserved");
        assertEquals(1, mappings.allocated());
        assertEquals(1, nft.sent.size(), "both elements in one transaction");
    }

    @Test
    void anAllocationTheKernelRefusesIsForgottenAtOnce() {
        kernel.refuse = NfTables.NFT_MSG_NEWSETELEM;
        kernel.refuseErrno = Errno.ENOMEM;
        allocate(20001);
        assertEquals(0, mappings.allocated(), "no element in the kernel, so no mapping in the daemon");
        assertEquals(1, counters.value("nft_failures"));
        kernel.refuse = -1;
        assertEquals(20001, allocate(20001), "the port is free again for the next first packet");
    }

    @Test
    void anAllocationRefusedBecauseTheTableIsGoneIsKeptForTheRebuild() {
        kernel.refuse = NfTables.NFT_MSG_NEWSETELEM;
        kernel.refuseErrno = Errno.ENOENT; // another process deleted the (watched) table
        assertEquals(20001, allocate(20001));
        assertEquals(1, mappings.allocated(), "kept: the rebuild replays it, so its port does not change");
        kernel.refuse = -1;
        mappings.lock.lock();
        try {
            assertEquals(2, mappings.replay(), "the rebuilt table gets both its elements");
        } finally {
            mappings.lock.unlock();
        }
    }

    @Test
    void anExpiryTheKernelRefusesKeepsTheMappingUntilItsElementsAreGone() {
        int port = allocate(20002);
        mappings.changed(MappingTable.Change.UNMAPPED, Protocol.UDP, port, Endpoint.of(LAN, 20002), 0, Endpoint.NONE);
        kernel.refuse = NfTables.NFT_MSG_DELSETELEM;
        kernel.refuseErrno = Errno.EBUSY;
        mappings.expire(System.nanoTime() + 10 * SECOND);
        assertEquals(1, mappings.allocated(), "the kernel still has the elements: the daemon keeps knowing them");
        assertEquals(0, counters.value("expirations"));
        kernel.refuse = -1;
        mappings.expire(System.nanoTime() + 100 * SECOND);
        assertEquals(0, mappings.allocated(), "removed on the next expiry");
        assertEquals(1, counters.value("expirations"));
    }

    @Test
    void anExpiryOfAnElementAlreadyGoneCompletes() {
        int port = allocate(20003);
        mappings.changed(MappingTable.Change.UNMAPPED, Protocol.UDP, port, Endpoint.of(LAN, 20003), 0, Endpoint.NONE);
        kernel.refuse = NfTables.NFT_MSG_DELSETELEM;
        kernel.refuseErrno = Errno.ENOENT; // someone ran nft delete element: gone is gone
        mappings.expire(System.nanoTime() + 10 * SECOND);
        assertEquals(0, mappings.allocated());
    }

    /** A mapping of (LAN, lanPort) with no outbound flow left (held) and a live flow that came in through it. */
    private int heldWithAnInboundFlow(int lanPort) {
        int port = allocate(lanPort);
        long ep = Endpoint.of(LAN, lanPort);
        mappings.changed(MappingTable.Change.UNMAPPED, Protocol.UDP, port, ep, 0, Endpoint.NONE);
        inboundFlows.add(new long[] {port, ep});
        return port;
    }

    @Test
    void aDueMappingWhoseInboundFlowStillLivesIsKeptAndGoesAHoldAfterThatFlowEnds() {
        int port = heldWithAnInboundFlow(20004);
        long ep = Endpoint.of(LAN, 20004);
        long t0 = System.nanoTime() + 10 * SECOND; // the hold (2 s) is up
        mappings.expire(t0);
        assertEquals(1, mappings.allocated(), "a peer's flow through the map still lives");
        assertEquals(1, counters.value("kept_by_inbound"));
        mappings.expire(t0 + SECOND / 2);
        assertEquals(1, mappings.allocated(), "looked at again only after the recheck interval");

        inboundFlows.clear();
        long t1 = t0 + 3 * SECOND; // the recheck (min(hold, 5 s) = 2 s) is up: the flow is gone now
        mappings.expire(t1);
        assertEquals(1, mappings.allocated(), "held for the hold time after the inbound flow went");
        mappings.expire(t1 + SECOND);
        assertEquals(1, mappings.allocated());
        mappings.expire(t1 + 2 * SECOND + 1);
        assertEquals(0, mappings.allocated(), "released a hold after its last flow");
        assertEquals(1, counters.value("expirations"));
        assertEquals(1, counters.value("kept_by_inbound"), "counted once per keep, not per look");
    }

    @Test
    void anInboundFlowToTheSamePortForAnotherEndpointKeepsNothing() {
        int port = allocate(20005);
        mappings.changed(MappingTable.Change.UNMAPPED, Protocol.UDP, port, Endpoint.of(LAN, 20005), 0, Endpoint.NONE);
        inboundFlows.add(new long[] {port, Endpoint.of(LAN + 1, 20005)}); // an older flow DNAT'd elsewhere
        mappings.expire(System.nanoTime() + 10 * SECOND);
        assertEquals(0, mappings.allocated());
    }

    @Test
    void whenConntrackCannotBeAskedNothingExpires() {
        int port = allocate(20006);
        mappings.changed(MappingTable.Change.UNMAPPED, Protocol.UDP, port, Endpoint.of(LAN, 20006), 0, Endpoint.NONE);
        conntrackFails = true;
        mappings.expire(System.nanoTime() + 10 * SECOND);
        assertEquals(1, mappings.allocated(), "an unknown inbound flow may still use it");
        conntrackFails = false;
        mappings.expire(System.nanoTime() + 10 * SECOND);
        assertEquals(0, mappings.allocated());
    }

    @Test
    void anOutboundFlowAfterAnInboundKeepStartsTheHoldAnew() {
        int port = heldWithAnInboundFlow(20007);
        long ep = Endpoint.of(LAN, 20007);
        long t0 = System.nanoTime() + 10 * SECOND;
        mappings.expire(t0);
        inboundFlows.clear();
        mappings.changed(MappingTable.Change.MAPPED, Protocol.UDP, port, ep, 1, Endpoint.NONE);
        mappings.changed(MappingTable.Change.UNMAPPED, Protocol.UDP, port, ep, 0, Endpoint.NONE); // hold from now
        mappings.expire(t0 + 3 * SECOND);
        assertEquals(0, mappings.allocated(), "no extra hold left over from the inbound keep");
    }

    @Test
    void anEndpointWithOnlyInboundFlowsKeepsItsPortAcrossACleanRestart() {
        long ep = Endpoint.of(LAN, 5555);
        inboundFlows.add(new long[] {20008, ep}); // the table went with SIGTERM; conntrack still DNATs to it
        mappings.adoptLiveFlows(System.nanoTime(), null);
        assertEquals(20008, mappings.allocator(Protocol.UDP).portOf(ep));
        assertEquals(1, nft.sent.size(), "its elements are back in the maps");
    }

    @Test
    void allocationAvoidsAPortThatADnatdFlowUses() {
        inboundFlows.add(new long[] {20001, Endpoint.of(LAN + 9, 80)}); // a port forward's live flow
        mappings.expire(System.nanoTime()); // nothing due, but the first look at conntrack is overdue
        assertNotEquals(20001, allocate(20001), "not preserved onto a port forward's flows");
    }
}
