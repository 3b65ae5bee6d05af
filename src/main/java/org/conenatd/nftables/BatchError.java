package org.conenatd.nftables;

import org.conenatd.netlink.Decoder;
import org.conenatd.netlink.MessageReader;
import org.conenatd.netlink.Netlink;
import org.conenatd.inet.Inet4;

import java.lang.foreign.MemorySegment;

import static org.conenatd.netlink.Netlink.NLMSG_HDRLEN;

/**
 * Reads where in a failed request the kernel points. nf_tables sends no extended-ack text for
 * set-element errors, only NLMSGERR_ATTR_OFFS: the offset, from the start of the failing message,
 * of the attribute it rejected (an element, or the set name when the set does not exist). Mapped
 * back onto the request, still in the encoder's buffer, that names the element.
 */
final class BatchError {
    private final Decoder errAttrs = new Decoder();
    private final MessageReader request = new MessageReader();
    private final SetElemView view = new SetElemView();
    /** After {@link #locate}: index of the failing element within its message, or -1. */
    int elementIndex;
    /** After {@link #locate}: what the kernel pointed at, e.g. "element 10.0.0.3 . 5000 : 20000". */
    String what;

    /** The NLMSGERR_ATTR_OFFS of an NLMSG_ERROR, or -1 if it has none. */
    int badAttrOffset(MessageReader m) {
        if ((m.flags() & Netlink.NLM_F_ACK_TLVS) == 0 || m.payloadLength() < 4 + NLMSG_HDRLEN) return -1;
        long skip = 4 + NLMSG_HDRLEN;
        if ((m.flags() & Netlink.NLM_F_CAPPED) == 0) {
            int origLen = m.segment().get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, m.payloadOffset() + 4);
            if (origLen < NLMSG_HDRLEN) return -1;
            skip = 4 + (long) Netlink.align(origLen);
        }
        if (skip > m.payloadLength()) return -1;
        Decoder d = errAttrs.wrap(m.segment(), m.payloadOffset() + skip, m.payloadLength() - skip);
        while (d.next()) {
            if (d.type() == Netlink.NLMSGERR_ATTR_OFFS) return d.u32();
        }
        return -1;
    }

    /** Finds what {@code offset} points at in the request message at {@code msgStart} of {@code buf}. */
    void locate(MemorySegment buf, int msgStart, int msgEnd, int offset) {
        elementIndex = -1;
        what = offset < 0 ? null : "attribute at offset " + offset;
        if (offset < 0) return;
        request.wrap(buf, msgStart, msgEnd - msgStart);
        if (!request.next() || !view.wrap(request)) return;
        if (offset == NLMSG_HDRLEN + Netlink.NFGENMSG_LEN) {
            what = "the table name";
            return;
        }
        if (view.setNameOffset() >= 0 && offset == view.setNameOffset() - Netlink.NLA_HDRLEN - msgStart) {
            what = "the set name";
            return;
        }
        for (int i = 0; view.next(); i++) {
            long at = view.elementOffset() - msgStart;
            if (offset >= at && offset < at + view.elementLength()) {
                elementIndex = i;
                what = "element " + describe(view);
                return;
            }
        }
    }

    /** nft's notation: {@code 10.0.0.3 . 5000 : 20000}. */
    static String describe(SetElemView v) {
        StringBuilder sb = new StringBuilder();
        field(sb, v.keyLength, v.keyAddr, v.keyPort);
        if (v.dataLength >= 0) field(sb.append(" : "), v.dataLength, v.dataAddr, v.dataPort);
        if (v.timeoutMs > 0) sb.append(" timeout ").append(v.timeoutMs).append("ms");
        return sb.toString();
    }

    private static void field(StringBuilder sb, int len, int addr, int port) {
        switch (len) {
            case 2 -> sb.append(port);
            case 4 -> sb.append(Inet4.format(addr));
            case 8 -> sb.append(Inet4.format(addr)).append(" . ").append(port);
            default -> sb.append('(').append(len).append(" bytes)");
        }
    }
}
