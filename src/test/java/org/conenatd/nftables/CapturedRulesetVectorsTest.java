package org.conenatd.nftables;

import org.conenatd.nftables.CapturedRulesetVectors.Tlv;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static org.conenatd.nftables.CapturedRulesetVectors.*;
import static org.junit.jupiter.api.Assertions.*;

/** The loader of ruleset-vectors.txt: labels, the TLV walker, the SET_ID removal. */
class CapturedRulesetVectorsTest {
    static final List<String> LABELS = List.of(
            "table-conenatd", "chain-pre", "chain-post", "chain-first", "chain-seen", "obj-inbound",
            "set-out_udp", "set-in_udp", "set-out_tcp", "set-in_tcp", "set-contacted_udp", "set-sources",
            "rule-pre-inbound-udp", "rule-pre-inbound-address-udp", "rule-pre-hairpin-udp",
            "rule-post-masq-udp", "rule-post-hairpin-udp", "rule-first-wan-udp",
            "rule-first-wan-sources-udp", "rule-first-hairpin-udp", "rule-seen-udp",
            "rule-pre-inbound-tcp", "rule-post-masq-tcp", "iptables-rule-nfqueue",
            "seed-table", "seed-set-in_udp", "seed-obj-dnat_flows", "seed-chain-pre", "seed-rule-pre",
            "rule-first-queue-native",
            "economy-table", "economy-chain-first", "economy-set-full_cone_ports", "economy-set-sources",
            "economy-set-out_udp", "economy-set-out_tcp", "economy-elements-ports-default",
            "economy-elements-ports-53-5000-5010", "economy-elements-sources",
            "economy-rule-first-wan-udp", "economy-rule-first-wan-sources-udp", "economy-rule-first-wan-tcp",
            "pool-table", "pool-chain-pre", "pool-chain-post", "pool-chain-first", "pool-chain-seen",
            "pool-obj-inbound", "pool-set-out_udp", "pool-set-in_udp", "pool-set-out_tcp", "pool-set-in_tcp",
            "pool-set-contacted_udp", "pool-set-pool", "pool-elements-out_udp",
            "pool-rule-pre-inbound-udp", "pool-rule-pre-inbound-address-udp", "pool-rule-pre-hairpin-udp",
            "pool-rule-post-snat-udp", "pool-rule-post-hairpin-udp", "pool-rule-seen-udp",
            "pool-rule-pre-inbound-tcp", "pool-rule-pre-hairpin-tcp", "pool-rule-post-snat-tcp",
            "pool-rule-post-hairpin-tcp");
    /** Not something a tool sent: the kernel's answer to nft's dump (NEWSETELEM, NLM_F_MULTI). */
    static final String POOL_DUMP_REPLY = "pool-dump-reply-out_udp";

    static List<String> rules() {
        return labels().stream().filter(l -> messageType(l) == NFT_MSG_NEWRULE).toList();
    }

    @Test
    void everyLabelIsThereWithItsMessageType() {
        assertTrue(labels().containsAll(LABELS), () -> "missing: " + LABELS.stream().filter(l -> !labels().contains(l)).toList());
        assertEquals(List.of("iptables-1", "iptables-2", POOL_DUMP_REPLY), labels().stream().filter(l -> !LABELS.contains(l)).toList());
        assertEquals(12, messageType(POOL_DUMP_REPLY));
        assertEquals(0x0002, messageFlags(POOL_DUMP_REPLY));            // NLM_F_MULTI
        for (String l : LABELS) {
            String kind = l.replaceFirst("^(seed|iptables|economy|pool)-", "").replaceFirst("-.*", "");
            int want = switch (kind) { case "table" -> 0; case "chain" -> 3; case "rule" -> 6; case "set" -> 9; case "obj" -> 18; case "elements" -> 12; default -> -1; };
            assertEquals(want, messageType(l), l);
            assertEquals(0x0a, message(l)[5], l);                        // NFNL_SUBSYS_NFTABLES
            assertEquals(2, message(l)[16], l);                          // NFPROTO_IPV4
        }
        assertEquals(0x0001, messageFlags("table-conenatd"));            // REQUEST only
        assertEquals(0x0401, messageFlags("chain-pre"));                 // REQUEST | CREATE
        assertEquals(0x0401, messageFlags("set-out_udp"));
        assertEquals(0x0401, messageFlags("obj-inbound"));
        assertEquals(0x0c01, messageFlags("rule-pre-inbound-udp"));      // REQUEST | CREATE | APPEND
        assertEquals(0x0401, messageFlags("iptables-rule-nfqueue"));     // iptables-nft: no APPEND
    }

    @Test
    void hairpinPreRuleExpressionNames() {
        assertEquals(List.of("meta", "cmp", "fib", "cmp", "meta", "cmp", "payload", "lookup", "nat"),
                expressionNames("rule-pre-hairpin-udp"));
        assertEquals(List.of("meta", "cmp", "meta", "cmp", "ct", "bitwise", "cmp", "payload", "payload", "dynset"),
                expressionNames("rule-seen-udp"));
    }

    @Test
    void setIdsAreRemovedAndLengthsFixedUp() {
        int lookups = 0, dynsets = 0;
        for (String rule : rules()) {
            byte[] raw = rawExpressions(rule);
            assertArrayEquals(raw, encode(parse(raw)), rule);            // the walker round-trips
            byte[] stripped = ruleExpressions(rule);
            int ids = 0;
            for (List<Tlv> e : expressions(raw)) {
                String name = e.getFirst().string();
                if (name.equals("lookup")) { assertTrue(has(e, NFTA_LOOKUP_SET_ID), rule); ids++; lookups++; }
                if (name.equals("dynset")) { assertTrue(has(e, NFTA_DYNSET_SET_ID), rule); ids++; dynsets++; }
            }
            assertEquals(raw.length - 8 * ids, stripped.length, rule);  // one u32 attribute each
            List<List<Tlv>> after = expressions(stripped);
            assertEquals(expressions(raw).size(), after.size(), rule);
            for (List<Tlv> e : after) {
                String name = e.getFirst().string();
                if (name.equals("lookup")) assertFalse(has(e, NFTA_LOOKUP_SET_ID), rule);
                if (name.equals("dynset")) assertFalse(has(e, NFTA_DYNSET_SET_ID), rule);
            }
            // every list element's and every EXPR_DATA's nla_len matches what it now holds
            for (Tlv elem : parse(stripped)) {
                assertEquals(elem.payload().length, encode(parse(elem.payload())).length, rule);
            }
        }
        assertEquals(24 + 13, lookups);                                   // 2+3+1+1+1+1+2+1+2+1 kernel, 2 seed, 2+3+2 economy; 2+3+1+1+1 udp + 2+1+1+1 tcp pool
        assertEquals(2, dynsets);
        assertEquals(List.of(4, 3, 1),                                    // SREG_KEY, OP, SET_NAME
                data(expressions(ruleExpressions("rule-seen-udp")).getLast()));
        assertEquals(List.of(2, 3, 1),                                    // SREG, DREG, SET (SET_ID gone)
                data(expressions(ruleExpressions("rule-pre-hairpin-udp")).get(7)));
    }

    @Test
    void iptablesRuleEndsWithTheNfqueueTarget() {
        List<List<Tlv>> e = expressions(ruleExpressions("iptables-rule-nfqueue"));
        assertEquals(List.of("meta", "bitwise", "cmp", "counter", "target"),
                e.stream().map(x -> x.getFirst().string()).toList());
        List<Tlv> target = e.getLast();
        assertEquals("NFQUEUE", target.get(1).string());                  // NFTA_TARGET_NAME
        assertEquals(1, target.get(1).type());
        assertEquals(3, target.get(2).u32());                             // NFTA_TARGET_REV
        assertEquals("98b7010001000000", HexFormat.of().formatHex(target.get(3).payload())); // queue 47000, 1 queue, BYPASS
    }

    @Test
    void nativeQueueRuleIsMetaBitwiseCmpQueue() {
        assertEquals(List.of("meta", "bitwise", "cmp", "queue"), expressionNames("rule-first-queue-native"));
        assertEquals(0x0c01, messageFlags("rule-first-queue-native"));   // REQUEST | CREATE | APPEND
        List<Tlv> queue = expressions(ruleExpressions("rule-first-queue-native")).getLast();
        assertEquals(List.of(1, 2, 3), data(queue));                      // NFTA_QUEUE_NUM, TOTAL, FLAGS
        assertEquals(List.of("b798", "0001", "0001"),                      // u16 BE: 47000, 1 queue, BYPASS
                queue.subList(1, queue.size()).stream().map(t -> HexFormat.of().formatHex(t.payload())).toList());
    }

    @Test
    void economyRulesLookUpFullConePortsThenTheOutMap() {
        assertEquals(List.of("meta", "cmp", "ct", "bitwise", "cmp", "meta", "cmp", "payload", "lookup",
                        "payload", "payload", "lookup", "meta", "bitwise", "meta"),
                expressionNames("economy-rule-first-wan-udp"));
        assertEquals(List.of("full_cone_ports", "out_udp"), lookupSets("economy-rule-first-wan-udp"));
        assertEquals(List.of("sources", "full_cone_ports", "out_udp"), lookupSets("economy-rule-first-wan-sources-udp"));
        assertEquals(List.of("full_cone_ports", "out_tcp"), lookupSets("economy-rule-first-wan-tcp"));
        List<List<Tlv>> e = expressions(ruleExpressions("economy-rule-first-wan-udp"));
        assertEquals(List.of(2, 1), data(e.get(8)));                      // SREG, SET: a plain match
        assertEquals(List.of(2, 1, 5), data(e.get(11)));                  // SREG, SET, FLAGS (!=)
        assertEquals(1, e.get(11).get(3).u32());                          // NFT_LOOKUP_F_INV
        for (String r : List.of("economy-rule-first-wan-udp", "economy-rule-first-wan-sources-udp", "economy-rule-first-wan-tcp"))
            assertEquals(0x0c01, messageFlags(r), r);                     // REQUEST | CREATE | APPEND
    }

    @Test
    void economyElementMessages() {
        // NFTA_SET_ELEM_LIST_TABLE, _SET, _SET_ID, _ELEMENTS; REQUEST | CREATE
        for (String l : List.of("economy-elements-ports-default", "economy-elements-ports-53-5000-5010", "economy-elements-sources")) {
            assertEquals(List.of(1, 2, 4, 3), topLevel(message(l)).stream().map(Tlv::type).toList(), l);
            assertEquals(0x0401, messageFlags(l), l);
        }
        assertEquals(List.of("F1 0000", "0400 U010401000000"), elements("economy-elements-ports-default"));
        assertEquals(List.of("F1 0000", "0035", "F1 0036", "1388", "F1 1393"), elements("economy-elements-ports-53-5000-5010"));
        assertEquals(List.of("F1 00000000", "0a000000", "F1 0a000100", "c0a80107", "F1 c0a80108"), elements("economy-elements-sources"));
    }

    /** Each element of NFTA_SET_ELEM_LIST_ELEMENTS as "[F<flags> ]<key hex>[ U<userdata hex>]", attributes in the order sent. */
    private static List<String> elements(String label) {
        Tlv list = topLevel(message(label)).stream().filter(a -> a.type() == 3).findFirst().orElseThrow();
        assertTrue(list.nested(), label);
        List<String> out = new java.util.ArrayList<>();
        int i = 0;
        for (Tlv elem : parse(list.payload())) {
            assertEquals(0x8000 | ++i, elem.rawType(), label);             // libnftnl numbers the elements 1, 2, ...
            StringBuilder b = new StringBuilder();
            for (Tlv a : parse(elem.payload())) {
                switch (a.rawType()) {
                    case 3 -> b.append("F").append(a.u32()).append(' ');   // NFTA_SET_ELEM_FLAGS
                    case 0x8001 -> {                                        // NFTA_SET_ELEM_KEY { NFTA_DATA_VALUE }
                        List<Tlv> v = parse(a.payload());
                        assertEquals(1, v.size(), label);
                        assertEquals(1, v.getFirst().rawType(), label);
                        b.append(HexFormat.of().formatHex(v.getFirst().payload()));
                    }
                    case 6 -> b.append(" U").append(HexFormat.of().formatHex(a.payload())); // NFTA_SET_ELEM_USERDATA
                    default -> fail(label + ": unexpected element attribute " + a);
                }
            }
            out.add(b.toString());
        }
        return out;
    }

    private static List<String> lookupSets(String label) {
        return expressions(ruleExpressions(label)).stream().filter(e -> e.getFirst().string().equals("lookup"))
                .map(e -> e.stream().skip(1).filter(a -> a.type() == 1).findFirst().orElseThrow().string()).toList();
    }

    @Test
    void attributesWithoutDropsOnlyTheNamedTypes() {
        byte[] all = message("set-out_udp");
        assertArrayEquals(Arrays.copyOfRange(all, 20, all.length), attributesWithout("set-out_udp"));
        List<Tlv> kept = parse(attributesWithout("set-out_udp", 10, 13));  // NFTA_SET_ID, NFTA_SET_USERDATA
        assertEquals(List.of(1, 2, 3, 4, 5, 6, 7), kept.stream().map(Tlv::type).toList());
        assertEquals("conenatd", kept.get(0).string());
        assertEquals("out_udp", kept.get(1).string());
        assertEquals(List.of(1, 3, 7, 5), parse(attributesWithout("chain-pre", 4)).stream().map(Tlv::type).toList());
    }

    private static byte[] rawExpressions(String label) {
        byte[] m = message(label);
        return CapturedRulesetVectors.topLevel(m).stream().filter(a -> a.type() == 4).findFirst().orElseThrow().payload();
    }

    private static boolean has(List<Tlv> expr, int type) {
        return data(expr).contains(type);
    }

    private static List<Integer> data(List<Tlv> expr) {
        return expr.subList(1, expr.size()).stream().map(Tlv::type).toList();
    }
}
