package org.conenatd.bench.jmh;

import org.conenatd.nat.FlowIndex;
import org.conenatd.nat.Endpoint;
import org.conenatd.nat.MappingTable;
import org.conenatd.nat.Protocol;
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

import java.util.HashMap;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The NAT tables: {@link MappingTable#lookup} (once per queued packet) on a table of 60,000 mapped
 * ports probed at uniformly random ports (about 92% mapped), against a {@code HashMap<Integer, Long>}
 * of the same content; addFlow/removeFlow pairs (per conntrack event); and {@link FlowIndex}
 * get and add/remove pairs with 100,000 live flows. Probes come from precomputed random arrays
 * so the tables are hit all over, as real traffic does.
 *
 * <p>Allocation (check with {@code -prof gc}): everything on MappingTable and FlowIndex must be
 * 0 B/op. The HashMap baseline boxes its Integer key per lookup (the JIT may or may not
 * scalar-replace it).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TableBench {
    static final int MAPPED_PORTS = 60_000;
    static final int FLOWS = 100_000;
    private static final int PROBES = 1 << 16, PROBE_MASK = PROBES - 1;
    /** A LAN endpoint that owns no mapping: adding its flow to a mapped port is a CONFLICT. */
    private static final int OTHER_IP = 0x0A0001FE, OTHER_PORT = 7777;

    @State(Scope.Thread)
    public static class Mappings {
        MappingTable table;
        HashMap<Integer, Long> map;
        final int[] probes = new int[PROBES];
        int cursor;

        @Setup
        public void setup() {
            SplittableRandom r = new SplittableRandom(60_000);
            // 60,000 distinct nat-ports out of 1024..65535, each mapped to its own LAN endpoint
            int[] ports = new int[65536 - 1024];
            for (int i = 0; i < ports.length; i++) ports[i] = 1024 + i;
            for (int i = ports.length - 1; i > 0; i--) {
                int j = r.nextInt(i + 1), t = ports[i];
                ports[i] = ports[j];
                ports[j] = t;
            }
            table = new MappingTable();
            map = new HashMap<>();
            for (int i = 0; i < MAPPED_PORTS; i++) {
                int lanIp = 0x0A000000 | (2 + i % 250);  // 10.0.0.2 .. 10.0.0.251
                int lanPort = 1024 + i / 250;
                if (table.addFlow(Protocol.UDP, ports[i], Endpoint.of(lanIp, lanPort)) != MappingTable.Change.MAPPED) {
                    throw new IllegalStateException("port " + ports[i] + " mapped twice");
                }
                map.put(ports[i], Endpoint.of(lanIp, lanPort));
            }
            if (table.mappedPorts() != MAPPED_PORTS || map.size() != MAPPED_PORTS) throw new IllegalStateException();
            for (int i = 0; i < PROBES; i++) probes[i] = r.nextInt(65536);
        }

        int nextPort() {
            return probes[cursor++ & PROBE_MASK];
        }
    }

    @State(Scope.Thread)
    public static class Flows {
        FlowIndex index;
        final long[] present = new long[PROBES];
        final long[] absent = new long[PROBES];
        int cursor;

        @Setup
        public void setup() {
            SplittableRandom r = new SplittableRandom(100_000);
            index = new FlowIndex(); // grows from its default size, as the daemon's does
            long[] keys = new long[FLOWS];
            for (int n = 0; n < FLOWS; ) {
                int natPort = 1024 + r.nextInt(65536 - 1024);
                long k = FlowIndex.key(r.nextInt(), 1 + r.nextInt(65535), natPort);
                long v = FlowIndex.pack(natPort, Endpoint.of(0x0A000000 | r.nextInt(1 << 16), 1024 + r.nextInt(60000)));
                if (index.add(k, v)) keys[n++] = k;
            }
            if (index.size() != FLOWS) throw new IllegalStateException();
            for (int i = 0; i < PROBES; i++) present[i] = keys[r.nextInt(FLOWS)];
            for (int i = 0; i < PROBES; ) {
                long k = FlowIndex.key(r.nextInt(), 1 + r.nextInt(65535), 1024 + r.nextInt(65536 - 1024));
                if (!index.contains(k)) absent[i++] = k;
            }
        }

        int next() {
            return cursor++ & PROBE_MASK;
        }
    }

    /** The packet path's question: where does unsolicited traffic to this nat-port go? 0 B/op. */
    @Benchmark
    public void mappingLookup(Mappings s, Blackhole bh) {
        bh.consume(s.table.lookup(Protocol.UDP, s.nextPort()));
    }

    /** Baseline: the same content in a HashMap<Integer, Long>. */
    @Benchmark
    public void hashMapLookup(Mappings s, Blackhole bh) {
        Long ep = s.map.get(s.nextPort());
        bh.consume(ep == null ? Endpoint.NONE : ep.longValue());
    }

    /** A flow of an endpoint the port does not have, then its end: CONFLICT/RELEASED or MAPPED/UNMAPPED. 0 B/op. */
    @Benchmark
    public void mappingAddRemoveFlow(Mappings s, Blackhole bh) {
        int port = s.nextPort();
        bh.consume(s.table.addFlow(Protocol.UDP, port, Endpoint.of(OTHER_IP, OTHER_PORT)));
        bh.consume(s.table.removeFlow(Protocol.UDP, port, Endpoint.of(OTHER_IP, OTHER_PORT)));
    }

    /** A hit among 100,000 live flows. 0 B/op. */
    @Benchmark
    public void flowIndexGet(Flows s, Blackhole bh) {
        bh.consume(s.index.get(s.present[s.next()]));
    }

    /** Add a new flow to the 100,000, then remove it (backward-shift deletion). 0 B/op. */
    @Benchmark
    public void flowIndexAddRemove(Flows s, Blackhole bh) {
        long k = s.absent[s.next()];
        bh.consume(s.index.add(k, 1L));
        bh.consume(s.index.remove(k));
    }
}
