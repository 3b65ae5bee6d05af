package org.conenatd.dataplane.kernel;

import org.conenatd.dataplane.TableProtection;
import org.conenatd.nat.Protocol;
import org.conenatd.netlink.Encoder;
import org.conenatd.nftables.CapturedRulesetVectors;
import org.conenatd.nftables.NftBatch;
import org.conenatd.nftables.NftSet;
import org.conenatd.nftables.Rule;
import org.conenatd.nftables.Table;
import org.conenatd.nftables.expr.Expr;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.conenatd.nftables.CapturedRulesetVectors.Tlv;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Kernel mode's table, encoded by conenatd, against what nft 1.0.6 itself sent to the kernel for
 * the same rules (capture-ruleset-vectors.sh): every rule's expressions byte for byte (nft's set
 * ids aside: conenatd names its sets), and the chains, counter and sets attribute for attribute.
 */
class RulesetEncodeTest {
    private static final HexFormat HEX = HexFormat.of();

    private static KernelConfig cfg(KernelConfig.Filtering f, List<String> sources) {
        return new KernelConfig("eth0", 47000, 0x400000, 1024, 65535, 300, List.of(Protocol.UDP, Protocol.TCP), 1024,
                f, sources, List.of(TableProtection.values()), KernelConfig.Economy.DEFAULT, KernelConfig.PortMapping.NONE);
    }

    private static final Table PLAIN = Ruleset.table(cfg(KernelConfig.Filtering.ENDPOINT, List.of()), false);
    private static final Table ADDRESS = Ruleset.table(cfg(KernelConfig.Filtering.ADDRESS, List.of()), false);
    private static final Table SOURCES = Ruleset.table(cfg(KernelConfig.Filtering.ENDPOINT, List.of("10.0.0.0/24")), false);

    private static byte[] expressions(Rule r) {
        Encoder e = new Encoder(Arena.ofAuto().allocate(8192, 8));
        Expr.encodeList(e, r.exprs());
        byte[] all = e.buffer().asSlice(0, e.length()).toArray(ValueLayout.JAVA_BYTE);
        byte[] payload = new byte[all.length - 4]; // without NFTA_RULE_EXPRESSIONS' own header
        System.arraycopy(all, 4, payload, 0, payload.length);
        return payload;
    }

    /** The rule of {@code t} in {@code chain} whose text starts so (nft's words for it). */
    private static Rule rule(Table t, String chain, String textStart) {
        List<Rule> found = t.rules().stream().filter(r -> r.chain().equals(chain) && r.text().startsWith(textStart)).toList();
        assertEquals(1, found.size(), chain + ": " + textStart + " in " + t.rules().stream().map(Rule::text).toList());
        return found.getFirst();
    }

    private static void same(String label, Rule r) {
        assertEquals(HEX.formatHex(CapturedRulesetVectors.ruleExpressions(label)), HEX.formatHex(expressions(r)), label + ": " + r.text());
    }

    @Test
    void everyRuleEncodesAsNftEncodesIt() {
        same("rule-pre-inbound-udp", rule(PLAIN, "pre", "iifname \"eth0\" fib daddr type local udp dport"));
        same("rule-pre-inbound-address-udp", rule(ADDRESS, "pre", "iifname \"eth0\" fib daddr type local udp dport"));
        same("rule-pre-hairpin-udp", rule(PLAIN, "pre", "iifname != \"eth0\" fib daddr type local dnat ip to udp"));
        same("rule-post-masq-udp", rule(PLAIN, "post", "oifname \"eth0\" meta l4proto udp"));
        same("rule-post-hairpin-udp", rule(PLAIN, "post", "oifname != \"eth0\" iifname != \"eth0\" ct status dnat meta l4proto udp"));
        // to the WAN: only flows to the full-cone ports (captured in a table of their own)
        same("economy-rule-first-wan-udp", rule(PLAIN, "first", "oifname \"eth0\" ct state new meta l4proto udp"));
        same("economy-rule-first-wan-sources-udp", rule(SOURCES, "first", "oifname \"eth0\" ct state new ip saddr @sources meta l4proto udp"));
        same("economy-rule-first-wan-tcp", rule(PLAIN, "first", "oifname \"eth0\" ct state new meta l4proto tcp"));
        same("rule-first-hairpin-udp", rule(PLAIN, "first", "iifname != \"eth0\" oifname != \"eth0\" ct state new ct status dnat meta l4proto udp"));
        same("rule-seen-udp", rule(ADDRESS, "seen", "oifname \"eth0\" meta l4proto udp"));
        same("rule-pre-inbound-tcp", rule(PLAIN, "pre", "iifname \"eth0\" fib daddr type local tcp dport"));
        same("rule-post-masq-tcp", rule(PLAIN, "post", "oifname \"eth0\" meta l4proto tcp"));
    }

    /** The queue rule is iptables-nft's NFQUEUE rule, less its anonymous counter: the xtables target through nft_compat. */
    @Test
    void theQueueRuleIsTheXtablesNfqueueTargetAsIptablesNftEncodesIt() {
        List<List<Tlv>> theirs = new ArrayList<>(CapturedRulesetVectors.expressions(CapturedRulesetVectors.ruleExpressions("iptables-rule-nfqueue")));
        theirs.removeIf(x -> x.getFirst().string().equals("counter"));
        List<List<Tlv>> ours = CapturedRulesetVectors.expressions(expressions(rule(PLAIN, "first", "meta mark & 0x400000")));
        assertEquals(theirs, ours);
    }

    /** Where the kernel has nft's own queue expression, the queue rule is nft's. */
    @Test
    void theNativeQueueRuleIsNftsQueueStatement() {
        Table nativeQueue = Ruleset.table(cfg(KernelConfig.Filtering.ENDPOINT, List.of()), true);
        same("rule-first-queue-native", rule(nativeQueue, "first", "meta mark & 0x400000"));
    }

    /** A message conenatd writes, as its top-level attributes (after nlmsghdr and nfgenmsg). */
    private static List<Tlv> ourMessage(java.util.function.Consumer<NftBatch> write) {
        Encoder e = new Encoder(Arena.ofAuto().allocate(8192, 8));
        int[] seq = {0};
        NftBatch b = new NftBatch(e, () -> seq[0]++);
        int from = e.length();
        write.accept(b);
        MemorySegment m = e.buffer().asSlice(from, e.length() - from);
        byte[] bytes = m.toArray(ValueLayout.JAVA_BYTE);
        byte[] attrs = new byte[bytes.length - 20];
        System.arraycopy(bytes, 20, attrs, 0, attrs.length);
        return CapturedRulesetVectors.parse(attrs);
    }

    private static List<Tlv> theirs(String label, int... dropped) {
        return CapturedRulesetVectors.parse(CapturedRulesetVectors.attributesWithout(label, dropped));
    }

    @Test
    void chainsCounterAndSetsCarryNftsAttributes() {
        for (var c : Ruleset.CHAINS) assertEquals(theirs("chain-" + c.name()), ourMessage(b -> b.newChain("conenatd", c)), c.name());
        assertEquals(theirs("obj-inbound"), ourMessage(b -> b.newCounter("conenatd", Ruleset.INBOUND_COUNTER)));
        for (String s : List.of("out_udp", "in_udp", "out_tcp", "in_tcp", "contacted_udp", "sources")) {
            NftSet def = ADDRESS.sets().stream().filter(x -> x.name().equals(s)).findFirst()
                    .orElseGet(() -> SOURCES.set(s));
            List<Tlv> ours = new ArrayList<>(ourMessage(b -> b.newSet("conenatd", def)));
            ours.removeIf(a -> a.type() == 10); // NFTA_SET_ID: a transaction-local number, nft's counts its sets
            assertEquals(theirs("set-" + s, 10), ours, s);
        }
        assertEquals(theirs("table-conenatd"), ourMessage(b -> b.newTable("conenatd", 0)));
    }

    // --pool: table ip conenatd_pool, captured in a section of its own ("pool-*"); the rules are
    // Ruleset's own for a pooled configuration, found by nft's words for them
    private static final String POOL = "conenatd_pool";
    private static final KernelConfig.Pool FOUR = new KernelConfig.Pool(new int[] {
            org.conenatd.inet.Inet4.parseAddr("203.0.113.2"), org.conenatd.inet.Inet4.parseAddr("203.0.113.3"),
            org.conenatd.inet.Inet4.parseAddr("203.0.113.4"), org.conenatd.inet.Inet4.parseAddr("203.0.113.5")}, 0);
    private static final Table POOLED = Ruleset.table(cfg(KernelConfig.Filtering.ENDPOINT, List.of()).withPool(FOUR), false);
    private static final Table POOLED_ADDRESS = Ruleset.table(cfg(KernelConfig.Filtering.ADDRESS, List.of()).withPool(FOUR), false);

    private static Rule poolInbound(Protocol p, boolean address) {
        String l = p.label;
        return address ? rule(POOLED_ADDRESS, "pre", "iifname \"eth0\" ip daddr . " + l + " dport . ip saddr @contacted_" + l)
                : rule(POOLED, "pre", "iifname \"eth0\" ip daddr . " + l + " dport @in_" + l);
    }

    private static Rule poolHairpinIn(Protocol p) {
        return rule(POOLED, "pre", "iifname != \"eth0\" dnat ip to ip daddr . " + p.label + " dport map @in_" + p.label);
    }

    private static Rule poolSnat(Protocol p) {
        return rule(POOLED, "post", "oifname \"eth0\" snat ip to ip saddr . " + p.label + " sport map @out_" + p.label);
    }

    private static Rule poolHairpinOut(Protocol p) {
        return rule(POOLED, "post", "oifname != \"eth0\" iifname != \"eth0\" ct status dnat snat ip to ip saddr . " + p.label + " sport");
    }

    private static Rule poolSeen(Protocol p) {
        return rule(POOLED_ADDRESS, "seen", "oifname \"eth0\" ct status snat update @contacted_" + p.label + " { ip saddr");
    }

    @Test
    void aPooledTableHasNoRuleNamingTheInterfacesAddressAndTheSameFirstPacketRules() {
        assertEquals(0, POOLED.rules().stream().filter(r -> r.text().contains("fib daddr") || r.text().contains("masquerade")).count());
        assertEquals(PLAIN.rules().stream().filter(r -> r.chain().equals("first")).map(Rule::text).toList(),
                POOLED.rules().stream().filter(r -> r.chain().equals("first")).map(Rule::text).toList());
    }

    @Test
    void poolRulesEncodeAsNftEncodesThem() {
        for (Protocol p : List.of(Protocol.UDP, Protocol.TCP)) {
            String l = p.label;
            same("pool-rule-pre-inbound-" + l, poolInbound(p, false));
            same("pool-rule-pre-hairpin-" + l, poolHairpinIn(p));
            same("pool-rule-post-snat-" + l, poolSnat(p));
            same("pool-rule-post-hairpin-" + l, poolHairpinOut(p));
        }
        same("pool-rule-pre-inbound-address-udp", poolInbound(Protocol.UDP, true));
        same("pool-rule-seen-udp", poolSeen(Protocol.UDP));
    }

    /** Around the expressions, our NEWRULE carries what nft's does: table and chain, nothing else. */
    @Test
    void poolRuleMessagesCarryNftsOtherAttributes() {
        for (var c : List.of(new Object[] {"pool-rule-post-snat-udp", poolSnat(Protocol.UDP)},
                new Object[] {"pool-rule-seen-udp", poolSeen(Protocol.UDP)},
                new Object[] {"pool-rule-pre-inbound-tcp", poolInbound(Protocol.TCP, false)})) {
            Rule r = (Rule) c[1];
            List<Tlv> ours = ourMessage(b -> b.newRule(POOL, r)).stream().filter(a -> a.type() != 4).toList();
            assertEquals(theirs((String) c[0], 4), ours, (String) c[0]); // without NFTA_RULE_EXPRESSIONS
        }
    }

    @Test
    void poolTableChainsCounterAndSetsCarryNftsAttributes() {
        assertEquals(theirs("pool-table"), ourMessage(b -> b.newTable(POOL, 0)));
        for (var c : Ruleset.CHAINS) assertEquals(theirs("pool-chain-" + c.name()), ourMessage(b -> b.newChain(POOL, c)), c.name());
        assertEquals(theirs("pool-obj-inbound"), ourMessage(b -> b.newCounter(POOL, "inbound")));
        List<NftSet> sets = List.of(NftSet.endpointToEndpoint("out_udp"), NftSet.endpointToEndpoint("in_udp"),
                NftSet.endpointToEndpoint("out_tcp"), NftSet.endpointToEndpoint("in_tcp"),
                NftSet.addrPortPeer("contacted_udp", 300_000), NftSet.prefixes("pool"));
        for (NftSet def : sets) {
            List<Tlv> ours = new ArrayList<>(ourMessage(b -> b.newSet(POOL, def)));
            ours.removeIf(a -> a.type() == 10); // NFTA_SET_ID
            assertEquals(theirs("pool-set-" + def.name(), 10), ours, def.name());
        }
    }
}
