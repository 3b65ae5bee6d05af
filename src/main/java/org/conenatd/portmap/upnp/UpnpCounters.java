package org.conenatd.portmap.upnp;

import org.conenatd.ops.Counters;

import java.util.concurrent.atomic.LongAdder;

/**
 * What the UPnP IGD did, for the stats file and /metrics ({@link #registerIn}). A refusal is an
 * AddPortMapping, AddAnyPortMapping or DeletePortMapping answered with a fault; the HTTP-level
 * rejections (rate limit, size, non-LAN peer) are counted apart, before any action is read.
 */
public final class UpnpCounters {
    final LongAdder requests = new LongAdder();
    final LongAdder grants = new LongAdder();
    final LongAdder deletions = new LongAdder();
    final LongAdder refusals = new LongAdder();
    final LongAdder faults = new LongAdder();
    final LongAdder rateLimited = new LongAdder();
    final LongAdder tooLarge = new LongAdder();
    final LongAdder forbidden = new LongAdder();
    final LongAdder shed = new LongAdder();
    final LongAdder timedOut = new LongAdder();
    final LongAdder ssdpSearches = new LongAdder();
    final LongAdder ssdpSent = new LongAdder();
    final LongAdder ssdpIgnored = new LongAdder();

    /** HTTP requests received (descriptions and control). */
    public long requests() { return requests.sum(); }
    /** Mappings granted (AddPortMapping, AddAnyPortMapping; a renewal counts). */
    public long grants() { return grants.sum(); }
    public long deletions() { return deletions.sum(); }
    /** Mapping requests and deletions refused with a fault. */
    public long refusals() { return refusals.sum(); }
    /** Every SOAP fault sent, refusals included (713 at the end of a listing too). */
    public long faults() { return faults.sum(); }
    /** Requests answered 503 because their source was over the per-second limit. */
    public long rateLimited() { return rateLimited.sum(); }
    /** Requests answered 413 (body) or 431 (headers). */
    public long tooLarge() { return tooLarge.sum(); }
    /** Requests answered 403: peer outside the LAN subnets, or a Host that is not the address asked. */
    public long forbidden() { return forbidden.sum(); }
    /** Connections closed unread because every worker was busy and the queue full. */
    public long shed() { return shed.sum(); }
    /** Exchanges cut off (socket closed) for taking longer than the request timeout. */
    public long timedOut() { return timedOut.sum(); }
    public long ssdpSearches() { return ssdpSearches.sum(); }
    /** SSDP datagrams sent: search replies and NOTIFYs. */
    public long ssdpSent() { return ssdpSent.sum(); }
    /** SSDP datagrams dropped: not from a LAN subnet, not an M-SEARCH, or over the rate limit. */
    public long ssdpIgnored() { return ssdpIgnored.sum(); }

    public void registerIn(Counters c) {
        c.counter("upnp_requests", "UPnP IGD HTTP requests received.", this::requests);
        c.counter("upnp_grants", "UPnP port mappings granted (renewals included).", this::grants);
        c.counter("upnp_deletions", "UPnP port mappings deleted by DeletePortMapping.", this::deletions);
        c.counter("upnp_refusals", "UPnP mapping or deletion requests refused with a fault.", this::refusals);
        c.counter("upnp_faults", "UPnP SOAP faults sent.", this::faults);
        c.counter("upnp_rate_limited", "UPnP HTTP requests answered 503 (per-source rate limit).", this::rateLimited);
        c.counter("upnp_too_large", "UPnP HTTP requests answered 413/431 (body or headers too large).", this::tooLarge);
        c.counter("upnp_forbidden", "UPnP HTTP requests answered 403 (not from a LAN subnet, or bad Host).", this::forbidden);
        c.counter("upnp_shed", "UPnP HTTP connections closed unread (all workers busy).", this::shed);
        c.counter("upnp_timed_out", "UPnP HTTP exchanges cut off by the request timeout.", this::timedOut);
        c.counter("upnp_ssdp_searches", "SSDP M-SEARCH requests answered.", this::ssdpSearches);
        c.counter("upnp_ssdp_sent", "SSDP datagrams sent (search replies and NOTIFYs).", this::ssdpSent);
        c.counter("upnp_ssdp_ignored", "SSDP datagrams ignored (not from the LAN, not M-SEARCH, rate limit).", this::ssdpIgnored);
    }
}
