package org.conenatd.bench;

import org.conenatd.it.Netns;
import org.conenatd.sys.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/** A UDP receiver that counts distinct sequence numbers and records one-way latency per packet. */
final class UdpSink implements AutoCloseable {
    private static final ValueLayout.OfLong BE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private final Arena arena = Arena.ofShared();
    private final MemorySegment cs = Libc.newCallState(arena);
    private final MemorySegment buf = arena.allocate(2048, 8);
    private final MemorySegment sendCs = Libc.newCallState(arena); // the receive thread owns cs
    private final MemorySegment out = arena.allocate(16, 8);
    private final MemorySegment to = arena.allocate(16, 4);
    private final int fd;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long[] latency = new long[0]; // by sequence number; 0 = not received
    private volatile long received;
    private volatile long firstArrival, lastArrival; // System.nanoTime() of the first and last counted packet

    UdpSink(String netns, int addr, int port) {
        fd = Netns.call(netns, () -> Libc.socket(cs, Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0));
        if (fd < 0) throw new IllegalStateException("socket: " + Libc.errnoName(Libc.errno(cs)));
        MemorySegment v = arena.allocate(16, 8);
        v.set(ValueLayout.JAVA_INT, 0, 64 << 20);
        Libc.setsockopt(cs, fd, Libc.SOL_SOCKET, Libc.SO_RCVBUFFORCE, v, 4);
        v.set(ValueLayout.JAVA_LONG, 0, 0);
        v.set(ValueLayout.JAVA_LONG, 8, 200_000); // 200 ms receive timeout
        Libc.setsockopt(cs, fd, Libc.SOL_SOCKET, Libc.SO_RCVTIMEO, v, 16);
        MemorySegment sin = arena.allocate(16, 4);
        sin.set(ValueLayout.JAVA_SHORT, 0, (short) Libc.AF_INET);
        sin.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 2, (short) port);
        sin.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 4, addr);
        if (Libc.bind(cs, fd, sin, 16) < 0) throw new IllegalStateException("bind: " + Libc.errnoName(Libc.errno(cs)));
        thread = Thread.ofPlatform().name("sink").daemon().start(this::loop);
    }

    /** Starts a new measurement of {@code n} sequence numbers. */
    void reset(int n) {
        latency = new long[n];
        received = 0;
        firstArrival = lastArrival = 0;
    }

    long received() { return received; }

    long firstArrival() { return firstArrival; }

    long lastArrival() { return lastArrival; }

    /**
     * Sends one datagram from this socket (its address and port) carrying sequence number -1, so
     * that the router maps this very endpoint; returns false if the kernel refused.
     */
    boolean send(int dst, int dport) {
        to.set(ValueLayout.JAVA_SHORT, 0, (short) Libc.AF_INET);
        to.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 2, (short) dport);
        to.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 4, dst);
        out.set(BE64, 0, -1L);
        out.set(BE64, 8, System.nanoTime());
        return Libc.sendto(sendCs, fd, out, 16, 0, to, 16) == 16;
    }

    private void loop() {
        while (running) {
            long n = Libc.recv(cs, fd, buf, buf.byteSize(), 0);
            long now = System.nanoTime();
            if (n < 16) continue;
            long seq = buf.get(BE64, 0);
            long sent = buf.get(BE64, 8);
            long[] lat = latency;
            if (seq >= 0 && seq < lat.length && lat[(int) seq] == 0) {
                lat[(int) seq] = Math.max(1, now - sent);
                if (received == 0) firstArrival = now;
                lastArrival = now;
                received++;
            }
        }
    }

    /** Percentile (0-100) of the latencies received so far, in microseconds; NaN if none. */
    double percentileMicros(double p) {
        long[] l = Arrays.stream(latency).filter(x -> x > 0).sorted().toArray();
        if (l.length == 0) return Double.NaN;
        int i = (int) Math.min(l.length - 1, Math.ceil(p / 100.0 * l.length) - 1);
        return l[Math.max(0, i)] / 1000.0;
    }

    /** Latency (us) of every received packet by sequence number, 0 where lost. */
    void dump(java.nio.file.Path file) throws java.io.IOException {
        StringBuilder sb = new StringBuilder("seq,latency_us\n");
        long[] l = latency;
        for (int i = 0; i < l.length; i++) sb.append(i).append(',').append(l[i] / 1000.0).append('\n');
        java.nio.file.Files.writeString(file, sb);
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Libc.close(cs, fd);
    }
}
