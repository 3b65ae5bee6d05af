package org.conenatd.bench.jmh;

import org.conenatd.packet.Ipv4UdpView;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

import static org.conenatd.bench.jmh.Packets.BE16;
import static org.conenatd.bench.jmh.Packets.BE32;

/**
 * The destination rewrite of a forwarded packet: {@link Ipv4UdpView#wrap} plus
 * {@link Ipv4UdpView#rewriteDestination} (RFC 1624 incremental checksum update, independent of the
 * packet size), against the baseline it must beat: the same rewrite followed by a full
 * recomputation of both checksums ({@link Ipv4UdpView#udpChecksum} sums the whole datagram).
 *
 * <p>Each call flips the destination between nat:port and lan:port, so the packet stays a valid
 * datagram throughout; the trial's teardown verifies both checksums. The packet sits at offset 52
 * of a native buffer, where an NFQA_PAYLOAD of a queued-packet message puts it.
 *
 * <p>Allocation: both are 0 B/op (check with {@code -prof gc}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ChecksumBench {
    private static final long OFF = 52;
    private static final int IP_CHECKSUM = 10, IP_DST = 16, UDP_DST_PORT = 2, UDP_CHECKSUM = 6;

    /** IP total length of the datagram. */
    @Param({"60", "1400"})
    public int size;

    private MemorySegment buf;
    private final Ipv4UdpView view = new Ipv4UdpView();
    private boolean toLan;

    @Setup(Level.Trial)
    public void setup() {
        buf = Arena.ofAuto().allocate(OFF + 2048, 8);
        Packets.writeUdp(buf, OFF, size, size);
        toLan = true;
    }

    @TearDown(Level.Trial)
    public void verify() {
        if (!org.conenatd.packet.Checksums.valid(buf, OFF, size)) {
            throw new IllegalStateException("packet checksums broken after the benchmark");
        }
        int dst = buf.get(BE32, OFF + IP_DST);
        if (dst != Packets.NAT_IP && dst != Packets.LAN_IP) throw new IllegalStateException("destination lost");
    }

    @Benchmark
    public void incremental(Blackhole bh) {
        boolean lan = toLan;
        toLan = !lan;
        bh.consume(view.wrap(buf, OFF, size));
        view.rewriteDestination(lan ? Packets.LAN_IP : Packets.NAT_IP, lan ? Packets.LAN_PORT : Packets.NAT_PORT);
        bh.consume(view.udpChecksum());
    }

    @Benchmark
    public void fullRecompute(Blackhole bh) {
        boolean lan = toLan;
        toLan = !lan;
        bh.consume(view.wrap(buf, OFF, size));
        long udp = OFF + view.headerLength();
        buf.set(BE32, OFF + IP_DST, lan ? Packets.LAN_IP : Packets.NAT_IP);
        buf.set(BE16, udp + UDP_DST_PORT, (short) (lan ? Packets.LAN_PORT : Packets.NAT_PORT));
        buf.set(BE16, OFF + IP_CHECKSUM, (short) Ipv4UdpView.ipv4HeaderChecksum(buf, OFF, view.headerLength()));
        buf.set(BE16, udp + UDP_CHECKSUM, (short) Ipv4UdpView.udpChecksum(buf, OFF));
        bh.consume(view.udpChecksum());
    }
}
