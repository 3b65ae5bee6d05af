package org.conenatd.nat;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * (protocol, nat-port) -> LAN endpoint, counted per live flow.
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

    // one row of 65536 ports per protocol: index = protocol ordinal << 16 | port
    private static final int PORTS = 65536;
    private static final int ROWS = Protocol.count() * PORTS;
    private final AtomicLongArray published = new AtomicLongArray(ROWS);
    private final int[] head = new int[ROWS];
    private final int[] mappedPerProtocol = new int[Protocol.count()];
    private long[] slotEndpoint;
    private long[] slotSince; // System.nanoTime() the slot began: the mapping's age in listings
    private int[] slotFlows;
    private int[] slotNext;
    private int freeSlot = -1;
    private int usedSlots;
    private int mappedPorts;

    public MappingTable() {
        Arrays.fill(head, -1);
        for (int i = 0; i < ROWS; i++) published.setPlain(i, Endpoint.NONE);
        grow(1024);
    }

    private static int row(Protocol p, int natPort) {
        return p.ordinal() << 16 | (natPort & 0xffff);
    }

    /** The endpoint that receives unsolicited traffic to {@code natPort}, or {@link Endpoint#NONE}. */
    public long lookup(Protocol p, int natPort) {
        return published.getAcquire(row(p, natPort));
    }

    /** Mapped ports of all protocols. */
    public int mappedPorts() { return mappedPorts; }
    public int mappedPorts(Protocol p) { return mappedPerProtocol[p.ordinal()]; }
    /** (port, endpoint) pairs with live flows. */
    public int slots() { return usedSlots; }

    /** Live flows counted for {@code endpoint} on {@code natPort}. */
    public int flows(Protocol p, int natPort, long endpoint) {
        int s = find(row(p, natPort), endpoint);
        return s < 0 ? 0 : slotFlows[s];
    }

    /** Endpoints (oldest first) with live flows on {@code natPort}. */
    public long[] endpoints(Protocol p, int natPort) {
        int r = row(p, natPort);
        int n = 0;
        for (int s = head[r]; s >= 0; s = slotNext[s]) n++;
        long[] out = new long[n];
        int i = 0;
        for (int s = head[r]; s >= 0; s = slotNext[s]) out[i++] = slotEndpoint[s];
        return out; // chains are kept oldest-first
    }

    /** Visits every mapped port with the endpoint that receives on it (for listings and adoption). */
    public interface PortVisitor {
        void visit(Protocol p, int natPort, long receiver);
    }

    /** Visits one (port, endpoint) pair with live flows. */
    public interface SlotVisitor {
        /** {@code receives}: this endpoint gets unsolicited traffic (the oldest of the port). */
        void visit(Protocol p, int natPort, long endpoint, int flows, long sinceNanos, boolean receives);
    }

    /** Every (port, endpoint) pair, ports in order, oldest endpoint first; from the writer thread or under its lock. */
    public void forEachSlot(SlotVisitor v) {
        for (int r = 0; r < ROWS; r++) {
            boolean first = true;
            for (int s = head[r]; s >= 0; s = slotNext[s]) {
                v.visit(Protocol.byOrdinal(r >>> 16), r & 0xffff, slotEndpoint[s], slotFlows[s], slotSince[s], first);
                first = false;
            }
        }
    }

    /** Walks all rows; call from the writer thread (or accept a racy snapshot). */
    public void forEachMapped(PortVisitor v) {
        for (int r = 0; r < ROWS; r++) {
            if (head[r] >= 0) v.visit(Protocol.byOrdinal(r >>> 16), r & 0xffff, published.getPlain(r));
        }
    }

    public Change addFlow(Protocol p, int natPort, long ep) {
        int natRow = row(p, natPort);
        int s = find(natRow, ep);
        if (s >= 0) {
            slotFlows[s]++;
            return Change.REFRESHED;
        }
        s = allocate(ep);
        boolean first = head[natRow] < 0;
        append(natRow, s);
        if (first) {
            mappedPorts++;
            mappedPerProtocol[p.ordinal()]++;
            published.setRelease(natRow, ep);
            return Change.MAPPED;
        }
        return Change.CONFLICT;
    }

    public Change removeFlow(Protocol p, int natPort, long ep) {
        int natRow = row(p, natPort);
        int prev = -1;
        for (int s = head[natRow]; s >= 0; prev = s, s = slotNext[s]) {
            if (slotEndpoint[s] != ep) continue;
            if (--slotFlows[s] > 0) return Change.RELEASED;
            int next = slotNext[s];
            if (prev < 0) head[natRow] = next; else slotNext[prev] = next;
            release(s);
            if (head[natRow] < 0) {
                mappedPorts--;
                mappedPerProtocol[p.ordinal()]--;
                published.setRelease(natRow, Endpoint.NONE);
                return Change.UNMAPPED;
            }
            long winner = slotEndpoint[head[natRow]];
            if (published.getPlain(natRow) != winner) {
                published.setRelease(natRow, winner);
                return Change.MOVED;
            }
            return Change.RELEASED;
        }
        return Change.UNKNOWN;
    }

    /** Forgets everything (used before rebuilding from a table dump). */
    public void clear() {
        for (int r = 0; r < ROWS; r++) {
            if (head[r] >= 0) {
                for (int s = head[r]; s >= 0; ) {
                    int n = slotNext[s];
                    release(s);
                    s = n;
                }
                head[r] = -1;
                published.setRelease(r, Endpoint.NONE);
            }
        }
        mappedPorts = 0;
        java.util.Arrays.fill(mappedPerProtocol, 0);
    }

    private int find(int natRow, long ep) {
        for (int s = head[natRow]; s >= 0; s = slotNext[s]) {
            if (slotEndpoint[s] == ep) return s;
        }
        return -1;
    }

    private void append(int natRow, int s) {
        // Chains stay in arrival order, so the head is always the oldest live endpoint.
        if (head[natRow] < 0) {
            head[natRow] = s;
            return;
        }
        int t = head[natRow];
        while (slotNext[t] >= 0) t = slotNext[t];
        slotNext[t] = s;
    }

    private int allocate(long ep) {
        if (freeSlot < 0) grow(slotEndpoint.length * 2);
        int s = freeSlot;
        freeSlot = slotNext[s];
        slotEndpoint[s] = ep;
        slotSince[s] = System.nanoTime();
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
        slotSince = slotSince == null ? new long[capacity] : Arrays.copyOf(slotSince, capacity);
        slotFlows = slotFlows == null ? new int[capacity] : Arrays.copyOf(slotFlows, capacity);
        slotNext = slotNext == null ? new int[capacity] : Arrays.copyOf(slotNext, capacity);
        for (int i = capacity - 1; i >= old; i--) {
            slotNext[i] = freeSlot;
            freeSlot = i;
        }
    }
}
