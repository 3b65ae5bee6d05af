package org.conenatd.control;

import org.conenatd.nat.MappingSnapshot;
import org.conenatd.ops.Counters;

import java.util.List;

/** What the control socket may read of a running daemon; everything else stays out of its reach. */
public interface DaemonView {
    /** The data plane's name: "kernel" or "seed". */
    String mode();

    /** The plane's own summary (interface or nat-ip, queue, ...), as in the ready line. */
    String describe();

    long pid();

    long uptimeMillis();

    /** What the last resync found, or "never". */
    String lastResync();

    List<Counters.Sample> counters();

    /** What the plane says of LAN address {@code ip}'s limit ("limit 3 per protocol, 5 limit hits"), or null. */
    default String hostLimit(int ip) { return null; }

    /** How the plane's own nf_tables table is protected and restored ("ip conenatd, persist, restores 0"), or null. */
    default String table() { return null; }

    /** The mappings now (a consistent snapshot, taken with the tables' writers held briefly). */
    List<MappingSnapshot.Row> mappings();
}
