package org.conenatd.bench.jmh;

import org.conenatd.conntrack.Conntrack;
import org.conenatd.conntrack.Ctnetlink;
import org.conenatd.conntrack.Event;
import org.conenatd.conntrack.Flow;
import org.conenatd.conntrack.Tuple;
import org.conenatd.netlink.Encoder;
import org.conenatd.netlink.MessageReader;
import org.conenatd.netlink.Netlink;
import org.conenatd.nfqueue.NfQueue;
import org.conenatd.nfqueue.Nfqnl;
import org.conenatd.nfqueue.QueuedPacket;
import org.conenatd.nfqueue.Verdict;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

import static org.conenatd.bench.jmh.Packets.BE16;
import static org.conenatd.bench.jmh.Packets.BE32;

/**
 * Netlink codec on the daemon's hot path: what the queue thread encodes per forwarded packet (a
 * DNAT create, a verdict carrying the rewritten packet) and decodes per queued packet, plus the
 * event thread's decoding of one conntrack event.
 *
 * <p>Allocation (check with {@code -prof gc}, gc.alloc.rate.norm): encodeDnatCreate,
 * encodeVerdict100 and decodeQueuedPacket must be 0 B/op, as the per-packet path allocates
 * nothing. decodeConntrackEvent (the record form, used for dumps and tools) allocates an Event, a
 * Flow and two Tuples (about 128 B/op); decodeConntrackEventInPlace, what the daemon's event
 * thread runs, must be 0 B/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CodecBench {
    private static final int AF_INET = 2;
    private static final int QUEUE_NUM = 7;
    private static final int FWMARK = 0x2a;

    private Encoder enc;
    private MemorySegment verdictPayload;
    private int seq = 1;
    private int packetId = 258;

    private MemorySegment queuedMsg;
    private int queuedLen;
    private final MessageReader reader = new MessageReader();
    private final QueuedPacket pkt = new QueuedPacket();

    private MemorySegment eventMsg;
    private int eventLen;

    @Setup
    public void setup() {
        Arena arena = Arena.ofAuto(); // native memory, as the daemon's buffers
        enc = new Encoder(arena.allocate(64 * 1024, 8));
        verdictPayload = arena.allocate(100, 8);
        Packets.writeUdp(verdictPayload, 0, 100, 1);

        // NFQNL_MSG_PACKET as the kernel sends it for an inbound 60-byte datagram
        MemorySegment ip = arena.allocate(60, 8);
        Packets.writeUdp(ip, 0, 60, 2);
        Encoder e = new Encoder(arena.allocate(4096, 8));
        int m = e.begin(Netlink.nfnlMsgType(Netlink.NFNL_SUBSYS_QUEUE, Nfqnl.NFQNL_MSG_PACKET), 0, 0);
        e.nfgenmsg(AF_INET, QUEUE_NUM);
        int hdr = e.raw(Nfqnl.NFQA_PACKET_HDR, 7); // struct nfqnl_msg_packet_hdr (packed)
        e.buffer().set(BE32, hdr, 258);                      // packet_id
        e.buffer().set(BE16, hdr + 4, (short) 0x0800);       // hw_protocol ETH_P_IP
        e.buffer().set(ValueLayout.JAVA_BYTE, hdr + 6, (byte) 0); // hook NF_INET_PRE_ROUTING
        e.u32be(Nfqnl.NFQA_MARK, 0);
        e.u32be(Nfqnl.NFQA_IFINDEX_INDEV, 3);
        e.bytes(Nfqnl.NFQA_PAYLOAD, ip, 0, 60);
        e.end(m);
        queuedMsg = e.buffer();
        queuedLen = e.length();
        reader.wrap(queuedMsg, 0, queuedLen);
        if (!reader.next() || !pkt.decode(reader) || pkt.id() != 258 || pkt.payloadLength() != 60
                || pkt.inputInterface() != 3) {
            throw new IllegalStateException("queued-packet message does not decode");
        }

        // IPCTNL_MSG_CT_NEW event of a mapping flow, attributes in ctnetlink_conntrack_event()'s order
        Encoder c = new Encoder(arena.allocate(4096, 8));
        int n = c.begin(Netlink.nfnlMsgType(Netlink.NFNL_SUBSYS_CTNETLINK, Ctnetlink.IPCTNL_MSG_CT_NEW),
                Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL, 0);
        c.nfgenmsg(AF_INET, 0);
        Tuple.encode(c, Ctnetlink.CTA_TUPLE_ORIG, Tuple.IPPROTO_UDP,
                Packets.LAN_IP, Packets.LAN_PORT, Packets.PEER_IP, Packets.PEER_PORT);
        Tuple.encode(c, Ctnetlink.CTA_TUPLE_REPLY, Tuple.IPPROTO_UDP,
                Packets.PEER_IP, Packets.PEER_PORT, Packets.NAT_IP, Packets.NAT_PORT);
        c.u32be(Ctnetlink.CTA_ID, 0x9a51249b);
        c.u32be(Ctnetlink.CTA_STATUS, 0x198); // CONFIRMED|SRC_NAT|SRC_NAT_DONE|DST_NAT_DONE
        c.u32be(Ctnetlink.CTA_TIMEOUT, 30);
        c.u32be(Ctnetlink.CTA_MARK, FWMARK);
        c.end(n);
        eventMsg = c.buffer();
        eventLen = c.length();
        reader.wrap(eventMsg, 0, eventLen);
        Event ev = reader.next() ? Event.decode(reader) : null;
        Flow f = ev == null ? null : ev.flow();
        if (f == null || ev.type() != Event.Type.NEW || f.reply().dstPort() != Packets.NAT_PORT
                || f.orig().src() != Packets.LAN_IP || f.mark() != FWMARK || f.timeout() != 30) {
            throw new IllegalStateException("conntrack event does not decode: " + ev);
        }
    }

    /** One DNAT create (peer -> nat:port, DNAT'd to the LAN endpoint): 0 B/op. */
    @Benchmark
    public void encodeDnatCreate(Blackhole bh) {
        enc.reset();
        Conntrack.encodeDnatCreate(enc, seq++, 17, Packets.PEER_IP, Packets.PEER_PORT, Packets.NAT_IP, Packets.NAT_PORT,
                Packets.LAN_IP, Packets.LAN_PORT, 120, false);
        bh.consume(enc.length());
    }

    /** One NF_ACCEPT verdict with mark and a 100-byte replacement payload: 0 B/op. */
    @Benchmark
    public void encodeVerdict100(Blackhole bh) {
        enc.reset();
        NfQueue.encodeVerdict(enc, QUEUE_NUM, packetId++, Verdict.NF_ACCEPT, FWMARK, true, verdictPayload, 0, 100);
        bh.consume(enc.length());
    }

    /** MessageReader + QueuedPacket.decode of one packet message (60-byte IPv4/UDP payload): 0 B/op. */
    @Benchmark
    public void decodeQueuedPacket(Blackhole bh) {
        reader.wrap(queuedMsg, 0, queuedLen);
        reader.next();
        bh.consume(pkt.decode(reader));
        bh.consume(pkt.id());
        bh.consume(pkt.payloadOffset());
    }

    /** MessageReader + Event.decode of one NEW event: allocates the Event, Flow and Tuples. */
    @Benchmark
    public void decodeConntrackEvent(Blackhole bh) {
        reader.wrap(eventMsg, 0, eventLen);
        reader.next();
        bh.consume(Event.decode(reader));
    }

    private final org.conenatd.conntrack.FlowView view = new org.conenatd.conntrack.FlowView();

    /** The event thread's decoding: into a reused FlowView. */
    @Benchmark
    public void decodeConntrackEventInPlace(Blackhole bh) {
        reader.wrap(eventMsg, 0, eventLen);
        reader.next();
        bh.consume(view.decode(reader));
        bh.consume(view.replyDstPort);
    }

    private final org.conenatd.nat.FullConeNat core = new org.conenatd.nat.FullConeNat();
    private final org.conenatd.dataplane.MappingFlows edge =
            new org.conenatd.dataplane.MappingFlows(org.conenatd.dataplane.MappingFlows.ANY_ADDRESS,
                    org.conenatd.nat.Protocol.UDP);
    private long changes;

    {
        core.addListener((c, p, port, ep, flows, receiver) -> changes++);
        core.addListener((c, p, port, ep, flows, receiver) -> changes += flows);
    }

    /**
     * The event thread's whole path for one flow: decode its NEW event in place, through the
     * ctnetlink edge into the core (MAPPED, two listeners told), then its end (UNMAPPED). 0 B/op.
     */
    @Benchmark
    public void eventIntoCoreAndListeners(Blackhole bh) {
        reader.wrap(eventMsg, 0, eventLen);
        reader.next();
        view.decode(reader);
        if (!edge.apply(Event.Type.NEW, view, core)) throw new IllegalStateException("the captured event is no mapping flow");
        edge.apply(Event.Type.DESTROY, view, core);
        bh.consume(changes);
    }
}
