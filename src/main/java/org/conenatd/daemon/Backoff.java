package org.conenatd.daemon;

/** Waits that double after each consecutive failure, up to a cap, so a failing loop never spins. */
final class Backoff {
    private final long firstMs, maxMs;
    private long nextMs;

    Backoff(long firstMs, long maxMs) {
        this.firstMs = firstMs;
        this.maxMs = maxMs;
        this.nextMs = firstMs;
    }

    /** The wait the next {@link #sleep} will take. */
    long peek() { return nextMs; }

    void reset() { nextMs = firstMs; }

    void sleep() {
        long ms = nextMs;
        nextMs = Math.min(maxMs, nextMs * 2);
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
