package org.conenatd.bench.jmh;

import org.conenatd.netlink.Encoder;
import org.conenatd.netlink.Netlink;
import org.conenatd.nftables.SetElems;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;

import static org.conenatd.nftables.NfTables.NFT_MSG_NEWSETELEM;

/**
 * The kernel-mode control plane's encoding: one transaction of 64 outbound and 64 inbound map
 * elements, as an allocation burst stages them. Must be 0 B/op under {@code -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class NftBench {
    private static final byte[] TABLE = SetElems.nulTerminated("conenatd", 256);
    private final Encoder enc = new Encoder(Arena.ofAuto().allocate(64 * 1024, 8));
    private final byte[] out = SetElems.nulTerminated("out_udp", 256);
    private final byte[] in = SetElems.nulTerminated("in_udp", 256);

    @Benchmark
    public void encodeTransactionOf64Mappings(Blackhole bh) {
        enc.reset();
        SetElems.batchBegin(enc, 1);
        int m = SetElems.beginElements(enc, NFT_MSG_NEWSETELEM, Netlink.NLM_F_CREATE, 2, TABLE, out);
        for (int i = 0; i < 64; i++) SetElems.outboundElement(enc, 0x0a000001, 1000 + i, 20000 + i);
        SetElems.endElements(enc, m);
        m = SetElems.beginElements(enc, NFT_MSG_NEWSETELEM, Netlink.NLM_F_CREATE, 3, TABLE, in);
        for (int i = 0; i < 64; i++) SetElems.inboundElement(enc, 20000 + i, 0x0a000001, 1000 + i);
        SetElems.endElements(enc, m);
        SetElems.batchEnd(enc, 4, true);
        bh.consume(enc.length());
    }
}
