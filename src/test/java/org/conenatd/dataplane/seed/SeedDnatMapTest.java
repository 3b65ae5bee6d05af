package org.conenatd.dataplane.seed;

import org.conenatd.nat.FullConeNat;
import org.conenatd.nat.MappingTable;
import org.conenatd.nat.Protocol;
import org.conenatd.nftables.NfTables;
import org.conenatd.nftables.NftMaps;
import org.conenatd.nftables.ScriptedNfTables;
import org.conenatd.ops.Counters;
import org.conenatd.ops.Log;
import org.conenatd.sys.Errno;
import org.junit.jupiter.api.Test;

import static org.conenatd.inet.Inet4.parseAddr;
import static org.junit.jupiter.api.Assertions.*;

/** Seed mode's kernel DNAT map follows the core's table, within the operator's port ranges, against a scripted nf_tables. */
class SeedDnatMapTest {
    private static final int PEER = parseAddr("198.51.100.7"), LAN = parseAddr("10.0.0.101");

    private final ScriptedNfTables kernel = new ScriptedNfTables();
    private final FullConeNat nat = new FullConeNat(new MappingTable());
    private final Counters counters = new Counters();
    private final SeedDnatMap dnat = new SeedDnatMap(new int[] {10240, 16383, 22528, 65535}, nat,
            new NftMaps(kernel.transport, SeedDnatMap.TABLE), counters, new Log(Log.Level.QUIET, false, 0));

    SeedDnatMapTest() {
        nat.addListener(dnat);
    }

    private long ports() {
        return counters.value("kernel_dnat_ports");
    }

    @Test
    void aMappedPortInTheRangesGetsItsElementInOneTransaction() {
        nat.flowStarted(Protocol.UDP, PEER, 3478, 12000, LAN, 5000);
        nat.flowStarted(Protocol.UDP, PEER, 3478, 12001, LAN, 5001);
        assertEquals(2, dnat.drainOnce(), "two dirty ports");
        assertEquals(1, kernel.transport.sent.size(), "one transaction for the batch");
        assertTrue(kernel.seen[NfTables.NFT_MSG_NEWSETELEM] >= 1, "the elements were added");
        assertEquals(2, ports());
        assertEquals(2, counters.value("kernel_dnat_updates"));
    }

    @Test
    void portsOutsideTheRangesAndRefreshesWriteNothing() {
        nat.flowStarted(Protocol.UDP, PEER, 3478, 5000, LAN, 5000);   // normal-NAT part: RETURNed by the rules
        nat.flowStarted(Protocol.UDP, PEER, 3478, 20000, LAN, 5001);  // a host left out of the queue
        nat.flowStarted(Protocol.TCP, PEER, 80, 12000, LAN, 5002);    // the seed is UDP only
        assertEquals(0, dnat.drainOnce());
        nat.flowStarted(Protocol.UDP, PEER, 3478, 12000, LAN, 5000);
        dnat.drainOnce();
        nat.flowStarted(Protocol.UDP, PEER, 3479, 12000, LAN, 5000); // a second flow: the receiver stays
        assertEquals(0, dnat.drainOnce());
    }

    @Test
    void anUnmappedPortLosesItsElement() {
        nat.flowStarted(Protocol.UDP, PEER, 3478, 12000, LAN, 5000);
        dnat.drainOnce();
        nat.flowEnded(Protocol.UDP, PEER, 3478, 12000);
        dnat.drainOnce();
        assertEquals(0, ports());
        assertEquals(2, kernel.seen[NfTables.NFT_MSG_DESTROYSETELEM], "destroyed before the add (in case), and now");
    }

    @Test
    void aPortThatChangesTwiceBeforeTheWriterRunsIsWrittenOnceWithItsLatestReceiver() {
        nat.flowStarted(Protocol.UDP, PEER, 3478, 12000, LAN, 5000);
        nat.flowEnded(Protocol.UDP, PEER, 3478, 12000);
        nat.flowStarted(Protocol.UDP, PEER, 3478, 12000, LAN + 1, 5000);
        assertEquals(1, dnat.drainOnce(), "one dirty port");
        assertEquals(1, ports());
        assertEquals(1, counters.value("kernel_dnat_updates"));
    }

    @Test
    void theMappingsThereBeforeTheTableWasBuiltAreWrittenByTheReplay() {
        FullConeNat earlier = new FullConeNat(new MappingTable());
        earlier.flowStarted(Protocol.UDP, PEER, 3478, 12000, LAN, 5000);
        Counters own = new Counters();
        SeedDnatMap late = new SeedDnatMap(new int[] {10240, 65535}, earlier, new NftMaps(kernel.transport, SeedDnatMap.TABLE),
                own, new Log(Log.Level.QUIET, false, 0));
        earlier.addListener(late);
        assertEquals(1, late.replayAll(), "the table was (re)built: every mapped port in the ranges is written again");
        late.drainOnce();
        assertEquals(1, own.value("kernel_dnat_ports"));
        assertEquals(1, late.replayAll(), "a rebuilt table counts every element as absent");
        late.drainOnce();
        assertEquals(1, own.value("kernel_dnat_ports"), "written again, counted once");
    }

    @Test
    void aRefusedBatchIsRetriedPortByPortAndARefusedPortStaysWithTheQueue() {
        nat.flowStarted(Protocol.UDP, PEER, 3478, 12000, LAN, 5000);
        kernel.refuse = NfTables.NFT_MSG_NEWSETELEM;
        kernel.refuseErrno = Errno.ENOMEM;
        dnat.drainOnce();
        assertEquals(0, ports(), "nothing in the kernel: its first packets keep going through the queue");
        assertEquals(1, counters.value("kernel_dnat_failures"), "one port refused, in the batch and alone");
        kernel.refuse = -1;
        nat.flowEnded(Protocol.UDP, PEER, 3478, 12000);
        nat.flowStarted(Protocol.UDP, PEER, 3478, 12000, LAN, 5000);
        dnat.drainOnce();
        assertEquals(1, ports(), "the next change writes it");
    }

    @Test
    void aRefusedMoveLeavesNoStaleElementAndIsRetriedASecondLater() {
        nat.flowStarted(Protocol.UDP, PEER, 3478, 12000, LAN, 5000);
        dnat.drainOnce();
        assertEquals(1, ports());
        kernel.refuse = NfTables.NFT_MSG_NEWSETELEM;
        kernel.refuseErrno = Errno.ENOMEM;
        nat.flowEnded(Protocol.UDP, PEER, 3478, 12000);
        nat.flowStarted(Protocol.UDP, PEER, 3478, 12000, LAN + 1, 5000); // another host receives now
        dnat.drainOnce();
        assertEquals(0, ports(), "the old host's element is gone: the queue, which knows the new receiver, takes over");
        kernel.refuse = -1;
        dnat.retryFailed(System.nanoTime());
        assertEquals(0, dnat.drainOnce(), "not before a second has passed");
        dnat.retryFailed(System.nanoTime() + 2_000_000_000L);
        assertEquals(1, dnat.drainOnce());
        assertEquals(1, ports(), "written on the retry");
    }
}
