package org.conenatd.nftables;

import org.conenatd.inet.Inet4;
import org.conenatd.netlink.MessageReader;
import org.conenatd.nftables.PortForwards.Forward;
import org.conenatd.nftables.RuleExpr.*;
import org.conenatd.nftables.RulesetMessages.Elem;
import org.conenatd.nftables.RulesetMessages.SetDef;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.conenatd.nftables.NfTables.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * ForwardRules on rules written expression by expression: the forms the captured vectors do not
 * hold (orderings, protocol sets, th dport without a protocol, open intervals, catch-all and
 * key-end elements, xtables corner cases), and what must not count (a port or address from a map,
 * an inverted match, a clobbered register, a DMZ, too deep jumps).
 */
class ForwardRulesTest {
    static final int R1 = NFT_REG_1, R2 = NFT_REG_2;
    static final int ADDR = Inet4.parseAddr("10.0.0.5");

    static Load l4proto(int reg) { return new Load(RuleExpr.L4PROTO, reg, 1); }
    static Load dport(int reg) { return new Load(RuleExpr.DPORT, reg, 2); }
    static Cmp eq(int reg, byte... data) { return new Cmp(reg, NFT_CMP_EQ, data); }
    static Cmp cmp(int reg, int op, int port) { return new Cmp(reg, op, port(port)); }
    static byte[] port(int p) { return new byte[] {(byte) (p >> 8), (byte) p}; }
    static Imm addr(int reg, int a) { return new Imm(reg, ByteBuffer.allocate(4).putInt(a).array()); }
    static Nat dnat(int addrReg, int portReg) { return new Nat(NFT_NAT_DNAT, NFPROTO_IPV4, addrReg, addrReg, portReg, portReg, 0); }
    static Verdict jump(String chain) { return new Verdict(ForwardRules.NFT_JUMP, chain); }

    final Map<String, List<List<RuleExpr>>> chains = new HashMap<>();
    final Map<String, SetDef> defs = new HashMap<>();
    final Map<String, List<Elem>> elems = new HashMap<>();

    void rule(String chain, RuleExpr... x) {
        chains.computeIfAbsent(chain, k -> new ArrayList<>()).add(List.of(x));
    }

    void set(String name, int flags, int keyLen, Elem... e) {
        defs.put(name, new SetDef(NFPROTO_IPV4, "t", name, flags, keyLen, 0));
        elems.put(name, List.of(e));
    }

    static Elem key(int k) { return new Elem(port(k), null, 0, null); }
    static Elem end(int k) { return new Elem(port(k), null, NFT_SET_ELEM_INTERVAL_END, null); }

    List<Forward> walk(String... bases) throws Exception {
        ForwardRules fr = new ForwardRules("t", chains, new ForwardRules.Sets() {
            @Override public SetDef def(String name) { return defs.get(name); }
            @Override public List<Elem> elements(String name) { return elems.getOrDefault(name, List.of()); }
        });
        for (String b : bases) fr.walk(b);
        return fr.forwards();
    }

    static Forward f(String chain, int proto, int first, int last, int toPort) {
        return new Forward("t", chain, proto, first, last, ADDR, toPort);
    }

    @Test
    void orderingsMakeRanges() throws Exception {
        rule("pre", l4proto(R1), eq(R1, (byte) 17), dport(R1), cmp(R1, NFT_CMP_GT, 1000), cmp(R1, NFT_CMP_LT, 1100),
                addr(R1, ADDR), dnat(R1, -1));
        rule("pre", l4proto(R1), eq(R1, (byte) 6), dport(R1), cmp(R1, NFT_CMP_GTE, 65000), addr(R1, ADDR), dnat(R1, -1));
        rule("pre", l4proto(R1), eq(R1, (byte) 6), dport(R1), cmp(R1, NFT_CMP_GT, 65535), addr(R1, ADDR), dnat(R1, -1));
        assertEquals(List.of(f("pre", 17, 1001, 1099, 0), f("pre", 6, 65000, 65535, 0)), walk("pre"));
    }

    @Test
    void noProtocolMeansBothAndAProtocolSetOrNegationNarrows() throws Exception {
        rule("pre", dport(R1), eq(R1, port(3000)), addr(R1, ADDR), dnat(R1, -1));
        set("__set0", 0, 1, new Elem(new byte[] {6}, null, 0, null), new Elem(new byte[] {17}, null, 0, null));
        rule("pre", l4proto(R1), new Lookup("__set0", R1, -1, 0), dport(R1), eq(R1, port(3001)), addr(R1, ADDR), dnat(R1, -1));
        rule("pre", l4proto(R1), new Cmp(R1, NFT_CMP_NEQ, new byte[] {6}), dport(R1), eq(R1, port(3002)), addr(R1, ADDR), dnat(R1, -1));
        rule("pre", l4proto(R1), eq(R1, (byte) 132), dport(R1), eq(R1, port(3003)), addr(R1, ADDR), dnat(R1, -1)); // sctp
        assertEquals(List.of(f("pre", 17, 3000, 3000, 0), f("pre", 6, 3000, 3000, 0),
                f("pre", 17, 3001, 3001, 0), f("pre", 6, 3001, 3001, 0), f("pre", 17, 3002, 3002, 0)), walk("pre"));
    }

    @Test
    void intervalSetsOpenEndsCatchAllAndKeyEnd() throws Exception {
        // rbtree dump order (descending), the last interval open up to 65535
        set("open", NFT_SET_INTERVAL, 2, key(60000), end(5011), key(5000), end(0));
        set("all", 0, 2, new Elem(null, null, NFT_SET_ELEM_CATCHALL, null));
        set("ke", NFT_SET_INTERVAL, 2, new Elem(port(100), port(200), 0, null));
        for (String s : List.of("open", "all", "ke")) {
            rule("pre", l4proto(R1), eq(R1, (byte) 17), dport(R1), new Lookup(s, R1, -1, 0), addr(R1, ADDR), dnat(R1, -1));
        }
        assertEquals(List.of(f("pre", 17, 5000, 5010, 0), f("pre", 17, 60000, 65535, 0), f("pre", 17, 0, 65535, 0),
                f("pre", 17, 100, 200, 0)), walk("pre"));
    }

    @Test
    void aMapsPortOrAddressIsNoFixedTargetAndNeitherIsAnInvertedOrClobberedMatch() throws Exception {
        set("m", NFT_SET_MAP, 2, key(4500));
        // address from a map
        rule("pre", l4proto(R1), eq(R1, (byte) 17), dport(R1), new Lookup("m", R1, R1, 0), dnat(R1, -1));
        // fixed address, port from a map
        rule("pre", l4proto(R1), eq(R1, (byte) 17), dport(R1), new Lookup("m", R1, R2, 0), addr(R1, ADDR), dnat(R1, R2));
        // dport != 22, and a set lookup inverted
        rule("pre", l4proto(R1), eq(R1, (byte) 6), dport(R1), new Cmp(R1, NFT_CMP_NEQ, port(22)), addr(R1, ADDR), dnat(R1, -1));
        rule("pre", l4proto(R1), eq(R1, (byte) 6), dport(R1), new Lookup("m", R1, -1, NFT_LOOKUP_F_INV), addr(R1, ADDR), dnat(R1, -1));
        // an unknown expression between the load and the cmp
        rule("pre", l4proto(R1), eq(R1, (byte) 6), dport(R1), new Clobber("osf"), eq(R1, port(80)), addr(R1, ADDR), dnat(R1, -1));
        // the port compared in another register than the one loaded
        rule("pre", l4proto(R1), eq(R1, (byte) 6), dport(R2), eq(R1, port(81)), addr(R1, ADDR), dnat(R1, -1));
        // a DMZ host: every port, so no port forward
        rule("pre", l4proto(R1), eq(R1, (byte) 6), addr(R1, ADDR), dnat(R1, -1));
        // SNAT, IPv6, a port without an address
        rule("pre", dport(R1), eq(R1, port(82)), addr(R1, ADDR), new Nat(NFT_NAT_SNAT, NFPROTO_IPV4, R1, R1, -1, -1, 0));
        rule("pre", dport(R1), eq(R1, port(83)), addr(R1, ADDR), new Nat(NFT_NAT_DNAT, NFPROTO_IPV6, R1, R1, -1, -1, 0));
        rule("pre", dport(R1), eq(R1, port(84)), new Imm(R2, port(84)), new Nat(NFT_NAT_DNAT, NFPROTO_IPV4, -1, -1, R2, R2, 0));
        assertEquals(List.of(), walk("pre"));
    }

    @Test
    void anUnknownExpressionForgetsTheRegistersAndAMalformedOneTheRule() throws Exception {
        rule("pre", l4proto(R1), eq(R1, (byte) 17), new Clobber("numgen"), dport(R1), eq(R1, port(85)), addr(R1, ADDR),
                dnat(R1, -1));
        rule("pre", l4proto(R1), eq(R1, (byte) 17), dport(R1), eq(R1, port(86)), new Broken("cmp"), addr(R1, ADDR),
                dnat(R1, -1));
        rule("pre", l4proto(R1), eq(R1, (byte) 17), dport(R1), eq(R1, port(87)), new Clobber("numgen"), dnat(R1, -1));
        assertEquals(List.of(f("pre", 17, 85, 85, 0)), walk("pre"));
    }

    @Test
    void jumpsCarryTheRuleSoFarAndEndAtTheKernelsDepth() throws Exception {
        rule("pre", l4proto(R1), eq(R1, (byte) 17), dport(R1), cmp(R1, NFT_CMP_GTE, 7000), jump("a"));
        rule("a", dport(R1), cmp(R1, NFT_CMP_LTE, 7010), jump("b"));
        rule("b", addr(R1, ADDR), dnat(R1, -1));
        rule("a", l4proto(R1), eq(R1, (byte) 6), addr(R1, ADDR), dnat(R1, -1)); // udp context: matches nothing
        for (int i = 0; i < 20; i++) rule("deep" + i, jump("deep" + (i + 1)));
        rule("deep20", dport(R1), eq(R1, port(1)), addr(R1, ADDR), dnat(R1, -1));
        rule("deep16", dport(R1), eq(R1, port(2)), addr(R1, ADDR), dnat(R1, -1));
        rule("loop", jump("loop"));
        assertEquals(List.of(f("b", 17, 7000, 7010, 0), f("deep16", 17, 2, 2, 0), f("deep16", 6, 2, 2, 0)),
                walk("pre", "deep0", "loop"));
    }

    @Test
    void xtablesCornerCases() throws Exception {
        byte[] udpInv = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder())
                .putShort((short) 0).putShort((short) -1).putShort((short) 80).putShort((short) 80).put((byte) 2).array();
        byte[] mpSource = new byte[48];
        mpSource[0] = 0; mpSource[1] = 1;                       // XT_MULTIPORT_SOURCE, one port
        byte[] mpEither = mpSource.clone();
        mpEither[0] = 2;
        byte[] noMapIps = ByteBuffer.allocate(48).order(ByteOrder.nativeOrder()).putInt(NF_NAT_RANGE_PROTO_SPECIFIED).array();
        byte[] dnat2 = ByteBuffer.allocate(48).order(ByteOrder.nativeOrder()).putInt(NF_NAT_RANGE_MAP_IPS)
                .order(ByteOrder.BIG_ENDIAN).putInt(ADDR).array();
        Xt target = new Xt(true, "DNAT", 2, dnat2);
        rule("pre", new Xt(false, "udp", 0, udpInv), target);                              // ! --dport 80
        rule("pre", l4proto(R1), eq(R1, (byte) 17), new Xt(false, "multiport", 1, mpSource), target); // no dport: DMZ
        rule("pre", l4proto(R1), eq(R1, (byte) 17), new Xt(false, "multiport", 1, mpEither), target);
        rule("pre", dport(R1), eq(R1, port(90)), new Xt(true, "DNAT", 2, noMapIps));
        rule("pre", dport(R1), eq(R1, port(91)), new Xt(true, "DNAT", 0, new byte[24]));     // rangesize 0
        rule("pre", l4proto(R1), eq(R1, (byte) 6), dport(R1), eq(R1, port(92)), new Xt(false, "comment", 0, new byte[256]),
                new Xt(true, "LOG", 0, new byte[32]), target);
        assertEquals(List.of(f("pre", 6, 92, 92, 0)), walk("pre"));
    }

    @Test
    void nftsOwnRuleMessagesDecodeExpressionByExpression() {
        // a NEWRULE as nft 1.0.6 sends it (NLA_F_NESTED set, unlike dumps): conenatd's inbound rule,
        // iifname "eth0" fib daddr type local udp dport @in_udp ct event set 0x0 counter name "inbound"
        // dnat ip to udp dport map @in_udp
        byte[] m = CapturedRulesetVectors.message("rule-pre-inbound-udp");
        MessageReader r = new MessageReader().wrap(MemorySegment.ofArray(m), 0, m.length);
        assertTrue(r.next());
        RulesetMessages.Rule rule = new RulesetMessages().rule(r);
        assertNotNull(rule);
        assertEquals("pre", rule.chain());
        List<String> kinds = rule.exprs().stream().map(x -> x.getClass().getSimpleName()).toList();
        assertEquals(List.of("Load", "Cmp", "Writes", "Cmp", "Load", "Cmp", "Load", "Lookup", "Imm",
                "Neutral", "Neutral", "Load", "Lookup", "Nat"), kinds, rule.exprs().toString());
        assertEquals(new Lookup("in_udp", R1, R1, 0), rule.exprs().get(12));
    }
}
