package org.conenatd.nftables;

import org.conenatd.nftables.ForwardRules.Span;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.conenatd.nftables.NfTables.*;

/**
 * Sets of ports as sorted, disjoint, non-adjacent closed ranges {@code {lo0, hi0, lo1, hi1...}};
 * {@code null} stands for every port (no constraint), an empty array for none.
 */
final class PortRanges {
    private PortRanges() {}

    static final int MAX = 0xffff;

    /** [lo, hi], or none when lo > hi. */
    static int[] span(int lo, int hi) {
        return lo <= hi ? new int[] {lo, hi} : new int[0];
    }

    /** The union of {@code spans} (values outside 0..65535 clipped). */
    static int[] of(List<Span> spans) {
        List<int[]> s = new ArrayList<>();
        for (Span x : spans) {
            int lo = Math.max(0, x.lo()), hi = Math.min(MAX, x.hi());
            if (lo <= hi) s.add(new int[] {lo, hi});
        }
        s.sort(Comparator.comparingInt(r -> r[0]));
        int[] out = new int[2 * s.size()];
        int n = 0;
        for (int[] r : s) {
            if (n > 0 && r[0] <= out[n - 1] + 1) out[n - 1] = Math.max(out[n - 1], r[1]);
            else {
                out[n++] = r[0];
                out[n++] = r[1];
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** What both let through. */
    static int[] intersect(int[] a, int[] b) {
        if (a == null) return b;
        if (b == null) return a;
        int[] out = new int[a.length + b.length];
        int n = 0, i = 0, j = 0;
        while (i < a.length && j < b.length) {
            int lo = Math.max(a[i], b[j]), hi = Math.min(a[i + 1], b[j + 1]);
            if (lo <= hi) {
                out[n++] = lo;
                out[n++] = hi;
            }
            if (a[i + 1] < b[j + 1]) i += 2;
            else j += 2;
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /**
     * The ports {@code cmp <op> <2-byte port>} on a destination port lets through; null for what
     * one range cannot say ({@code !=}) or another data length.
     */
    static int[] compared(int op, byte[] data) {
        if (data.length != 2) return null;
        int p = ForwardRules.u16(data, 0);
        return switch (op) {
            case NFT_CMP_EQ -> span(p, p);
            case NFT_CMP_LT -> span(0, p - 1);
            case NFT_CMP_LTE -> span(0, p);
            case NFT_CMP_GT -> span(p + 1, MAX);
            case NFT_CMP_GTE -> span(p, MAX);
            default -> null;
        };
    }
}
