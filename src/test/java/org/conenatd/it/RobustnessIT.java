package org.conenatd.it;

import org.junit.jupiter.api.Test;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.conenatd.it.Lab.*;
import static org.junit.jupiter.api.Assertions.*;

/** State survives restarts, event bursts and conflicts; bad start-up input fails cleanly. */
class RobustnessIT {
    private static final Pattern CT_LINE = Pattern.compile(
            "src=(\\S+) dst=(\\S+) sport=(\\d+) dport=(\\d+) .*?src=(\\S+) dst=(\\S+) sport=(\\d+) dport=(\\d+)");

    /** The mapping flows the kernel holds: LAN-originated UDP whose reply goes to the NAT address. */
    private static Map<String, Integer> mappingFlowsFromConntrack(Lab lab) throws Exception {
        Result r = Lab.run(List.of("ip", "netns", "exec", lab.rtr, "conntrack", "-L", "-p", "udp"), 120);
        assertEquals(0, r.code(), r.out());
        Map<String, Integer> natPortOfLanEndpoint = new HashMap<>();
        for (String line : r.out().split("\n")) {
            Matcher m = CT_LINE.matcher(line);
            if (!m.find()) continue;
            if (!m.group(1).startsWith("10.0.0.") || !m.group(6).equals(NAT_IP)) continue;
            natPortOfLanEndpoint.put(m.group(1) + ":" + m.group(3) + ">" + m.group(2) + ":" + m.group(4),
                    Integer.parseInt(m.group(8)));
        }
        return natPortOfLanEndpoint;
    }

    @Test
    void aRestartedDaemonForwardsAtOnceWithoutNewOutboundTraffic() throws Exception {
        try (Lab lab = new Lab()) {
            lab.startDaemon();
            DatagramSocket host = lab.udp(lab.lan, LAN1, 45000);
            DatagramSocket w = lab.udp(lab.wan, "203.0.113.10", 5010);
            int natPort = lab.learnMapping(host, w, "203.0.113.10", 5010);
            DatagramSocket p1 = lab.udp(lab.wan, "203.0.113.11", 7010);
            Lab.send(p1, NAT_IP, natPort, "one");
            assertNotNull(Lab.receive(host, 3000));

            // A clean stop, then a kill -9: both times the next instance finds the mapping in the table.
            assertEquals(0, lab.stopDaemon(), "SIGTERM exits 0");
            lab.startDaemon();
            assertTrue(lab.daemonLog().contains("resync (start)"), lab.daemonLog());
            DatagramSocket p2 = lab.udp(lab.wan, "203.0.113.12", 7011);
            Lab.send(p2, NAT_IP, natPort, "two");
            Received r2 = Lab.receive(host, 3000);
            assertNotNull(r2, "restarted daemon must forward a fresh peer\n" + lab.daemonLog());
            assertEquals("203.0.113.12:7011", r2.from());

            lab.daemonProcess().toHandle().descendants().forEach(h -> h.destroyForcibly());
            lab.daemonProcess().destroyForcibly();
            lab.stopDaemon();
            lab.startDaemon();
            DatagramSocket p3 = lab.udp(lab.wan, "203.0.113.13", 7012);
            Lab.send(p3, NAT_IP, natPort, "three");
            Received r3 = Lab.receive(host, 3000);
            assertNotNull(r3, "after kill -9 and restart\n" + lab.daemonLog());
            assertEquals("three", r3.text());
            // The entries the previous instances created (DNAT'd) are not counted as mappings.
            assertEquals(1L, lab.awaitStat("mapping_flows", v -> v == 1, 3000));
        }
    }

    @Test
    void aBurstOf50000NewOutboundFlowsLeavesTheTableExactlyRight() throws Exception {
        Map<String, Long> st = burst();
        System.out.println("burst with the default event buffer: " + st);
    }

    @Test
    void eventLossFromATinyBufferIsRepairedByResyncWhileTheBurstGoesOn() throws Exception {
        Map<String, Long> st = burst("--event-buffer", "65536");
        assertTrue(st.get("event_overruns") > 0, "a 64 KiB buffer must overflow under 50,000 events: " + st);
        assertTrue(st.get("resyncs") >= 2, "every overrun is followed by a resync: " + st);
    }

    private Map<String, Long> burst(String... daemonArgs) throws Exception {
        try (Lab lab = new Lab()) {
            lab.startDaemon(daemonArgs);
            DatagramSocket old = lab.udp(lab.lan, LAN1, 46000);
            DatagramSocket w = lab.udp(lab.wan, "203.0.113.10", 5020);
            int oldPort = lab.learnMapping(old, w, "203.0.113.10", 5020);

            // 250 LAN sockets x 200 WAN endpoints = 50,000 new flows, sent as fast as we can.
            int lanSockets = 250, wanEndpoints = 200;
            List<DatagramChannel> chans = Netns.call(lab.lan, () -> {
                List<DatagramChannel> l = new ArrayList<>();
                for (int i = 0; i < lanSockets; i++) {
                    DatagramChannel c = DatagramChannel.open(java.net.StandardProtocolFamily.INET);
                    c.bind(new InetSocketAddress(InetAddress.getByName(i % 2 == 0 ? LAN1 : LAN2), 50000 + i));
                    l.add(c);
                }
                return l;
            });
            List<InetSocketAddress> dests = new ArrayList<>();
            for (int i = 0; i < wanEndpoints; i++) {
                dests.add(new InetSocketAddress(InetAddress.getByName("203.0.113." + (10 + i % 20)), 20000 + i / 20));
            }
            ByteBuffer payload = ByteBuffer.wrap("burst".getBytes());
            long t0 = System.nanoTime();
            try {
                for (InetSocketAddress d : dests) {
                    for (DatagramChannel c : chans) {
                        payload.rewind();
                        c.send(payload, d);
                    }
                }
            } finally {
                for (DatagramChannel c : chans) c.close();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("burst: 50000 flows sent in %.2f s%n", seconds);

            // Let the daemon settle: the flow count stops moving.
            long last = -1;
            for (int i = 0; i < 20; i++) {
                Thread.sleep(1000);
                Map<String, Long> now = lab.stats();
                long flows = now.getOrDefault("mapping_flows", -1L);
                System.out.println("burst: after " + (i + 1) + " s the daemon counts " + flows + " mapping flows, "
                        + now.get("event_overruns") + " overruns, " + now.get("resyncs") + " resyncs");
                if (flows == last && flows > 0) break;
                last = flows;
            }
            Map<String, Integer> kernel = mappingFlowsFromConntrack(lab);
            Set<Integer> kernelPorts = new HashSet<>(kernel.values());
            Map<String, Long> st = lab.stats();
            System.out.println("burst: kernel mapping flows " + kernel.size() + ", ports " + kernelPorts.size() + "; daemon " + st);
            assertTrue(kernel.size() >= 50_001, "the kernel holds every flow: " + kernel.size());
            assertEquals(kernel.size(), st.get("mapping_flows"), "daemon counts exactly the kernel's mapping flows");
            assertEquals(kernelPorts.size(), st.get("mappings"), "daemon maps exactly the kernel's ports");
            assertTrue(lab.daemonProcess().isAlive());

            // Fresh peers reach both an old mapping and one made during the burst.
            DatagramSocket peerOld = lab.udp(lab.wan, "203.0.113.25", 7020);
            Lab.send(peerOld, NAT_IP, oldPort, "to old");
            Received r1 = Lab.receive(old, 3000);
            assertNotNull(r1, "old mapping after the burst\n" + lab.daemonLog());
            int burstNatPort = kernel.get(LAN1 + ":50000>203.0.113.10:20000");
            DatagramSocket burstHost = lab.udp(lab.lan, LAN1, 50000);
            DatagramSocket peerNew = lab.udp(lab.wan, "203.0.113.26", 7021);
            Lab.send(peerNew, NAT_IP, burstNatPort, "to new");
            Received r2 = Lab.receive(burstHost, 3000);
            assertNotNull(r2, "burst mapping\n" + lab.daemonLog());
            assertEquals("to new", r2.text());
            return st;
        }
    }

    @Test
    void conflictingEndpointsOnOneNatPortGiveTheOldestTheTrafficThenTheNext() throws Exception {
        try (Lab lab = new Lab()) {
            // Squeeze 10.0.0.102 onto a single port: two of its sockets must share nat-port 30000.
            Result ins = lab.exec(lab.rtr, "iptables", "-t", "nat", "-I", "CONENATD_POST", "1", "-p", "udp", "-s", LAN2,
                    "-j", "MASQUERADE", "--to-ports", "30000");
            assertEquals(0, ins.code(), ins.out());
            lab.startDaemon();
            DatagramSocket a = lab.udp(lab.lan, LAN2, 47000);
            DatagramSocket b = lab.udp(lab.lan, LAN2, 47001);
            DatagramSocket wa = lab.udp(lab.wan, "203.0.113.10", 5030);
            DatagramSocket wb = lab.udp(lab.wan, "203.0.113.11", 5031);
            assertEquals(30000, lab.learnMapping(a, wa, "203.0.113.10", 5030));
            Thread.sleep(200); // a is clearly the older endpoint
            assertEquals(30000, lab.learnMapping(b, wb, "203.0.113.11", 5031));
            lab.awaitStat("conflicts", v -> v == 1, 3000);
            assertTrue(lab.daemonLog().contains("conflict: " + LAN2 + ":47001 also uses it; " + LAN2 + ":47000 keeps receiving"),
                    lab.daemonLog());

            DatagramSocket p1 = lab.udp(lab.wan, "203.0.113.12", 7030);
            Lab.send(p1, NAT_IP, 30000, "first");
            Received r1 = Lab.receive(a, 3000);
            assertNotNull(r1, "the oldest endpoint receives\n" + lab.daemonLog());
            assertNull(Lab.receive(b, 500), "the younger endpoint does not");

            Result del = lab.exec(lab.rtr, "conntrack", "-D", "-p", "udp", "--orig-src", LAN2, "--orig-port-src", "47000");
            assertEquals(0, del.code(), del.out());
            long deadline = System.currentTimeMillis() + 5000;
            while (!lab.daemonLog().contains(":30000 -> " + LAN2 + ":47001 now receives")) {
                assertTrue(System.currentTimeMillis() < deadline, lab.daemonLog());
                Thread.sleep(50);
            }
            DatagramSocket p2 = lab.udp(lab.wan, "203.0.113.13", 7031);
            Lab.send(p2, NAT_IP, 30000, "second");
            Received r2 = Lab.receive(b, 3000);
            assertNotNull(r2, "after the oldest's flows die, the other endpoint receives\n" + lab.daemonLog());
            assertEquals("second", r2.text());
            assertNull(Lab.receive(a, 500), "an endpoint with no live flow never receives");
            assertEquals(1L, lab.stats().get("mappings"));
            assertEquals(1L, lab.stats().get("mapping_flows"));
        }
    }

    @Test
    void badStartUpInputFailsWithOneClearLine() throws Exception {
        try (Lab lab = new Lab()) {
            String j = lab.conenatd();
            String[][] cases = {
                    {"1", "invalid -n '203.0.113'", j, "-n", "203.0.113", "-q", "1000", "-m", "2000", "-f"},
                    {"1", "queue number must be 0-65535", j, "-n", NAT_IP, "-q", "70000", "-m", "2000", "-f"},
                    {"1", "fwmark must be non-zero", j, "-n", NAT_IP, "-q", "1000", "-m", "0", "-f"},
                    {"1", "invalid -m 'x'", j, "-n", NAT_IP, "-q", "1000", "-m", "x", "-f"},
                    {"2", "Unknown option: '--frobnicate'", j, "-n", NAT_IP, "-q", "1000", "-m", "2000", "-f", "--frobnicate"},
                    {"1", "cannot open pid file /nonexistent-dir/c.pid: its directory does not exist",
                            j, "-n", NAT_IP, "-q", "1000", "-m", "2000", "-f", "-p", "/nonexistent-dir/c.pid"},
                    {"1", "needs CAP_NET_ADMIN", "setpriv", "--bounding-set=-net_admin", "--", j,
                            "-n", NAT_IP, "-q", "1000", "-m", "2000", "-f"},
                    // the same without -f: the launcher reports the daemon's error and exit code
                    {"1", "fwmark must be non-zero", j, "-n", NAT_IP, "-q", "1000", "-m", "0"},
            };
            for (String[] c : cases) {
                String[] cmd = java.util.Arrays.copyOfRange(c, 2, c.length);
                Result r = lab.exec(lab.rtr, cmd);
                String what = String.join(" ", cmd) + " -> " + r.code() + ": " + r.out();
                assertEquals(Integer.parseInt(c[0]), r.code(), what);
                assertTrue(r.out().contains(c[1]), what);
                assertFalse(r.out().contains("Exception") || r.out().contains("\tat "), "no stack trace: " + what);
                assertEquals(1, r.out().lines().filter(l -> l.startsWith("conenatd: ")).count(), "one line: " + what);
            }
            Result off = lab.exec(lab.rtr, "sysctl", "-qw", "net.netfilter.nf_conntrack_events=0");
            assertEquals(0, off.code(), off.out());
            Result r = lab.exec(lab.rtr, j, "-n", NAT_IP, "-q", "1000", "-m", "2000", "-f");
            assertEquals(1, r.code(), r.out());
            assertTrue(r.out().contains("conntrack events are disabled"), r.out());
        }
    }
}
