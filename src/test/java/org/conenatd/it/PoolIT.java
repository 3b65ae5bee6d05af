package org.conenatd.it;

import org.junit.jupiter.api.Test;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.conenatd.it.Lab.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Kernel mode with an address pool (--pool, RFC 6888) against the real kernel: paired pooling
 * (each LAN host on its own external address, for every destination, UDP and TCP), STUN and RFC
 * 5780 verdicts per host, port blocks with their limit and their allocation-log records,
 * hairpinning between hosts on two pool addresses, kill -9 and a clean restart, --filtering
 * address, and the start-up checks. The pool is 203.0.113.40-43, added to the router's WAN
 * interface; the WAN peers are 203.0.113.2, .3 and .10-.29 of the lab.
 */
class PoolIT {
    private static final String POOL = "203.0.113.40-203.0.113.43";
    private static final Set<String> POOL_ADDRESSES = Set.of("203.0.113.40", "203.0.113.41", "203.0.113.42", "203.0.113.43");

    /** A plain lab whose router holds the four pool addresses on its WAN interface. */
    private static Lab poolLab() throws Exception {
        Lab lab = new Lab("plain");
        for (int i = 40; i <= 43; i++) {
            Result r = lab.exec(lab.rtr, "ip", "addr", "add", "203.0.113." + i + "/32", "dev", "eth0");
            assertEquals(0, r.code(), r.out());
        }
        return lab;
    }

    /** The address and port a WAN socket sees a packet from {@code lanSock} come from. */
    private static Received seenFrom(DatagramSocket lanSock, DatagramSocket wanSock, String wanAddr, int wanPort) throws Exception {
        send(lanSock, wanAddr, wanPort, "out");
        Received r = receive(wanSock, 3000);
        assertNotNull(r, "outbound packet never reached " + wanAddr);
        return r;
    }

    private static final int METRICS_PORT = 9479;

    @Test
    void eachHostLeavesFromItsOwnPoolAddressToEveryDestinationAndFreshPeersReachIt() throws Exception {
        try (Lab lab = poolLab()) {
            lab.startKernelDaemon("--pool", POOL, "--metrics", "127.0.0.1:" + METRICS_PORT);
            DatagramSocket w1 = lab.udp(lab.wan, "203.0.113.10", 7000), w2 = lab.udp(lab.wan, "203.0.113.20", 7001);
            String[] address = new String[2];
            String[] hosts = {LAN1, LAN2};
            for (int h = 0; h < 2; h++) {
                for (int k = 0; k < 3; k++) {
                    DatagramSocket s = lab.udp(lab.lan, hosts[h], 5000 + k);
                    Received a = seenFrom(s, w1, "203.0.113.10", 7000), b = seenFrom(s, w2, "203.0.113.20", 7001);
                    assertEquals(a.from(), b.from(), hosts[h] + ":" + (5000 + k) + ": endpoint-independent mapping");
                    if (address[h] == null) address[h] = a.addr();
                    assertEquals(address[h], a.addr(), "every endpoint of " + hosts[h] + " leaves from one address");
                    assertEquals(5000 + k, a.port(), "ports are preserved on each address");
                    lab.freshPeerGetsThrough(s, "203.0.113.2" + (h * 3 + k), 9000 + k, a.addr(), a.port());
                }
            }
            assertTrue(POOL_ADDRESSES.contains(address[0]) && POOL_ADDRESSES.contains(address[1]), address[0] + " " + address[1]);
            assertNotEquals(address[0], address[1], "two hosts, two pool addresses (the least used is taken)");
            // TCP: the host's address too, and nothing leaves from the interface's own
            String tcpFrom = Netns.call(lab.wan, () -> {
                try (ServerSocket srv = new ServerSocket()) {
                    srv.bind(new InetSocketAddress("203.0.113.11", 4443));
                    Thread client = new Thread(() -> {
                        try {
                            Netns.call(lab.lan, () -> {
                                try (Socket c = new Socket()) {
                                    c.bind(new InetSocketAddress(LAN2, 6001));
                                    c.connect(new InetSocketAddress("203.0.113.11", 4443), 3000);
                                    Thread.sleep(300);
                                }
                                return null;
                            });
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    });
                    client.start();
                    srv.setSoTimeout(5000);
                    try (Socket in = srv.accept()) {
                        client.join(5000);
                        return ((InetSocketAddress) in.getRemoteSocketAddress()).getAddress().getHostAddress() + ":" + in.getPort();
                    }
                }
            });
            assertEquals(address[1] + ":6001", tcpFrom, "TCP of " + LAN2 + " from its own address and port");
            String list = lab.cli("list").out();
            assertTrue(list.contains(address[0] + ":5000") && list.contains(LAN1 + ":5000"), list);
            String json = lab.cli("list", "--json", "--port", "5000").out();
            assertTrue(json.contains("\"external_ip\":\"" + address[0] + "\",\"public_port\":5000,\"lan_ip\":\"" + LAN1 + "\""), json);
            assertEquals(3, lab.awaitStat("address_mappings_" + address[0], v -> v == 3, 5000), "3 mappings on " + address[0]);
            assertEquals(1, lab.awaitStat("address_hosts_" + address[1], v -> v == 1, 5000), "1 host on " + address[1]);
            String metrics = lab.scrapeAndLintMetrics(METRICS_PORT);
            assertTrue(metrics.contains("conenatd_address_mappings{address=\"" + address[0] + "\"} 3.0"), metrics);
            assertTrue(metrics.contains("conenatd_address_hosts{address=\"" + address[1] + "\"} 1.0"), metrics);
        }
    }

    @Test
    void stunAndRfc5780SayIndependentMappingAndFilteringAndReportEachHostsAddress() throws Exception {
        try (Lab lab = poolLab()) {
            lab.startKernelDaemon("--pool", POOL);
            lab.startStund();
            Set<String> mapped = new HashSet<>();
            for (String host : List.of(LAN1, LAN2)) {
                Result r = lab.exec(lab.lan, "timeout", "30", "stun", STUN_PRIMARY, "-v", "-i", host);
                Matcher v = Pattern.compile("Primary: ([^\\n]*)").matcher(r.out());
                assertTrue(v.find(), r.out());
                assertTrue(v.group(1).contains("Independent Mapping") && v.group(1).contains("Independent Filter"), host + ": " + v.group(1));
                Matcher m = Pattern.compile("MappedAddress = ([\\d.]+):(\\d+)").matcher(r.out());
                assertTrue(m.find(), r.out());
                String seen = m.group(1);
                assertTrue(POOL_ADDRESSES.contains(seen), host + " mapped to " + seen);
                while (m.find()) assertEquals(seen, m.group(1), "every test saw the host's one address: " + r.out());
                mapped.add(seen);
                String hostLine = lab.cli("list", "--host", host).out();
                assertTrue(hostLine.contains("address " + seen), "list --host names the address STUN saw: " + hostLine);
            }
            assertEquals(2, mapped.size(), "each host reported on its own address: " + mapped);
            lab.stopDaemon(); // natdiscovery with fresh mappings: a daemon of its own
        }
        try (Lab lab = poolLab()) {
            lab.startKernelDaemon("--pool", POOL);
            lab.startTurnserver();
            String verdict = lab.natDiscovery(LAN1);
            assertTrue(verdict.contains("NAT with Endpoint Independent Mapping"), verdict);
            assertTrue(verdict.contains("NAT with Endpoint Independent Filtering"), verdict);
        }
    }

    @Test
    void portBlocksHoldAHostsEndpointsUpToItsLimitAndTheLogHasABlockRecordEach() throws Exception {
        try (Lab lab = poolLab()) {
            Path alog = lab.dir.resolve("alloc.jsonl");
            lab.startKernelDaemon("--pool", POOL, "--port-block", "64", "--ports-per-host", "128", "--on-limit", "drop",
                    "--allocation-log", alog.toString());
            DatagramSocket sink = lab.udp(lab.wan, "203.0.113.10", 7000);
            Set<Integer> blocks = new HashSet<>();
            String address = null;
            List<DatagramSocket> socks = new ArrayList<>();
            for (int i = 0; i < 128; i++) {
                DatagramSocket s = lab.udp(lab.lan, LAN1, 30000 + i * 11);
                socks.add(s);
                Received r = seenFrom(s, sink, "203.0.113.10", 7000);
                if (address == null) address = r.addr();
                assertEquals(address, r.addr());
                blocks.add((r.port() - 1024) / 64);
                if (i == 99) assertEquals(2, blocks.size(), "100 endpoints in two blocks of 64: " + blocks);
            }
            assertEquals(2, blocks.size(), "128 endpoints fill the two blocks: " + blocks);
            DatagramSocket over = lab.udp(lab.lan, LAN1, 40000);
            send(over, "203.0.113.10", 7000, "129th");
            assertNull(receive(sink, 1500), "the 129th endpoint is refused (--on-limit drop)");
            assertTrue(lab.awaitStat("host_limit_hits", v -> v >= 1, 5000) >= 1);
            String hostLine = lab.cli("list", "--host", LAN1).out();
            assertTrue(hostLine.contains("udp blocks " + address + ":"), hostLine);
            String records = Files.readString(alog);
            List<String> blockLines = records.lines().filter(l -> l.contains("\"event\":\"block-allocate\"")).toList();
            assertEquals(2, blockLines.size(), records);
            assertTrue(blockLines.get(0).contains("\"lan_ip\":\"" + LAN1 + "\",\"external_ip\":\"" + address + "\""), blockLines.get(0));
            assertFalse(records.contains("\"event\":\"allocate\""), "one record per block, not per port: " + records);
            // logrotate: the file is moved away, SIGHUP, and the next record goes to a new file by the name
            Path rotated = lab.dir.resolve("alloc.jsonl.1");
            Files.move(alog, rotated);
            Result hup = Lab.run(List.of("kill", "-HUP", Long.toString(lab.daemonProcess().pid())));
            assertEquals(0, hup.code(), hup.out());
            long deadline = System.currentTimeMillis() + 5000;
            while (!Files.exists(alog) && System.currentTimeMillis() < deadline) Thread.sleep(50);
            assertTrue(Files.exists(alog), "reopened on SIGHUP\n" + lab.daemonLog());
            seenFrom(lab.udp(lab.lan, LAN2, 30000), sink, "203.0.113.10", 7000);
            deadline = System.currentTimeMillis() + 5000;
            while (!Files.readString(alog).contains(LAN2) && System.currentTimeMillis() < deadline) Thread.sleep(50);
            assertTrue(Files.readString(alog).contains("\"event\":\"block-allocate\",\"protocol\":\"udp\",\"lan_ip\":\"" + LAN2 + "\""),
                    Files.readString(alog));
            assertTrue(lab.daemonProcess().isAlive(), "SIGHUP does not stop the daemon");
            for (DatagramSocket s : socks) s.close();
        }
    }

    @Test
    void hostsOnTwoPoolAddressesHairpinAndEachSeesTheOthersPublicAddressAndPort() throws Exception {
        try (Lab lab = poolLab()) {
            lab.startKernelDaemon("--pool", POOL);
            DatagramSocket w = lab.udp(lab.wan, "203.0.113.10", 7000);
            DatagramSocket a = lab.udp(lab.lan, LAN1, 5100), b = lab.udp(lab.lan, LAN2, 5200);
            Received pa = seenFrom(a, w, "203.0.113.10", 7000), pb = seenFrom(b, w, "203.0.113.10", 7000);
            assertNotEquals(pa.addr(), pb.addr());
            send(a, pb.addr(), pb.port(), "a to b");
            Received atB = receive(b, 3000);
            assertNotNull(atB, "hairpin " + pa.from() + " -> " + pb.from() + "\n" + lab.daemonLog());
            assertEquals(pa.from(), atB.from(), "B sees A's public address and port");
            send(b, pa.addr(), pa.port(), "b to a");
            Received atA = receive(a, 3000);
            assertNotNull(atA, "hairpin back");
            assertEquals(pb.from(), atA.from(), "A sees B's public address and port");
        }
    }

    @Test
    void afterKill9AndAfterACleanStopEveryMappingKeepsItsAddressAndPort() throws Exception {
        try (Lab lab = poolLab()) {
            lab.startKernelDaemon("--pool", POOL, "--table-protection", "persist");
            DatagramSocket w = lab.udp(lab.wan, "203.0.113.10", 7000);
            // one port on both hosts: two mappings that share it on two addresses
            DatagramSocket a = lab.udp(lab.lan, LAN1, 5300), b = lab.udp(lab.lan, LAN2, 5300);
            Received pa = seenFrom(a, w, "203.0.113.10", 7000), pb = seenFrom(b, w, "203.0.113.10", 7000);
            assertEquals(5300, pa.port());
            assertEquals(5300, pb.port());
            lab.killDaemon();
            lab.startKernelDaemon("--pool", POOL, "--table-protection", "persist");
            assertTrue(lab.daemonLog().contains("adopted 2 mappings from the maps a previous instance left (as its journal"), lab.daemonLog());
            lab.freshPeerGetsThrough(a, "203.0.113.21", 9100, pa.addr(), pa.port());
            lab.freshPeerGetsThrough(b, "203.0.113.22", 9101, pb.addr(), pb.port());
            DatagramSocket w2 = lab.udp(lab.wan, "203.0.113.23", 7002);
            assertEquals(pa.from(), seenFrom(a, w2, "203.0.113.23", 7002).from(), "a new destination: the same address and port");
            // a clean stop takes the table; the live flows tell the new instance which address each had.
            // Only outbound flows: the fresh peers' inbound ones go first, so both hosts' 5300 must be found from those
            for (String sport : List.of("9100", "9101")) lab.exec(lab.rtr, "conntrack", "-D", "-p", "udp", "--orig-port-src", sport);
            assertEquals(0, lab.stopDaemon());
            lab.startKernelDaemon("--pool", POOL, "--table-protection", "persist");
            assertTrue(lab.daemonLog().contains("adopted 2 mappings from live conntrack flows"), lab.daemonLog());
            lab.freshPeerGetsThrough(b, "203.0.113.24", 9102, pb.addr(), pb.port());
            DatagramSocket w3 = lab.udp(lab.wan, "203.0.113.25", 7003);
            assertEquals(pa.from(), seenFrom(a, w3, "203.0.113.25", 7003).from());
        }
    }

    @Test
    void addressFilteringWithAPoolLetsInOnlyAddressesTheEndpointSentTo() throws Exception {
        try (Lab lab = poolLab()) {
            lab.startKernelDaemon("--pool", POOL, "--filtering", "address", "--source", "10.0.0.0/24");
            DatagramSocket w = lab.udp(lab.wan, "203.0.113.10", 7000);
            DatagramSocket a = lab.udp(lab.lan, LAN1, 5400);
            Received pa = seenFrom(a, w, "203.0.113.10", 7000);
            assertTrue(POOL_ADDRESSES.contains(pa.addr()), pa.from());
            lab.freshPeerGetsThrough(a, "203.0.113.10", 9200, pa.addr(), pa.port()); // same address, another port
            lab.freshPeerStaysOut(a, "203.0.113.11", 9201, pa.addr(), pa.port());
        }
    }

    @Test
    void aPoolAddressInTheLanIsRefusedAndOneNobodyRoutesIsWarnedAboutInOneLine() throws Exception {
        try (Lab lab = poolLab()) {
            Result r = lab.exec(lab.rtr, lab.conenatd(), "-f", "-i", "eth0", "--pool", "10.0.0.7", "--control", lab.dir.resolve("c1").toString());
            assertNotEquals(0, r.code(), r.out());
            assertTrue(r.out().contains("invalid --pool: 10.0.0.7 is inside the LAN (10.0.0.1/24 on eth1)"), r.out());
            assertEquals(1, r.out().lines().filter(l -> l.contains("--pool")).count(), r.out());
            Result empty = lab.exec(lab.rtr, lab.conenatd(), "-f", "-i", "eth0", "--pool", "203.0.113.43-203.0.113.40");
            assertTrue(empty.out().contains("invalid --pool '203.0.113.43-203.0.113.40': the range is empty"), empty.out());
            Result big = lab.exec(lab.rtr, lab.conenatd(), "-f", "-i", "eth0", "--pool", POOL, "--ports", "20000-20099", "--port-block", "200");
            assertTrue(big.out().contains("invalid --port-block 200: must be 1 to the 100 ports of --ports 20000-20099"), big.out());
            lab.startKernelDaemon("--pool", POOL, "--pool", "198.51.100.77");
            List<String> warned = lab.daemonLog().lines().filter(l -> l.contains("[!]") && l.contains("198.51.100.77")).toList();
            assertEquals(1, warned.size(), lab.daemonLog());
            assertTrue(warned.get(0).contains("not an address of this router and no route names it"), warned.get(0));
        }
    }

    @Test
    void natpmpcIsToldItsHostsOwnPoolAddressAndItsMappingIsReachedThere() throws Exception {
        try (Lab lab = poolLab()) {
            lab.startKernelDaemon("--pool", POOL);
            // another host first, so that LAN1 (natpmpc's source) does not simply get the first address
            Received other = seenFrom(lab.udp(lab.lan, LAN2, 5500), lab.udp(lab.wan, "203.0.113.10", 7000), "203.0.113.10", 7000);
            Result g = lab.exec(lab.lan, "timeout", "30", "natpmpc", "-g", "10.0.0.1");
            Matcher m = Pattern.compile("Public IP address : ([\\d.]+)").matcher(g.out());
            assertTrue(m.find(), g.out());
            String told = m.group(1);
            assertTrue(POOL_ADDRESSES.contains(told) && !told.equals(other.addr()), "natpmpc told " + told + ", LAN2 has " + other.addr());
            DatagramSocket sock = lab.udp(lab.lan, LAN1, 4000);
            Result map = lab.exec(lab.lan, "timeout", "30", "natpmpc", "-g", "10.0.0.1", "-a", "4000", "4000", "udp", "3600");
            assertTrue(map.out().contains("Mapped public port 4000 protocol UDP to local port 4000"), map.out() + lab.daemonLog());
            lab.freshPeerGetsThrough(sock, "203.0.113.12", 6000, told, 4000);
            assertTrue(lab.cli("list", "--host", LAN1).out().contains("address " + told), "the mapping paired LAN1 with the address it was told");
        }
    }

    @Test
    void aWatchedPooledTableDeletedByAnotherProcessComesBackWithEveryAddressAndPort() throws Exception {
        try (Lab lab = poolLab()) {
            lab.startKernelDaemon("--pool", POOL, "--table-protection", "watch");
            DatagramSocket w = lab.udp(lab.wan, "203.0.113.10", 7000);
            DatagramSocket a = lab.udp(lab.lan, LAN1, 5600), b = lab.udp(lab.lan, LAN2, 5600);
            Received pa = seenFrom(a, w, "203.0.113.10", 7000), pb = seenFrom(b, w, "203.0.113.10", 7000);
            Result del = lab.exec(lab.rtr, "nft", "delete", "table", "ip", "conenatd");
            assertEquals(0, del.code(), del.out());
            long deadline = System.currentTimeMillis() + 5000;
            while (!lab.daemonLog().contains("restored with 4 elements") && System.currentTimeMillis() < deadline) Thread.sleep(50);
            assertTrue(lab.daemonLog().contains("restored with 4 elements"), lab.daemonLog());
            // the rebuilt maps carry each mapping's own address again: both hosts' 5600, on two addresses
            lab.freshPeerGetsThrough(a, "203.0.113.26", 9300, pa.addr(), pa.port());
            lab.freshPeerGetsThrough(b, "203.0.113.27", 9301, pb.addr(), pb.port());
            // and the journal follows the new table: a kill -9 now still restarts from it
            lab.killDaemon();
            lab.startKernelDaemon("--pool", POOL, "--table-protection", "watch");
            assertTrue(lab.daemonLog().contains("adopted 2 mappings from the maps a previous instance left (as its journal"), lab.daemonLog());
            lab.freshPeerGetsThrough(b, "203.0.113.28", 9302, pb.addr(), pb.port());
        }
    }
}
