package org.conenatd.daemon;

import org.conenatd.conntrack.ConntrackEvents;
import org.conenatd.conntrack.Event;
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
    private final Stats stats = new Stats(table::mappedPorts, table::slots);
    private final FullConeNat nat;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running = true;
    private final java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
    private ConntrackEvents events;
    private NfQueue queue;
    private NetlinkSocket ctRequests;
    private InboundPath inbound;
    private Thread eventThread, queueThread, statsThread;

    public record Config(int natIp, int queueNum, int fwmark, int eventBufferBytes, int queueMaxLen,
                         int ctTimeout, Path statsFile) {}

    public Daemon(Config cfg, Log log) {
        this.cfg = cfg;
        this.log = log;
        this.nat = new FullConeNat(cfg.natIp(), table, this::logChange);
    }

    public Stats stats() { return stats; }

    /** Opens every socket; throws with an operator-readable message if the kernel says no. */
    public void start() throws StartupException {
        try {
            events = ConntrackEvents.subscribe(cfg.eventBufferBytes(), 500);
        } catch (NetlinkException e) {
            throw new StartupException("cannot subscribe to conntrack events: " + e.getMessage() + hint(e));
        }
        try {
            ctRequests = NetlinkSocket.open("ctnetlink requests");
            ctRequests.setReceiveTimeout(1000);
            ctRequests.setReceiveBuffer(4 << 20);
        } catch (NetlinkException e) {
            events.close();
            throw new StartupException("cannot open ctnetlink: " + e.getMessage() + hint(e));
        }
        try {
            queue = NfQueue.bind(cfg.queueNum(), cfg.queueMaxLen(), true, 8 << 20);
        } catch (NetlinkException e) {
            events.close();
            ctRequests.close();
            // The kernel answers EPERM (we are root by now) when another socket owns the queue.
            String why = e.errno() == Errno.EPERM || e.errno() == Errno.EBUSY
                    ? "; queue " + cfg.queueNum() + " is already bound by another process (another conenatd?)"
                    : hint(e);
            throw new StartupException("cannot bind NFQUEUE " + cfg.queueNum() + ": " + e.getMessage() + why);
        }
        inbound = new InboundPath(queue, ctRequests, nat, this::catchUp, cfg.fwmark(), cfg.ctTimeout(), log, stats);
        eventThread = Thread.ofPlatform().name("ct-events").start(this::eventLoop);
        queueThread = Thread.ofPlatform().name("nfqueue").start(inbound);
        if (cfg.statsFile() != null) statsThread = Thread.ofPlatform().daemon().name("stats").start(this::statsLoop);
        log.info("[*] conenatd ready: nat " + Inet4.format(cfg.natIp()) + ", queue " + cfg.queueNum()
                + ", fwmark " + cfg.fwmark() + ", event buffer " + bufferSize());
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
            case Errno.EPERM -> "; run as root (needs CAP_NET_ADMIN)";
            case Errno.EOPNOTSUPP, Errno.ENOENT, Errno.EINVAL ->
                    "; is the kernel's nf_conntrack_netlink / nfnetlink_queue support loaded?";
            default -> "";
        };
    }

    private void eventLoop() {
        while (running) {
            try {
                if (events.awaitEvents(500)) catchUp();
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
    synchronized void catchUp() {
        try {
            events.drain(this::onEvent);
        } catch (NetlinkException e) {
            if (e.errno() != Errno.ENOBUFS) {
                log.error("[!] conntrack events: " + e.getMessage());
                return;
            }
            stats.enobufs.increment();
            log.warn("[!] conntrack events lost (ENOBUFS, " + stats.enobufs.sum() + " so far); mappings may be stale");
        }
    }

    private void onEvent(Event e) {
        stats.events.increment();
        if (nat.onEvent(e)) stats.mappingFlows.increment();
    }

    private void logChange(MappingTable.Change c, int natPort, int lanIp, int lanPort, int flows, long winner) {
        String nat = Inet4.format(cfg.natIp()) + ":" + natPort;
        String lan = Inet4.format(lanIp) + ":" + lanPort;
        switch (c) {
            case MAPPED -> log.info("[+] " + nat + " -> " + lan + " mapped");
            case UNMAPPED -> log.info("[-] " + nat + " -> " + lan + " unmapped (last flow gone)");
            case CONFLICT -> {
                stats.conflicts.increment();
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
            sleep(1000);
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
        inbound.stop();
        join(queueThread);
        join(eventThread);
        try {
            queue.unbind();
        } catch (NetlinkException e) {
            log.warn("[!] " + e.getMessage());
        }
        queue.close();
        events.close();
        ctRequests.close();
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
        try {
            t.join(5000);
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
