package org.conenatd.it;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.conenatd.it.Lab.*;
import static org.junit.jupiter.api.Assertions.*;

/** What seed mode can do beyond the README's example with extra rules only, as the README documents it. */
class SeedExtrasIT {

    /** The README's chosen-hosts rule: 10.0.0.102's port range (16384-22527) is RETURNed before the queue. */
    private static void leaveLan2OutOfTheQueue(Lab lab) throws Exception {
        Result r = lab.exec(lab.rtr, "iptables", "-t", "nat", "-I", "CONENATD_PRE", "4", "-p", "udp",
                "--dport", "16384:22527", "-j", "RETURN");
        assertEquals(0, r.code(), r.out());
    }


    @Test
    void leavingAHostsPortRangeOutOfTheQueueKeepsThatHostPortRestricted() throws Exception {
        try (Lab lab = new Lab()) {
            lab.startStund();
            leaveLan2OutOfTheQueue(lab);
            lab.startDaemon();
            String chosen = lab.stunVerdict(LAN1), other = lab.stunVerdict(LAN2);
            assertTrue(chosen.contains("Independent Filter") && !chosen.contains("Dependent Filter"), chosen + "\n" + lab.daemonLog());
            assertTrue(other.contains("Port Dependent Filter"), other);
        }
    }

    @Test
    void anIcmpErrorAboutAMappedFlowReachesTheLanEndpoint() throws Exception {
        try (Lab lab = new Lab()) {
            lab.startDaemon();
            assertTrue(lab.portUnreachableReaches(LAN1, 40500));
            lab.awaitStat("mappings", v -> v >= 1, 5000); // it was a mapped flow
        }
    }

    @Test
    void aBalancedQueueRuleIsServedByOneThreadPerQueue() throws Exception {
        try (Lab lab = new Lab()) {
            Result r = lab.exec(lab.rtr, "iptables", "-t", "nat", "-R", "CONENATD_PRE", "4", "-p", "udp",
                    "-j", "NFQUEUE", "--queue-balance", "1000:1001");
            assertEquals(0, r.code(), r.out());
            lab.startDaemon("-q", "1000:1001");
            assertTrue(lab.daemonLog().contains("queues 1000:1001"), lab.daemonLog());
            java.net.DatagramSocket host = lab.udp(lab.lan, LAN1, 40600);
            int natPort = lab.learnMapping(host, lab.udp(lab.wan, "203.0.113.10", 5000), "203.0.113.10", 5000);
            lab.awaitStat("mappings", v -> v >= 1, 5000);
            int peers = 16;
            for (int i = 0; i < peers; i++) Lab.send(lab.udp(lab.wan, "203.0.113." + (11 + i), 6000 + i), NAT_IP, natPort, "peer " + i);
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (int i = 0; i < peers; i++) {
                Received in = Lab.receive(host, 3000);
                assertNotNull(in, "peer " + i + " lost\n" + lab.daemonLog());
                seen.add(in.from());
            }
            assertEquals(peers, seen.size());
            String queues = lab.exec(lab.rtr, "cat", "/proc/net/netfilter/nfnetlink_queue").out();
            for (String q : new String[] {"1000", "1001"}) {
                String line = queues.lines().filter(l -> l.trim().startsWith(q + " ")).findFirst().orElse("");
                String[] f = line.trim().split("\\s+");
                assertTrue(f.length > 7 && Long.parseLong(f[7]) > 0, "queue " + q + " served packets: " + queues);
            }
        }
    }

    @Test
    void theOptionalRuleKeepsScansOutOfTheQueueAndStillForwardsStunsChangeIpTest() throws Exception {
        try (Lab lab = new Lab()) {
            lab.startStund();
            Result r = lab.applyOptionalQueueRule("--queue-num", "1000");
            assertEquals(0, r.code(), r.out());
            lab.startDaemon();
            String v = lab.stunVerdict(LAN1);
            assertTrue(v.contains("Independent Filter") && !v.contains("Dependent Filter"), v + "\n" + lab.daemonLog());

            java.net.DatagramSocket host = lab.udp(lab.lan, LAN1, 40700);
            int natPort = lab.learnMapping(host, lab.udp(lab.wan, "203.0.113.10", 5000), "203.0.113.10", 5000);
            lab.awaitStat("mappings", x -> x >= 1, 5000);
            Lab.send(lab.udp(lab.wan, "203.0.113.11", 6000), NAT_IP, natPort, "fresh peer");
            assertNotNull(Lab.receive(host, 3000), "a fresh peer still gets in\n" + lab.daemonLog());
            Thread.sleep(1100);
            long queued = lab.stats().get("queued");
            java.net.DatagramSocket scanner = lab.udp(lab.wan, "203.0.113.12", 6001);
            // 10.0.0.102's range: no flow of it ever left, so none of these ports is mapped (the
            // rules as written would queue every one of them)
            for (int port = 16384; port < 16384 + 200; port++) Lab.send(scanner, NAT_IP, port, "scan");
            Thread.sleep(1200);
            assertEquals(queued, lab.stats().get("queued"), "a scan of unmapped ports never reaches user space");
        }
    }

    @Test
    void withKernelDnatMappedPortsAreReachedWithoutTheQueueAndOnlyInTheGivenRanges() throws Exception {
        try (Lab lab = new Lab()) {
            lab.startStund();
            // 10.0.0.102's range stays port-restricted, as in the README; --kernel-dnat leaves it out too
            leaveLan2OutOfTheQueue(lab);
            lab.startDaemon("--kernel-dnat", "10240-16383,22528-65535");
            String chosen = lab.stunVerdict(LAN1), other = lab.stunVerdict(LAN2);
            assertTrue(chosen.contains("Independent Filter") && !chosen.contains("Dependent Filter"), chosen + "\n" + lab.daemonLog());
            assertTrue(other.contains("Port Dependent Filter"), other);

            java.net.DatagramSocket host = lab.udp(lab.lan, LAN1, 40800);
            int natPort = lab.learnMapping(host, lab.udp(lab.wan, "203.0.113.10", 5000), "203.0.113.10", 5000);
            lab.awaitStat("kernel_dnat_ports", v -> v >= 1, 5000);
            Thread.sleep(1100); // the stats file is rewritten every second
            long queued = lab.stats().get("queued");
            for (int i = 0; i < 5; i++) {
                java.net.DatagramSocket peer = lab.udp(lab.wan, "203.0.113." + (11 + i), 6000 + i);
                Lab.send(peer, NAT_IP, natPort, "fresh peer " + i);
                Received in = Lab.receive(host, 3000);
                assertNotNull(in, "fresh peer " + i + " lost\n" + lab.daemonLog());
                assertEquals("203.0.113." + (11 + i) + ":" + (6000 + i), in.from());
                Lab.send(host, "203.0.113." + (11 + i), 6000 + i, "answer");
                Received back = Lab.receive(peer, 3000);
                assertNotNull(back, "the answer to peer " + i + " was lost");
                assertEquals(NAT_IP + ":" + natPort, back.from());
            }
            Thread.sleep(1200);
            assertEquals(queued, lab.stats().get("queued"), "the kernel DNATs a mapped port: nothing reaches the queue");
            assertTrue(lab.stats().get("kernel_dnat_flows") >= 5, "counted by the kernel's rule: " + lab.stats());

            assertEquals(0, lab.stopDaemon());
            assertFalse(lab.ruleset().contains("conenatd_seed_dnat"), "SIGTERM removes the table");
        }
    }
}
