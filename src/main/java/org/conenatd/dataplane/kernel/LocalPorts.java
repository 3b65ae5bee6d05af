package org.conenatd.dataplane.kernel;

import org.conenatd.nat.Protocol;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;

/**
 * Ports the router's own sockets hold, per protocol, read from /proc/net/udp and /proc/net/tcp of
 * the daemon's network namespace and refreshed at most once a second: an allocation must not hand
 * a LAN endpoint a port the router itself uses.
 */
final class LocalPorts {
    private static final long REFRESH_NANOS = 1_000_000_000L;
    private final BitSet[] used = {new BitSet(65536), new BitSet(65536)};
    private long readAt = Long.MIN_VALUE / 2;

    boolean inUse(Protocol p, int port) {
        return used[p.ordinal()].get(port);
    }

    /** Re-reads the tables if the last read is older than a second. */
    void refresh(long now) {
        if (now - readAt < REFRESH_NANOS) return;
        readAt = now;
        read(Path.of("/proc/net/udp"), used[Protocol.UDP.ordinal()]);
        read(Path.of("/proc/net/tcp"), used[Protocol.TCP.ordinal()]);
    }

    /** Lines like "  0: 00000000:0035 00000000:0000 07 ...": the local port is the hex after the first colon pair. */
    static void read(Path table, BitSet into) {
        BitSet fresh = new BitSet(65536);
        try {
            for (String line : Files.readAllLines(table)) {
                String s = line.strip();
                int colon = s.indexOf(':');
                if (colon < 0 || !Character.isDigit(s.charAt(0))) continue; // the header
                String local = s.substring(colon + 1).strip();
                int sep = local.indexOf(':');
                int end = local.indexOf(' ');
                if (sep < 0 || end < sep) continue;
                fresh.set(Integer.parseInt(local.substring(sep + 1, end), 16));
            }
        } catch (IOException | RuntimeException e) {
            return; // unreadable: keep what we knew
        }
        into.clear();
        into.or(fresh);
    }
}
