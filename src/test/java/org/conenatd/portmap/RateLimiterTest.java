package org.conenatd.portmap;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class RateLimiterTest {
    static final long S = 1_000_000_000L;

    @Test
    void aBurstThenTheRatePerSource() {
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
    void aBurstOfTheRateThenOneEveryTwentiethOfASecond() {
        RateLimiter l = new RateLimiter(20, 20);
        for (int i = 0; i < 20; i++) assertTrue(l.allow(1, 0), "burst " + i);
        assertFalse(l.allow(1, 0));
        assertFalse(l.allow(1, S / 20 - 1));
        assertTrue(l.allow(1, S / 20 + 1));
    }

    @Test
    void aClockGoingBackDoesNotMint() {
        RateLimiter r = new RateLimiter(1, 1);
        assertTrue(r.allow(7, 5 * S));
        assertFalse(r.allow(7, 0));
        assertFalse(r.allow(7, 5 * S + S / 2), "the refill counts from the latest time seen");
    }

    @Test
    void idleBucketsMakeRoomAndBusyOnesDoNot() {
        RateLimiter l = new RateLimiter(20, 20);
        for (int i = 0; i < RateLimiter.MAX_SOURCES; i++) assertTrue(l.allow(i, 0));
        assertFalse(l.allow(-1, 0), "table full of buckets that are not full again");
        assertTrue(l.allow(-1, 2 * S), "after a second they are, and are forgotten");
        assertEquals(1, l.tracked());
    }
}
