package org.conenatd.daemon;

import org.conenatd.conntrack.ConntrackEvents;
import org.conenatd.conntrack.Event;
import org.conenatd.conntrack.FlowView;
import org.conenatd.dataplane.MappingFlows;
import org.conenatd.dataplane.PlaneContext;
import org.conenatd.nat.FullConeNat;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.ops.Counters;
import org.conenatd.ops.Log;
import org.conenatd.sys.Errno;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The event thread: conntrack NEW/DESTROY events into the core. Events are consumed only under
 * one fair lock, in short turns, so the queue thread's {@link #catchUp} (an event barrier on a
 * miss) never waits behind a flood, and the resync can apply everything up to a point.
 */
final class EventLoop implements Runnable, PlaneContext.EventBarrier {
    /** A queue-thread miss reads at most this many datagrams (bounded even under a flood). */
    static final int CATCH_UP_MAX = 4096;
    private static final int TURN = 64;

    private final ConntrackEvents events;
    private final FullConeNat nat;
    private final MappingFlows mappingFlows;
    private final Log log;
    private final Runnable onOverrun;
    private final ReentrantLock lock = new ReentrantLock(true);
    private final ConntrackEvents.Sink sink = this::onEvent;
    private final LongAdder seen, mappingFlowEvents, overruns;
    private final Backoff backoff = new Backoff(100, 5000);
    private volatile boolean running = true;

    EventLoop(ConntrackEvents events, FullConeNat nat, MappingFlows mappingFlows, Log log, Counters counters,
              Runnable onOverrun) {
        this.events = events;
        this.nat = nat;
        this.mappingFlows = mappingFlows;
        this.log = log;
        this.onOverrun = onOverrun;
        this.seen = counters.counter("events", "Conntrack events read.");
        this.mappingFlowEvents = counters.counter("mapping_flow_events", "Conntrack events about mapping flows.");
        this.overruns = counters.counter("event_overruns", "Times the event socket overflowed (ENOBUFS); each triggers a resync.");
    }

    void stop() {
        running = false;
    }

    @Override
    public void run() {
        while (running) {
            try {
                // Short turns under the lock, so a queue-thread miss never waits behind a flood.
                if (events.awaitEvents(500)) {
                    while (running && turn() < 0) Thread.yield();
                }
                backoff.reset();
            } catch (NetlinkException | RuntimeException e) {
                log.error("[!] conntrack events: " + (e instanceof NetlinkException ? e.getMessage() : "unexpected " + e)
                        + "; retrying in " + backoff.peek() + " ms");
                backoff.sleep();
            }
        }
    }

    /**
     * The queue thread's barrier on a miss: applies the events the kernel has emitted so far, so a
     * packet racing the event of the outbound flow that maps its port still finds the mapping.
     * Bounded, and it gives up rather than stall the queue if a resync holds the lock for long.
     */
    @Override
    public void catchUp() {
        try {
            if (!lock.tryLock(20, TimeUnit.MILLISECONDS)) return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        try {
            drainHeld(CATCH_UP_MAX);
        } finally {
            lock.unlock();
        }
    }

    private int turn() {
        lock.lock();
        try {
            return drainHeld(TURN);
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code r} with events held: nothing changes the core meanwhile except {@code r}. */
    void locked(Runnable r) {
        lock.lock();
        try {
            r.run();
        } finally {
            lock.unlock();
        }
    }

    /** Applies every event emitted so far; only inside {@link #locked} (the resync, before reconciling). */
    void drainAll() {
        while (drainHeld(CATCH_UP_MAX) < 0) { /* more queued */ }
    }

    /** Applies up to {@code maxDatagrams} of queued events, the lock held; -1 if more may be waiting. */
    private int drainHeld(int maxDatagrams) {
        if (!lock.isHeldByCurrentThread()) throw new IllegalStateException("events are consumed only under the lock");
        try {
            return events.drain(sink, maxDatagrams);
        } catch (NetlinkException e) {
            if (e.errno() != Errno.ENOBUFS) {
                log.error("[!] conntrack events: " + e.getMessage());
                return 0;
            }
            overruns.increment();
            log.warn("[!] conntrack events lost (ENOBUFS, " + overruns.sum() + " so far); resyncing from the table");
            onOverrun.run();
            return 0;
        }
    }

    private void onEvent(Event.Type type, FlowView f) {
        seen.increment();
        if (mappingFlows.apply(type, f, nat)) mappingFlowEvents.increment();
    }
}
