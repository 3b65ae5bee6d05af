package org.conenatd.nftables;

import org.conenatd.netlink.NetlinkException;
import org.conenatd.nftables.PortForwards.Forward;
import org.conenatd.nftables.RuleExpr.*;
import org.conenatd.nftables.RulesetMessages.Elem;
import org.conenatd.nftables.RulesetMessages.SetDef;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

import static org.conenatd.nftables.NfTables.*;
import static org.conenatd.nftables.RuleExpr.DPORT;
import static org.conenatd.nftables.RuleExpr.IPPROTO;
import static org.conenatd.nftables.RuleExpr.L4PROTO;
import static org.conenatd.nftables.RuleExpr.NFPROTO;
import static org.conenatd.nftables.RuleExpr.OTHER;
import static org.conenatd.nftables.RuleExpr.PORTS;

/**
 * The DNAT-by-destination-port rules of one table, found by walking its rules from a base chain,
 * through jump/goto verdicts (immediate, or a verdict map) into regular chains, keeping what the
 * rule so far says of the packet: its protocol (tcp, udp, or both when unsaid) and its destination
 * ports. Registers are followed within a rule: a port comparison counts only on a register loaded
 * with the transport header's destination port, a NAT address only from an immediate load (never
 * from a map lookup); a register an unknown expression may have written, or one never loaded, is
 * unknown, and a rule that compares one is not understood. Whatever is not understood ends that
 * rule, silently; nothing here throws but the set dumps' NetlinkException. At most
 * {@value #MAX_EVALUATIONS} rule evaluations per table (each chain is walked once per distinct
 * protocol and port context it is reached with).
 *
 * <p>Over 300 lines because the walk, the register tracking and each port-match form (cmp, range,
 * orderings, sets, xtables matches) share one per-rule state; split apart, each piece would need
 * that state's internals.
 */
final class ForwardRules {
    // enum nft_verdicts (negative: NfTables' header test cannot evaluate them; PortForwardsHeaderTest checks)
    static final int NFT_JUMP = -3, NFT_GOTO = -4;
    // xt_tcpudp.h, xt_multiport.h
    static final int XT_UDP_INV_DSTPT = 0x02, XT_TCP_INV_DSTPT = 0x02;
    static final int XT_MULTIPORT_SOURCE = 0, XT_MULTIPORT_DESTINATION = 1, XT_MULTI_PORTS = 15;
    // struct layouts (x86-64; PortForwardsHeaderTest lays the headers' structs out and compares):
    // xt_udp / xt_tcp: spts[2], dpts[2] (u16), then invflags (udp) / option, flg_mask, flg_cmp, invflags (tcp)
    static final int XT_PORTS_DPTS = 4, XT_UDP_INVFLAGS = 8, XT_UDP_SIZE = 10, XT_TCP_INVFLAGS = 11, XT_TCP_SIZE = 12;
    // xt_multiport: flags, count (u8), ports[15] (u16); _v1: + pflags[15], invert (u8)
    static final int MULTIPORT_PORTS = 2, MULTIPORT_SIZE = 32, MULTIPORT_V1_PFLAGS = 32, MULTIPORT_V1_INVERT = 47,
            MULTIPORT_V1_SIZE = 48;
    // nf_nat_ipv4_multi_range_compat: rangesize, range[0] { flags, min_ip, max_ip, min, max }
    static final int MRC_FLAGS = 4, MRC_MIN_IP = 8, MRC_MIN = 16, MRC_SIZE = 20;
    // nf_nat_range (rev 1) / nf_nat_range2 (rev 2): flags, min_addr, max_addr (16 bytes), min_proto, max_proto...
    static final int RANGE_MIN_ADDR = 4, RANGE_MIN_PROTO = 36, RANGE_SIZE = 40, RANGE2_SIZE = 44;
    /** NFT_JUMP_STACK_SIZE: the kernel refuses deeper jumps. */
    static final int MAX_DEPTH = 16;
    private static final int TCP = 1, UDP = 2;
    static final int MAX_EVALUATIONS = 1_000_000;
    private static final int IMM = 100, MAPPED = 101, UNKNOWN = 102;

    /** The table's sets, dumped when a rule first needs them. */
    interface Sets {
        /** Null if the table has no set of that name. */
        SetDef def(String name) throws NetlinkException;

        List<Elem> elements(String name) throws NetlinkException;
    }

    private final String table;
    private final Map<String, List<List<RuleExpr>>> rules;
    private final Sets sets;
    private final LinkedHashSet<Forward> found = new LinkedHashSet<>();
    private final HashSet<String> walked = new HashSet<>();
    private int evaluations;

    /** {@code rules}: each chain's rules (their expressions), in order. */
    ForwardRules(String table, Map<String, List<List<RuleExpr>>> rules, Sets sets) {
        this.table = table;
        this.rules = rules;
        this.sets = sets;
    }

    /** Walks base chain {@code chain} and every chain it reaches. */
    void walk(String chain) throws NetlinkException {
        chain(chain, TCP | UDP, null, 0);
    }

    List<Forward> forwards() {
        return List.copyOf(found);
    }

    /** {@code ports}: sorted disjoint [lo, hi] pairs, or null for any port. */
    private void chain(String name, int protos, int[] ports, int depth) throws NetlinkException {
        if (depth > MAX_DEPTH || name == null || !walked.add(name + "|" + protos + "|" + Arrays.toString(ports))) return;
        for (List<RuleExpr> r : rules.getOrDefault(name, List.of())) {
            if (++evaluations > MAX_EVALUATIONS) return;
            rule(name, r, protos, ports, depth);
        }
    }

    private void rule(String chain, List<RuleExpr> exprs, int protos, int[] ports, int depth) throws NetlinkException {
        Regs regs = new Regs();
        for (RuleExpr x : exprs) {
            switch (x) {
                case Load l -> regs.set(l.dreg(), l.len(), l.what(), null);
                case Imm i -> regs.set(i.dreg(), i.data().length, IMM, i.data());
                case Writes w -> regs.set(w.dreg(), w.len(), OTHER, null);
                case Clobber c -> regs.clear();
                case Broken b -> {
                    return;
                }
                case Neutral n -> { }
                case Cmp c -> {
                    int k = regs.kind(c.sreg());
                    if (k == UNKNOWN) return;
                    if (k == L4PROTO || k == IPPROTO) protos = protocol(protos, c.op(), c.data());
                    else if (k == NFPROTO) {
                        if (!ipv4(c.op(), c.data())) return;
                    } else if (k == DPORT) {
                        int[] p = PortRanges.compared(c.op(), c.data());
                        if (p == null) return;                    // dport != x: not one set of ranges here
                        ports = PortRanges.intersect(ports, p);
                    } else if (k == PORTS && c.data().length == 4) {   // sport . dport, as iptables-nft loads both
                        if (c.op() != NFT_CMP_EQ) return;
                        ports = PortRanges.intersect(ports, PortRanges.span(u16(c.data(), 2), u16(c.data(), 2)));
                    }
                }
                case Range r -> {
                    int k = regs.kind(r.sreg());
                    if (k == UNKNOWN) return;
                    if (k == DPORT) {
                        if (r.op() != NFT_RANGE_EQ || r.from().length != 2 || r.to().length != 2) return;
                        ports = PortRanges.intersect(ports, PortRanges.span(u16(r.from(), 0), u16(r.to(), 0)));
                    } else if (k != OTHER && k != IMM && k != MAPPED) return;
                }
                case Lookup l -> {
                    int k = regs.kind(l.sreg());
                    if (k == UNKNOWN) return;
                    SetDef def = sets.def(l.set());
                    if (def == null) return;
                    boolean inverted = (l.flags() & NFT_LOOKUP_F_INV) != 0;
                    if (l.dreg() == NFT_REG_VERDICT) {
                        verdictMap(chain, def, k, protos, ports, depth);
                        return;
                    }
                    if (k == DPORT && def.keyLen() == 2) {
                        if (inverted) return;
                        ports = PortRanges.intersect(ports, PortRanges.of(spans(def, sets.elements(l.set()))));
                    } else if ((k == L4PROTO || k == IPPROTO) && def.keyLen() == 1) {
                        int bits = 0;
                        for (Span s : spans(def, sets.elements(l.set()))) bits |= bits(s.lo(), s.hi());
                        protos = inverted ? protos & ~bits : protos & bits;
                    }
                    if (l.dreg() > 0) regs.set(l.dreg(), Math.max(def.dataLen(), 4), MAPPED, null);
                }
                case Verdict v -> {
                    if (v.code() == NFT_JUMP || v.code() == NFT_GOTO) chain(v.chain(), protos, ports, depth + 1);
                    return;
                }
                case Nat n -> {
                    if (n.type() != NFT_NAT_DNAT || n.family() != NFPROTO_IPV4) return;
                    Integer addr = regs.imm(n.addrMin(), 4);
                    Integer port = n.protoMin() < 0 ? Integer.valueOf(0) : regs.imm(n.protoMin(), 2);
                    if (addr != null && port != null) emit(chain, protos, ports, addr, port);
                    return;
                }
                case Xt t when t.target() -> {
                    if (t.name().equals("DNAT")) {
                        dnatTarget(chain, t, protos, ports);
                        return;
                    }
                }
                case Xt t -> {
                    int[] m = match(t);
                    if (m == null) return;
                    protos &= m[0];
                    if (m.length > 1) ports = PortRanges.intersect(ports, Arrays.copyOfRange(m, 1, m.length));
                }
            }
            if (protos == 0 || (ports != null && ports.length == 0)) return;   // matches nothing
        }
    }

    private void verdictMap(String chain, SetDef def, int key, int protos, int[] ports, int depth) throws NetlinkException {
        for (Span s : spans(def, sets.elements(def.name()))) {
            Verdict v = s.elem().verdict();
            if (v == null || (v.code() != NFT_JUMP && v.code() != NFT_GOTO)) continue;
            int p = protos;
            int[] q = ports;
            if (key == DPORT && def.keyLen() == 2) q = PortRanges.intersect(ports, PortRanges.span(s.lo(), s.hi()));
            else if ((key == L4PROTO || key == IPPROTO) && def.keyLen() == 1) p &= bits(s.lo(), s.hi());
            if (p != 0 && (q == null || q.length > 0)) chain(v.chain(), p, q, depth + 1);
        }
    }

    /**
     * xtables DNAT: rev 0 struct nf_nat_ipv4_multi_range_compat (rangesize, then flags, min_ip,
     * max_ip, min, max), rev 1 nf_nat_range and rev 2 nf_nat_range2 (flags, min_addr[16],
     * max_addr[16], min_proto, max_proto...). Flags host order, addresses and ports network order.
     */
    private void dnatTarget(String chain, Xt t, int protos, int[] ports) {
        byte[] b = t.info();
        ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
        int flags, addr, port;
        if (t.rev() == 0 && b.length >= MRC_SIZE && h.getInt(0) == 1) {
            flags = h.getInt(MRC_FLAGS);
            addr = ByteBuffer.wrap(b).getInt(MRC_MIN_IP);
            port = u16(b, MRC_MIN);
        } else if ((t.rev() == 1 && b.length >= RANGE_SIZE) || (t.rev() == 2 && b.length >= RANGE2_SIZE)) {
            flags = h.getInt(0);
            addr = ByteBuffer.wrap(b).getInt(RANGE_MIN_ADDR);
            port = u16(b, RANGE_MIN_PROTO);
        } else return;
        if ((flags & NF_NAT_RANGE_MAP_IPS) == 0) return;       // no address: nothing this reader reports
        emit(chain, protos, ports, addr, (flags & NF_NAT_RANGE_PROTO_SPECIFIED) != 0 ? port : 0);
    }

    /**
     * An xtables match: {protocol bits, port pairs...}; {TCP | UDP} for a match that says nothing of
     * them; null for one this reader cannot follow (inverted or either-way ports). "udp"/"tcp"
     * rev 0: struct xt_udp / xt_tcp (spts[2], dpts[2] host order, invflags at 8 / 11);
     * "multiport" rev 0 (flags, count, ports[15]) and 1 (+ pflags[15], invert).
     */
    static int[] match(Xt t) {
        byte[] b = t.info();
        ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
        boolean udp = t.name().equals("udp");
        if ((udp || t.name().equals("tcp")) && t.rev() == 0) {
            if (b.length < (udp ? XT_UDP_SIZE : XT_TCP_SIZE)) return null;
            int inv = b[udp ? XT_UDP_INVFLAGS : XT_TCP_INVFLAGS] & 0xff;
            if ((inv & (udp ? XT_UDP_INV_DSTPT : XT_TCP_INV_DSTPT)) != 0) return null;
            int lo = h.getShort(XT_PORTS_DPTS) & 0xffff, hi = h.getShort(XT_PORTS_DPTS + 2) & 0xffff;
            return lo > hi ? new int[] {0} : new int[] {udp ? UDP : TCP, lo, hi};
        }
        if (t.name().equals("multiport") && (t.rev() == 0 || t.rev() == 1)) {
            if (b.length < (t.rev() == 0 ? MULTIPORT_SIZE : MULTIPORT_V1_SIZE)) return null;
            int flags = b[0] & 0xff, count = b[1] & 0xff;
            if (flags == XT_MULTIPORT_SOURCE) return new int[] {TCP | UDP};
            if (flags != XT_MULTIPORT_DESTINATION) return null;          // either way: not one port set
            if (count > XT_MULTI_PORTS || (t.rev() == 1 && b[MULTIPORT_V1_INVERT] != 0)) return null;
            List<Span> spans = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int lo = h.getShort(MULTIPORT_PORTS + 2 * i) & 0xffff, hi = lo;
                if (t.rev() == 1 && b[MULTIPORT_V1_PFLAGS + i] != 0 && i + 1 < count) {
                    hi = h.getShort(MULTIPORT_PORTS + 2 * ++i) & 0xffff;
                }
                spans.add(new Span(lo, hi, null));
            }
            int[] p = PortRanges.of(spans);
            int[] out = new int[p.length + 1];
            out[0] = TCP | UDP;
            System.arraycopy(p, 0, out, 1, p.length);
            return out;
        }
        return new int[] {TCP | UDP};                     // comment, conntrack...: narrows, says nothing of ports
    }

    private void emit(String chain, int protos, int[] ports, int addr, int toPort) {
        if (ports == null) return;                        // not by destination port (a "DMZ" host)
        for (int bit : new int[] {UDP, TCP}) {
            if ((protos & bit) == 0) continue;
            for (int i = 0; i < ports.length; i += 2) {
                found.add(new Forward(table, chain, bit == UDP ? 17 : 6, ports[i], ports[i + 1], addr, toPort));
            }
        }
    }

    private static int protocol(int protos, int op, byte[] data) {
        if (data.length != 1) return 0;
        int bit = bits(data[0] & 0xff, data[0] & 0xff);
        return switch (op) {
            case NFT_CMP_EQ -> protos & bit;
            case NFT_CMP_NEQ -> protos & ~bit;
            default -> 0;
        };
    }

    /** Whether {@code meta nfproto <op> <data>} lets IPv4 through. */
    private static boolean ipv4(int op, byte[] data) {
        if (data.length != 1) return false;
        boolean v4 = (data[0] & 0xff) == NFPROTO_IPV4;
        return op == NFT_CMP_EQ ? v4 : op == NFT_CMP_NEQ && !v4;
    }

    private static int bits(int lo, int hi) {
        return (lo <= 6 && 6 <= hi ? TCP : 0) | (lo <= 17 && 17 <= hi ? UDP : 0);
    }

    static int u16(byte[] b, int at) {
        return (b[at] & 0xff) << 8 | (b[at + 1] & 0xff);
    }

    /** One element's keys as a closed range, and the element (for a map's value). */
    record Span(int lo, int hi, Elem elem) {}

    /**
     * The ranges a set's elements cover: an element with NFTA_SET_ELEM_KEY_END is [key, key_end];
     * in an interval set (the kernel's rbtree dumps start elements and, flagged INTERVAL_END, the
     * key after each interval, in any order), each start runs to the next end key minus one, or to
     * the key's maximum when none follows; otherwise each key is one value. A catch-all is every
     * value. Keys longer than 4 bytes are skipped.
     */
    static List<Span> spans(SetDef def, List<Elem> elems) {
        int max = def.keyLen() == 1 ? 0xff : def.keyLen() == 2 ? 0xffff : -1;
        boolean interval = (def.flags() & NFT_SET_INTERVAL) != 0;
        List<Integer> ends = new ArrayList<>();
        if (interval) {
            for (Elem e : elems) {
                if ((e.flags() & NFT_SET_ELEM_INTERVAL_END) != 0 && e.key() != null && e.key().length <= 4) ends.add(key(e.key()));
            }
            ends.sort(Integer::compareUnsigned);
        }
        List<Span> out = new ArrayList<>();
        for (Elem e : elems) {
            if ((e.flags() & NFT_SET_ELEM_CATCHALL) != 0) {
                out.add(new Span(0, max, e));
                continue;
            }
            if (e.key() == null || e.key().length > 4 || (e.flags() & NFT_SET_ELEM_INTERVAL_END) != 0) continue;
            int lo = key(e.key());
            if (e.keyEnd() != null) {
                if (e.keyEnd().length <= 4) out.add(new Span(lo, key(e.keyEnd()), e));
            } else if (interval) {
                int hi = max;
                for (int end : ends) {
                    if (Integer.compareUnsigned(end, lo) > 0) {
                        hi = end - 1;
                        break;
                    }
                }
                out.add(new Span(lo, hi, e));
            } else out.add(new Span(lo, lo, e));
        }
        return out;
    }

    private static int key(byte[] k) {
        int v = 0;
        for (byte x : k) v = v << 8 | (x & 0xff);
        return v;
    }

    /**
     * The 16 32-bit register parts (NFT_REG_1..4 are parts 0, 4, 8, 12; NFT_REG32_00..15 are 0..15)
     * and what each holds.
     */
    private static final class Regs {
        private final int[] kind = new int[16], off = new int[16];
        private final byte[][] data = new byte[16][];

        Regs() {
            clear();                                      // nothing loaded yet
        }

        private static int part(int reg) {
            if (reg >= NFT_REG_1 && reg <= 4) return (reg - NFT_REG_1) * 4;
            if (reg >= NFT_REG32_00 && reg < NFT_REG32_00 + 16) return reg - NFT_REG32_00;
            return -1;
        }

        void set(int reg, int len, int what, byte[] value) {
            int p = part(reg);
            if (p < 0) return;
            int n = Math.max(1, (Math.min(len, 64) + 3) / 4);
            for (int i = 0; i < n && p + i < 16; i++) {
                kind[p + i] = what;
                data[p + i] = value;
                off[p + i] = 4 * i;
            }
        }

        int kind(int reg) {
            int p = part(reg);
            return p < 0 ? UNKNOWN : kind[p];
        }

        /** The first {@code n} (2 or 4) bytes of an immediate loaded into {@code reg}, big-endian; else null. */
        Integer imm(int reg, int n) {
            int p = part(reg);
            if (p < 0 || kind[p] != IMM || off[p] != 0 || data[p].length < n) return null;
            return n == 2 ? u16(data[p], 0) : ByteBuffer.wrap(data[p]).getInt(0);
        }

        void clear() {
            Arrays.fill(kind, UNKNOWN);
        }
    }
}
