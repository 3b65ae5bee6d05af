package org.conenatd.portmap.upnp;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class RateLimiterTest {
    static final long S = 1_000_000_000L;

    @Test
    void burstThenRatePerSource() {
        RateLimiter r = new RateLimiter(2, 5);
        for (int i = 0; i < 5; i++) assertTrue(r.allow(1, 10), "burst " + i);
        assertFalse(r.allow(1, 10));
        assertTrue(r.allow(2, 10), "another source has its own bucket");
        assertFalse(r.allow(1, 10 + S / 2 - 1000));
        assertTrue(r.allow(1, 10 + S / 2 + 1000), "one token back after half a second at 2/s");
        assertFalse(r.allow(1, 10 + S / 2 + 2000));
        for (int i = 0; i < 5; i++) assertTrue(r.allow(1, 100 * S), "full again after a long quiet: " + i);
        assertFalse(r.allow(1, 100 * S));
    }

    @Test
    void aClockGoingBackDoesNotMint() {
        RateLimiter r = new RateLimiter(1, 1);
        assertTrue(r.allow(7, 5 * S));
        assertFalse(r.allow(7, 0));
    }

    @Test
    void quietSourcesArePruned() {
        RateLimiter r = new RateLimiter(1, 1);
        for (int ip = 0; ip < 4096; ip++) r.allow(ip, 0);
        assertEquals(4096, r.tracked());
        r.allow(-1, 2 * S);
        assertEquals(1, r.tracked());
    }
}
