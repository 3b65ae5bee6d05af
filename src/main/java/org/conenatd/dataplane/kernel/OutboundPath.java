package org.conenatd.dataplane.kernel;

import org.conenatd.nat.Endpoint;
import org.conenatd.nat.Protocol;
import org.conenatd.netlink.BatchReceiver;
import org.conenatd.netlink.MessageReader;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.nfqueue.NfQueue;
import org.conenatd.nfqueue.QueuedPacket;
import org.conenatd.nfqueue.Verdict;
import org.conenatd.dataplane.QueueWorker;
import org.conenatd.ops.Log;
import org.conenatd.inet.Inet4;
import org.conenatd.packet.Ipv4Ports;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The queue thread of kernel mode: first packets of LAN endpoints that have no mapping yet. For a
 * whole batch it allocates the ports, commits all their map elements in one transaction, then
 * lets every packet go on with the mark bit cleared; the nat hook that follows finds the element
 * and the packet leaves from its endpoint's port. A packet that got no port (pool exhausted, or
 * nothing to map) goes on too, to the router's plain NAT: nothing is ever dropped here.
 */
final class OutboundPath extends QueueWorker {
    /** Up to this many first packets share one map transaction (one recvmmsg, one commit, one verdict send). */
    static final int BATCH = 256;
    private static final int SLOT_BYTES = 512; // headers only: the queue copies 128 bytes a packet

    private final NfQueue queue;
    private final Mappings mappings;
    private final int markBit;
    private final KernelPlaneCounters count;

    private final MemorySegment[] bufs = new MemorySegment[BATCH];
    private final BatchReceiver batch;
    private final MessageReader reader = new MessageReader();
    private final QueuedPacket pkt = new QueuedPacket();
    private final Ipv4Ports ports = new Ipv4Ports();
    private final int[] ids = new int[BATCH * 4], marks = new int[BATCH * 4];
    private final boolean[] drop = new boolean[BATCH * 4];
    private final boolean dropOnLimit;
    private final org.conenatd.nat.FlowIndex lastLine = new org.conenatd.nat.FlowIndex(); // host + 1 -> last limit line
    private int pending;

    OutboundPath(NfQueue queue, Mappings mappings, int markBit, boolean dropOnLimit, Log log, KernelPlaneCounters count) {
        super(log);
        this.dropOnLimit = dropOnLimit;
        this.queue = queue;
        this.mappings = mappings;
        this.markBit = markBit;
        this.count = count;
        Arena arena = Arena.ofAuto();
        for (int i = 0; i < BATCH; i++) bufs[i] = arena.allocate(SLOT_BYTES, 8);
        batch = new BatchReceiver(bufs);
    }


    /** Every packet of a failed batch goes on, unmarked: plain NAT rather than a stuck packet. */
    @Override
    protected void rescue() {
        try {
            for (int i = 0; i < pending; i++) {
                drop[i] = false;
                release(i);
            }
            queue.flushVerdicts();
        } catch (NetlinkException | RuntimeException e) {
            log.error("[!] queue: could not pass packets on: " + e);
        } finally {
            pending = 0;
        }
    }

    @Override
    protected void cycle() throws NetlinkException {
        pending = 0;
        int n = batch.receive(queue.transport());
        if (n <= 0) return;
        long now = System.nanoTime();
        mappings.lock.lock();
        try {
            for (int b = 0; b < n; b++) handleDatagram(bufs[b], batch.length(b), now);
        } finally {
            // the elements are in the kernel before any packet goes on; and a batch cut short by
            // an error still commits what it staged, so nothing staged outlives the lock
            mappings.commitStaged();
            mappings.lock.unlock();
        }
        for (int i = 0; i < pending; i++) release(i);
        pending = 0;
        queue.flushVerdicts();
    }

    private void handleDatagram(MemorySegment buf, int n, long now) throws NetlinkException {
        reader.wrap(buf, 0, n);
        while (reader.next()) {
            if (!QueuedPacket.isPacket(reader) || !pkt.decode(reader)) continue;
            count.queued.increment();
            if (pending == ids.length) { // more than one packet per datagram, never seen: let it go as it is
                queue.verdict(pkt.id(), Verdict.NF_ACCEPT, pkt.mark() & ~markBit, true, null, 0, 0);
                continue;
            }
            ids[pending] = pkt.id();
            marks[pending] = pkt.mark();
            drop[pending] = false;
            pending++;
            if (!pkt.hasPayload() || !ports.wrap(buf, pkt.payloadOffset(), pkt.payloadLength())) {
                count.notPorts.increment();
                continue;
            }
            Protocol p = Protocol.of(ports.protocol());
            if (p == null || !mappings.enabled(p)) continue;
            long ep = Endpoint.of(ports.srcAddr(), ports.srcPort());
            int got = mappings.mappingFor(p, ep, now);
            if (got >= 0) continue;
            drop[pending - 1] = dropOnLimit;
            if (dropOnLimit) count.dropped.increment();
            limitLine(p, got, now);
        }
    }

    /** A problem: logged even in quiet mode, but at most once a second per host (the counts say how often). */
    private void limitLine(Protocol p, int got, long now) {
        long key = Integer.toUnsignedLong(ports.srcAddr()) + 1;
        long last = lastLine.get(key);
        if (last != -1 && now - last < 1_000_000_000L) return;
        lastLine.put(key, now);
        String what = got == Mappings.HOST_LIMIT
                ? "at its limit of " + mappings.hosts.limit() + " " + p.label + " ports per host (" + count.hostLimitHits.sum() + " hits so far)"
                : "no free port in the pool (" + count.poolExhausted.sum() + " so far)";
        log.warn("[!] " + p.label + " " + Inet4.format(ports.srcAddr()) + ":" + ports.srcPort() + ": " + what
                + (dropOnLimit ? "; first packet dropped" : "; plain NAT for this flow"));
    }

    private void release(int i) throws NetlinkException {
        // Accept from the forward hook: the packet goes on to the nat hook, which now finds its element.
        queue.verdict(ids[i], drop[i] ? Verdict.NF_DROP : Verdict.NF_ACCEPT, marks[i] & ~markBit, true, null, 0, 0);
    }
}
