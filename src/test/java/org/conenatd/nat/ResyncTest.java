package org.conenatd.nat;

import org.conenatd.conntrack.Event;
import org.conenatd.conntrack.Flow;
import org.conenatd.conntrack.FlowView;
import org.conenatd.conntrack.Status;
import org.conenatd.conntrack.Tuple;
import org.junit.jupiter.api.Test;

import static org.conenatd.packet.Inet4.parseAddr;
import static org.junit.jupiter.api.Assertions.*;

/** A dump taken while events keep flowing: every interleaving ends with exactly the live flows. */
class ResyncTest {
    private static final int NAT = parseAddr("203.0.113.1");
    private static final int LAN = parseAddr("10.0.0.101");
    private static final int SNAT = Status.IPS_SRC_NAT.mask | Status.IPS_CONFIRMED.mask;

    private final FullConeNat nat = new FullConeNat(NAT, new MappingTable(), null);

    private static Flow flow(int peer, int lanPort, int natPort) {
        return new Flow(Tuple.udp(LAN, lanPort, 0xc6336400 + peer, 4000), Tuple.udp(0xc6336400 + peer, 4000, NAT, natPort),
                SNAT, 0, 0, 30, 0);
    }

    private FlowIndex dumpOf(Flow... live) {
        FlowIndex s = new FlowIndex();
        for (Flow f : live) nat.collect(new FlowView().set(f), s);
        return s;
    }

    private void event(Event.Type t, Flow f) {
        nat.onEvent(new Event(t, f));
    }

    @Test
    void flowsWhoseEventsWereLostAreAddedAndDeadOnesRemoved() {
        Flow kept = flow(1, 5000, 12000), lostNew = flow(2, 5001, 12001), lostDestroy = flow(3, 5002, 12002);
        event(Event.Type.NEW, kept);
        event(Event.Type.NEW, lostDestroy);
        // lostNew's NEW and lostDestroy's DESTROY went missing (ENOBUFS)
        nat.beginResync();
        FullConeNat.ResyncResult r = nat.finishResync(dumpOf(kept, lostNew));
        assertEquals(new FullConeNat.ResyncResult(1, 1), r);
        assertEquals(2, nat.flowCount());
        assertEquals(MappingTable.endpoint(LAN, 5001), nat.route(NAT, 12001));
        assertEquals(MappingTable.NONE, nat.route(NAT, 12002));
    }

    @Test
    void aFlowBornDuringTheDumpButMissedByItIsKept() {
        nat.beginResync();
        FlowIndex dump = dumpOf(); // the dump passed the flow's bucket before it existed
        Flow young = flow(1, 5000, 12000);
        event(Event.Type.NEW, young);
        nat.finishResync(dump);
        assertEquals(1, nat.flowCount());
        assertEquals(MappingTable.endpoint(LAN, 5000), nat.route(NAT, 12000));
    }

    @Test
    void aFlowDumpedAndThenDestroyedDuringTheWindowIsNotResurrected() {
        Flow f = flow(1, 5000, 12000);
        event(Event.Type.NEW, f);
        nat.beginResync();
        FlowIndex dump = dumpOf(f);
        event(Event.Type.DESTROY, f);
        nat.finishResync(dump);
        assertEquals(0, nat.flowCount());
        assertEquals(MappingTable.NONE, nat.route(NAT, 12000));
    }

    @Test
    void aFlowWhoseNewEventAndDumpBothArriveCountsOnce() {
        Flow f = flow(1, 5000, 12000);
        nat.beginResync();
        FlowIndex dump = dumpOf(f);
        event(Event.Type.NEW, f);
        nat.finishResync(dump);
        assertEquals(1, nat.flowCount());
        assertEquals(1, nat.table().flows(12000, MappingTable.endpoint(LAN, 5000)));
        event(Event.Type.DESTROY, f);
        assertEquals(MappingTable.NONE, nat.route(NAT, 12000), "one DESTROY ends it: never double-counted");
    }

    @Test
    void aReplyTupleReusedByAnotherEndpointWhileEventsWereLostIsReplaced() {
        Flow before = flow(1, 5000, 12000), after = flow(1, 5009, 12000); // same peer and nat-port, new LAN port
        event(Event.Type.NEW, before);
        nat.beginResync();
        nat.finishResync(dumpOf(after));
        assertEquals(1, nat.flowCount());
        assertEquals(MappingTable.endpoint(LAN, 5009), nat.route(NAT, 12000));
    }

    @Test
    void aNewEventForAReplyTupleHeldByAnotherEndpointMovesIt() {
        Flow before = flow(1, 5000, 12000), after = flow(1, 5009, 12000);
        event(Event.Type.NEW, before);
        event(Event.Type.NEW, after); // before's DESTROY was lost
        assertEquals(1, nat.flowCount());
        assertEquals(MappingTable.endpoint(LAN, 5009), nat.route(NAT, 12000));
        assertEquals(0, nat.table().flows(12000, MappingTable.endpoint(LAN, 5000)));
    }

    @Test
    void anAbortedResyncLeavesTheTableAsEventsMadeIt() {
        Flow f = flow(1, 5000, 12000);
        event(Event.Type.NEW, f);
        nat.beginResync();
        nat.abortResync(); // the dump failed
        assertEquals(1, nat.flowCount());
        assertEquals(MappingTable.endpoint(LAN, 5000), nat.route(NAT, 12000));
        assertThrows(IllegalStateException.class, () -> nat.finishResync(dumpOf()), "the window is closed");
        nat.beginResync();
        nat.finishResync(dumpOf(f));
        assertEquals(1, nat.flowCount());
    }

    @Test
    void ownDnatEntriesInTheDumpAreNotMappings() {
        Flow ours = new Flow(Tuple.udp(0xc6336401, 4000, NAT, 12000), Tuple.udp(LAN, 5000, 0xc6336401, 4000),
                SNAT | Status.IPS_DST_NAT.mask, 0, 0, 30, 0);
        nat.beginResync();
        nat.finishResync(dumpOf(ours));
        assertEquals(0, nat.flowCount());
        assertEquals(MappingTable.NONE, nat.route(NAT, 12000));
    }
}
