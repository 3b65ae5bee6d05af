package org.conenatd.nftables;

import org.conenatd.netlink.Decoder;
import org.conenatd.netlink.MessageReader;
import org.conenatd.netlink.Netlink;

import java.util.ArrayList;
import java.util.List;

import static org.conenatd.nftables.NfTables.*;

/**
 * The objects of nf_tables dump answers (NEWTABLE, NEWCHAIN, NEWSET, NEWSETELEM, NEWRULE, NEWGEN),
 * decoded into plain records with what {@link PortForwards} needs. Each decoder returns null for
 * a message of another type or a malformed one; none throws, whatever the bytes. One instance per
 * reader (its decoders are reused).
 */
final class RulesetMessages {
    record Table(int family, String name, int flags) {}
    /** {@code hook} -1 for a regular chain. */
    record Chain(int family, String table, String name, int hook, String type) {}
    record SetDef(int family, String table, String name, int flags, int keyLen, int dataLen) {}
    /** {@code keyEnd} null unless the element has NFTA_SET_ELEM_KEY_END; {@code verdict} null unless a vmap's. */
    record Elem(byte[] key, byte[] keyEnd, int flags, RuleExpr.Verdict verdict) {}
    record Rule(int family, String table, String chain, List<RuleExpr> exprs) {}

    private final Decoder attrs = new Decoder(), a = new Decoder(), b = new Decoder(), c = new Decoder(),
            d = new Decoder();

    /** The attributes of {@code m} if it is nf_tables message {@code msg}, else null. */
    private Decoder open(MessageReader m, int msg) {
        if (m.type() != msgType(msg) || m.payloadLength() < Netlink.NFGENMSG_LEN) return null;
        return m.nfAttributes(attrs);
    }

    /** NFTA_GEN_ID of a NEWGEN, or null. */
    Integer gen(MessageReader m) {
        Decoder t = open(m, NFT_MSG_NEWGEN);
        if (t == null) return null;
        Integer id = null;
        while (t.next()) if (t.type() == NFTA_GEN_ID && t.length() >= 4) id = t.u32be();
        return t.ok() ? id : null;
    }

    Table table(MessageReader m) {
        Decoder t = open(m, NFT_MSG_NEWTABLE);
        if (t == null) return null;
        String name = null;
        int flags = 0;
        while (t.next()) {
            if (t.type() == NFTA_TABLE_NAME) name = t.string();
            else if (t.type() == NFTA_TABLE_FLAGS) flags = t.u32be();
        }
        return t.ok() && name != null ? new Table(m.nfFamily(), name, flags) : null;
    }

    Chain chain(MessageReader m) {
        Decoder t = open(m, NFT_MSG_NEWCHAIN);
        if (t == null) return null;
        String table = null, name = null, type = null;
        int hook = -1;
        while (t.next()) {
            switch (t.type()) {
                case NFTA_CHAIN_TABLE -> table = t.string();
                case NFTA_CHAIN_NAME -> name = t.string();
                case NFTA_CHAIN_TYPE -> type = t.string();
                case NFTA_CHAIN_HOOK -> {
                    t.nested(a);
                    while (a.next()) if (a.type() == NFTA_HOOK_HOOKNUM && a.length() >= 4) hook = a.u32be();
                    if (!a.ok()) return null;
                }
                default -> { }
            }
        }
        return t.ok() && table != null && name != null ? new Chain(m.nfFamily(), table, name, hook, type) : null;
    }

    SetDef set(MessageReader m) {
        Decoder t = open(m, NFT_MSG_NEWSET);
        if (t == null) return null;
        String table = null, name = null;
        int flags = 0, keyLen = -1, dataLen = 0;
        while (t.next()) {
            switch (t.type()) {
                case NFTA_SET_TABLE -> table = t.string();
                case NFTA_SET_NAME -> name = t.string();
                case NFTA_SET_FLAGS -> flags = t.u32be();
                case NFTA_SET_KEY_LEN -> keyLen = t.u32be();
                case NFTA_SET_DATA_LEN -> dataLen = t.u32be();
                default -> { }
            }
        }
        return t.ok() && table != null && name != null ? new SetDef(m.nfFamily(), table, name, flags, keyLen, dataLen) : null;
    }

    /**
     * The elements of a NEWSETELEM of set {@code set}, added to {@code out}; false if the message
     * is of another type or set, or malformed (then {@code out} may hold some of its elements).
     */
    boolean elements(MessageReader m, String set, List<Elem> out) {
        Decoder t = open(m, NFT_MSG_NEWSETELEM);
        if (t == null) return false;
        String name = null;
        List<Elem> got = new ArrayList<>();
        while (t.next()) {
            if (t.type() == NFTA_SET_ELEM_LIST_SET) name = t.string();
            else if (t.type() == NFTA_SET_ELEM_LIST_ELEMENTS) {
                t.nested(a);
                while (a.next()) {
                    if (a.type() != NFTA_LIST_ELEM) continue;
                    Elem el = element();
                    if (el == null) return false;
                    got.add(el);
                }
                if (!a.ok()) return false;
            }
        }
        if (!t.ok() || !set.equals(name)) return false;
        out.addAll(got);
        return true;
    }

    private Elem element() {
        a.nested(b);
        byte[] key = null, keyEnd = null;
        int flags = 0;
        RuleExpr.Verdict verdict = null;
        while (b.next()) {
            switch (b.type()) {
                case NFTA_SET_ELEM_KEY -> key = value(b);
                case NFTA_SET_ELEM_KEY_END -> keyEnd = value(b);
                case NFTA_SET_ELEM_FLAGS -> flags = b.u32be();
                case NFTA_SET_ELEM_DATA -> {
                    b.nested(c);
                    while (c.next()) if (c.type() == NFTA_DATA_VERDICT) verdict = RuleExpr.verdict(c, d);
                }
                default -> { }
            }
        }
        if (!b.ok() || (key == null && (flags & NFT_SET_ELEM_CATCHALL) == 0)) return null;
        return new Elem(key, keyEnd, flags, verdict);
    }

    private byte[] value(Decoder at) {
        at.nested(c);
        while (c.next()) if (c.type() == NFTA_DATA_VALUE) return RuleExpr.bytes(c);
        return null;
    }

    Rule rule(MessageReader m) {
        Decoder t = open(m, NFT_MSG_NEWRULE);
        if (t == null) return null;
        String table = null, chain = null;
        List<RuleExpr> exprs = null;
        while (t.next()) {
            switch (t.type()) {
                case NFTA_RULE_TABLE -> table = t.string();
                case NFTA_RULE_CHAIN -> chain = t.string();
                case NFTA_RULE_EXPRESSIONS -> exprs = RuleExpr.list(t.nested(a), b, c, d);
                default -> { }
            }
        }
        return t.ok() && table != null && chain != null ? new Rule(m.nfFamily(), table, chain,
                exprs == null ? List.of() : exprs) : null;
    }
}
