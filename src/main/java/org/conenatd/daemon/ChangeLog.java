package org.conenatd.daemon;

import org.conenatd.nat.Endpoint;
import org.conenatd.nat.MappingListener;
import org.conenatd.nat.MappingTable.Change;
import org.conenatd.nat.Protocol;
import org.conenatd.ops.Counters;
import org.conenatd.ops.Log;

import java.util.concurrent.atomic.LongAdder;

/**
 * One log line per mapping change, with protocol and addresses: {@code [+]} mapped, {@code [-]}
 * unmapped, {@code [!]} conflict, {@code [~]} another endpoint took over; flow-count changes in
 * debug mode only. Builds no string for the silent kinds, which are the common case under load.
 */
final class ChangeLog implements MappingListener {
    private final Log log;
    private final String publicAddress;
    private final LongAdder conflicts;
    private final boolean flowsAreMappings;

    /**
     * @param publicAddress    how the public side is named in lines: the nat-ip, or the WAN interface
     * @param flowsAreMappings false in kernel mode, where flows come and go under allocated
     *                         mappings: their lines are then debug lines
     */
    ChangeLog(Log log, String publicAddress, boolean flowsAreMappings, Counters counters) {
        this.log = log;
        this.publicAddress = publicAddress;
        this.flowsAreMappings = flowsAreMappings;
        this.conflicts = counters.counter("conflicts", "Second LAN endpoints seen on an already mapped port.");
    }

    @Override
    public void changed(Change c, Protocol p, int natPort, long endpoint, int flows, long receiver) {
        if (c == Change.CONFLICT) conflicts.increment();
        boolean quietKind = c == Change.REFRESHED || c == Change.RELEASED || c == Change.UNKNOWN || !flowsAreMappings;
        if (quietKind && !log.debugEnabled()) return;
        if (log.level() == Log.Level.QUIET && c != Change.CONFLICT) return;
        String pub = p.label + " " + publicAddress + ":" + natPort;
        String lan = Endpoint.format(endpoint);
        if (!flowsAreMappings) {
            log.debug("[.] " + pub + " -> " + lan + " " + c.name().toLowerCase() + ", flows " + flows);
            return;
        }
        switch (c) {
            case MAPPED -> log.info("[+] " + pub + " -> " + lan + " mapped");
            case UNMAPPED -> log.info("[-] " + pub + " -> " + lan + " unmapped (last flow gone)");
            case CONFLICT -> log.warn("[!] " + pub + " conflict: " + lan + " also uses it; "
                    + Endpoint.format(receiver) + " keeps receiving unsolicited traffic");
            case MOVED -> log.info("[~] " + pub + " -> " + Endpoint.format(receiver) + " now receives (" + lan + " gone)");
            case REFRESHED, RELEASED -> log.debug("[.] " + pub + " -> " + lan + " flows " + flows);
            case UNKNOWN -> log.debug("[.] " + pub + " -> " + lan + " flow ended that was never counted");
        }
    }
}
