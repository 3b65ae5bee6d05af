package org.conenatd.nfqueue;

import static org.conenatd.sys.Layouts.U16BE;

import org.conenatd.netlink.Decoder;
import org.conenatd.netlink.MessageReader;
import org.conenatd.netlink.Netlink;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.conenatd.nfqueue.Nfqnl.*;

/**
 * A packet message from the queue, decoded in place: a reusable view whose payload stays in the
 * receive buffer (no copy).
 */
public final class QueuedPacket {
    private final Decoder d = new Decoder();
    private MemorySegment seg;
    private int queue;
    private int id;
    private int hook;
    private int hwProtocol;
    private int mark;
    private int indev;
    private long payloadOffset;
    private int payloadLength;

    private static final int MSG_PACKET = Netlink.nfnlMsgType(Netlink.NFNL_SUBSYS_QUEUE, NFQNL_MSG_PACKET);

    /**
     * True if {@code m} is a queued packet; false for anything else on a queue socket, such as the
     * kernel's error answer to a refused verdict.
     */
    public static boolean isPacket(MessageReader m) {
        return m.type() == MSG_PACKET;
    }

    /** Returns false (and leaves the view invalid) if {@code m} is not a well-formed packet message. */
    public boolean decode(MessageReader m) {
        if (!isPacket(m)) return false;
        seg = m.segment();
        queue = m.payloadLength() >= Netlink.NFGENMSG_LEN ? m.nfResId() : -1;
        boolean header = false;
        mark = 0;
        indev = 0;
        payloadOffset = -1;
        payloadLength = 0;
        m.nfAttributes(d);
        while (d.next()) {
            switch (d.type()) {
                case NFQA_PACKET_HDR -> {
                    if (d.length() >= 7) {
                        header = true;
                        id = d.u32be();
                        hwProtocol = Short.toUnsignedInt(seg.get(U16BE, d.offset() + 4));
                        hook = Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, d.offset() + 6));
                    } else {
                        d.fail("short NFQA_PACKET_HDR");
                    }
                }
                case NFQA_MARK -> mark = d.u32be();
                case NFQA_IFINDEX_INDEV -> indev = d.u32be();
                case NFQA_PAYLOAD -> {
                    payloadOffset = d.offset();
                    payloadLength = d.length();
                }
                default -> { }
            }
        }
        // Ids wrap through all 32 bits (0xffffffff included): presence, not a sentinel, says valid.
        return d.ok() && header;
    }

    public MemorySegment segment() { return seg; }
    public int queue() { return queue; }
    /** The kernel's packet id, echoed in the verdict. */
    public int id() { return id; }
    public int hook() { return hook; }
    public int hwProtocol() { return hwProtocol; }
    public int mark() { return mark; }
    public int inputInterface() { return indev; }
    public boolean hasPayload() { return payloadOffset >= 0; }
    public long payloadOffset() { return payloadOffset; }
    public int payloadLength() { return payloadLength; }
}
