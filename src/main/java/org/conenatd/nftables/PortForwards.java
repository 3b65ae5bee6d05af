package org.conenatd.nftables;

import org.conenatd.inet.Inet4;
import org.conenatd.netlink.Encoder;
import org.conenatd.netlink.Netlink;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.netlink.NetlinkRequests;
import org.conenatd.netlink.NetlinkSocket;
import org.conenatd.netlink.NetlinkTransport;
import org.conenatd.nftables.RulesetMessages.Chain;
import org.conenatd.nftables.RulesetMessages.Elem;
import org.conenatd.nftables.RulesetMessages.Rule;
import org.conenatd.nftables.RulesetMessages.SetDef;
import org.conenatd.nftables.RulesetMessages.Table;
import org.conenatd.nftables.expr.Expr;
import org.conenatd.sys.Errno;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

import static org.conenatd.nftables.NfTables.*;

/**
 * Reads the DNAT port forwards of the nf_tables ruleset: every rule of an IPv4 or inet table that
 * DNATs packets to a fixed IPv4 address by their destination port, in a base chain of type nat
 * hooked at prerouting or in a regular chain it reaches through jump/goto (immediate verdicts or
 * verdict maps), as nft writes them (iptables-nft's PREROUTING and custom chains, miniupnpd's
 * {@code prerouting} → {@code miniupnpd} chains, OpenWrt fw4's {@code dstnat} → {@code dstnat_wan}).
 *
 * <p>Understood: the destination port as a transport-header payload (offset 2, 2 bytes, or the
 * 4-byte source+destination load iptables-nft makes for {@code --sport x --dport y}) compared with
 * {@code cmp eq}, {@code cmp} orderings ({@code 8000-8010} as gte+lte), {@code range}, or looked up
 * in a set (anonymous or named, interval or not), or the xtables matches {@code udp} / {@code tcp}
 * (struct xt_udp / xt_tcp) and {@code multiport} (rev 0 and 1); the protocol from {@code meta
 * l4proto} or {@code ip protocol} (cmp or set) or the xtables match, both tcp and udp when the rule
 * says neither; the target from {@code nat} DNAT (family ip) with address and port loaded by
 * {@code immediate}, or the xtables target DNAT rev 0, 1 and 2. Skipped: whatever else — an
 * inverted port match ({@code dport != 22}), a NAT address or port from a map lookup (conenatd's
 * own {@code dnat ip to udp dport map @in_udp}), a DNAT without a destination-port match (a
 * "DMZ" host) or without an address, {@code redirect}, IPv6 NAT, chains of other hooks, dormant
 * tables, unknown expressions (which end the rule's understanding), malformed objects. A strange
 * rule is never an exception: only netlink errors are. A rule counts wherever it stands in its
 * chain: whether an earlier rule's verdict keeps packets from it is not looked at.
 *
 * <p>The ruleset is read in several dumps; if its generation changes meanwhile (or a dump is
 * interrupted) it is read again, up to {@value #ATTEMPTS} times. One reader at a time. Any socket
 * may dump any table, an owned one included.
 */
public final class PortForwards implements AutoCloseable {
    /** A forward: packets of {@code protocol} (6 or 17) to ports firstPort..lastPort go to toAddr. */
    public record Forward(String table, String chain, int protocol, int firstPort, int lastPort, int toAddr,
                          int toPortFirst) {
        @Override
        public String toString() {
            return (protocol == 17 ? "udp " : protocol == 6 ? "tcp " : protocol + " ") + firstPort
                    + (lastPort != firstPort ? "-" + lastPort : "") + " -> " + Inet4.format(toAddr)
                    + (toPortFirst != 0 ? ":" + toPortFirst : "") + " (" + table + " " + chain + ")";
        }
    }

    static final int ATTEMPTS = 4;

    private final NetlinkTransport sock;
    private final Encoder enc;
    private final MemorySegment rbuf;
    private final RulesetMessages msgs = new RulesetMessages();

    private final java.util.Set<String> ownTables;

    public PortForwards(NetlinkTransport sock) {
        this(sock, java.util.Set.of());
    }

    /**
     * @param ownTables IPv4 tables never read (conenatd's own: they hold no forward of the
     *                  operator's, and their maps, one element per mapping, are large)
     */
    public PortForwards(NetlinkTransport sock, java.util.Set<String> ownTables) {
        this.sock = sock;
        this.ownTables = java.util.Set.copyOf(ownTables);
        Arena arena = Arena.ofAuto();
        this.enc = new Encoder(arena.allocate(4096, 8));
        this.rbuf = arena.allocate(256 * 1024, 8);
    }

    /** Opens a NETLINK_NETFILTER socket of its own in the calling thread's network namespace. */
    public static PortForwards open() throws NetlinkException {
        return open(java.util.Set.of());
    }

    /** As {@link #open()}, never reading the IPv4 tables {@code ownTables}. */
    public static PortForwards open(java.util.Set<String> ownTables) throws NetlinkException {
        return new PortForwards(NetlinkSocket.open("nftables port forwards", s -> s.setReceiveTimeout(5000)), ownTables);
    }

    /** Every port forward of the current ruleset, in ruleset order, without duplicates. */
    public List<Forward> read() throws NetlinkException {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            int before = generation();
            List<Forward> got;
            try {
                got = readOnce();
            } catch (NetlinkException e) {
                // a dump cut short by a change, or an object gone between two dumps: read again
                boolean changed = e.errno() == Errno.EAGAIN || (e.errno() == Errno.ENOENT && generation() != before);
                if (!changed) throw e;
                continue;
            }
            if (generation() == before) return got;
        }
        throw new NetlinkException("nft port forwards: the ruleset changed during each of " + ATTEMPTS + " reads",
                Errno.EAGAIN, null, 0);
    }

    private List<Forward> readOnce() throws NetlinkException {
        Map<String, Table> tables = new HashMap<>();
        dump(NFT_MSG_GETTABLE, NFPROTO_UNSPEC, "nft dump tables", null, null, m -> {
            Table t = msgs.table(m);
            if (t != null) tables.put(t.family() + "/" + t.name(), t);
        });
        // base chains of type nat at prerouting, per table, in the kernel's order
        Map<String, List<String>> bases = new LinkedHashMap<>();
        dump(NFT_MSG_GETCHAIN, NFPROTO_UNSPEC, "nft dump chains", null, null, m -> {
            Chain c = msgs.chain(m);
            if (c == null || (c.family() != NFPROTO_IPV4 && c.family() != NFPROTO_INET)) return;
            if (c.hook() != NF_INET_PRE_ROUTING || !"nat".equals(c.type()) || !name(c.table()) || !name(c.name())) return;
            if (c.family() == NFPROTO_IPV4 && ownTables.contains(c.table())) return;
            Table t = tables.get(c.family() + "/" + c.table());
            if (t != null && (t.flags() & NFT_TABLE_F_DORMANT) != 0) return;
            bases.computeIfAbsent(c.family() + "/" + c.table(), k -> new ArrayList<>()).add(c.name());
        });
        LinkedHashSet<Forward> out = new LinkedHashSet<>();
        for (Map.Entry<String, List<String>> b : bases.entrySet()) {
            String key = b.getKey();
            int family = Integer.parseInt(key.substring(0, key.indexOf('/')));
            String table = key.substring(key.indexOf('/') + 1);
            ForwardRules fr = new ForwardRules(table, rules(family, table), new TableSets(family, table));
            for (String chain : b.getValue()) fr.walk(chain);
            out.addAll(fr.forwards());
        }
        return List.copyOf(out);
    }

    /** The rules of one table: chain → each rule's expressions, in order. */
    private Map<String, List<List<RuleExpr>>> rules(int family, String table) throws NetlinkException {
        Map<String, List<List<RuleExpr>>> rules = new HashMap<>();
        dump(NFT_MSG_GETRULE, family, "nft dump rules of " + table, new int[] {NFTA_RULE_TABLE}, new String[] {table}, m -> {
            Rule r = msgs.rule(m);
            if (r != null && r.family() == family && r.table().equals(table)) {
                rules.computeIfAbsent(r.chain(), k -> new ArrayList<>()).add(r.exprs());
            }
        });
        return rules;
    }

    /** One table's sets, each dumped once, when first asked for. */
    private final class TableSets implements ForwardRules.Sets {
        private final int family;
        private final String table;
        private Map<String, SetDef> defs;
        private final Map<String, List<Elem>> elements = new HashMap<>();

        TableSets(int family, String table) {
            this.family = family;
            this.table = table;
        }

        @Override
        public SetDef def(String name) throws NetlinkException {
            if (defs == null) {
                Map<String, SetDef> d = new HashMap<>();
                dump(NFT_MSG_GETSET, family, "nft dump sets of " + table, new int[] {NFTA_SET_TABLE}, new String[] {table}, m -> {
                    SetDef s = msgs.set(m);
                    if (s != null && s.family() == family && s.table().equals(table) && name(s.name())) d.put(s.name(), s);
                });
                defs = d;
            }
            return defs.get(name);
        }

        @Override
        public List<Elem> elements(String name) throws NetlinkException {
            List<Elem> got = elements.get(name);
            if (got != null) return got;
            List<Elem> e = new ArrayList<>();
            if (def(name) != null) {
                dump(NFT_MSG_GETSETELEM, family, "nft dump set " + table + " " + name,
                        new int[] {NFTA_SET_ELEM_LIST_SET, NFTA_SET_ELEM_LIST_TABLE}, new String[] {name, table},
                        m -> msgs.elements(m, name, e));
            }
            elements.put(name, e);
            return e;
        }
    }

    /** An NLM_F_DUMP request with string attributes {@code types}/{@code values}; every answer to {@code h}. */
    private void dump(int msg, int family, String op, int[] types, String[] values, NetlinkRequests.Handler h)
            throws NetlinkException {
        enc.reset();
        int seq = sock.nextSeq();
        int m = enc.begin(msgType(msg), Netlink.NLM_F_REQUEST | Netlink.NLM_F_DUMP, seq);
        enc.nfgenmsg(family, 0);
        for (int i = 0; types != null && i < types.length; i++) enc.bytes(types[i], Expr.cstring(values[i]));
        enc.end(m);
        NetlinkRequests.request(sock, enc, seq, op, rbuf, h);
    }

    /** The ruleset's generation id (NFT_MSG_GETGEN), 0 if the kernel gave none. */
    private int generation() throws NetlinkException {
        enc.reset();
        int seq = sock.nextSeq();
        int m = enc.begin(msgType(NFT_MSG_GETGEN), Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK, seq);
        enc.nfgenmsg(NFPROTO_UNSPEC, 0);
        enc.end(m);
        int[] id = {0};
        NetlinkRequests.request(sock, enc, seq, "nft get generation", rbuf, a -> {
            Integer g = msgs.gen(a);
            if (g != null) id[0] = g;
        });
        return id[0];
    }

    /** A name the kernel could have: 1..255 bytes (a longer one would not fit a request). */
    private static boolean name(String s) {
        int n = s.getBytes(StandardCharsets.UTF_8).length;
        return n > 0 && n < NFT_TABLE_MAXNAMELEN;
    }

    @Override
    public void close() {
        sock.close();
    }
}
