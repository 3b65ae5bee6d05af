package org.conenatd.nat;

import org.conenatd.inet.Inet4;

import java.util.Arrays;

/**
 * The external addresses and which LAN host uses which (paired pooling, RFC 4787 REQ-2, RFC 6888
 * REQ-2): every endpoint of a LAN address, of every protocol, gets the same external address
 * while the host has mappings; a new host goes to the least-used address. Shared by the
 * protocols' {@link PortAllocator}s. Without a pool there is one address, index 0, whose value
 * is 0: "the interface's own, whatever it is now".
 *
 * <p>Memory follows the hosts: one hash entry per LAN address with mappings. Not thread-safe.
 */
public final class AddressPool {
    private final int[] addresses;
    private final long[] used;   // mappings per address, all protocols
    private final int[] hosts;   // hosts paired per address
    private final FlowIndex paired = new FlowIndex(64); // LAN address + 1 -> (its mappings << 16) | index

    /** The interface's own address, whatever it is: no pool. */
    public static AddressPool single() {
        return new AddressPool(new int[] {0});
    }

    public AddressPool(int[] addresses) {
        if (addresses.length == 0 || addresses.length > 65536) throw new IllegalArgumentException("a pool holds 1 to 65536 addresses");
        // in ascending (unsigned) order, so that indexOf is a binary search: adoption asks it per element
        long[] sorted = new long[addresses.length];
        for (int i = 0; i < sorted.length; i++) sorted[i] = Integer.toUnsignedLong(addresses[i]);
        Arrays.sort(sorted);
        this.addresses = new int[sorted.length];
        for (int i = 0; i < sorted.length; i++) this.addresses[i] = (int) sorted[i];
        this.used = new long[addresses.length];
        this.hosts = new int[addresses.length];
    }

    public int size() { return addresses.length; }

    /** The address at {@code index} (0 for the interface's own, without a pool). */
    public int address(int index) { return addresses[index]; }

    /** Whether this is a real pool (addresses named by the operator). */
    public boolean pooled() { return addresses.length > 1 || addresses[0] != 0; }

    /** The index of {@code address}, or -1. */
    public int indexOf(int address) {
        int lo = 0, hi = addresses.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1, c = Integer.compareUnsigned(addresses[mid], address);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1; else hi = mid - 1;
        }
        return -1;
    }

    /** The index of the address LAN host {@code host} is paired with, or -1 while it has no mapping. */
    public int pairedIndex(int host) {
        long v = paired.get(key(host));
        return v < 0 ? -1 : (int) (v & 0xffff);
    }

    /** The index of the address host {@code host}'s mappings use: its pair, or the least used for a new host. */
    public int indexFor(int host) {
        int i = pairedIndex(host);
        return i >= 0 ? i : leastUsed();
    }

    /**
     * The address indices a new host may be paired with, least used first (mappings, then hosts,
     * then pool order).
     */
    public int[] byUse() {
        Integer[] order = new Integer[addresses.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> used[a] != used[b] ? Long.compare(used[a], used[b])
                : hosts[a] != hosts[b] ? Integer.compare(hosts[a], hosts[b]) : Integer.compare(a, b));
        int[] out = new int[order.length];
        for (int i = 0; i < out.length; i++) out[i] = order[i];
        return out;
    }

    /** The least-used address index (what {@link #byUse} puts first), without sorting. */
    public int leastUsed() {
        int best = 0;
        for (int i = 1; i < addresses.length; i++) {
            if (used[i] < used[best] || (used[i] == used[best] && hosts[i] < hosts[best])) best = i;
        }
        return best;
    }

    /** Host {@code host} took a mapping on address {@code index}; pairs it there if it was unpaired. */
    void took(int host, int index) {
        long k = key(host), v = paired.get(k);
        if (v >= 0 && (int) (v & 0xffff) != index) {
            throw new IllegalStateException(Inet4.format(host) + " is paired with " + Inet4.format(addresses[(int) (v & 0xffff)]));
        }
        if (v < 0) hosts[index]++;
        paired.put(k, ((v < 0 ? 0 : v >>> 16) + 1) << 16 | index);
        used[index]++;
    }

    /** Host {@code host} let a mapping go; unpaired with its last. */
    void released(int host) {
        long k = key(host), v = paired.get(k);
        if (v < 0) return;
        int index = (int) (v & 0xffff);
        long n = (v >>> 16) - 1;
        used[index]--;
        if (n > 0) paired.put(k, n << 16 | index);
        else {
            paired.remove(k);
            hosts[index]--;
        }
    }

    /** Mappings on address {@code index}, all protocols. */
    public long used(int index) { return used[index]; }

    /** LAN hosts paired with address {@code index}. */
    public int hosts(int index) { return hosts[index]; }

    private static long key(int host) { return Integer.toUnsignedLong(host) + 1; }

    /** "203.0.113.2", or "interface" for the interface's own address without a pool. */
    public String format(int index) {
        return addresses[index] == 0 && !pooled() ? "interface" : Inet4.format(addresses[index]);
    }
}
