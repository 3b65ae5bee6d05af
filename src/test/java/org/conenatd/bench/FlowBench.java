package org.conenatd.bench;

import org.conenatd.it.Lab;
import org.conenatd.packet.Inet4;

import java.io.IOException;
import java.net.DatagramSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * End-to-end benchmark of conenatd in a namespace lab (run by bench/run as root, never as a test).
 *
 * <ul>
 *   <li>inbound: rising rates of new inbound flows (a raw sender in the WAN, every packet a new
 *       source port) to one mapped port, delivered to a LAN receiver; the same rates through a
 *       static kernel DNAT rule measured in the same run are the ceiling.</li>
 *   <li>ingest: rising rates of new outbound SNAT flows; conntrack events learned, overruns.</li>
 *   <li>startup: time to ready and RSS with 60,000+ live mappings.</li>
 *   <li>steady: an established inbound flow never touches the queue.</li>
 * </ul>
 */
public final class FlowBench {
    private static final int NAT = Inet4.parseAddr(Lab.NAT_IP);
    private static final int LAN1 = Inet4.parseAddr(Lab.LAN1);
    private static final int LAN_PORT = 40000;
    private static final int STATIC_PORT = 33333;
    private static final int WAN_BASE = Inet4.parseAddr("203.0.113.10");

    record Row(String mode, int offered, long sent, long received, double seconds, double p50, double p99,
               double cpuPct, double rssMiB) {
        double lossPct() { return sent == 0 ? 0 : 100.0 * (sent - received) / sent; }
        double delivered() { return received / seconds; }
    }

    private final Lab lab;
    private final double seconds;
    private final List<String> report = new ArrayList<>();
    private Path dumpDir;
    private int repeat = 1;

    private FlowBench(Lab lab, double seconds) {
        this.lab = lab;
        this.seconds = seconds;
    }

    public static void main(String[] args) throws Exception {
        int[] rates = {10_000, 25_000, 50_000, 75_000, 100_000, 125_000};
        int[] ingestRates = {50_000, 100_000, 150_000, 200_000};
        double seconds = 1.0;
        Path out = Path.of("bench/out");
        int repeat = 1;
        java.util.Set<String> parts = new java.util.HashSet<>(List.of("inbound", "ingest", "steady", "startup"));
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--repeat" -> repeat = Integer.parseInt(args[++i]);
                case "--parts" -> parts = new java.util.HashSet<>(List.of(args[++i].split(",")));
                case "--rates" -> rates = parse(args[++i]);
                case "--ingest-rates" -> ingestRates = parse(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Files.createDirectories(out);
        try (Lab lab = new Lab()) {
            FlowBench b = new FlowBench(lab, seconds);
            b.dumpDir = out;
            b.repeat = repeat;
            List<Row> rows = parts.contains("inbound") ? b.inbound(rates) : List.of();
            if (lab.daemonProcess() != null) lab.stopDaemon();
            lab.startDaemon("--quiet", "--stats-interval", "20");
            if (parts.contains("ingest")) b.ingest(ingestRates);
            if (parts.contains("steady")) b.steadyState();
            if (parts.contains("startup")) b.startup();
            b.write(rows, out);
        }
    }

    private static int[] parse(String csv) {
        return java.util.Arrays.stream(csv.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
    }

    private void say(String s) {
        System.out.println(s);
        report.add(s);
    }

    private void sh(String ns, String... cmd) throws IOException {
        Lab.Result r = lab.exec(ns, cmd);
        if (r.code() != 0) throw new IllegalStateException(String.join(" ", cmd) + ": " + r.out());
    }

    private void flush() throws Exception {
        lab.exec(lab.rtr, "conntrack", "-F");
        Thread.sleep(300);
    }

    // ---- inbound first packets -------------------------------------------------------------

    List<Row> inbound(int[] rates) throws Exception {
        List<Row> rows = new ArrayList<>();
        try (UdpSink sink = new UdpSink(lab.lan, LAN1, LAN_PORT); RawUdp wan = new RawUdp(lab.wan)) {
            // Ceiling: a static DNAT rule in the same place, no user space.
            sh(lab.rtr, "iptables", "-t", "nat", "-I", "PREROUTING", "1", "-i", "eth0", "-p", "udp", "--dport",
                    String.valueOf(STATIC_PORT), "-j", "DNAT", "--to-destination", Lab.LAN1 + ":" + LAN_PORT);
            for (int rep = 0; rep < repeat; rep++) {
                for (int rate : rates) {
                    flush();
                    rows.add(step("static-dnat", rate, sink, wan, STATIC_PORT, -1));
                }
            }
            sh(lab.rtr, "iptables", "-t", "nat", "-D", "PREROUTING", "-i", "eth0", "-p", "udp", "--dport",
                    String.valueOf(STATIC_PORT), "-j", "DNAT", "--to-destination", Lab.LAN1 + ":" + LAN_PORT);

            lab.startDaemon("--quiet");
            long pid = lab.daemonProcess().pid();
            try (RawUdp lan = new RawUdp(lab.lan)) {
                DatagramSocket probe = lab.udp(lab.wan, "203.0.113.10", 5000);
                // Unmeasured warm-up: a freshly started JVM runs its hot path interpreted at first,
                // and a router daemon is judged running, not starting.
                flush();
                step("warm-up", 20_000, sink, wan, learn(lan, probe), pid);
                for (int rep = 0; rep < repeat; rep++) {
                    for (int rate : rates) {
                        flush();
                        int natPort = learn(lan, probe);
                        rows.add(step("conenatd", rate, sink, wan, natPort, pid));
                    }
                }
            }
        }
        say("");
        say(String.format(Locale.ROOT, "%-12s %9s %9s %9s %7s %11s %9s %9s %7s %8s", "mode", "offered/s", "sent",
                "received", "loss%", "delivered/s", "p50 us", "p99 us", "cpu%", "rss MiB"));
        for (Row r : rows) {
            say(String.format(Locale.ROOT, "%-12s %9d %9d %9d %7.2f %11.0f %9.1f %9.1f %7s %8s", r.mode(), r.offered(),
                    r.sent(), r.received(), r.lossPct(), r.delivered(), r.p50(), r.p99(),
                    r.cpuPct() < 0 ? "-" : String.format(Locale.ROOT, "%.0f", r.cpuPct()),
                    r.rssMiB() < 0 ? "-" : String.format(Locale.ROOT, "%.1f", r.rssMiB())));
        }
        // Medians over the repetitions: single runs on a shared 2-core machine are noisy.
        for (int rate : rates) {
            double[] c = medians(rows, "conenatd", rate), st = medians(rows, "static-dnat", rate);
            say(String.format(Locale.ROOT, "at %d/s (median of %d): conenatd delivers %.3f of the static-DNAT ceiling, loss %.2f%% vs %.2f%%; "
                            + "added latency p50 %+.1f us, p99 %+.1f us (static p99 %.1f us)",
                    rate, repeat, c[0] / Math.max(1, st[0]), c[3], st[3], c[1] - st[1], c[2] - st[2], st[2]));
        }
        return rows;
    }

    /** Median received, p50, p99 and loss% of one mode and rate over the repetitions. */
    private static double[] medians(List<Row> rows, String mode, int rate) {
        List<Row> r = rows.stream().filter(x -> x.mode().equals(mode) && x.offered() == rate).toList();
        return new double[] {
                median(r.stream().mapToDouble(Row::received).toArray()),
                median(r.stream().mapToDouble(Row::p50).toArray()),
                median(r.stream().mapToDouble(Row::p99).toArray()),
                median(r.stream().mapToDouble(Row::lossPct).toArray())};
    }

    private static double median(double[] v) {
        if (v.length == 0) return Double.NaN;
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** Sends from the LAN endpoint to the WAN probe and returns the nat-port it was mapped to. */
    private int learn(RawUdp lan, DatagramSocket probe) throws Exception {
        long before = lab.stats().getOrDefault("mappings", 0L);
        lan.send(LAN1, LAN_PORT, Inet4.parseAddr("203.0.113.10"), 5000, -1);
        Lab.Received r = Lab.receive(probe, 3000);
        if (r == null) throw new IllegalStateException("no outbound packet reached the WAN");
        lab.awaitStat("mappings", v -> v >= Math.min(1, before), 5000);
        Thread.sleep(1100); // the stats file is rewritten every second here: keep the daemon's I/O out of the steps
        return r.port();
    }

    private Row step(String mode, int rate, UdpSink sink, RawUdp wan, int dport, long pid) throws Exception {
        int n = (int) (rate * seconds);
        sink.reset(n);
        long[] cpu0 = cpu(pid);
        long t0 = System.nanoTime();
        long sent = 0;
        double interval = 1e9 / rate;
        for (int i = 0; i < n; i++) {
            pace(t0 + (long) (i * interval));
            int src = WAN_BASE + (i / 64_000) % 20;
            if (wan.send(src, 1024 + i % 64_000, NAT, dport, i)) sent++;
        }
        double sendSeconds = (System.nanoTime() - t0) / 1e9;
        Thread.sleep(1000); // let the last packets land
        long[] cpu1 = cpu(pid);
        double cpuPct = pid < 0 ? -1 : 100.0 * (cpu1[0] - cpu0[0]) / 100.0 / ((cpu1[1] - cpu0[1]) / 1e9);
        Row r = new Row(mode, rate, sent, sink.received(), sendSeconds, sink.percentileMicros(50),
                sink.percentileMicros(99), cpuPct, pid < 0 ? -1 : rssMiB(pid));
        if (dumpDir != null && !mode.equals("warm-up")) sink.dump(dumpDir.resolve("latency-" + mode + "-" + rate + ".csv"));
        System.out.printf(Locale.ROOT, "%s %d/s: %d/%d delivered (%.2f%% loss), p50 %.1f us, p99 %.1f us%n",
                mode, rate, r.received(), sent, r.lossPct(), r.p50(), r.p99());
        return r;
    }

    /** Waits until {@code due}: parks while far (the machine has two cores to share), spins when close. */
    private static void pace(long due) {
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
            if (wait > 60_000) java.util.concurrent.locks.LockSupport.parkNanos(wait - 50_000);
            else Thread.onSpinWait();
        }
    }

    /** utime+stime in clock ticks (USER_HZ = 100) and the wall clock, for a CPU share. */
    private static long[] cpu(long pid) throws IOException {
        if (pid < 0) return new long[] {0, System.nanoTime()};
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new long[] {Long.parseLong(f[11]) + Long.parseLong(f[12]), System.nanoTime()};
    }

    private static double rssMiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
        }
        return -1;
    }

    // ---- conntrack event ingest -------------------------------------------------------------

    void ingest(int[] rates) throws Exception {
        say("");
        say("event ingest (new outbound SNAT flows; default event buffer):");
        try (RawUdp lan = new RawUdp(lab.lan)) {
            for (int rate : rates) {
                flush();
                Thread.sleep(1500);
                Map<String, Long> s0 = lab.stats();
                int n = (int) (rate * seconds);
                long t0 = System.nanoTime();
                double interval = 1e9 / rate;
                for (int i = 0; i < n; i++) {
                    pace(t0 + (long) (i * interval));
                    // every flow to its own WAN endpoint, so each has a unique reply tuple whatever port MASQUERADE picks
                    lan.send(LAN1, 1024 + i % 64_000, WAN_BASE + i % 20, 1024 + (i / 20) % 60_000, i);
                }
                double secs = (System.nanoTime() - t0) / 1e9;
                Thread.sleep(2500);
                Map<String, Long> s1 = lab.stats();
                long learned = s1.get("mapping_flow_events") - s0.get("mapping_flow_events");
                long overruns = s1.get("event_overruns") - s0.get("event_overruns");
                long resyncs = s1.get("resyncs") - s0.get("resyncs");
                say(String.format(Locale.ROOT, "  offered %7d flows/s (%d in %.2f s = %.0f/s achieved by the sender): learned from events %d, overruns %d, resyncs %d, mapping flows now %d",
                        rate, n, secs, n / secs, learned, overruns, resyncs, s1.get("mapping_flows")));
            }
            drain(lan, 50_000);
        }
    }

    /**
     * The sender above is bound by the kernel's own per-flow work. To see how fast the daemon
     * consumes events, freeze it, let the kernel queue {@code n} NEW events in its socket, thaw it
     * and time how long it takes to have learned them all.
     */
    private void drain(RawUdp lan, int n) throws Exception {
        flush();
        Thread.sleep(1500);
        long pid = lab.daemonProcess().pid();
        Map<String, Long> s0 = lab.stats();
        long target = s0.get("mapping_flow_events") + n;
        lab.exec(lab.rtr, "kill", "-STOP", String.valueOf(pid));
        try {
            for (int i = 0; i < n; i++) lan.send(LAN1, 1024 + i % 64_000, WAN_BASE + i % 20, 1024 + (i / 20) % 60_000, i);
            Thread.sleep(300);
        } finally {
            lab.exec(lab.rtr, "kill", "-CONT", String.valueOf(pid));
        }
        long t0 = System.nanoTime();
        long learned;
        while ((learned = lab.stats().get("mapping_flow_events")) < target && System.nanoTime() - t0 < 10_000_000_000L) {
            Thread.sleep(5);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        Map<String, Long> s1 = lab.stats();
        say(String.format(Locale.ROOT, "  drain: %d NEW events queued while the daemon was stopped, learned %d in %.3f s after SIGCONT "
                        + "(>= %.0f events/s, stats file written every 20 ms), overruns %d",
                n, learned - s0.get("mapping_flow_events"), secs, (learned - s0.get("mapping_flow_events")) / secs,
                s1.get("event_overruns") - s0.get("event_overruns")));
    }

    // ---- steady state ------------------------------------------------------------------------

    void steadyState() throws Exception {
        flush();
        try (RawUdp lan = new RawUdp(lab.lan); UdpSink sink = new UdpSink(lab.lan, LAN1, LAN_PORT + 1)) {
            DatagramSocket probe = lab.udp(lab.wan, "203.0.113.10", 5001);
            lan.send(LAN1, LAN_PORT + 1, Inet4.parseAddr("203.0.113.10"), 5001, -1);
            Lab.Received r = Lab.receive(probe, 3000);
            Thread.sleep(300);
            DatagramSocket peer = lab.udp(lab.wan, "203.0.113.20", 7000);
            sink.reset(10_001);
            byte[] b = new byte[16];
            java.nio.ByteBuffer.wrap(b).putLong(0).putLong(System.nanoTime());
            peer.send(new java.net.DatagramPacket(b, 16, java.net.InetAddress.getByName(Lab.NAT_IP), r.port()));
            Thread.sleep(300); // the first packet made the entry; everything after it is the kernel's
            long q0 = queueSequence();
            for (int i = 1; i <= 10_000; i++) {
                java.nio.ByteBuffer.wrap(b).putLong(i).putLong(System.nanoTime());
                peer.send(new java.net.DatagramPacket(b, 16, java.net.InetAddress.getByName(Lab.NAT_IP), r.port()));
            }
            Thread.sleep(500);
            long q1 = queueSequence();
            say("");
            say(String.format(Locale.ROOT, "steady state: a new inbound flow, then 10,000 more packets on it: %d of 10,001 delivered; %d of the 10,000 went through the queue (nfnetlink_queue id_sequence %d -> %d)",
                    sink.received(), q1 - q0, q0, q1));
        }
    }

    private long queueSequence() throws IOException {
        Lab.Result r = lab.exec(lab.rtr, "cat", "/proc/net/netfilter/nfnetlink_queue");
        for (String line : r.out().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 8 && f[0].equals("1000")) return Long.parseLong(f[7]);
        }
        return -1;
    }

    // ---- start-up with 60,000+ mappings ----------------------------------------------------------

    void startup() throws Exception {
        flush();
        for (int h = 103; h <= 109; h++) lab.exec(lab.lan, "ip", "addr", "add", "10.0.0." + h + "/24", "dev", "eth0");
        int flows = 0;
        try (RawUdp lan = new RawUdp(lab.lan)) {
            int dst = Inet4.parseAddr("203.0.113.10");
            for (int h = 101; h <= 109; h++) {
                int base = 10240 + (h - 101) * 6144;
                for (int p = base; p < base + 6144; p++) {
                    lan.send(Inet4.parseAddr("10.0.0." + h), p, dst, 9, -1);
                    flows++;
                }
            }
            for (int p = 1024; p <= 10239; p++) {
                lan.send(Inet4.parseAddr("10.0.0.50"), p, dst, 9, -1);
                flows++;
            }
        }
        Thread.sleep(2500);
        long live = lab.stats().get("mappings");
        long rssLive = Math.round(rssMiB(lab.daemonProcess().pid()));
        if (System.getenv("BENCH_NMT") != null) { // with CONENATD_JAVA_OPTS=-XX:NativeMemoryTracking=summary
            String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
            System.out.println(Lab.run(List.of(jcmd, String.valueOf(lab.daemonProcess().pid()), "VM.native_memory", "summary")).out());
        }
        Thread.sleep(22_000); // idle: the daemon may hand surplus heap back
        long rssIdle = Math.round(rssMiB(lab.daemonProcess().pid()));
        lab.stopDaemon();
        long t0 = System.nanoTime();
        lab.startDaemon("--quiet", "--stats-interval", "20");
        double ready = (System.nanoTime() - t0) / 1e6;
        Thread.sleep(2000);
        double rss = rssMiB(lab.daemonProcess().pid());
        long mapped = lab.stats().get("mappings");
        say("");
        say(String.format(Locale.ROOT, "start-up: %d outbound flows made %d mappings (RSS %d MiB while learning them live, %d MiB after 22 s idle); "
                        + "restarted daemon ready in %.0f ms (JVM start + table dump), resynced %d mappings, RSS %.1f MiB",
                flows, live, rssLive, rssIdle, ready, mapped, rss));
    }

    // ---- output ----------------------------------------------------------------------------------

    private void write(List<Row> rows, Path out) throws IOException {
        StringBuilder csv = new StringBuilder("mode,offered_per_s,sent,received,loss_pct,delivered_per_s,p50_us,p99_us,daemon_cpu_pct,daemon_rss_mib\n");
        for (Row r : rows) {
            csv.append(String.format(Locale.ROOT, "%s,%d,%d,%d,%.3f,%.0f,%.1f,%.1f,%.1f,%.1f%n", r.mode(), r.offered(),
                    r.sent(), r.received(), r.lossPct(), r.delivered(), r.p50(), r.p99(), r.cpuPct(), r.rssMiB()));
        }
        Files.writeString(out.resolve("inbound.csv"), csv);
        Files.write(out.resolve("report.txt"), report);
        Plot.deliveredVsOffered(rows, out.resolve("inbound.png"));
        System.out.println("\nwrote " + out.resolve("inbound.csv") + ", " + out.resolve("inbound.png") + ", " + out.resolve("report.txt"));
    }
}
