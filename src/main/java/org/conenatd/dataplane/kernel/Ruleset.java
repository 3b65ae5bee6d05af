package org.conenatd.dataplane.kernel;

import org.conenatd.dataplane.Command;
import org.conenatd.nat.Protocol;
import org.conenatd.ops.StartupException;

import java.util.ArrayList;
import java.util.List;

import static org.conenatd.dataplane.Command.run;

/**
 * Kernel mode's rules, installed at start and removed at stop. They are set up with the {@code nft}
 * and {@code iptables} commands (once; map elements never spawn a process):
 * <ul>
 *   <li>table {@code ip conenatd}: per protocol a map {@code out_P} (LAN endpoint -> public port)
 *       and {@code in_P} (public port -> LAN endpoint); a nat prerouting chain that DNATs WAN
 *       packets to a mapped local port; a nat postrouting chain at {@code srcnat - 1} that
 *       masquerades a mapped endpoint to its port (the nat hook stops at the first binding, so the
 *       operator's own masquerade never sees it); and a forward chain that marks the first packet
 *       of an endpoint that has no mapping yet.</li>
 *   <li>one iptables rule in mangle FORWARD queueing marked packets to conenatd (this kernel has
 *       no nft {@code queue} expression, but has the xtables NFQUEUE target), with
 *       {@code --queue-bypass} so that a dead daemon means plain NAT, not loss.</li>
 * </ul>
 * Re-running the script keeps existing maps and their elements (a restart after {@code kill -9}
 * adopts them); only the chains are rewritten.
 */
final class Ruleset {
    private final KernelConfig cfg;
    private boolean mangleExisted;
    private boolean iptablesRuleAdded;

    Ruleset(KernelConfig cfg) {
        this.cfg = cfg;
    }

    static String outMap(Protocol p) { return "out_" + p.label; }
    static String inMap(Protocol p) { return "in_" + p.label; }

    static String contactedSet(Protocol p) { return "contacted_" + p.label; }

    /** The named counter of the inbound rules: new inbound flows the maps DNAT'd, all protocols. */
    static final String INBOUND_COUNTER = "inbound";

    /** The nft script: idempotent, one transaction. */
    String script() {
        String t = "ip " + KernelConfig.TABLE;
        String wan = "\"" + cfg.wanIf() + "\"";
        boolean address = cfg.filtering() == KernelConfig.Filtering.ADDRESS;
        String src = cfg.sources().isEmpty() ? "" : "ip saddr @sources ";
        StringBuilder sb = new StringBuilder("table ").append(t).append(" {\n");
        for (Protocol p : cfg.protocols()) {
            sb.append("  map ").append(outMap(p)).append(" { type ipv4_addr . inet_service : inet_service; }\n");
            sb.append("  map ").append(inMap(p)).append(" { type inet_service : ipv4_addr . inet_service; }\n");
            // (public port . peer address) the endpoint has sent to, refreshed by its traffic
            if (address) {
                sb.append("  set ").append(contactedSet(p)).append(" { type inet_service . ipv4_addr; flags dynamic,timeout; timeout ")
                        .append(cfg.holdSeconds()).append("s; }\n");
            }
        }
        sb.append("  set sources { type ipv4_addr; flags interval; }\n");
        sb.append("  counter ").append(INBOUND_COUNTER).append(" { }\n");
        sb.append("  chain pre { type nat hook prerouting priority dstnat + 1; policy accept; }\n");
        sb.append("  chain post { type nat hook postrouting priority srcnat - 1; policy accept; }\n");
        sb.append("  chain first { type filter hook forward priority mangle - 1; policy accept; }\n");
        sb.append("  chain seen { type filter hook postrouting priority srcnat + 10; policy accept; }\n");
        sb.append("}\n");
        for (String c : new String[] {"pre", "post", "first", "seen"}) sb.append("flush chain ").append(t).append(' ').append(c).append('\n');
        sb.append("flush set ").append(t).append(" sources\n");
        if (!cfg.sources().isEmpty()) {
            sb.append("add element ").append(t).append(" sources { ").append(String.join(", ", cfg.sources())).append(" }\n");
        }
        for (Protocol p : cfg.protocols()) {
            String l = p.label, out = "@" + outMap(p), in = "@" + inMap(p);
            String rule = "add rule " + t + " ";
            // inbound: a WAN packet to a mapped local port goes to its endpoint (from any peer, or,
            // with address filtering, from a peer address the endpoint has sent to). Its flow sends
            // no conntrack events: at high rates they were most of the daemon's work, and it needs
            // these flows only when a mapping is about to expire, when it asks conntrack for them.
            sb.append(rule).append("pre iifname ").append(wan).append(" fib daddr type local ")
                    .append(address ? l + " dport . ip saddr @" + contactedSet(p) + " " : "")
                    .append(l).append(" dport ").append(in).append(" ct event set 0x0 counter name \"").append(INBOUND_COUNTER).append("\" ")
                    .append("dnat ip to ").append(l).append(" dport map ").append(in).append('\n');
            // hairpin: a LAN packet to the public address and a mapped port goes to that endpoint too
            sb.append(rule).append("pre iifname != ").append(wan).append(" fib daddr type local dnat ip to ")
                    .append(l).append(" dport map ").append(in).append('\n');
            // outbound: a mapped endpoint leaves from its port on whatever address the interface has
            sb.append(rule).append("post oifname ").append(wan).append(" meta l4proto ").append(l)
                    .append(" masquerade to : ip saddr . ").append(l).append(" sport map ").append(out).append('\n');
            // hairpin: the receiver sees the sender's public address and mapped port
            sb.append(rule).append("post oifname != ").append(wan).append(" iifname != ").append(wan)
                    .append(" ct status dnat meta l4proto ").append(l).append(" snat ip to ct original ip daddr : ip saddr . ")
                    .append(l).append(" sport map ").append(out).append('\n');
            // first packets of endpoints without a mapping: to the WAN, or hairpinned
            String mark = " meta mark set meta mark | " + hex(cfg.markBit()) + "\n";
            sb.append(rule).append("first oifname ").append(wan).append(" ct state new ").append(src).append("meta l4proto ").append(l)
                    .append(" ip saddr . ").append(l).append(" sport != ").append(out).append(mark);
            sb.append(rule).append("first iifname != ").append(wan).append(" oifname != ").append(wan)
                    .append(" ct state new ct status dnat ").append(src).append("meta l4proto ").append(l)
                    .append(" ip saddr . ").append(l).append(" sport != ").append(out).append(mark);
            if (address) {
                // after NAT: the public source port . the peer address it went to
                sb.append(rule).append("seen oifname ").append(wan).append(" meta l4proto ").append(l)
                        .append(" ct status snat update @").append(contactedSet(p)).append(" { ").append(l)
                        .append(" sport . ip daddr }\n");
            }
        }
        return sb.toString();
    }

    private List<String> iptablesRule(String action) {
        return List.of("iptables", "-w", "5", "-t", "mangle", action, "FORWARD",
                "-m", "mark", "--mark", hex(cfg.markBit()) + "/" + hex(cfg.markBit()),
                "-m", "comment", "--comment", "conenatd first packets",
                "-j", "NFQUEUE", "--queue-num", Integer.toString(cfg.queueNum()), "--queue-bypass");
    }

    static String hex(int v) {
        return "0x" + Integer.toHexString(v);
    }

    /** Installs everything; on failure nothing is left behind and the message says why. */
    void install() throws StartupException {
        // "nft list tables" would load every element of every set (seconds with 60,000 mappings)
        mangleExisted = run(List.of("nft", "list", "table", "ip", "mangle"), null).code() == 0;
        Command r = run(List.of("nft", "-f", "-"), script());
        if (r.code() != 0) throw new StartupException("cannot install the nftables rules: " + r.firstLine());
        if (run(withAction("-C"), null).code() != 0) {
            Command add = run(withAction("-I"), null);
            if (add.code() != 0) {
                removeTable();
                throw new StartupException("cannot add the iptables NFQUEUE rule (is the xt_NFQUEUE / nft_compat support there?): "
                        + add.firstLine());
            }
        }
        iptablesRuleAdded = true;
    }

    private List<String> withAction(String action) {
        List<String> c = new ArrayList<>(iptablesRule(action));
        if (action.equals("-I")) c.add(7, "1"); // first in FORWARD: before the operator's own verdicts
        return c;
    }

    /** Removes what {@link #install} added, leaving the ruleset as it was before. */
    void remove() {
        if (iptablesRuleAdded) {
            while (run(withAction("-D"), null).code() == 0) { /* a leftover of a killed instance too */ }
            if (!mangleExisted) dropEmptyMangleTable();
            iptablesRuleAdded = false;
        }
        removeTable();
    }

    private void removeTable() {
        run(List.of("nft", "delete", "table", "ip", KernelConfig.TABLE), null);
    }

    /** iptables-nft creates table ip mangle for our rule; if it was not there before and holds nothing else, it goes. */
    private void dropEmptyMangleTable() {
        Command r = run(List.of("iptables", "-w", "5", "-t", "mangle", "-S"), null);
        if (r.code() != 0) return;
        for (String line : r.out().split("\n")) {
            if (!line.isBlank() && !line.startsWith("-P ")) return; // someone's rule or chain
        }
        run(List.of("nft", "delete", "table", "ip", "mangle"), null);
    }
}
