package org.conenatd.conntrack;

import org.conenatd.netlink.Decoder;

import static org.conenatd.conntrack.Ctnetlink.*;

/** One decoding of a CTA_TUPLE_* payload into primitives, shared by {@link Tuple} and {@link FlowView}. */
final class TupleFields {
    int proto, src, dst, srcPort, dstPort;

    /** Decodes the tuple at {@code d}'s position; false if it is not IPv4 or is malformed. */
    boolean decode(Decoder d, Decoder inner) {
        proto = -1;
        src = dst = srcPort = dstPort = 0;
        boolean v4 = false;
        while (d.next()) {
            switch (d.type()) {
                case CTA_TUPLE_IP -> {
                    d.nested(inner);
                    while (inner.next()) {
                        switch (inner.type()) {
                            case CTA_IP_V4_SRC -> { src = inner.u32be(); v4 = true; }
                            case CTA_IP_V4_DST -> dst = inner.u32be();
                            default -> { }
                        }
                    }
                    if (!inner.ok()) d.fail(inner.error());
                }
                case CTA_TUPLE_PROTO -> {
                    d.nested(inner);
                    while (inner.next()) {
                        switch (inner.type()) {
                            case CTA_PROTO_NUM -> proto = inner.u8();
                            case CTA_PROTO_SRC_PORT -> srcPort = inner.u16be();
                            case CTA_PROTO_DST_PORT -> dstPort = inner.u16be();
                            default -> { }
                        }
                    }
                    if (!inner.ok()) d.fail(inner.error());
                }
                default -> { }
            }
        }
        return d.ok() && v4 && proto >= 0;
    }
}
