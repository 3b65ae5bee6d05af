package org.conenatd.dataplane;

import org.conenatd.nat.FullConeNat;
import org.conenatd.ops.Counters;
import org.conenatd.ops.Log;

/**
 * What the daemon lends a data plane: the core to consult and listen to, the counter registry to
 * register its counters in, the log, the event barrier, and how to start a thread (a thread that
 * dies takes the daemon down, so it is restarted instead of half-working).
 */
public record PlaneContext(FullConeNat nat, Counters counters, Log log, EventBarrier events, Workers workers) {

    /** Applies the conntrack events the kernel has already emitted (see the seed plane's miss path). */
    @FunctionalInterface
    public interface EventBarrier {
        void catchUp();
    }

    @FunctionalInterface
    public interface Workers {
        Thread start(String name, Runnable task);
    }
}
