package org.conenatd.dataplane.kernel;

import org.conenatd.dataplane.MapWriter;
import org.conenatd.nat.AddressPool;
import org.conenatd.nat.Endpoint;
import org.conenatd.nat.External;
import org.conenatd.nat.FlowIndex;
import org.conenatd.nat.FullConeNat;
import org.conenatd.nat.PortAllocator;
import org.conenatd.nat.Protocol;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.nftables.NftMap;
import org.conenatd.nftables.NftMaps;
import org.conenatd.nftables.SetElemView;
import org.conenatd.ops.Log;

import java.util.ArrayList;
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

    /** What {@link #fromKernel} did: elements removed, whether every protocol's maps were there, and whence. */
    record Adopted(int dropped, boolean whole, boolean fromJournal) {}

    /**
     * Takes on what a previous instance's table {@code found} holds (after {@code kill -9} it stays
     * in the kernel and keeps working): from the mapping journal when it names this table and this
     * configuration (no dump of the maps: the kernel's dump is quadratic in their size), else from
     * the maps themselves, adopting every consistent pair and removing the elements that must go (a
     * half pair, a port outside this instance's pool). Call before the queue runs.
     */
    static Adopted fromKernel(Mappings m, NftMaps.TableInfo found, long now) throws NetlinkException {
        KernelConfig cfg = m.cfg();
        if (m.journal != null && found.handle() != 0) {
            int[] refused = {0};
            long read = Journal.replay(m.journal.path(), new Journal.Header(found.handle(), Journal.fingerprint(cfg)), (add, p, x, ep) -> {
                if (!m.enabled(p)) return;
                PortAllocator a = m.allocator(p);
                if (!add) {
                    if (a.ownerOf(x) == ep) a.forget(x);
                } else if (!a.adopt(ep, x, now, m.holdNanos(p))) {
                    refused[0]++; // the journal never holds two mappings of one external or endpoint: a damaged file
                }
            });
            if (read >= 0) {
                for (Protocol p : cfg.protocols()) m.count().adopted.add(m.allocator(p).allocated());
                return new Adopted(refused[0], true, true);
            }
        }
        int dropped = 0;
        boolean whole = true;
        for (Protocol p : cfg.protocols()) {
            try {
                dropped += fromMaps(m.maps(), m.writer(), m.outMap(p), m.inMap(p), m.allocator(p), m.pool, now, m.holdNanos(p));
            } catch (NetlinkException e) {
                if (e.errno() != org.conenatd.sys.Errno.ENOENT) throw e;
                whole = false; // a table another configuration left: no maps of this protocol
            }
            m.count().adopted.add(m.allocator(p).allocated());
        }
        return new Adopted(dropped, whole, false);
    }

    /**
     * Adopts one protocol's pairs; returns how many elements it removed. The in map is read into a
     * hash of (external address . port) -> endpoint (a key per element, nothing per address), then
     * each out element is matched against it as it comes.
     */
    static int fromMaps(NftMaps maps, MapWriter writer, NftMap out, NftMap in, PortAllocator a, AddressPool pool, long now, long holdNanos)
            throws NetlinkException {
        FlowIndex inbound = new FlowIndex(4096);
        maps.dump(in, (SetElemView e) -> inbound.put(key(e.keyAddr, e.keyPort), Endpoint.of(e.dataAddr, e.dataPort)));
        List<long[]> strayOut = new ArrayList<>();
        int[] adopted = {0};
        maps.dump(out, (SetElemView e) -> {
            long ep = Endpoint.of(e.keyAddr, e.keyPort);
            long k = key(e.dataAddr, e.dataPort);
            int index = pool.indexOf(e.dataAddr); // an address no longer in the pool: its pair goes
            if (index >= 0 && inbound.get(k) == ep && a.adopt(ep, External.of(index, e.dataPort), now, holdNanos)) {
                inbound.put(k, ADOPTED);
                adopted[0]++;
            } else {
                strayOut.add(new long[] {ep});
            }
        });
        int dropped = 0;
        for (long[] s : strayOut) {
            writer.entry();
            writer.remove(out, Endpoint.ip(s[0]), Endpoint.port(s[0]));
            if (++dropped % CHUNK == 0) writer.commit(Adoption::leftInPlace);
        }
        if (inbound.size() > adopted[0]) {
            List<Long> strayIn = new ArrayList<>();
            inbound.forEach((k, v) -> {
                if (v != ADOPTED) strayIn.add(k);
            });
            for (long k : strayIn) {
                writer.entry();
                writer.remove(in, (int) ((k - 1) >>> 16), (int) ((k - 1) & 0xffff));
                if (++dropped % CHUNK == 0) writer.commit(Adoption::leftInPlace);
            }
        }
        writer.commit(Adoption::leftInPlace);
        return dropped;
    }

    /** An in element whose pair was adopted (no endpoint packs to this: its address would be 2^32). */
    private static final long ADOPTED = 1L << 48;

    private static long key(int addr, int port) {
        return ((Integer.toUnsignedLong(addr) << 16) | (port & 0xffff)) + 1;
    }

    /**
     * With a pool: every live SNAT'd flow's LAN endpoint -> its external address and port
     * ({@code addr << 16 | port}), per protocol, for {@link #fromLiveFlows} after a clean stop
     * (the maps went with the table; the flows still NAT to their addresses).
     */
    static FlowIndex[] outboundExternals(org.conenatd.conntrack.Conntrack conntrack) throws NetlinkException {
        FlowIndex[] out = new FlowIndex[Protocol.count()];
        for (int i = 0; i < out.length; i++) out[i] = new FlowIndex(256);
        int snat = org.conenatd.conntrack.Status.IPS_SRC_NAT.mask, mask = snat | org.conenatd.conntrack.Status.IPS_DST_NAT.mask;
        conntrack.dump(snat, mask, f -> {
            Protocol p = Protocol.of(f.origProto);
            if (p == null || !f.has(org.conenatd.conntrack.Status.IPS_SRC_NAT) || f.has(org.conenatd.conntrack.Status.IPS_DST_NAT)) return;
            out[p.ordinal()].put(Endpoint.of(f.origSrc, f.origSrcPort) + 1, Integer.toUnsignedLong(f.replyDst) << 16 | f.replyDstPort);
        });
        return out;
    }

    /** A stray element the kernel would not remove sends a port no mapping has somewhere stale; nothing to undo. */
    private static void leftInPlace(int entry, NetlinkException e) { }

    /**
     * After the first resync: endpoints whose live flows hold a port that has no mapping get that
     * port as theirs; with {@code inboundAsked}, also those that only have flows that came in (their
     * events are off), from the last look at conntrack.
     */
    static void fromLiveFlows(Mappings m, FullConeNat nat, InboundFlows inbound, boolean inboundAsked, FlowIndex[] externals,
                              long now, Log log) {
        int[] n = new int[1];
        m.lock.lock();
        try {
            // every (port, endpoint) pair, oldest first: with a pool, endpoints on several addresses share a port
            nat.table().forEachSlot((p, port, ep, flows, since, receives) -> {
                if (adoptLive(m, nat, p, port, ep, externals, now)) n[0]++;
            });
            if (inboundAsked) inbound.forEachSeen((p, port, ep) -> {
                if (adoptLive(m, nat, p, port, ep, externals, now)) n[0]++;
            });
            m.commitStaged();
            if (n[0] > 0) log.info("[*] adopted " + n[0] + " mappings from live conntrack flows");
        } finally {
            m.lock.unlock();
        }
    }

    /**
     * Adopts a port a live flow holds for {@code ep} if the pool has it free (lock held); with a
     * pool, on the address the flow's NAT uses ({@code externals}), if it is one of the pool's.
     */
    private static boolean adoptLive(Mappings m, FullConeNat nat, Protocol p, int port, long ep, FlowIndex[] externals, long now) {
        if (!m.enabled(p)) return false;
        PortAllocator a = m.allocator(p);
        if (ep == Endpoint.NONE || port < a.first() || port > a.last()) return false;
        int index = 0;
        if (m.pool.pooled()) {
            long v = externals == null ? -1 : externals[p.ordinal()].get(ep + 1);
            if (v < 0 || (v & 0xffff) != port) return false; // not NAT'd to this port of an address we know
            index = m.pool.indexOf((int) (v >>> 16));
            if (index < 0) return false; // plain NAT to another address
        }
        int x = External.of(index, port);
        if (a.ownerOf(x) != Endpoint.NONE || a.portOf(ep) >= 0) return false;
        if (!a.adopt(ep, x, now, m.holdNanos(p))) return false;
        if (nat.table().flows(p, port, ep) > 0) a.flowStarted(x, ep); // outbound flows: live; inbound only: held, checked at expiry
        m.stage(p, x, ep, false);
        return true;
    }
}
