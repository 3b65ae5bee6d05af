package org.conenatd.portmap.pcp;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * A token bucket per IPv4 source: {@code perSecond} requests a second, with bursts of as many. One
 * thread's (the server's), so unsynchronized. The table is bounded: when {@link #MAX_SOURCES} are
 * tracked, buckets that have filled up again (idle a second or more) are forgotten, since a new one
 * would be the same; if none has, new sources are refused until some do, so that a flood of forged
 * sources costs memory no more than time.
 */
final class RateLimiter {
    static final int MAX_SOURCES = 4096;

    private static final class Bucket {
        double tokens;
        long last;
    }

    private final int perSecond;
    private final Map<Integer, Bucket> buckets = new HashMap<>();

    RateLimiter(int perSecond) {
        if (perSecond < 1) throw new IllegalArgumentException("rate limit must be at least 1 a second");
        this.perSecond = perSecond;
    }

    /** True if a request from {@code source} at {@code nowNanos} is within its rate, and takes a token. */
    boolean allow(int source, long nowNanos) {
        Bucket b = buckets.get(source);
        if (b == null) {
            if (buckets.size() >= MAX_SOURCES && !prune(nowNanos)) return false;
            b = new Bucket();
            b.tokens = perSecond;
            b.last = nowNanos;
            buckets.put(source, b);
        }
        b.tokens = Math.min(perSecond, b.tokens + (nowNanos - b.last) * perSecond / 1e9);
        b.last = nowNanos;
        if (b.tokens < 1) return false;
        b.tokens -= 1;
        return true;
    }

    private boolean prune(long nowNanos) {
        for (Iterator<Bucket> it = buckets.values().iterator(); it.hasNext(); ) {
            Bucket b = it.next();
            if (b.tokens + (nowNanos - b.last) * perSecond / 1e9 >= perSecond) it.remove();
        }
        return buckets.size() < MAX_SOURCES;
    }

    int tracked() {
        return buckets.size();
    }
}
