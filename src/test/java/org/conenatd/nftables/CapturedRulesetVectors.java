package org.conenatd.nftables;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;

/**
 * The nf_tables netlink messages nft 1.0.6 and iptables-nft 1.8.9 send to install conenatd's
 * kernel-mode table (every option), its NFQUEUE rule, seed mode's {@code conenatd_seed_dnat}
 * table, the port economy's and --pool's shapes ({@code conenatd_economy}, {@code conenatd_pool},
 * with one kernel dump reply: {@code pool-dump-reply-out_udp}), captured once from the real kernel (6.18) by capture-ruleset-vectors.sh in this folder
 * and stored in {@code src/test/resources/org/conenatd/nftables/ruleset-vectors.txt}: one
 * {@code <label> <hex of the whole message>} a line, in the order sent. Labels: see that file
 * ({@code table-conenatd}, {@code chain-pre}, {@code set-out_udp}, {@code rule-pre-inbound-udp},
 * {@code iptables-rule-nfqueue}, {@code seed-rule-pre}, ...).
 *
 * <p>nft refers to sets created in the same batch by name <em>and</em> by transaction-local id
 * (NFTA_LOOKUP_SET_ID, NFTA_DYNSET_SET_ID; NFTA_SET_ID in NEWSET). conenatd creates its sets in an
 * earlier message and refers by name only, so {@link #ruleExpressions} drops those ids and
 * {@link #attributesWithout} drops whatever top-level attributes a comparison should ignore.
 * Pure test code: a tiny TLV walker, nothing from src/main.
 */
public final class CapturedRulesetVectors {
    private CapturedRulesetVectors() {}

    static final int NLMSG_HDRLEN = 16, NFGENMSG_LEN = 4, HEADERS = NLMSG_HDRLEN + NFGENMSG_LEN;
    static final int NLA_F_NESTED = 0x8000, NLA_TYPE_MASK = 0x3fff;
    static final int NFT_MSG_NEWRULE = 6;
    static final int NFTA_RULE_EXPRESSIONS = 4;
    static final int NFTA_LIST_ELEM = 1;
    static final int NFTA_EXPR_NAME = 1, NFTA_EXPR_DATA = 2;
    /** enum nft_lookup_attributes: UNSPEC, SET, SREG, DREG, SET_ID, FLAGS. */
    static final int NFTA_LOOKUP_SET_ID = 4;
    /** enum nft_dynset_attributes: UNSPEC, SET_NAME, SET_ID, OP, ... (so 2, not 3). */
    static final int NFTA_DYNSET_SET_ID = 2;

    private static final SequencedMap<String, byte[]> MESSAGES = load();

    private static SequencedMap<String, byte[]> load() {
        try (InputStream in = CapturedRulesetVectors.class.getResourceAsStream("ruleset-vectors.txt")) {
            if (in == null) throw new IllegalStateException("ruleset-vectors.txt not on the test classpath");
            SequencedMap<String, byte[]> m = new LinkedHashMap<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) continue;
                String[] f = line.split(" ");
                if (f.length != 2 || m.put(f[0], HexFormat.of().parseHex(f[1])) != null)
                    throw new IllegalStateException("bad or repeated line: " + f[0]);
            }
            return m;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every label, in the order the tools sent the messages. */
    public static List<String> labels() {
        return List.copyOf(MESSAGES.keySet());
    }

    /** The whole message, nlmsghdr included (host-order header fields, as captured). */
    public static byte[] message(String label) {
        byte[] m = MESSAGES.get(label);
        if (m == null) throw new IllegalArgumentException("no captured message " + label);
        return m.clone();
    }

    /** nlmsg_type & 0xff: NFT_MSG_NEWTABLE 0, NEWCHAIN 3, NEWRULE 6, NEWSET 9, NEWOBJ 18. */
    public static int messageType(String label) {
        return message(label)[4] & 0xff;
    }

    /** nlmsg_flags as nft/iptables sent them. */
    public static int messageFlags(String label) {
        return ByteBuffer.wrap(message(label)).order(ByteOrder.LITTLE_ENDIAN).getShort(6) & 0xffff;
    }

    /**
     * The payload of the NEWRULE message's NFTA_RULE_EXPRESSIONS (a run of NFTA_LIST_ELEM), with
     * every NFTA_LOOKUP_SET_ID of a "lookup" and NFTA_DYNSET_SET_ID of a "dynset" expression's
     * NFTA_EXPR_DATA removed and every enclosing nla_len fixed up.
     */
    public static byte[] ruleExpressions(String label) {
        byte[] m = message(label);
        if ((m[4] & 0xff) != NFT_MSG_NEWRULE) throw new IllegalArgumentException(label + " is not a NEWRULE");
        Tlv exprs = topLevel(m).stream().filter(a -> a.type() == NFTA_RULE_EXPRESSIONS && a.nested())
                .findFirst().orElseThrow(() -> new IllegalArgumentException(label + " has no expressions"));
        List<Tlv> out = new ArrayList<>();
        for (Tlv elem : parse(exprs.payload())) {
            if (elem.type() != NFTA_LIST_ELEM) throw new IllegalStateException("not a list element: " + elem);
            List<Tlv> parts = new ArrayList<>();
            String name = null;
            for (Tlv a : parse(elem.payload())) {
                if (a.type() == NFTA_EXPR_NAME) name = a.string();
                if (a.type() == NFTA_EXPR_DATA && name != null) {
                    int drop = switch (name) {
                        case "lookup" -> NFTA_LOOKUP_SET_ID;
                        case "dynset" -> NFTA_DYNSET_SET_ID;
                        default -> -1;
                    };
                    if (drop >= 0) a = a.withPayload(encode(without(parse(a.payload()), drop)));
                }
                parts.add(a);
            }
            out.add(elem.withPayload(encode(parts)));
        }
        return encode(out);
    }

    /** The names of the rule's expressions, in order (e.g. meta, cmp, fib, ...). */
    public static List<String> expressionNames(String label) {
        return expressions(ruleExpressions(label)).stream().map(e -> e.getFirst().string()).toList();
    }

    /**
     * The NFTA_EXPR_DATA attributes of each expression of an NFTA_RULE_EXPRESSIONS payload (as
     * {@link #ruleExpressions} gives it): for expression i, element 0 is NFTA_EXPR_NAME, the rest
     * the attributes inside NFTA_EXPR_DATA in the order sent.
     */
    public static List<List<Tlv>> expressions(byte[] ruleExpressions) {
        List<List<Tlv>> out = new ArrayList<>();
        for (Tlv elem : parse(ruleExpressions)) {
            List<Tlv> e = new ArrayList<>();
            for (Tlv a : parse(elem.payload())) {
                if (a.type() == NFTA_EXPR_NAME) e.addFirst(a);
                else if (a.type() == NFTA_EXPR_DATA) e.addAll(parse(a.payload()));
            }
            out.add(e);
        }
        return out;
    }

    /**
     * The message's top-level attributes (everything after nlmsghdr and nfgenmsg, padding
     * included) without those whose type (flags NLA_F_NESTED/NET_BYTEORDER masked off) is one of
     * {@code topLevelTypes}, e.g. {@code attributesWithout("set-out_udp", 10, 13)} for a NEWSET
     * without NFTA_SET_ID and NFTA_SET_USERDATA.
     */
    public static byte[] attributesWithout(String label, int... topLevelTypes) {
        List<Tlv> kept = topLevel(message(label));
        for (int t : topLevelTypes) kept = without(kept, t);
        return encode(kept);
    }

    /** One netlink attribute: {@code rawType} keeps the NLA_F_* flags, payload has no padding. */
    public record Tlv(int rawType, byte[] payload) {
        public int type() { return rawType & NLA_TYPE_MASK; }
        public boolean nested() { return (rawType & NLA_F_NESTED) != 0; }
        Tlv withPayload(byte[] p) { return new Tlv(rawType, p); }
        /** The payload as a string, one trailing NUL (if any) dropped. */
        public String string() {
            int n = payload.length > 0 && payload[payload.length - 1] == 0 ? payload.length - 1 : payload.length;
            return new String(payload, 0, n, StandardCharsets.US_ASCII);
        }
        /** The payload as a big-endian u32 (most nf_tables scalars). */
        public int u32() {
            if (payload.length != 4) throw new IllegalStateException("not a u32: " + this);
            return ByteBuffer.wrap(payload).getInt();
        }
        @Override public String toString() { return type() + (nested() ? "[N]" : "") + "=" + HexFormat.of().formatHex(payload); }
        @Override public boolean equals(Object o) { return o instanceof Tlv t && t.rawType == rawType && Arrays.equals(t.payload, payload); }
        @Override public int hashCode() { return 31 * rawType + Arrays.hashCode(payload); }
    }

    static List<Tlv> topLevel(byte[] message) {
        int len = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        if (len != message.length) throw new IllegalStateException("nlmsg_len " + len + " != " + message.length);
        return parse(Arrays.copyOfRange(message, HEADERS, message.length));
    }

    /** Walks a run of attributes; fails on any length that does not fit. */
    public static List<Tlv> parse(byte[] b) {
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        List<Tlv> out = new ArrayList<>();
        int i = 0;
        while (i < b.length) {
            if (b.length - i < 4) throw new IllegalStateException("truncated attribute header at " + i);
            int n = buf.getShort(i) & 0xffff, t = buf.getShort(i + 2) & 0xffff;
            if (n < 4 || i + n > b.length) throw new IllegalStateException("bad nla_len " + n + " at " + i);
            out.add(new Tlv(t, Arrays.copyOfRange(b, i + 4, i + n)));
            i += (n + 3) & ~3;
        }
        return out;
    }

    /** Encodes attributes, each nla_len = 4 + payload, each padded to 4 bytes with zeros. */
    public static byte[] encode(List<Tlv> attrs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Tlv a : attrs) {
            int n = 4 + a.payload().length;
            if (n > 0xffff) throw new IllegalStateException("attribute too long");
            out.write(n & 0xff); out.write(n >>> 8);
            out.write(a.rawType() & 0xff); out.write(a.rawType() >>> 8);
            out.writeBytes(a.payload());
            out.writeBytes(new byte[(-n) & 3]);
        }
        return out.toByteArray();
    }

    private static List<Tlv> without(List<Tlv> attrs, int type) {
        return attrs.stream().filter(a -> a.type() != type).toList();
    }
}
