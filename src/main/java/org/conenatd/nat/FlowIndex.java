package org.conenatd.nat;

import java.util.Arrays;

/**
 * Live mapping flows: flow key -> packed (nat-port, LAN endpoint), an open-addressing hash of
 * primitive longs. It lets the daemon count each flow exactly once, however often the same flow
 * shows up through events and table dumps.
 *
 * <p>The key is the reply tuple's peer address, peer port and nat-port ({@link #key}): the kernel
 * keeps reply tuples unique, so it names one live flow. (Conntrack ids are not enough: they are 32
 * bits of a hash, and among 50,000 flows two collide about one time in four.) Key 0 is reserved:
 * no mapping flow has nat-port 0.
 */
public final class FlowIndex {
    private static final long EMPTY = 0L;
    private long[] keys;
    private long[] values;
    private int size;
    private int mask;

    public FlowIndex() {
        this(1024);
    }

    public FlowIndex(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        values = new long[cap];
        Arrays.fill(keys, EMPTY);
        mask = cap - 1;
    }

    public static long key(int peerIp, int peerPort, int natPort) {
        return (Integer.toUnsignedLong(peerIp) << 32) | ((long) (peerPort & 0xffff) << 16) | (natPort & 0xffff);
    }

    public static long pack(int natPort, long endpoint) {
        return ((long) (natPort & 0xffff) << 48) | endpoint;
    }

    public static int natPort(long packed) { return (int) (packed >>> 48); }
    public static long endpoint(long packed) { return packed & 0xffff_ffff_ffffL; }

    public int size() { return size; }

    public boolean contains(long key) {
        return slot(key) >= 0;
    }

    /** The value for {@code key}, or -1. */
    public long get(long key) {
        int s = slot(key);
        return s < 0 ? -1 : values[s];
    }

    /** Inserts; returns false (and changes nothing) if the key is already present. */
    public boolean add(long k, long value) {
        if (k == EMPTY) throw new IllegalArgumentException("key 0 is reserved");
        if ((size + 1) * 2 > keys.length) rehash(keys.length * 2);
        int i = hash(k) & mask;
        while (keys[i] != EMPTY) {
            if (keys[i] == k) return false;
            i = (i + 1) & mask;
        }
        keys[i] = k;
        values[i] = value;
        size++;
        return true;
    }

    /** Sets the value for {@code k}, present or not; returns the old value, or -1 if it was absent. */
    public long put(long k, long value) {
        int s = slot(k);
        if (s < 0) {
            add(k, value);
            return -1;
        }
        long old = values[s];
        values[s] = value;
        return old;
    }

    /** Removes and returns the value for {@code key}, or -1 if absent. */
    public long remove(long key) {
        int s = slot(key);
        if (s < 0) return -1;
        long v = values[s];
        // backward-shift deletion keeps probe chains intact without tombstones
        int hole = s;
        int i = (s + 1) & mask;
        while (keys[i] != EMPTY) {
            int home = hash(keys[i]) & mask;
            if (((i - home) & mask) >= ((i - hole) & mask)) {
                keys[hole] = keys[i];
                values[hole] = values[i];
                hole = i;
            }
            i = (i + 1) & mask;
        }
        keys[hole] = EMPTY;
        size--;
        return v;
    }

    public interface Visitor {
        void visit(long key, long value);
    }

    public void forEach(Visitor v) {
        for (int i = 0; i < keys.length; i++) if (keys[i] != EMPTY) v.visit(keys[i], values[i]);
    }

    public void clear() {
        Arrays.fill(keys, EMPTY);
        size = 0;
    }

    private int slot(long k) {
        int i = hash(k) & mask;
        while (keys[i] != EMPTY) {
            if (keys[i] == k) return i;
            i = (i + 1) & mask;
        }
        return -1;
    }

    private static int hash(long k) {
        long h = k * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }

    private void rehash(int cap) {
        long[] ok = keys, ov = values;
        keys = new long[cap];
        values = new long[cap];
        Arrays.fill(keys, EMPTY);
        mask = cap - 1;
        size = 0;
        for (int i = 0; i < ok.length; i++) if (ok[i] != EMPTY) add(ok[i], ov[i]);
    }
}
