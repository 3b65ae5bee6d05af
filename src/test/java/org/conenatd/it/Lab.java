package org.conenatd.it;

import org.conenatd.sys.Libc;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One throw-away lab built by bin/conenatd-lab (LAN host, router, WAN host as namespaces, the
 * README's rules in the router), the daemon started in the router through bin/conenatd, and UDP
 * sockets in any of the namespaces. Everything is torn down by {@link #close}, even after failures.
 */
public final class Lab implements AutoCloseable {
    public static final String NAT_IP = "203.0.113.1";
    public static final String STUN_PRIMARY = "203.0.113.2";
    public static final String STUN_ALT = "203.0.113.3";
    public static final String LAN1 = "10.0.0.101";
    public static final String LAN2 = "10.0.0.102";
    public static final String LAN_DEFAULT_RANGE = "10.0.0.50"; // MASQUERADEd to 1024-10239, which the rules exclude

    public final Path home = Path.of(System.getProperty("conenatd.home", ".")).toAbsolutePath();
    public final String prefix;
    public final String lan, rtr, wan;
    public final Path dir;
    private final List<DatagramSocket> sockets = new ArrayList<>();
    private final List<Process> background = new ArrayList<>();
    private Process daemon;
    private String launcher;
    private Map<String, String> launcherEnv;
    private final Map<String, String> daemonEnv = new HashMap<>();
    private Path daemonLog;
    /** How long a start may take until the daemon is ready (the bench adopts a million mappings). */
    public int readySeconds = 30;
    private Path statsFile;
    private Path control;

    public Lab() throws IOException {
        this("seed");
    }

    /** {@code rules}: "seed" (the README's iptables example) or "plain" (only a masquerade, for kernel mode). */
    public Lab(String rules) throws IOException {
        requireRoot();
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder sb = new StringBuilder("it");
        for (int i = 0; i < 6; i++) sb.append(alphabet.charAt(ThreadLocalRandom.current().nextInt(alphabet.length())));
        prefix = sb.toString();
        lan = prefix + "-lan";
        rtr = prefix + "-rtr";
        wan = prefix + "-wan";
        dir = Files.createTempDirectory("conenatd-" + prefix);
        Result r = run(List.of(home.resolve("bin/conenatd-lab").toString(), "up", prefix, rules));
        if (r.code != 0) {
            close();
            throw new IllegalStateException("lab up failed: " + r.out);
        }
    }

    public static void requireRoot() {
        // Integration tests must run, never skip: without root they fail loudly.
        if (Libc.geteuid() != 0) {
            throw new IllegalStateException("integration tests need root (network namespaces, iptables, conntrack); run them with sudo");
        }
    }

    public record Result(int code, String out) {}

    public static Result run(List<String> cmd) throws IOException {
        return run(cmd, 60);
    }

    public static Result run(List<String> cmd, int timeoutSeconds) throws IOException {
        // Output goes to a file: a pipe would fill up and stall a chatty command (conntrack -L).
        Path out = Files.createTempFile("conenatd-run", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            try {
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IOException("timed out: " + cmd);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            return new Result(p.exitValue(), Files.readString(out));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    public Result exec(String ns, String... cmd) throws IOException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(List.of(cmd));
        return run(c);
    }

    public Process spawn(String ns, Path log, String... cmd) throws IOException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(List.of(cmd));
        Process p = new ProcessBuilder(c).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        background.add(p);
        return p;
    }

    /** The launcher the daemon is started with: bin/conenatd of this tree unless {@link #useLauncher} says otherwise. */
    public String conenatd() {
        return launcher != null ? launcher : home.resolve("bin/conenatd").toString();
    }

    /**
     * Starts the daemon with {@code path} (an installed /usr/sbin/conenatd) instead of bin/conenatd,
     * in exactly the environment {@code env} (plus CONENATD_JAVA_OPTS for the ready file), not the
     * test JVM's: no JAVA_HOME, no Maven PATH.
     */
    public void useLauncher(String path, Map<String, String> env) {
        launcher = path;
        launcherEnv = Map.copyOf(env);
    }

    /**
     * Sets {@code key} in the environment of every daemon this lab starts from now on (on top of
     * the test JVM's, or of {@link #useLauncher}'s); {@code null} removes it from that environment.
     */
    public void daemonEnv(String key, String value) {
        daemonEnv.put(key, value);
    }

    /**
     * Replaces the router's firewall with the nft file {@code text} (written to this lab's
     * directory as nftables.conf and loaded with {@code nft -f}; a Debian-style
     * /etc/nftables.conf starts with {@code flush ruleset}, so whatever the lab put there goes).
     * Call it before the daemon starts. Returns the file's path, for loading it again.
     */
    public Path loadRouterNftables(String text) throws IOException {
        Path conf = dir.resolve("nftables.conf");
        Files.writeString(conf, text);
        Result r = exec(rtr, "nft", "-f", conf.toString());
        if (r.code() != 0) throw new IllegalStateException("nft -f " + conf + " in " + rtr + " failed: " + r.out());
        return conf;
    }

    /** Starts the daemon in seed mode in the router in the foreground (-f) and waits until it says it is ready. */
    public void startDaemon(String... extra) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("-n", NAT_IP, "-m", "2000"));
        if (!List.of(extra).contains("-q")) c.addAll(List.of("-q", "1000")); // a test may bind others
        c.addAll(List.of(extra));
        start(c);
    }

    /** Starts the daemon in kernel mode on the router's WAN interface (eth0) and waits until it is ready. */
    public void startKernelDaemon(String... extra) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("-i", "eth0"));
        c.addAll(List.of(extra));
        start(c);
    }

    private void start(List<String> args) throws IOException, InterruptedException {
        if (daemon != null) throw new IllegalStateException("daemon already running");
        daemonLog = dir.resolve("daemon-" + System.nanoTime() + ".log");
        statsFile = dir.resolve("stats");
        List<String> c = new ArrayList<>(List.of(conenatd(), "-f", "--stats-file", statsFile.toString()));
        // the default control path is one for the whole machine: labs running side by side (the
        // bench, parallel runs) would each find it taken; a test that wants a socket names its own
        if (!args.contains("--control")) c.addAll(List.of("--control", dir.resolve("control").toString()));
        int ci = c.indexOf("--control");
        control = Path.of(c.get(ci + 1));
        c.addAll(args);
        // The launcher passes JVM options through; the daemon writes this file once it is ready
        // (the log line may be silenced by --quiet).
        Path ready = dir.resolve("ready-" + System.nanoTime());
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", rtr));
        full.addAll(c);
        ProcessBuilder pb = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(daemonLog.toFile());
        if (launcherEnv != null) {
            pb.environment().clear();
            pb.environment().putAll(launcherEnv);
        }
        daemonEnv.forEach((k, v) -> {
            if (v == null) pb.environment().remove(k);
            else pb.environment().put(k, v);
        });
        String opts = pb.environment().getOrDefault("CONENATD_JAVA_OPTS", "");
        pb.environment().put("CONENATD_JAVA_OPTS", (opts + " -Dconenatd.ready=" + ready).trim());
        daemon = pb.start();
        background.add(daemon);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(readySeconds);
        while (!Files.exists(ready) || Files.size(ready) == 0) {
            if (!daemon.isAlive()) throw new IllegalStateException("daemon exited " + daemon.exitValue() + ": " + daemonLog());
            if (System.nanoTime() > deadline) throw new IllegalStateException("daemon not ready: " + daemonLog());
            Thread.sleep(10);
        }
    }

    /** SIGTERM, then waits; returns the exit code. */
    public int stopDaemon() throws InterruptedException {
        if (daemon == null) return -1;
        daemon.toHandle().descendants().forEach(ProcessHandle::destroy);
        daemon.destroy();
        boolean done = daemon.waitFor(15, TimeUnit.SECONDS);
        if (!done) daemon.destroyForcibly();
        int code = done ? daemon.exitValue() : -9;
        daemon = null;
        return code;
    }

    public Process daemonProcess() { return daemon; }

    /** SIGKILL to the daemon's JVM: nothing of its own clean-up runs. */
    public void killDaemon() throws InterruptedException {
        if (daemon == null) return;
        daemon.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        daemon.destroyForcibly();
        daemon.waitFor(15, TimeUnit.SECONDS);
        daemon = null;
    }

    /** Starts the WAN's RFC 3489 STUN server on its two addresses ("change IP" tests need both). */
    public void startStund() throws IOException, InterruptedException {
        spawn(wan, dir.resolve("stund.log"), "stund", "-h", STUN_PRIMARY, "-a", STUN_ALT);
        Thread.sleep(500);
    }

    /**
     * Starts coturn as an RFC 5780 STUN server on the WAN's two addresses. {@code -n}: Debian's
     * /etc/turnserver.conf says no-rfc5780 (and syslog), which would leave natdiscovery no verdict.
     */
    public void startTurnserver() throws IOException, InterruptedException {
        spawn(wan, dir.resolve("turnserver.log"), "turnserver", "-n", "-L", STUN_PRIMARY, "-L", STUN_ALT,
                "--listening-port", "3478", "--alt-listening-port", "3479", "--stun-only", "--no-cli", "--no-tls",
                "--no-dtls", "--no-tcp", "--log-file", "stdout", "--userdb", dir.resolve("turndb").toString(),
                "--pidfile", dir.resolve("turnserver.pid").toString());
        Thread.sleep(1000);
    }

    /** coturn's RFC 5780 discovery from {@code from} in the LAN: its "NAT with ..." verdict lines. */
    public String natDiscovery(String from) throws IOException {
        Result r = exec(lan, "timeout", "30", "turnutils_natdiscovery", "-m", "-f", "-L", from, STUN_PRIMARY);
        StringBuilder sb = new StringBuilder();
        r.out().lines().filter(l -> l.startsWith("NAT with") || l.startsWith("No NAT")).forEach(l -> sb.append(l).append('\n'));
        if (sb.isEmpty()) throw new AssertionError("natdiscovery printed no verdict: " + r.out());
        return sb.toString();
    }

    /** The classic STUN client's verdict ("Independent Mapping, Port Dependent Filter, ...") from {@code from} in the LAN. */
    public String stunVerdict(String from) throws IOException {
        return stunVerdict(List.of("timeout", "30", "stun", STUN_PRIMARY, "-i", from));
    }

    /** The same verdict from source port {@code port} of {@code from} (the client also uses {@code port + 1}). */
    public String stunVerdict(String from, int port) throws IOException {
        return stunVerdict(List.of("timeout", "30", "stun", STUN_PRIMARY, "-p", Integer.toString(port), "-i", from));
    }

    private String stunVerdict(List<String> cmd) throws IOException {
        Result r = exec(lan, cmd.toArray(String[]::new));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("Primary: ([^\\n]*)").matcher(r.out());
        if (!m.find()) throw new AssertionError("stun printed no verdict: " + r.out());
        return m.group(1).trim();
    }

    /** The README's optional variant: only ports the kernel saw leave as SNAT'd sources reach the queue. */
    public static final String MAPPED_PORTS_NFT = """
            table ip conenatd_seed {
              set ports { type inet_service; flags dynamic,timeout; timeout 600s; }
              chain seen {
                type filter hook postrouting priority srcnat + 10; policy accept;
                oifname "eth0" meta l4proto udp ct status snat update @ports { udp sport }
              }
              chain mapped {
                type filter hook prerouting priority mangle + 1; policy accept;
                iifname "eth0" udp dport @ports meta mark set meta mark | 0x1000000
              }
            }
            """;

    /**
     * The README's optional seed-mode variant: the nft table above, and the seed's queue rule (the
     * 4th of CONENATD_PRE) replaced by one that matches its mark and goes to {@code queueTarget}
     * ("--queue-num", "1000", or "--queue-balance", "1000:1001"). The first failing step's result.
     */
    public Result applyOptionalQueueRule(String... queueTarget) throws IOException {
        Result nft = run(List.of("sh", "-c", "printf '%s' \"$0\" | ip netns exec " + rtr + " nft -f -", MAPPED_PORTS_NFT));
        if (nft.code() != 0) return nft;
        List<String> rule = new ArrayList<>(List.of("ip", "netns", "exec", rtr, "iptables", "-t", "nat", "-R", "CONENATD_PRE",
                "4", "-p", "udp", "-m", "mark", "--mark", "0x1000000/0x1000000", "-j", "NFQUEUE"));
        rule.addAll(List.of(queueTarget));
        return run(rule);
    }

    /**
     * Runs the CLI ({@code conenatd list ...}, {@code conenatd status}) against the control socket
     * of the daemon this lab started last.
     */
    public Result cli(String... args) throws IOException {
        if (control == null) throw new IllegalStateException("no daemon started yet");
        List<String> c = new ArrayList<>(List.of(conenatd()));
        c.addAll(List.of(args));
        c.addAll(List.of("--control", control.toString()));
        return run(c);
    }

    /**
     * A fresh WAN peer (a socket at {@code peerAddr:peerPort} in the WAN namespace that never
     * talked to the endpoint) sends to {@code natAddr:natPort}: the LAN socket must get it from the
     * peer's real address, and its answer must come back from the public port.
     */
    public void freshPeerGetsThrough(DatagramSocket lanSock, String peerAddr, int peerPort, String natAddr, int natPort) throws Exception {
        DatagramSocket peer = udp(wan, peerAddr, peerPort);
        send(peer, natAddr, natPort, "hello from " + peerAddr);
        Received in = receive(lanSock, 3000);
        org.junit.jupiter.api.Assertions.assertNotNull(in, () -> "fresh peer " + peerAddr + ":" + peerPort + " did not reach " + natAddr + ":"
                + natPort + "\n" + listing() + daemonLogOrNothing());
        org.junit.jupiter.api.Assertions.assertEquals(peerAddr + ":" + peerPort, in.from());
        send(lanSock, peerAddr, peerPort, "answer");
        Received back = receive(peer, 3000);
        org.junit.jupiter.api.Assertions.assertNotNull(back, "the answer never reached " + peerAddr);
        org.junit.jupiter.api.Assertions.assertEquals(natAddr + ":" + natPort, back.from(), "the answer leaves from the mapped port");
    }

    /** A fresh WAN peer sends to {@code natAddr:natPort} and the LAN socket gets nothing within a second. */
    public void freshPeerStaysOut(DatagramSocket lanSock, String peerAddr, int peerPort, String natAddr, int natPort) throws Exception {
        DatagramSocket peer = udp(wan, peerAddr, peerPort);
        send(peer, natAddr, natPort, "unsolicited from " + peerAddr);
        Received r = receive(lanSock, 1000);
        org.junit.jupiter.api.Assertions.assertNull(r, () -> "fresh peer " + peerAddr + " got through to " + natAddr + ":" + natPort + ": " + r
                + "\n" + listing() + daemonLogOrNothing());
    }

    /** For a failure message: {@code conenatd list} of the running daemon, if it has a control socket. */
    private String listing() {
        try {
            return control == null ? "" : cli("list").out();
        } catch (IOException e) {
            return "(no list: " + e.getMessage() + ")\n";
        }
    }

    private String daemonLogOrNothing() {
        try {
            return daemonLog();
        } catch (IOException e) {
            return "(no daemon log: " + e.getMessage() + ")";
        }
    }

    /** Scrapes /metrics on the router's loopback port {@code port} and runs promtool over it; returns the text. */
    public String scrapeAndLintMetrics(int port) throws IOException {
        Result r = exec(rtr, "curl", "-sS", "--max-time", "5", "http://127.0.0.1:" + port + "/metrics");
        org.junit.jupiter.api.Assertions.assertEquals(0, r.code(), r.out());
        Path file = dir.resolve("metrics-" + System.nanoTime() + ".txt");
        Files.writeString(file, r.out());
        Result lint = run(List.of("sh", "-c", "promtool check metrics < " + file));
        org.junit.jupiter.api.Assertions.assertEquals(0, lint.code(), "promtool check metrics:\n" + lint.out() + "\n" + r.out());
        return r.out();
    }

    /** The router's whole nftables ruleset as nft prints it. */
    public String ruleset() throws IOException {
        return exec(rtr, "nft", "list", "ruleset").out();
    }

    public String daemonLog() throws IOException {
        return daemonLog == null || !Files.exists(daemonLog) ? "" : Files.readString(daemonLog);
    }

    public Map<String, Long> stats() throws IOException {
        Map<String, Long> m = new HashMap<>();
        if (statsFile == null || !Files.exists(statsFile)) return m;
        for (String line : Files.readAllLines(statsFile)) {
            int eq = line.indexOf('=');
            if (eq > 0) m.put(line.substring(0, eq), Long.parseLong(line.substring(eq + 1).trim()));
        }
        return m;
    }

    /** Waits until the stats file shows {@code key} satisfying the predicate (it is rewritten every second). */
    public long awaitStat(String key, java.util.function.LongPredicate ok, long timeoutMs) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        Long v = null;
        while (System.currentTimeMillis() < deadline) {
            v = stats().get(key);
            if (v != null && ok.test(v)) return v;
            Thread.sleep(100);
        }
        throw new AssertionError("stat " + key + " never satisfied the condition; last " + v + "\n" + daemonLog());
    }

    /** A UDP socket bound in namespace {@code ns}, with a receive timeout. */
    public DatagramSocket udp(String ns, String addr, int port) {
        DatagramSocket s = Netns.call(ns, () -> {
            DatagramSocket d = new DatagramSocket(null);
            d.setReuseAddress(true);
            d.bind(new InetSocketAddress(InetAddress.getByName(addr), port));
            d.setSoTimeout(3000);
            return d;
        });
        sockets.add(s);
        return s;
    }

    public static void send(DatagramSocket s, String to, int port, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        s.send(new DatagramPacket(b, b.length, InetAddress.getByName(to), port));
    }

    /** Receives one datagram or returns null after {@code timeoutMs}. */
    public static Received receive(DatagramSocket s, int timeoutMs) throws IOException {
        s.setSoTimeout(timeoutMs);
        byte[] b = new byte[2048];
        DatagramPacket p = new DatagramPacket(b, b.length);
        try {
            s.receive(p);
        } catch (SocketTimeoutException e) {
            return null;
        }
        return new Received(p.getAddress().getHostAddress(), p.getPort(),
                new String(b, 0, p.getLength(), StandardCharsets.UTF_8));
    }

    public record Received(String addr, int port, String text) {
        public String from() { return addr + ":" + port; }
    }

    /**
     * Sends one packet from the LAN socket to a WAN socket and returns the NAT port the WAN side
     * saw it come from: the mapping the router made.
     */
    public int learnMapping(DatagramSocket lanSock, DatagramSocket wanSock, String wanAddr, int wanPort) throws IOException {
        send(lanSock, wanAddr, wanPort, "hello from lan");
        Received r = receive(wanSock, 3000);
        if (r == null) throw new AssertionError("outbound packet never reached the WAN");
        if (!r.addr().equals(NAT_IP)) throw new AssertionError("outbound packet not SNAT'd to " + NAT_IP + ": " + r);
        return r.port();
    }

    /**
     * Sends one packet from the LAN socket to a WAN socket and returns the public port it was seen
     * from, checking it was masqueraded to {@code natAddr} (kernel mode follows the interface's
     * address, which a test may change).
     */
    public int publicPort(DatagramSocket lanSock, DatagramSocket wanSock, String wanAddr, int wanPort, String natAddr)
            throws IOException {
        send(lanSock, wanAddr, wanPort, "out");
        Received r = receive(wanSock, 3000);
        if (r == null) throw new AssertionError("outbound packet never reached the WAN\n" + daemonLog());
        if (!r.addr().equals(natAddr)) throw new AssertionError("not masqueraded to " + natAddr + ": " + r);
        return r.port();
    }

    /**
     * True once a connected UDP socket of the LAN endpoint {@code lanAddr:lanPort}, after sending to
     * a WAN port nobody listens on, gets the WAN's port unreachable back through the NAT.
     */
    public boolean portUnreachableReaches(String lanAddr, int lanPort) throws Exception {
        java.nio.channels.DatagramChannel ch = Netns.call(lan, () -> {
            java.nio.channels.DatagramChannel c = java.nio.channels.DatagramChannel.open();
            c.bind(new InetSocketAddress(lanAddr, lanPort));
            // a high port nothing listens on (a well-known one would get no mapping: --full-cone-ports)
            c.connect(new InetSocketAddress("203.0.113.10", 19999));
            return c;
        });
        try (ch) {
            ch.write(java.nio.ByteBuffer.wrap("anyone?".getBytes(StandardCharsets.UTF_8)));
            Thread.sleep(500);
            try {
                ch.read(java.nio.ByteBuffer.allocate(64));
                return false;
            } catch (java.net.PortUnreachableException e) {
                return true;
            }
        }
    }

    @Override
    public void close() {
        for (DatagramSocket s : sockets) s.close();
        try {
            stopDaemon();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Process p : background) {
            p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        try {
            run(List.of(home.resolve("bin/conenatd-lab").toString(), "down", prefix));
        } catch (IOException e) {
            System.err.println("lab down " + prefix + " failed: " + e);
        }
        // its logs and scratch files go too (a failing test has put what it needs in its message);
        // -Dconenatd.keepLabDirs=true keeps them for a look
        if (!Boolean.getBoolean("conenatd.keepLabDirs")) {
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException e) {
                System.err.println("cannot delete " + dir + ": " + e);
            }
        }
    }
}
