package org.conenatd.daemon;

import org.conenatd.conntrack.Conntrack;
import org.conenatd.conntrack.ConntrackEvents;
import org.conenatd.dataplane.MappingFlows;
import org.conenatd.control.ControlProtocol;
import org.conenatd.control.ControlServer;
import org.conenatd.control.DaemonView;
import org.conenatd.control.MetricsServer;
import org.conenatd.dataplane.DataPlane;
import org.conenatd.dataplane.PlaneContext;
import org.conenatd.dataplane.StartupHints;
import org.conenatd.nat.FullConeNat;
import org.conenatd.nat.MappingSnapshot;
import org.conenatd.nat.MappingTable;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.ops.Counters;
import org.conenatd.ops.Log;
import org.conenatd.ops.StartupException;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Wiring and lifecycle. The daemon is a list of roles:
 * <ol>
 *   <li>the core ({@link FullConeNat}) and its listeners: the {@link ChangeLog} and the data plane;</li>
 *   <li>the {@link EventLoop}: conntrack events into the core;</li>
 *   <li>the {@link Resync}: a table dump at start and after event loss;</li>
 *   <li>the {@link DataPlane}: the seed's NFQUEUE plane, or the nftables one;</li>
 *   <li>the {@link StatsWriter}: the counter registry into the stats file;</li>
 *   <li>what operators ask through: the {@link MetricsServer} and the {@link ControlServer}.</li>
 * </ol>
 * Everything opened is remembered in order and closed in reverse, whether start fails half-way or
 * the daemon stops.
 */
public final class Daemon {
    public record Config(int eventBufferBytes, Path statsFile, int statsIntervalMs) {}

    private final Config cfg;
    private final DataPlane plane;
    private final Log log;
    private final Counters counters = new Counters();
    private final FullConeNat nat = new FullConeNat(new MappingTable());
    private final MappingFlows mappingFlows;
    private final Deque<Runnable> undo = new ArrayDeque<>();
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private EventLoop events;
    private Resync resync;
    private final long created = System.nanoTime();
    private Path controlSocket;
    private InetSocketAddress metricsAddress;

    public Daemon(Config cfg, DataPlane plane, String publicAddress, Log log) {
        this.cfg = cfg;
        this.plane = plane;
        this.log = log;
        this.mappingFlows = plane.mappingFlows();
        MappingTable table = nat.table();
        counters.gauge("mappings", "Mapped public ports.", table::mappedPorts);
        counters.gauge("mapping_endpoints", "(public port, LAN endpoint) pairs with live flows.", table::slots);
        counters.gauge("mapping_flows", "Live conntrack flows that make mappings.", nat::flowCount);
        nat.addListener(new ChangeLog(log, publicAddress, plane.mappingsAreFlows(), counters));
    }

    public Counters counters() { return counters; }

    /** Before {@link #start}: the control socket and the metrics endpoint to serve (null: none). */
    public void serve(Path controlSocket, InetSocketAddress metricsAddress) {
        this.controlSocket = controlSocket;
        this.metricsAddress = metricsAddress;
    }

    /** Opens everything; throws with an operator-readable message (nothing left open) if the kernel says no. */
    public void start() throws StartupException {
        try {
            startAll();
        } catch (StartupException | RuntimeException e) {
            stop();
            throw e;
        }
    }

    private void startAll() throws StartupException {
        checkEventsEnabled();
        StatsWriter stats = null;
        if (cfg.statsFile() != null) {
            stats = new StatsWriter(counters, cfg.statsFile(), cfg.statsIntervalMs(), log);
            undo.push(stats::write); // undone last: the file ends with the final counters
        }
        ConntrackEvents subscription;
        Conntrack dumper;
        try {
            subscription = ConntrackEvents.subscribe(cfg.eventBufferBytes(), 500);
        } catch (NetlinkException e) {
            throw new StartupException("cannot subscribe to conntrack events: " + e.getMessage() + StartupHints.of(e));
        }
        undo.push(subscription::close);
        try {
            dumper = Conntrack.open("ctnetlink dump");
        } catch (NetlinkException e) {
            throw StartupHints.cannotOpen("ctnetlink", e);
        }
        undo.push(dumper::close);
        events = new EventLoop(subscription, nat, mappingFlows, log, counters, () -> resync.request());
        resync = new Resync(dumper, events, nat, mappingFlows, log, counters);
        start("ct-events", events, events::stop);
        // Rebuild from the live table before saying ready: a restart loses no mapping. The dump
        // runs beside the plane's start (60,000 entries take a few hundred ms each way).
        Resync.Dump startDump = resync.begin("start").runAhead();
        undo.push(plane::stop);
        try {
            plane.start(new PlaneContext(nat, counters, log, events, this::worker));
        } catch (StartupException | RuntimeException e) {
            startDump.await(); // its socket closes with the rest
            throw e;
        }
        if (!resync.finish(startDump)) throw new StartupException("cannot dump the conntrack table; see the log line above");
        plane.ready();
        start("resync", resync, resync::stop);
        if (stats != null) start("stats", stats, stats::stop);
        if (metricsAddress != null) {
            try {
                undo.push(MetricsServer.start(metricsAddress, counters)::close);
            } catch (IOException e) {
                throw new StartupException("cannot serve metrics on " + hostPort(metricsAddress) + ": " + e.getMessage());
            }
        }
        String control = controlSocket == null ? "" : startControl();
        long sinceStart = millisSinceProcessStart();
        log.info("[*] conenatd ready in " + sinceStart + " ms: " + plane.name() + " mode, " + plane.describe()
                + ", event buffer " + subscription.receiveBuffer() + " bytes, " + plane.mappingCount(nat) + " mappings"
                + control + (metricsAddress == null ? "" : ", metrics on " + hostPort(metricsAddress))
                + (plane.table() == null ? "" : ", table protection " + plane.table().protection().label));
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }

    /** The control socket is a convenience: without it (another daemon holds the path, say) the NAT still runs. */
    private String startControl() {
        try {
            ControlServer c = ControlServer.open(controlSocket, line -> ControlProtocol.answer(line, view()));
            undo.push(c::close);
            start("control", c, c::stop);
            return ", control " + c.path();
        } catch (IOException e) {
            log.warn("[!] no control socket, 'conenatd list' and 'status' will not reach this daemon: " + e.getMessage());
            return "";
        }
    }

    /** What the control socket reads: mappings are taken with the events held, so the tables hold still. */
    private DaemonView view() {
        return new DaemonView() {
            public String mode() { return plane.name(); }
            public String describe() { return plane.describe(); }
            public long pid() { return ProcessHandle.current().pid(); }
            public long uptimeMillis() { return (System.nanoTime() - created) / 1_000_000; }
            public String lastResync() { return resync.last(); }
            public String table() { return plane.table() == null ? null : plane.table().status(); }
            public String hostLimit(int ip) { return plane.hostLimit(ip); }
            public List<Counters.Sample> counters() { return counters.samples(); }
            public List<MappingSnapshot.Row> mappings() {
                var taken = new Object() { List<MappingSnapshot.Row> rows = List.of(); };
                events.locked(() -> taken.rows = plane.mappings(nat, System.nanoTime()));
                return taken.rows;
            }
        };
    }

    /** Starts a role's thread and remembers how to stop it and wait for it. */
    private void start(String name, Runnable task, Runnable stopper) {
        Thread t = worker(name, task);
        undo.push(() -> {
            stopper.run();
            join(t);
        });
    }

    /** A dead worker leaves a daemon that only looks alive: better to exit and be restarted. */
    private Thread worker(String name, Runnable task) {
        return Thread.ofPlatform().name(name).uncaughtExceptionHandler((t, e) -> {
            log.error("[!] fatal: thread " + t.getName() + " died: " + e + "; exiting");
            Runtime.getRuntime().halt(70);
        }).start(task);
    }

    /**
     * Time since the process started, from /proc: its start in clock ticks after boot against the
     * uptime. ProcessHandle's start instant is built from the boot time in whole seconds, which
     * put the "ready in" figure off by up to a second. -1 if /proc cannot tell.
     */
    static long millisSinceProcessStart() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long startTicks = Long.parseLong(f[19]); // field 22 of stat: starttime, after pid and (comm)
            double uptime = Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
            return Math.round(uptime * 1000 - startTicks * 10.0); // USER_HZ is 100 on Linux
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** With nf_conntrack_events=0 the subscription succeeds but nothing ever arrives: refuse early. */
    private static void checkEventsEnabled() throws StartupException {
        Path sysctl = Path.of("/proc/sys/net/netfilter/nf_conntrack_events");
        try {
            if (Files.exists(sysctl) && Files.readString(sysctl).trim().equals("0")) {
                throw new StartupException("conntrack events are disabled (net.netfilter.nf_conntrack_events=0); "
                        + "enable them with: sysctl -w net.netfilter.nf_conntrack_events=1");
            }
        } catch (IOException e) {
            // unreadable sysctl: carry on, the subscription itself will tell
        }
    }

    /** Undoes everything start did, in reverse, and says goodbye with the counters. Idempotent. */
    /** SIGHUP: the plane reopens its files (the allocation log). */
    public void reopen() {
        plane.reopen();
    }

    public void stop() {
        if (!stopping.compareAndSet(false, true)) {
            awaitStopQuietly();
            return;
        }
        while (!undo.isEmpty()) {
            try {
                undo.pop().run();
            } catch (RuntimeException e) {
                log.warn("[!] while stopping: " + e);
            }
        }
        log.info("[*] conenatd stopped: " + counters.oneLine());
        stopped.countDown();
    }

    private void awaitStopQuietly() {
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    private static void join(Thread t) {
        try {
            t.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
