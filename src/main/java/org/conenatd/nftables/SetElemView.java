package org.conenatd.nftables;

import org.conenatd.netlink.Decoder;
import org.conenatd.netlink.MessageReader;
import org.conenatd.netlink.Netlink;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static org.conenatd.nftables.NfTables.*;

/**
 * A reusable, allocation-free walk over the elements of one set-element message (a GETSETELEM dump
 * reply, or a NEWSETELEM / DELSETELEM request): {@code if (v.wrap(msg)) while (v.next()) ...}.
 * Each {@link #next} overwrites the public fields with the next element's key and value as
 * primitives. Like {@link Decoder}, garbage never throws: {@link #error()} says what was wrong.
 *
 * <p>The kernel's dump replies carry the nests without NLA_F_NESTED, so nests are recognised by
 * type alone. Keys and values are read by length: 2 bytes a port, 4 an address, 8 an address and a
 * port (the concatenation); other lengths leave the fields 0 with the raw bytes at
 * {@link #keyOffset} / {@link #dataOffset}.
 */
public final class SetElemView {
    private static final ValueLayout.OfInt U32BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort U16BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    public int keyLength, keyAddr, keyPort;
    /** Value length; -1 when the element has no NFTA_SET_ELEM_DATA (a set, or a delete). */
    public int dataLength, dataAddr, dataPort;
    /** Milliseconds; 0 when absent. */
    public long timeoutMs, expirationMs;
    public int flags;

    private final Decoder attrs = new Decoder(), list = new Decoder(), elem = new Decoder(),
            nft = new Decoder(), value = new Decoder();
    private MemorySegment seg;
    private long keyOffset, dataOffset, elemOffset;
    private int elemLength, msgType, family, resId;
    private long setNameOffset = -1;
    private int setNameLength;
    private boolean hasList;
    private String error;

    /**
     * Points the view at a set-element message of the nf_tables subsystem. False (with
     * {@link #error()} set) if it is something else or its header attributes are malformed.
     */
    public boolean wrap(MessageReader m) {
        error = null;
        hasList = false;
        setNameOffset = -1;
        seg = m.segment();
        int t = m.type();
        msgType = t & 0xff;
        if ((t >> 8) != NFNL_SUBSYS_NFTABLES || (msgType != NFT_MSG_NEWSETELEM && msgType != NFT_MSG_DELSETELEM
                && msgType != NFT_MSG_DESTROYSETELEM)) {
            error = "not an nf_tables set-element message: type 0x" + Integer.toHexString(t);
            return false;
        }
        m.nfAttributes(attrs);
        if (attrs.ok()) {
            family = m.nfFamily();
            resId = m.nfResId();
        }
        while (attrs.next()) {
            switch (attrs.type()) {
                case NFTA_SET_ELEM_LIST_SET -> {
                    setNameOffset = attrs.offset();
                    setNameLength = attrs.length();
                }
                case NFTA_SET_ELEM_LIST_ELEMENTS -> {
                    attrs.nested(list);
                    hasList = true;
                }
                default -> { }
            }
        }
        if (!attrs.ok()) error = attrs.error();
        else if (!hasList) list.wrap(seg, 0, 0);           // no elements: next() is simply false
        return error == null;
    }

    /** Moves to the next element; false at the end or on malformed input (then see {@link #error()}). */
    public boolean next() {
        if (error != null || !hasList) return false;
        while (list.next()) {
            if (list.type() != NFTA_LIST_ELEM) continue;
            if (element()) return true;
            return false;
        }
        if (!list.ok()) error = list.error();
        return false;
    }

    private boolean element() {
        elemOffset = list.offset() - Netlink.NLA_HDRLEN;
        elemLength = list.length() + Netlink.NLA_HDRLEN;
        keyLength = keyAddr = keyPort = dataAddr = dataPort = flags = 0;
        dataLength = -1;
        timeoutMs = expirationMs = 0;
        boolean key = false;
        list.nested(elem);
        while (elem.next()) {
            switch (elem.type()) {
                case NFTA_SET_ELEM_KEY -> key = value(true);
                case NFTA_SET_ELEM_DATA -> value(false);
                case NFTA_SET_ELEM_FLAGS -> flags = elem.u32be();
                case NFTA_SET_ELEM_TIMEOUT -> timeoutMs = elem.u64be();
                case NFTA_SET_ELEM_EXPIRATION -> expirationMs = elem.u64be();
                default -> { }
            }
        }
        if (!elem.ok()) error = elem.error();
        else if (!key && (flags & NFT_SET_ELEM_CATCHALL) == 0) error = "element without a key at " + elemOffset;
        return error == null;
    }

    /** Reads the NFTA_DATA_VALUE inside the current KEY or DATA nest. */
    private boolean value(boolean isKey) {
        elem.nested(nft);
        while (nft.next()) {
            if (nft.type() != NFTA_DATA_VALUE) continue;
            int len = nft.length();
            long at = nft.offset();
            int addr = 0, port = 0;
            if (len == 2) port = Short.toUnsignedInt(seg.get(U16BE, at));
            else if (len == 4) addr = seg.get(U32BE, at);
            else if (len == 8) {
                addr = seg.get(U32BE, at);
                port = Short.toUnsignedInt(seg.get(U16BE, at + 4));
            }
            if (isKey) {
                keyLength = len; keyAddr = addr; keyPort = port; keyOffset = at;
            } else {
                dataLength = len; dataAddr = addr; dataPort = port; dataOffset = at;
            }
            return true;
        }
        if (!nft.ok()) elem.fail(nft.error());
        else elem.fail((isKey ? "key" : "data") + " without NFTA_DATA_VALUE");
        return false;
    }

    public String error() { return error; }
    /** NFT_MSG_NEWSETELEM, NFT_MSG_DELSETELEM or NFT_MSG_DESTROYSETELEM. */
    public int msgType() { return msgType; }
    public int family() { return family; }
    /** In dump replies the kernel puts the low 16 bits of the ruleset generation here. */
    public int resId() { return resId; }
    public long keyOffset() { return keyOffset; }
    /** Offset of the set name's payload (NFTA_SET_ELEM_LIST_SET), -1 if the message has none. */
    public long setNameOffset() { return setNameOffset; }
    public long dataOffset() { return dataOffset; }
    /** Where the current element's NFTA_LIST_ELEM attribute starts, and its length with header. */
    public long elementOffset() { return elemOffset; }
    public int elementLength() { return elemLength; }

    /** Whether the message names set {@code nameZ} (NUL-terminated, as {@link NftMap} keeps it). */
    public boolean isSet(byte[] nameZ) {
        if (setNameOffset < 0 || setNameLength != nameZ.length) return false;
        return MemorySegment.mismatch(seg, setNameOffset, setNameOffset + nameZ.length,
                MemorySegment.ofArray(nameZ), 0, nameZ.length) < 0;
    }
}
