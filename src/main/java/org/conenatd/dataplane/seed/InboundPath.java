package org.conenatd.dataplane.seed;

import org.conenatd.conntrack.Conntrack;
import org.conenatd.conntrack.DnatBatch;
import org.conenatd.dataplane.PlaneContext;
import org.conenatd.nat.Endpoint;
import org.conenatd.nat.FullConeNat;
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
import org.conenatd.packet.Ipv4UdpView;
import org.conenatd.sys.Errno;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The queue thread: first packets of unsolicited inbound flows.
 *
 * <p>It takes whatever the queue holds (up to {@link #BATCH} packets, one recvmmsg), adds one
 * conntrack creation per mapped packet to a {@link DnatBatch} sent in one go, then sends all
 * verdicts together. Buffers and rows are allocated once; the per-packet path allocates nothing
 * unless a log line is written.
 */
final class InboundPath extends QueueWorker {
    static final int BATCH = 64;
    private static final int SLOT_BYTES = 66 * 1024; // a whole 64 KiB packet plus netlink headers
    static final int ROWS = BATCH * 2;

    /** One packet waiting for its conntrack entry. */
    private static final class Row {
        int packetId, buf, len, peerIp, peerPort, natPort, create;
        long offset, target;
    }

    private final NfQueue queue;
    private final DnatBatch creates;
    private final FullConeNat nat;
    private final PlaneContext.EventBarrier events;
    private final int natIp;
    private final int fwmark;
    private final int ctTimeout;
    private final SeedCounters count;

    private final MemorySegment[] bufs = new MemorySegment[BATCH];
    private final BatchReceiver batch;
    private final MessageReader reader = new MessageReader();
    private final QueuedPacket pkt = new QueuedPacket();
    private final Ipv4UdpView view = new Ipv4UdpView();
    private final Row[] rows = new Row[ROWS];
    private int pending;      // rows in use this batch
    private int finished;     // rows that have their verdict
    private boolean caughtUp; // one event catch-up per batch is enough

    InboundPath(NfQueue queue, DnatBatch creates, FullConeNat nat, PlaneContext.EventBarrier events, int natIp,
                int fwmark, int ctTimeout, Log log, SeedCounters count) {
        super(log);
        if (creates.capacity() < ROWS) throw new IllegalArgumentException("creation batch smaller than " + ROWS);
        this.queue = queue;
        this.creates = creates;
        this.nat = nat;
        this.events = events;
        this.natIp = natIp;
        this.fwmark = fwmark;
        this.ctTimeout = ctTimeout;
        this.count = count;
        Arena arena = Arena.ofAuto();
        for (int i = 0; i < BATCH; i++) bufs[i] = arena.allocate(SLOT_BYTES, 8);
        for (int i = 0; i < ROWS; i++) rows[i] = new Row();
        batch = new BatchReceiver(bufs);
    }


    /** After a failure mid-batch: every packet still without a verdict is passed on unforwarded. */
    @Override
    protected void rescue() {
        try {
            for (int i = finished; i < pending; i++) passBack(rows[i].packetId);
            queue.flushVerdicts();
        } catch (NetlinkException | RuntimeException e) {
            log.error("[!] queue: could not pass packets back: " + e);
        } finally {
            pending = 0;
            finished = 0;
            creates.reset();
        }
    }

    /** One batch: receive, classify, create entries, give every packet its verdict. */
    @Override
    protected void cycle() throws NetlinkException {
        pending = 0;
        finished = 0;
        caughtUp = false;
        int n = batch.receive(queue.transport());
        if (n <= 0) return;
        for (int b = 0; b < n; b++) handleDatagram(b, batch.length(b));
        if (pending > 0) createEntries();
        while (finished < pending) finish(rows[finished++]);
        queue.flushVerdicts();
    }

    private void handleDatagram(int b, int n) throws NetlinkException {
        MemorySegment buf = bufs[b];
        reader.wrap(buf, 0, n);
        while (reader.next()) {
            if (reader.isError()) {
                // A verdict the kernel refused (e.g. the packet id expired): nothing to undo.
                count.verdictErrors.increment();
                log.warn("[!] queue: verdict refused: " + Errno.name(-reader.errorCode()));
                continue;
            }
            if (!QueuedPacket.isPacket(reader)) continue;
            if (!pkt.decode(reader)) {
                count.malformed.increment(); // without an id there is nothing we can give a verdict to
                continue;
            }
            count.queued.increment();
            if (pending == ROWS) {
                // More packets in one batch than rows (never with one packet per datagram): try later.
                queue.verdict(pkt.id(), Verdict.NF_REPEAT, 0, false, null, 0, 0);
                continue;
            }
            if (pkt.hasPayload()) classify(b, buf);
            else passBack(pkt.id());
        }
        if (reader.error() != null) count.malformed.increment();
    }

    private void classify(int b, MemorySegment buf) throws NetlinkException {
        if (view.wrap(buf, pkt.payloadOffset(), pkt.payloadLength()) != Ipv4UdpView.Classification.UDP) {
            count.notUdp.increment();
            passBack(pkt.id());
            return;
        }
        long target = route();
        if (target == Endpoint.NONE && view.dstAddr() == natIp && !caughtUp) {
            // The event of the flow that maps this port may still sit unread in the event socket.
            caughtUp = true;
            events.catchUp();
            target = route();
        }
        if (target == Endpoint.NONE) {
            count.passed.increment();
            if (log.packetLineAllowed()) {
                log.info("[x] udp " + Inet4.format(view.srcAddr()) + ":" + view.srcPort() + " -> "
                        + Inet4.format(view.dstAddr()) + ":" + view.dstPort() + " not mapped, passed on");
            }
            passBack(pkt.id());
            return;
        }
        Row r = rows[pending++];
        r.packetId = pkt.id();
        r.buf = b;
        r.offset = pkt.payloadOffset();
        r.len = pkt.payloadLength();
        r.target = target;
        r.peerIp = view.srcAddr();
        r.peerPort = view.srcPort();
        r.natPort = view.dstPort();
    }

    private long route() {
        return view.dstAddr() == natIp ? nat.lookup(Protocol.UDP, view.dstPort()) : Endpoint.NONE;
    }

    private void passBack(int id) throws NetlinkException {
        // Marked so the queue rule's RETURN lets it through the chain unchanged.
        queue.verdict(id, Verdict.NF_REPEAT, fwmark, true, null, 0, 0);
    }

    private void createEntries() throws NetlinkException {
        creates.reset();
        for (int i = 0; i < pending; i++) {
            Row r = rows[i];
            r.create = creates.add(Protocol.UDP.number, r.peerIp, r.peerPort, natIp, r.natPort,
                    Endpoint.ip(r.target), Endpoint.port(r.target), ctTimeout);
        }
        creates.send();
    }

    private void finish(Row r) throws NetlinkException {
        int err = creates.errno(r.create);
        int lanIp = Endpoint.ip(r.target), lanPort = Endpoint.port(r.target);
        if (err == 0 || err == Errno.EEXIST) {
            // EEXIST: another first packet of this flow created the entry a moment ago; deliver this one too.
            if (err == Errno.EEXIST) count.createExists.increment();
            MemorySegment buf = bufs[r.buf];
            view.wrap(buf, r.offset, r.len);
            view.rewriteDestination(lanIp, lanPort);
            queue.verdict(r.packetId, Verdict.NF_ACCEPT, fwmark, true, buf, r.offset, r.len);
            count.forwarded.increment();
            if (log.packetLineAllowed()) {
                log.info("[>] udp " + Inet4.format(r.peerIp) + ":" + r.peerPort + " -> " + Inet4.format(natIp) + ":"
                        + r.natPort + " forwarded to " + Inet4.format(lanIp) + ":" + lanPort);
            }
            return;
        }
        String name = Errno.name(err);
        long times = count.createFailed.increment(name);
        // First of its kind in full, then every 1000th: a full table must not flood the log.
        if (times == 1 || times % 1000 == 0) {
            log.warn("[!] " + Conntrack.describeDnat(Protocol.UDP.number, r.peerIp, r.peerPort, natIp, r.natPort, lanIp, lanPort)
                    + " failed: " + name + " (" + times + " so far); packet passed on unforwarded");
        }
        passBack(r.packetId);
    }
}
