package org.conenatd.daemon;

import org.conenatd.conntrack.Conntrack;
import org.conenatd.conntrack.ConntrackEvents;
import org.conenatd.nat.FlowIndex;
import org.conenatd.conntrack.Event;
import org.conenatd.conntrack.FlowView;
import org.conenatd.nat.FullConeNat;
import org.conenatd.nat.MappingTable;
import org.conenatd.netlink.Errno;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.netlink.NetlinkSocket;
import org.conenatd.nfqueue.NfQueue;
import org.conenatd.packet.Inet4;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/** Wires the sockets, the mapping table and the two reader threads; owns start and stop. */
public final class Daemon {
    private final Config cfg;
    private final Log log;
    private final MappingTable table = new MappingTable();
    private final Stats stats;
    private final FullConeNat nat;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running = true;
    /** Events are consumed only under this lock; fair, so both threads get their turn. */
    private final java.util.concurrent.locks.ReentrantLock eventLock = new java.util.concurrent.locks.ReentrantLock(true);
    private final ConntrackEvents.Sink onEvent = this::onEvent;
    /** A queue-thread miss reads at most this many datagrams (bounded even under a flood). */
    private static final int CATCH_UP_MAX = 4096;
    private final java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
    private ConntrackEvents events;
    private NfQueue queue;
    private NetlinkSocket ctRequests;
    private Conntrack dumper;
    private final java.util.concurrent.Semaphore resyncWanted = new java.util.concurrent.Semaphore(0);
    private Thread resyncThread;
    private InboundPath inbound;
    private Thread eventThread, queueThread, statsThread;

    public record Config(int natIp, int queueNum, int fwmark, int eventBufferBytes, int queueMaxLen,
                         int ctTimeout, Path statsFile, int statsIntervalMs) {}

    public Daemon(Config cfg, Log log) {
        this.cfg = cfg;
        this.log = log;
        this.nat = new FullConeNat(cfg.natIp(), table, this::logChange);
        this.stats = new Stats(table::mappedPorts, table::slots, nat::flowCount);
    }

    public Stats stats() { return stats; }

    /** Opens every socket; throws with an operator-readable message if the kernel says no. */
    public void start() throws StartupException {
        checkEventsEnabled();
        try {
            events = ConntrackEvents.subscribe(cfg.eventBufferBytes(), 500);
        } catch (NetlinkException e) {
            throw new StartupException("cannot subscribe to conntrack events: " + e.getMessage() + hint(e));
        }
        try {
            ctRequests = NetlinkSocket.open("ctnetlink requests");
            ctRequests.setReceiveTimeout(1000);
            ctRequests.setReceiveBuffer(4 << 20);
            dumper = Conntrack.open();
        } catch (NetlinkException e) {
            events.close();
            if (ctRequests != null) ctRequests.close();
            throw new StartupException("cannot open ctnetlink: " + e.getMessage() + hint(e));
        }
        try {
            queue = NfQueue.bind(cfg.queueNum(), cfg.queueMaxLen(), true, 8 << 20);
        } catch (NetlinkException e) {
            events.close();
            ctRequests.close();
            dumper.close();
            // The kernel answers EPERM (we are root by now) when another socket owns the queue.
            String why = e.errno() == Errno.EPERM || e.errno() == Errno.EBUSY
                    ? "; queue " + cfg.queueNum() + " is already bound by another process (another conenatd?)"
                    : hint(e);
            throw new StartupException("cannot bind NFQUEUE " + cfg.queueNum() + ": " + e.getMessage() + why);
        }
        inbound = new InboundPath(queue, ctRequests, nat, this::catchUp, cfg.fwmark(), cfg.ctTimeout(), log, stats);
        eventThread = worker("ct-events").start(this::eventLoop);
        queueThread = worker("nfqueue").start(inbound);
        // Rebuild from the live table before saying ready: a restart loses no mapping.
        if (!resync("start")) {
            stop();
            throw new StartupException("cannot dump the conntrack table; see the log line above");
        }
        resyncThread = worker("resync").start(this::resyncLoop);
        if (cfg.statsFile() != null) statsThread = Thread.ofPlatform().daemon().name("stats").start(this::statsLoop);
        long sinceStart = ProcessHandle.current().info().startInstant()
                .map(t -> java.time.Duration.between(t, java.time.Instant.now()).toMillis()).orElse(-1L);
        log.info("[*] conenatd ready in " + sinceStart + " ms: nat " + Inet4.format(cfg.natIp()) + ", queue "
                + cfg.queueNum() + ", fwmark " + cfg.fwmark() + ", event buffer " + bufferSize()
                + ", " + table.mappedPorts() + " mappings");
    }

    /** With nf_conntrack_events=0 the subscription succeeds but nothing ever arrives: refuse early. */
    private static void checkEventsEnabled() throws StartupException {
        Path sysctl = Path.of("/proc/sys/net/netfilter/nf_conntrack_events");
        try {
            if (java.nio.file.Files.exists(sysctl) && java.nio.file.Files.readString(sysctl).trim().equals("0")) {
                throw new StartupException("conntrack events are disabled (net.netfilter.nf_conntrack_events=0); "
                        + "enable them with: sysctl -w net.netfilter.nf_conntrack_events=1");
            }
        } catch (IOException e) {
            // unreadable sysctl: carry on, the subscription itself will tell
        }
    }

    /** A dead worker leaves a daemon that only looks alive: better to exit and be restarted. */
    private Thread.Builder worker(String name) {
        return Thread.ofPlatform().name(name).uncaughtExceptionHandler((t, e) -> {
            log.error("[!] fatal: thread " + t.getName() + " died: " + e + "; exiting");
            Runtime.getRuntime().halt(70);
        });
    }

    private String bufferSize() {
        try {
            return events.socket().receiveBuffer() + " bytes";
        } catch (NetlinkException e) {
            return "unknown";
        }
    }

    private static String hint(NetlinkException e) {
        return switch (e.errno()) {
            case Errno.EPERM -> "; needs CAP_NET_ADMIN: run it as root";
            case Errno.EOPNOTSUPP, Errno.ENOENT, Errno.EINVAL ->
                    "; is the kernel's nf_conntrack_netlink / nfnetlink_queue support loaded?";
            default -> "";
        };
    }

    private void eventLoop() {
        while (running) {
            try {
                // Short turns under the lock, so a queue-thread miss never waits behind a flood.
                if (events.awaitEvents(500)) {
                    while (running && catchUp(64) < 0) Thread.yield();
                }
            } catch (NetlinkException e) {
                log.error("[!] conntrack events: " + e.getMessage());
                sleep(100);
            } catch (RuntimeException e) {
                log.error("[!] conntrack events: unexpected " + e);
            }
        }
    }

    /**
     * Applies every event the kernel has emitted so far. Both threads call it (the queue thread on
     * a miss, so an inbound packet racing the event of the outbound flow that made its mapping
     * still finds it); events are consumed only here, under this lock, so it is a true barrier.
     */
    /**
     * The queue thread's catch-up on a miss: bounded, and it gives up rather than stall the queue
     * if a resync holds the events for long (the packet is then passed on, as the original would).
     */
    void catchUp() {
        try {
            if (!eventLock.tryLock(20, java.util.concurrent.TimeUnit.MILLISECONDS)) return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        try {
            catchUp(CATCH_UP_MAX);
        } finally {
            eventLock.unlock();
        }
    }

    /** Applies up to {@code maxDatagrams} of queued events; -1 if more may be waiting. */
    private int catchUp(int maxDatagrams) {
        eventLock.lock();
        try {
            return events.drain(onEvent, maxDatagrams);
        } catch (NetlinkException e) {
            if (e.errno() != Errno.ENOBUFS) {
                log.error("[!] conntrack events: " + e.getMessage());
                return 0;
            }
            stats.enobufs.increment();
            log.warn("[!] conntrack events lost (ENOBUFS, " + stats.enobufs.sum() + " so far); resyncing from the table");
            resyncWanted.release();
            return 0;
        } finally {
            eventLock.unlock();
        }
    }

    private void resyncLoop() {
        while (running) {
            try {
                if (!resyncWanted.tryAcquire(500, java.util.concurrent.TimeUnit.MILLISECONDS)) continue;
            } catch (InterruptedException e) {
                return;
            }
            resyncWanted.drainPermits(); // one dump answers every overrun so far
            if (running && !resync("after event loss")) sleep(1000);
        }
    }

    /**
     * Reconciles the mapping table with a dump of the conntrack table while events keep being
     * applied; the queue is served throughout. Returns false if the dump failed.
     */
    private boolean resync(String why) {
        eventLock.lock();
        try {
            nat.beginResync();
        } finally {
            eventLock.unlock();
        }
        FlowIndex snapshot = new FlowIndex(Math.max(1024, nat.flowCount()));
        int[] total = new int[1];
        long t0 = System.nanoTime();
        try {
            dumper.dump(f -> {
                total[0]++;
                nat.collect(f, snapshot);
            });
        } catch (NetlinkException e) {
            log.error("[!] resync (" + why + "): " + e.getMessage());
            eventLock.lock();
            try {
                nat.abortResync();
            } finally {
                eventLock.unlock();
            }
            resyncWanted.release();
            return false;
        }
        FullConeNat.ResyncResult r;
        eventLock.lock();
        try {
            while (catchUp(CATCH_UP_MAX) < 0) { /* apply everything emitted before the reconcile */ }
            r = nat.finishResync(snapshot);
        } finally {
            eventLock.unlock();
        }
        stats.resyncs.increment();
        log.info("[*] resync (" + why + "): " + total[0] + " conntrack entries, " + snapshot.size()
                + " mapping flows, " + table.mappedPorts() + " mapped ports; +" + r.added() + " -" + r.removed()
                + " flows reconciled in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        return true;
    }

    private void onEvent(Event.Type type, FlowView f) {
        stats.events.increment();
        if (nat.onEvent(type, f)) stats.mappingFlows.increment();
    }

    private void logChange(MappingTable.Change c, int natPort, int lanIp, int lanPort, int flows, long winner) {
        if (c == MappingTable.Change.CONFLICT) stats.conflicts.increment();
        boolean quietKind = c == MappingTable.Change.REFRESHED || c == MappingTable.Change.RELEASED
                || c == MappingTable.Change.UNKNOWN;
        if (quietKind && !log.debugEnabled()) return; // the common case under load: build no strings
        if (log.level() == Log.Level.QUIET && c != MappingTable.Change.CONFLICT) return;
        String nat = Inet4.format(cfg.natIp()) + ":" + natPort;
        String lan = Inet4.format(lanIp) + ":" + lanPort;
        switch (c) {
            case MAPPED -> log.info("[+] " + nat + " -> " + lan + " mapped");
            case UNMAPPED -> log.info("[-] " + nat + " -> " + lan + " unmapped (last flow gone)");
            case CONFLICT -> {
                log.warn("[!] " + nat + " conflict: " + lan + " also uses it; "
                        + endpoint(winner) + " keeps receiving unsolicited traffic");
            }
            case MOVED -> log.info("[~] " + nat + " -> " + endpoint(winner) + " now receives (" + lan + " gone)");
            case REFRESHED, RELEASED -> log.debug("[.] " + nat + " -> " + lan + " flows " + flows);
            case UNKNOWN -> log.debug("[.] " + nat + " -> " + lan + " flow ended that was never counted");
        }
    }

    private static String endpoint(long ep) {
        return ep == MappingTable.NONE ? "nobody" : Inet4.format(MappingTable.ip(ep)) + ":" + MappingTable.port(ep);
    }

    private void statsLoop() {
        while (running) {
            writeStats();
            sleep(cfg.statsIntervalMs());
        }
    }

    private void writeStats() {
        try {
            stats.writeTo(cfg.statsFile());
        } catch (IOException e) {
            log.warn("[!] cannot write stats file " + cfg.statsFile() + ": " + e.getMessage());
        }
    }

    /** Stops both threads, unbinds the queue and says goodbye with the counters. Idempotent. */
    public void stop() {
        if (!stopping.compareAndSet(false, true)) {
            awaitStopQuietly();
            return;
        }
        running = false;
        if (inbound != null) inbound.stop();
        join(queueThread);
        join(eventThread);
        join(resyncThread);
        if (queue != null) {
            try {
                queue.unbind();
            } catch (NetlinkException e) {
                log.warn("[!] " + e.getMessage());
            }
            queue.close();
        }
        if (events != null) events.close();
        if (ctRequests != null) ctRequests.close();
        if (dumper != null) dumper.close();
        if (statsThread != null) {
            join(statsThread);
            writeStats();
        }
        log.info("[*] conenatd stopped: " + stats.oneLine());
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
        if (t == null) return;
        try {
            t.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
