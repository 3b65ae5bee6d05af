package org.conenatd.bench;

import org.conenatd.it.Lab;
import org.conenatd.inet.Inet4;

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
 *       ready with every mapping adopted (from the daemon's mapping journal, which the traffic-made
 *       mappings are all in; each line says which), RSS after.</li>
 *   <li>tcp (kernel mode vs a static TCP DNAT rule): new inbound TCP connections/s; hairpin
 *       (kernel mode vs plain routing through a second LAN on eth2): UDP packets/s and Mbit/s;
 *       cold (seed mode): a burst 2 s after the daemon's spawn, with and without the AOT cache,
 *       and warm; collapse (seed mode): delivered/s past capacity with the daemon's utime/stime;
 *       modes seed-opt and seed-opt2q (flood only): the README's optional rule; mode seed-kdnat
 *       (inbound, flood, collapse, and a cold variant): seed mode with {@code --kernel-dnat}.</li>
 *   <li>mixed (kernel mode, {@link MixedBench}): browser-like churn of short TCP and DNS flows at
 *       rising rates while game endpoints are probed by fresh peers, {@code --full-cone-ports
 *       1-65535} (today) vs the defaults (new): ports held, queue packets/s, pool exhaustion,
 *       probes answered.</li>
 *   <li>seed mode only, as before: ingest (conntrack events), steady (an established flow never
 *       touches the queue), startup (ready time and RSS with 64,512 mappings).</li>
 * </ul>
 */
public final class FlowBench {
    private static final int NAT = Inet4.parseAddr(Lab.NAT_IP);
    static final int LAN1 = Inet4.parseAddr(Lab.LAN1);
    static final int LAN_PORT = 40000;
    private static final int STATIC_PORT = 33333;
    static final int WAN_BASE = Inet4.parseAddr("203.0.113.10");
    private static final int PROBE = Inet4.parseAddr("203.0.113.10");
    static final int SEED_QUEUE = 1000, KERNEL_QUEUE = 47000;
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
        int queueNum2 = -1; // seed-opt2q: the second queue of --queue-balance
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
                case "seed", "seed-opt", "seed-opt2q", "seed-kdnat" -> dport = learnSeed(lab, lanRaw, probe);
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
            if (queueNum < 0) return QueueStats.NONE;
            QueueStats a = queueStats(lab, queueNum);
            if (queueNum2 < 0) return a;
            QueueStats b = queueStats(lab, queueNum2);
            return new QueueStats(a.total() + b.total(), a.dropped() + b.dropped(), a.userDropped() + b.userDropped(), a.idSequence() + b.idSequence());
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
        int[] collapseRates = {25_000, 50_000, 75_000, 100_000, 150_000, UNPACED};
        Double tcpSecs = null;
        double seconds = 1.0;
        Path out = Path.of("bench/out");
        int repeat = 3;
        List<String> modes = List.of("static-dnat", "seed", "kernel");
        java.util.Set<String> parts = new java.util.LinkedHashSet<>(
                List.of("inbound", "flood", "alloc", "startup60k", "ingest", "steady", "startup"));
        Integer unpaced = null, allocN = null, startupN = null;
        Double floodSecs = null;
        double mixedSeconds = 600;
        int[] mixedRates = {50, 150, 500};
        String mixedPool = null;
        int[] poolSizes = {10_000, 100_000, 1_000_000};
        int[] poolRates = {25_000, 75_000, UNPACED};
        int poolLive = 200_000;
        String poolJavaOpts = null;
        java.util.Set<String> poolSteps = new java.util.LinkedHashSet<>(List.of("startup", "alloc", "inbound", "live"));
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--repeat" -> repeat = Integer.parseInt(args[++i]);
                case "--parts" -> parts = new java.util.LinkedHashSet<>(List.of(args[++i].split(",")));
                case "--modes" -> modes = List.of(args[++i].split(","));
                case "--rates" -> rates = parse(args[++i]);
                case "--ingest-rates" -> ingestRates = parse(args[++i]);
                case "--collapse-rates" -> collapseRates = parse(args[++i]);
                case "--tcp-seconds" -> tcpSecs = Double.parseDouble(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--unpaced-count" -> unpaced = Integer.parseInt(args[++i]);
                case "--flood-seconds" -> floodSecs = Double.parseDouble(args[++i]);
                case "--alloc-endpoints" -> allocN = Integer.parseInt(args[++i]);
                case "--startup-mappings" -> startupN = Integer.parseInt(args[++i]);
                case "--mixed-seconds" -> mixedSeconds = Double.parseDouble(args[++i]);
                case "--mixed-rates" -> mixedRates = parse(args[++i]);
                case "--mixed-pool" -> mixedPool = args[++i];
                case "--pool-sizes" -> poolSizes = parse(args[++i]);
                case "--pool-rates" -> poolRates = parse(args[++i]);
                case "--pool-live" -> poolLive = Integer.parseInt(args[++i]);
                case "--pool-java-opts" -> poolJavaOpts = args[++i];
                case "--pool-steps" -> poolSteps = new java.util.LinkedHashSet<>(List.of(args[++i].split(",")));
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        for (String m : modes) {
            if (!List.of("static-dnat", "seed", "kernel", "seed-opt", "seed-opt2q", "seed-kdnat").contains(m)) throw new IllegalArgumentException("unknown mode " + m);
        }
        for (String p : parts) {
            if (!List.of("inbound", "flood", "alloc", "startup60k", "ingest", "steady", "startup", "tcp", "hairpin", "cold", "collapse", "mixed", "pool").contains(p)) {
                throw new IllegalArgumentException("unknown part " + p);
            }
        }
        if (parts.contains("mixed")) MixedBench.validate(mixedSeconds, mixedRates, mixedPool);
        Files.createDirectories(out);
        boolean modeParts = parts.contains("inbound") || parts.contains("flood") || parts.contains("collapse");
        // the modes' labs only for the parts that measure modes (tcp, hairpin, cold and mixed build their own)
        boolean needSeedLab = (modeParts && modes.contains("seed")) || parts.contains("ingest") || parts.contains("steady") || parts.contains("startup");
        boolean needKernelLab = (modeParts && modes.contains("kernel")) || parts.contains("alloc") || parts.contains("startup60k");
        MixedBench mixed = null;
        List<Lab> labs = new ArrayList<>();
        List<Target> targets = new ArrayList<>();
        try {
            Lab seedLab = needSeedLab ? add(labs, new Lab()) : null;
            Lab kernelLab = needKernelLab ? add(labs, new Lab("plain")) : null;
            Lab staticLab = modeParts && modes.contains("static-dnat") ? add(labs, new Lab("plain")) : null;
            Lab seedOptLab = modeParts && modes.contains("seed-opt") ? add(labs, new Lab()) : null;
            Lab seedOpt2Lab = modeParts && modes.contains("seed-opt2q") ? add(labs, new Lab()) : null;
            Lab seedKdnatLab = modeParts && modes.contains("seed-kdnat") ? add(labs, new Lab()) : null;
            FlowBench b = new FlowBench(seedLab, seconds);
            if (parts.contains("mixed")) mixed = new MixedBench(mixedSeconds, mixedRates, mixedPool, out, b::say);
            b.dumpDir = out;
            b.repeat = repeat;
            if (unpaced != null) b.unpacedCount = unpaced;
            if (floodSecs != null) b.floodSeconds = floodSecs;
            if (allocN != null) b.allocEndpoints = allocN;
            if (startupN != null) b.startupMappings = startupN;
            if (tcpSecs != null) b.tcpSeconds = tcpSecs;
            b.say("bench/run " + String.join(" ", args));
            b.say("machine: " + Runtime.getRuntime().availableProcessors() + " cores; " + b.loadAvg() + " at the start");
            List<Row> rows = List.of();
            List<FloodRow> floods = List.of();
            if (modeParts) {
                for (String m : modes) {
                    Target t = switch (m) {
                        case "static-dnat" -> b.staticTarget(staticLab);
                        case "seed" -> b.seedTarget(seedLab);
                        case "seed-opt" -> b.seedOptTarget(seedOptLab, false);
                        case "seed-opt2q" -> b.seedOptTarget(seedOpt2Lab, true);
                        case "seed-kdnat" -> b.seedKdnatTarget(seedKdnatLab);
                        default -> b.kernelTarget(kernelLab);
                    };
                    targets.add(t);
                }
                // the optional-rule variants of seed mode are measured in the flood part only
                List<Target> base = targets.stream().filter(t -> !t.mode.startsWith("seed-opt")).toList();
                if (parts.contains("inbound")) rows = b.inbound(base, rates);
                if (parts.contains("flood")) {
                    for (Target t : targets) {
                        if (!t.mode.startsWith("seed-opt")) continue;
                        t.prepare();
                        b.step(t, 20_000, "warm-up"); // as inbound warms the others
                    }
                    floods = b.flood(targets);
                }
                if (parts.contains("collapse")) {
                    for (Target t : targets) if (t.mode.equals("seed") || t.mode.equals("seed-kdnat")) b.collapse(t, collapseRates);
                }
                if (seedOptLab != null) b.checkLog("seed-opt", seedOptLab);
                if (seedOpt2Lab != null) b.checkLog("seed-opt2q", seedOpt2Lab);
                if (seedKdnatLab != null) b.checkLog("seed-kdnat", seedKdnatLab);
                for (Target t : targets) t.close();
                targets.clear();
            }
            List<AllocRow> allocs = List.of();
            if (parts.contains("alloc")) allocs = b.alloc(kernelLab);
            if (parts.contains("startup60k")) b.startup60k(kernelLab);
            if (kernelLab != null) b.checkLog("kernel", kernelLab);
            if (parts.contains("tcp")) b.tcp();
            if (parts.contains("hairpin")) b.hairpin();
            if (parts.contains("cold")) b.cold();
            if (mixed != null) mixed.run();
            if (parts.contains("pool")) {
                PoolBench pool = new PoolBench(poolSizes, poolRates, poolLive, poolJavaOpts, repeat, poolSteps, out, b::say);
                try {
                    pool.run();
                } finally {
                    b.say("");
                    b.say("pool: commands that filled the maps:");
                    for (String c : pool.commands()) b.say("  " + c);
                }
            }
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

    static Lab add(List<Lab> labs, Lab l) {
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

    static void flush(Lab lab) throws Exception {
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

    /**
     * Seed mode with the README's optional rule: the nft table that flags packets to ports seen
     * leaving SNAT'd, and the queue rule matching the flag; {@code two}: --queue-balance 1000:1001
     * and -q 1000:1001 (one daemon thread per queue).
     */
    private Target seedOptTarget(Lab l, boolean two) throws Exception {
        Lab.Result r = two ? l.applyOptionalQueueRule("--queue-balance", "1000:1001")
                : l.applyOptionalQueueRule("--queue-num", "1000");
        if (r.code() != 0) throw new IllegalStateException("optional rule: " + r.out());
        if (two) l.startDaemon("--quiet", "-q", "1000:1001");
        else l.startDaemon("--quiet");
        Target t = new Target(two ? "seed-opt2q" : "seed-opt", l, SEED_QUEUE);
        if (two) t.queueNum2 = SEED_QUEUE + 1;
        t.pid = javaPid(l);
        t.probe = l.udp(l.wan, "203.0.113.10", 5000);
        return t;
    }

    /** Seed mode on the README's rules with --kernel-dnat over the range the rules queue. */
    private Target seedKdnatTarget(Lab l) throws Exception {
        l.startDaemon("--quiet", "--kernel-dnat", KDNAT_RANGE);
        Target t = new Target("seed-kdnat", l, SEED_QUEUE);
        t.pid = javaPid(l);
        t.probe = l.udp(l.wan, "203.0.113.10", 5000);
        return t;
    }

    private static final String KDNAT_RANGE = "10240-65535";

    private Target kernelTarget(Lab l) throws Exception {
        l.startKernelDaemon("--quiet");
        Target t = new Target("kernel", l, KERNEL_QUEUE);
        t.pid = javaPid(l);
        t.probe = l.udp(l.wan, "203.0.113.10", 5000);
        return t;
    }

    /** The daemon's JVM: the java process among those in the router's namespace. */
    static long javaPid(Lab l) throws Exception {
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
        long[] cpu0 = ProcStat.cpu(t.pid), self0 = ProcStat.cpu(ProcessHandle.current().pid());
        long[] m0 = ProcStat.machine();
        long t0 = System.nanoTime();
        long sent = 0;
        double interval = rate == UNPACED ? 0 : 1e9 / rate;
        for (int i = 0; i < n; i++) {
            if (rate != UNPACED) pace(t0 + (long) (i * interval));
            int src = WAN_BASE + (i / 64_000) % 20;
            if (t.wan.send(src, 1024 + i % 64_000, NAT, t.dport, i)) sent++;
        }
        long t1 = System.nanoTime();
        long[] m1 = ProcStat.machine(), self1 = ProcStat.cpu(ProcessHandle.current().pid());
        double sendSeconds = (t1 - t0) / 1e9;
        Thread.sleep(1000); // let the last packets land
        long[] cpu1 = ProcStat.cpu(t.pid);
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
    static void pace(long due) {
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
            if (wait > 60_000) java.util.concurrent.locks.LockSupport.parkNanos(wait - 50_000);
            else Thread.onSpinWait();
        }
    }

    private static Cpu split(long[] a, long[] b) {
        double total = 0;
        for (int i = 0; i < 8; i++) total += b[i] - a[i];
        if (total <= 0) return Cpu.NONE;
        return new Cpu(100 * (b[0] - a[0] + b[1] - a[1]) / total, 100 * (b[2] - a[2] + b[5] - a[5]) / total,
                100 * (b[6] - a[6]) / total, 100 * (b[3] - a[3] + b[4] - a[4]) / total, 100 * (b[7] - a[7]) / total);
    }

    static double rssMiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
        }
        return -1;
    }

    /** queue_number peer_portid queue_total copy_mode copy_range queue_dropped user_dropped id_sequence 1 */
    static QueueStats queueStats(Lab l, int queueNum) throws IOException {
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
        long[] cpu0 = ProcStat.cpu(t.pid), m0 = ProcStat.machine();
        long t0 = System.nanoTime();
        long sent = 0;
        double interval = 1e9 / LEGIT_RATE;
        for (int i = 0; i < n; i++) {
            pace(t0 + (long) (i * interval));
            if (t.wan.send(WAN_BASE + (i / 64_000) % 20, 1024 + i % 64_000, NAT, t.dport, i)) sent++;
        }
        long t1 = System.nanoTime();
        long[] m1 = ProcStat.machine(), cpu1 = ProcStat.cpu(t.pid);
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

    static final int ALLOC_DST_A = Inet4.parseAddr("203.0.113.10"), ALLOC_DST_B = Inet4.parseAddr("203.0.113.11");
    static final int ALLOC_PORT = 9000;

    /** Endpoint i of the alloc sender: 10.0.0.110-119, ports spread over 1024-65023 (distinct for i < 640,000). */
    static int epAddr(int i) { return Inet4.parseAddr("10.0.0.110") + i % 10; }

    static int epPort(int i) { return 1024 + (int) ((i / 10 * 7919L) % 64_000); }

    static void addLanAddresses(Lab l) throws IOException {
        for (int h = 110; h <= 119; h++) l.exec(l.lan, "ip", "addr", "add", "10.0.0." + h + "/24", "dev", "eth0");
    }

    /** A clean kernel-mode daemon: SIGTERM removes the table, no conntrack flow left to adopt. */
    static void restartKernel(Lab l, String... args) throws Exception {
        if (l.daemonProcess() != null) l.stopDaemon();
        flush(l);
        Files.deleteIfExists(l.dir.resolve("stats"));
        l.startKernelDaemon(args);
    }

    static Map<String, Long> stats(Lab l) throws Exception {
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

    static AllocRow allocRound(Lab l, RawUdp lan, UdpSink a, UdpSink b, int n, String variant, int rep) throws Exception {
        a.reset(n);
        b.reset(n);
        Map<String, Long> s0 = stats(l);
        long pid = javaPid(l);
        QueueStats q0 = queueStats(l, KERNEL_QUEUE);
        long[] c0 = ProcStat.cpu(pid);
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
        long[] c1 = ProcStat.cpu(pid);
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

    static final Pattern READY = Pattern.compile("ready in (\\d+) ms"), ADOPTED = Pattern.compile("adopted (\\d+) mappings");

    /**
     * The mappings are made by traffic through the daemon, not written with nft -f, so its mapping
     * journal holds them all: each kill -9 restart replays the journal (the line says which source
     * the adoption used), not a dump of the maps.
     */
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
            long readyLine = find(PoolBench.READY_MAPPINGS, log);
            String source = adoptedLog < 0 ? "?" : log.contains("(as its journal ") ? "journal" : "maps";
            restarts.add(new double[] {wall, selfReported, s2.getOrDefault("adopted", -1L), rss, s3.getOrDefault("ports_allocated", -1L)});
            say(String.format(Locale.ROOT, "  kill -9 and restart #%d: ready after %.0f ms (spawn to ready file; the daemon says \"ready in %d ms\" from its JVM's start, "
                            + "%d mappings), adopted %d (log: %d, from the %s), ports_allocated %d, RSS %.1f MiB 2 s after ready",
                    k + 1, wall, selfReported, readyLine, s2.getOrDefault("adopted", -1L), adoptedLog, source, s3.getOrDefault("ports_allocated", -1L), rss));
        }
        say(String.format(Locale.ROOT, "startup60k median of %d restarts: ready %.0f ms (self-reported %.0f ms), adopted %.0f, RSS %.1f MiB (before the kill: %.1f MiB)",
                restarts.size(), median(restarts.stream().mapToDouble(d -> d[0]).toArray()), median(restarts.stream().mapToDouble(d -> d[1]).toArray()),
                median(restarts.stream().mapToDouble(d -> d[2]).toArray()), median(restarts.stream().mapToDouble(d -> d[3]).toArray()), rssLive));
    }

    static long find(Pattern p, String log) {
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

    // ---- tcp (issue 9): inbound new TCP connections, kernel mode vs a static DNAT rule -------------

    private static final int TCP_PORT = 46000;
    private double tcpSeconds = 3.0;
    private int tcpThreads = 4;

    private static java.net.ServerSocket tcpListener(String ns, String addr, int port) {
        return org.conenatd.it.Netns.call(ns, () -> {
            java.net.ServerSocket s = new java.net.ServerSocket();
            s.setReuseAddress(true);
            s.setOption(java.net.StandardSocketOptions.SO_REUSEPORT, true);
            s.bind(new java.net.InetSocketAddress(java.net.InetAddress.getByName(addr), port), 4096);
            return s;
        });
    }

    /** Accepts and closes at once until the listener is closed. */
    private static List<Thread> acceptors(java.net.ServerSocket l, int n, AtomicLong accepted) {
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ts.add(Thread.ofPlatform().name("accept-" + i).daemon().start(() -> {
                while (!l.isClosed()) {
                    try (java.net.Socket s = l.accept()) {
                        accepted.incrementAndGet();
                    } catch (IOException e) {
                        // closed
                    }
                }
            }));
        }
        return ts;
    }

    record TcpRow(String mode, int rep, long completed, long failed, double seconds, double benchCpuPct, double daemonCpuPct, Cpu machine) {
        double rate() { return completed / seconds; }
    }

    /** One measurement: tcpThreads client threads in the WAN, each from its own address, connect, read EOF (the LAN side accepted and closed), close. */
    private TcpRow tcpStep(String mode, Lab l, int dport, long pid, int rep) throws Exception {
        flushTcpKeep(l, mode);
        AtomicLong done = new AtomicLong(), failed = new AtomicLong();
        long end = System.nanoTime() + (long) (tcpSeconds * 1e9);
        long[] self0 = ProcStat.cpu(ProcessHandle.current().pid()), d0 = ProcStat.cpu(pid), m0 = ProcStat.machine();
        long t0 = System.nanoTime();
        List<Thread> ts = new ArrayList<>();
        for (int k = 0; k < tcpThreads; k++) {
            String src = "203.0.113." + (12 + k);
            ts.add(Thread.ofPlatform().name("tcp-client-" + k).start(() -> org.conenatd.it.Netns.call(l.wan, () -> {
                java.net.InetSocketAddress to = new java.net.InetSocketAddress(java.net.InetAddress.getByName(Lab.NAT_IP), dport);
                java.net.InetSocketAddress from = new java.net.InetSocketAddress(java.net.InetAddress.getByName(src), 0);
                while (System.nanoTime() < end) {
                    try (java.net.Socket s = new java.net.Socket()) {
                        s.bind(from);
                        s.setSoTimeout(2000);
                        s.connect(to, 2000);
                        if (s.getInputStream().read() < 0) done.incrementAndGet();
                        else failed.incrementAndGet();
                    } catch (IOException e) {
                        failed.incrementAndGet();
                    }
                }
                return null;
            })));
        }
        for (Thread t : ts) t.join();
        double secs = (System.nanoTime() - t0) / 1e9;
        long[] self1 = ProcStat.cpu(ProcessHandle.current().pid()), d1 = ProcStat.cpu(pid), m1 = ProcStat.machine();
        TcpRow r = new TcpRow(mode, rep, done.get(), failed.get(), secs, 100.0 * (self1[0] - self0[0]) / 100.0 / secs,
                pid < 0 ? -1 : 100.0 * (d1[0] - d0[0]) / 100.0 / secs, split(m0, m1));
        System.out.printf(Locale.ROOT, "tcp %s: %d connections in %.2f s (%.0f/s), %d failed, bench cpu %.0f%%, daemon cpu %.0f%%, machine %s%n",
                mode, r.completed(), secs, r.rate(), r.failed(), r.benchCpuPct(), r.daemonCpuPct(), cpu(r.machine()));
        return r;
    }

    /** Between steps: forget the finished connections (TIME_WAIT entries) but keep the kernel-mode mapping's live outbound connection. */
    private static void flushTcpKeep(Lab l, String mode) throws Exception {
        l.exec(l.rtr, "conntrack", "-D", "-p", "tcp", "--state", "TIME_WAIT");
        l.exec(l.rtr, "conntrack", "-D", "-p", "tcp", "--state", "CLOSE");
        Thread.sleep(300);
    }

    void tcp() throws Exception {
        List<TcpRow> rows = new ArrayList<>();
        try (Lab k = new Lab("plain"); Lab s = new Lab("plain")) {
            // static: a kernel DNAT rule for TCP, no daemon
            sh(s, s.rtr, "iptables", "-t", "nat", "-A", "PREROUTING", "-i", "eth0", "-p", "tcp", "--dport", String.valueOf(TCP_PORT),
                    "-j", "DNAT", "--to", Lab.LAN1 + ":" + TCP_PORT);
            // kernel: the LAN endpoint connects out from its listening port (SO_REUSEPORT), the mapping serves the WAN
            java.net.ServerSocket server = tcpListener(k.wan, "203.0.113.10", 8000);
            java.net.ServerSocket lk = tcpListener(k.lan, Lab.LAN1, TCP_PORT), ls = tcpListener(s.lan, Lab.LAN1, TCP_PORT);
            k.startKernelDaemon("--quiet");
            long kpid = javaPid(k);
            java.net.Socket out = org.conenatd.it.Netns.call(k.lan, () -> {
                java.net.Socket o = new java.net.Socket();
                o.setReuseAddress(true);
                o.setOption(java.net.StandardSocketOptions.SO_REUSEPORT, true);
                o.bind(new java.net.InetSocketAddress(java.net.InetAddress.getByName(Lab.LAN1), TCP_PORT));
                return o;
            });
            out.connect(new java.net.InetSocketAddress("203.0.113.10", 8000), 5000);
            server.setSoTimeout(5000);
            java.net.Socket seen = server.accept();
            int kport = seen.getPort();
            Thread.sleep(500);
            AtomicLong acc = new AtomicLong();
            List<Thread> a = new ArrayList<>(acceptors(lk, 2, acc));
            a.addAll(acceptors(ls, 2, acc));
            // warm-up of both (the JIT of the client loop, the daemon's first connection)
            tcpStep("warm-up", s, TCP_PORT, -1, -1);
            tcpStep("warm-up", k, kport, kpid, -1);
            for (int rep = 0; rep < repeat; rep++) {
                rows.add(tcpStep("static-dnat", s, TCP_PORT, -1, rep));
                rows.add(tcpStep("kernel", k, kport, kpid, rep));
            }
            QueueStats q = queueStats(k, KERNEL_QUEUE);
            lk.close();
            ls.close();
            seen.close();
            out.close();
            server.close();
            say("");
            say(String.format(Locale.ROOT, "tcp: new inbound TCP connections (connect, the LAN listener accepts and closes, the client reads EOF and closes) "
                    + "from %d client threads in the WAN (each its own address) for %.1f s to a LAN listener (SO_REUSEPORT); kernel mode's mapped port %d "
                    + "(the endpoint's own outbound connection made it) vs a static TCP DNAT rule; median of %d", tcpThreads, tcpSeconds, kport, repeat));
            say(String.format(Locale.ROOT, "%-12s %4s %10s %8s %8s %10s %9s %10s %s", "mode", "rep", "completed", "failed", "conn/s", "vs static",
                    "bench cpu%", "daemon cpu%", "machine usr/sys/si/idle %"));
            for (TcpRow r : rows) {
                say(String.format(Locale.ROOT, "%-12s %4d %10d %8d %8.0f %10s %9.0f %10s %s", r.mode(), r.rep(), r.completed(), r.failed(), r.rate(), "",
                        r.benchCpuPct(), r.daemonCpuPct() < 0 ? "-" : String.format(Locale.ROOT, "%.0f", r.daemonCpuPct()), cpu(r.machine())));
            }
            double st = median(rows.stream().filter(r -> r.mode().equals("static-dnat")).mapToDouble(TcpRow::rate).toArray());
            for (String m : List.of("static-dnat", "kernel")) {
                List<TcpRow> rs = rows.stream().filter(r -> r.mode().equals(m)).toList();
                double v = median(rs.stream().mapToDouble(TcpRow::rate).toArray());
                say(String.format(Locale.ROOT, "%-12s %4s %10.0f %8.0f %8.0f %10.3f %9.0f %10s %s", m, "med",
                        median(rs.stream().mapToDouble(TcpRow::completed).toArray()), median(rs.stream().mapToDouble(TcpRow::failed).toArray()), v, v / st,
                        median(rs.stream().mapToDouble(TcpRow::benchCpuPct).toArray()),
                        m.equals("kernel") ? String.format(Locale.ROOT, "%.0f", median(rs.stream().mapToDouble(TcpRow::daemonCpuPct).toArray())) : "-",
                        cpu(medianCpu(rs.stream().map(TcpRow::machine).toList()))));
            }
            say(String.format(Locale.ROOT, "tcp: kernel mode queue %d id_sequence %d after the part (inbound connections to a mapped port queue nothing); "
                    + "bench cpu%% is the bench JVM (clients and acceptors) in %% of one core, of 200%%", KERNEL_QUEUE, q.idSequence()));
            checkLog("tcp kernel", k);
        }
    }

    // ---- hairpin (issue 9): LAN to LAN through the public address, vs plain routing --------------------

    record HairRow(String mode, int payload, int rep, long sent, long received, double seconds, double sendSeconds, Cpu machine, double daemonCpuPct) {
        double pps() { return received / seconds; }
        double mbit() { return received * (double) payload * 8 / seconds / 1e6; }
    }

    private int hairpinCount(int payload) { return payload >= 1000 ? 200_000 : 400_000; }

    void hairpin() throws Exception {
        List<HairRow> rows = new ArrayList<>();
        Lab l = new Lab("plain");
        String lan2 = l.prefix + "-lan2";
        try {
            // a second LAN on router interface eth2: 10.0.2.0/24, host 10.0.2.101
            Lab.Result r0 = Lab.run(List.of("ip", "netns", "add", lan2));
            if (r0.code() != 0) throw new IllegalStateException(r0.out());
            for (List<String> c : List.of(
                    List.of("ip", "-n", l.rtr, "link", "add", "eth2", "type", "veth", "peer", "name", "eth0", "netns", lan2),
                    List.of("ip", "-n", l.rtr, "addr", "add", "10.0.2.1/24", "dev", "eth2"),
                    List.of("ip", "-n", l.rtr, "link", "set", "eth2", "up"),
                    List.of("ip", "-n", lan2, "addr", "add", "10.0.2.101/24", "dev", "eth0"),
                    List.of("ip", "-n", lan2, "link", "set", "eth0", "up"),
                    List.of("ip", "-n", lan2, "link", "set", "lo", "up"),
                    List.of("ip", "-n", lan2, "route", "add", "default", "via", "10.0.2.1"))) {
                Lab.Result r = Lab.run(c);
                if (r.code() != 0) throw new IllegalStateException(c + ": " + r.out());
            }
            l.startKernelDaemon("--quiet");
            long pid = javaPid(l);
            try (UdpSink a = new UdpSink(l.lan, LAN1, LAN_PORT)) {
                DatagramSocket probe = l.udp(l.wan, "203.0.113.10", 5000);
                a.send(PROBE, 5000);
                Lab.Received rr = Lab.receive(probe, 3000);
                if (rr == null) throw new IllegalStateException("hairpin: no outbound packet\n" + l.daemonLog());
                int pA = rr.port();
                Thread.sleep(300);
                int b = Inet4.parseAddr(Lab.LAN2), b2 = Inet4.parseAddr("10.0.2.101");
                for (int payload : new int[] {1200, 64}) {
                    try (RawUdp hs = new RawUdp(l.lan, payload, false); RawUdp ps = new RawUdp(lan2, payload, false)) {
                        // warm-up: B's first packet allocates B's mapping (queued once), then both paths
                        hairStep("warm-up", payload, hs, b, NAT, pA, a, pid, -1);
                        hairStep("warm-up", payload, ps, b2, LAN1, LAN_PORT, a, pid, -1);
                        for (int rep = 0; rep < repeat; rep++) {
                            rows.add(hairStep("plain-route", payload, ps, b2, LAN1, LAN_PORT, a, pid, rep));
                            rows.add(hairStep("hairpin", payload, hs, b, NAT, pA, a, pid, rep));
                        }
                    }
                }
                QueueStats q = queueStats(l, KERNEL_QUEUE);
                say("");
                say(String.format(Locale.ROOT, "hairpin: UDP from LAN host B (10.0.0.102, raw sender, unpaced, one flow, UDP checksum 0) to A's public endpoint %s:%d "
                        + "(kernel mode; A = 10.0.0.101:%d) vs plain routing from 10.0.2.101 (second LAN on router eth2) to A directly; "
                        + "%d datagrams of 1200 B, %d of 64 B payload per step; delivered pps/Mbit(payload) over first send to last arrival; median of %d",
                        Lab.NAT_IP, pA, LAN_PORT, hairpinCount(1200), hairpinCount(64), repeat));
                say(String.format(Locale.ROOT, "%-12s %7s %4s %9s %9s %7s %10s %10s %9s %9s %s", "mode", "payload", "rep", "sent", "received", "loss%",
                        "sent pps", "deliv pps", "Mbit/s", "vs plain", "machine usr/sys/si/idle %"));
                for (HairRow r : rows) {
                    say(String.format(Locale.ROOT, "%-12s %7d %4d %9d %9d %7.2f %10.0f %10.0f %9.1f %9s %s", r.mode(), r.payload(), r.rep(), r.sent(), r.received(),
                            100.0 * (r.sent() - r.received()) / Math.max(1, r.sent()), r.sent() / r.sendSeconds(), r.pps(), r.mbit(), "", cpu(r.machine())));
                }
                for (int payload : new int[] {1200, 64}) {
                    double plain = median(rows.stream().filter(r -> r.payload() == payload && r.mode().equals("plain-route")).mapToDouble(HairRow::pps).toArray());
                    for (String m : List.of("plain-route", "hairpin")) {
                        List<HairRow> rs = rows.stream().filter(r -> r.payload() == payload && r.mode().equals(m)).toList();
                        double pps = median(rs.stream().mapToDouble(HairRow::pps).toArray());
                        say(String.format(Locale.ROOT, "%-12s %7d %4s %9.0f %9.0f %7.2f %10.0f %10.0f %9.1f %9.3f %s", m, payload, "med",
                                median(rs.stream().mapToDouble(HairRow::sent).toArray()), median(rs.stream().mapToDouble(HairRow::received).toArray()),
                                median(rs.stream().mapToDouble(r -> 100.0 * (r.sent() - r.received()) / Math.max(1, r.sent())).toArray()),
                                median(rs.stream().mapToDouble(r -> r.sent() / r.sendSeconds()).toArray()), pps,
                                median(rs.stream().mapToDouble(HairRow::mbit).toArray()), pps / plain, cpu(medianCpu(rs.stream().map(HairRow::machine).toList()))));
                    }
                }
                say(String.format(Locale.ROOT, "hairpin: kernel queue %d id_sequence %d after the part (B's first packet per payload size allocates B's mapping; nothing else should queue)",
                        KERNEL_QUEUE, q.idSequence()));
            }
            checkLog("hairpin kernel", l);
        } finally {
            Lab.run(List.of("ip", "netns", "del", lan2));
            l.close();
        }
    }

    private HairRow hairStep(String mode, int payload, RawUdp tx, int src, int dst, int dport, UdpSink a, long pid, int rep) throws Exception {
        int n = mode.equals("warm-up") ? 20_000 : hairpinCount(payload);
        a.reset(n);
        long[] m0 = ProcStat.machine(), d0 = ProcStat.cpu(pid);
        long t0 = System.nanoTime();
        long sent = 0;
        for (int i = 0; i < n; i++) if (tx.send(src, 41000, dst, dport, i)) sent++;
        long t1 = System.nanoTime();
        long[] m1 = ProcStat.machine();
        Thread.sleep(700);
        long[] d1 = ProcStat.cpu(pid);
        double secs = Math.max(t1 - t0, a.lastArrival() - t0) / 1e9;
        HairRow r = new HairRow(mode, payload, rep, sent, a.received(), secs, (t1 - t0) / 1e9, split(m0, m1), 100.0 * (d1[0] - d0[0]) / 100.0 / secs);
        System.out.printf(Locale.ROOT, "hairpin %s %d B: %d/%d delivered, %.0f pps, %.1f Mbit/s, machine %s%n", mode, payload, r.received(), sent, r.pps(), r.mbit(), cpu(r.machine()));
        return r;
    }

    // ---- cold (issue 11): a burst 2 s after the daemon's process start, seed mode ----------------------

    record ColdRow(String variant, int rep, long sent, double sendSeconds, long received, double readyMs, double firstArrivalMs) {
        double pct() { return 100.0 * received / Math.max(1, sent); }
    }

    private int coldFlows = 50_000, coldRate = 75_000;
    private static final List<String> COLD_VARIANTS = List.of("aot", "no-cds", "warm", "kdnat");
    private double coldDelay = 2.0;

    void cold() throws Exception {
        List<ColdRow> rows = new ArrayList<>();
        String launcher = null;
        try (Lab l = new Lab(); RawUdp lan = new RawUdp(l.lan); RawUdp wan = new RawUdp(l.wan); UdpSink sink = new UdpSink(l.lan, LAN1, LAN_PORT)) {
            launcher = l.conenatd();
            Map<String, String> env = new java.util.HashMap<>(System.getenv());
            Map<String, String> noCds = new java.util.HashMap<>(env);
            noCds.put("CONENATD_CDS", "0");
            DatagramSocket probe = l.udp(l.wan, "203.0.113.10", 5000);
            boolean aot = Files.exists(l.home.resolve("target/conenatd.aot"));
            for (int rep = 0; rep < repeat; rep++) {
                for (String v : COLD_VARIANTS) {
                    if (l.daemonProcess() != null) l.stopDaemon();
                    flush(l);
                    l.useLauncher(launcher, v.equals("no-cds") ? noCds : env);
                    if (v.equals("warm")) {
                        long s0 = System.nanoTime();
                        l.startDaemon("--quiet");
                        int port = learnSeed(l, lan, probe);
                        burst(l, wan, sink, port, System.nanoTime()); // the warming burst
                        long until = s0 + 10_000_000_000L;
                        flush(l);
                        port = learnSeed(l, lan, probe);
                        while (System.nanoTime() < until) Thread.sleep(20);
                        long[] res = burst(l, wan, sink, port, System.nanoTime());
                        rows.add(new ColdRow(v, rep, res[0], res[1] / 1e9, res[2], Double.NaN, Double.NaN));
                    } else {
                        // the mapping exists before the daemon starts: its start-up resync adopts it
                        lan.send(LAN1, LAN_PORT, PROBE, 5000, -1);
                        Lab.Received r = Lab.receive(probe, 3000);
                        if (r == null) throw new IllegalStateException("cold: no outbound packet");
                        int port = r.port();
                        long[] res = new long[4];
                        long spawn = System.nanoTime();
                        Thread sender = Thread.ofPlatform().name("cold-burst").start(() -> {
                            try {
                                long[] x = burst(l, wan, sink, port, spawn + (long) (coldDelay * 1e9));
                                System.arraycopy(x, 0, res, 0, 4);
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        });
                        if (v.equals("kdnat")) l.startDaemon("--quiet", "--kernel-dnat", KDNAT_RANGE);
                        else l.startDaemon("--quiet");
                        double readyMs = (System.nanoTime() - spawn) / 1e6;
                        sender.join();
                        rows.add(new ColdRow(v, rep, res[0], res[1] / 1e9, res[2], readyMs, res[3] == 0 ? Double.NaN : (res[3] - spawn) / 1e6));
                    }
                    ColdRow c = rows.getLast();
                    System.out.printf(Locale.ROOT, "cold %s: %d/%d delivered (%.1f%%), sent in %.2f s, ready after %.0f ms, first arrival %.0f ms%n",
                            v, c.received(), c.sent(), c.pct(), c.sendSeconds(), c.readyMs(), c.firstArrivalMs());
                }
            }
            say("");
            say(String.format(Locale.ROOT, "cold (seed mode, README rules): a burst of %d new inbound flows at %d/s to one mapped port (mapped by an outbound packet before "
                    + "the daemon starts; its start-up resync adopts it), the burst starting %.1f s after the launcher's spawn (not after ready); "
                    + "aot = bin/conenatd with target/conenatd.aot (%s), no-cds = CONENATD_CDS=0, warm = the daemon running for 10 s and warmed by one such burst, "
                    + "kdnat = as aot with --kernel-dnat " + KDNAT_RANGE + "; median of %d",
                    coldFlows, coldRate, coldDelay, aot ? "present" : "MISSING", repeat));
            say(String.format(Locale.ROOT, "%-8s %4s %8s %9s %9s %10s %10s %14s", "variant", "rep", "sent", "sent/s", "received", "deliv%", "ready ms", "1st arrival ms"));
            for (ColdRow c : rows) {
                say(String.format(Locale.ROOT, "%-8s %4d %8d %9.0f %9d %10.2f %10.0f %14.0f", c.variant(), c.rep(), c.sent(), c.sent() / c.sendSeconds(), c.received(), c.pct(), c.readyMs(), c.firstArrivalMs()));
            }
            for (String v : COLD_VARIANTS) {
                List<ColdRow> rs = rows.stream().filter(c -> c.variant().equals(v)).toList();
                say(String.format(Locale.ROOT, "%-8s %4s %8.0f %9.0f %9.0f %10.2f %10.0f %14.0f", v, "med", median(rs.stream().mapToDouble(ColdRow::sent).toArray()),
                        median(rs.stream().mapToDouble(c -> c.sent() / c.sendSeconds()).toArray()), median(rs.stream().mapToDouble(ColdRow::received).toArray()),
                        median(rs.stream().mapToDouble(ColdRow::pct).toArray()), median(rs.stream().mapToDouble(ColdRow::readyMs).toArray()),
                        median(rs.stream().mapToDouble(ColdRow::firstArrivalMs).toArray())));
            }
            l.stopDaemon();
            checkLog("cold seed", l);
        }
    }

    /** At {@code start}, coldFlows new flows at coldRate/s to the port; returns sent, send ns, received, first arrival (nanoTime). */
    private long[] burst(Lab l, RawUdp wan, UdpSink sink, int port, long start) throws Exception {
        sink.reset(coldFlows);
        while (System.nanoTime() < start) Thread.sleep(1);
        long t0 = System.nanoTime(), sent = 0;
        double interval = 1e9 / coldRate;
        for (int i = 0; i < coldFlows; i++) {
            pace(t0 + (long) (i * interval));
            if (wan.send(WAN_BASE + (i / 64_000) % 20, 1024 + i % 64_000, NAT, port, i)) sent++;
        }
        long t1 = System.nanoTime();
        Thread.sleep(2000);
        return new long[] {sent, t1 - t0, sink.received(), sink.firstArrival()};
    }

    // ---- collapse (issue 11): seed mode, offered rate past capacity --------------------------------------

    List<Row> collapse(Target t, int[] rates) throws Exception {
        List<Row> rows = new ArrayList<>();
        List<long[]> splits = new ArrayList<>();
        for (int rep = 0; rep < repeat; rep++) {
            for (int rate : rates) {
                t.prepare();
                long[] d0 = cpuSplit(t.pid);
                Row r = step(t, rate, "collapse-" + t.mode);
                long[] d1 = cpuSplit(t.pid);
                rows.add(r);
                splits.add(new long[] {d1[0] - d0[0], d1[1] - d0[1]});
            }
        }
        say("");
        say(String.format(Locale.ROOT, "collapse (%s): new inbound flows at rising offered rates past capacity; delivered/s = received over max(send window, last arrival); "
                + "daemon usr/sys = its utime/stime over the step (%% of one core, until 1 s after the last send, per second of sending); median of %d", t.mode, repeat));
        say(String.format(Locale.ROOT, "%-9s %9s %11s %7s %9s %9s %9s %s", "offered/s", "sent/s", "delivered/s", "loss%", "queued", "daemon usr", "daemon sys", "machine usr/sys/si/idle %"));
        double[] med = new double[rates.length];
        for (int i = 0; i < rates.length; i++) {
            int rate = rates[i];
            List<Integer> idx = new ArrayList<>();
            for (int j = 0; j < rows.size(); j++) if (rows.get(j).offered() == rate) idx.add(j);
            med[i] = median(idx.stream().mapToDouble(j -> collapseDelivered(rows.get(j))).toArray());
            say(String.format(Locale.ROOT, "%-9s %9.0f %11.0f %7.2f %9.0f %9.0f %9.0f %s", rateLabel(rate),
                    median(idx.stream().mapToDouble(j -> rows.get(j).sendRate()).toArray()), med[i],
                    median(idx.stream().mapToDouble(j -> rows.get(j).lossPct()).toArray()),
                    median(idx.stream().mapToDouble(j -> rows.get(j).queued()).toArray()),
                    median(idx.stream().mapToDouble(j -> splits.get(j)[0] / rows.get(j).seconds()).toArray()),
                    median(idx.stream().mapToDouble(j -> splits.get(j)[1] / rows.get(j).seconds()).toArray()),
                    cpu(medianCpu(idx.stream().map(j -> rows.get(j).machine()).toList()))));
        }
        double capacity = 0;
        for (double v : med) capacity = Math.max(capacity, v);
        StringBuilder falls = new StringBuilder();
        for (int i = 1; i < med.length; i++) if (med[i] < med[i - 1]) falls.append(String.format(Locale.ROOT, " %s->%s: %.0f->%.0f (%.1f%%);", rateLabel(rates[i - 1]), rateLabel(rates[i]), med[i - 1], med[i], 100 * (med[i] - med[i - 1]) / med[i - 1]));
        say(String.format(Locale.ROOT, "collapse: capacity (highest median delivered/s) %.0f; delivered/s falls as offered rises:%s", capacity, falls.length() == 0 ? " never" : falls.toString()));
        for (int i = 0; i < rates.length; i++) {
            int i2 = i;
            List<Integer> idx = new ArrayList<>();
            for (int j = 0; j < rows.size(); j++) if (rows.get(j).offered() == rates[i2]) idx.add(j);
            double sentRate = median(idx.stream().mapToDouble(j -> rows.get(j).sendRate()).toArray());
            if (sentRate >= 2 * capacity) {
                say(String.format(Locale.ROOT, "collapse: at %s (sent %.0f/s = %.1fx capacity) delivered %.0f/s = %.3f of capacity (target >= 0.9)",
                        rateLabel(rates[i]), sentRate, sentRate / capacity, med[i], med[i] / capacity));
                break;
            }
            if (i == rates.length - 1) say("collapse: no step reached 2x capacity in achieved send rate; highest sent " + String.format(Locale.ROOT, "%.0f/s = %.2fx, delivered %.3f of capacity", sentRate, sentRate / capacity, med[i] / capacity));
        }
        return rows;
    }

    private static double collapseDelivered(Row r) {
        return r.received() / Math.max(r.seconds(), r.lastArrivalSeconds());
    }

    /** utime and stime (ticks, USER_HZ 100 = percent of one core per second) of a process. */
    static long[] cpuSplit(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
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
