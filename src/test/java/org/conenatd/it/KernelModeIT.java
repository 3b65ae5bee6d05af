package org.conenatd.it;

import org.junit.jupiter.api.Test;

import java.net.DatagramSocket;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.conenatd.it.Lab.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Kernel mode ({@code -i eth0}) on a router whose only NAT rule is a masquerade, with real peers:
 * conenatd allocates the ports and keeps the nftables maps; the kernel does the rest.
 */
class KernelModeIT {




    /**
     * How many {@code queue num 47000 bypass} rules (the xtables NFQUEUE target, through nft_compat)
     * {@code nft list chain ip conenatd first} shows: the owned table's queue verdict for first packets.
     */
    private static int queueRules(Lab lab) throws Exception {
        Result r = lab.exec(lab.rtr, "nft", "list", "chain", "ip", "conenatd", "first");
        assertEquals(0, r.code(), r.out());
        return (int) r.out().lines().filter(l -> l.contains("queue num 47000 bypass")).count();
    }

    /** A fresh WAN peer sends to the public port; the LAN socket must get it from the peer's real address, and its answer must come back from the public port. */
    private static void freshPeerGetsThrough(Lab lab, DatagramSocket lanSock, String peerAddr, int peerPort, String natAddr, int natPort)
            throws Exception {
        lab.freshPeerGetsThrough(lanSock, peerAddr, peerPort, natAddr, natPort);
    }

    @Test
    void stunSeesFullConeWithTheDaemonAndSigtermRestoresTheRuleset() throws Exception {
        try (Lab lab = new Lab("plain")) {
            lab.startStund();
            String before = lab.stunVerdict(LAN1);
            assertTrue(before.contains("Port Dependent Filter"), "plain masquerade: " + before);
            String rulesBefore = lab.ruleset();

            lab.startKernelDaemon();
            String with = lab.stunVerdict(LAN1);
            assertTrue(with.contains("Independent Mapping") && with.contains("Independent Filter")
                    && !with.contains("Dependent Filter"), "kernel mode: " + with + "\n" + lab.daemonLog());
            assertTrue(with.contains("preserves ports"), with);
            assertTrue(lab.daemonLog().contains("allocated"), lab.daemonLog());
            assertTrue(lab.ruleset().contains("table ip conenatd"));

            assertEquals(0, lab.stopDaemon());
            assertEquals(rulesBefore, lab.ruleset(), "SIGTERM leaves the ruleset exactly as before the start");
            String after = lab.stunVerdict(LAN1);
            assertTrue(after.contains("Port Dependent Filter"), "after the daemon stopped: " + after);
        }
    }

    @Test
    void rfc5780DiscoverySaysEndpointIndependentMappingAndFiltering() throws Exception {
        try (Lab lab = new Lab("plain")) {
            lab.startTurnserver();
            String plain = lab.natDiscovery(LAN1);
            assertTrue(plain.contains("NAT with Endpoint Independent Mapping!")
                    && plain.contains("NAT with Address and Port Dependent Filtering!"), "plain masquerade: " + plain);
            lab.startKernelDaemon();
            String with = lab.natDiscovery(LAN1);
            assertTrue(with.contains("NAT with Endpoint Independent Mapping!")
                    && with.contains("NAT with Endpoint Independent Filtering!"), "kernel mode: " + with + "\n" + lab.daemonLog());
        }
    }

    @Test
    void twoLanHostsOnTheSameSourcePortGetDistinctPortsAndFreshPeersReachEachWithoutUserSpace() throws Exception {
        try (Lab lab = new Lab("plain")) {
            lab.startKernelDaemon();
            DatagramSocket a = lab.udp(lab.lan, LAN1, 40000);
            DatagramSocket b = lab.udp(lab.lan, LAN2, 40000);
            DatagramSocket server = lab.udp(lab.wan, "203.0.113.10", 5000);
            int pa = lab.publicPort(a, server, "203.0.113.10", 5000, NAT_IP);
            int pb = lab.publicPort(b, server, "203.0.113.10", 5000, NAT_IP);
            assertEquals(40000, pa, "the first endpoint keeps its own port (port preservation)");
            assertNotEquals(pa, pb, "no two LAN endpoints ever share a port");
            long queued = lab.awaitStat("allocations", v -> v == 2, 5000);
            long queuedBefore = lab.stats().get("queued");

            // the same endpoint to another destination: the same port, and nothing queued
            DatagramSocket other = lab.udp(lab.wan, "203.0.113.20", 5001);
            assertEquals(pa, lab.publicPort(a, other, "203.0.113.20", 5001, NAT_IP), "endpoint-independent mapping");

            for (int i = 0; i < 3; i++) {
                freshPeerGetsThrough(lab, a, "203.0.113." + (11 + i), 6000 + i, NAT_IP, pa);
                freshPeerGetsThrough(lab, b, "203.0.113." + (21 + i), 6100 + i, NAT_IP, pb);
            }
            lab.awaitStat("inbound_flows", v -> v >= 6, 3000); // counted by the kernel's rule
            Thread.sleep(1200); // the stats file is rewritten every second
            Map<String, Long> s = lab.stats();
            assertEquals(queuedBefore, s.get("queued"), "inbound packets and known endpoints never reach the queue: " + s);
            assertEquals(2, s.get("allocations"), s.toString());
            assertEquals(2L, queued);
        }
    }

    @Test
    void aMappingOutlivesItsLastFlowByTheHoldTimeAndThenItsPortIsClosed() throws Exception {
        try (Lab lab = new Lab("plain")) {
            lab.startKernelDaemon("--hold", "2");
            assertTrue(lab.daemonLog().contains("below RFC 4787's 120 s"), "a short hold is warned about");
            DatagramSocket a = lab.udp(lab.lan, LAN1, 41000);
            DatagramSocket server = lab.udp(lab.wan, "203.0.113.10", 5000);
            int port = lab.publicPort(a, server, "203.0.113.10", 5000, NAT_IP);
            freshPeerGetsThrough(lab, a, "203.0.113.11", 6000, NAT_IP, port);

            lab.exec(lab.rtr, "conntrack", "-F"); // every flow ends now
            Thread.sleep(500);
            freshPeerGetsThrough(lab, a, "203.0.113.12", 6001, NAT_IP, port); // still held
            lab.exec(lab.rtr, "conntrack", "-F");
            lab.awaitStat("expirations", v -> v >= 1, 8000);
            assertTrue(lab.daemonLog().contains("udp eth0:" + port + " -> " + LAN1 + ":41000 released"), lab.daemonLog());
            assertFalse(lab.exec(lab.rtr, "nft", "list", "map", "ip", "conenatd", "in_udp").out().contains(port + " :"),
                    "the element is gone with the mapping");
            DatagramSocket late = lab.udp(lab.wan, "203.0.113.13", 6002);
            Lab.send(late, NAT_IP, port, "too late");
            assertNull(Lab.receive(a, 1500), "after the hold an unsolicited packet no longer gets in");
        }
    }

    @Test
    void aFlowThatCameInKeepsItsMappingPastTheHoldAndSendsNoConntrackEvents() throws Exception {
        try (Lab lab = new Lab("plain")) {
            lab.startKernelDaemon("--hold", "2");
            DatagramSocket a = lab.udp(lab.lan, LAN1, 41500);
            DatagramSocket server = lab.udp(lab.wan, "203.0.113.10", 5000);
            int port = lab.publicPort(a, server, "203.0.113.10", 5000, NAT_IP);
            lab.awaitStat("events", v -> v >= 1, 3000); // the outbound flow's NEW
            Thread.sleep(1200);
            long events = lab.stats().get("events");
            for (int i = 0; i < 3; i++) freshPeerGetsThrough(lab, a, "203.0.113." + (11 + i), 6000 + i, NAT_IP, port);
            Thread.sleep(1200); // the stats file is rewritten every second
            assertEquals(events, lab.stats().get("events"), "flows that come in through the maps send no events");

            // only the inbound flows are left: the mapping outlives the hold while they live
            lab.exec(lab.rtr, "conntrack", "-D", "-p", "udp", "-s", LAN1, "--sport", "41500");
            Thread.sleep(5000);
            Map<String, Long> s = lab.stats();
            assertEquals(0, s.get("expirations"), "kept by the inbound flows: " + s + "\n" + lab.daemonLog());
            assertTrue(s.get("kept_by_inbound") >= 1, s.toString());
            freshPeerGetsThrough(lab, a, "203.0.113.14", 6004, NAT_IP, port);

            // a clean restart removes the table; conntrack still holds the inbound flows, so the port stays
            assertEquals(0, lab.stopDaemon());
            lab.startKernelDaemon("--hold", "2");
            assertTrue(lab.daemonLog().contains("adopted 1 mappings from live conntrack flows"), lab.daemonLog());
            freshPeerGetsThrough(lab, a, "203.0.113.15", 6005, NAT_IP, port);

            // the inbound flows end: the mapping goes a hold (and at most one recheck) later
            lab.exec(lab.rtr, "conntrack", "-D", "-p", "udp", "--orig-port-dst", Integer.toString(port));
            lab.awaitStat("expirations", v -> v >= 1, 10_000);
            assertTrue(lab.daemonLog().contains("udp eth0:" + port + " -> " + LAN1 + ":41500 released"), lab.daemonLog());
        }
    }

    @Test
    void killAndRestartChangeNoLivePort() throws Exception {
        try (Lab lab = new Lab("plain")) {
            lab.startKernelDaemon();
            DatagramSocket a = lab.udp(lab.lan, LAN1, 42000);
            DatagramSocket b = lab.udp(lab.lan, LAN2, 42000);
            DatagramSocket server = lab.udp(lab.wan, "203.0.113.10", 5000);
            int pa = lab.publicPort(a, server, "203.0.113.10", 5000, NAT_IP);
            int pb = lab.publicPort(b, server, "203.0.113.10", 5000, NAT_IP);

            int queueRules = queueRules(lab);
            assertTrue(queueRules >= 1, "the queue verdict for first packets is in the table's chain first");

            lab.killDaemon();
            freshPeerGetsThrough(lab, b, "203.0.113.11", 6000, NAT_IP, pb); // the kernel keeps working without us
            lab.startKernelDaemon();
            assertTrue(lab.daemonLog().contains("adopted 2 mappings from the maps a previous instance left"), lab.daemonLog());
            freshPeerGetsThrough(lab, a, "203.0.113.12", 6001, NAT_IP, pa);
            assertEquals(queueRules, queueRules(lab), "the queue rule is not added twice");

            assertEquals(0, lab.stopDaemon()); // SIGTERM: the table goes, the flows stay
            lab.startKernelDaemon();
            assertTrue(lab.daemonLog().contains("adopted 2 mappings from live conntrack flows"), lab.daemonLog());
            DatagramSocket other = lab.udp(lab.wan, "203.0.113.20", 5002);
            assertEquals(pb, lab.publicPort(b, other, "203.0.113.20", 5002, NAT_IP), "a new flow after the restart: same port");
            freshPeerGetsThrough(lab, a, "203.0.113.13", 6002, NAT_IP, pa);
        }
    }

    @Test
    void aWanAddressChangeKeepsEveryPortOnTheNewAddress() throws Exception {
        try (Lab lab = new Lab("plain")) {
            lab.startKernelDaemon();
            DatagramSocket a = lab.udp(lab.lan, LAN1, 43000);
            DatagramSocket server = lab.udp(lab.wan, "203.0.113.10", 5000);
            int port = lab.publicPort(a, server, "203.0.113.10", 5000, NAT_IP);

            String newIp = "203.0.113.5";
            lab.exec(lab.rtr, "ip", "addr", "del", NAT_IP + "/24", "dev", "eth0");
            lab.exec(lab.rtr, "ip", "addr", "add", newIp + "/24", "dev", "eth0");
            Thread.sleep(300);
            assertEquals(port, lab.publicPort(a, server, "203.0.113.10", 5000, newIp), "same port, new address");
            freshPeerGetsThrough(lab, a, "203.0.113.11", 6000, newIp, port);
        }
    }

    @Test
    void anExhaustedPoolFallsBackToPlainNatAndDropsNothing() throws Exception {
        try (Lab lab = new Lab("plain")) {
            lab.startKernelDaemon("--ports", "30000-30001");
            DatagramSocket server = lab.udp(lab.wan, "203.0.113.10", 5000);
            int p1 = lab.publicPort(lab.udp(lab.lan, LAN1, 44000), server, "203.0.113.10", 5000, NAT_IP);
            int p2 = lab.publicPort(lab.udp(lab.lan, LAN1, 44001), server, "203.0.113.10", 5000, NAT_IP);
            assertEquals(List.of(30000, 30001), List.of(Math.min(p1, p2), Math.max(p1, p2)));
            DatagramSocket third = lab.udp(lab.lan, LAN2, 44002);
            int p3 = lab.publicPort(third, server, "203.0.113.10", 5000, NAT_IP); // delivered: plain masquerade
            assertTrue(p3 != 30000 && p3 != 30001, "plain NAT's own port: " + p3);
            lab.awaitStat("pool_exhausted", v -> v >= 1, 5000);
            assertTrue(lab.daemonLog().contains("no free port in the pool"), lab.daemonLog());
        }
    }

    @Test
    void badInputGivesOneLineANonZeroExitAndLeavesNothingBehind() throws Exception {
        try (Lab lab = new Lab("plain")) {
            String rules = lab.ruleset();
            Result noIf = lab.exec(lab.rtr, lab.conenatd(), "-i", "nosuch0", "-f");
            assertEquals(1, noIf.code(), noIf.out());
            assertTrue(noIf.out().contains("no network interface 'nosuch0'"), noIf.out());
            assertEquals(rules, lab.ruleset());

            // (kernel mode no longer needs the nft command: TableOwnershipIT runs it with none on PATH)

            Result inverted = lab.exec(lab.rtr, lab.conenatd(), "-i", "eth0", "-f", "--ports", "40000-30000");
            assertEquals(1, inverted.code(), inverted.out());
            assertTrue(inverted.out().contains("inverted"), inverted.out());

            lab.startKernelDaemon();
            String running = lab.ruleset();
            Result second = lab.exec(lab.rtr, lab.conenatd(), "-i", "eth0", "-f", "-q", "47001");
            assertEquals(1, second.code(), second.out());
            assertTrue(second.out().contains("another conenatd runs in kernel mode"), second.out());
            Result sameQueue = lab.exec(lab.rtr, lab.conenatd(), "-n", NAT_IP, "-q", "47000", "-m", "1", "-f");
            assertEquals(1, sameQueue.code(), sameQueue.out());
            assertTrue(sameQueue.out().contains("already bound"), sameQueue.out());
            for (Result r : List.of(noIf, inverted, second, sameQueue)) {
                assertFalse(r.out().contains("Exception") || r.out().contains("\tat "), "no stack trace: " + r.out());
            }
            assertEquals(running, lab.ruleset(), "a refused second instance touches nothing of the first");
            assertEquals(0, lab.stopDaemon());
            assertEquals(rules, lab.ruleset());
        }
    }
}
