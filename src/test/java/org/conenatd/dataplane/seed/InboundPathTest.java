package org.conenatd.dataplane.seed;

import org.conenatd.conntrack.DnatBatch;
import org.conenatd.conntrack.Flow;
import org.conenatd.nat.Endpoint;
import org.conenatd.nat.FullConeNat;
import org.conenatd.nat.MappingFlow;
import org.conenatd.nat.Protocol;
import org.conenatd.netlink.Decoder;
import org.conenatd.netlink.Encoder;
import org.conenatd.netlink.FakeTransport;
import org.conenatd.netlink.MessageReader;
import org.conenatd.netlink.Netlink;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.nfqueue.NfQueue;
import org.conenatd.nfqueue.PacketMessages;
import org.conenatd.nfqueue.Nfqnl;
import org.conenatd.nfqueue.Verdict;
import org.conenatd.ops.Counters;
import org.conenatd.ops.Log;
import org.conenatd.sys.Errno;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.conenatd.inet.Inet4.parseAddr;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The seed plane's batch logic without a kernel: packets come from a scripted queue transport,
 * creations go to a scripted ctnetlink transport that fails the ones a test chooses.
 */
class InboundPathTest {
    private static final int NAT = parseAddr("203.0.113.1");
    private static final int LAN = parseAddr("10.0.0.101");
    private static final int PEER = parseAddr("198.51.100.7");
    private static final int MARK = 2000;
    private static final int QUEUE = 1000;

    private final FakeTransport queueSide = new FakeTransport();
    private final FakeTransport ctSide = new FakeTransport();
    private final FullConeNat nat = new FullConeNat();
    private final Counters counters = new Counters();
    private int barrierCalls;
    private Runnable onBarrier = () -> { };
    private final InboundPath path = new InboundPath(new NfQueue(queueSide, QUEUE), new DnatBatch(ctSide, InboundPath.ROWS),
            nat, () -> { barrierCalls++; onBarrier.run(); }, NAT, MARK, 30, new Log(Log.Level.QUIET, false, 0),
            new SeedCounters(counters));

    /** A verdict as sent: packet id, verdict, mark (or -1), and the rewritten destination if a payload came along. Sorted by id. */
    record SentVerdict(int id, int verdict, int mark, String payloadDst) {}

    private void map(int natPort, int lanPort) {
        nat.flowStarted(new MappingFlow(Protocol.UDP, LAN, lanPort, natPort, PEER, 3478));
    }

    /** Queues one packet message, as the kernel does (one per datagram). */
    private void queued(int id, int src, int srcPort, int dst, int dstPort) {
        queueSide.inbox.add(PacketMessages.packet(QUEUE, id, 0, udpPacket(src, srcPort, dst, dstPort)));
    }

    private static byte[] udpPacket(int src, int srcPort, int dst, int dstPort) {
        return PacketMessages.udp(src, srcPort, dst, dstPort);
    }

    /** ctnetlink answers: creations from peer ports in {@code failing} fail with {@code errno}. */
    private void ctFails(Set<Integer> failing, int errno) {
        ctSide.respondWith(d -> {
            List<byte[]> replies = new ArrayList<>();
            MessageReader r = reader(d);
            while (r.next()) {
                Flow f = Flow.decode(r);
                if (f != null && failing.contains(f.orig().srcPort())) replies.add(FakeTransport.errorAnswer(r.seq(), errno, 0x100));
            }
            return replies;
        });
    }

    private static MessageReader reader(byte[] d) {
        MemorySegment s = Arena.ofAuto().allocate(d.length);
        MemorySegment.copy(d, 0, s, ValueLayout.JAVA_BYTE, 0, d.length);
        return new MessageReader().wrap(s, 0, d.length);
    }

    private List<Flow> creations() {
        List<Flow> out = new ArrayList<>();
        for (byte[] d : ctSide.sent) {
            MessageReader r = reader(d);
            while (r.next()) out.add(Flow.decode(r));
        }
        return out;
    }

    private List<SentVerdict> verdicts() {
        List<SentVerdict> out = new ArrayList<>();
        for (byte[] d : queueSide.sent) {
            MessageReader r = reader(d);
            while (r.next()) {
                Decoder a = r.nfAttributes(new Decoder());
                int id = 0, verdict = -1, mark = -1;
                String dst = null;
                while (a.next()) {
                    switch (a.type()) {
                        case Nfqnl.NFQA_VERDICT_HDR -> {
                            verdict = a.u32be();
                            id = r.segment().get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), a.offset() + 4);
                        }
                        case Nfqnl.NFQA_MARK -> mark = a.u32be();
                        case Nfqnl.NFQA_PAYLOAD -> {
                            MemorySegment s = r.segment();
                            long o = a.offset();
                            int ip = s.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), o + 16);
                            int port = Short.toUnsignedInt(s.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), o + 22));
                            dst = Endpoint.format(Endpoint.of(ip, port));
                        }
                        default -> { }
                    }
                }
                out.add(new SentVerdict(id, verdict, mark, dst));
            }
        }
        out.sort(java.util.Comparator.comparingInt(SentVerdict::id)); // misses are answered before hits
        return out;
    }

    private static SentVerdict accepted(int id, String to) {
        return new SentVerdict(id, Verdict.NF_ACCEPT.code, MARK, to);
    }

    private static SentVerdict passedBack(int id) {
        return new SentVerdict(id, Verdict.NF_REPEAT.code, MARK, null);
    }

    @Test
    void aBatchOfHitsAndMissesCreatesEntriesOnlyForHitsAndAnswersEveryPacketInOneSend() throws Exception {
        map(40000, 5000);
        queued(1, PEER, 4000, NAT, 40000);                       // mapped
        queued(2, PEER + 1, 4001, NAT, 40001);                   // unmapped port
        queued(3, PEER + 2, 4002, parseAddr("203.0.113.9"), 40000); // not the nat address
        path.cycle();

        List<Flow> created = creations();
        assertEquals(1, created.size());
        assertEquals("udp 198.51.100.7:4000 -> 203.0.113.1:40000", created.get(0).orig().toString());
        assertEquals(1, ctSide.sent.size(), "all creations of a batch in one send");
        assertEquals(List.of(accepted(1, "10.0.0.101:5000"), passedBack(2), passedBack(3)), verdicts());
        assertEquals(1, queueSide.sent.size(), "all verdicts of a batch in one send");
        assertEquals(1, barrierCalls, "one event catch-up per batch, only for a miss on the nat address");
        assertEquals(3, counters.value("queued"));
        assertEquals(1, counters.value("forwarded"));
        assertEquals(2, counters.value("passed"));
    }

    @Test
    void aFailedCreationIsMatchedToItsPacketBySequenceNumber() throws Exception {
        map(40000, 5000);
        map(40001, 5001);
        ctFails(Set.of(4001), Errno.ENOMEM);
        queued(7, PEER, 4000, NAT, 40000);
        queued(8, PEER, 4001, NAT, 40001);
        queued(9, PEER, 4002, NAT, 40000);
        path.cycle();
        assertEquals(List.of(accepted(7, "10.0.0.101:5000"), passedBack(8), accepted(9, "10.0.0.101:5000")), verdicts());
        assertEquals(1, counters.value("create_failed_ENOMEM"));
        assertEquals(1, counters.value("create_failed"));
        assertEquals(2, counters.value("forwarded"));
    }

    @Test
    void eexistMeansAnotherFirstPacketCreatedTheEntryAndThisOneIsDeliveredToo() throws Exception {
        map(40000, 5000);
        ctFails(Set.of(4000), Errno.EEXIST);
        queued(5, PEER, 4000, NAT, 40000);
        path.cycle();
        assertEquals(List.of(accepted(5, "10.0.0.101:5000")), verdicts());
        assertEquals(1, counters.value("create_exists"));
        assertEquals(0, counters.value("create_failed"));
    }

    @Test
    void aBatchThatFailsMidwayIsRescuedEveryPacketPassedBackUnforwarded() throws Exception {
        map(40000, 5000);
        queued(1, PEER, 4000, NAT, 40000);
        queued(2, PEER, 4001, NAT, 40000);
        ctSide.failNextSend(new NetlinkException("ctnetlink requests: send", Errno.ENOBUFS));
        assertThrows(NetlinkException.class, path::cycle);
        assertTrue(verdicts().isEmpty(), "nothing was answered before the failure");
        path.rescue();
        assertEquals(List.of(passedBack(1), passedBack(2)), verdicts());
        assertEquals(0, counters.value("forwarded"));
        // the next batch starts clean
        queued(3, PEER, 4002, NAT, 40000);
        path.cycle();
        assertTrue(verdicts().contains(accepted(3, "10.0.0.101:5000")), verdicts().toString());
    }

    @Test
    void aVerdictBatchTheKernelRefusesIsResentOneVerdictAtATime() throws Exception {
        map(40000, 5000);
        queued(1, PEER, 4000, NAT, 40000);
        queued(2, PEER, 4001, NAT, 40001);
        queueSide.failNextSend(new NetlinkException("nfqueue: send", Errno.EINVAL));
        path.cycle();
        assertEquals(2, queueSide.sent.size(), "each verdict on its own after the batch was refused");
        assertEquals(List.of(accepted(1, "10.0.0.101:5000"), passedBack(2)), verdicts());
    }

    @Test
    void aMissRacingTheEventThatMapsItsPortIsForwardedAfterTheCatchUp() throws Exception {
        onBarrier = () -> map(40000, 5000); // the event was still unread in the socket
        queued(1, PEER, 4000, NAT, 40000);
        path.cycle();
        assertEquals(List.of(accepted(1, "10.0.0.101:5000")), verdicts());
        assertEquals(1, barrierCalls);
    }

    @Test
    void aPacketThatIsNotUdpIsPassedBackAndCounted() throws Exception {
        byte[] bad = udpPacket(PEER, 1, NAT, 40000);
        bad[9] = 6; // TCP
        queueSide.inbox.add(PacketMessages.packet(QUEUE, 11, 0, bad));
        path.cycle();
        assertEquals(List.of(passedBack(11)), verdicts());
        assertEquals(1, counters.value("not_udp"));
        assertTrue(ctSide.sent.isEmpty());
    }
}
