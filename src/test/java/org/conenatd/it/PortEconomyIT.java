package org.conenatd.it;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.conenatd.it.Lab.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Kernel mode's port economy against the real kernel: only flows to --full-cone-ports are queued
 * and mapped (the rest keep the router's plain masquerade and take no port), --ports-per-host
 * with --on-limit plain|drop, and --tcp-hold beside --hold. One lab per test; all WAN addresses
 * are documentation addresses (203.0.113.0/24) inside the lab's namespaces.
 */
class PortEconomyIT {

    /** One row of {@code conenatd list}. */
    record Row(String proto, int pub, String ip, int port, int flows, String age, String hold) {
        String endpoint() { return ip + ":" + port; }
    }

    // proto public lan-endpoint flows age hold origin lease [shadowed...]
    private static final Pattern ROW = Pattern.compile("^(udp|tcp) +(\\d+) +([\\d.]+):(\\d+) +(\\d+) +(\\S+) +(\\S+) +(\\S+) +(\\S+).*$");

    private static List<Row> rows(String listOut) {
        return listOut.lines().map(ROW::matcher).filter(Matcher::matches)
                .map(m -> new Row(m.group(1), Integer.parseInt(m.group(2)), m.group(3), Integer.parseInt(m.group(4)),
                        Integer.parseInt(m.group(5)), m.group(6), m.group(7)))
                .toList();
    }

    private static String list(Lab lab, String... args) throws Exception {
        String[] a = new String[args.length + 1];
        a[0] = "list";
        System.arraycopy(args, 0, a, 1, args.length);
        Result r = lab.cli(a);
        assertEquals(0, r.code(), "conenatd list: " + r.out());
        return r.out();
    }

    private static Optional<Row> row(Lab lab, String proto, String ip, int port) throws Exception {
        return rows(list(lab)).stream().filter(r -> r.proto().equals(proto) && r.ip().equals(ip) && r.port() == port).findFirst();
    }

    private static Row need(Lab lab, Optional<Row> row, String what) throws Exception {
        if (row.isEmpty()) throw new AssertionError(what + ":\n" + list(lab) + lab.daemonLog());
        return row.get();
    }

    /** A fresh WAN peer sends to the public port; the LAN socket must get it from the peer's real address, and its answer must come back from the public port. */
    private static void freshPeerGetsThrough(Lab lab, DatagramSocket lanSock, String peerAddr, int peerPort, int natPort) throws Exception {
        lab.freshPeerGetsThrough(lanSock, peerAddr, peerPort, NAT_IP, natPort);
    }

    /** A fresh WAN peer sends to the public port and the LAN socket gets nothing within a second: no mapping, plain NAT filters. */
    private static void freshPeerStaysOut(Lab lab, DatagramSocket lanSock, String peerAddr, int peerPort, int natPort) throws Exception {
        lab.freshPeerStaysOut(lanSock, peerAddr, peerPort, NAT_IP, natPort);
    }

    /** The stats file is rewritten every second: a value read after this is one written after the call. */
    private static Map<String, Long> freshStats(Lab lab) throws Exception {
        Thread.sleep(1200);
        return lab.stats();
    }

    private static Path script(Lab lab, String name, String text) throws IOException {
        Path p = lab.dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    /** Waits (bounded) until {@code log} contains {@code text}. */
    private static String awaitLog(Path log, String text, long timeoutMs, Process p) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            String s = Files.exists(log) ? Files.readString(log) : "";
            if (s.contains(text)) return s;
            if (!p.isAlive() && !s.contains(text)) break;
            Thread.sleep(50);
        }
        throw new AssertionError("'" + text + "' never appeared in " + log + ": " + (Files.exists(log) ? Files.readString(log) : ""));
    }

    /** WAN: a TCP server on :80 that accepts and closes, and a UDP echo on :53 (threads in one python3). */
    private static final String WAN_SERVERS = """
            import socket, sys, threading
            addr = sys.argv[1]
            t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            t.bind((addr, 80)); t.listen(1024)
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((addr, 53))
            def tcp():
                while True:
                    c, _ = t.accept(); c.close()
            threading.Thread(target=tcp, daemon=True).start()
            print("serving", flush=True)
            while True:
                d, a = u.recvfrom(2048); u.sendto(d, a)
            """;

    /**
     * LAN: n short TCP connections to :80 and n DNS-like queries to :53, each from a new random
     * (ephemeral) source port, paced over {@code seconds}, bounded to 50 s; prints its start and end
     * (epoch ms) and how many succeeded.
     */
    private static final String LAN_BURST = """
            import socket, sys, time
            src, dst, n, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
            t0 = time.time(); tcp_ok = udp_ok = 0; done = 0
            print("start %d" % int(t0 * 1000), flush=True)
            for i in range(n):
                wait = t0 + i * seconds / n - time.time()
                if wait > 0: time.sleep(wait)
                c = socket.socket(); c.settimeout(2)
                try:
                    c.bind((src, 0)); c.connect((dst, 80))
                    if c.recv(1) == b"": tcp_ok += 1
                except OSError: pass
                finally: c.close()
                u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(1)
                q = b"\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00" + b"\\x03q%03d\\x07example\\x03com\\x00\\x00\\x01\\x00\\x01" % (i % 1000)
                try:
                    u.bind((src, 0)); u.sendto(q, (dst, 53))
                    if u.recvfrom(2048)[0] == q: udp_ok += 1
                except OSError: pass
                finally: u.close()
                done += 1
                if time.time() - t0 > 50: break
            print("end %d done %d tcp_ok %d udp_ok %d" % (int(time.time() * 1000), done, tcp_ok, udp_ok), flush=True)
            """;

    @Test
    void aBrowserLikeBurstToPorts80And53TakesNoPortsWhileAStunClientStillGetsFullCone() throws Exception {
        try (Lab lab = new Lab("plain")) {
            lab.startStund();
            Path srvLog = lab.dir.resolve("wan-servers.log");
            Process servers = lab.spawn(lab.wan, srvLog, "python3", script(lab, "wan-servers.py", WAN_SERVERS).toString(), "203.0.113.10");
            awaitLog(srvLog, "serving", 10_000, servers);
            lab.startKernelDaemon();
            long queuedBefore = lab.awaitStat("queued", v -> true, 5000);
            assertEquals(0, queuedBefore);

            int n = 1000, stunPort = 62000; // above the LAN's ephemeral range: no burst socket can take it
            Path burstLog = lab.dir.resolve("burst.log");
            Process burst = lab.spawn(lab.lan, burstLog, "timeout", "60", "python3",
                    script(lab, "burst.py", LAN_BURST).toString(), LAN1, "203.0.113.10", Integer.toString(n), "6");
            awaitLog(burstLog, "start ", 10_000, burst);
            Thread.sleep(500);
            long stunStart = System.currentTimeMillis();
            String verdict = lab.stunVerdict(LAN1, stunPort);
            long stunEnd = System.currentTimeMillis();
            assertTrue(burst.waitFor(60, TimeUnit.SECONDS), "the burst ended");
            String out = Files.readString(burstLog);
            Matcher m = Pattern.compile("start (\\d+)\\s+end (\\d+) done (\\d+) tcp_ok (\\d+) udp_ok (\\d+)").matcher(out);
            assertTrue(m.find(), "burst output: " + out);
            long burstStart = Long.parseLong(m.group(1)), burstEnd = Long.parseLong(m.group(2));
            int done = Integer.parseInt(m.group(3)), tcpOk = Integer.parseInt(m.group(4)), udpOk = Integer.parseInt(m.group(5));
            System.out.printf("burst: %d rounds in %d ms, tcp ok %d, udp ok %d; stun %d-%d ms into it: %s%n", done,
                    burstEnd - burstStart, tcpOk, udpOk, stunStart - burstStart, stunEnd - burstStart, verdict);
            assertEquals(n, done, out);
            assertTrue(tcpOk >= n - 10 && udpOk >= n - 10, "plain NAT carries the burst: " + out);
            assertTrue(burstStart < stunStart && stunEnd < burstEnd,
                    "the STUN run (" + stunStart + "-" + stunEnd + ") must lie inside the burst (" + burstStart + "-" + burstEnd + ")");
            assertTrue(verdict.contains("Independent Filter") && !verdict.contains("Dependent Filter"),
                    "STUN during the burst: " + verdict + "\n" + lab.daemonLog());

            // 10 s after the last flow of the burst
            long wait = burstEnd + 10_000 - System.currentTimeMillis();
            if (wait > 0) Thread.sleep(wait);
            Map<String, Long> s = freshStats(lab);
            String all = list(lab);
            System.out.println("stats 10 s after the burst: queued " + s.get("queued") + ", ports_allocated " + s.get("ports_allocated")
                    + ", allocations " + s.get("allocations") + "\nconenatd list:\n" + all);
            assertTrue(s.get("queued") - queuedBefore <= 20, "at most 20 first packets queued during the burst: " + s);
            assertTrue(s.get("queued") - queuedBefore >= 1, "the STUN client's first packets were queued: " + s);
            assertTrue(s.get("ports_allocated") <= 20, "at most 20 public ports held: " + s);
            List<Row> rows = rows(all);
            assertTrue(rows.size() <= 20, all);
            List<Row> notStun = rows.stream().filter(r -> r.port() != stunPort && r.port() != stunPort + 1).toList();
            assertEquals(List.of(), notStun, "flows to :80 and :53 take no port from the pool\n" + all);

            Result host = lab.cli("list", "--host", LAN1);
            Row stunRow = rows(host.out()).stream().filter(r -> r.proto().equals("udp") && r.port() == stunPort).findFirst()
                    .orElseThrow(() -> new AssertionError("no mapping of the STUN client's port " + stunPort + ":\n" + host.out()));
            // its flows end (as the client has gone): the mapping is held, and fresh peers still reach it
            lab.exec(lab.rtr, "conntrack", "-D", "-p", "udp", "-s", LAN1, "--sport", Integer.toString(stunPort));
            long deadline = System.currentTimeMillis() + 5000;
            while (row(lab, "udp", LAN1, stunPort).map(r -> r.hold().equals("live")).orElse(false) && System.currentTimeMillis() < deadline) {
                Thread.sleep(200);
            }
            Row held = need(lab, row(lab, "udp", LAN1, stunPort), "the STUN mapping went at once");
            assertTrue(held.hold().matches("4m\\d\\ds"), "held for --hold (300 s): " + held);
            DatagramSocket lanSock = lab.udp(lab.lan, LAN1, stunPort);
            for (int i = 0; i < 3; i++) freshPeerGetsThrough(lab, lanSock, "203.0.113." + (21 + i), 7000 + i, stunRow.pub());
        }
    }

    private static final Pattern HOST_LINE = Pattern.compile(
            "host 10\\.0\\.0\\.101: 3 udp 0 tcp public ports; limit 3 per protocol \\(--ports-per-host\\), reached (\\d+) times");

    @Test
    void aHostAtItsPortsPerHostLimitGetsPlainNatOrADropAndOtherHostsAreUnaffected() throws Exception {
        try (Lab lab = new Lab("plain")) {
            lab.startKernelDaemon("--ports-per-host", "3");
            assertTrue(lab.cli("status").out().contains("3 ports per host (plain NAT beyond)"), lab.cli("status").out());
            DatagramSocket server = lab.udp(lab.wan, "203.0.113.10", 5000);
            DatagramSocket[] mapped = new DatagramSocket[3];
            int[] pub = new int[3];
            for (int i = 0; i < 3; i++) {
                mapped[i] = lab.udp(lab.lan, LAN1, 40000 + i);
                pub[i] = lab.publicPort(mapped[i], server, "203.0.113.10", 5000, NAT_IP);
            }
            for (int i = 0; i < 3; i++) {
                int want = pub[i];
                assertTrue(row(lab, "udp", LAN1, 40000 + i).filter(r -> r.pub() == want).isPresent(), list(lab));
                freshPeerGetsThrough(lab, mapped[i], "203.0.113." + (11 + i), 6000 + i, pub[i]);
            }

            DatagramSocket fourth = lab.udp(lab.lan, LAN1, 40003);
            int p4 = lab.publicPort(fourth, server, "203.0.113.10", 5000, NAT_IP); // delivered: plain NAT
            long hits = lab.awaitStat("host_limit_hits", v -> v >= 1, 5000);
            assertTrue(Pattern.compile("\\[!] udp 10\\.0\\.0\\.101:40003: at its limit of 3 udp ports per host \\(\\d+ hits so far\\); plain NAT for this flow")
                    .matcher(lab.daemonLog()).find(), lab.daemonLog());
            assertTrue(row(lab, "udp", LAN1, 40003).isEmpty(), "no mapping for the 4th endpoint:\n" + list(lab));
            freshPeerStaysOut(lab, fourth, "203.0.113.14", 6003, p4);
            freshPeerGetsThrough(lab, mapped[0], "203.0.113.15", 6004, pub[0]); // nothing evicted

            DatagramSocket other = lab.udp(lab.lan, LAN2, 40000);
            int pOther = lab.publicPort(other, server, "203.0.113.10", 5000, NAT_IP);
            assertTrue(row(lab, "udp", LAN2, 40000).filter(r -> r.pub() == pOther).isPresent(), "another host still gets a mapping:\n" + list(lab));
            freshPeerGetsThrough(lab, other, "203.0.113.16", 6005, pOther);

            String hostList = list(lab, "--host", LAN1);
            System.out.println("conenatd list --host " + LAN1 + " (--ports-per-host 3):\n" + hostList);
            List<String> lines = hostList.lines().toList();
            Matcher last = HOST_LINE.matcher(lines.getLast());
            assertTrue(last.matches(), "last line: " + lines.getLast());
            assertTrue(Integer.parseInt(last.group(1)) >= 1, lines.getLast());
            assertEquals(3, rows(hostList).size(), hostList);
            Map<String, Long> s = freshStats(lab);
            assertEquals(0, s.get("limit_drops"), s.toString());
            assertEquals(4, s.get("ports_allocated"), s.toString());
            System.out.println("plain: host_limit_hits " + s.get("host_limit_hits") + " (first seen " + hits + "), list says reached " + last.group(1));

            // --on-limit drop: a separate start, no flows left from before
            assertEquals(0, lab.stopDaemon());
            lab.exec(lab.rtr, "conntrack", "-F");
            lab.startKernelDaemon("--ports-per-host", "3", "--on-limit", "drop");
            DatagramSocket server2 = lab.udp(lab.wan, "203.0.113.10", 5001);
            for (int i = 0; i < 3; i++) {
                DatagramSocket sk = lab.udp(lab.lan, LAN1, 41000 + i);
                int p = lab.publicPort(sk, server2, "203.0.113.10", 5001, NAT_IP);
                assertTrue(row(lab, "udp", LAN1, 41000 + i).filter(r -> r.pub() == p).isPresent(), list(lab));
            }
            DatagramSocket dropped = lab.udp(lab.lan, LAN1, 41003);
            Lab.send(dropped, "203.0.113.10", 5001, "the 4th endpoint's first packet");
            Received got = Lab.receive(server2, 1000);
            assertNull(got, "--on-limit drop: the 4th endpoint's first packet never reaches the WAN");
            lab.awaitStat("limit_drops", v -> v >= 1, 5000);
            lab.awaitStat("host_limit_hits", v -> v >= 1, 5000);
            assertTrue(Pattern.compile("\\[!] udp 10\\.0\\.0\\.101:41003: at its limit of 3 udp ports per host \\(\\d+ hits so far\\); first packet dropped")
                    .matcher(lab.daemonLog()).find(), lab.daemonLog());
            assertTrue(row(lab, "udp", LAN1, 41003).isEmpty(), list(lab));
            DatagramSocket other2 = lab.udp(lab.lan, LAN2, 41000);
            int pOther2 = lab.publicPort(other2, server2, "203.0.113.10", 5001, NAT_IP);
            freshPeerGetsThrough(lab, other2, "203.0.113.17", 6006, pOther2);
            Matcher last2 = HOST_LINE.matcher(list(lab, "--host", LAN1).lines().toList().getLast());
            assertTrue(last2.matches() && Integer.parseInt(last2.group(1)) >= 1, list(lab, "--host", LAN1));
            System.out.println("drop: " + freshStats(lab));
        }
    }

    @Test
    void aTcpMappingGoesTcpHoldSecondsAfterItsLastConnectionWhileTheUdpOneIsHeld() throws Exception {
        try (Lab lab = new Lab("plain");
             ServerSocket server = Netns.call(lab.wan, () -> {
                 ServerSocket s = new ServerSocket();
                 s.setReuseAddress(true);
                 s.bind(new InetSocketAddress(InetAddress.getByName("203.0.113.10"), 5001));
                 s.setSoTimeout(5000);
                 return s;
             });
             Socket client = Netns.call(lab.lan, () -> {
                 Socket s = new Socket();
                 s.setReuseAddress(true);
                 s.bind(new InetSocketAddress(InetAddress.getByName(LAN1), 46000));
                 return s;
             })) {
            lab.startKernelDaemon("--tcp-hold", "3");
            Result status = lab.cli("status");
            assertTrue(status.out().lines().findFirst().orElse("").contains("hold udp 300 s tcp 3 s"), status.out());
            assertTrue(lab.daemonLog().contains("hold udp 300 s tcp 3 s"), lab.daemonLog());

            DatagramSocket udpSock = lab.udp(lab.lan, LAN1, 46001);
            DatagramSocket udpServer = lab.udp(lab.wan, "203.0.113.10", 5000);
            int udpPub = lab.publicPort(udpSock, udpServer, "203.0.113.10", 5000, NAT_IP);
            client.connect(new InetSocketAddress("203.0.113.10", 5001), 5000);
            int tcpPub;
            try (Socket accepted = server.accept()) {
                assertEquals(NAT_IP, accepted.getInetAddress().getHostAddress());
                tcpPub = accepted.getPort();
                Row t = need(lab, row(lab, "tcp", LAN1, 46000), "no tcp mapping");
                assertEquals(tcpPub, t.pub());
                assertEquals("live", t.hold());
                client.close();
            }
            Thread.sleep(500);
            assertTrue(row(lab, "tcp", LAN1, 46000).isPresent(), "TIME_WAIT is still a flow of the endpoint:\n" + list(lab));

            // the connection's TIME_WAIT entry ends (as its timeout would), and so does the UDP flow
            long t0 = System.currentTimeMillis();
            Result del = lab.exec(lab.rtr, "conntrack", "-D", "-s", LAN1);
            assertTrue(del.out().contains("TIME_WAIT") && del.out().contains("dport=5000"), "deleted both flows: " + del.out());
            long gone = -1;
            while (System.currentTimeMillis() - t0 < 10_000) {
                if (row(lab, "tcp", LAN1, 46000).isEmpty()) {
                    gone = System.currentTimeMillis() - t0;
                    break;
                }
                Thread.sleep(200);
            }
            System.out.println("tcp mapping gone " + gone + " ms after its last flow ended (--tcp-hold 3)");
            assertTrue(gone >= 0, "the tcp mapping is still there 10 s after its last flow:\n" + list(lab) + lab.daemonLog());
            assertTrue(gone >= 2900, "the tcp mapping went before its hold of 3 s: " + gone + " ms");
            assertTrue(lab.daemonLog().contains("tcp eth0:" + tcpPub + " -> " + LAN1 + ":46000 released"), lab.daemonLog());
            Row udp = need(lab, row(lab, "udp", LAN1, 46001), "the udp mapping went too");
            assertEquals(udpPub, udp.pub());
            assertEquals(0, udp.flows(), udp.toString());
            assertTrue(udp.hold().matches("4m\\d\\ds"), "the udp mapping is held for --hold 300 s: " + udp);
            freshPeerGetsThrough(lab, udpSock, "203.0.113.11", 6000, udpPub);
        }
    }

    @Test
    void fullConePorts53MapsFlowsToPort53AndNotToHighPorts() throws Exception {
        try (Lab lab = new Lab("plain")) {
            lab.startKernelDaemon("--full-cone-ports", "53");
            assertTrue(lab.cli("status").out().contains("full cone to ports 53,"), lab.cli("status").out());
            DatagramSocket dns = lab.udp(lab.wan, "203.0.113.10", 53);
            DatagramSocket stun = lab.udp(lab.wan, "203.0.113.10", 3478);
            long q0 = lab.awaitStat("queued", v -> true, 5000);

            DatagramSocket a = lab.udp(lab.lan, LAN1, 42000);
            int pa = lab.publicPort(a, dns, "203.0.113.10", 53, NAT_IP);
            long q1 = lab.awaitStat("queued", v -> v > q0, 5000);
            assertTrue(row(lab, "udp", LAN1, 42000).filter(r -> r.pub() == pa).isPresent(), "a flow to :53 is mapped:\n" + list(lab));
            freshPeerGetsThrough(lab, a, "203.0.113.11", 6000, pa);

            DatagramSocket b = lab.udp(lab.lan, LAN1, 42001);
            int pb = lab.publicPort(b, stun, "203.0.113.10", 3478, NAT_IP);
            Map<String, Long> s = freshStats(lab);
            assertEquals(q1, s.get("queued"), "a flow to :3478 is not queued under --full-cone-ports 53: " + s);
            assertTrue(row(lab, "udp", LAN1, 42001).isEmpty(), "nor mapped:\n" + list(lab));
            assertEquals(1, s.get("ports_allocated"), s.toString());
            freshPeerStaysOut(lab, b, "203.0.113.12", 6001, pb);
        }
    }

    @Test
    void anEndpointThatFirstTalksToPort53GetsItsMappingFromItsFirstFlowToAHighPort() throws Exception {
        try (Lab lab = new Lab("plain")) {
            lab.startKernelDaemon();
            DatagramSocket dns = lab.udp(lab.wan, "203.0.113.10", 53);
            DatagramSocket stun = lab.udp(lab.wan, "203.0.113.10", 3478);
            long q0 = lab.awaitStat("queued", v -> true, 5000);

            DatagramSocket a = lab.udp(lab.lan, LAN1, 43000);
            int p53 = lab.publicPort(a, dns, "203.0.113.10", 53, NAT_IP);
            Map<String, Long> s = freshStats(lab);
            assertEquals(q0, s.get("queued"), "a flow to :53 never reaches user space: " + s);
            assertEquals(0, s.get("ports_allocated"), s.toString());
            assertTrue(row(lab, "udp", LAN1, 43000).isEmpty(), list(lab));
            freshPeerStaysOut(lab, a, "203.0.113.11", 6000, p53);

            int p = lab.publicPort(a, stun, "203.0.113.10", 3478, NAT_IP);
            lab.awaitStat("queued", v -> v > q0, 5000);
            assertTrue(row(lab, "udp", LAN1, 43000).filter(r -> r.pub() == p).isPresent(), "mapped from the flow to :3478 on:\n" + list(lab));
            System.out.println("endpoint " + LAN1 + ":43000: public port " + p53 + " to :53 (plain NAT), " + p + " to :3478 (mapped)");
            for (int i = 0; i < 3; i++) freshPeerGetsThrough(lab, a, "203.0.113." + (12 + i), 6001 + i, p);
            Lab.send(a, "203.0.113.10", 53, "another query");
            Received q = Lab.receive(dns, 3000);
            assertNotNull(q, "the :53 flow still works");
        }
    }
}
