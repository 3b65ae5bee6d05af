package org.conenatd.daemon;

import org.conenatd.conntrack.Conntrack;
import org.conenatd.dataplane.MappingFlows;
import org.conenatd.nat.FlowSnapshot;
import org.conenatd.nat.FullConeNat;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.ops.Counters;
import org.conenatd.ops.Log;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Reconciles the core with a dump of the conntrack table while events keep being applied and the
 * data plane keeps serving: at start, and on its own thread whenever events were lost.
 */
final class Resync implements Runnable {
    private final Conntrack dumper;
    private final EventLoop events;
    private final FullConeNat nat;
    private final MappingFlows mappingFlows;
    private final Log log;
    private final LongAdder resyncs;
    private final Semaphore wanted = new Semaphore(0);
    private final Backoff backoff = new Backoff(1000, 30_000);
    private volatile boolean running = true;
    private volatile String last = "never";

    Resync(Conntrack dumper, EventLoop events, FullConeNat nat, MappingFlows mappingFlows, Log log, Counters counters) {
        this.dumper = dumper;
        this.events = events;
        this.nat = nat;
        this.mappingFlows = mappingFlows;
        this.log = log;
        this.resyncs = counters.counter("resyncs", "Reconciliations of the mapping table with a conntrack dump.");
    }

    /** Asks for a resync; any number of requests before it runs are answered by one dump. */
    void request() {
        wanted.release();
    }

    void stop() {
        running = false;
    }

    /** What the last resync found, for status. */
    String last() { return last; }

    @Override
    public void run() {
        while (running) {
            try {
                if (!wanted.tryAcquire(500, TimeUnit.MILLISECONDS)) continue;
            } catch (InterruptedException e) {
                return;
            }
            wanted.drainPermits(); // one dump answers every overrun so far
            if (!running) return;
            if (once("after event loss")) backoff.reset();
            else backoff.sleep();
        }
    }

    /** One dump and reconcile; false (and a retry requested) if the dump failed. */
    boolean once(String why) {
        Dump d = begin(why);
        d.run();
        return finish(d);
    }

    /**
     * Opens a resync window and returns its dump, not yet run: at start the daemon runs it on a
     * thread of its own ({@link Dump#runAhead}) while the data plane starts beside it (on 2 cores
     * the two overlap), then reconciles with {@link #finish}. Events applied meanwhile are
     * remembered by the window, as during any resync.
     */
    Dump begin(String why) {
        events.locked(nat::beginResync);
        return new Dump(why, new FlowSnapshot(nat.flowCount()));
    }

    /** Reconciles with a finished dump; false (and a retry requested) if the dump failed. */
    boolean finish(Dump d) {
        d.await();
        if (d.crash != null) {
            events.locked(nat::abortResync);
            throw d.crash;
        }
        if (d.failure != null) {
            log.error("[!] resync (" + d.why + "): " + d.failure.getMessage());
            events.locked(nat::abortResync);
            request();
            return false;
        }
        FullConeNat.ResyncResult[] r = new FullConeNat.ResyncResult[1];
        events.locked(() -> {
            events.drainAll(); // apply everything emitted before the reconcile
            r[0] = nat.finishResync(d.snapshot);
        });
        resyncs.increment();
        last = "(" + d.why + "): " + d.total + " conntrack entries, " + d.snapshot.size() + " mapping flows, "
                + nat.table().mappedPorts() + " mapped ports; +" + r[0].added() + " -" + r[0].removed()
                + " flows reconciled; dumped in " + (d.t1 - d.t0) / 1_000_000 + " ms";
        log.info("[*] resync " + last);
        return true;
    }

    /** The dump half of a resync: the mapping flows of every conntrack entry, into a snapshot. */
    final class Dump {
        private final String why;
        private final FlowSnapshot snapshot;
        private final long t0 = System.nanoTime();
        private long t1; // when the dump ended: at start the reconcile waits for the data plane too
        private int total;
        private NetlinkException failure;
        private RuntimeException crash;
        private Thread thread;

        private Dump(String why, FlowSnapshot snapshot) {
            this.why = why;
            this.snapshot = snapshot;
        }

        /** Runs the dump on the calling thread. */
        void run() {
            try {
                dumper.dump(f -> {
                    total++;
                    mappingFlows.collect(f, snapshot);
                });
            } catch (NetlinkException e) {
                failure = e;
            } catch (RuntimeException e) {
                crash = e; // rethrown by finish, on the caller's thread
            } finally {
                t1 = System.nanoTime();
            }
        }

        /** Runs the dump on a thread of its own; {@link #finish} waits for it. */
        Dump runAhead() {
            thread = Thread.ofPlatform().name("resync-dump").start(this::run);
            return this;
        }

        /** Waits for a dump started with {@link #runAhead} (for nothing otherwise). */
        void await() {
            if (thread == null) return;
            boolean interrupted = false;
            while (true) {
                try {
                    thread.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
    }
}
