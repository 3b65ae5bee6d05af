package org.conenatd.nat;

import org.junit.jupiter.api.Test;

import static org.conenatd.inet.Inet4.parseAddr;
import static org.junit.jupiter.api.Assertions.*;

/** A snapshot taken while flows keep starting and ending: every interleaving ends with exactly the live flows. */
class ResyncTest {
    private static final int LAN = parseAddr("10.0.0.101");
    private static final Protocol UDP = Protocol.UDP;

    private final FullConeNat nat = new FullConeNat();

    private static MappingFlow flow(int peer, int lanPort, int natPort) {
        return new MappingFlow(UDP, LAN, lanPort, natPort, 0xc6336400 + peer, 4000);
    }

    private static FlowSnapshot dumpOf(MappingFlow... live) {
        FlowSnapshot s = new FlowSnapshot();
        for (MappingFlow f : live) s.add(f);
        return s;
    }

    private long route(int natPort) {
        return nat.lookup(UDP, natPort);
    }

    @Test
    void flowsWhoseEventsWereLostAreAddedAndDeadOnesRemoved() {
        MappingFlow kept = flow(1, 5000, 12000), lostNew = flow(2, 5001, 12001), lostDestroy = flow(3, 5002, 12002);
        nat.flowStarted(kept);
        nat.flowStarted(lostDestroy);
        // lostNew's start and lostDestroy's end went missing (ENOBUFS)
        nat.beginResync();
        FullConeNat.ResyncResult r = nat.finishResync(dumpOf(kept, lostNew));
        assertEquals(new FullConeNat.ResyncResult(1, 1), r);
        assertEquals(2, nat.flowCount());
        assertEquals(Endpoint.of(LAN, 5001), route(12001));
        assertEquals(Endpoint.NONE, route(12002));
    }

    @Test
    void aFlowBornDuringTheDumpButMissedByItIsKept() {
        nat.beginResync();
        FlowSnapshot dump = dumpOf(); // the dump passed the flow's bucket before it existed
        MappingFlow young = flow(1, 5000, 12000);
        nat.flowStarted(young);
        nat.finishResync(dump);
        assertEquals(1, nat.flowCount());
        assertEquals(Endpoint.of(LAN, 5000), route(12000));
    }

    @Test
    void aFlowDumpedAndThenDestroyedDuringTheWindowIsNotResurrected() {
        MappingFlow f = flow(1, 5000, 12000);
        nat.flowStarted(f);
        nat.beginResync();
        FlowSnapshot dump = dumpOf(f);
        nat.flowEnded(f);
        nat.finishResync(dump);
        assertEquals(0, nat.flowCount());
        assertEquals(Endpoint.NONE, route(12000));
    }

    @Test
    void aFlowWhoseNewEventAndDumpBothArriveCountsOnce() {
        MappingFlow f = flow(1, 5000, 12000);
        nat.beginResync();
        FlowSnapshot dump = dumpOf(f);
        nat.flowStarted(f);
        nat.finishResync(dump);
        assertEquals(1, nat.flowCount());
        assertEquals(1, nat.table().flows(UDP, 12000, Endpoint.of(LAN, 5000)));
        nat.flowEnded(f);
        assertEquals(Endpoint.NONE, route(12000), "one end ends it: never double-counted");
    }

    @Test
    void aReplyTupleReusedByAnotherEndpointWhileEventsWereLostIsReplaced() {
        MappingFlow before = flow(1, 5000, 12000), after = flow(1, 5009, 12000); // same peer and nat-port, new LAN port
        nat.flowStarted(before);
        nat.beginResync();
        nat.finishResync(dumpOf(after));
        assertEquals(1, nat.flowCount());
        assertEquals(Endpoint.of(LAN, 5009), route(12000));
    }

    @Test
    void aNewEventForAReplyTupleHeldByAnotherEndpointMovesIt() {
        MappingFlow before = flow(1, 5000, 12000), after = flow(1, 5009, 12000);
        nat.flowStarted(before);
        nat.flowStarted(after); // before's end was lost
        assertEquals(1, nat.flowCount());
        assertEquals(Endpoint.of(LAN, 5009), route(12000));
        assertEquals(0, nat.table().flows(UDP, 12000, Endpoint.of(LAN, 5000)));
    }

    @Test
    void anAbortedResyncLeavesTheTableAsEventsMadeIt() {
        MappingFlow f = flow(1, 5000, 12000);
        nat.flowStarted(f);
        nat.beginResync();
        nat.abortResync(); // the dump failed
        assertEquals(1, nat.flowCount());
        assertEquals(Endpoint.of(LAN, 5000), route(12000));
        assertThrows(IllegalStateException.class, () -> nat.finishResync(dumpOf()), "the window is closed");
        nat.beginResync();
        nat.finishResync(dumpOf(f));
        assertEquals(1, nat.flowCount());
    }

    @Test
    void eachProtocolIsReconciledOnItsOwn() {
        MappingFlow udp = flow(1, 5000, 12000);
        MappingFlow tcp = new MappingFlow(Protocol.TCP, LAN, 6000, 12000, 0xc6336401, 4000); // same peer and port
        nat.flowStarted(udp);
        nat.beginResync();
        nat.finishResync(dumpOf(udp, tcp));
        assertEquals(2, nat.flowCount());
        assertEquals(Endpoint.of(LAN, 5000), route(12000));
        assertEquals(Endpoint.of(LAN, 6000), nat.lookup(Protocol.TCP, 12000));
    }
}
