package org.conenatd.nftables;

import org.conenatd.netlink.Decoder;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.conenatd.nftables.NfTables.*;

/**
 * One expression of a dumped rule, reduced to what {@link ForwardRules} needs: what goes into
 * which register (a {@link Load} of a port, a protocol, a constant), the comparisons, lookups,
 * verdicts, NAT and xtables parts; everything else either leaves the registers alone
 * ({@link Neutral}) or may have written any of them ({@link Clobber}: an expression this reader
 * does not know). Decoding never throws: a malformed expression is {@link Broken}.
 */
sealed interface RuleExpr {
    /** What a register holds after a load: something known not to matter here, or one of these. */
    int OTHER = 0, DPORT = 1, PORTS = 2, L4PROTO = 3, IPPROTO = 4, NFPROTO = 5;

    /** meta or payload into {@code dreg}: {@code len} bytes of {@code what}. */
    record Load(int what, int dreg, int len) implements RuleExpr {}
    record Cmp(int sreg, int op, byte[] data) implements RuleExpr {}
    record Range(int sreg, int op, byte[] from, byte[] to) implements RuleExpr {}
    /** {@code dreg} -1: a membership test; 0 (NFT_REG_VERDICT): a verdict map. */
    record Lookup(String set, int sreg, int dreg, int flags) implements RuleExpr {}
    /** A constant into a data register. */
    record Imm(int dreg, byte[] data) implements RuleExpr {}
    /** A constant verdict: accept, drop, jump/goto {@code chain}... */
    record Verdict(int code, String chain) implements RuleExpr {}
    /** Registers -1 when absent. */
    record Nat(int type, int family, int addrMin, int addrMax, int protoMin, int protoMax, int flags)
            implements RuleExpr {}
    /** An xtables match or target run by nft_compat; {@code info} its struct in host order. */
    record Xt(boolean target, String name, int rev, byte[] info) implements RuleExpr {}
    /** Writes {@code len} bytes of something this reader does not follow into {@code dreg}. */
    record Writes(int dreg, int len) implements RuleExpr {}
    /** Reads registers or the packet at most: no register changes. */
    record Neutral(String name) implements RuleExpr {}
    /** Unknown: may have written any register. */
    record Clobber(String name) implements RuleExpr {}
    /** Malformed, or without what its kind must have: the rule is not understood. */
    record Broken(String name) implements RuleExpr {}

    /** Expressions that change no register (statements, counters, terminal NAT forms...). */
    List<String> NEUTRAL = List.of("counter", "log", "limit", "quota", "objref", "connlimit", "dynset",
            "notrack", "last", "masq", "redir", "reject", "queue", "dup", "fwd", "synproxy", "secmark",
            "flow_offload");

    /** The expressions of an NFTA_RULE_EXPRESSIONS payload ({@code list} points at it). */
    static List<RuleExpr> list(Decoder list, Decoder elem, Decoder data, Decoder inner) {
        List<RuleExpr> out = new ArrayList<>();
        while (list.next()) {
            if (list.type() != NFTA_LIST_ELEM) continue;
            list.nested(elem);
            String name = null;
            long dataOff = -1;
            int dataLen = 0;
            while (elem.next()) {
                if (elem.type() == NFTA_EXPR_NAME) name = elem.string();
                else if (elem.type() == NFTA_EXPR_DATA) {
                    dataOff = elem.offset();
                    dataLen = elem.length();
                }
            }
            if (!elem.ok() || name == null) {
                out.add(new Broken("expression"));
                continue;
            }
            data.wrap(list.segment(), dataOff < 0 ? 0 : dataOff, dataOff < 0 ? 0 : dataLen);
            inner.wrap(list.segment(), 0, 0);
            RuleExpr x = decode(name, data, inner);
            out.add(data.ok() && inner.ok() ? x : new Broken(name));
        }
        if (!list.ok()) out.add(new Broken("expressions"));
        return out;
    }

    private static RuleExpr decode(String name, Decoder d, Decoder inner) {
        return switch (name) {
            case "meta", "payload" -> load(name, d);
            case "cmp" -> cmp(d, inner);
            case "range" -> range(d, inner);
            case "lookup" -> lookup(d);
            case "immediate" -> immediate(d, inner);
            case "nat" -> nat(d);
            case "match", "target" -> xt(name.equals("target"), d);
            case "bitwise" -> writes(name, d, NFTA_BITWISE_DREG, NFTA_BITWISE_LEN);
            case "ct" -> writes(name, d, NFTA_CT_DREG, -1);
            case "fib" -> writes(name, d, NFTA_FIB_DREG, -1);
            default -> NEUTRAL.contains(name) ? new Neutral(name) : new Clobber(name);
        };
    }

    private static RuleExpr load(String name, Decoder d) {
        int dreg = -1, key = -1, base = -1, offset = -1, len = -1;
        boolean write = false;
        boolean meta = name.equals("meta");
        while (d.next()) {
            int t = d.type();
            if (meta) {
                if (t == NFTA_META_DREG) dreg = d.u32be();
                else if (t == NFTA_META_KEY) key = d.u32be();
                else if (t == NFTA_META_SREG) write = true;
            } else {
                if (t == NFTA_PAYLOAD_DREG) dreg = d.u32be();
                else if (t == NFTA_PAYLOAD_BASE) base = d.u32be();
                else if (t == NFTA_PAYLOAD_OFFSET) offset = d.u32be();
                else if (t == NFTA_PAYLOAD_LEN) len = d.u32be();
                else if (t == NFTA_PAYLOAD_SREG) write = true;
            }
        }
        if (write) return new Neutral(name);                 // meta set / payload mangling
        if (dreg < 0) return new Broken(name);
        if (meta) {
            return switch (key) {
                case NFT_META_L4PROTO -> new Load(L4PROTO, dreg, 1);
                case NFT_META_NFPROTO -> new Load(NFPROTO, dreg, 1);
                default -> new Load(OTHER, dreg, 16);          // iifname and the like: 16 bytes at most
            };
        }
        int what = OTHER;
        if (base == NFT_PAYLOAD_TRANSPORT_HEADER && offset == 2 && len == 2) what = DPORT;
        else if (base == NFT_PAYLOAD_TRANSPORT_HEADER && offset == 0 && len == 4) what = PORTS;
        else if (base == NFT_PAYLOAD_NETWORK_HEADER && offset == 9 && len == 1) what = IPPROTO;
        return new Load(what, dreg, len < 0 ? 16 : len);
    }

    private static RuleExpr cmp(Decoder d, Decoder inner) {
        int sreg = -1, op = -1;
        byte[] data = null;
        while (d.next()) {
            switch (d.type()) {
                case NFTA_CMP_SREG -> sreg = d.u32be();
                case NFTA_CMP_OP -> op = d.u32be();
                case NFTA_CMP_DATA -> data = value(d, inner);
                default -> { }
            }
        }
        return sreg < 0 || op < 0 || data == null ? new Broken("cmp") : new Cmp(sreg, op, data);
    }

    private static RuleExpr range(Decoder d, Decoder inner) {
        int sreg = -1, op = -1;
        byte[] from = null, to = null;
        while (d.next()) {
            switch (d.type()) {
                case NFTA_RANGE_SREG -> sreg = d.u32be();
                case NFTA_RANGE_OP -> op = d.u32be();
                case NFTA_RANGE_FROM_DATA -> from = value(d, inner);
                case NFTA_RANGE_TO_DATA -> to = value(d, inner);
                default -> { }
            }
        }
        return sreg < 0 || op < 0 || from == null || to == null ? new Broken("range") : new Range(sreg, op, from, to);
    }

    private static RuleExpr lookup(Decoder d) {
        String set = null;
        int sreg = -1, dreg = -1, flags = 0;
        while (d.next()) {
            switch (d.type()) {
                case NFTA_LOOKUP_SET -> set = d.string();
                case NFTA_LOOKUP_SREG -> sreg = d.u32be();
                case NFTA_LOOKUP_DREG -> dreg = d.u32be();
                case NFTA_LOOKUP_FLAGS -> flags = d.u32be();
                default -> { }
            }
        }
        return set == null || sreg < 0 ? new Broken("lookup") : new Lookup(set, sreg, dreg, flags);
    }

    private static RuleExpr immediate(Decoder d, Decoder inner) {
        int dreg = -1;
        RuleExpr x = null;
        while (d.next()) {
            if (d.type() == NFTA_IMMEDIATE_DREG) dreg = d.u32be();
            else if (d.type() == NFTA_IMMEDIATE_DATA) {
                d.nested(inner);
                while (inner.next()) {
                    if (inner.type() == NFTA_DATA_VALUE) x = new Imm(-1, bytes(inner));
                    else if (inner.type() == NFTA_DATA_VERDICT) x = verdict(inner, new Decoder());
                }
            }
        }
        if (dreg < 0 || x == null) return new Broken("immediate");
        if (x instanceof Imm i) return dreg == NFT_REG_VERDICT ? new Broken("immediate") : new Imm(dreg, i.data());
        return dreg == NFT_REG_VERDICT ? x : new Broken("immediate");
    }

    /** An NFTA_DATA_VERDICT nest (the current attribute of {@code d}): its code and chain. */
    static Verdict verdict(Decoder d, Decoder v) {
        d.nested(v);
        int code = 0;
        boolean hasCode = false;
        String chain = null;
        while (v.next()) {
            if (v.type() == NFTA_VERDICT_CODE && v.length() >= 4) {
                code = v.u32be();
                hasCode = true;
            } else if (v.type() == NFTA_VERDICT_CHAIN) chain = v.string();
        }
        return v.ok() && hasCode ? new Verdict(code, chain) : null;
    }

    private static RuleExpr nat(Decoder d) {
        int type = -1, family = -1, amin = -1, amax = -1, pmin = -1, pmax = -1, flags = 0;
        while (d.next()) {
            switch (d.type()) {
                case NFTA_NAT_TYPE -> type = d.u32be();
                case NFTA_NAT_FAMILY -> family = d.u32be();
                case NFTA_NAT_REG_ADDR_MIN -> amin = d.u32be();
                case NFTA_NAT_REG_ADDR_MAX -> amax = d.u32be();
                case NFTA_NAT_REG_PROTO_MIN -> pmin = d.u32be();
                case NFTA_NAT_REG_PROTO_MAX -> pmax = d.u32be();
                case NFTA_NAT_FLAGS -> flags = d.u32be();
                default -> { }
            }
        }
        return new Nat(type, family, amin, amax, pmin, pmax, flags);
    }

    private static RuleExpr xt(boolean target, Decoder d) {
        String name = null;
        int rev = -1;
        byte[] info = null;
        while (d.next()) {
            // NFTA_MATCH_NAME/REV/INFO and NFTA_TARGET_NAME/REV/INFO are both 1, 2, 3
            switch (d.type()) {
                case NFTA_MATCH_NAME -> name = d.string();
                case NFTA_MATCH_REV -> rev = d.u32be();
                case NFTA_MATCH_INFO -> info = bytes(d);
                default -> { }
            }
        }
        return name == null || rev < 0 || info == null ? new Broken(target ? "target" : "match")
                : new Xt(target, name, rev, info);
    }

    private static RuleExpr writes(String name, Decoder d, int dregAttr, int lenAttr) {
        int dreg = -1, len = 16;
        while (d.next()) {
            if (d.type() == dregAttr) dreg = d.u32be();
            else if (d.type() == lenAttr) len = d.u32be();
        }
        return dreg < 0 ? new Neutral(name) : new Writes(dreg, len);
    }

    /** The NFTA_DATA_VALUE of the nft_data nest that is {@code d}'s current attribute, or null. */
    private static byte[] value(Decoder d, Decoder inner) {
        d.nested(inner);
        while (inner.next()) if (inner.type() == NFTA_DATA_VALUE) return bytes(inner);
        return null;
    }

    static byte[] bytes(Decoder d) {
        MemorySegment s = d.segment();
        return s.asSlice(d.offset(), d.length()).toArray(ValueLayout.JAVA_BYTE);
    }
}
