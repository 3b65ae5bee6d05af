package org.conenatd.nfqueue;

import static org.conenatd.sys.Layouts.U16BE;
import static org.conenatd.sys.Layouts.U32BE;
import static org.conenatd.sys.Libc.AF_INET;
import static org.conenatd.sys.Libc.AF_UNSPEC;

import org.conenatd.netlink.Encoder;
import org.conenatd.netlink.MessageReader;
import org.conenatd.netlink.Netlink;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.netlink.NetlinkRequests;
import org.conenatd.netlink.NetlinkSocket;
import org.conenatd.netlink.NetlinkTransport;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.conenatd.netlink.Netlink.*;
import static org.conenatd.nfqueue.Nfqnl.*;

/**
 * One bound nfnetlink_queue: binding, configuration and verdicts. Packets are read by the caller
 * from {@link #transport()} (in batches, see {@link org.conenatd.netlink.BatchReceiver}) and
 * decoded with {@link QueuedPacket}. Verdicts are written into a batch and sent together by
 * {@link #flushVerdicts}; everything reuses its buffers.
 */
public final class NfQueue implements AutoCloseable {
    private static final int MSG_CONFIG = nfnlMsgType(NFNL_SUBSYS_QUEUE, NFQNL_MSG_CONFIG);
    private static final int MSG_VERDICT = nfnlMsgType(NFNL_SUBSYS_QUEUE, NFQNL_MSG_VERDICT);

    private final NetlinkTransport sock;
    private final int queueNum;
    private final Encoder config;
    private final Encoder verdicts;
    private final MemorySegment cbuf;
    private int pendingVerdicts;
    /** Verdicts go out in sends well below the socket's send buffer (the kernel refuses larger ones). */
    private static final int SEND_BUFFER = 1 << 20;
    private static final int MAX_BATCH_BYTES = 256 * 1024;
    private final MessageReader resend = new MessageReader();

    /** A queue over a transport that is bound already (or a test's fake). */
    public NfQueue(NetlinkTransport sock, int queueNum) {
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
        return bind(queueNum, maxLen, failOpen, receiveBufferBytes, 0xffff);
    }

    /** As {@link #bind(int, int, boolean, int)}, copying only the first {@code copyRange} bytes of each packet. */
    public static NfQueue bind(int queueNum, int maxLen, boolean failOpen, int receiveBufferBytes, int copyRange)
            throws NetlinkException {
        NetlinkSocket s = NetlinkSocket.open("nfqueue " + queueNum);
        NfQueue q = new NfQueue(s, queueNum);
        try {
            s.setReceiveBuffer(receiveBufferBytes);
            s.setSendBuffer(SEND_BUFFER);
            s.setReceiveTimeout(500);
            // Overflow of this socket means dropped packets the kernel already counts; don't fail reads.
            s.setNoEnobufs(true);
            // Bind and parameters in one datagram: the kernel handles both inside one send(), so no
            // packet is ever queued while the copy mode is still "none".
            q.config.reset();
            int bindSeq = s.nextSeq();
            encodeConfigCmd(q.config, bindSeq, queueNum, NFQNL_CFG_CMD_BIND, AF_INET);
            int paramsSeq = s.nextSeq();
            encodeConfigParams(q.config, paramsSeq, queueNum, copyRange, NFQNL_COPY_PACKET, maxLen,
                    NFQA_CFG_F_FAIL_OPEN, failOpen ? NFQA_CFG_F_FAIL_OPEN : 0);
            NetlinkRequests.request(s, q.config, new int[] {bindSeq, paramsSeq}, "bind queue " + queueNum, q.cbuf, null);
            return q;
        } catch (NetlinkException e) {
            s.close();
            throw e;
        }
    }

    /** NFQNL_MSG_CONFIG carrying an NFQA_CFG_CMD (struct nfqnl_msg_config_cmd). */
    public static void encodeConfigCmd(Encoder e, int seq, int queueNum, int command, int pf) {
        int m = e.begin(MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, seq);
        e.nfgenmsg(AF_UNSPEC, queueNum);
        int at = e.raw(NFQA_CFG_CMD, 4);
        e.buffer().set(ValueLayout.JAVA_BYTE, at, (byte) command);
        e.buffer().set(U16BE, at + 2, (short) pf);
        e.end(m);
    }

    /** NFQNL_MSG_CONFIG with copy mode and range, queue length and flags. */
    public static void encodeConfigParams(Encoder e, int seq, int queueNum, int copyRange, int copyMode, int maxLen,
                                          int flagsMask, int flags) {
        int m = e.begin(MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, seq);
        e.nfgenmsg(AF_UNSPEC, queueNum);
        int at = e.raw(NFQA_CFG_PARAMS, 5); // struct nfqnl_msg_config_params is packed: 5 bytes
        e.buffer().set(U32BE, at, copyRange);
        e.buffer().set(ValueLayout.JAVA_BYTE, at + 4, (byte) copyMode);
        e.u32be(NFQA_CFG_QUEUE_MAXLEN, maxLen);
        e.u32be(NFQA_CFG_MASK, flagsMask);
        e.u32be(NFQA_CFG_FLAGS, flags);
        e.end(m);
    }

    /** NFQNL_MSG_VERDICT; {@code payload} non-null replaces the packet's contents. */
    public static void encodeVerdict(Encoder e, int queueNum, int packetId, Verdict v, int mark, boolean setMark,
                                     MemorySegment payload, long off, int len) {
        // Refuse before writing anything: a half-written message would cut the batch short.
        if (payload != null && len > 0xffff - Netlink.NLA_HDRLEN) {
            throw new IllegalArgumentException("payload of " + len + " bytes does not fit NFQA_PAYLOAD");
        }
        int m = e.begin(MSG_VERDICT, NLM_F_REQUEST, 0);
        e.nfgenmsg(AF_UNSPEC, queueNum);
        int at = e.raw(NFQA_VERDICT_HDR, 8);
        e.buffer().set(U32BE, at, v.code);
        e.buffer().set(U32BE, at + 4, packetId);
        if (setMark) e.u32be(NFQA_MARK, mark);
        if (payload != null) e.bytes(NFQA_PAYLOAD, payload, off, len);
        e.end(m);
    }

    private interface ConfigMessage {
        void encode(Encoder e, int seq);
    }

    private void configure(ConfigMessage msg, String op) throws NetlinkException {
        config.reset();
        int seq = sock.nextSeq();
        msg.encode(config, seq);
        NetlinkRequests.request(sock, config, seq, op, cbuf, null);
    }

    public int queueNum() { return queueNum; }
    /** Where the queue's packets (and the kernel's answers to refused verdicts) arrive. */
    public NetlinkTransport transport() { return sock; }

    /** Adds a verdict to the batch; {@code payload} non-null replaces the packet's contents. */
    public void verdict(int packetId, Verdict v, int mark, boolean setMark, MemorySegment payload, long off, int len)
            throws NetlinkException {
        if (pendingVerdicts > 0 && verdicts.length() + 128 + len > MAX_BATCH_BYTES) flushVerdicts();
        encodeVerdict(verdicts, queueNum, packetId, v, mark, setMark, payload, off, len);
        pendingVerdicts++;
    }

    /**
     * Sends the batch. If the kernel refuses it as a whole, every verdict is sent on its own, so
     * one bad message never leaves the others' packets waiting in the kernel forever.
     */
    public void flushVerdicts() throws NetlinkException {
        if (pendingVerdicts == 0) return;
        try {
            sock.send(verdicts);
        } catch (NetlinkException whole) {
            NetlinkException last = null;
            resend.wrap(verdicts.buffer(), 0, verdicts.length());
            while (resend.next()) {
                try {
                    sock.send(verdicts.buffer().asSlice(resend.offset()), resend.length());
                } catch (NetlinkException one) {
                    last = one;
                }
            }
            if (last != null) throw last;
        } finally {
            verdicts.reset();
            pendingVerdicts = 0;
        }
    }

    /** Unbinds the queue so the kernel stops queueing to us (packets then take the bypass or drop). */
    public void unbind() throws NetlinkException {
        configure((e, seq) -> encodeConfigCmd(e, seq, queueNum, NFQNL_CFG_CMD_UNBIND, AF_INET), "unbind queue " + queueNum);
    }

    @Override
    public void close() {
        sock.close();
    }
}
