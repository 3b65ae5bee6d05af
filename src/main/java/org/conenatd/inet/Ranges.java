package org.conenatd.inet;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Inclusive ranges of ports or addresses as flat arrays of (first, last) pairs, the form the
 * options and nftables' interval sets use: merged (an interval set refuses overlapping elements),
 * and written back the way an operator types them.
 */
public final class Ranges {
    private Ranges() {}

    /** The ranges sorted and merged (overlapping or adjacent ones become one): first, last, first, last... */
    public static long[] merge(List<long[]> ranges) {
        List<long[]> sorted = new ArrayList<>(ranges);
        sorted.sort(Comparator.comparingLong(r -> r[0]));
        List<long[]> merged = new ArrayList<>();
        for (long[] r : sorted) {
            if (!merged.isEmpty() && r[0] <= merged.getLast()[1] + 1) merged.getLast()[1] = Math.max(merged.getLast()[1], r[1]);
            else merged.add(r.clone());
        }
        long[] out = new long[merged.size() * 2];
        for (int i = 0; i < merged.size(); i++) {
            out[2 * i] = merged.get(i)[0];
            out[2 * i + 1] = merged.get(i)[1];
        }
        return out;
    }

    /** "53,5000-5010": each pair as first-last, or alone where first == last. */
    public static String format(int[] pairs) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            if (i > 0) sb.append(',');
            sb.append(pairs[i] == pairs[i + 1] ? String.valueOf(pairs[i]) : pairs[i] + "-" + pairs[i + 1]);
        }
        return sb.toString();
    }
}
