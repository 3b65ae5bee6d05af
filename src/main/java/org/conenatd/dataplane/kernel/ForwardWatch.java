package org.conenatd.dataplane.kernel;

import org.conenatd.inet.Inet4;
import org.conenatd.nat.Endpoint;
import org.conenatd.nat.PortAllocator;
import org.conenatd.nat.Protocol;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.nftables.PortForwards;
import org.conenatd.nftables.RulesetMonitor;
import org.conenatd.ops.Log;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * The router's own DNAT port forwards (its nft or iptables-nft rules, miniupnpd's chains), read at
 * start and again after every ruleset transaction another process commits: allocation never hands
 * out their ports, and a mapping whose port a forward takes later is logged as a conflict (with
 * both endpoints), counted, and shown as shadowed by {@code list}. The nat hook stops at the first
 * chain that binds, and the operator's forwards at dstnat come before conenatd's chain at dstnat + 1,
 * so the forward wins the port's inbound traffic; conenatd only says so.
 */
final class ForwardWatch {
    private final Mappings mappings;
    private final String wanIf;
    private final int ownPortId;
    private final Log log;
    private final LongAdder conflicts;
    private volatile boolean[][] covered = new boolean[Protocol.count()][65536];
    private volatile List<PortForwards.Forward> forwards = List.of();
    private final Set<Long> reported = new HashSet<>();
    private PortForwards reader;
    private RulesetMonitor monitor;
    private Thread thread;
    private volatile boolean running, stale;

    ForwardWatch(Mappings mappings, String wanIf, int ownPortId, LongAdder conflicts, Log log) {
        this.mappings = mappings;
        this.wanIf = wanIf;
        this.ownPortId = ownPortId;
        this.conflicts = conflicts;
        this.log = log;
    }

    /** Whether a forward takes inbound traffic to {@code port}. */
    boolean covers(Protocol p, int port) { return covered[p.ordinal()][port & 0xffff]; }

    /** Reads the forwards once (before the first allocation), then follows the ruleset's changes. */
    void start() throws NetlinkException {
        reader = PortForwards.open(java.util.Set.of(KernelConfig.TABLE)); // never its own table: its maps hold every mapping
        monitor = RulesetMonitor.open(ownPortId); // conenatd's own element writes never reach this thread
        read();
        running = true;
        thread = Thread.ofPlatform().name("forwards").daemon().start(this::watch);
    }

    private void watch() {
        RulesetMonitor.Listener l = new RulesetMonitor.Listener() {
            @Override public void changed(int msg, String table, int portId) { if (portId != ownPortId) stale = true; }
            @Override public void committed(int pid, String name) { if (stale) reread(); }
            @Override public void lost() { reread(); }
        };
        while (running) {
            try {
                monitor.poll(l);
            } catch (NetlinkException e) {
                if (running) log.warn("[!] port forwards: " + e.getMessage());
            }
        }
    }

    private void reread() {
        stale = false;
        try {
            read();
        } catch (NetlinkException e) {
            log.warn("[!] cannot read the router's port forwards: " + e.getMessage() + "; the last ones read still count");
        }
    }

    private void read() throws NetlinkException {
        List<PortForwards.Forward> now = reader.read();
        boolean[][] next = new boolean[Protocol.count()][65536];
        for (PortForwards.Forward f : now) {
            Protocol p = Protocol.of(f.protocol());
            if (p != null) java.util.Arrays.fill(next[p.ordinal()], f.firstPort(), f.lastPort() + 1, true);
        }
        if (!now.equals(forwards)) log.info("[*] port forwards of the router's rules: " + (now.isEmpty() ? "none" : now));
        forwards = now;
        covered = next;
        conflicts(now);
    }

    /** A forward on a port conenatd has mapped to another endpoint: the forward wins; say so once. */
    private void conflicts(List<PortForwards.Forward> now) {
        mappings.lock.lock();
        try {
            for (PortForwards.Forward f : now) {
                Protocol p = Protocol.of(f.protocol());
                if (p == null || !mappings.enabled(p)) continue;
                PortAllocator a = mappings.allocator(p);
                for (int port = Math.max(f.firstPort(), a.first()); port <= Math.min(f.lastPort(), a.last()); port++) {
                    for (int i = 0; i < a.pool().size(); i++) { // a forward matches its port on every address
                        long ep = a.ownerOf(org.conenatd.nat.External.of(i, port));
                        if (ep == Endpoint.NONE) continue;
                        int toPort = f.toPortFirst() == 0 ? port : f.toPortFirst() + (port - f.firstPort());
                        if (Endpoint.ip(ep) == f.toAddr() && Endpoint.port(ep) == toPort) continue; // the same endpoint: no conflict
                        if (!reported.add(((long) p.ordinal() << 48) | Integer.toUnsignedLong(org.conenatd.nat.External.of(i, port)))) continue;
                        conflicts.increment();
                        log.warn("[!] " + p.label + " " + mappings.where(org.conenatd.nat.External.of(i, port)) + " -> " + Endpoint.format(ep) + " is shadowed by the port forward "
                                + p.label + " " + port + " -> " + Inet4.format(f.toAddr()) + ":" + toPort + " (" + f.table() + " " + f.chain()
                                + "): new inbound flows go to the forward");
                    }
                }
            }
        } finally {
            mappings.lock.unlock();
        }
    }

    void stop() {
        running = false;
        if (thread != null) {
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (monitor != null) monitor.close();
        if (reader != null) reader.close();
    }
}
