package org.conenatd.nat;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * nat-port -> LAN endpoint, counted per live flow.
 *
 * <p>The kernel keeps only reply tuples unique, so one nat-port can carry flows of several LAN
 * endpoints (toward different peers). Each (nat-port, endpoint) pair is a slot with its own flow
 * count; the endpoint that receives unsolicited traffic is the oldest slot still alive, published
 * per port for the packet path. Slots live in primitive arrays (a pool with per-port chains), so
 * the table costs no object per mapping.
 *
 * <p>One writer thread mutates; any thread may call {@link #lookup}.
 */
public final class MappingTable {
    /** {@link #lookup} result for an unmapped port. */
    public static final long NONE = -1L;

    public enum Change {
        /** First flow of the port: the port is now mapped to this endpoint. */
        MAPPED,
        /** Another flow of an endpoint the port already has. */
        REFRESHED,
        /** A second endpoint on a mapped port; the published endpoint stays the older one. */
        CONFLICT,
        /** A flow ended; its endpoint still has others. */
        RELEASED,
        /** The last flow of an endpoint ended and another endpoint of the port now receives. */
        MOVED,
        /** The last flow of the port ended: the port is unmapped. */
        UNMAPPED,
        /** A flow ended that the table never counted (e.g. it started before we did). */
        UNKNOWN
    }

    private final AtomicLongArray published = new AtomicLongArray(65536);
    private final int[] head = new int[65536];
    private long[] slotEndpoint;
    private int[] slotFlows;
    private int[] slotNext;
    private int freeSlot = -1;
    private int usedSlots;
    private int mappedPorts;

    public MappingTable() {
        Arrays.fill(head, -1);
        for (int i = 0; i < 65536; i++) published.setPlain(i, NONE);
        grow(1024);
    }

    public static long endpoint(int ip, int port) {
        return (Integer.toUnsignedLong(ip) << 16) | (port & 0xffff);
    }

    public static int ip(long endpoint) { return (int) (endpoint >>> 16); }
    public static int port(long endpoint) { return (int) (endpoint & 0xffff); }

    /** The endpoint that receives unsolicited traffic to {@code natPort}, or {@link #NONE}. */
    public long lookup(int natPort) {
        return published.getAcquire(natPort & 0xffff);
    }

    public int mappedPorts() { return mappedPorts; }
    public int slots() { return usedSlots; }

    /** Live flows counted for {@code endpoint} on {@code natPort}. */
    public int flows(int natPort, long endpoint) {
        int s = find(natPort, endpoint);
        return s < 0 ? 0 : slotFlows[s];
    }

    /** Endpoints (oldest first) with live flows on {@code natPort}. */
    public long[] endpoints(int natPort) {
        int n = 0;
        for (int s = head[natPort]; s >= 0; s = slotNext[s]) n++;
        long[] out = new long[n];
        int i = 0;
        for (int s = head[natPort]; s >= 0; s = slotNext[s]) out[i++] = slotEndpoint[s];
        return out; // chains are kept oldest-first
    }

    public Change addFlow(int natPort, int lanIp, int lanPort) {
        natPort &= 0xffff;
        long ep = endpoint(lanIp, lanPort);
        int s = find(natPort, ep);
        if (s >= 0) {
            slotFlows[s]++;
            return Change.REFRESHED;
        }
        s = allocate(ep);
        boolean first = head[natPort] < 0;
        append(natPort, s);
        if (first) {
            mappedPorts++;
            published.setRelease(natPort, ep);
            return Change.MAPPED;
        }
        return Change.CONFLICT;
    }

    public Change removeFlow(int natPort, int lanIp, int lanPort) {
        natPort &= 0xffff;
        long ep = endpoint(lanIp, lanPort);
        int prev = -1;
        for (int s = head[natPort]; s >= 0; prev = s, s = slotNext[s]) {
            if (slotEndpoint[s] != ep) continue;
            if (--slotFlows[s] > 0) return Change.RELEASED;
            int next = slotNext[s];
            if (prev < 0) head[natPort] = next; else slotNext[prev] = next;
            release(s);
            if (head[natPort] < 0) {
                mappedPorts--;
                published.setRelease(natPort, NONE);
                return Change.UNMAPPED;
            }
            long winner = slotEndpoint[head[natPort]];
            if (published.getPlain(natPort) != winner) {
                published.setRelease(natPort, winner);
                return Change.MOVED;
            }
            return Change.RELEASED;
        }
        return Change.UNKNOWN;
    }

    /** Forgets everything (used before rebuilding from a table dump). */
    public void clear() {
        for (int p = 0; p < 65536; p++) {
            if (head[p] >= 0) {
                for (int s = head[p]; s >= 0; ) {
                    int n = slotNext[s];
                    release(s);
                    s = n;
                }
                head[p] = -1;
                published.setRelease(p, NONE);
            }
        }
        mappedPorts = 0;
    }

    private int find(int natPort, long ep) {
        for (int s = head[natPort & 0xffff]; s >= 0; s = slotNext[s]) {
            if (slotEndpoint[s] == ep) return s;
        }
        return -1;
    }

    private void append(int natPort, int s) {
        // Chains stay in arrival order, so the head is always the oldest live endpoint.
        if (head[natPort] < 0) {
            head[natPort] = s;
            return;
        }
        int t = head[natPort];
        while (slotNext[t] >= 0) t = slotNext[t];
        slotNext[t] = s;
    }

    private int allocate(long ep) {
        if (freeSlot < 0) grow(slotEndpoint.length * 2);
        int s = freeSlot;
        freeSlot = slotNext[s];
        slotEndpoint[s] = ep;
        slotFlows[s] = 1;
        slotNext[s] = -1;
        usedSlots++;
        return s;
    }

    private void release(int s) {
        slotFlows[s] = 0;
        slotNext[s] = freeSlot;
        freeSlot = s;
        usedSlots--;
    }

    private void grow(int capacity) {
        int old = slotEndpoint == null ? 0 : slotEndpoint.length;
        slotEndpoint = slotEndpoint == null ? new long[capacity] : Arrays.copyOf(slotEndpoint, capacity);
        slotFlows = slotFlows == null ? new int[capacity] : Arrays.copyOf(slotFlows, capacity);
        slotNext = slotNext == null ? new int[capacity] : Arrays.copyOf(slotNext, capacity);
        for (int i = capacity - 1; i >= old; i--) {
            slotNext[i] = freeSlot;
            freeSlot = i;
        }
    }
}
