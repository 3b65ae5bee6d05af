package org.conenatd.conntrack;

import static org.conenatd.sys.Libc.AF_INET;

import org.conenatd.netlink.Encoder;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.netlink.NetlinkRequests;
import org.conenatd.netlink.NetlinkSocket;
import org.conenatd.netlink.NetlinkTransport;
import org.conenatd.inet.Inet4;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;

import static org.conenatd.conntrack.Ctnetlink.*;
import static org.conenatd.netlink.Netlink.*;

/**
 * Requests to ctnetlink over one transport: dump the table, and the creation message that
 * {@link DnatBatch} sends in batches. One thread at a time: answers to two threads' requests
 * would interleave on one socket, so each thread that asks the kernel opens its own.
 */
public final class Conntrack implements AutoCloseable {
    private static final int MSG_NEW = nfnlMsgType(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW);
    private static final int MSG_GET = nfnlMsgType(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET);

    private final NetlinkTransport sock;
    private final Encoder enc;
    private final MemorySegment rbuf;

    public Conntrack(NetlinkTransport sock) {
        this.sock = sock;
        Arena arena = Arena.ofAuto();
        this.enc = new Encoder(arena.allocate(64 * 1024, 8));
        this.rbuf = arena.allocate(256 * 1024, 8);
    }

    public static Conntrack open(String name) throws NetlinkException {
        return new Conntrack(NetlinkSocket.open(name, s -> s.setReceiveTimeout(5000)));
    }

    /**
     * Encodes the creation of the entry for an inbound flow {@code wan -> nat} of IP protocol
     * {@code proto}, destination-NAT'd to {@code lan}: its reply tuple becomes {@code lan -> wan},
     * so the LAN host sees the real peer and its replies are un-NAT'd to leave from {@code nat}.
     * With {@code ack} false the kernel answers only failures; since it handles a request inside
     * the send() that carries it, every failure is queued by the time send() returns.
     */
    public static void encodeDnatCreate(Encoder e, int seq, int proto, int wanIp, int wanPort, int natIp, int natPort,
                                        int lanIp, int lanPort, int timeoutSeconds, boolean ack) {
        int m = e.begin(MSG_NEW, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | (ack ? NLM_F_ACK : 0), seq);
        e.nfgenmsg(AF_INET, 0);
        Tuple.encode(e, CTA_TUPLE_ORIG, proto, wanIp, wanPort, natIp, natPort);
        // The kernel requires a reply tuple; NAT setup rewrites it to lan -> wan.
        Tuple.encode(e, CTA_TUPLE_REPLY, proto, natIp, natPort, wanIp, wanPort);
        int nat = e.beginNested(CTA_NAT_DST);
        e.u32be(CTA_NAT_V4_MINIP, lanIp);
        e.u32be(CTA_NAT_V4_MAXIP, lanIp);
        int protoNat = e.beginNested(CTA_NAT_PROTO);
        e.u16be(CTA_PROTONAT_PORT_MIN, lanPort);
        e.u16be(CTA_PROTONAT_PORT_MAX, lanPort);
        e.endNested(protoNat);
        e.endNested(nat);
        e.u32be(CTA_TIMEOUT, timeoutSeconds);
        e.end(m);
    }

    public static String describeDnat(int proto, int wanIp, int wanPort, int natIp, int natPort, int lanIp, int lanPort) {
        return "create " + Tuple.protoName(proto) + " " + Inet4.format(wanIp) + ":" + wanPort + " -> " + Inet4.format(natIp) + ":" + natPort
                + " dnat " + Inet4.format(lanIp) + ":" + lanPort;
    }

    /** Dumps the IPv4 conntrack table, handing every entry to {@code sink} in one reused view. */
    public void dump(Consumer<FlowView> sink) throws NetlinkException {
        dump(0, 0, sink);
    }

    /**
     * Dumps the IPv4 entries whose status, masked with {@code statusMask}, equals {@code status}:
     * the kernel filters (CTA_STATUS, CTA_STATUS_MASK; Linux 6.0 and later), so only those entries
     * cross to user space. A mask of 0 dumps everything.
     */
    public void dump(int status, int statusMask, Consumer<FlowView> sink) throws NetlinkException {
        int seq = sock.nextSeq();
        encodeDump(enc, seq, status, statusMask);
        FlowView view = new FlowView();
        NetlinkRequests.request(sock, enc, seq, statusMask == 0 ? "dump conntrack table" : "dump conntrack entries by status", rbuf, msg -> {
            if (view.decode(msg)) sink.accept(view);
        });
    }

    /** The dump request, filtered by status when {@code statusMask} is not 0. */
    static void encodeDump(Encoder e, int seq, int status, int statusMask) {
        e.reset();
        int m = e.begin(MSG_GET, NLM_F_REQUEST | NLM_F_DUMP, seq);
        e.nfgenmsg(AF_INET, 0);
        if (statusMask != 0) {
            e.u32be(CTA_STATUS, status);
            e.u32be(CTA_STATUS_MASK, statusMask);
        }
        e.end(m);
    }

    @Override
    public void close() {
        sock.close();
    }
}
