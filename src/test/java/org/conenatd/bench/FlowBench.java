package org.conenatd.bench;

import org.conenatd.it.Lab;
import org.conenatd.packet.Inet4;

import java.io.IOException;
import java.net.DatagramSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * End-to-end benchmark of conenatd in namespace labs (run by bench/run as root, never as a test).
 *
 * <p>Side by side in one run, every mode in a lab of its own (so no mode's daemon sees another
 * mode's traffic), repetitions interleaved (rep, rate, mode) so that a change of the shared
 * machine's load hits every mode alike; medians over the repetitions, ratios against the static
 * kernel DNAT rule measured in the same run:
 * <ul>
 *   <li>inbound: rising rates (and unpaced) of new inbound flows (a raw sender in the WAN, every
 *       packet a new source port) to one mapped port, delivered to a LAN receiver. Modes:
 *       {@code static-dnat} (a static DNAT rule in a plain lab, no daemon: the ceiling),
 *       {@code seed} (seed mode on the README's rules) and {@code kernel} ({@code -i eth0} on a
 *       plain lab, the mapping made by one outbound packet of the receiver's socket); for the
 *       daemon modes the packets that went through their queue (nfnetlink_queue id_sequence).</li>
 *   <li>flood: an unpaced flood of new flows to unmapped ports while legitimate new flows arrive at
 *       5,000/s to the mapped port: the share of legitimate flows delivered.</li>
 *   <li>alloc (kernel mode): new LAN endpoints as fast as the raw sender goes: allocations/s,
 *       packets lost, and that new flows of known endpoints queue nothing; and the daemon's own
 *       allocation rate from a queue filled while it was stopped.</li>
 *   <li>startup60k (kernel mode): 60,000 mappings, RSS, then {@code kill -9} and restarts: time to
 *       ready with every mapping adopted from the maps, RSS after.</li>
 *   <li>seed mode only, as before: ingest (conntrack events), steady (an established flow never
 *       touches the queue), startup (ready time and RSS with 64,512 mappings).</li>
 * </ul>
 */
public final class FlowBench {
    private static final int NAT = Inet4.parseAddr(Lab.NAT_IP);
    private static final int LAN1 = Inet4.parseAddr(Lab.LAN1);
    private static final int LAN_PORT = 40000;
    private static final int STATIC_PORT = 33333;
    private static final int WAN_BASE = Inet4.parseAddr("203.0.113.10");
    private static final int PROBE = Inet4.parseAddr("203.0.113.10");
    private static final int SEED_QUEUE = 1000, KERNEL_QUEUE = 47000;
    private static final int LEGIT_RATE = 5_000;
    static final int UNPACED = 0;

    /**
     * One step of the inbound part. {@code offered} is the paced rate, or {@link #UNPACED}
     * ({@code seconds} is then how long the sender took). {@code queued}: packets that went through
     * the mode's queue (-1: no queue). CPU: the daemon's share of one core, and the machine's
     * (both cores) user, system and softirq share, over the send window.
     */
    record Row(String mode, int offered, long sent, long received, double seconds, double p50, double p99,
               double cpuPct, double rssMiB, long queued, long queueDropped, Cpu machine, double benchCpuPct, double lastArrivalSeconds) {
        double lossPct() { return sent == 0 ? 0 : 100.0 * (sent - received) / sent; }
        /** Paced: received per second of sending. Unpaced: received per second from the first send to the last arrival. */
        double delivered() { return received / (offered == UNPACED ? Math.max(seconds, lastArrivalSeconds) : seconds); }
        double sendRate() { return sent / seconds; }
    }

    /** Shares (percent of all cores) of the machine's time over a window, from /proc/stat. */
    record Cpu(double user, double system, double softirq, double idle, double steal) {
        double busy() { return 100 - idle; }
        static final Cpu NONE = new Cpu(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }

    /** nfnetlink_queue's counters of one queue in one namespace. */
    record QueueStats(long total, long dropped, long userDropped, long idSequence) {
        static final QueueStats NONE = new QueueStats(-1, -1, -1, -1);
    }

    record FloodRow(String mode, int rep, long legitSent, long legitReceived, long floodSent, double floodSeconds,
                    long queued, long queueDropped, double daemonCpuPct, Cpu machine, long conntrackAfter) {
        double legitPct() { return legitSent == 0 ? 0 : 100.0 * legitReceived / legitSent; }
        double floodRate() { return floodSent / floodSeconds; }
    }

    record AllocRow(String variant, int rep, int endpoints, double sendSeconds, double allocSeconds, long allocations,
                    long preserved, long received, long queued, long daemonQueued, long queueDropped, long userDropped,
                    long poolExhausted, long nftFailures, long knownSent, long knownReceived, long knownQueued,
                    double daemonCpuPct) {
        double allocRate() { return allocations / allocSeconds; }
        double sendRate() { return endpoints / sendSeconds; }
        long lost() { return endpoints - received; }
    }

    /** One mode's lab for the inbound and flood parts: a LAN receiver, a WAN raw sender, the mapped port. */
    private final class Target implements AutoCloseable {
        final String mode;
        final Lab lab;
        final UdpSink sink;
        final RawUdp wan, flood, lanRaw;
        final int queueNum;
        DatagramSocket probe;
        int dport;
        long pid = -1;

        Target(String mode, Lab lab, int queueNum) {
            this.mode = mode;
            this.lab = lab;
            this.queueNum = queueNum;
            sink = new UdpSink(lab.lan, LAN1, LAN_PORT);
            wan = new RawUdp(lab.wan);
            flood = new RawUdp(lab.wan);
            lanRaw = new RawUdp(lab.lan);
        }

        /** Before every measurement: a clean conntrack table, and the mapping (re)made from the LAN side. */
        void prepare() throws Exception {
            flush(lab);
            switch (mode) {
                case "static-dnat" -> dport = STATIC_PORT;
                case "seed" -> dport = learnSeed(lab, lanRaw, probe);
                case "kernel" -> {
                    // the receiver's own socket sends first: kernel mode maps that very endpoint
                    int before = dport;
                    sink.send(PROBE, 5000);
                    Lab.Received r = Lab.receive(probe, 3000);
                    if (r == null) throw new IllegalStateException("kernel: no outbound packet reached the WAN\n" + lab.daemonLog());
                    dport = r.port();
                    if (before != 0 && before != dport) System.out.println("kernel: the mapping moved from " + before + " to " + dport);
                    Thread.sleep(300);
                }
                default -> throw new IllegalArgumentException(mode);
            }
        }

        QueueStats queue() throws IOException {
            return queueNum < 0 ? QueueStats.NONE : queueStats(lab, queueNum);
        }

        @Override
        public void close() {
            sink.close();
            wan.close();
            flood.close();
            lanRaw.close();
        }
    }

    private final Lab lab; // the seed-mode lab of the seed-only parts (ingest, steady, startup)
    private final double seconds;
    private final List<String> report = new ArrayList<>();
    private Path dumpDir;
    private int repeat = 3;
    private int unpacedCount = 100_000;
    private double floodSeconds = 2.0;
    private int allocEndpoints = 20_000;
    private int startupMappings = 60_000;

    private FlowBench(Lab lab, double seconds) {
        this.lab = lab;
        this.seconds = seconds;
    }

    public static void main(String[] args) throws Exception {
        int[] rates = {10_000, 25_000, 50_000, 75_000, UNPACED};
        int[] ingestRates = {50_000, 100_000, 150_000, 200_000};
        double seconds = 1.0;
        Path out = Path.of("bench/out");
        int repeat = 3;
        List<String> modes = List.of("static-dnat", "seed", "kernel");
        java.util.Set<String> parts = new java.util.LinkedHashSet<>(
                List.of("inbound", "flood", "alloc", "startup60k", "ingest", "steady", "startup"));
        Integer unpaced = null, allocN = null, startupN = null;
        Double floodSecs = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--repeat" -> repeat = Integer.parseInt(args[++i]);
                case "--parts" -> parts = new java.util.LinkedHashSet<>(List.of(args[++i].split(",")));
                case "--modes" -> modes = List.of(args[++i].split(","));
                case "--rates" -> rates = parse(args[++i]);
                case "--ingest-rates" -> ingestRates = parse(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--unpaced-count" -> unpaced = Integer.parseInt(args[++i]);
                case "--flood-seconds" -> floodSecs = Double.parseDouble(args[++i]);
                case "--alloc-endpoints" -> allocN = Integer.parseInt(args[++i]);
                case "--startup-mappings" -> startupN = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        for (String m : modes) {
            if (!List.of("static-dnat", "seed", "kernel").contains(m)) throw new IllegalArgumentException("unknown mode " + m);
        }
        for (String p : parts) {
            if (!List.of("inbound", "flood", "alloc", "startup60k", "ingest", "steady", "startup").contains(p)) {
                throw new IllegalArgumentException("unknown part " + p);
            }
        }
        Files.createDirectories(out);
        boolean needSeedLab = modes.contains("seed") || parts.contains("ingest") || parts.contains("steady") || parts.contains("startup");
        boolean needKernelLab = modes.contains("kernel") || parts.contains("alloc") || parts.contains("startup60k");
        boolean modeParts = parts.contains("inbound") || parts.contains("flood");
        List<Lab> labs = new ArrayList<>();
        List<Target> targets = new ArrayList<>();
        try {
            Lab seedLab = needSeedLab ? add(labs, new Lab()) : null;
            Lab kernelLab = needKernelLab ? add(labs, new Lab("plain")) : null;
            Lab staticLab = modeParts && modes.contains("static-dnat") ? add(labs, new Lab("plain")) : null;
            FlowBench b = new FlowBench(seedLab, seconds);
            b.dumpDir = out;
            b.repeat = repeat;
            if (unpaced != null) b.unpacedCount = unpaced;
            if (floodSecs != null) b.floodSeconds = floodSecs;
            if (allocN != null) b.allocEndpoints = allocN;
            if (startupN != null) b.startupMappings = startupN;
            b.say("bench/run " + String.join(" ", args));
            b.say("machine: " + Runtime.getRuntime().availableProcessors() + " cores; " + b.loadAvg() + " at the start");
            List<Row> rows = List.of();
            List<FloodRow> floods = List.of();
            if (modeParts) {
                for (String m : modes) {
                    Target t = switch (m) {
                        case "static-dnat" -> b.staticTarget(staticLab);
                        case "seed" -> b.seedTarget(seedLab);
                        default -> b.kernelTarget(kernelLab);
                    };
                    targets.add(t);
                }
                if (parts.contains("inbound")) rows = b.inbound(targets, rates);
                if (parts.contains("flood")) floods = b.flood(targets);
                for (Target t : targets) t.close();
                targets.clear();
            }
            List<AllocRow> allocs = List.of();
            if (parts.contains("alloc")) allocs = b.alloc(kernelLab);
            if (parts.contains("startup60k")) b.startup60k(kernelLab);
            if (kernelLab != null) b.checkLog("kernel", kernelLab);
            if (parts.contains("ingest") || parts.contains("steady") || parts.contains("startup")) {
                if (seedLab.daemonProcess() != null) seedLab.stopDaemon();
                seedLab.startDaemon("--quiet", "--stats-interval", "20");
                if (parts.contains("ingest")) b.ingest(ingestRates);
                if (parts.contains("steady")) b.steadyState();
                if (parts.contains("startup")) b.startup();
            }
            if (seedLab != null) b.checkLog("seed", seedLab);
            b.say("");
            b.say("machine: " + b.loadAvg() + " at the end");
            b.write(rows, floods, allocs, out);
        } finally {
            for (Target t : targets) t.close();
            for (Lab l : labs) l.close();
        }
    }

    private static Lab add(List<Lab> labs, Lab l) {
        labs.add(l);
        return l;
    }

    private static int[] parse(String csv) {
        return java.util.Arrays.stream(csv.split(",")).map(String::trim)
                .mapToInt(s -> s.equals("unpaced") ? UNPACED : Integer.parseInt(s)).toArray();
    }

    private void say(String s) {
        System.out.println(s);
        report.add(s);
    }

    private static void sh(Lab lab, String ns, String... cmd) throws IOException {
        Lab.Result r = lab.exec(ns, cmd);
        if (r.code() != 0) throw new IllegalStateException(String.join(" ", cmd) + ": " + r.out());
    }

    private void flush() throws Exception {
        flush(lab);
    }

    private static void flush(Lab lab) throws Exception {
        lab.exec(lab.rtr, "conntrack", "-F");
        Thread.sleep(300);
    }

    private String loadAvg() throws IOException {
        String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
        return "load average " + f[0] + " " + f[1] + " " + f[2];
    }

    // ---- the modes' labs -------------------------------------------------------------------------

    private Target staticTarget(Lab l) throws Exception {
        // The ceiling: a static DNAT rule where the modes DNAT, no user space, no daemon in this lab.
        sh(l, l.rtr, "iptables", "-t", "nat", "-I", "PREROUTING", "1", "-i", "eth0", "-p", "udp", "--dport",
                String.valueOf(STATIC_PORT), "-j", "DNAT", "--to-destination", Lab.LAN1 + ":" + LAN_PORT);
        return new Target("static-dnat", l, -1);
    }

    private Target seedTarget(Lab l) throws Exception {
        l.startDaemon("--quiet");
        Target t = new Target("seed", l, SEED_QUEUE);
        t.pid = javaPid(l);
        t.probe = l.udp(l.wan, "203.0.113.10", 5000);
        return t;
    }

    private Target kernelTarget(Lab l) throws Exception {
        l.startKernelDaemon("--quiet");
        Target t = new Target("kernel", l, KERNEL_QUEUE);
        t.pid = javaPid(l);
        t.probe = l.udp(l.wan, "203.0.113.10", 5000);
        return t;
    }

    /** The daemon's JVM: the java process among those in the router's namespace. */
    private static long javaPid(Lab l) throws Exception {
        for (int attempt = 0; attempt < 50; attempt++) {
            Lab.Result r = Lab.run(List.of("ip", "netns", "pids", l.rtr));
            for (String s : r.out().trim().split("\\s+")) {
                if (s.isEmpty()) continue;
                try {
                    if (Files.readString(Path.of("/proc/" + s + "/comm")).trim().equals("java")) return Long.parseLong(s);
                } catch (IOException e) {
                    // gone meanwhile
                }
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("no java process in " + l.rtr);
    }

    /** Sends from the LAN endpoint to the WAN probe and returns the nat-port it was mapped to (seed mode). */
    private static int learnSeed(Lab lab, RawUdp lan, DatagramSocket probe) throws Exception {
        long before = lab.stats().getOrDefault("mappings", 0L);
        lan.send(LAN1, LAN_PORT, PROBE, 5000, -1);
        Lab.Received r = Lab.receive(probe, 3000);
        if (r == null) throw new IllegalStateException("no outbound packet reached the WAN");
        lab.awaitStat("mappings", v -> v >= Math.min(1, before), 5000);
        Thread.sleep(1100); // the stats file is rewritten every second here: keep the daemon's I/O out of the steps
        return r.port();
    }

    // ---- inbound first packets -------------------------------------------------------------

    List<Row> inbound(List<Target> targets, int[] rates) throws Exception {
        List<Row> rows = new ArrayList<>();
        // Unmeasured warm-up of every mode: a freshly started JVM runs its hot path interpreted at
        // first, and a router daemon is judged running, not starting.
        for (Target t : targets) {
            t.prepare();
            step(t, 20_000, "warm-up");
        }
        for (int rep = 0; rep < repeat; rep++) {
            for (int rate : rates) {
                for (Target t : targets) {
                    t.prepare();
                    rows.add(step(t, rate, t.mode));
                }
            }
        }
        say("");
        say("inbound: new inbound flows (every packet a new source port) to one mapped port; each row one repetition");
        say(String.format(Locale.ROOT, "%-12s %9s %9s %9s %7s %11s %9s %9s %8s %7s %8s %s", "mode", "offered/s", "sent",
                "received", "loss%", "delivered/s", "p50 us", "p99 us", "queued", "cpu%", "rss MiB", "machine usr/sys/si/idle %"));
        for (Row r : rows) {
            say(String.format(Locale.ROOT, "%-12s %9s %9d %9d %7.2f %11.0f %9.1f %9.1f %8s %7s %8s %s", r.mode(), rateLabel(r.offered()),
                    r.sent(), r.received(), r.lossPct(), r.delivered(), r.p50(), r.p99(),
                    r.queued() < 0 ? "-" : Long.toString(r.queued()),
                    r.cpuPct() < 0 ? "-" : String.format(Locale.ROOT, "%.0f", r.cpuPct()),
                    r.rssMiB() < 0 ? "-" : String.format(Locale.ROOT, "%.1f", r.rssMiB()), cpu(r.machine())));
        }
        say("");
        say(String.format(Locale.ROOT, "inbound, median of %d repetitions (ratio: median delivered/s over the static-DNAT median of the same rate)", repeat));
        say(String.format(Locale.ROOT, "%-9s %-12s %11s %9s %10s %7s %9s %9s %8s %7s %s", "offered/s", "mode", "delivered/s", "sent/s",
                "vs static", "loss%", "p50 us", "p99 us", "queued", "cpu%", "machine usr/sys/si/idle %"));
        for (int rate : rates) {
            double ceiling = median(rows, "static-dnat", rate, Row::delivered);
            for (Target t : targets) {
                List<Row> rs = select(rows, t.mode, rate);
                if (rs.isEmpty()) continue;
                double d = median(rows, t.mode, rate, Row::delivered);
                say(String.format(Locale.ROOT, "%-9s %-12s %11.0f %9.0f %10s %7.2f %9.1f %9.1f %8s %7s %s", rateLabel(rate), t.mode, d,
                        median(rows, t.mode, rate, Row::sendRate),
                        Double.isNaN(ceiling) ? "-" : String.format(Locale.ROOT, "%.3f", d / ceiling),
                        median(rows, t.mode, rate, Row::lossPct), median(rows, t.mode, rate, Row::p50),
                        median(rows, t.mode, rate, Row::p99),
                        t.queueNum < 0 ? "-" : String.format(Locale.ROOT, "%.0f", median(rows, t.mode, rate, r -> r.queued())),
                        t.pid < 0 ? "-" : String.format(Locale.ROOT, "%.0f", median(rows, t.mode, rate, Row::cpuPct)),
                        cpu(medianCpu(rs.stream().map(Row::machine).toList()))));
            }
        }
        for (Target t : targets) {
            if (!t.mode.equals("kernel")) continue;
            long q = rows.stream().filter(r -> r.mode().equals("kernel")).mapToLong(Row::queued).sum();
            long sent = rows.stream().filter(r -> r.mode().equals("kernel")).mapToLong(Row::sent).sum();
            say(String.format(Locale.ROOT, "kernel mode: %d of %d inbound packets went through queue %d (nfnetlink_queue id_sequence, all steps)%s",
                    q, sent, KERNEL_QUEUE, q == 0 ? "" : "  <-- expected 0"));
        }
        return rows;
    }

    static String rateLabel(int rate) {
        return rate == UNPACED ? "unpaced" : Integer.toString(rate);
    }

    private static String cpu(Cpu c) {
        if (c == null || Double.isNaN(c.idle())) return "-";
        return String.format(Locale.ROOT, "%.0f/%.0f/%.0f/%.0f", c.user(), c.system(), c.softirq(), c.idle());
    }

    private static List<Row> select(List<Row> rows, String mode, int rate) {
        return rows.stream().filter(x -> x.mode().equals(mode) && x.offered() == rate).toList();
    }

    private static double median(List<Row> rows, String mode, int rate, java.util.function.ToDoubleFunction<Row> f) {
        return median(select(rows, mode, rate).stream().mapToDouble(f).toArray());
    }

    private static Cpu medianCpu(List<Cpu> cs) {
        return new Cpu(median(cs.stream().mapToDouble(Cpu::user).toArray()), median(cs.stream().mapToDouble(Cpu::system).toArray()),
                median(cs.stream().mapToDouble(Cpu::softirq).toArray()), median(cs.stream().mapToDouble(Cpu::idle).toArray()),
                median(cs.stream().mapToDouble(Cpu::steal).toArray()));
    }

    static double median(double[] v) {
        if (v.length == 0) return Double.NaN;
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private Row step(Target t, int rate, String label) throws Exception {
        int n = rate == UNPACED ? unpacedCount : (int) (rate * seconds);
        t.sink.reset(n);
        QueueStats q0 = t.queue();
        long[] cpu0 = cpu(t.pid), self0 = cpu(ProcessHandle.current().pid());
        long[] m0 = machine();
        long t0 = System.nanoTime();
        long sent = 0;
        double interval = rate == UNPACED ? 0 : 1e9 / rate;
        for (int i = 0; i < n; i++) {
            if (rate != UNPACED) pace(t0 + (long) (i * interval));
            int src = WAN_BASE + (i / 64_000) % 20;
            if (t.wan.send(src, 1024 + i % 64_000, NAT, t.dport, i)) sent++;
        }
        long t1 = System.nanoTime();
        long[] m1 = machine(), self1 = cpu(ProcessHandle.current().pid());
        double sendSeconds = (t1 - t0) / 1e9;
        Thread.sleep(1000); // let the last packets land
        long[] cpu1 = cpu(t.pid);
        QueueStats q1 = t.queue();
        // the daemon's CPU until the packets landed, per second of sending (% of one core)
        double cpuPct = t.pid < 0 ? -1 : 100.0 * (cpu1[0] - cpu0[0]) / 100.0 / sendSeconds;
        double benchPct = 100.0 * (self1[0] - self0[0]) / 100.0 / sendSeconds;
        Row r = new Row(label, rate, sent, t.sink.received(), sendSeconds, t.sink.percentileMicros(50),
                t.sink.percentileMicros(99), cpuPct, t.pid < 0 ? -1 : rssMiB(t.pid),
                q0.idSequence() < 0 ? -1 : q1.idSequence() - q0.idSequence(),
                q0.dropped() < 0 ? -1 : q1.dropped() + q1.userDropped() - q0.dropped() - q0.userDropped(),
                split(m0, m1), benchPct, t.sink.lastArrival() == 0 ? 0 : (t.sink.lastArrival() - t0) / 1e9);
        if (dumpDir != null && !label.equals("warm-up")) {
            t.sink.dump(dumpDir.resolve("latency-" + label + "-" + rateLabel(rate) + "-" + System.nanoTime() % 100000 + ".csv"));
        }
        System.out.printf(Locale.ROOT, "%s %s: %d/%d delivered (%.2f%% loss) in %.2f s, p50 %.1f us, p99 %.1f us, queued %d, daemon cpu %.0f%%, bench cpu %.0f%%, machine %s%n",
                label, rateLabel(rate), r.received(), sent, r.lossPct(), sendSeconds, r.p50(), r.p99(), r.queued(), cpuPct, benchPct, cpu(r.machine()));
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

    /** The machine's "cpu" line of /proc/stat: user nice system idle iowait irq softirq steal (ticks). */
    private static long[] machine() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
            if (line.startsWith("cpu ")) {
                String[] f = line.trim().split("\\s+");
                long[] v = new long[8];
                for (int i = 0; i < 8; i++) v[i] = Long.parseLong(f[i + 1]);
                return v;
            }
        }
        throw new IOException("no cpu line in /proc/stat");
    }

    private static Cpu split(long[] a, long[] b) {
        double total = 0;
        for (int i = 0; i < 8; i++) total += b[i] - a[i];
        if (total <= 0) return Cpu.NONE;
        return new Cpu(100 * (b[0] - a[0] + b[1] - a[1]) / total, 100 * (b[2] - a[2] + b[5] - a[5]) / total,
                100 * (b[6] - a[6]) / total, 100 * (b[3] - a[3] + b[4] - a[4]) / total, 100 * (b[7] - a[7]) / total);
    }

    private static double rssMiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
        }
        return -1;
    }

    /** queue_number peer_portid queue_total copy_mode copy_range queue_dropped user_dropped id_sequence 1 */
    private static QueueStats queueStats(Lab l, int queueNum) throws IOException {
        Lab.Result r = l.exec(l.rtr, "cat", "/proc/net/netfilter/nfnetlink_queue");
        for (String line : r.out().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 8 && f[0].equals(Integer.toString(queueNum))) {
                return new QueueStats(Long.parseLong(f[2]), Long.parseLong(f[5]), Long.parseLong(f[6]), Long.parseLong(f[7]));
            }
        }
        return QueueStats.NONE;
    }

    // ---- flood of unmapped ports ---------------------------------------------------------------

    List<FloodRow> flood(List<Target> targets) throws Exception {
        List<FloodRow> rows = new ArrayList<>();
        for (int rep = 0; rep < repeat; rep++) {
            for (Target t : targets) {
                t.prepare();
                rows.add(floodStep(t, rep));
            }
        }
        say("");
        say(String.format(Locale.ROOT, "flood: an unpaced flood of new flows to unmapped ports (random source, random destination port) "
                + "while legitimate new flows arrive at %d/s to the mapped port for %.1f s; median of %d", LEGIT_RATE, floodSeconds, repeat));
        say(String.format(Locale.ROOT, "%-12s %12s %10s %14s %10s %12s %7s %s", "mode", "legit deliv%", "(min-max)", "flood sent/s",
                "queued", "q dropped", "cpu%", "machine usr/sys/si/idle %"));
        for (Target t : targets) {
            List<FloodRow> rs = rows.stream().filter(r -> r.mode().equals(t.mode)).toList();
            if (rs.isEmpty()) continue;
            double[] pct = rs.stream().mapToDouble(FloodRow::legitPct).toArray();
            say(String.format(Locale.ROOT, "%-12s %12.2f %10s %14.0f %10s %12s %7s %s", t.mode, median(pct),
                    String.format(Locale.ROOT, "%.1f-%.1f", java.util.Arrays.stream(pct).min().orElse(0), java.util.Arrays.stream(pct).max().orElse(0)),
                    median(rs.stream().mapToDouble(FloodRow::floodRate).toArray()),
                    t.queueNum < 0 ? "-" : String.format(Locale.ROOT, "%.0f", median(rs.stream().mapToDouble(FloodRow::queued).toArray())),
                    t.queueNum < 0 ? "-" : String.format(Locale.ROOT, "%.0f", median(rs.stream().mapToDouble(FloodRow::queueDropped).toArray())),
                    t.pid < 0 ? "-" : String.format(Locale.ROOT, "%.0f", median(rs.stream().mapToDouble(FloodRow::daemonCpuPct).toArray())),
                    cpu(medianCpu(rs.stream().map(FloodRow::machine).toList()))));
        }
        return rows;
    }

    private FloodRow floodStep(Target t, int rep) throws Exception {
        int n = (int) (LEGIT_RATE * floodSeconds);
        t.sink.reset(n);
        QueueStats q0 = t.queue();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong floodSent = new AtomicLong();
        int avoid = t.dport;
        Thread flooder = Thread.ofPlatform().name("flood").start(() -> {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            long k = 0;
            while (!stop.get()) {
                int dport = 1024 + rnd.nextInt(64_512);
                if (dport == avoid || dport == STATIC_PORT) continue;
                int src = WAN_BASE + 20 + rnd.nextInt(200); // 203.0.113.30-229: apart from the legitimate senders
                if (t.flood.send(src, 1024 + rnd.nextInt(64_512), NAT, dport, -1)) k++;
                if ((k & 1023) == 0) floodSent.set(k);
            }
            floodSent.set(k);
        });
        long f0 = System.nanoTime();
        Thread.sleep(200); // the flood is on before the first legitimate flow
        long[] cpu0 = cpu(t.pid), m0 = machine();
        long t0 = System.nanoTime();
        long sent = 0;
        double interval = 1e9 / LEGIT_RATE;
        for (int i = 0; i < n; i++) {
            pace(t0 + (long) (i * interval));
            if (t.wan.send(WAN_BASE + (i / 64_000) % 20, 1024 + i % 64_000, NAT, t.dport, i)) sent++;
        }
        long t1 = System.nanoTime();
        long[] m1 = machine(), cpu1 = cpu(t.pid);
        stop.set(true);
        flooder.join();
        double fs = (System.nanoTime() - f0) / 1e9;
        Thread.sleep(1000);
        QueueStats q1 = t.queue();
        long ct = -1;
        Lab.Result c = t.lab.exec(t.lab.rtr, "conntrack", "-C");
        try {
            ct = Long.parseLong(c.out().trim());
        } catch (NumberFormatException e) {
            // leave -1
        }
        double cpuPct = t.pid < 0 ? -1 : 100.0 * (cpu1[0] - cpu0[0]) / 100.0 / ((t1 - t0) / 1e9);
        FloodRow r = new FloodRow(t.mode, rep, sent, t.sink.received(), floodSent.get(), fs,
                q0.idSequence() < 0 ? -1 : q1.idSequence() - q0.idSequence(),
                q0.dropped() < 0 ? -1 : q1.dropped() + q1.userDropped() - q0.dropped() - q0.userDropped(),
                cpuPct, split(m0, m1), ct);
        System.out.printf(Locale.ROOT, "flood %s: legit %d/%d delivered (%.2f%%), flood %d in %.2f s (%.0f/s), queued %d, queue dropped %d, daemon cpu %.0f%%, machine %s, conntrack entries after %d%n",
                t.mode, r.legitReceived(), sent, r.legitPct(), r.floodSent(), fs, r.floodRate(), r.queued(), r.queueDropped(), cpuPct, cpu(r.machine()), ct);
        return r;
    }

    // ---- kernel mode: allocations of new LAN endpoints ---------------------------------------------

    private static final int ALLOC_DST_A = Inet4.parseAddr("203.0.113.10"), ALLOC_DST_B = Inet4.parseAddr("203.0.113.11");
    private static final int ALLOC_PORT = 9000;

    /** Endpoint i of the alloc sender: 10.0.0.110-119, ports spread over 1024-65023 (distinct for i < 640,000). */
    private static int epAddr(int i) { return Inet4.parseAddr("10.0.0.110") + i % 10; }

    private static int epPort(int i) { return 1024 + (int) ((i / 10 * 7919L) % 64_000); }

    private static void addLanAddresses(Lab l) throws IOException {
        for (int h = 110; h <= 119; h++) l.exec(l.lan, "ip", "addr", "add", "10.0.0." + h + "/24", "dev", "eth0");
    }

    /** A clean kernel-mode daemon: SIGTERM removes the table, no conntrack flow left to adopt. */
    private static void restartKernel(Lab l, String... args) throws Exception {
        if (l.daemonProcess() != null) l.stopDaemon();
        flush(l);
        Files.deleteIfExists(l.dir.resolve("stats"));
        l.startKernelDaemon(args);
    }

    private static Map<String, Long> stats(Lab l) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        Map<String, Long> s;
        while ((s = l.stats()).isEmpty() || !s.containsKey("allocations")) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("no stats file\n" + l.daemonLog());
            Thread.sleep(10);
        }
        return s;
    }

    List<AllocRow> alloc(Lab l) throws Exception {
        List<AllocRow> rows = new ArrayList<>();
        addLanAddresses(l);
        String[][] variants = {{"quiet", "--quiet"}, {"logging"}};
        List<double[]> drains = new ArrayList<>();
        try (RawUdp lan = new RawUdp(l.lan);
             UdpSink a = new UdpSink(l.wan, ALLOC_DST_A, ALLOC_PORT);
             UdpSink b = new UdpSink(l.wan, ALLOC_DST_B, ALLOC_PORT)) {
            for (int rep = 0; rep < repeat; rep++) {
                for (String[] v : variants) {
                    List<String> args = new ArrayList<>(List.of(v).subList(1, v.length));
                    args.addAll(List.of("--stats-interval", "20"));
                    restartKernel(l, args.toArray(String[]::new));
                    rows.add(allocRound(l, lan, a, b, allocEndpoints, v[0], rep));
                }
                restartKernel(l, "--quiet", "--stats-interval", "20");
                drains.add(drain(l, lan, a, 4000));
            }
        }
        say("");
        say(String.format(Locale.ROOT, "alloc (kernel mode): %d new LAN endpoints (10.0.0.110-119, every packet a new source address or port) "
                + "unpaced from a raw sender in the LAN to one WAN sink; then one new flow of each, now known, to another WAN address", allocEndpoints));
        say(String.format(Locale.ROOT, "%-8s %3s %10s %12s %11s %9s %6s %9s %8s %9s %7s %6s %5s %13s %6s", "logging", "rep", "sent/s", "allocs/s",
                "allocations", "preserved", "lost", "queued", "daemon q", "q dropped", "exhaust", "nftf", "cpu%", "known deliv", "kn q"));
        for (AllocRow r : rows) {
            say(String.format(Locale.ROOT, "%-8s %3d %10.0f %12.0f %11d %9d %6d %9d %8d %9d %7d %6d %5.0f %13s %6d", r.variant(), r.rep(), r.sendRate(),
                    r.allocRate(), r.allocations(), r.preserved(), r.lost(), r.queued(), r.daemonQueued(), r.queueDropped() + r.userDropped(),
                    r.poolExhausted(), r.nftFailures(), r.daemonCpuPct(), r.knownReceived() + "/" + r.knownSent(), r.knownQueued()));
        }
        for (String[] v : variants) {
            List<AllocRow> rs = rows.stream().filter(r -> r.variant().equals(v[0])).toList();
            say(String.format(Locale.ROOT, "alloc %s (median of %d): %.0f allocations/s (sender %.0f endpoints/s), %.0f of %d allocated, "
                            + "%.0f lost, %.0f new flows of known endpoints queued (of %d)",
                    v[0], rs.size(), median(rs.stream().mapToDouble(AllocRow::allocRate).toArray()),
                    median(rs.stream().mapToDouble(AllocRow::sendRate).toArray()),
                    median(rs.stream().mapToDouble(AllocRow::allocations).toArray()), allocEndpoints,
                    median(rs.stream().mapToDouble(AllocRow::lost).toArray()),
                    median(rs.stream().mapToDouble(AllocRow::knownQueued).toArray()), allocEndpoints));
        }
        say(String.format(Locale.ROOT, "alloc drain (the daemon alone, --quiet): 4000 first packets queued while the daemon was stopped; "
                        + "after SIGCONT, median of %d: %.0f allocations/s (from SIGCONT to the last packet out), %.0f/s (first to last packet out), allocated %.0f",
                drains.size(), median(drains.stream().mapToDouble(d -> d[0]).toArray()),
                median(drains.stream().mapToDouble(d -> d[1]).toArray()), median(drains.stream().mapToDouble(d -> d[2]).toArray())));
        return rows;
    }

    private AllocRow allocRound(Lab l, RawUdp lan, UdpSink a, UdpSink b, int n, String variant, int rep) throws Exception {
        a.reset(n);
        b.reset(n);
        Map<String, Long> s0 = stats(l);
        long pid = javaPid(l);
        QueueStats q0 = queueStats(l, KERNEL_QUEUE);
        long[] c0 = cpu(pid);
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) lan.send(epAddr(i), epPort(i), ALLOC_DST_A, ALLOC_PORT, i);
        long t1 = System.nanoTime();
        // until every packet is out (or nothing moved for 2 s): the last one left after its allocation
        long last = -1, seen = -1, since = System.nanoTime();
        while (a.received() < n && System.nanoTime() - since < 2_000_000_000L) {
            if (a.received() != seen) {
                seen = a.received();
                since = System.nanoTime();
            }
            Thread.sleep(5);
        }
        last = a.lastArrival();
        long[] c1 = cpu(pid);
        Thread.sleep(500);
        Map<String, Long> s1 = stats(l);
        QueueStats q1 = queueStats(l, KERNEL_QUEUE);
        // the same endpoints, now known, each open a new flow to another WAN address: nothing may be queued
        for (int i = 0; i < n; i++) lan.send(epAddr(i), epPort(i), ALLOC_DST_B, ALLOC_PORT, i);
        Thread.sleep(1000);
        QueueStats q2 = queueStats(l, KERNEL_QUEUE);
        Thread.sleep(100);
        long allocations = s1.get("allocations") - s0.get("allocations");
        double allocSeconds = ((last > 0 ? last : System.nanoTime()) - t0) / 1e9;
        AllocRow r = new AllocRow(variant, rep, n, (t1 - t0) / 1e9, allocSeconds, allocations,
                s1.get("allocations_preserved") - s0.get("allocations_preserved"), a.received(),
                q1.idSequence() - q0.idSequence(), s1.get("queued") - s0.get("queued"), q1.dropped() - q0.dropped(),
                q1.userDropped() - q0.userDropped(), s1.get("pool_exhausted") - s0.get("pool_exhausted"),
                s1.get("nft_failures") - s0.get("nft_failures"), n, b.received(), q2.idSequence() - q1.idSequence(),
                100.0 * (c1[0] - c0[0]) / 100.0 / allocSeconds);
        System.out.printf(Locale.ROOT, "alloc %s #%d: sent %d in %.3f s (%.0f/s); %d allocations (%d preserved) in %.3f s = %.0f/s; %d/%d arrived; "
                        + "queued %d (daemon saw %d), queue dropped %d+%d, pool exhausted %d, nft failures %d; known endpoints: %d/%d arrived, %d queued; daemon cpu %.0f%%%n",
                variant, rep, n, r.sendSeconds(), r.sendRate(), allocations, r.preserved(), allocSeconds, r.allocRate(), r.received(), n,
                r.queued(), r.daemonQueued(), r.queueDropped(), r.userDropped(), r.poolExhausted(), r.nftFailures(), r.knownReceived(), n,
                r.knownQueued(), r.daemonCpuPct());
        return r;
    }

    /**
     * The daemon's own allocation rate, without the sender in the way: freeze it, let the kernel
     * queue {@code n} first packets (fewer than the queue length), thaw it and time until the last
     * packet is out (each leaves once its allocation is committed).
     */
    private double[] drain(Lab l, RawUdp lan, UdpSink a, int n) throws Exception {
        a.reset(n);
        long pid = javaPid(l);
        Map<String, Long> s0 = stats(l);
        Lab.run(List.of("kill", "-STOP", Long.toString(pid)));
        long cont;
        try {
            for (int i = 0; i < n; i++) lan.send(epAddr(i), epPort(i), ALLOC_DST_A, ALLOC_PORT, i);
            Thread.sleep(300);
        } finally {
            cont = System.nanoTime();
            Lab.run(List.of("kill", "-CONT", Long.toString(pid)));
        }
        long seen = -1, since = System.nanoTime();
        while (a.received() < n && System.nanoTime() - since < 2_000_000_000L) {
            if (a.received() != seen) {
                seen = a.received();
                since = System.nanoTime();
            }
            Thread.sleep(5);
        }
        Thread.sleep(300);
        long allocs = stats(l).get("allocations") - s0.get("allocations");
        double fromCont = allocs / ((a.lastArrival() - cont) / 1e9);
        double firstToLast = allocs / ((a.lastArrival() - a.firstArrival()) / 1e9);
        System.out.printf(Locale.ROOT, "alloc drain: %d allocations, %d/%d arrived; %.0f/s from SIGCONT, %.0f/s first to last packet%n",
                allocs, a.received(), n, fromCont, firstToLast);
        return new double[] {fromCont, firstToLast, allocs};
    }

    // ---- kernel mode: 60,000 mappings, kill -9 and restart ------------------------------------------

    private static final Pattern READY = Pattern.compile("ready in (\\d+) ms"), ADOPTED = Pattern.compile("adopted (\\d+) mappings");

    void startup60k(Lab l) throws Exception {
        int n = startupMappings;
        restartKernel(l, "--stats-interval", "20"); // default logging: one line per allocation
        addLanAddresses(l);
        long t0 = System.nanoTime();
        int rounds = 0;
        try (RawUdp lan = new RawUdp(l.lan)) {
            // In chunks of 4,000 unpaced (half the queue), each once the allocations caught up with the last:
            // an unpaced sender outruns the allocations and the queue's overflow goes to plain NAT (fail-open).
            // A last round resends every endpoint; a known one is never queued again.
            int chunk = 4000;
            for (int from = 0; from < n; from += chunk) {
                int to = Math.min(n, from + chunk);
                for (int i = from; i < to; i++) lan.send(epAddr(i), epPort(i), ALLOC_DST_A, ALLOC_PORT, i);
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (stats(l).get("allocations") < to && System.nanoTime() < deadline) Thread.sleep(10);
            }
            rounds = 1;
            while (rounds < 4 && stats(l).get("allocations") < n) {
                for (int i = 0; i < n; i++) lan.send(epAddr(i), epPort(i), ALLOC_DST_A, ALLOC_PORT + rounds, i);
                rounds++;
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (stats(l).get("allocations") < n && System.nanoTime() < deadline) Thread.sleep(20);
            }
        }
        double made = (System.nanoTime() - t0) / 1e9;
        Thread.sleep(3000);
        Map<String, Long> s = stats(l);
        long pid = javaPid(l);
        double rssLive = rssMiB(pid);
        say("");
        say(String.format(Locale.ROOT, "startup60k (kernel mode): %d new LAN endpoints in chunks of 4000 (+%d resend round(s)), %.1f s: allocations %d, ports_allocated %d, "
                        + "pool exhausted %d, nft failures %d; RSS %.1f MiB (3 s after)",
                n, rounds - 1, made, s.get("allocations"), s.get("ports_allocated"), s.get("pool_exhausted"), s.get("nft_failures"), rssLive));
        List<double[]> restarts = new ArrayList<>();
        for (int k = 0; k < Math.max(1, repeat); k++) {
            l.killDaemon(); // SIGKILL: the table and its maps stay in the kernel
            Files.deleteIfExists(l.dir.resolve("stats"));
            long r0 = System.nanoTime();
            l.startKernelDaemon("--stats-interval", "20");
            double wall = (System.nanoTime() - r0) / 1e6;
            String log = l.daemonLog();
            long selfReported = find(READY, log), adoptedLog = find(ADOPTED, log);
            Map<String, Long> s2 = stats(l);
            long p2 = javaPid(l);
            Thread.sleep(2000);
            double rss = rssMiB(p2);
            Map<String, Long> s3 = stats(l);
            restarts.add(new double[] {wall, selfReported, s2.getOrDefault("adopted", -1L), rss, s3.getOrDefault("ports_allocated", -1L)});
            say(String.format(Locale.ROOT, "  kill -9 and restart #%d: ready after %.0f ms (spawn to ready file; the daemon says \"ready in %d ms\" from its JVM's start), "
                            + "adopted %d (log: %d), ports_allocated %d, RSS %.1f MiB 2 s after ready",
                    k + 1, wall, selfReported, s2.getOrDefault("adopted", -1L), adoptedLog, s3.getOrDefault("ports_allocated", -1L), rss));
        }
        say(String.format(Locale.ROOT, "startup60k median of %d restarts: ready %.0f ms (self-reported %.0f ms), adopted %.0f, RSS %.1f MiB (before the kill: %.1f MiB)",
                restarts.size(), median(restarts.stream().mapToDouble(d -> d[0]).toArray()), median(restarts.stream().mapToDouble(d -> d[1]).toArray()),
                median(restarts.stream().mapToDouble(d -> d[2]).toArray()), median(restarts.stream().mapToDouble(d -> d[3]).toArray()), rssLive));
    }

    private static long find(Pattern p, String log) {
        long v = -1;
        Matcher m = p.matcher(log);
        while (m.find()) v = Long.parseLong(m.group(1));
        return v;
    }

    /** Problems the daemons logged (warnings, errors: lines with [!]), all instances of the lab. */
    private void checkLog(String mode, Lab l) throws IOException {
        Map<String, Integer> kinds = new LinkedHashMap<>();
        int total = 0;
        try (var files = Files.list(l.dir)) {
            for (Path f : files.filter(x -> x.getFileName().toString().startsWith("daemon-")).sorted().toList()) {
                for (String line : Files.readAllLines(f)) {
                    if (!line.contains("[!]") && !line.contains("Exception") && !line.contains("WARNING")) continue;
                    total++;
                    String key = line.replaceAll("^\\S+ \\S+ ", "").replaceAll("\\d+", "N");
                    kinds.merge(key.length() > 160 ? key.substring(0, 160) : key, 1, Integer::sum);
                }
            }
        }
        say("");
        say(mode + " daemon logs (" + l.dir + "): " + total + " problem lines" + (total == 0 ? "" : ", by kind:"));
        kinds.forEach((k, v) -> say(String.format(Locale.ROOT, "  %6d x %s", v, k)));
    }

    // ---- seed mode: conntrack event ingest -------------------------------------------------------------

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

    // ---- seed mode: steady state ------------------------------------------------------------------------

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
        return queueStats(lab, SEED_QUEUE).idSequence();
    }

    // ---- seed mode: start-up with 60,000+ mappings ----------------------------------------------------------

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

    private void write(List<Row> rows, List<FloodRow> floods, List<AllocRow> allocs, Path out) throws IOException {
        List<String> files = new ArrayList<>();
        if (!rows.isEmpty()) {
            StringBuilder csv = new StringBuilder("mode,offered_per_s,sent,received,send_seconds,loss_pct,delivered_per_s,p50_us,p99_us,"
                    + "queued,queue_dropped,daemon_cpu_pct,daemon_rss_mib,bench_cpu_pct,machine_user_pct,machine_sys_pct,machine_softirq_pct,machine_idle_pct\n");
            for (Row r : rows) {
                csv.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%.4f,%.3f,%.0f,%.1f,%.1f,%d,%d,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f%n", r.mode(),
                        rateLabel(r.offered()), r.sent(), r.received(), r.seconds(), r.lossPct(), r.delivered(), r.p50(), r.p99(), r.queued(),
                        r.queueDropped(), r.cpuPct(), r.rssMiB(), r.benchCpuPct(), r.machine().user(), r.machine().system(),
                        r.machine().softirq(), r.machine().idle()));
            }
            Files.writeString(out.resolve("inbound.csv"), csv);
            Plot.deliveredVsOffered(rows, out.resolve("inbound.png"));
            files.add("inbound.csv");
            files.add("inbound.png");
        }
        if (!floods.isEmpty()) {
            StringBuilder csv = new StringBuilder("mode,rep,legit_sent,legit_received,legit_delivered_pct,flood_sent,flood_seconds,flood_per_s,"
                    + "queued,queue_dropped,daemon_cpu_pct,machine_user_pct,machine_sys_pct,machine_softirq_pct,machine_idle_pct,conntrack_after\n");
            for (FloodRow r : floods) {
                csv.append(String.format(Locale.ROOT, "%s,%d,%d,%d,%.2f,%d,%.3f,%.0f,%d,%d,%.1f,%.1f,%.1f,%.1f,%.1f,%d%n", r.mode(), r.rep(),
                        r.legitSent(), r.legitReceived(), r.legitPct(), r.floodSent(), r.floodSeconds(), r.floodRate(), r.queued(),
                        r.queueDropped(), r.daemonCpuPct(), r.machine().user(), r.machine().system(), r.machine().softirq(),
                        r.machine().idle(), r.conntrackAfter()));
            }
            Files.writeString(out.resolve("flood.csv"), csv);
            files.add("flood.csv");
        }
        if (!allocs.isEmpty()) {
            StringBuilder csv = new StringBuilder("logging,rep,endpoints,send_seconds,alloc_seconds,allocations_per_s,allocations,preserved,"
                    + "received,lost,queued,daemon_queued,queue_dropped,user_dropped,pool_exhausted,nft_failures,known_sent,known_received,known_queued,daemon_cpu_pct\n");
            for (AllocRow r : allocs) {
                csv.append(String.format(Locale.ROOT, "%s,%d,%d,%.4f,%.4f,%.0f,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%.1f%n", r.variant(), r.rep(),
                        r.endpoints(), r.sendSeconds(), r.allocSeconds(), r.allocRate(), r.allocations(), r.preserved(), r.received(), r.lost(),
                        r.queued(), r.daemonQueued(), r.queueDropped(), r.userDropped(), r.poolExhausted(), r.nftFailures(), r.knownSent(),
                        r.knownReceived(), r.knownQueued(), r.daemonCpuPct()));
            }
            Files.writeString(out.resolve("alloc.csv"), csv);
            files.add("alloc.csv");
        }
        Files.write(out.resolve("report.txt"), report);
        files.add("report.txt");
        System.out.println("\nwrote " + files.stream().map(f -> out.resolve(f).toString()).collect(java.util.stream.Collectors.joining(", ")));
    }
}
