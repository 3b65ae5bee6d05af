package org.conenatd.conntrack;

import org.conenatd.netlink.Decoder;
import org.conenatd.netlink.MessageReader;

import static org.conenatd.conntrack.Ctnetlink.*;

/**
 * A reusable, allocation-free decoding of a ctnetlink flow message: the fields of {@link Flow} as
 * primitives, overwritten by each {@link #decode}. It is the one decoder of flow messages;
 * {@link Flow#decode} builds its record from it. The event thread reads hundreds of thousands of
 * events a second under load; decoding them into records would only feed the garbage collector.
 *
 * <p>The fields are public for reading by the edge ({@code dataplane.MappingFlows}) and tools; only
 * {@link #decode} writes them.
 */
public final class FlowView {
    public int origProto, origSrc, origDst, origSrcPort, origDstPort;
    public int replyProto, replySrc, replyDst, replySrcPort, replyDstPort;
    public int status, mark, id, timeout, zone;

    private final Decoder attrs = new Decoder(), tuple = new Decoder(), inner = new Decoder();
    private final TupleFields t = new TupleFields();

    /** Decodes an IPCTNL_MSG_CT_NEW/DELETE message; false if it is not IPv4 or is malformed. */
    public boolean decode(MessageReader m) {
        m.nfAttributes(attrs);
        boolean orig = false, reply = false;
        status = mark = id = timeout = zone = 0;
        while (attrs.next()) {
            switch (attrs.type()) {
                case CTA_TUPLE_ORIG -> orig = tuple(true);
                case CTA_TUPLE_REPLY -> reply = tuple(false);
                case CTA_STATUS -> status = attrs.u32be();
                case CTA_MARK -> mark = attrs.u32be();
                case CTA_ID -> id = attrs.u32be();
                case CTA_TIMEOUT -> timeout = attrs.u32be();
                case CTA_ZONE -> zone = attrs.u16be();
                default -> { }
            }
        }
        return attrs.ok() && orig && reply;
    }

    private boolean tuple(boolean orig) {
        if (!t.decode(attrs.nested(tuple), inner)) return false;
        if (orig) {
            origProto = t.proto; origSrc = t.src; origDst = t.dst; origSrcPort = t.srcPort; origDstPort = t.dstPort;
        } else {
            replyProto = t.proto; replySrc = t.src; replyDst = t.dst; replySrcPort = t.srcPort; replyDstPort = t.dstPort;
        }
        return true;
    }

    public boolean has(Status s) {
        return s.in(status);
    }

    public Flow toFlow() {
        return new Flow(new Tuple(origProto, origSrc, origDst, origSrcPort, origDstPort),
                new Tuple(replyProto, replySrc, replyDst, replySrcPort, replyDstPort), status, mark, id, timeout, zone);
    }
}
