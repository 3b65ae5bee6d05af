package org.conenatd.it;

import org.junit.jupiter.api.Test;

import java.net.DatagramSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static org.conenatd.it.Lab.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code conenatd list} / {@code status} through bin/conenatd against a daemon in a lab, in both
 * modes, and its /metrics scraped inside the router's namespace and checked by promtool.
 */
class ControlAndMetricsIT {

    private static Result cli(Lab lab, Path control, String... args) throws Exception {
        List<String> c = new ArrayList<>(List.of(lab.conenatd()));
        c.addAll(List.of(args));
        c.addAll(List.of("--control", control.toString()));
        return Lab.run(c);
    }

    private static int freePort() {
        return 20000 + ThreadLocalRandom.current().nextInt(20000);
    }

    private static String scrapeAndLint(Lab lab, int port) throws Exception {
        return lab.scrapeAndLintMetrics(port);
    }

    private static void noDaemonIsOneLine(Lab lab, Path control) throws Exception {
        for (String cmd : List.of("list", "status")) {
            Result r = cli(lab, control, cmd);
            assertNotEquals(0, r.code(), r.out());
            assertEquals(1, r.out().lines().count(), "one line: " + r.out());
            assertTrue(r.out().startsWith("conenatd: no daemon is running"), r.out());
        }
    }

    @Test
    void kernelModeListsLiveThenHeldMappingsAndServesLintCleanMetrics() throws Exception {
        try (Lab lab = new Lab("plain")) {
            Path control = lab.dir.resolve("control.sock");
            int metrics = freePort();
            noDaemonIsOneLine(lab, control);
            lab.startKernelDaemon("--control", control.toString(), "--metrics", "127.0.0.1:" + metrics);
            DatagramSocket a = lab.udp(lab.lan, LAN1, 40000);
            DatagramSocket server = lab.udp(lab.wan, "203.0.113.10", 5000);
            assertEquals(40000, lab.learnMapping(a, server, "203.0.113.10", 5000));
            lab.awaitStat("allocations", v -> v == 1, 5000);
            lab.awaitStat("mapping_flows", v -> v >= 1, 5000);

            Result list = cli(lab, control, "list");
            assertEquals(0, list.code(), list.out());
            System.out.println("conenatd list (kernel):\n" + list.out());
            List<String> lines = list.out().lines().toList();
            assertTrue(lines.get(0).startsWith("proto  public  lan endpoint"), list.out());
            assertTrue(lines.stream().anyMatch(l -> l.matches("udp +40000 +10\\.0\\.0\\.101:40000 +1 +\\d+s +live +dynamic +-")), list.out());

            Result json = cli(lab, control, "list", "--json");
            assertEquals(0, json.code(), json.out());
            Path jf = lab.dir.resolve("list.json");
            Files.writeString(jf, json.out());
            Result parsed = Lab.run(List.of("python3", "-c",
                    "import json,sys; d=json.load(open(sys.argv[1])); m=[x for x in d['mappings'] if x['public_port']==40000][0]; "
                            + "print(d['mode'], m['protocol'], m['lan_ip'], m['lan_port'], m['flows'], m['state'])", jf.toString()));
            assertEquals("kernel udp 10.0.0.101 40000 1 live", parsed.out().strip(), json.out());

            Result lan2 = cli(lab, control, "list", "--host", LAN2);
            assertEquals(2, lan2.out().lines().count(), "the header and the host line: nothing of 10.0.0.102");
            assertTrue(lan2.out().lines().toList().getLast().startsWith("host 10.0.0.102: 0 udp 0 tcp public ports"), lan2.out());
            assertEquals(3, cli(lab, control, "list", "--host", LAN1, "--port", "40000").out().lines().count(), "header, the mapping, the host line");
            Result badHost = cli(lab, control, "list", "--host", "10.0.0");
            assertEquals(2, badHost.code(), badHost.out());

            Result status = cli(lab, control, "status");
            assertEquals(0, status.code(), status.out());
            System.out.println("conenatd status (kernel):\n" + status.out());
            assertTrue(status.out().startsWith("mode:     kernel (interface eth0, ports 1024-65535"), status.out());
            assertTrue(status.out().contains("resync:   (start): "), status.out());
            assertTrue(status.out().lines().anyMatch(l -> l.matches("  allocations +1")), status.out());

            String text = scrapeAndLint(lab, metrics);
            System.out.println("metrics (kernel):\n" + text);
            assertTrue(text.contains("conenatd_allocations_total 1.0"), text);
            assertTrue(text.contains("# TYPE conenatd_ports_allocated gauge\nconenatd_ports_allocated 1.0"), text);
            assertTrue(text.contains("conenatd_event_overruns_total 0.0"), text);

            // every flow ends: the mapping is held, and list shows the hold left instead of "live"
            lab.exec(lab.rtr, "conntrack", "-F");
            lab.awaitStat("ports_held", v -> v == 1, 5000);
            Result held = cli(lab, control, "list", "--port", "40000");
            assertTrue(held.out().lines().anyMatch(l -> l.matches("udp +40000 +10\\.0\\.0\\.101:40000 +0 +\\d+s +4m5\\ds +dynamic +-")), held.out());
            System.out.println("conenatd list (kernel, held):\n" + held.out());

            // a hostile client on the real socket changes nothing
            Result junk = Lab.run(List.of("python3", "-c", "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); "
                    + "s.sendall(b'\\xff'*9000); print(s.recv(200))", control.toString()));
            assertTrue(junk.out().contains("error: request longer than 4096 bytes"), junk.out());
            assertEquals(0, cli(lab, control, "status").code());

            assertEquals(0, lab.stopDaemon());
            assertFalse(Files.exists(control), "the socket goes with the daemon");
            noDaemonIsOneLine(lab, control);
        }
    }

    @Test
    void seedModeListsTheCoresMappingsWithoutHold() throws Exception {
        try (Lab lab = new Lab()) {
            Path control = lab.dir.resolve("control.sock");
            int metrics = freePort();
            lab.startDaemon("--control", control.toString(), "--metrics", "127.0.0.1:" + metrics);
            DatagramSocket host = lab.udp(lab.lan, LAN1, 40000);
            DatagramSocket w = lab.udp(lab.wan, "203.0.113.10", 5000);
            int natPort = lab.learnMapping(host, w, "203.0.113.10", 5000);
            lab.awaitStat("mappings", v -> v == 1, 5000);

            Result list = cli(lab, control, "list");
            assertEquals(0, list.code(), list.out());
            System.out.println("conenatd list (seed):\n" + list.out());
            assertTrue(list.out().lines().anyMatch(l -> l.matches("udp +" + natPort + " +10\\.0\\.0\\.101:40000 +1 +\\d+s +- +dynamic +-")), list.out());
            assertTrue(cli(lab, control, "list", "--json").out().contains("\"public_port\":" + natPort + ",\"lan_ip\":\"10.0.0.101\""));

            Result status = cli(lab, control, "status", "--json");
            assertEquals(0, status.code(), status.out());
            assertTrue(status.out().startsWith("{\"mode\":\"seed\",\"plane\":\"nat 203.0.113.1"), status.out());
            System.out.println("conenatd status (seed):\n" + cli(lab, control, "status").out());

            String text = scrapeAndLint(lab, metrics);
            assertTrue(text.contains("conenatd_mappings 1.0"), text);
            assertTrue(text.contains("# TYPE conenatd_forwarded_total counter"), text);
        }
    }

    @Test
    void aSecondDaemonDoesNotStealALiveSocketAndMetricsOnATakenPortRefuseToStart() throws Exception {
        try (Lab lab = new Lab("plain")) {
            Path control = lab.dir.resolve("control.sock");
            int metrics = freePort();
            lab.startKernelDaemon("--control", control.toString(), "--metrics", "127.0.0.1:" + metrics);
            // another instance in the same namespace fails on its own (kernel mode: one per namespace) before touching the socket
            Result second = lab.exec(lab.rtr, lab.conenatd(), "-f", "-i", "eth0", "--control", control.toString());
            assertNotEquals(0, second.code());
            assertEquals(0, cli(lab, control, "status").code(), "the first daemon's socket survived");
            // seed mode beside it, same metrics port: refused with one line
            Result taken = lab.exec(lab.rtr, lab.conenatd(), "-f", "-n", NAT_IP, "-q", "1001", "-m", "2000",
                    "--control", "none", "--metrics", "127.0.0.1:" + metrics);
            assertEquals(1, taken.code(), taken.out());
            assertTrue(taken.out().contains("cannot serve metrics on 127.0.0.1:" + metrics), taken.out());
        }
    }
}
