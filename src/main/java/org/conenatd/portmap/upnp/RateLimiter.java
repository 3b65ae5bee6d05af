package org.conenatd.portmap.upnp;

import java.util.HashMap;
import java.util.Map;

/**
 * A token bucket per source address: {@code burst} events at once, then {@code perSecond}. The
 * burst is there for clients that list mappings one request each (upnpc -l asks for entry 0, 1, 2,
 * ... as fast as it can, and stops at the first error); the rate bounds a flood. Buckets of sources
 * gone quiet are dropped once the table grows, so many sources cost bounded memory.
 */
final class RateLimiter {
    private static final int PRUNE_AT = 4096;

    private final double perNano;
    private final int burst;
    private final Map<Integer, long[]> buckets = new HashMap<>(); // ip -> {last refill (ns), tokens (micro-tokens)}

    RateLimiter(int perSecond, int burst) {
        if (perSecond < 1 || burst < 1) throw new IllegalArgumentException("rate " + perSecond + "/s, burst " + burst);
        this.perNano = perSecond / 1e9;
        this.burst = burst;
    }

    boolean allow(int ip) {
        return allow(ip, System.nanoTime());
    }

    synchronized boolean allow(int ip, long nowNanos) {
        long full = burst * 1_000_000L;
        long[] b = buckets.get(ip);
        if (b == null) {
            if (buckets.size() >= PRUNE_AT) buckets.values().removeIf(x -> tokens(x, nowNanos, full) >= full);
            b = new long[] {nowNanos, full};
            buckets.put(ip, b);
        }
        b[1] = tokens(b, nowNanos, full);
        b[0] = nowNanos;
        if (b[1] < 1_000_000L) return false;
        b[1] -= 1_000_000L;
        return true;
    }

    private long tokens(long[] b, long now, long full) {
        double refill = Math.max(0, now - b[0]) * perNano * 1_000_000L;
        return (long) Math.min(full, b[1] + refill);
    }

    synchronized int tracked() {
        return buckets.size();
    }
}
