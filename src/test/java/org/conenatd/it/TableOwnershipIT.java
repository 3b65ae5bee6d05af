package org.conenatd.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.conenatd.it.Lab.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * conenatd's nf_tables tables are its own (it writes them over netlink, as owned tables) and the
 * operator's firewall tools cannot take full cone away while it runs: a router whose firewall is a
 * Debian-style /etc/nftables.conf (router-nftables.conf: {@code flush ruleset}, a default-drop
 * forward chain, a masquerade) loaded with {@code nft -f} before conenatd starts, and each of
 * {@code --table-protection persist}, {@code owner} and {@code watch} against what an operator (or
 * a package's postinst, or a firewall manager) does to such a router: reload the file, flush the
 * ruleset, restore an iptables save, flush iptables' mangle table, delete conenatd's table.
 *
 * <p>The checks after each disturbance: the daemon lives; five WAN peers that were never contacted
 * reach the live LAN endpoint on the public port it had before; the endpoint's next flow leaves
 * from that port; STUN from a LAN port never used says "Independent Filter"; {@code conenatd
 * status} says the protection (on watch: that it restored the table). Then kill -9 and restart,
 * SIGTERM leaving {@code nft list ruleset} exactly as it was before conenatd first started, and
 * kernel mode running no nft or iptables process and adding no iptables rule and no mangle table.
 */
class TableOwnershipIT {
    /** The router's /etc/nftables.conf (WAN eth0, LAN eth1, as bin/conenatd-lab builds it). */
    static final String CONF = resource("router-nftables.conf");
    static final int QUEUE = 47000; // kernel mode's default -q
    /** How nft 1.0.6 prints the xtables NFQUEUE target (nft_compat) of table ip conenatd's chain first. */
    static final String QUEUE_RULE = "queue num " + QUEUE + " bypass";
    /** The commands kernel mode must never run (test 3 puts traps of these names first on its PATH). */
    static final List<String> FIREWALL_TOOLS = List.of("nft", "iptables", "iptables-nft", "iptables-legacy", "iptables-save",
            "iptables-restore", "iptables-nft-save", "iptables-nft-restore", "iptables-legacy-save", "iptables-legacy-restore",
            "ip6tables", "ip6tables-nft", "ip6tables-legacy", "ip6tables-save", "ip6tables-restore", "xtables-nft-multi",
            "xtables-legacy-multi", "ebtables", "arptables");
    static final long RESTORE_BOUND_MS = 5000; // sanity bound only: a watched table must be back well within this

    static String resource(String name) {
        try (InputStream in = TableOwnershipIT.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("test resource missing: " + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How status and the ready line name a protection: persist, owner, watched. */
    static String shown(String protection) {
        return protection.equals("watch") ? "watched" : protection;
    }

    /** A kernel-mode lab whose router firewall is router-nftables.conf, loaded before any daemon starts. */
    static Lab routerLab() throws IOException {
        Lab lab = new Lab("plain");
        try {
            lab.loadRouterNftables(CONF);
            return lab;
        } catch (RuntimeException | IOException e) {
            lab.close();
            throw e;
        }
    }

    /**
     * WAN sockets on addresses and ports no LAN endpoint ever sent to (203.0.113.11-29, each port
     * used once, from 20000 up), so that every one of them starts a new conntrack flow. Sockets made
     * ahead ({@link #prepare}) and not yet used are handed out first.
     */
    static final class Peers {
        private final Lab lab;
        private final Deque<DatagramSocket> ready = new ArrayDeque<>();
        private int n;

        Peers(Lab lab) {
            this.lab = lab;
        }

        private DatagramSocket make() {
            int i = n++;
            return lab.udp(lab.wan, "203.0.113." + (11 + i % 19), 20000 + i);
        }

        /** Makes {@code count} sockets now, so that a tight polling loop need not. */
        void prepare(int count) {
            while (ready.size() < count) ready.add(make());
        }

        DatagramSocket next() {
            return ready.isEmpty() ? make() : ready.poll();
        }
    }

    static String endpoint(DatagramSocket s) {
        return s.getLocalAddress().getHostAddress() + ":" + s.getLocalPort();
    }

    /** The next datagram whose text is {@code text} (others are dropped), or null after {@code timeoutMs}. */
    static Received receiveText(DatagramSocket s, String text, long timeoutMs) throws IOException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left < 1) return null;
            Received r = Lab.receive(s, (int) left);
            if (r == null) return null;
            if (r.text().equals(text)) return r;
        }
    }

    /** The daemon's log and the router's ruleset, for failure messages. */
    static Supplier<String> diag(Lab lab, String what) {
        return () -> {
            try {
                return what + "\n--- daemon log:\n" + lab.daemonLog() + "\n--- router ruleset:\n" + lab.ruleset();
            } catch (IOException e) {
                return what + " (no diagnostics: " + e + ")";
            }
        };
    }

    /**
     * {@code count} fresh WAN peers each send to {@code NAT_IP:natPort}; the LAN socket must get every
     * packet from the peer's own address and port, and its answer must reach the peer from that
     * public port.
     */
    static void freshPeersGetThrough(Lab lab, Peers peers, DatagramSocket lanSock, int natPort, int count, String what)
            throws IOException {
        for (int i = 1; i <= count; i++) {
            DatagramSocket peer = peers.next();
            String from = endpoint(peer), hello = "hello from " + from, answer = "answer to " + from;
            Lab.send(peer, NAT_IP, natPort, hello);
            Received in = receiveText(lanSock, hello, 3000);
            assertNotNull(in, diag(lab, what + ": fresh peer " + i + "/" + count + " (" + from + ") did not reach "
                    + NAT_IP + ":" + natPort));
            assertEquals(from, in.from(), what + ": the LAN endpoint sees the peer's own address");
            Lab.send(lanSock, peer.getLocalAddress().getHostAddress(), peer.getLocalPort(), answer);
            Received back = receiveText(peer, answer, 3000);
            assertNotNull(back, diag(lab, what + ": the answer to fresh peer " + from + " was lost"));
            assertEquals(NAT_IP + ":" + natPort, back.from(), what + ": the answer leaves from the mapped port");
        }
    }

    /**
     * Polls (about every 20 ms, a new peer each time: a packet that found no DNAT leaves a plain
     * conntrack entry behind that its peer's next packets would follow) until a fresh peer reaches
     * the endpoint; the milliseconds since {@code t0} (System.nanoTime), or -1 after {@code boundMs}.
     */
    static long msUntilAFreshPeerGetsThrough(Peers peers, DatagramSocket lanSock, int natPort, long t0, long boundMs)
            throws IOException {
        while ((System.nanoTime() - t0) / 1_000_000L < boundMs) {
            DatagramSocket peer = peers.next();
            String hello = "poll from " + endpoint(peer);
            Lab.send(peer, NAT_IP, natPort, hello);
            long sent = System.nanoTime();
            while (System.nanoTime() - sent < 20_000_000L) {
                Received r = Lab.receive(lanSock, 20);
                if (r == null) break;
                if (r.text().startsWith("poll from ")) return (System.nanoTime() - t0) / 1_000_000L;
            }
        }
        return -1;
    }

    /** The classic STUN client from 10.0.0.102:{@code port} (and port+1); its "Primary:" verdict. */
    static String stunFrom(Lab lab, int port) throws IOException {
        Result r = lab.exec(lab.lan, "timeout", "30", "stun", STUN_PRIMARY, "-i", LAN2, "-p", Integer.toString(port));
        Matcher m = Pattern.compile("Primary: ([^\\n]*)").matcher(r.out());
        if (!m.find()) throw new AssertionError("stun printed no verdict: " + r.out());
        return m.group(1).trim();
    }

    static void assertFullCone(Lab lab, int stunPort, String what) throws IOException {
        String v = stunFrom(lab, stunPort);
        assertTrue(v.contains("Independent Mapping") && v.contains("Independent Filter") && !v.contains("Dependent Filter"),
                diag(lab, what + ": STUN from " + LAN2 + ":" + stunPort + " says " + v));
    }

    /** conenatd list / status through bin/conenatd, on the lab daemon's control socket. */
    static Result cli(Lab lab, String... args) throws IOException {
        List<String> c = new ArrayList<>(List.of(lab.conenatd()));
        c.addAll(List.of(args));
        c.addAll(List.of("--control", lab.dir.resolve("control").toString()));
        return Lab.run(c);
    }

    record TableStatus(String line, String protection, long restores, String last) {}

    /**
     * The {@code table:} line of {@code conenatd status}: "table:    ip conenatd, persist, restores 0",
     * or on a watched table "..., watched, restores 1, last 2026-12-03T08:40:01Z (deleted by another process)".
     */
    static TableStatus tableStatus(Lab lab) throws IOException {
        Result r = cli(lab, "status");
        assertEquals(0, r.code(), r.out());
        Matcher m = Pattern.compile("(?m)^table: +ip conenatd, (persist|owner|watched), restores (\\d+)"
                + "(?:, last (\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?Z \\(.+\\)))?$").matcher(r.out());
        assertTrue(m.find(), "conenatd status has no table line of the documented form:\n" + r.out());
        return new TableStatus(m.group(0), m.group(1), Long.parseLong(m.group(2)), m.group(3));
    }

    /** The last "[*] conenatd ready in N ms: ..." line of the current daemon's log. */
    static String readyLine(Lab lab) throws IOException {
        Matcher m = Pattern.compile("\\[\\*] conenatd ready in \\d+ ms: [^\\n]*").matcher(lab.daemonLog());
        String line = null;
        while (m.find()) line = m.group();
        assertNotNull(line, "no ready line:\n" + lab.daemonLog());
        return line;
    }

    /** The ready line names the protection (", table protection persist"), as its last item or before the control socket's. */
    static void assertReadyNames(Lab lab, String shown) throws IOException {
        String line = readyLine(lab);
        assertTrue(Pattern.compile(", table protection " + shown + "(,|$)").matcher(line).find(),
                "the ready line ends with ', table protection " + shown + "': " + line);
    }

    static boolean tableExists(Lab lab, String table) throws IOException {
        return lab.exec(lab.rtr, "nft", "list", "table", "ip", table).code() == 0;
    }

    /** Waits up to {@code ms} until table ip {@code table} is (or is not) there; whether it got so. */
    static boolean awaitTable(Lab lab, String table, boolean present, long ms) throws Exception {
        long deadline = System.currentTimeMillis() + ms;
        while (true) {
            if (tableExists(lab, table) == present) return true;
            if (System.currentTimeMillis() > deadline) return false;
            Thread.sleep(20);
        }
    }

    /** {@code nft list tables} of the router, one "table FAMILY NAME" per element. */
    static Set<String> tables(Lab lab) throws IOException {
        Result r = lab.exec(lab.rtr, "nft", "list", "tables");
        assertEquals(0, r.code(), r.out());
        return new TreeSet<>(r.out().lines().map(String::strip).filter(l -> l.startsWith("table ")).toList());
    }

    /** iptables-save's standard output (its warnings about nft-made tables go to stderr), without comments and chain counters. */
    static String iptablesSave(Lab lab) throws IOException {
        Path out = lab.dir.resolve("iptables-save-" + System.nanoTime());
        Result r = lab.exec(lab.rtr, "sh", "-c", "iptables-save > '" + out + "'");
        assertEquals(0, r.code(), r.out());
        StringBuilder sb = new StringBuilder();
        for (String l : Files.readAllLines(out)) {
            if (l.startsWith("#")) continue;
            sb.append(l.replaceAll(" \\[\\d+:\\d+]$", "")).append('\n');
        }
        return sb.toString();
    }

    static int metricsPort() {
        return 20000 + ThreadLocalRandom.current().nextInt(20000);
    }

    /** conenatd_table_restores_total from /metrics on the router's loopback. */
    static long metricRestores(Lab lab, int port) throws IOException {
        Result r = lab.exec(lab.rtr, "curl", "-sS", "--max-time", "5", "http://127.0.0.1:" + port + "/metrics");
        assertEquals(0, r.code(), r.out());
        Matcher m = Pattern.compile("(?m)^conenatd_table_restores_total (\\d+)(?:\\.0)?$").matcher(r.out());
        assertTrue(m.find(), "no conenatd_table_restores_total in /metrics:\n" + r.out());
        return Long.parseLong(m.group(1));
    }

    record Disturbance(String name, boolean touchesTheTable, List<String> shell) {}

    /**
     * 1. For each protection, with one LAN endpoint mapped, the operator's tools in turn; after each,
     * the endpoint is still reachable on its port by anyone, full cone by STUN, and status tells.
     */
    @ParameterizedTest(name = "--table-protection {0}")
    @ValueSource(strings = {"persist", "owner", "watch"})
    void theOperatorsFirewallToolsNeverTakeFullConeAway(String protection) throws Exception {
        try (Lab lab = routerLab()) {
            Path conf = lab.dir.resolve("nftables.conf");
            Path save = lab.dir.resolve("iptables.save");
            Result saved = lab.exec(lab.rtr, "sh", "-c", "iptables-save > '" + save + "'"); // before conenatd ever ran
            assertEquals(0, saved.code(), saved.out());
            lab.startStund();
            lab.daemonEnv("CONENATD_TABLE_PROTECTION", null);
            int metrics = metricsPort();
            lab.startKernelDaemon("--table-protection", protection, "--metrics", "127.0.0.1:" + metrics);
            String shown = shown(protection);
            boolean watched = protection.equals("watch");
            assertReadyNames(lab, shown);

            Peers peers = new Peers(lab);
            DatagramSocket a = lab.udp(lab.lan, LAN1, 40000);
            DatagramSocket server = lab.udp(lab.wan, "203.0.113.10", 5000);
            int port = lab.publicPort(a, server, "203.0.113.10", 5000, NAT_IP);
            freshPeersGetThrough(lab, peers, a, port, 2, "before any disturbance");
            int stunPort = 50000;
            assertFullCone(lab, stunPort, "before any disturbance");
            TableStatus st = tableStatus(lab);
            assertEquals(shown, st.protection(), st.line());
            assertEquals(0, st.restores(), st.line());
            long restores = 0;

            String nftF = "nft -f '" + conf + "'";
            List<Disturbance> disturbances = List.of(
                    new Disturbance("nft -f /etc/nftables.conf", true, List.of("sh", "-c", nftF)),
                    new Disturbance("nft flush ruleset; nft -f /etc/nftables.conf", true,
                            List.of("sh", "-c", "nft flush ruleset && " + nftF)),
                    new Disturbance("iptables-restore < (iptables-save from before conenatd started)", false,
                            List.of("sh", "-c", "iptables-restore < '" + save + "'")),
                    new Disturbance("iptables -t mangle -F", false, List.of("iptables", "-t", "mangle", "-F")),
                    new Disturbance("nft delete table ip conenatd", true, List.of("nft", "delete", "table", "ip", "conenatd")));
            for (Disturbance d : disturbances) {
                String what = "--table-protection " + protection + ", after " + d.name();
                boolean deletion = d.name().startsWith("nft delete table");
                if (watched) peers.prepare(40); // the first ~0.8 s of polling needs no new socket
                long started = System.nanoTime();
                Result r = lab.exec(lab.rtr, d.shell().toArray(String[]::new));
                long done = System.nanoTime();
                if (deletion && !watched) {
                    assertNotEquals(0, r.code(), diag(lab, what + ": the owned table must not be deletable: " + r.out()));
                    assertTrue(r.out().contains("Operation not permitted"), what + ": EPERM: " + r.out());
                    assertTrue(tableExists(lab, "conenatd"), what + ": the table is still there");
                } else {
                    assertEquals(0, r.code(), what + ": the operator's command itself works: " + r.out());
                }
                if (watched) {
                    long ms = msUntilAFreshPeerGetsThrough(peers, a, port, done, RESTORE_BOUND_MS);
                    assertTrue(ms >= 0, diag(lab, what + ": no fresh peer got through within " + RESTORE_BOUND_MS + " ms"));
                    if (deletion) {
                        System.out.println("TableOwnershipIT: watched restore took " + ms + " ms");
                        System.out.println("TableOwnershipIT: (measured from the return of `nft delete table ip conenatd`, which itself took "
                                + (done - started) / 1_000_000L + " ms, polling a new peer every 20 ms)");
                    } else {
                        System.out.println("TableOwnershipIT: watched, after " + d.name() + ": a fresh peer got through after " + ms + " ms");
                    }
                }
                assertTrue(lab.daemonProcess() != null && lab.daemonProcess().isAlive(), diag(lab, what + ": the daemon died"));
                assertTrue(tableExists(lab, "conenatd"), diag(lab, what + ": table ip conenatd is there"));
                freshPeersGetThrough(lab, peers, a, port, 5, what);
                DatagramSocket newDestination = peers.next();
                assertEquals(port, lab.publicPort(a, newDestination, newDestination.getLocalAddress().getHostAddress(),
                        newDestination.getLocalPort(), NAT_IP), what + ": the endpoint's next flow leaves from its port");
                stunPort += 2; // stun uses the port and the next one
                assertFullCone(lab, stunPort, what);

                st = tableStatus(lab);
                assertEquals(shown, st.protection(), what + ": " + st.line());
                if (!watched) {
                    assertEquals(0, st.restores(), what + ": nothing to restore: " + st.line());
                } else if (d.touchesTheTable()) {
                    assertTrue(st.restores() > restores, what + ": the restore is counted: " + st.line() + " (before: " + restores + ")");
                    assertNotNull(st.last(), what + ": status says when and why: " + st.line());
                } else {
                    assertTrue(st.restores() >= restores, what + ": " + st.line());
                }
                restores = st.restores();
            }

            if (watched) {
                assertTrue(Pattern.compile("(?m)\\[!] table ip conenatd[^\\n]*restored").matcher(lab.daemonLog()).find(),
                        "a '[!] table ip conenatd ... restored' log line:\n" + lab.daemonLog());
                Result first = lab.exec(lab.rtr, "nft", "list", "chain", "ip", "conenatd", "first");
                assertTrue(first.out().contains(QUEUE_RULE), "the restored table queues first packets again: " + first.out());
            }
            long expected = restores;
            lab.awaitStat("table_restores", v -> v == expected, 3000);
            assertEquals(expected, metricRestores(lab, metrics), "conenatd_table_restores_total");

            assertEquals(0, lab.stopDaemon(), "SIGTERM: clean exit\n" + lab.daemonLog());
            assertFalse(tableExists(lab, "conenatd"), "SIGTERM removes the table");
        }
    }

    /**
     * 2. Start, kill -9, start again, SIGTERM: the ruleset reads exactly as before conenatd first
     * started. persist: the table outlives the kill and keeps forwarding. owner: the kernel deletes
     * it with its owner. Either way the restarted daemon keeps the endpoint's public port. The
     * protection comes from the option (persist), from CONENATD_TABLE_PROTECTION alone (owner), and
     * from the option over a different CONENATD_TABLE_PROTECTION (watch).
     */
    @ParameterizedTest(name = "--table-protection {0}")
    @ValueSource(strings = {"persist", "owner", "watch"})
    void killNineThenRestartThenSigtermLeavesTheRulesetExactlyAsBefore(String protection) throws Exception {
        try (Lab lab = routerLab()) {
            String before = lab.ruleset();
            String[] args;
            switch (protection) {
                case "owner" -> {
                    lab.daemonEnv("CONENATD_TABLE_PROTECTION", "owner");
                    args = new String[0];
                }
                case "watch" -> {
                    lab.daemonEnv("CONENATD_TABLE_PROTECTION", "owner"); // the option wins
                    args = new String[] {"--table-protection", "watch"};
                }
                default -> {
                    lab.daemonEnv("CONENATD_TABLE_PROTECTION", null);
                    args = new String[] {"--table-protection", protection};
                }
            }
            String shown = shown(protection);
            lab.startKernelDaemon(args);
            assertReadyNames(lab, shown);
            assertEquals(shown, tableStatus(lab).protection());

            Peers peers = new Peers(lab);
            DatagramSocket a = lab.udp(lab.lan, LAN1, 41000);
            DatagramSocket server = lab.udp(lab.wan, "203.0.113.10", 5000);
            int port = lab.publicPort(a, server, "203.0.113.10", 5000, NAT_IP);
            freshPeersGetThrough(lab, peers, a, port, 1, protection + ", first instance");

            lab.killDaemon();
            if (protection.equals("owner")) {
                assertTrue(awaitTable(lab, "conenatd", false, 3000),
                        diag(lab, "owner: the kernel deletes the table when its owner dies"));
            } else {
                assertTrue(tableExists(lab, "conenatd"), diag(lab, protection + ": the table outlives kill -9"));
                freshPeersGetThrough(lab, peers, a, port, 1, protection + ", with no daemon after kill -9");
            }

            lab.startKernelDaemon(args);
            assertReadyNames(lab, shown);
            assertEquals(shown, tableStatus(lab).protection());
            if (protection.equals("persist")) {
                assertTrue(lab.daemonLog().contains("adopted 1 mappings from the maps a previous instance left"),
                        "persist: the next instance takes the orphaned table over with its maps\n" + lab.daemonLog());
            } else if (protection.equals("owner")) {
                assertTrue(lab.daemonLog().contains("adopted 1 mappings from live conntrack flows"),
                        "owner: the next instance rebuilds the table from live conntrack flows\n" + lab.daemonLog());
            }
            freshPeersGetThrough(lab, peers, a, port, 2, protection + ", after the restart");
            DatagramSocket other = lab.udp(lab.wan, "203.0.113.20", 5002);
            assertEquals(port, lab.publicPort(a, other, "203.0.113.20", 5002, NAT_IP),
                    protection + ": a new flow after the restart leaves from the same port");

            assertEquals(0, lab.stopDaemon(), "SIGTERM: clean exit\n" + lab.daemonLog());
            assertEquals(before, lab.ruleset(), protection + ": after kill -9, restart and SIGTERM the ruleset reads as before");
        }
    }

    /**
     * 3. Kernel mode runs neither nft nor iptables (every such command on its PATH is a trap that
     * records the call and fails, as on a router without them), adds no iptables rule and no
     * {@code table ip mangle}: its one table is all; the queue rule for first packets is in it.
     * With neither option nor environment the protection is auto: persist on this kernel.
     */
    @Test
    void kernelModeRunsNoFirewallToolAndAddsNoIptablesRuleAndNoMangleTable() throws Exception {
        try (Lab lab = routerLab()) {
            Path traps = lab.dir.resolve("traps");
            Path calls = lab.dir.resolve("firewall-tool-calls.log");
            Files.createDirectories(traps);
            for (String tool : FIREWALL_TOOLS) {
                Path f = traps.resolve(tool);
                Files.writeString(f, "#!/bin/sh\nprintf '%s\\n' \"" + tool + " $*\" >> '" + calls + "'\n"
                        + "echo '" + tool + ": not installed on this router (TableOwnershipIT trap)' >&2\nexit 127\n");
                assertTrue(f.toFile().setExecutable(true));
            }
            lab.daemonEnv("PATH", traps + ":" + System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/usr/bin:/sbin:/bin");
            lab.daemonEnv("CONENATD_TABLE_PROTECTION", null);
            Set<String> tablesBefore = tables(lab);
            assertFalse(tablesBefore.contains("table ip mangle"), "the lab itself made no mangle table: " + tablesBefore);
            String iptablesBefore = iptablesSave(lab);
            String rulesetBefore = lab.ruleset();

            try {
                lab.startKernelDaemon();
            } catch (IllegalStateException e) {
                throw new AssertionError("kernel mode did not start with no firewall tool on PATH; it called: "
                        + (Files.exists(calls) ? Files.readString(calls) : "none of them") + "\n" + e.getMessage(), e);
            }
            assertReadyNames(lab, "persist");
            TableStatus st = tableStatus(lab);
            assertEquals("persist", st.protection(), "auto is persist on this kernel: " + st.line());
            assertEquals(0, st.restores(), st.line());

            Peers peers = new Peers(lab);
            DatagramSocket a = lab.udp(lab.lan, LAN1, 42000);
            DatagramSocket server = lab.udp(lab.wan, "203.0.113.10", 5000);
            int port = lab.publicPort(a, server, "203.0.113.10", 5000, NAT_IP);
            freshPeersGetThrough(lab, peers, a, port, 2, "no firewall tool on PATH");
            lab.awaitStat("allocations", v -> v == 1, 5000);

            Set<String> tablesWhile = tables(lab);
            Set<String> added = new TreeSet<>(tablesWhile);
            added.removeAll(tablesBefore);
            assertEquals(Set.of("table ip conenatd"), added, "conenatd's one table is all it adds: " + tablesWhile);
            assertTrue(tablesWhile.containsAll(tablesBefore), "and it takes none away: " + tablesWhile);
            assertFalse(tablesWhile.contains("table ip mangle"), "no mangle table: " + tablesWhile);
            String iptablesWhile = iptablesSave(lab);
            assertEquals(iptablesBefore, iptablesWhile, "iptables-save reads as before: no iptables rule of conenatd's");
            assertFalse(iptablesWhile.contains("NFQUEUE") || iptablesWhile.contains("conenatd"), iptablesWhile);
            Result first = lab.exec(lab.rtr, "nft", "list", "chain", "ip", "conenatd", "first");
            assertEquals(0, first.code(), first.out());
            assertTrue(first.out().contains(QUEUE_RULE), "the queue verdict lives in chain first: " + first.out());

            assertEquals(0, lab.stopDaemon(), "SIGTERM: clean exit\n" + lab.daemonLog());
            assertFalse(Files.exists(calls), () -> {
                try {
                    return "kernel mode ran firewall tools:\n" + Files.readString(calls) + "\n" + lab.daemonLog();
                } catch (IOException e) {
                    return e.toString();
                }
            });
            assertEquals(rulesetBefore, lab.ruleset(), "SIGTERM leaves the ruleset as before");
            assertEquals(iptablesBefore, iptablesSave(lab));
        }
    }

    /**
     * Seed mode's {@code --kernel-dnat} table is protected the same way (auto: persist), while the
     * seed's iptables rules stay the operator's: untouched while it runs and after SIGTERM.
     */
    @Test
    void seedModesKernelDnatTableIsOwnedAndTheSeedsIptablesRulesStayTheOperators() throws Exception {
        try (Lab lab = new Lab()) {
            lab.daemonEnv("CONENATD_TABLE_PROTECTION", null);
            Set<String> tablesBefore = tables(lab);
            String iptablesBefore = iptablesSave(lab);
            lab.startDaemon("--kernel-dnat", "10240-65535");
            DatagramSocket host = lab.udp(lab.lan, LAN1, 40900);
            int natPort = lab.learnMapping(host, lab.udp(lab.wan, "203.0.113.10", 5000), "203.0.113.10", 5000);
            lab.awaitStat("kernel_dnat_ports", v -> v >= 1, 5000);

            Result del = lab.exec(lab.rtr, "nft", "delete", "table", "ip", "conenatd_seed_dnat");
            assertNotEquals(0, del.code(), diag(lab, "the seed's DNAT table must not be deletable: " + del.out()));
            assertTrue(del.out().contains("Operation not permitted"), del.out());
            Peers peers = new Peers(lab);
            freshPeersGetThrough(lab, peers, host, natPort, 3, "seed --kernel-dnat after nft delete table");
            lab.awaitStat("kernel_dnat_flows", v -> v >= 3, 3000);
            assertEquals(iptablesBefore, iptablesSave(lab), "the seed's iptables rules are the operator's: untouched");

            assertEquals(0, lab.stopDaemon(), "SIGTERM: clean exit\n" + lab.daemonLog());
            assertEquals(tablesBefore, tables(lab), "SIGTERM removes the seed's DNAT table and nothing else");
            assertEquals(iptablesBefore, iptablesSave(lab));
        }
    }
}
