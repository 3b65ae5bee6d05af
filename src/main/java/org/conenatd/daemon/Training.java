package org.conenatd.daemon;

import org.conenatd.conntrack.ConntrackEvents;
import org.conenatd.conntrack.Ctnetlink;
import org.conenatd.dataplane.MappingFlows;
import org.conenatd.conntrack.Status;
import org.conenatd.conntrack.Tuple;
import org.conenatd.dataplane.kernel.KernelTraining;
import org.conenatd.dataplane.seed.SeedTraining;
import org.conenatd.nat.FullConeNat;
import org.conenatd.nat.Protocol;
import org.conenatd.netlink.Encoder;
import org.conenatd.netlink.Netlink;
import org.conenatd.netlink.ReplayTransport;
import org.conenatd.ops.Counters;
import org.conenatd.ops.Log;
import org.conenatd.sys.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The training run behind the JVM's AOT cache (JEP 483/514/515): bin/conenatd-build runs it with
 * {@code -XX:AOTCacheOutput}, so the classes it loads and the profiles of the methods it runs hot
 * are in the cache, and a cold daemon starts with them. It drives the real hot paths (conntrack
 * events into the core, both planes' queue paths) against replaying transports: no kernel socket
 * is opened, so it runs anywhere, as any user.
 */
public final class Training {
    private Training() {}

    public static void main(String[] args) throws Exception {
        long millis = args.length > 0 ? Long.parseLong(args[0]) : 4500;
        long t0 = System.nanoTime();
        long events = 0, seed = 0, kernel = 0;
        for (int round = 0; round < 3; round++) { // rounds: the first runs cold, the later ones hot
            events += events(millis / 9);
            seed += SeedTraining.run(millis / 9);
            kernel += KernelTraining.run(millis / 9);
        }
        if (events == 0 || seed == 0 || kernel == 0) throw new IllegalStateException("a training path did not run");
        System.out.printf("conenatd training: %d events, %d seed bytes, %d kernel bytes in %d ms%n",
                events, seed, kernel, (System.nanoTime() - t0) / 1_000_000);
    }

    /** NEW and DESTROY events of SNAT'd UDP flows through the event loop, the edge, the core and the change log. */
    static long events(long millis) {
        List<byte[]> datagrams = new ArrayList<>();
        for (int d = 0; d < 16; d++) {
            Encoder e = new Encoder(Arena.ofAuto().allocate(64 * 1024, 8));
            for (int i = 0; i < 32; i++) {
                int peer = 0xC6336400 + d * 32 + i;
                event(e, Ctnetlink.IPCTNL_MSG_CT_NEW, peer, 40000 + i);
                event(e, Ctnetlink.IPCTNL_MSG_CT_DELETE, peer, 40000 + i);
            }
            datagrams.add(e.buffer().asSlice(0, e.length()).toArray(ValueLayout.JAVA_BYTE));
        }
        Counters counters = new Counters();
        FullConeNat nat = new FullConeNat();
        Log quiet = new Log(Log.Level.QUIET, false, 0);
        nat.addListener(new ChangeLog(quiet, "train0", true, counters));
        ConntrackEvents events = new ConntrackEvents(new ReplayTransport(datagrams, 64), 1 << 20);
        EventLoop loop = new EventLoop(events, nat, new MappingFlows(MappingFlows.ANY_ADDRESS, Protocol.UDP), quiet,
                counters, () -> { });
        long end = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < end) loop.catchUp();
        return counters.value("events");
    }

    private static void event(Encoder e, int msg, int peer, int natPort) {
        int flags = msg == Ctnetlink.IPCTNL_MSG_CT_NEW ? Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL : 0;
        int m = e.begin(Netlink.nfnlMsgType(Netlink.NFNL_SUBSYS_CTNETLINK, msg), flags, 0);
        e.nfgenmsg(Libc.AF_INET, 0);
        Tuple.encode(e, Ctnetlink.CTA_TUPLE_ORIG, Tuple.IPPROTO_UDP, 0x0A000065, natPort, peer, 3478);
        Tuple.encode(e, Ctnetlink.CTA_TUPLE_REPLY, Tuple.IPPROTO_UDP, peer, 3478, 0xCB007101, natPort);
        e.u32be(Ctnetlink.CTA_STATUS, Status.IPS_SRC_NAT.mask | Status.IPS_CONFIRMED.mask);
        e.u32be(Ctnetlink.CTA_TIMEOUT, 30);
        e.end(m);
    }
}
