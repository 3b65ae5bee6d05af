package org.conenatd.conntrack;

import org.conenatd.netlink.Decoder;
import org.conenatd.netlink.MessageReader;

import static org.conenatd.conntrack.Ctnetlink.*;

/**
 * A reusable, allocation-free decoding of a ctnetlink flow message: the fields of {@link Flow} as
 * primitives, overwritten by each {@link #decode}. The event thread reads hundreds of thousands of
 * events a second under load; decoding them into records would only feed the garbage collector.
 */
public final class FlowView {
    public int origProto, origSrc, origDst, origSrcPort, origDstPort;
    public int replyProto, replySrc, replyDst, replySrcPort, replyDstPort;
    public int status, mark, id;

    private final Decoder attrs = new Decoder(), tuple = new Decoder(), inner = new Decoder();
    private boolean v4;

    /** Decodes an IPCTNL_MSG_CT_NEW/DELETE message; false if it is not IPv4 or is malformed. */
    public boolean decode(MessageReader m) {
        m.nfAttributes(attrs);
        boolean orig = false, reply = false;
        status = mark = id = 0;
        while (attrs.next()) {
            switch (attrs.type()) {
                case CTA_TUPLE_ORIG -> orig = tuple(true);
                case CTA_TUPLE_REPLY -> reply = tuple(false);
                case CTA_STATUS -> status = attrs.u32be();
                case CTA_MARK -> mark = attrs.u32be();
                case CTA_ID -> id = attrs.u32be();
                default -> { }
            }
        }
        return attrs.ok() && orig && reply;
    }

    private boolean tuple(boolean orig) {
        attrs.nested(tuple);
        int proto = -1, src = 0, dst = 0, sport = 0, dport = 0;
        v4 = false;
        while (tuple.next()) {
            switch (tuple.type()) {
                case CTA_TUPLE_IP -> {
                    tuple.nested(inner);
                    while (inner.next()) {
                        switch (inner.type()) {
                            case CTA_IP_V4_SRC -> { src = inner.u32be(); v4 = true; }
                            case CTA_IP_V4_DST -> dst = inner.u32be();
                            default -> { }
                        }
                    }
                    if (!inner.ok()) tuple.fail(inner.error());
                }
                case CTA_TUPLE_PROTO -> {
                    tuple.nested(inner);
                    while (inner.next()) {
                        switch (inner.type()) {
                            case CTA_PROTO_NUM -> proto = inner.u8();
                            case CTA_PROTO_SRC_PORT -> sport = inner.u16be();
                            case CTA_PROTO_DST_PORT -> dport = inner.u16be();
                            default -> { }
                        }
                    }
                    if (!inner.ok()) tuple.fail(inner.error());
                }
                default -> { }
            }
        }
        if (!tuple.ok() || !v4 || proto < 0) return false;
        if (orig) {
            origProto = proto; origSrc = src; origDst = dst; origSrcPort = sport; origDstPort = dport;
        } else {
            replyProto = proto; replySrc = src; replyDst = dst; replySrcPort = sport; replyDstPort = dport;
        }
        return true;
    }

    /** Loads the fields of a record (dumps, tests). */
    public FlowView set(Flow f) {
        origProto = f.orig().proto(); origSrc = f.orig().src(); origDst = f.orig().dst();
        origSrcPort = f.orig().srcPort(); origDstPort = f.orig().dstPort();
        replyProto = f.reply().proto(); replySrc = f.reply().src(); replyDst = f.reply().dst();
        replySrcPort = f.reply().srcPort(); replyDstPort = f.reply().dstPort();
        status = f.status(); mark = f.mark(); id = f.id();
        return this;
    }

    public boolean has(Status s) {
        return s.in(status);
    }

    public Flow toFlow() {
        return new Flow(new Tuple(origProto, origSrc, origDst, origSrcPort, origDstPort),
                new Tuple(replyProto, replySrc, replyDst, replySrcPort, replyDstPort), status, mark, id, 0, 0);
    }
}
