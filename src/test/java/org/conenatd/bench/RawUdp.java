package org.conenatd.bench;

import org.conenatd.it.Netns;
import org.conenatd.sys.Libc;
import org.conenatd.packet.Ipv4UdpView;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A raw IPv4 socket (IPPROTO_RAW: we write the IP header) for load generation: every packet can
 * carry its own source address and port, so every packet is a new flow to conntrack.
 */
final class RawUdp implements AutoCloseable {
    private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong BE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final int PAYLOAD = 16; // sequence number, send time (ns)
    private final int len;
    private final boolean checksum;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment cs = Libc.newCallState(arena);
    private final MemorySegment pkt;
    private final MemorySegment sin = arena.allocate(16, 4);
    private final int fd;

    RawUdp(String netns) {
        this(netns, PAYLOAD, true);
    }

    /**
     * {@code payload} bytes of UDP payload (at least 16: sequence number and send time, the rest
     * zeros); {@code checksum} false sends UDP checksum 0 ("none", legal in IPv4), for a blaster
     * whose CPU should go to sending.
     */
    RawUdp(String netns, int payload, boolean checksum) {
        if (payload < PAYLOAD) throw new IllegalArgumentException("payload < " + PAYLOAD);
        this.len = 20 + 8 + payload;
        this.checksum = checksum;
        pkt = arena.allocate(len, 8);
        fd = Netns.call(netns, () -> Libc.socket(cs, Libc.AF_INET, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, 255));
        if (fd < 0) throw new IllegalStateException("raw socket: " + Libc.errnoName(Libc.errno(cs)));
        sin.set(ValueLayout.JAVA_SHORT, 0, (short) Libc.AF_INET);
        pkt.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x45);
        pkt.set(BE16, 2, (short) len);
        pkt.set(ValueLayout.JAVA_BYTE, 8, (byte) 64);
        pkt.set(ValueLayout.JAVA_BYTE, 9, (byte) 17);
        pkt.set(BE16, 24, (short) (8 + payload));
    }

    /** Sends one UDP datagram carrying {@code seq} and the current time; returns false if the kernel refused. */
    boolean send(int src, int sport, int dst, int dport, long seq) {
        pkt.set(BE32, 12, src);
        pkt.set(BE32, 16, dst);
        pkt.set(BE16, 20, (short) sport);
        pkt.set(BE16, 22, (short) dport);
        pkt.set(BE64, 28, seq);
        pkt.set(BE64, 36, System.nanoTime());
        pkt.set(BE16, 26, (short) 0);
        if (checksum) pkt.set(BE16, 26, (short) Ipv4UdpView.udpChecksum(pkt, 0));
        sin.set(BE32, 4, dst);
        return Libc.sendto(cs, fd, pkt, len, 0, sin, 16) == len;
    }

    @Override
    public void close() {
        Libc.close(cs, fd);
    }
}
