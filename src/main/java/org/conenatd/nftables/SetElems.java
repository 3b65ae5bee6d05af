package org.conenatd.nftables;

import org.conenatd.netlink.Encoder;
import org.conenatd.netlink.Netlink;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import static org.conenatd.netlink.Netlink.NLMSG_HDRLEN;
import static org.conenatd.netlink.Netlink.NLM_F_REQUEST;
import static org.conenatd.nftables.NfTables.*;

/**
 * Encodes nf_tables set-element requests onto an {@link Encoder}: the batch envelope, NEWSETELEM /
 * DELSETELEM messages holding any number of elements, and the GETSETELEM dump request. No I/O and,
 * with names prepared once by {@link #nulTerminated}, no allocation.
 *
 * <p>The layout is the one nft 1.0.6 sends (captured in CapturedNftVectors), without the
 * NFTA_SET_ELEM_LIST_SET_ID nft adds: the kernel looks a set up by that id only when the name is
 * not found, which matters only for a set created in the same batch.
 */
public final class SetElems {
    private SetElems() {}

    private static final ValueLayout.OfInt U32BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort U16BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong U64BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** A table or set name as the kernel wants it: UTF-8, NUL-terminated, at most {@code max} bytes. */
    public static byte[] nulTerminated(String name, int max) {
        byte[] s = name.getBytes(StandardCharsets.UTF_8);
        if (s.length == 0 || s.length + 1 > max || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("bad nf_tables name: '" + name + "'");
        }
        byte[] z = new byte[s.length + 1];
        System.arraycopy(s, 0, z, 0, s.length);
        return z;
    }

    /** NFNL_MSG_BATCH_BEGIN: opens a transaction of the nf_tables subsystem (res_id). */
    public static void batchBegin(Encoder e, int seq) {
        int m = e.begin(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, seq);
        e.nfgenmsg(NFPROTO_UNSPEC, NFNL_SUBSYS_NFTABLES);
        e.end(m);
    }

    /**
     * NFNL_MSG_BATCH_END: commits. With {@code ack} the kernel answers this message with an ACK
     * only when the whole batch committed; a failed batch yields only the errors of the failing
     * messages (and ACKs of messages that asked for one, though they were rolled back).
     */
    public static void batchEnd(Encoder e, int seq, boolean ack) {
        int m = e.begin(NFNL_MSG_BATCH_END, NLM_F_REQUEST | (ack ? Netlink.NLM_F_ACK : 0), seq);
        e.nfgenmsg(NFPROTO_UNSPEC, NFNL_SUBSYS_NFTABLES);
        e.end(m);
    }

    /**
     * Starts a set-element message ({@code msg} is NFT_MSG_NEWSETELEM, NFT_MSG_DELSETELEM or
     * NFT_MSG_DESTROYSETELEM) for {@code set} of IPv4 table {@code table}, and opens its element
     * list. Returns the message's offset for {@link #endElements}.
     */
    public static int beginElements(Encoder e, int msg, int flags, int seq, byte[] tableZ, byte[] setZ) {
        int m = e.begin(msgType(msg), NLM_F_REQUEST | flags, seq);
        e.nfgenmsg(NFPROTO_IPV4, 0);
        e.bytes(NFTA_SET_ELEM_LIST_TABLE, tableZ);
        e.bytes(NFTA_SET_ELEM_LIST_SET, setZ);
        e.beginNested(NFTA_SET_ELEM_LIST_ELEMENTS);
        return m;
    }

    /** Closes the element list and the message started at {@code msgStart}. */
    public static void endElements(Encoder e, int msgStart) {
        e.endNested(elementsOffset(e.buffer(), msgStart));
        e.end(msgStart);
    }

    /** Offset of NFTA_SET_ELEM_LIST_ELEMENTS: the third attribute, after the two names. */
    static int elementsOffset(MemorySegment buf, int msgStart) {
        int at = msgStart + NLMSG_HDRLEN + Netlink.NFGENMSG_LEN;
        for (int i = 0; i < 2; i++) at += Netlink.align(Short.toUnsignedInt(buf.get(ValueLayout.JAVA_SHORT_UNALIGNED, at)));
        return at;
    }

    /**
     * One element. {@code timeoutMs} / {@code expirationMs} above 0 add NFTA_SET_ELEM_TIMEOUT /
     * NFTA_SET_ELEM_EXPIRATION (the set needs {@code flags timeout}); the value is written only when
     * {@code data} is not NONE. Fields a datatype lacks are ignored.
     */
    public static void element(Encoder e, Datatype key, int keyAddr, int keyPort,
                               Datatype data, int dataAddr, int dataPort, long timeoutMs, long expirationMs) {
        int el = e.beginNested(NFTA_LIST_ELEM);
        // nft writes the timeout ahead of the key; the kernel takes either order
        if (timeoutMs > 0) u64be(e, NFTA_SET_ELEM_TIMEOUT, timeoutMs);
        if (expirationMs > 0) u64be(e, NFTA_SET_ELEM_EXPIRATION, expirationMs);
        value(e, NFTA_SET_ELEM_KEY, key, keyAddr, keyPort);
        if (data != Datatype.NONE) value(e, NFTA_SET_ELEM_DATA, data, dataAddr, dataPort);
        e.endNested(el);
    }

    /** An element of a map of LAN address . LAN port -> public port. */
    public static void outboundElement(Encoder e, int lanAddr, int lanPort, int natPort) {
        element(e, Datatype.IPV4_ADDR_INET_SERVICE, lanAddr, lanPort, Datatype.INET_SERVICE, 0, natPort, 0, 0);
    }

    /** An element of a map of public port -> LAN address . LAN port. */
    public static void inboundElement(Encoder e, int natPort, int lanAddr, int lanPort) {
        element(e, Datatype.INET_SERVICE, 0, natPort, Datatype.IPV4_ADDR_INET_SERVICE, lanAddr, lanPort, 0, 0);
    }

    /** A key alone, as a delete names an element. */
    public static void keyElement(Encoder e, Datatype key, int keyAddr, int keyPort) {
        element(e, key, keyAddr, keyPort, Datatype.NONE, 0, 0, 0, 0);
    }

    /** A nested nft_data with one NFTA_DATA_VALUE laid out as {@code type} says. */
    private static void value(Encoder e, int attr, Datatype type, int addr, int port) {
        int n = e.beginNested(attr);
        int at = e.raw(NFTA_DATA_VALUE, type.length); // zero-filled: the register padding stays 0
        MemorySegment b = e.buffer();
        switch (type) {
            case IPV4_ADDR -> b.set(U32BE, at, addr);
            case INET_SERVICE -> b.set(U16BE, at, (short) port);
            case IPV4_ADDR_INET_SERVICE -> {
                b.set(U32BE, at, addr);
                b.set(U16BE, at + 4, (short) port);
            }
            case NONE -> throw new IllegalArgumentException("no value to write");
        }
        e.endNested(n);
    }

    private static void u64be(Encoder e, int type, long v) {
        int at = e.raw(type, 8);
        e.buffer().set(U64BE, at, v);
    }

    /**
     * NFT_MSG_GETSETELEM with NLM_F_DUMP: every element of {@code set}. Attributes in nft's order
     * (set, then table).
     */
    public static void dumpRequest(Encoder e, int seq, byte[] tableZ, byte[] setZ) {
        int m = e.begin(msgType(NFT_MSG_GETSETELEM), NLM_F_REQUEST | Netlink.NLM_F_DUMP, seq);
        e.nfgenmsg(NFPROTO_IPV4, 0);
        e.bytes(NFTA_SET_ELEM_LIST_SET, setZ);
        e.bytes(NFTA_SET_ELEM_LIST_TABLE, tableZ);
        e.end(m);
    }
}
