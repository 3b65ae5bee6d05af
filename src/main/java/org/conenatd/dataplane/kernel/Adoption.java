package org.conenatd.dataplane.kernel;

import org.conenatd.dataplane.MapWriter;
import org.conenatd.nat.Endpoint;
import org.conenatd.nat.FullConeNat;
import org.conenatd.nat.PortAllocator;
import org.conenatd.nat.Protocol;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.nftables.NftMap;
import org.conenatd.nftables.NftMaps;
import org.conenatd.nftables.SetElemView;
import org.conenatd.ops.Log;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a previous instance left, taken on so that a restart changes no live endpoint's port:
 * <ul>
 *   <li>its maps, when its table outlived it (a persistent table after {@code kill -9}): every
 *       consistent pair of elements becomes a mapping; the rest (half a pair, a port outside this
 *       instance's pool) is removed;</li>
 *   <li>its endpoints' live conntrack flows, when the table went with it (a clean stop, or an owned
 *       table the kernel deleted): each endpoint gets the port its flows hold, if the pool has it.</li>
 * </ul>
 */
final class Adoption {
    private Adoption() {}

    /** Elements per removal transaction: well inside the batch buffer. */
    private static final int CHUNK = 2048;

    /** Adopts one protocol's pairs; returns how many elements it removed. */
    static int fromMaps(NftMaps maps, MapWriter writer, NftMap out, NftMap in, PortAllocator a, long now, long holdNanos)
            throws NetlinkException {
        long[] inbound = new long[65536];
        Arrays.fill(inbound, Endpoint.NONE);
        maps.dump(in, (SetElemView e) -> inbound[e.keyPort] = Endpoint.of(e.dataAddr, e.dataPort));
        boolean[] adopted = new boolean[65536];
        List<long[]> strayOut = new ArrayList<>();
        maps.dump(out, (SetElemView e) -> {
            long ep = Endpoint.of(e.keyAddr, e.keyPort);
            int port = e.dataPort;
            if (inbound[port] == ep && a.adopt(ep, port, now, holdNanos)) adopted[port] = true;
            else strayOut.add(new long[] {ep});
        });
        int dropped = 0;
        for (long[] s : strayOut) {
            writer.entry();
            writer.remove(out, Endpoint.ip(s[0]), Endpoint.port(s[0]));
            if (++dropped % CHUNK == 0) writer.commit(Adoption::leftInPlace);
        }
        for (int port = 0; port < 65536; port++) {
            if (inbound[port] == Endpoint.NONE || adopted[port]) continue;
            writer.entry();
            writer.remove(in, 0, port);
            if (++dropped % CHUNK == 0) writer.commit(Adoption::leftInPlace);
        }
        writer.commit(Adoption::leftInPlace);
        return dropped;
    }

    /** A stray element the kernel would not remove sends a port no mapping has somewhere stale; nothing to undo. */
    private static void leftInPlace(int entry, NetlinkException e) { }

    /**
     * After the first resync: endpoints whose live flows hold a port that has no mapping get that
     * port as theirs; with {@code inboundAsked}, also those that only have flows that came in (their
     * events are off), from the last look at conntrack.
     */
    static void fromLiveFlows(Mappings m, FullConeNat nat, InboundFlows inbound, boolean inboundAsked, long now, Log log) {
        int[] n = new int[1];
        m.lock.lock();
        try {
            nat.table().forEachMapped((p, port, receiver) -> {
                if (adoptLive(m, nat, p, port, receiver, now)) n[0]++;
            });
            if (inboundAsked) inbound.forEachSeen((p, port, ep) -> {
                if (adoptLive(m, nat, p, port, ep, now)) n[0]++;
            });
            m.commitStaged();
            if (n[0] > 0) log.info("[*] adopted " + n[0] + " mappings from live conntrack flows");
        } finally {
            m.lock.unlock();
        }
    }

    /** Adopts a port a live flow holds for {@code ep} if the pool has it free (lock held). */
    private static boolean adoptLive(Mappings m, FullConeNat nat, Protocol p, int port, long ep, long now) {
        if (!m.enabled(p)) return false;
        PortAllocator a = m.allocator(p);
        if (ep == Endpoint.NONE || port < a.first() || port > a.last()) return false;
        if (a.ownerOf(port) != Endpoint.NONE || a.portOf(ep) >= 0) return false;
        if (!a.adopt(ep, port, now, m.holdNanos(p))) return false;
        if (nat.lookup(p, port) == ep) a.flowStarted(port, ep); // outbound flows: live; inbound only: held, checked at expiry
        m.stage(p, port, ep, false);
        return true;
    }
}
