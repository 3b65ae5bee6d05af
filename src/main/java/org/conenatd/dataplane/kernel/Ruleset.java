package org.conenatd.dataplane.kernel;

import org.conenatd.inet.Inet4;
import org.conenatd.nat.Protocol;
import org.conenatd.nftables.Chain;
import org.conenatd.nftables.NftMap;
import org.conenatd.nftables.NftSet;
import org.conenatd.nftables.Rule;
import org.conenatd.nftables.Table;

import java.util.ArrayList;
import java.util.List;

import static org.conenatd.nftables.NfTables.*;
import static org.conenatd.nftables.RuleBuilder.rule;

/**
 * Kernel mode's table {@code ip conenatd}, as conenatd writes it over netlink (no {@code nft}
 * process; {@code it/kernel-mode.nft} in the test resources is what {@code nft list table} shows of it):
 * <ul>
 *   <li>per protocol a map {@code out_P} (LAN endpoint -> public port) and {@code in_P} (public port
 *       -> LAN endpoint);</li>
 *   <li>{@code pre}, nat prerouting at {@code dstnat + 1}: WAN packets to a mapped local port go to
 *       its endpoint, from any peer (hairpinned LAN packets too);</li>
 *   <li>{@code post}, nat postrouting at {@code srcnat - 1}: a mapped endpoint leaves from its port
 *       (the nat hook stops at the first binding, so the operator's masquerade never sees it);</li>
 *   <li>{@code first}, filter forward at {@code mangle - 1}: the first packet of an endpoint without
 *       a mapping is marked and queued to conenatd: by nft's own {@code queue} expression, or on a
 *       kernel without it (CONFIG_NFT_QUEUE unset) by the xtables NFQUEUE target through nft_compat,
 *       with bypass either way: no daemon means plain NAT, not loss. Nothing of conenatd lives
 *       outside this table.</li>
 * </ul>
 */
final class Ruleset {
    private Ruleset() {}

    static String outMap(Protocol p) { return "out_" + p.label; }

    /** The shape of {@code out_P}'s elements: LAN endpoint to public port, or with a pool to external address and port. */
    static NftMap outElements(KernelConfig cfg, Protocol p) {
        return cfg.pool().pooled() ? NftMap.endpointMap(outMap(p)) : NftMap.outbound(outMap(p));
    }

    /** The shape of {@code in_P}'s elements: public port, or with a pool external address and port, to LAN endpoint. */
    static NftMap inElements(KernelConfig cfg, Protocol p) {
        return cfg.pool().pooled() ? NftMap.endpointMap(inMap(p)) : NftMap.inbound(inMap(p));
    }
    static String inMap(Protocol p) { return "in_" + p.label; }
    static String contactedSet(Protocol p) { return "contacted_" + p.label; }

    /** The named counter of the inbound rules: new inbound flows the maps DNAT'd, all protocols. */
    static final String INBOUND_COUNTER = "inbound";
    static final String SOURCES = "sources";
    /** The destination ports whose new flows get full cone (--full-cone-ports). */
    static final String FULL_CONE_PORTS = "full_cone_ports";

    static final List<Chain> CHAINS = List.of(
            new Chain("pre", Chain.NAT, NF_INET_PRE_ROUTING, -100 + 1),       // dstnat + 1
            new Chain("post", Chain.NAT, NF_INET_POST_ROUTING, 100 - 1),      // srcnat - 1
            new Chain("first", Chain.FILTER, NF_INET_FORWARD, -150 - 1),      // mangle - 1
            new Chain("seen", Chain.FILTER, NF_INET_POST_ROUTING, 100 + 10)); // srcnat + 10

    /** The table with nft's own queue expression, then with the xtables NFQUEUE target, for kernels without it. */
    static List<Table> tables(KernelConfig cfg) {
        return List.of(table(cfg, true), table(cfg, false));
    }

    static Table table(KernelConfig cfg, boolean nativeQueue) {
        String wan = cfg.wanIf();
        boolean address = cfg.filtering() == KernelConfig.Filtering.ADDRESS;
        boolean sources = !cfg.sources().isEmpty();
        List<NftSet> sets = new ArrayList<>();
        List<Rule> rules = new ArrayList<>();
        boolean pooled = cfg.pool().pooled();
        for (Protocol p : cfg.protocols()) {
            if (pooled) {
                sets.add(NftSet.endpointToEndpoint(outMap(p)));
                sets.add(NftSet.endpointToEndpoint(inMap(p)));
                // (external address . port . peer address) the endpoint has sent to, refreshed by its traffic
                if (address) sets.add(NftSet.addrPortPeer(contactedSet(p), cfg.holdSeconds() * 1000L));
                continue;
            }
            sets.add(NftSet.endpointToPort(outMap(p)));
            sets.add(NftSet.portToEndpoint(inMap(p)));
            // (public port . peer address) the endpoint has sent to, refreshed by its traffic
            if (address) sets.add(NftSet.portAndPeer(contactedSet(p), cfg.holdSeconds() * 1000L));
        }
        sets.add(NftSet.prefixes(SOURCES));
        sets.add(NftSet.portRanges(FULL_CONE_PORTS));
        for (Protocol p : cfg.protocols()) {
            String l = p.label, out = outMap(p), in = inMap(p);
            int proto = p.number;
            if (pooled) pooledNat(rules, cfg, p);
            else singleAddressNat(rules, cfg, p);
            // first packets of endpoints without a mapping: to the WAN, or hairpinned. Only flows to
            // the full-cone ports: DNS, web and the like keep the plain NAT and never cost a port
            var toWan = rule().oifname(true, wan).ctStateNew();
            if (sources) toWan.saddrIn(SOURCES);
            rules.add(toWan.l4proto(proto).dportIn(FULL_CONE_PORTS).saddrSportNotIn(out).markOr(cfg.markBit()).in("first",
                    "oifname \"" + wan + "\" ct state new " + (sources ? "ip saddr @" + SOURCES + " " : "") + "meta l4proto " + l
                            + " " + l + " dport @" + FULL_CONE_PORTS
                            + " ip saddr . " + l + " sport != @" + out + " meta mark set meta mark | " + hex(cfg.markBit())));
            var hairpin = rule().iifname(false, wan).oifname(false, wan).ctStateNew().ctStatusDnat();
            if (sources) hairpin.saddrIn(SOURCES);
            rules.add(hairpin.l4proto(proto).saddrSportNotIn(out).markOr(cfg.markBit()).in("first",
                    "iifname != \"" + wan + "\" oifname != \"" + wan + "\" ct state new ct status dnat "
                            + (sources ? "ip saddr @" + SOURCES + " " : "") + "meta l4proto " + l
                            + " ip saddr . " + l + " sport != @" + out + " meta mark set meta mark | " + hex(cfg.markBit())));
            if (address && pooled) {
                // after NAT: the external address . port . the peer address it went to
                rules.add(rule().oifname(true, wan).l4proto(proto).ctStatusSnat().updateSaddrSportDaddr(contactedSet(p)).in("seen",
                        "oifname \"" + wan + "\" ct status snat update @" + contactedSet(p) + " { ip saddr . " + l + " sport . ip daddr }"));
            } else if (address) {
                // after NAT: the public source port . the peer address it went to
                rules.add(rule().oifname(true, wan).l4proto(proto).ctStatusSnat().updateSportDaddr(contactedSet(p)).in("seen",
                        "oifname \"" + wan + "\" meta l4proto " + l + " ct status snat update @" + contactedSet(p) + " { " + l + " sport . ip daddr }"));
            }
        }
        // the marked first packets, of every protocol, to the daemon
        rules.add(rule().markHas(cfg.markBit(), nativeQueue).queue(cfg.queueNum(), true, nativeQueue).in("first",
                "meta mark & " + hex(cfg.markBit()) + " == " + hex(cfg.markBit()) + " queue num " + cfg.queueNum() + " bypass"));
        return new Table(KernelConfig.TABLE, sets, List.of(INBOUND_COUNTER), CHAINS, rules,
                List.of(new Table.Ranges(SOURCES, 4, sourceRanges(cfg.sources())),
                        new Table.Ranges(FULL_CONE_PORTS, 2, java.util.Arrays.stream(cfg.economy().fullConePorts()).asLongStream().toArray())));
    }

    /** The nat rules without a pool: ports only, on whatever address the WAN interface has. */
    private static void singleAddressNat(List<Rule> rules, KernelConfig cfg, Protocol p) {
        String wan = cfg.wanIf(), l = p.label, out = outMap(p), in = inMap(p);
        boolean address = cfg.filtering() == KernelConfig.Filtering.ADDRESS;
        int proto = p.number;
        // inbound: a WAN packet to a mapped local port goes to its endpoint. Its flow sends no
        // conntrack events: at high rates they were most of the daemon's work, and it needs
        // these flows only when a mapping is about to expire, when it asks conntrack for them.
        var inbound = rule().iifname(true, wan).fibDaddrLocal(false).l4proto(proto);
        if (address) inbound.dportSaddrIn(contactedSet(p));
        rules.add(inbound.dportIn(in).ctEventsOff().counter(INBOUND_COUNTER).dnatByDport(in).in("pre",
                "iifname \"" + wan + "\" fib daddr type local " + (address ? l + " dport . ip saddr @" + contactedSet(p) + " " : "")
                        + l + " dport @" + in + " ct event set 0x0 counter name \"" + INBOUND_COUNTER + "\" dnat ip to " + l + " dport map @" + in));
        // hairpin: a LAN packet to the public address and a mapped port goes to that endpoint too
        rules.add(rule().iifname(false, wan).fibDaddrLocal(false).l4proto(proto).dnatByDport(in).in("pre",
                "iifname != \"" + wan + "\" fib daddr type local dnat ip to " + l + " dport map @" + in));
        // outbound: a mapped endpoint leaves from its port on whatever address the interface has
        rules.add(rule().oifname(true, wan).l4proto(proto).masqueradeBySource(out).in("post",
                "oifname \"" + wan + "\" meta l4proto " + l + " masquerade to : ip saddr . " + l + " sport map @" + out));
        // hairpin: the receiver sees the sender's public address and mapped port
        rules.add(rule().oifname(false, wan).iifname(false, wan).ctStatusDnat().l4proto(proto).snatToOriginalDaddrBySource(out)
                .in("post", "oifname != \"" + wan + "\" iifname != \"" + wan + "\" ct status dnat meta l4proto " + l
                        + " snat ip to ct original ip daddr : ip saddr . " + l + " sport map @" + out));
    }

    /**
     * The nat rules with a pool: the maps carry the external address both ways, so the packet's
     * own destination address picks the mapping inbound, and outbound the map names the address
     * as well as the port (no masquerade: the pool need not be the interface's address).
     */
    private static void pooledNat(List<Rule> rules, KernelConfig cfg, Protocol p) {
        String wan = cfg.wanIf(), l = p.label, out = outMap(p), in = inMap(p);
        boolean address = cfg.filtering() == KernelConfig.Filtering.ADDRESS;
        var inbound = rule().iifname(true, wan).l4proto(p.number);
        if (address) inbound.daddrDportSaddrIn(contactedSet(p));
        rules.add(inbound.daddrDportIn(in).ctEventsOff().counter(INBOUND_COUNTER).dnatByDaddrDport(in).in("pre",
                "iifname \"" + wan + "\" " + (address ? "ip daddr . " + l + " dport . ip saddr @" + contactedSet(p) + " " : "")
                        + "ip daddr . " + l + " dport @" + in + " ct event set 0x0 counter name \"" + INBOUND_COUNTER + "\" dnat ip to ip daddr . "
                        + l + " dport map @" + in));
        // hairpin: a LAN packet to any pool address and a mapped port goes to that endpoint
        rules.add(rule().iifname(false, wan).l4proto(p.number).dnatByDaddrDport(in).in("pre",
                "iifname != \"" + wan + "\" dnat ip to ip daddr . " + l + " dport map @" + in));
        rules.add(rule().oifname(true, wan).l4proto(p.number).snatBySource(out).in("post",
                "oifname \"" + wan + "\" snat ip to ip saddr . " + l + " sport map @" + out));
        // hairpin: the receiver sees the sender's own external address and port
        rules.add(rule().oifname(false, wan).iifname(false, wan).ctStatusDnat().l4proto(p.number).snatBySource(out).in("post",
                "oifname != \"" + wan + "\" iifname != \"" + wan + "\" ct status dnat snat ip to ip saddr . " + l
                        + " sport map @" + out));
    }

    /**
     * The {@code --source} prefixes as sorted, merged address ranges (first, last, first, last...):
     * an interval set refuses overlapping elements.
     */
    static long[] sourceRanges(List<String> cidrs) {
        List<long[]> r = new ArrayList<>();
        for (String c : cidrs) {
            int slash = c.indexOf('/');
            long addr = Integer.toUnsignedLong(Inet4.parseAddr(c.substring(0, slash)));
            r.add(new long[] {addr, addr + (1L << (32 - Integer.parseInt(c.substring(slash + 1)))) - 1});
        }
        return org.conenatd.inet.Ranges.merge(r);
    }

    static String hex(int v) {
        return "0x" + Integer.toHexString(v);
    }
}
