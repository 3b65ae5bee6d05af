package org.conenatd.daemon;

import org.conenatd.conntrack.Conntrack;
import org.conenatd.nat.FullConeNat;
import org.conenatd.nat.MappingTable;
import org.conenatd.netlink.BatchReceiver;
import org.conenatd.netlink.Encoder;
import org.conenatd.netlink.Errno;
import org.conenatd.netlink.MessageReader;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.netlink.NetlinkSocket;
import org.conenatd.nfqueue.NfQueue;
import org.conenatd.nfqueue.QueuedPacket;
import org.conenatd.nfqueue.Verdict;
import org.conenatd.packet.Inet4;
import org.conenatd.packet.Ipv4UdpView;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The queue thread: first packets of unsolicited inbound flows.
 *
 * <p>It takes whatever the queue holds (up to {@link #BATCH} packets, one recvmmsg), sends one
 * conntrack creation per mapped packet in a single send, picks up the failures by sequence
 * number, then sends all verdicts together. Buffers are allocated once; the per-packet path allocates
 * nothing unless a log line is written.
 */
final class InboundPath implements Runnable {
    static final int BATCH = 64;
    private static final int SLOT_BYTES = 66 * 1024; // a whole 64 KiB packet plus netlink headers
    private static final int PENDING_MAX = BATCH * 2;

    private final NfQueue queue;
    private final NetlinkSocket ct;
    private final FullConeNat nat;
    private final Runnable catchUp;
    private final int fwmark;
    private final int ctTimeout;
    private final Log log;
    private final Stats stats;
    private volatile boolean running = true;

    private final MemorySegment[] bufs = new MemorySegment[BATCH];
    private final BatchReceiver batch;
    private final MemorySegment ackBuf;
    private final Encoder creates;
    private final MessageReader reader = new MessageReader();
    private final MessageReader acks = new MessageReader();
    private final QueuedPacket pkt = new QueuedPacket();
    private final Ipv4UdpView view = new Ipv4UdpView();

    // one row per packet waiting for its conntrack entry
    private int pending;
    private int finished;   // rows that have their verdict
    private boolean caughtUp; // one event catch-up per batch is enough
    private final int[] pId = new int[PENDING_MAX];
    private final int[] pBuf = new int[PENDING_MAX];
    private final long[] pOff = new long[PENDING_MAX];
    private final int[] pLen = new int[PENDING_MAX];
    private final long[] pTarget = new long[PENDING_MAX];
    private final int[] pResult = new int[PENDING_MAX];
    private final int[] pSeq = new int[PENDING_MAX];
    private final int[] pSrc = new int[PENDING_MAX];
    private final int[] pSrcPort = new int[PENDING_MAX];
    private final int[] pDstPort = new int[PENDING_MAX];

    InboundPath(NfQueue queue, NetlinkSocket ct, FullConeNat nat, Runnable catchUp, int fwmark, int ctTimeout, Log log, Stats stats) {
        this.queue = queue;
        this.ct = ct;
        this.nat = nat;
        this.catchUp = catchUp;
        this.fwmark = fwmark;
        this.ctTimeout = ctTimeout;
        this.log = log;
        this.stats = stats;
        Arena arena = Arena.ofAuto();
        for (int i = 0; i < BATCH; i++) bufs[i] = arena.allocate(SLOT_BYTES, 8);
        batch = new BatchReceiver(bufs);
        ackBuf = arena.allocate(64 * 1024, 8);
        creates = new Encoder(arena.allocate(PENDING_MAX * 256L, 8));
    }

    void stop() {
        running = false;
    }

    @Override
    public void run() {
        while (running) {
            try {
                cycle();
            } catch (NetlinkException | RuntimeException e) {
                log.error("[!] queue: " + (e instanceof NetlinkException ? e.getMessage() : "unexpected " + e));
                rescue();
                sleepQuietly();
            }
        }
    }

    /** After a failure mid-batch: every packet still without a verdict is passed on unforwarded. */
    private void rescue() {
        try {
            for (int i = finished; i < pending; i++) passBack(pId[i]);
            queue.flushVerdicts();
        } catch (NetlinkException | RuntimeException e) {
            log.error("[!] queue: could not pass packets back: " + e);
        } finally {
            pending = 0;
            finished = 0;
            creates.reset();
        }
    }

    private void cycle() throws NetlinkException {
        pending = 0;
        finished = 0;
        caughtUp = false;
        // One recvmmsg: waits for the first packet, takes whatever else is already queued.
        int n = batch.receive(queue.socket());
        if (n <= 0) return;
        for (int b = 0; b < n; b++) handleDatagram(b, batch.length(b));
        if (pending > 0) createEntries();
        while (finished < pending) finish(finished++);
        queue.flushVerdicts();
    }

    private void handleDatagram(int b, int n) throws NetlinkException {
        MemorySegment buf = bufs[b];
        reader.wrap(buf, 0, n);
        while (reader.next()) {
            if (reader.isError()) {
                // A verdict the kernel refused (e.g. the packet id expired): nothing to undo.
                stats.verdictErrors.increment();
                log.warn("[!] queue: verdict refused: " + Errno.name(-reader.errorCode()));
                continue;
            }
            if (!NfQueue.isPacket(reader)) continue;
            if (!pkt.decode(reader)) {
                stats.malformed.increment(); // without an id there is nothing we can give a verdict to
                continue;
            }
            stats.queued.increment();
            if (pending == PENDING_MAX) {
                // More packets in one batch than rows (never with one packet per datagram): try later.
                queue.verdict(pkt.id(), Verdict.NF_REPEAT, 0, false, null, 0, 0);
                continue;
            }
            if (pkt.hasPayload()) classify(b, buf);
            else passBack(pkt.id());
        }
        if (reader.error() != null) stats.malformed.increment();
    }

    private void classify(int b, MemorySegment buf) throws NetlinkException {
        if (view.wrap(buf, pkt.payloadOffset(), pkt.payloadLength()) != Ipv4UdpView.Classification.UDP) {
            stats.notUdp.increment();
            passBack(pkt.id());
            return;
        }
        long target = nat.route(view.dstAddr(), view.dstPort());
        if (target == MappingTable.NONE && view.dstAddr() == nat.natIp() && !caughtUp) {
            // The event of the flow that maps this port may still sit unread in the event socket.
            caughtUp = true;
            catchUp.run();
            target = nat.route(view.dstAddr(), view.dstPort());
        }
        if (target == MappingTable.NONE) {
            stats.passed.increment();
            if (log.packetLineAllowed()) {
                log.info("[x] " + Inet4.format(view.srcAddr()) + ":" + view.srcPort() + " -> "
                        + Inet4.format(view.dstAddr()) + ":" + view.dstPort() + " not mapped, passed on");
            }
            passBack(pkt.id());
            return;
        }
        int i = pending++;
        pId[i] = pkt.id();
        pBuf[i] = b;
        pOff[i] = pkt.payloadOffset();
        pLen[i] = pkt.payloadLength();
        pTarget[i] = target;
        pSrc[i] = view.srcAddr();
        pSrcPort[i] = view.srcPort();
        pDstPort[i] = view.dstPort();
        pResult[i] = 0;
    }

    private void passBack(int id) throws NetlinkException {
        // Marked so the queue rule's RETURN lets it through the chain unchanged.
        queue.verdict(id, Verdict.NF_REPEAT, fwmark, true, null, 0, 0);
    }

    /**
     * One send carries every creation of the batch, without NLM_F_ACK: the kernel handles them
     * inside that send() and queues an error for each failure before it returns, so draining the
     * socket afterwards yields exactly the failures, matched to packets by sequence number.
     */
    private void createEntries() throws NetlinkException {
        creates.reset();
        for (int i = 0; i < pending; i++) {
            pSeq[i] = ct.nextSeq();
            Conntrack.encodeDnatCreate(creates, pSeq[i], pSrc[i], pSrcPort[i], nat.natIp(), pDstPort[i],
                    MappingTable.ip(pTarget[i]), MappingTable.port(pTarget[i]), ctTimeout, false);
        }
        ct.send(creates);
        int n;
        while ((n = ct.receive(ackBuf, true)) > 0) {
            acks.wrap(ackBuf, 0, n);
            while (acks.next()) {
                if (!acks.isError()) continue;
                int seq = acks.seq();
                for (int i = 0; i < pending; i++) { // a failure is rare: a scan beats a map here
                    if (pSeq[i] == seq) {
                        pResult[i] = -acks.errorCode();
                        break;
                    }
                }
            }
        }
    }

    private void finish(int i) throws NetlinkException {
        int err = pResult[i];
        int lanIp = MappingTable.ip(pTarget[i]), lanPort = MappingTable.port(pTarget[i]);
        if (err == 0 || err == Errno.EEXIST) {
            // EEXIST: another first packet of this flow created the entry a moment ago; deliver this one too.
            if (err == Errno.EEXIST) stats.createExists.increment();
            MemorySegment buf = bufs[pBuf[i]];
            view.wrap(buf, pOff[i], pLen[i]);
            view.rewriteDestination(lanIp, lanPort);
            queue.verdict(pId[i], Verdict.NF_ACCEPT, fwmark, true, buf, pOff[i], pLen[i]);
            stats.forwarded.increment();
            if (log.packetLineAllowed()) {
                log.info("[>] " + Inet4.format(pSrc[i]) + ":" + pSrcPort[i] + " -> " + Inet4.format(nat.natIp()) + ":"
                        + pDstPort[i] + " forwarded to " + Inet4.format(lanIp) + ":" + lanPort);
            }
            return;
        }
        String name = Errno.name(err);
        long times = stats.createError(name);
        // First of its kind in full, then every 1000th: a full table must not flood the log.
        if (times == 1 || times % 1000 == 0) {
            log.warn("[!] " + Conntrack.describeDnat(pSrc[i], pSrcPort[i], nat.natIp(), pDstPort[i], lanIp, lanPort)
                    + " failed: " + name + " (" + times + " so far); packet passed on unforwarded");
        }
        passBack(pId[i]);
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
