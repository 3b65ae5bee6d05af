package org.conenatd.daemon;

import org.conenatd.control.ControlClient;
import org.conenatd.control.ControlCommands;
import org.conenatd.control.MetricsServer;
import org.conenatd.ops.Log;
import org.conenatd.ops.StartupException;
import org.conenatd.sys.Libc;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code conenatd -i <wan-if>} (kernel mode) or {@code conenatd -n <nat-ip> -q <queue-num> -m <fwmark>}
 * (seed mode, the original's flags), with {@code [-p <pid-file>] [-f]} and a few more.
 */
@Command(name = "conenatd", mixinStandardHelpOptions = true, version = "conenatd 0.1.0",
        sortOptions = false, usageHelpWidth = 100,
        subcommands = {ControlCommands.ListCommand.class, ControlCommands.StatusCommand.class},
        description = {"Full Cone NAT for Linux.",
                "Kernel mode (-i): conenatd allocates a public port per LAN endpoint and keeps nftables maps "
                        + "that the kernel NATs with; no inbound packet reaches user space.",
                "Seed mode (-n -q -m): learns UDP mappings from conntrack events and DNATs unsolicited "
                        + "inbound flows handed to it by the operator's NFQUEUE rule."})
public final class Main implements Callable<Integer> {
    private static final String USAGE = "usage: conenatd -i <wan-if> | -n <nat-ip> -q <queue-num> -m <fwmark>  [-p <pid-file>] [-f]  (--help for more)";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-i", "--interface"}, paramLabel = "<wan-if>",
            description = "Kernel mode: full cone on this WAN interface, whose NAT is a masquerade. conenatd installs and removes its own rules.")
    String wanIf;

    @Option(names = {"-n", "--nat-ip"}, paramLabel = "<nat-ip>",
            description = "Seed mode: the NAT (WAN) IPv4 address that outbound UDP is SNAT'd to.")
    String natIp;

    @Option(names = {"-q", "--queue-num"}, paramLabel = "<queue-num>",
            description = "NFQUEUE number (0-65535): of the PREROUTING rule in seed mode; of conenatd's own rule in kernel mode (default 47000).")
    String queueNum;

    @Option(names = {"-m", "--fwmark"}, paramLabel = "<fwmark>",
            description = "Seed mode: mark put on packets handed back, so the rule '-m mark --mark <fwmark> -j RETURN' skips them. "
                    + "Kernel mode: the one mark bit that flags first packets (default 0x400000). Non-zero; decimal or 0x hex.")
    String fwmark;

    @Option(names = "--ports", paramLabel = "<first-last>", defaultValue = "1024-65535",
            description = "Kernel mode: the pool of public ports (default ${DEFAULT-VALUE}).")
    String ports;

    @Option(names = "--hold", paramLabel = "<seconds>", defaultValue = "300",
            description = "Kernel mode: how long a mapping outlives its last flow (default ${DEFAULT-VALUE}; RFC 4787 asks at least 120).")
    int hold;

    @Option(names = "--tcp-hold", paramLabel = "<seconds>", defaultValue = "240",
            description = "Kernel mode: how long a TCP mapping outlives its last connection (default ${DEFAULT-VALUE}: "
                    + "RFC 5382's transitory time); --hold is the UDP hold.")
    int tcpHold;

    @Option(names = "--full-cone-ports", paramLabel = "<ports>[,...]", defaultValue = "1024-65535",
            description = "Kernel mode: the destination ports whose new flows get full cone (default ${DEFAULT-VALUE}); "
                    + "flows to others (DNS, HTTP(S), NTP...) keep the router's plain NAT and never reach conenatd.")
    String fullConePorts;

    @Option(names = "--ports-per-host", paramLabel = "<n>",
            description = "Kernel mode: at most n public ports per LAN address and protocol (default unlimited; RFC 6888 REQ-4).")
    Integer portsPerHost;

    @Option(names = "--on-limit", paramLabel = "<plain|drop>", defaultValue = "plain",
            description = "Kernel mode: a new endpoint of a host at its limit, or of a full pool, gets plain NAT (default) "
                    + "or has its first packet dropped; existing mappings are never evicted (RFC 6888 REQ-11).")
    String onLimit;

    @Option(names = "--pool", paramLabel = "<address|cidr|first-last>",
            description = "Kernel mode: external addresses to NAT to instead of the interface's own (repeatable; RFC 6888). "
                    + "Each LAN host uses one of them for all its mappings (paired pooling); a new host gets the least used.")
    List<String> pool = new java.util.ArrayList<>();

    @Option(names = "--port-block", paramLabel = "<n>",
            description = "Kernel mode: give each LAN host its ports in blocks of n on its address (RFC 6888 REQ-14); "
                    + "--ports-per-host limits it to whole blocks, and the allocation log has a record per block.")
    Integer portBlock;

    @Option(names = "--static", paramLabel = "<proto:port=lan-ip:lan-port>",
            description = "Kernel mode: a permanent full-cone mapping, e.g. udp:3074=10.0.0.11:3074 (repeatable).")
    List<String> statics = new java.util.ArrayList<>();

    @Option(names = "--allocation-log", paramLabel = "<file>",
            description = "Kernel mode: append one JSON line per public port given to or taken back from a LAN endpoint "
                    + "(RFC 6888 REQ-12: time, protocol, LAN address and port, external address and port); reopened on SIGHUP.")
    String allocationLog;

    @Option(names = "--no-port-mapping", description = "Kernel mode: do not answer NAT-PMP, PCP and UPnP IGD on the LAN side.")
    boolean noPortMapping;

    @Option(names = "--pcp-third-party",
            description = "Kernel mode: let NAT-PMP/PCP/UPnP clients map ports for other LAN hosts than themselves.")
    boolean pcpThirdParty;

    @Option(names = "--map-lifetime-max", paramLabel = "<seconds>", defaultValue = "86400",
            description = "Kernel mode: the longest lifetime a port-mapping protocol is granted (default ${DEFAULT-VALUE}).")
    int mapLifetimeMax;

    @Option(names = "--upnp-port", paramLabel = "<port>", defaultValue = "2189",
            description = "Kernel mode: the TCP port of the UPnP IGD's descriptions and control (LAN side; default ${DEFAULT-VALUE}).")
    int upnpPort;

    @Option(names = "--protocols", paramLabel = "<udp,tcp>", defaultValue = "udp,tcp",
            description = "Kernel mode: the protocols that get full cone (default ${DEFAULT-VALUE}).")
    String protocols;

    @Option(names = "--filtering", paramLabel = "<endpoint|address>", defaultValue = "endpoint",
            description = "Kernel mode: who may reach a mapped port: 'endpoint' any peer (full cone, default), "
                    + "'address' only peers at an address the LAN endpoint has sent to (restricted cone).")
    String filtering;

    @Option(names = "--source", paramLabel = "<cidr>",
            description = "Kernel mode: only these LAN sources get full cone (repeatable); the others keep the router's plain NAT.")
    List<String> sources = new java.util.ArrayList<>();

    @Option(names = "--table-protection", paramLabel = "<auto|persist|owner|watch>",
            description = "How conenatd's own nftables table is kept: persist (owned, outlives a crash), owner (owned), "
                    + "watch (rebuilt when deleted); auto (default, or CONENATD_TABLE_PROTECTION) takes the strongest the kernel has.")
    String tableProtection;

    @Option(names = {"-p", "--pid-file"}, paramLabel = "<pid-file>", description = "Write the pid here and hold a lock on it.")
    Path pidFile;

    @Option(names = {"-f", "--foreground"}, description = "Stay in the foreground and log to stderr.")
    boolean foreground;

    @Option(names = {"-l", "--log-file"}, paramLabel = "<file>",
            description = "Append log lines to this file (default: stderr with -f, syslog otherwise).")
    Path logFile;

    @Option(names = {"--quiet"}, description = "Log only problems.")
    boolean quiet;

    @Option(names = {"-d", "--debug"}, description = "Log every flow count change and every inbound decision.")
    boolean debug;

    @Option(names = "--event-buffer", paramLabel = "<bytes>", defaultValue = "33554432",
            description = "Receive buffer of the conntrack event socket (default ${DEFAULT-VALUE}).")
    int eventBuffer;

    @Option(names = "--queue-maxlen", paramLabel = "<packets>",
            description = "Kernel queue length. Seed mode (default 8192): beyond it packets bypass conenatd (fail-open). "
                    + "Kernel mode (default 32768, a burst of new LAN endpoints): beyond it a first packet is dropped and retried by its sender.")
    Integer queueMaxLen;

    @Option(names = "--kernel-dnat", paramLabel = "<first-last>[,...]",
            description = "Seed mode: DNAT new inbound flows to mapped ports of these ranges in the kernel (an nft map conenatd keeps), "
                    + "not one by one through the queue. Give the ports your NFQUEUE rule queues, e.g. 10240-65535.")
    String kernelDnat;

    @Option(names = "--ct-timeout", paramLabel = "<seconds>", defaultValue = "30",
            description = "Initial timeout of the conntrack entries created for inbound peers (default ${DEFAULT-VALUE}; the kernel extends it as traffic flows).")
    int ctTimeout;

    @Option(names = "--stats-file", paramLabel = "<file>", description = "Rewrite counters here every second (key=value lines).")
    Path statsFile;

    @Option(names = "--stats-interval", paramLabel = "<ms>", defaultValue = "1000",
            description = "How often the stats file is rewritten (default ${DEFAULT-VALUE} ms).")
    int statsInterval;

    @Option(names = "--log-rate", paramLabel = "<lines/s>", defaultValue = "200",
            description = "At most this many per-packet log lines a second outside debug mode (default ${DEFAULT-VALUE}).")
    int logRate;

    @Option(names = "--control", paramLabel = "<path>", defaultValue = ControlClient.DEFAULT_PATH,
            description = "Control socket that 'conenatd list' and 'conenatd status' ask (root only; default ${DEFAULT-VALUE}; 'none' for no socket).")
    String control;

    @Option(names = "--metrics", paramLabel = "<host:port>",
            description = "Serve Prometheus metrics on http://<host:port>/metrics (off by default). Any address but a loopback one exposes them.")
    String metrics;

    public static void main(String[] args) {
        // Link the libc downcalls on the second core while picocli parses: both are cold-JVM slow.
        Thread.ofPlatform().daemon().name("link").start(Libc::link);
        int code = run(args, System.err);
        if (code != 0) System.exit(code);
    }

    /** Parses, validates and runs; problems become one line on {@code err} and a non-zero code. */
    static int run(String[] args, java.io.PrintStream err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("conenatd: " + ex.getMessage());
            err.println(usage(cl, ex.getCommandLine()));
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, r) -> {
            if (ex instanceof CommandLine.ParameterException pe) {
                err.println("conenatd: " + ex.getMessage());
                err.println(usage(cl, pe.getCommandLine()));
                return 2;
            }
            if (ex instanceof StartupException) {
                err.println("conenatd: " + ex.getMessage());
                return 1;
            }
            throw ex;
        });
        return cl.execute(args);
    }

    /** The daemon's usage line, or a subcommand's synopsis for a mistake in one. */
    private static String usage(CommandLine root, CommandLine where) {
        if (where == null || where == root) return USAGE;
        return "usage: " + where.getHelp().synopsis(0).strip() + "  (--help for more)";
    }

    @Override
    public Integer call() throws Exception {
        Modes.Chosen mode = Modes.choose(this);
        java.net.InetSocketAddress metricsAt = null;
        if (metrics != null) {
            try {
                metricsAt = MetricsServer.parse(metrics);
            } catch (IllegalArgumentException e) {
                throw new StartupException("invalid --metrics '" + metrics + "': " + e.getMessage());
            }
        }
        Daemon.Config cfg = new Daemon.Config(eventBuffer, statsFile, statsInterval);
        boolean daemonMode = Boolean.getBoolean("conenatd.daemon");
        Log.Level level = debug ? Log.Level.DEBUG : quiet ? Log.Level.QUIET : Log.Level.INFO;
        java.io.PrintStream logOut = null;
        if (logFile != null) {
            try {
                logOut = new java.io.PrintStream(new java.io.FileOutputStream(logFile.toFile(), true), true,
                        java.nio.charset.StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw new StartupException("cannot open log file " + logFile + ": " + e.getMessage(), e);
            }
        }
        Log log = new Log(level, daemonMode && !foreground, logRate, logOut);
        if (!log.hasOutput()) {
            throw new StartupException("no syslog socket (/dev/log) to log to in the background; "
                    + "give a log file with -l <file>, or run in the foreground with -f");
        }
        PidFile pid = pidFile == null ? null : PidFile.acquire(pidFile, ProcessHandle.current().pid());
        if (mode.warning() != null) log.warn("[!] " + mode.warning());
        Daemon d = new Daemon(cfg, mode.plane(), mode.publicAddress(), log);
        d.serve(control.equals("none") ? null : Path.of(control), metricsAt);
        Runnable shutdown = () -> {
            d.stop();
            if (pid != null) pid.close();
        };
        // SIGTERM/SIGINT are the normal way to stop: clean up and exit 0, not the JVM's 143/130.
        // One arriving during start-up is held until the daemon is complete enough to stop.
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        // SIGHUP: files are reopened (logrotate), nothing stops
        sun.misc.Signal.handle(new sun.misc.Signal("HUP"), s -> Thread.ofPlatform().name("reopen").start(d::reopen));
        for (String sig : new String[] {"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(sig), s -> Thread.ofPlatform().name("stop").start(() -> {
                try {
                    started.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                shutdown.run();
                System.exit(0);
            }));
        }
        try {
            d.start();
        } catch (StartupException e) {
            if (pid != null) pid.close();
            started.countDown();
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(shutdown, "shutdown"));
        started.countDown();
        signalReady();
        d.awaitStop();
        return 0;
    }

    /** Tells the launcher (bin/conenatd) that start-up succeeded, so it can return to the shell. */
    private static void signalReady() {
        String f = System.getProperty("conenatd.ready");
        if (f == null) return;
        try {
            Files.writeString(Path.of(f), "ready " + ProcessHandle.current().pid() + "\n", StandardCharsets.US_ASCII);
        } catch (IOException e) {
            System.err.println("conenatd: cannot signal readiness: " + e.getMessage());
        }
    }
}
