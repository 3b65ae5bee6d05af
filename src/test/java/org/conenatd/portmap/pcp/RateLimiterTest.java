package org.conenatd.portmap.pcp;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class RateLimiterTest {
    static final long S = 1_000_000_000L;

    @Test
    void aBurstOfTheRateThenOneEveryTwentiethOfASecond() {
        RateLimiter l = new RateLimiter(20);
        for (int i = 0; i < 20; i++) assertTrue(l.allow(1, 0), "burst " + i);
        assertFalse(l.allow(1, 0));
        assertFalse(l.allow(1, S / 20 - 1));
        assertTrue(l.allow(1, S / 20 + 1));
        assertTrue(l.allow(2, 0), "another source has its own bucket");
    }

    @Test
    void idleBucketsMakeRoomAndBusyOnesDoNot() {
        RateLimiter l = new RateLimiter(20);
        for (int i = 0; i < RateLimiter.MAX_SOURCES; i++) assertTrue(l.allow(i, 0));
        assertFalse(l.allow(-1, 0), "table full of buckets that are not full again");
        assertTrue(l.allow(-1, 2 * S), "after a second they are, and are forgotten");
        assertEquals(1, l.tracked());
    }
}
