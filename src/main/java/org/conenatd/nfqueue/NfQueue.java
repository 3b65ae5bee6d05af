package org.conenatd.nfqueue;

import org.conenatd.netlink.Encoder;
import org.conenatd.netlink.MessageReader;
import org.conenatd.netlink.Netlink;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.netlink.NetlinkSocket;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static org.conenatd.netlink.Netlink.*;
import static org.conenatd.nfqueue.Nfqnl.*;

/**
 * One bound nfnetlink_queue: configuration, packet reception and verdicts. Verdicts are written
 * into a batch and sent together by {@link #flushVerdicts}; everything reuses its buffers.
 */
public final class NfQueue implements AutoCloseable {
    private static final int MSG_CONFIG = nfnlMsgType(NFNL_SUBSYS_QUEUE, NFQNL_MSG_CONFIG);
    private static final int MSG_VERDICT = nfnlMsgType(NFNL_SUBSYS_QUEUE, NFQNL_MSG_VERDICT);
    private static final ValueLayout.OfInt U32BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort U16BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int AF_UNSPEC = 0;
    private static final int AF_INET = 2;

    private final NetlinkSocket sock;
    private final int queueNum;
    private final Encoder config;
    private final Encoder verdicts;
    private final MemorySegment cbuf;
    private int pendingVerdicts;

    private NfQueue(NetlinkSocket sock, int queueNum) {
        this.sock = sock;
        this.queueNum = queueNum;
        Arena arena = Arena.ofAuto();
        this.config = new Encoder(arena.allocate(4096, 8));
        this.verdicts = new Encoder(arena.allocate(1 << 20, 8));
        this.cbuf = arena.allocate(64 * 1024, 8);
    }

    /**
     * Binds queue {@code queueNum}, copying whole packets. {@code failOpen} lets the kernel accept
     * packets instead of dropping them when the queue is full.
     */
    public static NfQueue bind(int queueNum, int maxLen, boolean failOpen, int receiveBufferBytes)
            throws NetlinkException {
        NetlinkSocket s = NetlinkSocket.open("nfqueue " + queueNum);
        NfQueue q = new NfQueue(s, queueNum);
        try {
            s.setReceiveBuffer(receiveBufferBytes);
            s.setReceiveTimeout(500);
            // Overflow of this socket means dropped packets the kernel already counts; don't fail reads.
            s.setNoEnobufs(true);
            q.configure(e -> cmd(e, NFQNL_CFG_CMD_BIND, AF_INET), "bind queue " + queueNum);
            q.configure(e -> {
                int at = e.raw(NFQA_CFG_PARAMS, 5); // struct nfqnl_msg_config_params is packed: 5 bytes
                e.buffer().set(U32BE, at, 0xffff);
                e.buffer().set(ValueLayout.JAVA_BYTE, at + 4, (byte) NFQNL_COPY_PACKET);
                e.u32be(NFQA_CFG_QUEUE_MAXLEN, maxLen);
                e.u32be(NFQA_CFG_MASK, NFQA_CFG_F_FAIL_OPEN);
                e.u32be(NFQA_CFG_FLAGS, failOpen ? NFQA_CFG_F_FAIL_OPEN : 0);
            }, "configure queue " + queueNum);
            return q;
        } catch (NetlinkException e) {
            s.close();
            throw e;
        }
    }

    private static void cmd(Encoder e, int command, int pf) {
        int at = e.raw(NFQA_CFG_CMD, 4); // struct nfqnl_msg_config_cmd
        e.buffer().set(ValueLayout.JAVA_BYTE, at, (byte) command);
        e.buffer().set(U16BE, at + 2, (short) pf);
    }

    private void configure(java.util.function.Consumer<Encoder> attrs, String op) throws NetlinkException {
        config.reset();
        int seq = sock.nextSeq();
        int m = config.begin(MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, seq);
        config.nfgenmsg(AF_UNSPEC, queueNum);
        attrs.accept(config);
        config.end(m);
        sock.request(config, seq, op, cbuf, null);
    }

    public int queueNum() { return queueNum; }
    public NetlinkSocket socket() { return sock; }

    /** Receives one datagram of packet messages into {@code buf}; -1 on timeout or nothing pending. */
    public int receive(MemorySegment buf, boolean dontWait) throws NetlinkException {
        return sock.receive(buf, dontWait);
    }

    /** True if {@code m} is an answer (ACK/error) rather than a packet: errors to verdicts land here. */
    public static boolean isPacket(MessageReader m) {
        return m.type() == nfnlMsgType(NFNL_SUBSYS_QUEUE, NFQNL_MSG_PACKET);
    }

    /** Adds a verdict to the batch; {@code payload} non-null replaces the packet's contents. */
    public void verdict(int packetId, Verdict v, int mark, boolean setMark, MemorySegment payload, long off, int len)
            throws NetlinkException {
        if (verdicts.remaining() < 128 + len) flushVerdicts();
        int m = verdicts.begin(MSG_VERDICT, NLM_F_REQUEST, 0);
        verdicts.nfgenmsg(AF_UNSPEC, queueNum);
        int at = verdicts.raw(NFQA_VERDICT_HDR, 8);
        verdicts.buffer().set(U32BE, at, v.code);
        verdicts.buffer().set(U32BE, at + 4, packetId);
        if (setMark) verdicts.u32be(NFQA_MARK, mark);
        if (payload != null) verdicts.bytes(NFQA_PAYLOAD, payload, off, len);
        verdicts.end(m);
        pendingVerdicts++;
    }

    public int pendingVerdicts() { return pendingVerdicts; }

    public void flushVerdicts() throws NetlinkException {
        if (pendingVerdicts == 0) return;
        try {
            sock.send(verdicts);
        } finally {
            verdicts.reset();
            pendingVerdicts = 0;
        }
    }

    /** Unbinds the queue so the kernel stops queueing to us (packets then take the bypass or drop). */
    public void unbind() throws NetlinkException {
        configure(e -> cmd(e, NFQNL_CFG_CMD_UNBIND, AF_INET), "unbind queue " + queueNum);
    }

    @Override
    public void close() {
        sock.close();
    }
}
