package org.conenatd.it;

import org.junit.jupiter.api.Test;

import java.net.DatagramSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.conenatd.it.Lab.*;
import static org.junit.jupiter.api.Assertions.*;

/** The seed behaviour, checked end to end in namespaces with the README's rules applied as written. */
class FullConeIT {


    @Test
    void stunSeesIndependentFilterOnlyWhileTheDaemonRuns() throws Exception {
        try (Lab lab = new Lab()) {
            lab.startStund();
            String before = lab.stunVerdict(LAN1);
            assertTrue(before.contains("Port Dependent Filter"), "without conenatd: " + before);

            lab.startDaemon();
            String after = lab.stunVerdict(LAN1);
            assertTrue(after.contains("Independent Mapping") && after.contains("Independent Filter"),
                    "with conenatd: " + after + "\n" + lab.daemonLog());
            assertFalse(after.contains("Dependent Filter"), after);

            lab.stopDaemon();
            String again = lab.stunVerdict(LAN1);
            assertTrue(again.contains("Port Dependent Filter"), "after conenatd stopped: " + again);
        }
    }

    @Test
    void tenFreshPeersReachTheLanHostAndEveryAnswerLeavesFromTheMappedPort() throws Exception {
        try (Lab lab = new Lab()) {
            lab.startDaemon();
            DatagramSocket host = lab.udp(lab.lan, LAN1, 40000);
            DatagramSocket first = lab.udp(lab.wan, "203.0.113.10", 5000);
            int natPort = lab.learnMapping(host, first, "203.0.113.10", 5000);
            assertTrue(natPort >= 10240 && natPort <= 16383, "10.0.0.101 maps into its README range: " + natPort);
            lab.awaitStat("mappings", v -> v >= 1, 5000);

            List<DatagramSocket> peers = new ArrayList<>();
            for (int i = 0; i < 10; i++) peers.add(lab.udp(lab.wan, "203.0.113." + (11 + i), 6000 + i));
            for (int i = 0; i < 10; i++) Lab.send(peers.get(i), NAT_IP, natPort, "peer " + i);

            Set<String> seen = new HashSet<>();
            for (int i = 0; i < 10; i++) {
                Received r = Lab.receive(host, 3000);
                assertNotNull(r, "only " + seen.size() + " of 10 fresh peers reached the LAN host\n" + lab.daemonLog());
                assertEquals("peer " + (r.port() - 6000), r.text());
                assertEquals("203.0.113." + (11 + r.port() - 6000), r.addr(), "the LAN host sees the peer's real address");
                seen.add(r.from());
                Lab.send(host, r.addr(), r.port(), "answer to " + r.text());
            }
            assertEquals(10, seen.size());
            for (int i = 0; i < 10; i++) {
                Received a = Lab.receive(peers.get(i), 3000);
                assertNotNull(a, "peer " + i + " got no answer");
                assertEquals("answer to peer " + i, a.text());
                assertEquals(NAT_IP + ":" + natPort, a.from(), "answers leave from the mapped port");
            }
            assertEquals(10L, lab.stats().getOrDefault("forwarded", 0L) >= 10 ? 10L : lab.awaitStat("forwarded", v -> v >= 10, 3000));
            // A second exchange with the same peer no longer needs the daemon: the kernel entry carries it.
            long queuedBefore = lab.awaitStat("queued", v -> v >= 10, 3000);
            Lab.send(peers.get(0), NAT_IP, natPort, "again");
            Received again = Lab.receive(host, 3000);
            assertNotNull(again);
            assertEquals("again", again.text());
            Thread.sleep(1500);
            assertEquals(queuedBefore, lab.stats().get("queued"), "an established inbound flow never touches the queue");
        }
    }

    @Test
    void deletingTheLanHostsFlowsStopsForwarding() throws Exception {
        try (Lab lab = new Lab()) {
            lab.startDaemon();
            DatagramSocket host = lab.udp(lab.lan, LAN1, 40001);
            DatagramSocket first = lab.udp(lab.wan, "203.0.113.10", 5001);
            int natPort = lab.learnMapping(host, first, "203.0.113.10", 5001);
            DatagramSocket peer = lab.udp(lab.wan, "203.0.113.11", 6001);
            Lab.send(peer, NAT_IP, natPort, "before");
            Received r = Lab.receive(host, 3000);
            assertNotNull(r, "mapped port must forward before the delete");

            Result del = lab.exec(lab.rtr, "conntrack", "-D", "-p", "udp", "--orig-src", LAN1, "--orig-port-src", "40001");
            assertEquals(0, del.code(), del.out());
            long deadline = System.currentTimeMillis() + 5000;
            while (!lab.daemonLog().contains(":" + natPort + " -> " + LAN1 + ":40001 unmapped")) {
                assertTrue(System.currentTimeMillis() < deadline, "no unmapped line:\n" + lab.daemonLog());
                Thread.sleep(50);
            }
            DatagramSocket fresh = lab.udp(lab.wan, "203.0.113.12", 6002);
            Lab.send(fresh, NAT_IP, natPort, "after");
            assertNull(Lab.receive(host, 1500), "an unmapped port must not forward");
            assertTrue(lab.daemonLog().contains("203.0.113.12:6002 -> " + NAT_IP + ":" + natPort + " not mapped"),
                    lab.daemonLog());
        }
    }

    @Test
    void unmappedAndExcludedPortsAreUntouchedAndHostsNeverGetEachOthersTraffic() throws Exception {
        try (Lab lab = new Lab()) {
            lab.startDaemon();
            DatagramSocket h1 = lab.udp(lab.lan, LAN1, 41000);
            DatagramSocket h2 = lab.udp(lab.lan, LAN2, 41000);
            DatagramSocket h3 = lab.udp(lab.lan, LAN_DEFAULT_RANGE, 41000);
            DatagramSocket w = lab.udp(lab.wan, "203.0.113.10", 5002);
            int p1 = lab.learnMapping(h1, w, "203.0.113.10", 5002);
            int p2 = lab.learnMapping(h2, w, "203.0.113.10", 5002);
            int p3 = lab.learnMapping(h3, w, "203.0.113.10", 5002);
            assertTrue(p2 >= 16384 && p2 <= 22527, "10.0.0.102's range: " + p2);
            assertTrue(p3 >= 1024 && p3 <= 10239, "the default range the rules exclude: " + p3);
            lab.awaitStat("mappings", v -> v >= 3, 5000);
            long queued = lab.stats().get("queued");

            // Each host's mapping reaches that host only.
            DatagramSocket peerA = lab.udp(lab.wan, "203.0.113.20", 7000);
            DatagramSocket peerB = lab.udp(lab.wan, "203.0.113.21", 7001);
            Lab.send(peerA, NAT_IP, p1, "to host 1");
            Lab.send(peerB, NAT_IP, p2, "to host 2");
            Received r1 = Lab.receive(h1, 3000);
            Received r2 = Lab.receive(h2, 3000);
            assertNotNull(r1);
            assertNotNull(r2);
            assertEquals("to host 1", r1.text());
            assertEquals("to host 2", r2.text());
            assertNull(Lab.receive(h1, 500), "host 1 got host 2's traffic");
            assertNull(Lab.receive(h2, 500), "host 2 got host 1's traffic");

            // A port the rules exclude never reaches the queue: still port-restricted.
            DatagramSocket peerC = lab.udp(lab.wan, "203.0.113.22", 7002);
            Lab.send(peerC, NAT_IP, p3, "to host 3");
            assertNull(Lab.receive(h3, 1500), "an excluded port must keep the kernel's filtering");

            // An unmapped port inside the queued range is handed back, not forwarded anywhere.
            int unmapped = p1 == 16000 ? 16001 : 16000;
            Lab.send(peerC, NAT_IP, unmapped, "to nobody");
            assertNull(Lab.receive(h1, 1000));
            assertNull(Lab.receive(h2, 200));
            assertNull(Lab.receive(h3, 200));
            long passed = lab.awaitStat("passed", v -> v >= 1, 3000);
            assertEquals(1, passed);
            assertEquals(queued + 3, lab.stats().get("queued"),
                    "queued: the two mapped first packets and the unmapped one, not the excluded port");
        }
    }

    @Test
    void theReadmesForwardRulesLetAdmittedFlowsThroughADefaultDropFirewall() throws Exception {
        try (Lab lab = new Lab()) {
            String[][] rules = {
                    {"-A", "FORWARD", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"},
                    {"-A", "FORWARD", "-i", "eth0", "-o", "eth1", "-p", "udp", "-m", "conntrack", "--ctstate", "DNAT", "-j", "ACCEPT"},
                    {"-A", "FORWARD", "-i", "eth0", "-o", "eth1", "-p", "udp", "-m", "mark", "--mark", "2000", "-j", "ACCEPT"},
                    {"-A", "FORWARD", "-i", "eth1", "-o", "eth0", "-j", "ACCEPT"},
                    {"-P", "FORWARD", "DROP"},
            };
            for (String[] r : rules) {
                String[] cmd = new String[r.length + 1];
                cmd[0] = "iptables";
                System.arraycopy(r, 0, cmd, 1, r.length);
                Result res = lab.exec(lab.rtr, cmd);
                assertEquals(0, res.code(), res.out());
            }
            lab.startDaemon();
            DatagramSocket host = lab.udp(lab.lan, LAN1, 43000);
            DatagramSocket w = lab.udp(lab.wan, "203.0.113.10", 5004);
            int natPort = lab.learnMapping(host, w, "203.0.113.10", 5004);
            DatagramSocket peer = lab.udp(lab.wan, "203.0.113.24", 7004);
            for (int i = 0; i < 3; i++) {
                Lab.send(peer, NAT_IP, natPort, "through the firewall " + i);
                Received r = Lab.receive(host, 3000);
                assertNotNull(r, "packet " + i + " of a fresh peer must pass FORWARD\n" + lab.daemonLog());
                assertEquals("through the firewall " + i, r.text());
            }
            Lab.send(host, "203.0.113.24", 7004, "answer");
            Received a = Lab.receive(peer, 3000);
            assertNotNull(a);
            assertEquals(NAT_IP + ":" + natPort, a.from());
            // Unsolicited traffic to an unmapped port still dies at the firewall/host, never reaching the LAN.
            Lab.send(peer, NAT_IP, natPort == 16000 ? 16001 : 16000, "nope");
            assertNull(Lab.receive(host, 1000));
        }
    }

    @Test
    void launcherDetachesHoldsThePidFileLockAndStopsCleanlyOnSigterm() throws Exception {
        try (Lab lab = new Lab()) {
            Path pid = lab.dir.resolve("conenatd.pid");
            Path logFile = lab.dir.resolve("conenatd.log");
            Result start = lab.exec(lab.rtr, lab.conenatd(), "-n", NAT_IP, "-q", "1000", "-m", "2000", "-p", pid.toString(),
                    "-l", logFile.toString());
            assertEquals(0, start.code(), start.out());
            assertTrue(java.nio.file.Files.readString(logFile).contains("conenatd ready"), "detached daemon logs to -l");
            long daemonPid = Long.parseLong(java.nio.file.Files.readString(pid).trim());
            ProcessHandle h = ProcessHandle.of(daemonPid).orElseThrow(() -> new AssertionError("daemon not running"));
            try {
                Result second = lab.exec(lab.rtr, lab.conenatd(), "-n", NAT_IP, "-q", "1001", "-m", "2000", "-p", pid.toString(),
                        "-l", lab.dir.resolve("second.log").toString());
                assertNotEquals(0, second.code());
                assertTrue(second.out().contains("locked"), second.out());
                assertFalse(second.out().contains("Exception"), "one clear line, no stack trace: " + second.out());

                Result sameQueue = lab.exec(lab.rtr, lab.conenatd(), "-n", NAT_IP, "-q", "1000", "-m", "2000", "-f");
                assertNotEquals(0, sameQueue.code());
                assertTrue(sameQueue.out().contains("already bound"), sameQueue.out());

                // Still forwarding while detached.
                DatagramSocket host = lab.udp(lab.lan, LAN1, 42000);
                DatagramSocket w = lab.udp(lab.wan, "203.0.113.10", 5003);
                int natPort = lab.learnMapping(host, w, "203.0.113.10", 5003);
                DatagramSocket peer = lab.udp(lab.wan, "203.0.113.23", 7003);
                Thread.sleep(300);
                Lab.send(peer, NAT_IP, natPort, "detached");
                assertNotNull(Lab.receive(host, 3000), "detached daemon forwards");
            } finally {
                h.destroy();
            }
            h.onExit().get(15, java.util.concurrent.TimeUnit.SECONDS);
            assertFalse(java.nio.file.Files.exists(pid), "pid file removed on SIGTERM");
            String log = java.nio.file.Files.readString(logFile);
            assertTrue(log.contains("[>] udp 203.0.113.23:7003 -> " + NAT_IP), log);
            assertTrue(log.contains("conenatd stopped: mappings="), "a last line with the counters: " + log);
        }
    }
}
