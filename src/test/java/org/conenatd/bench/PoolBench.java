package org.conenatd.bench;

import org.conenatd.inet.Inet4;
import org.conenatd.it.Lab;

import java.io.BufferedWriter;
import java.io.IOException;
import java.net.DatagramSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The {@code pool} part of bench/run (kernel mode with {@code --pool} of 16 addresses,
 * 203.0.113.40-55 on the router's eth0). Over 300 lines: its four steps share one lab, its fill
 * and its restarts, and each step reports and plots its own figures, as FlowBench's parts do.
 * <ul>
 *   <li>startup: N mappings (UDP) written straight into the maps of the table a killed daemon
 *       left (nft -f, 50,000 elements per {@code add element}), then kill -9 and restart, 3 times
 *       per size: ready time (the daemon's "ready in X ms" and the wall time from spawn to its ready
 *       file), VmRSS at ready and 3 s later, bytes per mapping against 0 mappings. Mapping i:
 *       host h = i / 250 (LAN address 10.1.0.1 + h), its k = i % 250th port (LAN port 20000 + k);
 *       the host is on pool address 40 + h % 16 and its ports are 1024 + (h / 16) * 250 + k, so
 *       1,000,000 mappings are 62,500 per address on ports 1024-63523, leaving 2,012 free ports
 *       on each address (of --ports 1024-65535) for the alloc and inbound steps.</li>
 *   <li>alloc: FlowBench's alloc round (20,000 new LAN endpoints on 10 hosts 10.0.0.110-119,
 *       2,000 each, unpaced) with the largest size adopted, and with none present (a clean
 *       start), default logging; between repetitions with mappings present the daemon is killed
 *       and the round's out elements deleted (their in halves the restart drops as strays).</li>
 *   <li>inbound: new inbound flows to one mapped endpoint (the LAN receiver's mapping on its pool
 *       address) vs a static DNAT rule in a lab of its own, in the same run, with the largest size
 *       adopted.</li>
 *   <li>live: {@code --pool-live} LAN endpoints (20 hosts 10.0.0.130-149) each send one packet
 *       through the pool to one WAN sink, in chunks that the allocations catch up with; every
 *       mapping gets a live conntrack flow (the router's UDP timeout raised to 300 s in its
 *       namespace so the first flows outlive the run). The conntrack entries of every namespace
 *       of the machine the bench can see (the init namespace and the labs') are summed after
 *       every chunk; the part aborts before the sum could pass {@link #CONNTRACK_CAP}.</li>
 * </ul>
 */
final class PoolBench {
    static final String POOL = "203.0.113.40-203.0.113.55";
    static final int ADDRS = 16, FIRST_ADDR = 40, PER_HOST = 250, LAN_PORT0 = 20000, CHUNK = 50_000;
    static final int HOST0 = Inet4.parseAddr("10.1.0.1");
    static final long CONNTRACK_CAP = 220_000, CONNTRACK_MARGIN = 5_000;
    private static final int STATIC_PORT = 33333;
    private static final int SINK_PORT = 9100;

    private final int[] sizes;
    private final int[] rates;
    private final int liveN;
    private final String javaOpts;
    private final int repeat;
    private final java.util.Set<String> steps;
    private final Path out;
    private final Consumer<String> say;
    private final List<String> commands = new ArrayList<>();

    /** source: "maps" (the journal deleted: dumped from the maps), "journal" (its adoption line says so), "?" (--quiet: no line). */
    record Start(int mappings, int rep, String source, double wallMs, long selfMs, long readyMappings, long adopted, long dropped, double rssReady,
                 double rss3, double userS, double sysS) {}

    static final java.util.regex.Pattern READY_MAPPINGS = java.util.regex.Pattern.compile("ready in \\d+ ms: .*?, (\\d+) mappings");

    record InRow(String mode, int rate, int rep, long sent, long received, double seconds, double lastArrival, long queued) {
        double delivered() { return received / (rate == FlowBench.UNPACED ? Math.max(seconds, lastArrival) : seconds); }
        double sendRate() { return sent / seconds; }
        double lossPct() { return sent == 0 ? 0 : 100.0 * (sent - received) / sent; }
    }

    PoolBench(int[] sizes, int[] rates, int liveN, String javaOpts, int repeat, java.util.Set<String> steps, Path out, Consumer<String> say) {
        this.sizes = sizes.clone();
        java.util.Arrays.sort(this.sizes);
        this.rates = rates;
        this.liveN = liveN;
        this.javaOpts = javaOpts;
        this.repeat = repeat;
        this.steps = steps;
        this.out = out;
        this.say = say;
        for (int n : sizes) if (n > ADDRS * (64_512 - 2_000)) throw new IllegalArgumentException("--pool-sizes: at most " + ADDRS * 62_512);
    }

    private static String[] args(String... extra) {
        List<String> a = new ArrayList<>(List.of("--pool", POOL, "--ports", "1024-65535", "--stats-interval", "20"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    void run() throws Exception {
        List<Lab> labs = new ArrayList<>();
        try {
            Lab l = FlowBench.add(labs, new Lab("plain"));
            l.readySeconds = 600;
            if (javaOpts != null) l.daemonEnv("CONENATD_JAVA_OPTS", javaOpts);
            for (int i = 0; i < ADDRS; i++) sh(l, "ip", "addr", "add", "203.0.113." + (FIRST_ADDR + i) + "/32", "dev", "eth0");
            FlowBench.addLanAddresses(l);
            say.accept("");
            say.accept("pool (kernel mode, -i eth0 " + String.join(" ", args()) + "), 16 addresses on the router's eth0; JVM: bin/conenatd's defaults"
                    + (javaOpts == null ? "" : " + CONENATD_JAVA_OPTS=\"" + javaOpts + "\"") + "; lab " + l.prefix);
            int largest = sizes.length == 0 ? 0 : sizes[sizes.length - 1];
            boolean running = false;
            if (steps.contains("startup")) {
                startup(l);
                running = true; // with the largest size adopted
            }
            if (steps.contains("alloc")) {
                alloc(l, largest, running, labs);
                running = true;
            }
            if (steps.contains("inbound")) {
                Lab st = FlowBench.add(labs, new Lab("plain"));
                inbound(l, st, largest, running);
            }
            if (steps.contains("live")) live(l, labs);
            if (l.daemonProcess() != null) l.stopDaemon();
            FlowBench.flush(l);
        } finally {
            for (Lab x : labs) {
                if (x.daemonProcess() != null) x.killDaemon();
                try {
                    Files.deleteIfExists(journal(x)); // a killed daemon's; a clean stop deletes its own
                } catch (Exception e) {
                    System.out.println("pool: journal of " + x.rtr + ": " + e.getMessage());
                }
                x.close();
            }
        }
    }

    private static void sh(Lab l, String... cmd) throws IOException {
        Lab.Result r = l.exec(l.rtr, cmd);
        if (r.code() != 0) throw new IllegalStateException(String.join(" ", cmd) + ": " + r.out());
    }

    // ---- the maps, filled with nft ----------------------------------------------------------------

    static int lanAddr(int i) { return HOST0 + i / PER_HOST; }

    static int lanPort(int i) { return LAN_PORT0 + i % PER_HOST; }

    static String extAddr(int i) { return "203.0.113." + (FIRST_ADDR + (i / PER_HOST) % ADDRS); }

    static int extPort(int i) { return 1024 + (i / PER_HOST / ADDRS) * PER_HOST + i % PER_HOST; }

    /** Adds mappings [from, to) to out_udp and in_udp of the left table with nft -f; returns seconds. */
    private double fill(Lab l, int from, int to) throws Exception {
        if (to <= from) return 0;
        Path f = l.dir.resolve("fill-" + from + "-" + to + ".nft");
        try (BufferedWriter w = Files.newBufferedWriter(f)) {
            for (int lo = from; lo < to; lo += CHUNK) {
                int hi = Math.min(to, lo + CHUNK);
                for (String map : List.of("out_udp", "in_udp")) {
                    w.write("add element ip conenatd " + map + " { ");
                    for (int i = lo; i < hi; i++) {
                        if (i > lo) w.write(", ");
                        String lan = Inet4.format(lanAddr(i)) + " . " + lanPort(i), ext = extAddr(i) + " . " + extPort(i);
                        w.write(map.equals("out_udp") ? lan + " : " + ext : ext + " : " + lan);
                    }
                    w.write(" }\n");
                }
            }
        }
        long t0 = System.nanoTime();
        Lab.Result r = Lab.run(List.of("ip", "netns", "exec", l.rtr, "nft", "-f", f.toString()), 900);
        double s = (System.nanoTime() - t0) / 1e9;
        if (r.code() != 0) throw new IllegalStateException("nft -f " + f + ": " + r.out());
        commands.add(String.format(Locale.ROOT, "ip netns exec %s nft -f %s  # mappings %d-%d, %d elements per add element, %.1f s", l.rtr, f, from, to - 1, CHUNK, s));
        Files.delete(f);
        return s;
    }

    // ---- startup: kill -9 and restart with N mappings in the maps -----------------------------------

    /** The daemon's write-ahead mapping journal for the router's namespace: /run/conenatd/kernel-<netns inode>.journal. */
    static Path journal(Lab l) throws IOException {
        Lab.Result r = Lab.run(List.of("stat", "-L", "-c", "%i", "/run/netns/" + l.rtr));
        if (r.code() != 0) throw new IllegalStateException("stat /run/netns/" + l.rtr + ": " + r.out());
        return Path.of("/run/conenatd", "kernel-" + r.out().trim() + ".journal");
    }

    /** Deletes the journal (the daemon dead): the next start dumps the maps, seeing elements nft -f wrote. */
    private void deleteJournal(Lab l) throws IOException {
        Path j = journal(l);
        boolean had = Files.deleteIfExists(j);
        commands.add("rm " + j + "  # " + (had ? "deleted" : "was absent") + ": the next start adopts from the maps");
    }

    private Start start(Lab l, int n, int rep, String... extra) throws Exception {
        return startAs(l, n, rep, null, extra);
    }

    /** expect: "maps" or "journal" (checked against the adoption line when there is one), or null. */
    private Start startAs(Lab l, int n, int rep, String expect, String... extra) throws Exception {
        Files.deleteIfExists(l.dir.resolve("stats"));
        long t0 = System.nanoTime();
        l.startKernelDaemon(args(extra));
        double wall = (System.nanoTime() - t0) / 1e6;
        long pid = FlowBench.javaPid(l);
        double rss = FlowBench.rssMiB(pid);
        long[] cpu = FlowBench.cpuSplit(pid);
        String log = l.daemonLog();
        long self = FlowBench.find(FlowBench.READY, log), adopted = FlowBench.find(FlowBench.ADOPTED, log);
        long readyMappings = FlowBench.find(READY_MAPPINGS, log);
        long dropped = FlowBench.find(java.util.regex.Pattern.compile("dropped (\\d+) inconsistent"), log);
        String source = adopted < 0 ? (n == 0 ? "none" : "?") : log.contains("(as its journal ") ? "journal" : "maps";
        if (adopted < 0) adopted = FlowBench.stats(l).getOrDefault("adopted", -1L); // --quiet: no log line
        Thread.sleep(3000);
        double rss3 = FlowBench.rssMiB(pid);
        Start s = new Start(n, rep, source, wall, self, readyMappings, Math.max(0, adopted), Math.max(0, dropped), rss, rss3, cpu[0] / 100.0, cpu[1] / 100.0);
        System.out.printf(Locale.ROOT, "pool startup %d #%d (%s): ready after %.0f ms (self %d ms, ready line %d mappings), adopted %d, dropped %d, RSS %.1f / %.1f MiB, cpu usr %.1f s sys %.1f s%n",
                n, rep, source, wall, self, readyMappings, s.adopted(), s.dropped(), rss, rss3, s.userS(), s.sysS());
        if (s.adopted() != n) System.out.println("pool startup: adopted " + s.adopted() + ", expected " + n + "\n" + log);
        if (expect != null && n > 0 && !source.equals("?") && !source.equals(expect)) {
            System.out.println("pool startup: adopted from " + source + ", expected " + expect + "\n" + log);
        }
        for (String line : log.split("\n")) if (line.contains("[!]")) System.out.println("pool startup: daemon warned: " + line);
        return s;
    }

    private void startup(Lab l) throws Exception {
        List<Start> rows = new ArrayList<>(), first = new ArrayList<>();
        FlowBench.restartKernel(l, args()); // a fresh table
        l.killDaemon();
        int have = 0;
        List<Integer> all = new ArrayList<>(List.of(0));
        for (int n : sizes) all.add(n);
        List<double[]> fills = new ArrayList<>();
        for (int n : all) {
            if (l.daemonProcess() != null) l.killDaemon();
            double fs = fill(l, have, n);
            if (n > have) fills.add(new double[] {have, n, fs});
            have = n;
            // the elements nft -f wrote are not in the journal: without it the first start dumps the maps
            deleteJournal(l);
            first.add(startAs(l, n, -1, "maps"));
            for (int rep = 0; rep < repeat; rep++) {
                l.killDaemon();
                rows.add(startAs(l, n, rep, "journal")); // replays the journal the previous start wrote
            }
        }
        say.accept("");
        say.accept(String.format(Locale.ROOT, "pool startup: N UDP mappings in the maps (nft -f, %d elements per add element); the journal deleted after the fill, so the first start "
                + "adopts from the maps (a dump: \"first adoption\"); then %d times kill -9 and restart, each replaying the journal the previous instance wrote; "
                + "wall = spawn of bin/conenatd to its ready file; self = the daemon's \"ready in X ms\"; ready-line = the N of its \"..., N mappings\"; "
                + "src = what its adoption line says (journal: \"(as its journal ... lists them)\"); RSS = VmRSS of the java process at ready and 3 s after; "
                + "cpu = the daemon's utime/stime at ready (map dumps are kernel time)", CHUNK, repeat));
        for (double[] f : fills) say.accept(String.format(Locale.ROOT, "  fill of mappings %.0f-%.0f: %.1f s (%.0f elements/s)", f[0], f[1] - 1, f[2], 2 * (f[1] - f[0]) / f[2]));
        say.accept(String.format(Locale.ROOT, "%9s %3s %-7s %9s %9s %10s %9s %8s %10s %10s %8s %8s", "mappings", "rep", "src", "wall ms", "self ms", "ready-line", "adopted", "dropped",
                "RSS MiB", "RSS+3s MiB", "usr s", "sys s"));
        StringBuilder csv = new StringBuilder("mappings,rep,source,wall_ms,self_ms,ready_line_mappings,adopted,dropped,rss_ready_mib,rss_3s_mib,user_s,sys_s\n");
        List<Start> both = new ArrayList<>();
        for (int n : all) {
            for (Start s : first) if (s.mappings() == n) both.add(s);
            for (Start s : rows) if (s.mappings() == n) both.add(s);
        }
        for (Start s : both) {
            say.accept(String.format(Locale.ROOT, "%9d %3s %-7s %9.0f %9d %10d %9d %8d %10.1f %10.1f %8.2f %8.2f", s.mappings(), s.rep() < 0 ? "1st" : String.valueOf(s.rep()),
                    s.source(), s.wallMs(), s.selfMs(), s.readyMappings(), s.adopted(), s.dropped(), s.rssReady(), s.rss3(), s.userS(), s.sysS()));
            csv.append(String.format(Locale.ROOT, "%d,%d,%s,%.0f,%d,%d,%d,%d,%.1f,%.1f,%.2f,%.2f%n", s.mappings(), s.rep(), s.source(), s.wallMs(), s.selfMs(), s.readyMappings(),
                    s.adopted(), s.dropped(), s.rssReady(), s.rss3(), s.userS(), s.sysS()));
        }
        double base = med(rows, 0, Start::rss3);
        say.accept(String.format(Locale.ROOT, "restart after kill -9 (journal), median of %d; first adoption (maps) once", repeat));
        say.accept(String.format(Locale.ROOT, "%9s %9s %9s %9s %10s %10s %12s %13s  goals: ready <= 5000 ms, RSS <= 300 MiB", "mappings", "wall ms", "self ms", "adopted",
                "RSS MiB", "RSS+3s MiB", "B/mapping", "1st (maps) ms"));
        List<double[]> med = new ArrayList<>();
        for (int n : all) {
            double wall = med(rows, n, Start::wallMs), self = med(rows, n, s -> s.selfMs()), rss = med(rows, n, Start::rssReady), rss3 = med(rows, n, Start::rss3);
            String bpm = n == 0 ? "-" : String.format(Locale.ROOT, "%.0f", (rss3 - base) * 1024 * 1024 / n);
            double firstMs = med(first, n, Start::wallMs);
            boolean allJournal = n == 0 || rows.stream().filter(s -> s.mappings() == n).allMatch(s -> s.source().equals("journal"));
            say.accept(String.format(Locale.ROOT, "%9d %9.0f %9.0f %9.0f %10.1f %10.1f %12s %13.0f%s", n, wall, self, med(rows, n, s -> s.adopted()), rss, rss3, bpm, firstMs,
                    n == 0 ? "" : (wall <= 5000 ? "" : "  ready > 5 s") + (Math.max(rss, rss3) <= 300 ? "" : "  RSS > 300 MiB") + (allJournal ? "" : "  NOT ALL FROM THE JOURNAL")));
            med.add(new double[] {n, wall, self, rss, rss3, firstMs});
        }
        say.accept("  B/mapping = (median RSS+3s at N - median RSS+3s at 0) / N (journal restarts)");
        Files.writeString(out.resolve("pool-startup.csv"), csv);
        plot(med, out.resolve("pool-startup.png"));
        say.accept("  wrote pool-startup.csv, pool-startup.png");
    }

    private static double med(List<Start> rows, int n, java.util.function.ToDoubleFunction<Start> f) {
        return FlowBench.median(rows.stream().filter(s -> s.mappings() == n).mapToDouble(f).toArray());
    }

    /** Ready time (s) and RSS (MiB) against mappings (log axis), two panels, as a PNG. */
    static void plot(List<double[]> med, Path png) throws IOException {
        List<double[]> pts = med.stream().filter(p -> p[0] > 0).toList();
        if (pts.isEmpty()) return;
        int w = 1000, h = 480, top = 60, bottom = 70;
        Canvas c = Canvas.blank(w, h);
        java.awt.Graphics2D g = c.g();
        g.setFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.BOLD, 16));
        g.drawString("conenatd --pool (16 addresses): kill -9 restart from the journal, N mappings (medians)", 40, 30);
        String[] titles = {"time to ready (s): wall (spawn to ready file) and self-reported", "RSS (MiB): at ready and 3 s after"};
        double minX = Math.log10(pts.getFirst()[0]), maxX = Math.log10(pts.getLast()[0]);
        if (maxX - minX < 1) { minX -= 0.5; maxX += 0.5; }
        for (int panel = 0; panel < 2; panel++) {
            int l = 80 + panel * 490, r = l + 400;
            double maxY = 0;
            for (double[] p : pts) maxY = Math.max(maxY, panel == 0 ? Math.max(p[1], p[2]) / 1000 : Math.max(p[3], p[4]));
            double goal = panel == 0 ? 5 : 300;
            maxY = Math.max(maxY, goal) * 1.1;
            g.setFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.PLAIN, 12));
            g.setColor(java.awt.Color.BLACK);
            g.drawString(titles[panel], l - 40, top - 10);
            g.drawLine(l, h - bottom, r, h - bottom);
            g.drawLine(l, top, l, h - bottom);
            for (int i = 0; i <= 5; i++) {
                int y = h - bottom - (int) ((h - top - bottom) * i / 5.0);
                g.setColor(java.awt.Color.LIGHT_GRAY);
                g.drawLine(l, y, r, y);
                g.setColor(java.awt.Color.BLACK);
                g.drawString(String.format(Locale.ROOT, maxY < 20 ? "%.1f" : "%.0f", maxY * i / 5), l - 40, y + 4);
            }
            double fMinX = minX, fMaxX = maxX, fMaxY = maxY;
            java.util.function.DoubleUnaryOperator xs = v -> l + (Math.log10(v) - fMinX) / (fMaxX - fMinX) * (r - l);
            java.util.function.DoubleUnaryOperator ys = v -> h - bottom - v / fMaxY * (h - top - bottom);
            for (double[] p : pts) {
                int x = (int) xs.applyAsDouble(p[0]);
                g.drawString(p[0] >= 1e6 ? String.format(Locale.ROOT, "%.0fM", p[0] / 1e6) : String.format(Locale.ROOT, "%.0fk", p[0] / 1e3), x - 12, h - bottom + 18);
            }
            g.drawString("mappings (log scale)", (l + r) / 2 - 55, h - 30);
            g.setColor(java.awt.Color.RED);
            g.setStroke(new java.awt.BasicStroke(1, java.awt.BasicStroke.CAP_BUTT, java.awt.BasicStroke.JOIN_MITER, 10, new float[] {6, 6}, 0));
            int gy = (int) ys.applyAsDouble(goal);
            g.drawLine(l, gy, r, gy);
            g.drawString("goal " + (panel == 0 ? "5 s" : "300 MiB"), r - 80, gy - 4);
            g.setStroke(new java.awt.BasicStroke(2.5f));
            java.awt.Color[] colors = {new java.awt.Color(0, 90, 200), new java.awt.Color(0, 150, 60)};
            String[] names = panel == 0 ? new String[] {"wall", "self"} : new String[] {"at ready", "3 s after"};
            for (int s = 0; s < 2; s++) {
                int col = panel == 0 ? 1 + s : 3 + s;
                double div = panel == 0 ? 1000 : 1;
                g.setColor(colors[s]);
                for (int i = 0; i < pts.size(); i++) {
                    int x = (int) xs.applyAsDouble(pts.get(i)[0]), y = (int) ys.applyAsDouble(pts.get(i)[col] / div);
                    g.fillOval(x - 4, y - 4, 8, 8);
                    if (i > 0) g.drawLine((int) xs.applyAsDouble(pts.get(i - 1)[0]), (int) ys.applyAsDouble(pts.get(i - 1)[col] / div), x, y);
                }
                g.drawString(names[s], l + 10, top + 15 + 16 * s);
            }
            g.setStroke(new java.awt.BasicStroke(1));
        }
        c.writePng(png);
    }

    // ---- alloc with the largest size adopted, and with none ---------------------------------------

    private void alloc(Lab l, int n, boolean running, List<Lab> labs) throws Exception {
        List<FlowBench.AllocRow> rows = new ArrayList<>();
        List<String> restarts = new ArrayList<>();
        int endpoints = 20_000;
        if (!running || l.daemonProcess() == null) { // a table with exactly the n mappings, and a journal of them
            FlowBench.restartKernel(l, args());
            l.killDaemon();
            fill(l, 0, n);
            deleteJournal(l);
            startAs(l, n, -1, "maps");
        }
        Path journal = journal(l);
        try (RawUdp lan = new RawUdp(l.lan);
             UdpSink a = new UdpSink(l.wan, FlowBench.ALLOC_DST_A, FlowBench.ALLOC_PORT);
             UdpSink b = new UdpSink(l.wan, FlowBench.ALLOC_DST_B, FlowBench.ALLOC_PORT)) {
            // with n present: each round on a restart after kill -9 that replays the journal of exactly
            // the n mappings; after a round the daemon is killed, the mappings the round added (the
            // journal's records past the mark) deleted from both maps with nft, the journal cut at the mark
            long mark = Files.size(journal);
            boolean dirty = false;
            for (int rep = 0; rep < repeat; rep++) {
                for (String v : List.of("quiet", "logging")) {
                    l.killDaemon();
                    if (dirty) undoRound(l, journal, mark);
                    FlowBench.flush(l);
                    Start s = v.equals("quiet") ? startAs(l, n, -1, "journal", "--quiet") : startAs(l, n, -1, "journal");
                    restarts.add(String.format(Locale.ROOT, "  restart before %s %d #%d: ready after %.0f ms (self %d ms), source %s, adopted %d, ready line %d mappings, RSS %.1f MiB",
                            v, n, rep, s.wallMs(), s.selfMs(), s.source(), s.adopted(), s.readyMappings(), s.rss3()));
                    if (s.adopted() != n) throw new IllegalStateException("alloc: adopted " + s.adopted() + " of " + n);
                    mark = Files.size(journal);
                    if (mark != Journal_HEADER + (long) Journal_RECORD * n) System.out.println("pool alloc: journal of " + mark + " bytes after the start, not 32 + 16 x " + n);
                    FlowBench.flush(l);
                    rows.add(FlowBench.allocRound(l, lan, a, b, endpoints, v + " " + n, rep));
                    dirty = true;
                }
            }
            // leave exactly the n mappings for the inbound step, on a journal restart (default logging)
            l.killDaemon();
            if (dirty) undoRound(l, journal, mark);
            FlowBench.flush(l);
            Start s = startAs(l, n, -1, "journal");
            restarts.add(String.format(Locale.ROOT, "  restart after the rounds: ready after %.0f ms (self %d ms), source %s, adopted %d, ready line %d mappings",
                    s.wallMs(), s.selfMs(), s.source(), s.adopted(), s.readyMappings()));
        }
        // none present: a clean start (SIGTERM removes the table), in a lab of its own (the n mappings stay)
        Lab nl = FlowBench.add(labs, new Lab("plain"));
        for (int i = 0; i < ADDRS; i++) sh(nl, "ip", "addr", "add", "203.0.113." + (FIRST_ADDR + i) + "/32", "dev", "eth0");
        FlowBench.addLanAddresses(nl);
        if (javaOpts != null) nl.daemonEnv("CONENATD_JAVA_OPTS", javaOpts);
        try (RawUdp lan = new RawUdp(nl.lan);
             UdpSink a = new UdpSink(nl.wan, FlowBench.ALLOC_DST_A, FlowBench.ALLOC_PORT);
             UdpSink b = new UdpSink(nl.wan, FlowBench.ALLOC_DST_B, FlowBench.ALLOC_PORT)) {
            for (int rep = 0; rep < repeat; rep++) {
                FlowBench.restartKernel(nl, args("--quiet"));
                rows.add(FlowBench.allocRound(nl, lan, a, b, endpoints, "quiet none", rep));
                FlowBench.restartKernel(nl, args());
                rows.add(FlowBench.allocRound(nl, lan, a, b, endpoints, "logging none", rep));
            }
            nl.stopDaemon();
            FlowBench.flush(nl);
        }
        say.accept("");
        say.accept("pool alloc: the restarts with " + n + " mappings (kill -9, the previous round's mappings deleted, the journal cut back):");
        for (String r : restarts) say.accept(r);
        say.accept("");
        say.accept(String.format(Locale.ROOT, "pool alloc (FlowBench's alloc round; quiet = --quiet, logging = one line per allocation): %d new LAN endpoints (10.0.0.110-119, 2,000 each) unpaced from a raw "
                + "sender to one WAN sink, with %d mappings adopted (each address has 2,012 free ports; every round on its own kill -9 restart replaying the journal of exactly the %d mappings; "
                + "the round's mappings then deleted from out_udp and in_udp with nft -f, as the journal's records past the restart's end list them, and the journal cut back) "
                + "and with none (a clean start, in a second lab); then a new flow of each, now known, to another WAN address", endpoints, n, n));
        say.accept(String.format(Locale.ROOT, "%-16s %3s %10s %12s %11s %6s %9s %9s %7s %6s %5s %13s %6s", "present", "rep", "sent/s", "allocs/s",
                "allocations", "lost", "queued", "q dropped", "exhaust", "nftf", "cpu%", "known deliv", "kn q"));
        StringBuilder csv = new StringBuilder("present,rep,endpoints,send_seconds,alloc_seconds,allocations_per_s,allocations,received,lost,queued,queue_dropped,"
                + "user_dropped,pool_exhausted,nft_failures,known_received,known_queued,daemon_cpu_pct\n");
        for (FlowBench.AllocRow r : rows) {
            say.accept(String.format(Locale.ROOT, "%-16s %3d %10.0f %12.0f %11d %6d %9d %9d %7d %6d %5.0f %13s %6d", r.variant(), r.rep(), r.sendRate(), r.allocRate(),
                    r.allocations(), r.lost(), r.queued(), r.queueDropped() + r.userDropped(), r.poolExhausted(), r.nftFailures(), r.daemonCpuPct(),
                    r.knownReceived() + "/" + r.knownSent(), r.knownQueued()));
            csv.append(String.format(Locale.ROOT, "%s,%d,%d,%.4f,%.4f,%.0f,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%.1f%n", r.variant(), r.rep(), r.endpoints(), r.sendSeconds(),
                    r.allocSeconds(), r.allocRate(), r.allocations(), r.received(), r.lost(), r.queued(), r.queueDropped(), r.userDropped(), r.poolExhausted(),
                    r.nftFailures(), r.knownReceived(), r.knownQueued(), r.daemonCpuPct()));
        }
        for (String v : List.of("quiet " + n, "quiet none", "logging " + n, "logging none")) {
            List<FlowBench.AllocRow> rs = rows.stream().filter(r -> r.variant().equals(v)).toList();
            if (rs.isEmpty()) continue;
            double rate = FlowBench.median(rs.stream().mapToDouble(FlowBench.AllocRow::allocRate).toArray());
            say.accept(String.format(Locale.ROOT, "pool alloc, %s (median of %d): %.0f allocations/s (runs: %s), %.0f lost%s", v, rs.size(), rate,
                    String.join(", ", rs.stream().map(r -> String.format(Locale.ROOT, "%.0f", r.allocRate())).toList()),
                    FlowBench.median(rs.stream().mapToDouble(FlowBench.AllocRow::lost).toArray()), rate >= 20_000 ? "" : "  (goal >= 20,000/s)"));
        }
        Files.writeString(out.resolve("pool-alloc.csv"), csv);
    }

    static final int Journal_HEADER = 32, Journal_RECORD = 16;

    /**
     * Undoes an alloc round on a killed daemon's table: the journal's records past {@code mark} (kind,
     * protocol, check, external = pool index << 16 | port, endpoint = address << 16 | port; little
     * endian) name the mappings the round added; their out and in elements are deleted with nft -f
     * and the journal is cut back to {@code mark}, so the next start replays exactly the mappings before.
     */
    private void undoRound(Lab l, Path journal, long mark) throws Exception {
        java.util.LinkedHashMap<Long, Integer> added = new java.util.LinkedHashMap<>(); // endpoint -> external
        int removes = 0, other = 0;
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(journal, java.nio.file.StandardOpenOption.READ)) {
            java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate((int) (ch.size() - mark)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            ch.position(mark);
            while (bb.hasRemaining() && ch.read(bb) > 0) { }
            bb.flip();
            while (bb.remaining() >= Journal_RECORD) {
                byte kind = bb.get(), proto = bb.get();
                bb.getShort();
                int x = bb.getInt();
                long ep = bb.getLong();
                if (kind == 1) added.put(ep, x);
                else if (kind == 2) {
                    removes++;
                    added.remove(ep);
                } else other++;
            }
        }
        if (removes + other > 0) System.out.println("pool alloc: the journal's tail also held " + removes + " release(s) and " + other + " other record(s)");
        if (!added.isEmpty()) {
            Path f = l.dir.resolve("alloc-undo.nft");
            StringBuilder out = new StringBuilder("delete element ip conenatd out_udp { "), in = new StringBuilder("delete element ip conenatd in_udp { ");
            boolean firstEl = true;
            for (var e : added.entrySet()) {
                long ep = e.getKey();
                int x = e.getValue();
                if (!firstEl) {
                    out.append(", ");
                    in.append(", ");
                }
                firstEl = false;
                out.append(Inet4.format((int) (ep >>> 16))).append(" . ").append(ep & 0xffff);
                in.append("203.0.113.").append(FIRST_ADDR + (x >>> 16)).append(" . ").append(x & 0xffff);
            }
            Files.writeString(f, out.append(" }\n").append(in).append(" }\n"));
            Lab.Result r = Lab.run(List.of("ip", "netns", "exec", l.rtr, "nft", "-f", f.toString()), 300);
            if (r.code() != 0) throw new IllegalStateException("nft -f " + f + ": " + r.out());
        }
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(journal, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(mark);
        }
        System.out.println("pool alloc: undid " + added.size() + " mappings of the round; journal cut to " + mark + " bytes");
    }

    // ---- inbound with the largest size adopted vs a static DNAT rule ---------------------------------

    private void inbound(Lab l, Lab st, int n, boolean running) throws Exception {
        if (!running || l.daemonProcess() == null) {
            // the maps hold n mappings only if nothing removed the table: fill again on a fresh one
            FlowBench.restartKernel(l, args());
            l.killDaemon();
            fill(l, 0, n);
            deleteJournal(l);
            startAs(l, n, -1, "maps");
        }
        sh(st, "iptables", "-t", "nat", "-I", "PREROUTING", "1", "-i", "eth0", "-p", "udp", "--dport",
                String.valueOf(STATIC_PORT), "-j", "DNAT", "--to-destination", Lab.LAN1 + ":" + FlowBench.LAN_PORT);
        long present = FlowBench.stats(l).get("ports_allocated");
        List<InRow> rows = new ArrayList<>();
        int staticDst = Inet4.parseAddr(Lab.NAT_IP);
        try (UdpSink ks = new UdpSink(l.lan, FlowBench.LAN1, FlowBench.LAN_PORT); RawUdp kw = new RawUdp(l.wan);
             UdpSink ss = new UdpSink(st.lan, FlowBench.LAN1, FlowBench.LAN_PORT); RawUdp sw = new RawUdp(st.wan)) {
            DatagramSocket probe = l.udp(l.wan, "203.0.113.10", 5000);
            int[] mapped = new int[2];
            Runnable[] prep = new Runnable[1];
            for (int rep = -1; rep < repeat; rep++) {
                for (int rate : rep < 0 ? new int[] {20_000} : rates) {
                    for (String mode : List.of("static-dnat", "kernel-pool")) {
                        boolean k = mode.equals("kernel-pool");
                        FlowBench.flush(l); // both: the sum of the labs' entries stays one step's
                        FlowBench.flush(st);
                        int dst = staticDst, dport = STATIC_PORT;
                        if (k) {
                            ks.send(Inet4.parseAddr("203.0.113.10"), 5000);
                            Lab.Received r = Lab.receive(probe, 3000);
                            if (r == null) throw new IllegalStateException("pool inbound: no outbound packet reached the WAN\n" + l.daemonLog());
                            dst = Inet4.parseAddr(r.addr());
                            dport = r.port();
                            if (mapped[0] != 0 && (mapped[0] != dst || mapped[1] != dport)) System.out.println("pool inbound: the mapping moved to " + r.from());
                            mapped[0] = dst;
                            mapped[1] = dport;
                            Thread.sleep(300);
                        }
                        InRow row = step(mode, rate, rep, k ? kw : sw, k ? ks : ss, dst, dport, k ? l : null);
                        if (rep >= 0) rows.add(row);
                    }
                }
            }
            say.accept("");
            say.accept(String.format(Locale.ROOT, "pool inbound: new inbound flows (every packet a new source port, 20 WAN sources) to one mapped endpoint, the LAN receiver "
                    + "10.0.0.101:40000 mapped to %s:%d, with %d ports allocated (the mappings adopted; the alloc step's rounds undone), vs a static DNAT rule "
                    + "(203.0.113.1:%d in a plain lab of its own) in the same run; delivered/s = received over the send window (unpaced: to the last arrival); median of %d",
                    Inet4.format(mapped[0]), mapped[1], present, STATIC_PORT, repeat));
            say.accept(String.format(Locale.ROOT, "%-12s %9s %3s %9s %9s %7s %11s %8s", "mode", "offered/s", "rep", "sent", "received", "loss%", "delivered/s", "queued"));
            StringBuilder csv = new StringBuilder("mode,offered_per_s,rep,sent,received,send_seconds,last_arrival_seconds,loss_pct,delivered_per_s,queued\n");
            for (InRow r : rows) {
                say.accept(String.format(Locale.ROOT, "%-12s %9s %3d %9d %9d %7.2f %11.0f %8s", r.mode(), FlowBench.rateLabel(r.rate()), r.rep(), r.sent(), r.received(),
                        r.lossPct(), r.delivered(), r.queued() < 0 ? "-" : Long.toString(r.queued())));
                csv.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%d,%.4f,%.4f,%.3f,%.0f,%d%n", r.mode(), FlowBench.rateLabel(r.rate()), r.rep(), r.sent(), r.received(),
                        r.seconds(), r.lastArrival(), r.lossPct(), r.delivered(), r.queued()));
            }
            say.accept(String.format(Locale.ROOT, "%-9s %-12s %11s %9s %10s %7s %8s", "offered/s", "mode", "delivered/s", "sent/s", "vs static", "loss%", "queued"));
            for (int rate : rates) {
                double ceiling = FlowBench.median(rows.stream().filter(r -> r.rate() == rate && r.mode().equals("static-dnat")).mapToDouble(InRow::delivered).toArray());
                for (String mode : List.of("static-dnat", "kernel-pool")) {
                    List<InRow> rs = rows.stream().filter(r -> r.rate() == rate && r.mode().equals(mode)).toList();
                    double d = FlowBench.median(rs.stream().mapToDouble(InRow::delivered).toArray());
                    say.accept(String.format(Locale.ROOT, "%-9s %-12s %11.0f %9.0f %10.3f %7.2f %8s%s", FlowBench.rateLabel(rate), mode, d,
                            FlowBench.median(rs.stream().mapToDouble(InRow::sendRate).toArray()), d / ceiling,
                            FlowBench.median(rs.stream().mapToDouble(InRow::lossPct).toArray()),
                            mode.equals("static-dnat") ? "-" : String.format(Locale.ROOT, "%.0f", FlowBench.median(rs.stream().mapToDouble(InRow::queued).toArray())),
                            mode.equals("static-dnat") ? "" : (d / ceiling >= 0.9 ? "" : "  (goal >= 0.9)")));
                }
            }
            Files.writeString(out.resolve("pool-inbound.csv"), csv);
        }
    }

    private InRow step(String mode, int rate, int rep, RawUdp wan, UdpSink sink, int dst, int dport, Lab queueLab) throws Exception {
        int n = rate == FlowBench.UNPACED ? 100_000 : rate;
        sink.reset(n);
        FlowBench.QueueStats q0 = queueLab == null ? FlowBench.QueueStats.NONE : FlowBench.queueStats(queueLab, FlowBench.KERNEL_QUEUE);
        long t0 = System.nanoTime(), sent = 0;
        double interval = rate == FlowBench.UNPACED ? 0 : 1e9 / rate;
        for (int i = 0; i < n; i++) {
            if (rate != FlowBench.UNPACED) FlowBench.pace(t0 + (long) (i * interval));
            if (wan.send(FlowBench.WAN_BASE + (i / 64_000) % 20, 1024 + i % 64_000, dst, dport, i)) sent++;
        }
        long t1 = System.nanoTime();
        Thread.sleep(1000);
        FlowBench.QueueStats q1 = queueLab == null ? FlowBench.QueueStats.NONE : FlowBench.queueStats(queueLab, FlowBench.KERNEL_QUEUE);
        InRow r = new InRow(mode, rate, rep, sent, sink.received(), (t1 - t0) / 1e9, sink.lastArrival() == 0 ? 0 : (sink.lastArrival() - t0) / 1e9,
                q0.idSequence() < 0 ? -1 : q1.idSequence() - q0.idSequence());
        System.out.printf(Locale.ROOT, "pool inbound %s %s #%d: %d/%d delivered (%.2f%% loss), %.0f/s, queued %d%n", mode, FlowBench.rateLabel(rate), rep,
                r.received(), sent, r.lossPct(), r.delivered(), r.queued());
        return r;
    }

    // ---- live: N mappings, each with a live conntrack flow ----------------------------------------------

    /** Conntrack entries of the init namespace and of every namespace of the labs (the table is one for the machine). */
    private static long[] conntrack(List<Lab> labs) throws IOException {
        long init = Long.parseLong(Lab.run(List.of("cat", "/proc/sys/net/netfilter/nf_conntrack_count")).out().trim());
        long sum = init, rtr = 0;
        // every named namespace of the machine, not only ours: other labs may run beside this one
        for (String line : Lab.run(List.of("ip", "netns", "list")).out().split("\n")) {
            String ns = line.trim().split("\\s+")[0];
            if (ns.isEmpty()) continue;
            Lab.Result r = Lab.run(List.of("ip", "netns", "exec", ns, "cat", "/proc/sys/net/netfilter/nf_conntrack_count"));
            long v = 0;
            try {
                v = r.code() == 0 ? Long.parseLong(r.out().trim()) : 0;
            } catch (NumberFormatException e) {
                // gone meanwhile
            }
            sum += v;
            if (ns.equals(labs.getFirst().rtr)) rtr = v;
        }
        return new long[] {sum, init, rtr};
    }

    static int liveAddr(int i) { return Inet4.parseAddr("10.0.0.130") + i % 20; }

    static int livePort(int i) { return 1024 + (int) ((i / 20 * 7919L) % 64_000); }

    private void live(Lab l, List<Lab> labs) throws Exception {
        int n = liveN;
        if (l.daemonProcess() != null) l.stopDaemon();
        for (Lab x : labs) FlowBench.flush(x); // the static lab's flows of the inbound step too
        long[] c0 = conntrack(labs);
        long max = Long.parseLong(Lab.run(List.of("cat", "/proc/sys/net/netfilter/nf_conntrack_max")).out().trim());
        say.accept("");
        if (c0[0] + n + CONNTRACK_MARGIN > CONNTRACK_CAP) {
            say.accept(String.format(Locale.ROOT, "pool live: ABORTED before starting: %d conntrack entries already (init namespace %d), %d more would pass %d",
                    c0[0], c0[1], n, CONNTRACK_CAP));
            return;
        }
        for (int h = 130; h < 150; h++) l.exec(l.lan, "ip", "addr", "add", "10.0.0." + h + "/24", "dev", "eth0");
        sh(l, "sysctl", "-q", "-w", "net.netfilter.nf_conntrack_udp_timeout=300");
        Files.deleteIfExists(l.dir.resolve("stats"));
        l.startKernelDaemon(args("--quiet"));
        long pid = FlowBench.javaPid(l);
        double rss0 = FlowBench.rssMiB(pid);
        long maxSeen = c0[0], maxRtr = c0[2];
        boolean aborted = false;
        int sink = Inet4.parseAddr("203.0.113.10");
        int rounds = 0;
        long t0 = System.nanoTime();
        double allocDone = -1;
        try (RawUdp lan = new RawUdp(l.lan); UdpSink s = new UdpSink(l.wan, sink, SINK_PORT)) {
            s.reset(n);
            int chunk = 4000;
            outer:
            for (int round = 0; round < 4; round++) {
                rounds = round + 1;
                for (int from = 0; from < n; from += chunk) {
                    int to = Math.min(n, from + chunk);
                    long[] c = conntrack(labs);
                    maxSeen = Math.max(maxSeen, c[0]);
                    maxRtr = Math.max(maxRtr, c[2]);
                    // a chunk adds at most `chunk` entries: stop before the sum could pass the cap
                    if (c[0] + chunk + CONNTRACK_MARGIN > CONNTRACK_CAP) {
                        aborted = true;
                        System.out.println("pool live: conntrack at " + c[0] + ", stopping");
                        break outer;
                    }
                    for (int i = from; i < to; i++) lan.send(liveAddr(i), livePort(i), sink, SINK_PORT, i);
                    if (round == 0) {
                        long deadline = System.nanoTime() + 5_000_000_000L;
                        while (FlowBench.stats(l).get("allocations") < to && System.nanoTime() < deadline) Thread.sleep(5);
                    }
                }
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (FlowBench.stats(l).get("allocations") < n && System.nanoTime() < deadline) Thread.sleep(20);
                if (FlowBench.stats(l).get("allocations") >= n) {
                    allocDone = (System.nanoTime() - t0) / 1e9;
                    break;
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            // conntrack holds the flows once their packets left; a last look after they settle
            long ctAtEnd = 0;
            double flowsDone = -1;
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (System.nanoTime() < deadline) {
                long[] c = conntrack(labs);
                maxSeen = Math.max(maxSeen, c[0]);
                maxRtr = Math.max(maxRtr, c[2]);
                ctAtEnd = c[2];
                if (flowsDone < 0 && c[2] >= n) flowsDone = (System.nanoTime() - t0) / 1e9;
                if (c[2] >= n) break;
                Thread.sleep(100);
            }
            Map<String, Long> st = FlowBench.stats(l);
            double rss = FlowBench.rssMiB(pid);
            Thread.sleep(3000);
            double rss3 = FlowBench.rssMiB(pid);
            long[] c = conntrack(labs);
            maxSeen = Math.max(maxSeen, c[0]);
            maxRtr = Math.max(maxRtr, c[2]);
            say.accept(String.format(Locale.ROOT, "pool live: %d LAN endpoints (20 hosts 10.0.0.130-149, ports spread) each send one UDP packet through the pool to one WAN sink "
                    + "203.0.113.10:%d, in chunks of %d, each once the allocations caught up (%d round(s); a packet beyond the full queue is dropped and resent in the next round); "
                    + "daemon --quiet; router UDP conntrack timeout 300 s; nf_conntrack_max %d; conntrack summed over the init namespace and every named namespace", n, SINK_PORT, chunk, rounds, max));
            say.accept(String.format(Locale.ROOT, "  conntrack before: %d in all (init namespace %d); cap kept: %d%s", c0[0], c0[1], CONNTRACK_CAP, aborted ? "; ABORTED at the cap" : ""));
            say.accept(String.format(Locale.ROOT, "  allocations %d (pool exhausted %d, nft failures %d), ports_allocated %d, sink received %d; all allocated after %s s, "
                            + "%d conntrack flows in the router after %s s (rounds took %.1f s)",
                    st.get("allocations"), st.get("pool_exhausted"), st.get("nft_failures"), st.get("ports_allocated"), s.received(),
                    allocDone < 0 ? "never" : String.format(Locale.ROOT, "%.1f", allocDone), ctAtEnd,
                    flowsDone < 0 ? "never (" + ctAtEnd + " at the end)" : String.format(Locale.ROOT, "%.1f", flowsDone), secs));
            say.accept(String.format(Locale.ROOT, "  daemon RSS %.1f MiB before, %.1f MiB after, %.1f MiB 3 s later; conntrack max observed %d in all namespaces "
                    + "(router %d), %d at the end (router %d)", rss0, rss, rss3, maxSeen, maxRtr, c[0], c[2]));
        } finally {
            l.stopDaemon();
            FlowBench.flush(l);
            System.out.println("pool live: after the clean-up conntrack " + conntrack(labs)[0]);
        }
    }

    List<String> commands() { return commands; }
}
