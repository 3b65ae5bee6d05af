package org.conenatd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.conenatd.sys.Errno;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.nftables.NftMap;
import org.conenatd.nftables.NftMaps;
import org.conenatd.inet.Inet4;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * NftMaps against the running kernel: each test gets its own network namespace holding a fresh
 * table {@code ip conenatd} made by {@code nft -f}; the client's socket is opened inside it, and
 * {@code nft list} inside it is the referee. The namespace is deleted afterwards.
 */
class NftMapsIT {
    private static final String RULESET = """
            table ip conenatd {
              map out_udp { type ipv4_addr . inet_service : inet_service; }
              map in_udp  { type inet_service : ipv4_addr . inet_service; }
              set seen    { type ipv4_addr . inet_service; flags timeout; }
            }
            """;
    private static final NftMap OUT = NftMap.outbound("out_udp"), IN = NftMap.inbound("in_udp"),
            SEEN = NftMap.addrPortSet("seen");
    private static final int LAN = Inet4.parseAddr("10.0.0.1");

    private String ns;
    private NftMaps maps;

    @BeforeEach
    void namespace() throws Exception {
        ns = "nftit" + ProcessHandle.current().pid() + "x" + System.nanoTime() % 100000;
        run("ip", "netns", "add", ns);
        runWithInput(RULESET, "ip", "netns", "exec", ns, "nft", "-f", "-");
        maps = Netns.call(ns, () -> NftMaps.open("conenatd"));
    }

    @AfterEach
    void cleanup() throws Exception {
        if (maps != null) maps.close();
        run("ip", "netns", "del", ns);
    }

    @Test
    void oneCommitAddsElementsToBothMapsAsNftListsThem() throws Exception {
        for (int i = 0; i < 64; i++) {
            maps.add(OUT, LAN + i, 5000 + i, 0, 20000 + i);
            maps.add(IN, 0, 20000 + i, LAN + i, 5000 + i);
        }
        maps.commit();
        String out = nft("list", "map", "ip", "conenatd", "out_udp"), in = nft("list", "map", "ip", "conenatd", "in_udp");
        assertTrue(out.contains("10.0.0.1 . 5000 : 20000"), out);
        assertTrue(out.contains("10.0.0.64 . 5063 : 20063"), out);
        assertTrue(in.contains("20063 : 10.0.0.64 . 5063"), in);
        assertEquals(64, dump(OUT).size());
        assertEquals(64, dump(IN).size());
    }

    @Test
    void dumpReturnsWhatNftAdded() throws Exception {
        nft("add", "element", "ip", "conenatd", "out_udp", "{ 10.0.0.101 . 5000 : 20000, 10.0.0.102 . 40000 : 20001 }");
        nft("add", "element", "ip", "conenatd", "in_udp", "{ 20000 : 10.0.0.101 . 5000 }");
        assertEquals(List.of("10.0.0.101 . 5000 : 20000", "10.0.0.102 . 40000 : 20001"), dump(OUT).stream().sorted().toList());
        assertEquals(List.of("20000 : 10.0.0.101 . 5000"), dump(IN));
    }

    @Test
    void removingAMissingKeyFailsTheWholeBatchWithEnoentNamingThatElement() throws Exception {
        maps.add(OUT, LAN, 5000, 0, 20000);
        maps.remove(OUT, LAN, 6000);
        NetlinkException e = assertThrows(NetlinkException.class, maps::commit);
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("delete conenatd out_udp: element 10.0.0.1 . 6000"), e.getMessage());
        assertEquals(1, maps.failedElement());
        assertEquals(List.of(), dump(OUT), "the add before it was rolled back");
        maps.removeIfPresent(OUT, LAN, 6000);         // NFT_MSG_DESTROYSETELEM: absent is fine
        maps.add(OUT, LAN, 5000, 0, 20000);
        maps.commit();
        assertEquals(List.of("10.0.0.1 . 5000 : 20000"), dump(OUT));
    }

    @Test
    void aNewValueForAnExistingKeyNeedsRemoveThenAddInOneBatch() throws Exception {
        maps.add(OUT, LAN, 5000, 0, 20000);
        maps.commit();
        maps.add(OUT, LAN, 5000, 0, 20000);           // the same element again: fine without NLM_F_EXCL
        maps.commit();
        maps.add(OUT, LAN, 5000, 0, 20001);
        NetlinkException e = assertThrows(NetlinkException.class, maps::commit);
        assertEquals(Errno.EEXIST, e.errno(), e.getMessage());
        assertEquals(0, maps.failedElement());
        maps.remove(OUT, LAN, 5000);
        maps.add(OUT, LAN, 5000, 0, 20001);
        maps.commit();
        assertEquals(List.of("10.0.0.1 . 5000 : 20001"), dump(OUT));
        maps.removeIfPresent(OUT, LAN, 5000);            // destroy then add, as seed mode's --kernel-dnat writes
        maps.add(OUT, LAN, 5000, 0, 20002);
        maps.commit();
        assertEquals(List.of("10.0.0.1 . 5000 : 20002"), dump(OUT));
    }

    @Test
    void aMissingMapFailsWithEnoentAtTheSetName() {
        maps.add(NftMap.outbound("nosuch"), LAN, 5000, 0, 20000);
        NetlinkException e = assertThrows(NetlinkException.class, maps::commit);
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("nosuch: the set name"), e.getMessage());
        assertEquals(-1, maps.failedElement());
    }

    @Test
    void elementsWithATimeoutExpireAndDumpWithTheirTimeLeft() throws Exception {
        maps.add(SEEN, LAN, 5000, 0, 0, 30_000);
        maps.add(SEEN, LAN, 5001, 0, 0, 1_000);
        maps.commit();
        List<long[]> got = new ArrayList<>();
        maps.dump(SEEN, v -> got.add(new long[] {v.keyPort, v.timeoutMs, v.expirationMs}));
        assertEquals(2, got.size());
        for (long[] g : got) assertTrue(g[2] > 0 && g[2] <= g[1], "expiration within the timeout");
        assertTrue(nft("list", "set", "ip", "conenatd", "seen").contains("10.0.0.1 . 5000 timeout 30s expires"));
        Thread.sleep(2500);
        List<String> left = dump(SEEN);
        assertEquals(1, left.size(), left.toString());
        assertTrue(left.get(0).startsWith("10.0.0.1 . 5000 timeout 30000ms"), left.toString());
    }

    @Test
    void withoutAckACommitStillReportsFailures() throws Exception {
        maps.ackCommit(false);
        maps.add(OUT, LAN, 5000, 0, 20000);
        maps.commit();
        maps.remove(OUT, LAN, 5001);
        assertThrows(NetlinkException.class, maps::commit);
        assertFalse(dump(OUT).isEmpty());
    }

    @Test
    void updateRates() throws Exception {
        StringBuilder report = new StringBuilder("nft map updates/s (add+remove, out_udp) in netns " + ns + ":");
        for (int[] cfg : new int[][] {{1, 1}, {1, 0}, {64, 1}, {64, 0}, {256, 1}}) {
            maps.ackCommit(cfg[1] == 1);
            int perBatch = cfg[0], n = perBatch == 1 ? 20_000 : 200_000;
            pass(perBatch, Math.min(n, 2000));                 // warm-up
            long t0 = System.nanoTime();
            pass(perBatch, n);
            double s = (System.nanoTime() - t0) / 1e9;
            report.append(String.format("%n  %3d per batch, ack %-3s: %,10.0f updates/s (%,d updates in %.2f s)",
                    perBatch, cfg[1] == 1 ? "yes" : "no", 2 * n / s, 2 * n, s));
        }
        System.out.println(report);
        assertEquals(List.of(), dump(OUT));
    }

    /** Adds n elements then removes them, {@code perBatch} to a commit. */
    private void pass(int perBatch, int n) throws NetlinkException {
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < n; i++) {
                int addr = LAN + (i >>> 12), port = 1024 + (i & 0xfff);
                if (pass == 0) maps.add(OUT, addr, port, 0, 1024 + (i % 60000));
                else maps.remove(OUT, addr, port);
                if (maps.staged() == perBatch) maps.commit();
            }
            maps.commit();
        }
    }

    private List<String> dump(NftMap map) throws NetlinkException {
        List<String> out = new ArrayList<>();
        maps.dump(map, v -> {
            StringBuilder sb = new StringBuilder();
            if (v.keyLength == 8) sb.append(Inet4.format(v.keyAddr)).append(" . ").append(v.keyPort);
            else sb.append(v.keyPort);
            if (v.dataLength == 2) sb.append(" : ").append(v.dataPort);
            if (v.dataLength == 8) sb.append(" : ").append(Inet4.format(v.dataAddr)).append(" . ").append(v.dataPort);
            if (v.timeoutMs > 0) sb.append(" timeout ").append(v.timeoutMs).append("ms");
            out.add(sb.toString());
        });
        return out;
    }

    private String nft(String... args) throws Exception {
        String[] cmd = new String[args.length + 5];
        System.arraycopy(new String[] {"ip", "netns", "exec", ns, "nft"}, 0, cmd, 0, 5);
        System.arraycopy(args, 0, cmd, 5, args.length);
        return run(cmd);
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        return runWithInput(null, cmd);
    }

    private static String runWithInput(String stdin, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (stdin != null) p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }

    @Test
    void aMonitorFilteredOnItsOwnPortIdHearsOtherProcessesButNotItsOwnElementWrites() throws Exception {
        java.util.List<String> all = new java.util.concurrent.CopyOnWriteArrayList<>(), others = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (org.conenatd.nftables.RulesetMonitor unfiltered = Netns.call(ns, () -> org.conenatd.nftables.RulesetMonitor.open());
             org.conenatd.nftables.RulesetMonitor filtered = Netns.call(ns, () -> org.conenatd.nftables.RulesetMonitor.open(maps.portId()))) {
            for (int i = 0; i < 100; i++) maps.add(OUT, LAN + i, 5000 + i, 0, 20000 + i);
            maps.commit();
            nft("add", "element", "ip", "conenatd", "out_udp", "{ 10.0.0.250 . 5000 : 30000 }");
            drain(unfiltered, all);
            drain(filtered, others);
        }
        assertTrue(all.stream().filter(e -> e.startsWith("changed")).count() >= 101, "the unfiltered monitor hears both: " + all.size());
        assertEquals(1, others.stream().filter(e -> e.startsWith("changed")).count(), "only nft's element: " + others);
        assertEquals(1, others.stream().filter(e -> e.startsWith("committed")).count(), "and only nft's commit: " + others);
    }

    /** What the monitor got until half a second of quiet. */
    private static void drain(org.conenatd.nftables.RulesetMonitor m, java.util.List<String> into) throws Exception {
        org.conenatd.nftables.RulesetMonitor.Listener l = new org.conenatd.nftables.RulesetMonitor.Listener() {
            @Override public void changed(int msg, String table, int portId) { into.add("changed " + msg + " " + portId); }
            @Override public void committed(int pid, String name) { into.add("committed " + pid + " " + name); }
            @Override public void lost() { into.add("lost"); }
        };
        while (m.poll(l)) { }
    }
}
