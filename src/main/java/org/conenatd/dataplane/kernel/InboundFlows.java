package org.conenatd.dataplane.kernel;

import org.conenatd.conntrack.Conntrack;
import org.conenatd.conntrack.FlowView;
import org.conenatd.conntrack.Status;
import org.conenatd.nat.Endpoint;
import org.conenatd.nat.FlowIndex;
import org.conenatd.nat.PortAllocator;
import org.conenatd.nat.Protocol;
import org.conenatd.netlink.NetlinkException;

/**
 * The live flows that came in through the maps. Their conntrack events are off (the inbound rule
 * sets {@code ct event set 0x0}: at high rates those events were most of the daemon's work), so
 * the daemon does not count them as they come and go; instead, when held mappings are due, it asks
 * conntrack once which of them still have such a flow.
 *
 * <p>A mapping kept by an inbound flow is looked at again every recheck interval; once its last
 * inbound flow is gone, it is held for the hold time like any other, so it still outlives its last
 * flow by the hold time (give or take one recheck interval).
 */
final class InboundFlows {
    /** Where live inbound flows come from: conntrack in the daemon, a script in tests. */
    interface Source {
        void forEach(Sink sink) throws NetlinkException;
    }

    interface Sink {
        /** A live flow from a peer to {@code natPort}, DNAT'd to {@code endpoint}. */
        void flow(Protocol p, int natPort, long endpoint);
    }

    private final Source source;
    private final int[][] seenIn = new int[Protocol.count()][65536]; // port -> the last round that saw a flow to it
    /**
     * Per protocol, (port, endpoint) pairs with a live flow at the last refresh: every endpoint of a
     * port counts (with a pool several endpoints share a port on their own addresses). A new index
     * per refresh, published whole: readers never see one being filled.
     */
    private volatile FlowIndex[] live = perProtocol();
    private final FlowIndex[] kept = perProtocol(); // the pairs an inbound flow keeps; mappings' lock
    private volatile int round;
    private volatile long refreshedAt = System.nanoTime() - Long.MAX_VALUE / 4;

    InboundFlows(Source source) {
        this.source = source;
    }

    /**
     * The entries conntrack DNAT'd and did not SNAT (an inbound peer to a local port): the kernel
     * filters by status, the protocol and the public port come from the original tuple, the LAN
     * endpoint is where the reply starts.
     */
    static Source of(Conntrack conntrack) {
        int dnat = Status.IPS_DST_NAT.mask, mask = dnat | Status.IPS_SRC_NAT.mask;
        return sink -> conntrack.dump(dnat, mask, f -> accept(f, sink));
    }

    /** Hands {@code f} to {@code sink} if it came in DNAT'd; checked here too, as a kernel before 6.0 ignores the status filter. */
    static void accept(FlowView f, Sink sink) {
        Protocol p = Protocol.of(f.origProto);
        if (p != null && f.has(Status.IPS_DST_NAT) && !f.has(Status.IPS_SRC_NAT)) {
            sink.flow(p, f.origDstPort, Endpoint.of(f.replySrc, f.replySrcPort));
        }
    }

    /**
     * Asks the source for what lives now; {@link #live} and {@link #seen} answer from this until the
     * next call. One caller at a time: the source's socket is not shared.
     */
    synchronized void refresh(long now) throws NetlinkException {
        int r = round + 1;
        FlowIndex[] next = perProtocol();
        source.forEach((p, port, ep) -> {
            next[p.ordinal()].put(key(port, ep), 1);
            seenIn[p.ordinal()][port] = r;
        });
        live = next;
        round = r;
        refreshedAt = now;
    }

    private static long key(int port, long endpoint) { return ((long) (port & 0xffff) << 48 | endpoint) + 1; }

    private static FlowIndex[] perProtocol() {
        FlowIndex[] a = new FlowIndex[Protocol.count()];
        for (int i = 0; i < a.length; i++) a[i] = new FlowIndex(64);
        return a;
    }

    private long lastWarning = System.nanoTime() - 120_000_000_000L;

    /**
     * {@link #refresh}, saying why not at most once a minute: no mapping expires until conntrack
     * answers. Called without the mappings' lock (a dump takes milliseconds; first packets must not wait).
     */
    boolean tryRefresh(long now, org.conenatd.ops.Log log) {
        try {
            refresh(now);
            return true;
        } catch (NetlinkException e) {
            if (now - lastWarning > 60_000_000_000L) {
                lastWarning = now;
                log.warn("[!] cannot ask conntrack for inbound flows: " + e.getMessage() + "; no mapping expires until it answers");
            }
            return false;
        }
    }

    /** When the last refresh ran (System.nanoTime()). */
    long refreshedAt() { return refreshedAt; }

    /** Whether the last refresh saw any DNAT'd flow to {@code port}, for whichever endpoint. */
    boolean seen(Protocol p, int port) {
        int r = round; // 0: never asked
        return r != 0 && seenIn[p.ordinal()][port] == r;
    }

    /** Visits each port the last refresh saw an inbound flow to, with its endpoint. */
    void forEachSeen(Sink sink) {
        if (round == 0) return;
        FlowIndex[] l = live;
        for (Protocol p : Protocol.values()) {
            l[p.ordinal()].forEach((k, v) -> sink.flow(p, (int) ((k - 1) >>> 48), (k - 1) & 0xffff_ffff_ffffL));
        }
    }

    /** Whether the last refresh saw a live inbound flow to {@code port} for {@code endpoint}. */
    boolean live(Protocol p, int port, long endpoint) {
        return round != 0 && live[p.ordinal()].contains(key(port, endpoint));
    }

    /**
     * Settles the due mappings of {@code a} (lock held) against the last refresh: one that still has
     * a live inbound flow is kept until {@code now + recheckNanos} ({@code onKept} hears of it the
     * first time); one whose last inbound flow has just gone is held for {@code holdNanos} from now.
     * The others stay due, for the caller to expire.
     */
    void holdWhileLive(Protocol p, PortAllocator a, long now, long recheckNanos, long holdNanos, PortAllocator.Expiry onKept) {
        FlowIndex k = kept[p.ordinal()];
        a.forEachDue(now, (x, ep) -> {
            long key = key(org.conenatd.nat.External.port(x), ep);
            if (live(p, org.conenatd.nat.External.port(x), ep)) {
                a.holdUntil(x, ep, now + recheckNanos);
                if (k.add(key, 1)) onKept.expired(x, ep); // the first time
            } else if (k.remove(key) >= 0) {
                a.holdUntil(x, ep, now + holdNanos); // its last inbound flow just went
            }
        });
    }

    /** Forgets that an inbound flow kept the mapping on {@code port}: outbound flows hold it now, or start its hold anew. */
    void forget(Protocol p, int port, long endpoint) {
        kept[p.ordinal()].remove(key(port, endpoint));
    }
}
