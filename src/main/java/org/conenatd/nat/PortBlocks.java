package org.conenatd.nat;

import java.util.function.IntPredicate;

/**
 * Port blocks (RFC 6888 REQ-14, the idea of RFC 7422) for a {@link PortAllocator}: a host gets
 * blocks of n consecutive ports on its address, up to a number of blocks, and its endpoints are
 * allocated inside them, its own source port where it can; a block goes back when its last mapping
 * does. Block b of address i is ports {@code first + b*n .. first + b*n + n-1}; a partial block at
 * the end of the range is never handed out. Memory follows the blocks held. Not thread-safe.
 */
final class PortBlocks {
    private final int first, last, size, maxBlocks, perAddress;
    private final FlowIndex use = new FlowIndex(16);         // block id + 1 -> (mappings << 32) | host
    // a host's blocks, a chain through two primitive indexes (nothing boxed, nothing allocated)
    private final FlowIndex head = new FlowIndex(16);        // host + 1 -> its newest block id
    private final FlowIndex next = new FlowIndex(16);        // block id + 1 -> the host's next block id + 1, 0 at the end
    private final int[] cursor;
    PortAllocator.BlockListener listener = (given, host, index, from, to) -> { };

    PortBlocks(int first, int last, int addresses, int size, int maxBlocks) {
        this.first = first;
        this.last = last;
        this.size = size;
        this.maxBlocks = maxBlocks;
        this.perAddress = (last - first + 1) / size;
        this.cursor = new int[addresses];
    }

    int size() { return size; }
    int held() { return use.size(); }

    /** The id of the block of {@code external}, or -1 if it is in none. */
    private long blockOf(int external) {
        int port = External.port(external);
        if (port < first || port > last) return -1;
        int b = (port - first) / size;
        return b >= perAddress ? -1 : (long) External.index(external) * perAddress + b;
    }

    private int index(long block) { return (int) (block / perAddress); }
    private int from(long block) { return first + (int) (block % perAddress) * size; }

    /** The host's blocks, as {@link External}s of their first ports, oldest first. */
    int[] of(int host) {
        int n = count(host);
        int[] out = new int[n];
        for (long b = first(host); b >= 0; b = after(b)) out[--n] = External.of(index(b), from(b));
        return out;
    }

    private static long hostKey(int host) { return Integer.toUnsignedLong(host) + 1; }

    /** The host's newest block, or -1. */
    private long first(int host) { return head.get(hostKey(host)); }

    /** The block after {@code b} in its host's chain, or -1. */
    private long after(long b) { return next.get(b + 1) - 1; }

    private int count(int host) {
        int n = 0;
        for (long b = first(host); b >= 0; b = after(b)) n++;
        return n;
    }

    private int freeIn(long block, IntPredicate free) {
        int i = index(block), p0 = from(block);
        for (int p = p0; p < p0 + size; p++) if (free.test(External.of(i, p))) return External.of(i, p);
        return PortAllocator.EXHAUSTED;
    }

    /**
     * An external for the endpoint on address {@code index}, inside the host's blocks, claiming a
     * new block if it has room for one: the endpoint's own port where that port is free in one of
     * its blocks or in a block nobody holds. {@link PortAllocator#BLOCKS_FULL} or
     * {@link PortAllocator#EXHAUSTED} if there is none.
     */
    int allocate(int index, long endpoint, IntPredicate free) {
        int host = Endpoint.ip(endpoint), wanted = External.of(index, Endpoint.port(endpoint));
        long wantedBlock = blockOf(wanted);
        int held = 0;
        for (long b = first(host); b >= 0; b = after(b), held++) if (b == wantedBlock && free.test(wanted)) return wanted;
        for (long b = first(host); b >= 0; b = after(b)) {
            int x = freeIn(b, free);
            if (x >= 0) return x;
        }
        if (maxBlocks > 0 && held >= maxBlocks) return PortAllocator.BLOCKS_FULL;
        long nb = wantedBlock >= 0 && !use.contains(wantedBlock + 1) && free.test(wanted) ? wantedBlock : -1;
        int x = nb >= 0 ? wanted : PortAllocator.EXHAUSTED;
        for (int i = 0; nb < 0 && i < perAddress; i++) {
            long b = (long) index * perAddress + cursor[index];
            cursor[index] = (cursor[index] + 1) % perAddress;
            if (use.contains(b + 1)) continue;
            x = freeIn(b, free);
            if (x >= 0) nb = b;
        }
        if (nb < 0) return PortAllocator.EXHAUSTED;
        claim(host, nb);
        return x;
    }

    /** A mapping found at restart: its block becomes its host's, unless another host holds it or it is in no block. */
    boolean adopt(int host, int external) {
        long b = blockOf(external);
        if (b < 0) return false;
        long v = use.get(b + 1);
        if (v >= 0) return (int) v == host;
        claim(host, b);
        return true;
    }

    private void claim(int host, long block) {
        use.put(block + 1, Integer.toUnsignedLong(host));
        next.put(block + 1, first(host) + 1);
        head.put(hostKey(host), block);
        listener.changed(true, host, index(block), from(block), from(block) + size - 1);
    }

    /** A mapping of {@code external} was taken (+1) or released (-1); a block's last release gives it back. */
    void used(int external, int delta) {
        long block = blockOf(external), v = use.get(block + 1);
        if (v < 0) return;
        long n = (v >>> 32) + delta;
        int host = (int) v;
        if (n > 0) {
            use.put(block + 1, n << 32 | Integer.toUnsignedLong(host));
            return;
        }
        use.remove(block + 1);
        long after = next.remove(block + 1) - 1; // unlink from the host's chain
        if (first(host) == block) {
            if (after >= 0) head.put(hostKey(host), after); else head.remove(hostKey(host));
        } else {
            for (long b = first(host); b >= 0; b = after(b)) {
                if (after(b) == block) {
                    next.put(b + 1, after + 1);
                    break;
                }
            }
        }
        listener.changed(false, host, index(block), from(block), from(block) + size - 1);
    }
}
