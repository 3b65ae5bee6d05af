package org.conenatd.nftables;

import org.conenatd.netlink.FakeTransport;
import org.conenatd.netlink.MessageReader;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.nftables.PortForwards.Forward;
import org.conenatd.nftables.RulesetMessages.Elem;
import org.conenatd.nftables.RulesetMessages.SetDef;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.conenatd.netlink.DatagramMutations.*;
import static org.conenatd.nftables.NfTables.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Random and mutated dump datagrams (fixed seeds) through what PortForwards decodes, in the style
 * of netlink.DecodersFuzzTest: (1) every decoder of RulesetMessages on each message, then
 * ForwardRules over the rules and elements decoded, each datagram in a segment of exactly its
 * size so that a read past the end throws; none may throw. (2) Whole reads against the fake
 * kernel of the router scenario with some of its answers mutated: a read returns forwards or
 * throws NetlinkException (a malformed answer, a lost DONE), nothing else. Seeds: every answer
 * datagram captured by capture-portforward-vectors.sh.
 */
class PortForwardsFuzzTest {
    private static final long SEED = 0x9F0B7A2DL;
    private static final int ITERATIONS = 100_000, READS = 1_500;

    private static final List<byte[]> SEEDS = seeds();

    private static List<byte[]> seeds() {
        List<byte[]> s = new ArrayList<>();
        for (String sc : PortForwardVectors.scenarios()) {
            for (String r : PortForwardVectors.requests(sc)) s.addAll(PortForwardVectors.answer(sc, r));
        }
        return s;
    }

    private final MessageReader reader = new MessageReader();
    private final RulesetMessages msgs = new RulesetMessages();
    private int messages, rules, exprs, chains, sets, elements, forwards;

    @Test
    void seedsThemselvesDecode() throws Exception {
        for (byte[] s : SEEDS) exercise(s);
        assertEquals(77, SEEDS.size());
        assertEquals(List.of(51, 30, 7, 12), List.of(rules, chains, sets, elements),
                "rules, chains, sets and elements of the five scenarios");
        assertTrue(forwards >= 21, "forwards " + forwards);
    }

    @Test
    void randomAndMutatedDatagramsNeverThrow() {
        Random rnd = new Random(SEED);
        int[] kinds = new int[6];
        for (int i = 0; i < ITERATIONS; i++) {
            int kind = rnd.nextInt(kinds.length);
            kinds[kind]++;
            byte[] buf = mutate(rnd, kind, SEEDS.get(rnd.nextInt(SEEDS.size())));
            try {
                exercise(buf);
            } catch (Throwable t) {
                fail("iteration " + i + ", mutation " + kind + ", input " + HexFormat.of().formatHex(buf), t);
            }
        }
        // the mutations still reach the rules, their expressions and the analysis
        assertTrue(messages > 80_000, "messages " + messages);
        assertTrue(rules > 25_000, "rules " + rules);
        assertTrue(exprs > 150_000, "expressions " + exprs);
        assertTrue(chains > 10_000 && elements > 1_000, chains + " chains, " + elements + " elements");
        assertTrue(forwards > 8_000, "forwards " + forwards);
        for (int k : kinds) assertTrue(k > 10_000);
    }

    @Test
    void readsOfAMutatedKernelReturnOrThrowNetlinkExceptionOnly() {
        Random rnd = new Random(SEED + 1);
        int ok = 0, failed = 0, found = 0;
        for (int i = 0; i < READS; i++) {
            long seed = rnd.nextLong();
            Random r = new Random(seed);
            double p = 0.02 + 0.1 * r.nextDouble();   // share of answer datagrams mutated
            FakeTransport k = PortForwardVectors.kernel("router", d -> r.nextDouble() < p ? mutate(r, r.nextInt(5), d) : d);
            try (PortForwards pf = new PortForwards(k)) {
                List<Forward> f = pf.read();
                ok++;
                found += f.size();
                for (Forward x : f) {
                    assertTrue(x.protocol() == 6 || x.protocol() == 17);
                    assertTrue(0 <= x.firstPort() && x.firstPort() <= x.lastPort() && x.lastPort() <= 0xffff, x.toString());
                    assertTrue(0 <= x.toPortFirst() && x.toPortFirst() <= 0xffff);
                }
            } catch (NetlinkException e) {
                failed++;
            } catch (Throwable t) {
                fail("read " + i + " (seed " + seed + ")", t);
            }
        }
        assertTrue(ok > READS / 4 && failed > READS / 20, ok + " reads, " + failed + " errors");
        assertTrue(found > ok * 5, found + " forwards in " + ok + " reads");
    }

    private void exercise(byte[] buf) throws NetlinkException {
        MemorySegment seg = MemorySegment.ofArray(buf);
        reader.wrap(seg, 0, buf.length);
        Map<String, List<List<RuleExpr>>> byChain = new HashMap<>();
        List<Elem> elems = new ArrayList<>();
        List<String> names = new ArrayList<>();
        while (reader.next()) {
            messages++;
            if (reader.isError()) {
                reader.errorCode();
                reader.extAck();
                continue;
            }
            msgs.gen(reader);
            msgs.table(reader);
            RulesetMessages.Chain c = msgs.chain(reader);
            if (c != null) chains++;
            SetDef s = msgs.set(reader);
            if (s != null) sets++;
            RulesetMessages.Rule r = msgs.rule(reader);
            if (r != null) {
                rules++;
                exprs += r.exprs().size();
                byChain.computeIfAbsent(r.chain(), x -> new ArrayList<>()).add(r.exprs());
                names.add(r.chain());
            }
            // the set's name as the message gives it (NFTA_SET_ELEM_LIST_SET), whatever it is
            for (String n : List.of("__set0", "__map0", "fwd_ports", "in_udp", "out_udp")) {
                int before = elems.size();
                if (msgs.elements(reader, n, elems)) elements += elems.size() - before;
            }
        }
        reader.error();
        if (byChain.isEmpty()) return;
        SetDef ports = new SetDef(NFPROTO_IPV4, "t", "any", NFT_SET_INTERVAL, 2, 0);
        ForwardRules fr = new ForwardRules("t", byChain, new ForwardRules.Sets() {
            @Override public SetDef def(String name) { return ports; }
            @Override public List<Elem> elements(String name) { return elems; }
        });
        for (String n : names) fr.walk(n);
        for (Forward f : fr.forwards()) {
            assertTrue(0 <= f.firstPort() && f.firstPort() <= f.lastPort() && f.lastPort() <= 0xffff, f.toString());
            forwards++;
        }
    }

    // ---- mutations: random bytes, bit flips, truncation, nla_len/nlmsg_len corruption, insert/delete, splice

    private static byte[] mutate(Random rnd, int kind, byte[] s) {
        return switch (kind) {
            case 0 -> flipBits(rnd, s.clone(), 1 + rnd.nextInt(8));
            case 1 -> truncate(rnd, s);
            case 2 -> corruptLength(rnd, s.clone());
            case 3 -> insertOrDelete(rnd, s);
            case 4 -> splice(rnd, s, SEEDS.get(rnd.nextInt(SEEDS.size())));
            default -> {
                byte[] b = new byte[rnd.nextInt(256)];
                rnd.nextBytes(b);
                if (b.length >= 8 && rnd.nextBoolean()) {   // a plausible header half the time
                    putLe32(b, 0, b.length);
                    putLe16(b, 4, 0x0a00 | (rnd.nextBoolean() ? NFT_MSG_NEWRULE : NFT_MSG_NEWSETELEM));
                }
                yield b;
            }
        };
    }

    /** Overwrites a random 2- or 4-byte length-looking field (nla_len, nlmsg_len) with an edge value. */
    private static byte[] corruptLength(Random rnd, byte[] b) {
        int at = rnd.nextInt(Math.max(1, b.length / 4)) * 4;
        if (at + 4 > b.length) return flipBits(rnd, b, 1);
        int[] edge = {0, 1, 3, 4, 5, 8, 15, 16, 20, 0x7fff, 0x8000, 0xffff, b.length, b.length + 4, rnd.nextInt(0x10000)};
        int v = edge[rnd.nextInt(edge.length)];
        if (at % 16 == 0 && rnd.nextBoolean()) putLe32(b, at, rnd.nextBoolean() ? v : 0x80000000 | v);
        else putLe16(b, at, v);
        return b;
    }
}
