package org.conenatd.dataplane.kernel;

import org.conenatd.nat.FullConeNat;
import org.conenatd.nat.Protocol;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.netlink.ReplayTransport;
import org.conenatd.nfqueue.NfQueue;
import org.conenatd.nfqueue.PacketMessages;
import org.conenatd.nftables.NftMaps;
import org.conenatd.ops.Counters;
import org.conenatd.ops.Log;

import java.util.ArrayList;
import java.util.List;

/**
 * Kernel mode's hot path without a kernel, for the training run of the JVM's AOT cache: first
 * packets of new LAN endpoints through the real {@link OutboundPath} (decode, allocation, one map
 * transaction per batch, verdicts), and expiry, against replaying transports.
 */
public final class KernelTraining {
    private KernelTraining() {}

    public static long run(long millis) throws NetlinkException {
        KernelConfig cfg = new KernelConfig("train0", 47000, 0x400000, 20000, 29999, 1,
                List.of(Protocol.UDP, Protocol.TCP), 1024);
        ReplayTransport nft = new ReplayTransport(List.of(new byte[16]), 0);
        NftMaps maps = new NftMaps(nft, KernelConfig.TABLE);
        maps.ackCommit(false); // nothing answers: success is the absence of errors
        Log quiet = new Log(Log.Level.QUIET, false, 0);
        KernelPlaneCounters count = new KernelPlaneCounters(new Counters());
        Mappings mappings = new Mappings(cfg, new org.conenatd.dataplane.MapWriter(maps), new FullConeNat(), new InboundFlows(sink -> { }), count, quiet);
        List<byte[]> packets = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            byte[] ip = PacketMessages.udp(0x0A000000 | (2 + i % 200), 1024 + i, 0xCB00710A, 3478);
            if (i % 3 == 0) ip[9] = 6; // TCP: the ports sit where UDP's do
            packets.add(PacketMessages.packet(47000, i + 1, 0x400000, ip));
        }
        ReplayTransport queueSide = new ReplayTransport(packets, OutboundPath.BATCH);
        OutboundPath path = new OutboundPath(new NfQueue(queueSide, 47000), mappings, cfg.markBit(), false, quiet, count);
        long end = System.nanoTime() + millis * 1_000_000L;
        int cycles = 0;
        while (System.nanoTime() < end) {
            path.cycle();
            if (++cycles % 8 == 0) mappings.expire(Long.MAX_VALUE / 2); // frees them all: allocate again
        }
        return queueSide.sentBytes() + nft.sentBytes();
    }
}
