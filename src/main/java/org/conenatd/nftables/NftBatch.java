package org.conenatd.nftables;

import org.conenatd.netlink.Encoder;
import org.conenatd.netlink.Netlink;
import org.conenatd.nftables.expr.Expr;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;

import static org.conenatd.netlink.Netlink.NLM_F_CREATE;
import static org.conenatd.netlink.Netlink.NLM_F_REQUEST;
import static org.conenatd.nftables.NfTables.*;

/**
 * One nf_tables transaction of ruleset changes on IPv4 tables: tables, sets, named counters,
 * chains, rules, flushes and deletions, encoded in nft's attribute order between BATCH_BEGIN and
 * BATCH_END. Each message remembers what it does, so that an error the kernel reports for its
 * sequence number names it. No I/O: {@link NftMaps#commit(NftBatch)} sends it.
 */
public final class NftBatch {
    private static final int NLM_F_APPEND = 0x800;

    private final Encoder e;
    private final IntSupplier seqs;
    private final List<int[]> seqOf = new ArrayList<>(); // {seq}
    private final List<String> what = new ArrayList<>();
    private int beginSeq, endSeq, setIds;

    public NftBatch(Encoder e, IntSupplier seqs) {
        this.e = e;
        this.seqs = seqs;
        e.reset();
        beginSeq = seqs.getAsInt();
        SetElems.batchBegin(e, beginSeq);
    }

    public Encoder encoder() { return e; }
    int beginSeq() { return beginSeq; }
    int endSeq() { return endSeq; }
    public int messages() { return what.size(); }

    /** What the message with sequence number {@code seq} does, or null if it is none of ours. */
    public String describe(int seq) {
        for (int i = 0; i < seqOf.size(); i++) if (seqOf.get(i)[0] == seq) return what.get(i);
        return null;
    }

    private int begin(int msg, int flags, String description) {
        int seq = seqs.getAsInt();
        seqOf.add(new int[] {seq});
        what.add(description);
        int m = e.begin(msgType(msg), NLM_F_REQUEST | flags, seq);
        e.nfgenmsg(NFPROTO_IPV4, 0);
        return m;
    }

    /** NEWTABLE: creates the table, or on an existing one changes its flags (how ownership is taken over). */
    public void newTable(String table, int flags) {
        int m = begin(NFT_MSG_NEWTABLE, NLM_F_CREATE, "create table ip " + table);
        e.bytes(NFTA_TABLE_NAME, Expr.cstring(table));
        e.u32be(NFTA_TABLE_FLAGS, flags);
        e.end(m);
    }

    /** DELTABLE: the table and everything in it. */
    public void deleteTable(String table) {
        int m = begin(NFT_MSG_DELTABLE, 0, "delete table ip " + table);
        e.bytes(NFTA_TABLE_NAME, Expr.cstring(table));
        e.end(m);
    }

    /** NEWSET; on an existing set of the same shape, nothing changes (its elements stay). */
    public void newSet(String table, NftSet s) {
        int m = begin(NFT_MSG_NEWSET, NLM_F_CREATE, "create set ip " + table + " " + s.name());
        e.bytes(NFTA_SET_TABLE, Expr.cstring(table));
        e.bytes(NFTA_SET_NAME, Expr.cstring(s.name()));
        e.u32be(NFTA_SET_FLAGS, s.flags());
        e.u32be(NFTA_SET_KEY_TYPE, s.keyType());
        e.u32be(NFTA_SET_KEY_LEN, s.keyLen());
        if (s.isMap()) {
            e.u32be(NFTA_SET_DATA_TYPE, s.dataType());
            e.u32be(NFTA_SET_DATA_LEN, s.dataLen());
        }
        e.u32be(NFTA_SET_ID, ++setIds); // the kernel requires one; conenatd itself refers to sets by name
        if (s.timeoutMs() > 0) e.u64be(NFTA_SET_TIMEOUT, s.timeoutMs());
        if (s.userdata() != null) e.bytes(NFTA_SET_USERDATA, s.userdata());
        e.end(m);
    }

    /** NEWOBJ of a named counter, starting at zero; an existing one keeps its count. */
    public void newCounter(String table, String name) {
        int m = begin(NFT_MSG_NEWOBJ, NLM_F_CREATE, "create counter ip " + table + " " + name);
        e.bytes(NFTA_OBJ_TABLE, Expr.cstring(table));
        e.bytes(NFTA_OBJ_NAME, Expr.cstring(name));
        e.u32be(NFTA_OBJ_TYPE, NFT_OBJECT_COUNTER);
        int d = e.beginNested(NFTA_OBJ_DATA);
        e.u64be(NFTA_COUNTER_BYTES, 0);
        e.u64be(NFTA_COUNTER_PACKETS, 0);
        e.endNested(d);
        e.end(m);
    }

    /** NEWCHAIN of a base chain with policy accept. */
    public void newChain(String table, Chain c) {
        int m = begin(NFT_MSG_NEWCHAIN, NLM_F_CREATE, "create chain ip " + table + " " + c.name());
        e.bytes(NFTA_CHAIN_TABLE, Expr.cstring(table));
        e.bytes(NFTA_CHAIN_NAME, Expr.cstring(c.name()));
        e.bytes(NFTA_CHAIN_TYPE, Expr.cstring(c.type()));
        e.u32be(NFTA_CHAIN_POLICY, NF_ACCEPT);
        int h = e.beginNested(NFTA_CHAIN_HOOK);
        e.u32be(NFTA_HOOK_HOOKNUM, c.hook());
        e.u32be(NFTA_HOOK_PRIORITY, c.priority());
        e.endNested(h);
        e.end(m);
    }

    /** DELRULE naming only the chain: every rule of it goes ({@code flush chain}). */
    public void flushChain(String table, String chain) {
        int m = begin(NFT_MSG_DELRULE, 0, "flush chain ip " + table + " " + chain);
        e.bytes(NFTA_RULE_TABLE, Expr.cstring(table));
        e.bytes(NFTA_RULE_CHAIN, Expr.cstring(chain));
        e.end(m);
    }

    /** NEWRULE appended to its chain. */
    public void newRule(String table, Rule r) {
        int m = begin(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, "add rule ip " + table + " " + r.chain() + " " + r.text());
        e.bytes(NFTA_RULE_TABLE, Expr.cstring(table));
        e.bytes(NFTA_RULE_CHAIN, Expr.cstring(r.chain()));
        Expr.encodeList(e, r.exprs());
        e.end(m);
    }

    /** DELSETELEM without elements: every element of the set goes ({@code flush set}). */
    public void flushSet(String table, String set) {
        int m = begin(NFT_MSG_DELSETELEM, 0, "flush set ip " + table + " " + set);
        e.bytes(NFTA_SET_ELEM_LIST_TABLE, Expr.cstring(table));
        e.bytes(NFTA_SET_ELEM_LIST_SET, Expr.cstring(set));
        e.end(m);
    }

    /**
     * NEWSETELEM of ranges into an interval set of {@code keyLen}-byte keys (4: addresses, 2:
     * ports): per range its first key, and the key after its last as an INTERVAL_END element
     * (none when the range ends at the top).
     */
    public void addRanges(String table, String set, int keyLen, long[] firstLast) {
        if (firstLast.length == 0) return;
        int m = begin(NFT_MSG_NEWSETELEM, NLM_F_CREATE, "add element ip " + table + " " + set);
        e.bytes(NFTA_SET_ELEM_LIST_TABLE, Expr.cstring(table));
        e.bytes(NFTA_SET_ELEM_LIST_SET, Expr.cstring(set));
        int list = e.beginNested(NFTA_SET_ELEM_LIST_ELEMENTS);
        long top = keyLen == 2 ? 0xffffL : 0xffffffffL;
        for (int i = 0; i + 1 < firstLast.length; i += 2) {
            rangeElement(firstLast[i], keyLen, false);
            if (firstLast[i + 1] < top) rangeElement(firstLast[i + 1] + 1, keyLen, true);
        }
        e.endNested(list);
        e.end(m);
    }

    private void rangeElement(long key, int keyLen, boolean end) {
        int el = e.beginNested(NFTA_LIST_ELEM);
        if (end) e.u32be(NFTA_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
        int k = e.beginNested(NFTA_SET_ELEM_KEY);
        e.bytes(NFTA_DATA_VALUE, keyLen == 2 ? new byte[] {(byte) (key >>> 8), (byte) key} : Expr.u32be((int) key));
        e.endNested(k);
        e.endNested(el);
    }

    /** GETTABLE of one table: not part of a transaction, a request of its own. */
    public static void getTable(Encoder e, int seq, String table) {
        int m = e.begin(msgType(NFT_MSG_GETTABLE), NLM_F_REQUEST | Netlink.NLM_F_ACK, seq);
        e.nfgenmsg(NFPROTO_IPV4, 0);
        e.bytes(NFTA_TABLE_NAME, Expr.cstring(table));
        e.end(m);
    }

    /** Everything of {@code t}: table (with {@code flags}), sets, counters, chains, then each chain flushed and its rules added. */
    public void create(Table t, int flags) {
        newTable(t.name(), flags);
        for (NftSet s : t.sets()) newSet(t.name(), s);
        for (String c : t.counters()) newCounter(t.name(), c);
        for (Chain c : t.chains()) newChain(t.name(), c);
        for (Chain c : t.chains()) flushChain(t.name(), c.name());
        for (Rule r : t.rules()) newRule(t.name(), r);
        for (Table.Ranges r : t.ranges()) {
            flushSet(t.name(), r.set());
            addRanges(t.name(), r.set(), r.keyLen(), r.firstLast());
        }
    }

    /**
     * {@code t}'s sets, counters and rules in a table {@code scratch} (with {@code flags}) whose
     * chains are regular ones, hooked nowhere: the kernel parses every expression as it would in
     * {@code t}, with no packet ever passing, and with empty sets a rule costs it nothing to bind.
     */
    public void probe(Table t, String scratch, int flags) {
        newTable(scratch, flags);
        for (NftSet s : t.sets()) newSet(scratch, s);
        for (String c : t.counters()) newCounter(scratch, c);
        for (Chain c : t.chains()) {
            int m = begin(NFT_MSG_NEWCHAIN, NLM_F_CREATE, "create chain ip " + scratch + " " + c.name());
            e.bytes(NFTA_CHAIN_TABLE, Expr.cstring(scratch));
            e.bytes(NFTA_CHAIN_NAME, Expr.cstring(c.name()));
            e.end(m);
        }
        for (Rule r : t.rules()) newRule(scratch, r);
    }

    /** Closes the transaction; with {@code ack} the kernel confirms a commit. */
    public void end(boolean ack) {
        endSeq = seqs.getAsInt();
        SetElems.batchEnd(e, endSeq, ack);
    }
}
