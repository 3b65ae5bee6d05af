package org.conenatd.dataplane;

import org.conenatd.netlink.NetlinkException;
import org.conenatd.nftables.NftCounter;
import org.conenatd.ops.Counters;

import java.util.function.LongSupplier;

/**
 * A count the kernel keeps in a named nft counter (the packets of a rule no packet of which
 * reaches user space), shown in the stats file and the metrics like the daemon's own counters.
 * A read that fails shows the last value read.
 */
public final class RuleCounter implements LongSupplier, AutoCloseable {
    private final NftCounter reader;
    private final String name;
    private volatile boolean closed;
    private volatile long last;

    private RuleCounter(NftCounter reader, String name) {
        this.reader = reader;
        this.name = name;
    }

    /** Registers counter {@code name} of nft table {@code table} as {@code metric}. */
    public static RuleCounter register(Counters counters, String metric, String help, String table, String name)
            throws NetlinkException {
        RuleCounter k = new RuleCounter(NftCounter.open(table), name);
        counters.counter(metric, help, k);
        return k;
    }

    @Override
    public long getAsLong() {
        if (closed) return last;
        try {
            last = reader.packets(name);
        } catch (NetlinkException e) {
            // the table is going (stop) or the kernel is busy: the last value stands
        }
        return last;
    }

    @Override
    public void close() {
        if (closed) return;
        getAsLong(); // the final count, for the stop line
        closed = true;
        reader.close();
    }
}
