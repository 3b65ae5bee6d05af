package org.conenatd.dataplane.seed;

import org.conenatd.conntrack.DnatBatch;
import org.conenatd.nat.FullConeNat;
import org.conenatd.nat.MappingFlow;
import org.conenatd.nat.Protocol;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.netlink.ReplayTransport;
import org.conenatd.nfqueue.NfQueue;
import org.conenatd.nfqueue.PacketMessages;
import org.conenatd.ops.Counters;
import org.conenatd.ops.Log;

import java.util.ArrayList;
import java.util.List;

/**
 * The seed plane's hot path without a kernel, for the training run of the JVM's AOT cache:
 * batches of first packets, mapped and unmapped, through the real {@link InboundPath} (decode,
 * lookup, DNAT creation batch, checksum rewrite, verdict batch) against replaying transports.
 */
public final class SeedTraining {
    private SeedTraining() {}

    /** Runs batches for about {@code millis}; returns the verdict bytes sent, as proof the path ran. */
    public static long run(long millis) throws NetlinkException {
        int nat = 0xCB007101, lan = 0x0A000065, peer = 0xC6336400;
        FullConeNat core = new FullConeNat();
        for (int p = 0; p < 32; p++) core.flowStarted(new MappingFlow(Protocol.UDP, lan, 5000 + p, 40000 + p, peer, 3478));
        List<byte[]> packets = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            int dstPort = i % 4 == 3 ? 50000 + i : 40000 + i % 32; // a quarter unmapped, as scans are
            packets.add(PacketMessages.packet(1000, i + 1, 0, PacketMessages.udp(peer + 1 + i, 1024 + i, nat, dstPort)));
        }
        ReplayTransport queueSide = new ReplayTransport(packets, InboundPath.BATCH);
        ReplayTransport ctSide = new ReplayTransport(List.of(new byte[16]), 0);
        InboundPath path = new InboundPath(new NfQueue(queueSide, 1000), new DnatBatch(ctSide, InboundPath.ROWS), core,
                () -> { }, nat, 2000, 30, new Log(Log.Level.QUIET, false, 0), new SeedCounters(new Counters()));
        long end = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < end) path.cycle();
        return queueSide.sentBytes() + ctSide.sentBytes();
    }
}
