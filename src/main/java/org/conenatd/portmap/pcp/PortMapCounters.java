package org.conenatd.portmap.pcp;

import org.conenatd.ops.Counters;

import java.util.concurrent.atomic.LongAdder;

/**
 * What the NAT-PMP/PCP server counts: written by its thread, read from any. Requests, grants,
 * deletions and refusals are per protocol; the rest are datagrams that got no answer, and why.
 */
public final class PortMapCounters {
    private final LongAdder[] requests = adders(), grants = adders(), deletions = adders(), refusals = adders();
    private final LongAdder dropped = new LongAdder(), rateLimited = new LongAdder(), offLink = new LongAdder(),
            errors = new LongAdder(), announcements = new LongAdder();

    private static LongAdder[] adders() {
        LongAdder[] a = new LongAdder[Dialect.values().length];
        for (int i = 0; i < a.length; i++) a[i] = new LongAdder();
        return a;
    }

    void count(PortMapResponder.Reply r) {
        if (r.dialect() == null) {
            dropped.increment();
            return;
        }
        int d = r.dialect().ordinal();
        requests[d].increment();
        switch (r.outcome()) {
            case GRANTED -> grants[d].increment();
            case DELETED -> deletions[d].increment();
            case REFUSED -> refusals[d].increment();
            case DROPPED -> dropped.increment();
            case ANSWERED -> { }
        }
    }

    void countRateLimited() { rateLimited.increment(); }

    void countOffLink() { offLink.increment(); }

    void countError() { errors.increment(); }

    void countAnnouncement() { announcements.increment(); }

    /** Datagrams of this protocol that passed the source checks and the rate limit. */
    public long requests(Dialect d) { return requests[d.ordinal()].sum(); }

    /** Mappings made or renewed. */
    public long grants(Dialect d) { return grants[d.ordinal()].sum(); }

    public long deletions(Dialect d) { return deletions[d.ordinal()].sum(); }

    /** Answers with an error result. */
    public long refusals(Dialect d) { return refusals[d.ordinal()].sum(); }

    /** Datagrams answered with silence as the RFCs ask (too short, responses, empty). */
    public long dropped() { return dropped.sum(); }

    /** Datagrams over a source's rate, dropped unread. */
    public long rateLimited() { return rateLimited.sum(); }

    /** Datagrams from outside the LAN addresses' subnets (the WAN side, or not IPv4), dropped unread. */
    public long offLink() { return offLink.sum(); }

    /** Failed receives and sends, and requests whose handling threw (answered with silence). */
    public long errors() { return errors.sum(); }

    /** Unsolicited announcement rounds sent (one per round, whatever the number of LAN addresses). */
    public long announcements() { return announcements.sum(); }

    /** Registers every counter in the daemon's registry, as {@code portmap_*}. */
    public void registerIn(Counters c) {
        for (Dialect d : Dialect.values()) {
            String p = "portmap_" + d.label + "_";
            c.counter(p + "requests", d.label + " requests", () -> requests(d));
            c.counter(p + "grants", d.label + " mappings made or renewed", () -> grants(d));
            c.counter(p + "deletions", d.label + " mappings deleted", () -> deletions(d));
            c.counter(p + "refusals", d.label + " requests answered with an error", () -> refusals(d));
        }
        c.counter("portmap_dropped", "NAT-PMP/PCP datagrams answered with silence", this::dropped);
        c.counter("portmap_rate_limited", "NAT-PMP/PCP datagrams over their source's rate", this::rateLimited);
        c.counter("portmap_off_link", "NAT-PMP/PCP datagrams from outside the LAN subnets", this::offLink);
        c.counter("portmap_errors", "NAT-PMP/PCP receive, send and handling errors", this::errors);
        c.counter("portmap_announcements", "NAT-PMP/PCP unsolicited announcement rounds", this::announcements);
    }
}
