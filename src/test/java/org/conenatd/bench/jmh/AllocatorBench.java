package org.conenatd.bench.jmh;

import org.conenatd.nat.AddressPool;
import org.conenatd.nat.Endpoint;
import org.conenatd.nat.External;
import org.conenatd.nat.PortAllocator;
import org.conenatd.nat.Protocol;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.concurrent.TimeUnit;

/**
 * The pooled allocator with many mappings present: 16 external addresses and {@code mappings}
 * adopted ones (hosts of 256 endpoints each, paired with one address each, as a restart after
 * kill -9 leaves them), then per operation a new endpoint of a new host is allocated and let go
 * again (the first packet of a new host, and its expiry), or an endpoint's mapping is looked up
 * (every first packet of a mapped endpoint). With {@code blocks} the hosts hold blocks of 64.
 *
 * <p>Allocation (check with {@code -prof gc}): lookups are 0 B/op; an allocate/forget pair costs
 * what the indexes' growth amortises to, and with blocks the host's block list.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xmx1g"})
public class AllocatorBench {
    static final int ADDRESSES = 16, PER_HOST = 256; // whole blocks of 64 per host

    @State(Scope.Thread)
    public static class Pool {
        @Param({"1000000"})
        int mappings;
        @Param({"0", "64"})
        int blocks;
        PortAllocator a;
        long[] endpoints;
        int cursor, fresh;

        @Setup
        public void setup() {
            int[] addrs = new int[ADDRESSES];
            for (int i = 0; i < ADDRESSES; i++) addrs[i] = 0xCB007128 + i; // 203.0.113.40..55
            a = new PortAllocator(Protocol.UDP, 1024, 65535, new AddressPool(addrs), blocks, 0);
            endpoints = new long[mappings];
            int perAddress = (mappings + ADDRESSES - 1) / ADDRESSES;
            for (int m = 0; m < mappings; m++) {
                int host = 0x0A010000 + m / PER_HOST, index = (m / PER_HOST) % ADDRESSES;
                int port = 1024 + (m / (PER_HOST * ADDRESSES)) * PER_HOST + m % PER_HOST;
                long ep = Endpoint.of(host, 20000 + m % PER_HOST);
                if (port > 65535 || !a.adopt(ep, External.of(index, port), 0, 1)) throw new IllegalStateException("setup " + m);
                endpoints[m] = ep;
            }
            if (a.allocated() != mappings || perAddress > 65535 - 1024) throw new IllegalStateException("setup");
        }
    }

    @Benchmark
    public void allocateAndForgetANewHostsEndpoint(Pool s, Blackhole bh) {
        long ep = Endpoint.of(0x0B000000 + (s.fresh++ & 0xffff), 40000);
        int x = s.a.allocate(ep, PortAllocator.PortUse.NONE, 0, 1);
        bh.consume(x);
        s.a.forget(x);
    }

    @Benchmark
    public void portOfAMappedEndpoint(Pool s, Blackhole bh) {
        bh.consume(s.a.portOf(s.endpoints[s.cursor]));
        if (++s.cursor == s.endpoints.length) s.cursor = 0;
    }
}
