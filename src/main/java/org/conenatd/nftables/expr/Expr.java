package org.conenatd.nftables.expr;

import org.conenatd.netlink.Encoder;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.conenatd.nftables.NfTables.*;

/**
 * One nf_tables expression of a rule: its kernel name and the attributes of its NFTA_EXPR_DATA,
 * written in the order nft 1.0.6 writes them (the byte vectors in the tests hold us to it).
 * Registers are the kernel's numbers: {@link Reg}.
 */
public sealed interface Expr permits Bitwise, Cmp, Ct, CtSet, Dynset, Fib, Immediate, Lookup, Masq, Meta,
        MetaSet, Nat, Objref, Payload, Queue, Target {
    /** The expression's name as the kernel registers it ("meta", "cmp", ...). */
    String name();

    /** Writes the attributes inside NFTA_EXPR_DATA. */
    void encodeData(Encoder e);

    /** NFTA_RULE_EXPRESSIONS holding {@code exprs}, each as NFTA_LIST_ELEM { NAME, DATA }. */
    static void encodeList(Encoder e, List<Expr> exprs) {
        int list = e.beginNested(NFTA_RULE_EXPRESSIONS);
        for (Expr x : exprs) {
            int el = e.beginNested(NFTA_LIST_ELEM);
            e.bytes(NFTA_EXPR_NAME, cstring(x.name()));
            int data = e.beginNested(NFTA_EXPR_DATA);
            x.encodeData(e);
            e.endNested(data);
            e.endNested(el);
        }
        e.endNested(list);
    }

    /** A NUL-terminated name, as nft sends names of expressions, sets and chains. */
    static byte[] cstring(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] z = new byte[b.length + 1];
        System.arraycopy(b, 0, z, 0, b.length);
        return z;
    }

    /** A nested nft_data holding one NFTA_DATA_VALUE. */
    static void value(Encoder e, int attr, byte[] v) {
        int n = e.beginNested(attr);
        e.bytes(NFTA_DATA_VALUE, v);
        e.endNested(n);
    }

    static byte[] u32be(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    /** A 32-bit value as the kernel keeps it in a register: host order. */
    static byte[] u32host(int v) {
        return java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.nativeOrder()).putInt(v).array();
    }
}
