package org.conenatd.nftables;

import org.conenatd.netlink.Decoder;
import org.conenatd.netlink.Encoder;
import org.conenatd.netlink.MessageReader;
import org.conenatd.netlink.Netlink;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

import static org.conenatd.nftables.NfTables.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** What the ruleset's notifications say: which table changed, who asked, and who committed. */
class RulesetMonitorTest {
    private final Encoder e = new Encoder(Arena.ofAuto().allocate(4096, 8));

    /** A notification as the kernel multicasts it: nlmsg_pid is the port id of the socket that asked. */
    private void notification(int msg, int family, int portId, String table) {
        int m = e.begin(msgType(msg), 0, 7);
        e.nfgenmsg(family, 0);
        e.bytes(1, (table + "\0").getBytes());
        e.end(m);
        e.buffer().set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, m + 12, portId);
    }

    @Test
    void aForeignDeletionAndTheCommitThatFollowsAreReported() {
        notification(NFT_MSG_DELRULE, NFPROTO_IPV4, 77, "conenatd");
        notification(NFT_MSG_DELTABLE, NFPROTO_IPV4, 77, "conenatd");
        notification(NFT_MSG_DELTABLE, NFPROTO_INET, 77, "filter"); // another family: not one of ours
        int g = e.begin(msgType(NFT_MSG_NEWGEN), 0, 8);
        e.nfgenmsg(NFPROTO_UNSPEC, 0);
        e.u32be(NFTA_GEN_ID, 99);
        e.u32be(NFTA_GEN_PROC_PID, 4242);
        e.bytes(NFTA_GEN_PROC_NAME, "nft\0".getBytes());
        e.end(g);
        List<String> seen = new ArrayList<>();
        RulesetMonitor.Listener l = new RulesetMonitor.Listener() {
            public void changed(int msg, String table, int portId) { seen.add(msg + " " + table + " " + portId); }
            public void committed(int pid, String name) { seen.add("commit " + pid + " " + name); }
            public void lost() { seen.add("lost"); }
        };
        MessageReader r = new MessageReader().wrap(e.buffer(), 0, e.length());
        Decoder d = new Decoder();
        while (r.next()) RulesetMonitor.decode(r, d, l);
        assertEquals(List.of(NFT_MSG_DELRULE + " conenatd 77", NFT_MSG_DELTABLE + " conenatd 77", "commit 4242 nft"), seen);
        assertEquals(7, Netlink.NFNLGRP_NFTABLES);
    }
}
