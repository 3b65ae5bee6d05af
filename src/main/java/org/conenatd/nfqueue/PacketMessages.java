package org.conenatd.nfqueue;

import org.conenatd.netlink.Encoder;
import org.conenatd.netlink.Netlink;
import org.conenatd.sys.Layouts;
import org.conenatd.sys.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;

import static org.conenatd.nfqueue.Nfqnl.*;

/**
 * NFQNL_MSG_PACKET messages as the kernel sends them, for code that must drive the queue path
 * without a kernel: the training run of the AOT cache, and the unit tests.
 */
public final class PacketMessages {
    private PacketMessages() {}

    /** One datagram holding one packet message: header (id, ETH_P_IP, hook), mark if non-zero, payload. */
    public static byte[] packet(int queueNum, int packetId, int mark, byte[] ipPacket) {
        Encoder e = new Encoder(Arena.ofAuto().allocate(ipPacket.length + 256L, 8));
        int m = e.begin(Netlink.nfnlMsgType(Netlink.NFNL_SUBSYS_QUEUE, NFQNL_MSG_PACKET), 0, 0);
        e.nfgenmsg(Libc.AF_INET, queueNum);
        int at = e.raw(NFQA_PACKET_HDR, 7);
        e.buffer().set(Layouts.U32BE, at, packetId);
        e.buffer().set(Layouts.U16BE, at + 4, (short) 0x0800); // ETH_P_IP
        if (mark != 0) e.u32be(NFQA_MARK, mark);
        e.bytes(NFQA_PAYLOAD, ipPacket);
        e.end(m);
        return e.buffer().asSlice(0, e.length()).toArray(ValueLayout.JAVA_BYTE);
    }

    /** A 29-byte IPv4 UDP packet (payload "!") with a valid header checksum and no UDP checksum. */
    public static byte[] udp(int src, int srcPort, int dst, int dstPort) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(29);
        b.putInt(0x4500001d).putInt(0x00014000).putShort((short) 0x4011).putShort((short) 0)
                .putInt(src).putInt(dst).putShort((short) srcPort).putShort((short) dstPort)
                .putShort((short) 9).putShort((short) 0).put((byte) '!');
        byte[] p = b.array();
        long sum = 0;
        for (int i = 0; i < 20; i += 2) sum += ((p[i] & 0xff) << 8) | (p[i + 1] & 0xff);
        while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
        int c = (int) ~sum & 0xffff;
        p[10] = (byte) (c >> 8);
        p[11] = (byte) c;
        return p;
    }
}
