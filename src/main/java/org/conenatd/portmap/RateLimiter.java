package org.conenatd.portmap;

import java.util.HashMap;
import java.util.Map;

/**
 * A token bucket per IPv4 source for the port-mapping servers: {@code burst} requests at once,
 * then {@code perSecond}. The burst is there for clients that list mappings one request each
 * (upnpc -l asks for entry 0, 1, 2, ... as fast as it can); the rate bounds a flood. The table is
 * bounded: when {@link #MAX_SOURCES} are tracked, buckets that have filled up again are forgotten
 * (a new one would be the same); if none has, new sources are refused until some do, so a flood
 * of forged sources costs memory no more than time. A clock going back mints nothing.
 * Thread-safe (UPnP's HTTP and SSDP threads share theirs).
 */
public final class RateLimiter {
    public static final int MAX_SOURCES = 4096;
    private static final class Bucket {
        long last;     // the latest time seen (ns)
        double tokens; // fractions kept: a refused request's refill is not lost
    }

    private final double perNano, full;
    private final Map<Integer, Bucket> buckets = new HashMap<>();

    public RateLimiter(int perSecond, int burst) {
        if (perSecond < 1 || burst < 1) throw new IllegalArgumentException("rate " + perSecond + "/s, burst " + burst + ": both must be at least 1");
        this.perNano = perSecond / 1e9;
        this.full = burst;
    }

    public boolean allow(int ip) {
        return allow(ip, System.nanoTime());
    }

    /** True if a request from {@code ip} at {@code nowNanos} is within its rate, and takes a token. */
    public synchronized boolean allow(int ip, long nowNanos) {
        Bucket b = buckets.get(ip);
        if (b == null) {
            if (buckets.size() >= MAX_SOURCES) {
                buckets.values().removeIf(x -> tokens(x, nowNanos) >= full);
                if (buckets.size() >= MAX_SOURCES) return false;
            }
            b = new Bucket();
            b.last = nowNanos;
            b.tokens = full;
            buckets.put(ip, b);
        }
        b.tokens = tokens(b, nowNanos);
        b.last = Math.max(b.last, nowNanos);
        if (b.tokens < 1) return false;
        b.tokens -= 1;
        return true;
    }

    private double tokens(Bucket b, long now) {
        return Math.min(full, b.tokens + Math.max(0, now - b.last) * perNano);
    }

    public synchronized int tracked() {
        return buckets.size();
    }
}
