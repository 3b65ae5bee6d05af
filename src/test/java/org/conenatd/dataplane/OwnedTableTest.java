package org.conenatd.dataplane;

import org.conenatd.netlink.FakeTransport;
import org.conenatd.netlink.MessageReader;
import org.conenatd.nftables.Chain;
import org.conenatd.nftables.NfTables;
import org.conenatd.nftables.NftMaps;
import org.conenatd.nftables.NftSet;
import org.conenatd.nftables.RuleBuilder;
import org.conenatd.nftables.Table;
import org.conenatd.ops.Counters;
import org.conenatd.ops.Log;
import org.conenatd.ops.StartupException;
import org.conenatd.sys.Errno;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

import static org.junit.jupiter.api.Assertions.*;

/**
 * OwnedTable against a scripted kernel that lacks what older kernels lack: table flags it does not
 * know (EOPNOTSUPP, as before PERSIST or OWNER existed) and nft's queue expression (ENOENT).
 */
class OwnedTableTest {
    private final FakeTransport t = new FakeTransport();
    private int knownFlags = NfTables.NFT_TABLE_F_OWNER | NfTables.NFT_TABLE_F_PERSIST;
    private boolean hasQueueExpression = true;
    private final List<String> committed = new ArrayList<>(); // batches the kernel took, of the real table
    private final List<String> probes = new ArrayList<>();    // batches of the scratch table, "ok" or "refused"
    private int realQueueRulesSent;
    private int replays;

    OwnedTableTest() {
        t.respondWith(this::kernel);
    }

    /** Refuses a batch whose NEWTABLE has unknown flags or whose NEWRULE uses "queue"; else ACKs its end. */
    private List<byte[]> kernel(byte[] d) {
        MemorySegment s = Arena.ofAuto().allocate(d.length);
        MemorySegment.copy(d, 0, s, ValueLayout.JAVA_BYTE, 0, d.length);
        MessageReader r = new MessageReader().wrap(s, 0, d.length);
        List<byte[]> out = new ArrayList<>();
        List<String> kinds = new ArrayList<>();
        boolean failed = false, probe = false;
        int end = 0;
        while (r.next()) {
            int type = r.type();
            if (type == NfTables.NFNL_MSG_BATCH_END) { end = r.seq(); continue; }
            if (type >> 8 != NfTables.NFNL_SUBSYS_NFTABLES) continue;
            int msg = type & 0xff;
            kinds.add(String.valueOf(msg));
            String body = new String(d, (int) r.payloadOffset(), r.payloadLength(), StandardCharsets.ISO_8859_1);
            probe |= body.contains(OwnedTable.PROBE + "\0");
            if (!probe && msg == NfTables.NFT_MSG_NEWRULE && body.contains("queue\0")) realQueueRulesSent++;
            if (msg == NfTables.NFT_MSG_NEWTABLE && (flagsOf(d, r) & ~knownFlags) != 0) {
                out.add(FakeTransport.errorAnswer(r.seq(), Errno.EOPNOTSUPP, 0));
                failed = true;
            }
            if (msg == NfTables.NFT_MSG_NEWRULE && !hasQueueExpression && body.contains("queue\0")) {
                out.add(FakeTransport.errorAnswer(r.seq(), Errno.ENOENT, 0));
                failed = true;
            }
        }
        if (probe && end != 0) probes.add(failed ? "refused" : "ok");
        if (!failed && end != 0) {
            out.add(FakeTransport.errorAnswer(end, 0, 0));
            if (!probe) committed.add(String.join(",", kinds));
        }
        return out;
    }

    /** NFTA_TABLE_FLAGS (big-endian) of a NEWTABLE: its second attribute, after the name. */
    private static int flagsOf(byte[] d, MessageReader r) {
        int at = (int) r.payloadOffset() + 4;
        int nameLen = (d[at] & 0xff) | (d[at + 1] & 0xff) << 8;
        at += (nameLen + 3) & ~3;
        return ((d[at + 4] & 0xff) << 24) | ((d[at + 5] & 0xff) << 16) | ((d[at + 6] & 0xff) << 8) | (d[at + 7] & 0xff);
    }

    private static Table table(boolean nativeQueue) {
        return new Table("conenatd_test", List.of(NftSet.portToEndpoint("in_udp")), List.of(),
                List.of(new Chain("first", Chain.FILTER, NfTables.NF_INET_FORWARD, -151)),
                List.of(RuleBuilder.rule().markHas(0x400000, nativeQueue).queue(47000, true, nativeQueue).in("first", "queue")));
    }

    private OwnedTable owned() {
        return new OwnedTable(List.of(table(true), table(false)), new NftMaps(t, "conenatd_test"), new ReentrantLock(),
                new Counters(), new Log(Log.Level.QUIET, false, 0));
    }

    @Test
    void theStrongestProtectionTheKernelKnowsWinsAndAFreshTableIsReplayed() throws Exception {
        knownFlags = NfTables.NFT_TABLE_F_OWNER; // Linux 5.12 .. 6.8: no PERSIST
        OwnedTable o = owned();
        assertFalse(o.install(List.of(TableProtection.values()), null, m -> ++replays));
        assertEquals(TableProtection.OWNER, o.protection());
        assertEquals(1, replays, "the state is written into the new table once");
        assertEquals(1, committed.size(), "the refused PERSIST transaction left nothing: batches are atomic");
    }

    @Test
    void aKernelWithoutNftsQueueGetsTheXtablesTargetForm() throws Exception {
        hasQueueExpression = false;
        OwnedTable o = owned();
        o.install(List.of(TableProtection.PERSIST), null, m -> ++replays);
        assertEquals(TableProtection.PERSIST, o.protection());
        assertEquals(1, committed.size());
        assertTrue(new String(t.sent.getLast(), StandardCharsets.ISO_8859_1).contains("NFQUEUE\0"), "the xtables target was sent");
        assertEquals(List.of("refused"), probes, "the missing expression was found in the scratch table");
        assertEquals(0, realQueueRulesSent, "the real table, whose maps may hold a million elements, never got the refused form");
    }

    @Test
    void aKernelWithNftsQueueHasItTriedOnceInTheScratchTableWhichIsDeletedAgain() throws Exception {
        OwnedTable o = owned();
        o.install(List.of(TableProtection.PERSIST), null, m -> ++replays);
        assertEquals(List.of("ok", "ok"), probes, "created, then deleted");
        assertEquals(1, realQueueRulesSent);
        assertTrue(new String(t.sent.getLast(), StandardCharsets.ISO_8859_1).contains("queue\0"));
    }

    @Test
    void aProtectionAskedForThatTheKernelLacksIsAStartupError() {
        knownFlags = 0; // before Linux 5.12
        StartupException e = assertThrows(StartupException.class,
                () -> owned().install(List.of(TableProtection.OWNER), null, m -> ++replays));
        assertTrue(e.getMessage().contains("EOPNOTSUPP"), e.getMessage());
        assertEquals(0, replays);
    }

    @Test
    void anOrphanedPersistentTableIsTakenOverInPlaceWithItsElements() throws Exception {
        OwnedTable o = owned();
        boolean kept = o.install(List.of(TableProtection.PERSIST), new NftMaps.TableInfo(NfTables.NFT_TABLE_F_PERSIST, 0), m -> ++replays);
        assertTrue(kept);
        assertEquals(0, replays, "its maps are adopted, not rewritten");
        assertFalse(committed.getFirst().startsWith(String.valueOf(NfTables.NFT_MSG_DELTABLE)), "not deleted first");
    }

    @Test
    void aPlainTableIsReplacedWhenOwnershipIsWantedAndTheStateReplayed() throws Exception {
        OwnedTable o = owned();
        boolean kept = o.install(List.of(TableProtection.PERSIST), new NftMaps.TableInfo(0, 0), m -> ++replays);
        assertFalse(kept, "OWNER cannot be added to an existing table: it is deleted and created anew, in one transaction");
        assertTrue(committed.getFirst().startsWith(NfTables.NFT_MSG_DELTABLE + "," + NfTables.NFT_MSG_NEWTABLE), committed.toString());
        assertEquals(1, replays);
    }
}
