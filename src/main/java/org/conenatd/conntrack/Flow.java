package org.conenatd.conntrack;

import org.conenatd.netlink.Decoder;
import org.conenatd.netlink.MessageReader;

import static org.conenatd.conntrack.Ctnetlink.*;

/**
 * A conntrack entry as ctnetlink reports it: both tuples, status bits, mark, id and timeout
 * (seconds). Only IPv4 entries are decoded; {@link #decode} returns null for anything else.
 */
public record Flow(Tuple orig, Tuple reply, int status, int mark, int id, int timeout, int zone) {

    public boolean has(Status s) {
        return s.in(status);
    }

    /** Decodes an IPCTNL_MSG_CT_NEW/DELETE message (event or dump entry); null if not IPv4 or malformed. */
    public static Flow decode(MessageReader m, Decoder attrs, Decoder t1, Decoder t2) {
        m.nfAttributes(attrs);
        Tuple orig = null, reply = null;
        int status = 0, mark = 0, id = 0, timeout = 0, zone = 0;
        while (attrs.next()) {
            switch (attrs.type()) {
                case CTA_TUPLE_ORIG -> orig = Tuple.decode(attrs.nested(t1), t2);
                case CTA_TUPLE_REPLY -> reply = Tuple.decode(attrs.nested(t1), t2);
                case CTA_STATUS -> status = attrs.u32be();
                case CTA_MARK -> mark = attrs.u32be();
                case CTA_ID -> id = attrs.u32be();
                case CTA_TIMEOUT -> timeout = attrs.u32be();
                case CTA_ZONE -> zone = attrs.u16be();
                default -> { }
            }
        }
        if (!attrs.ok() || orig == null || reply == null) return null;
        return new Flow(orig, reply, status, mark, id, timeout, zone);
    }

    @Override
    public String toString() {
        return orig + " | reply " + reply + " [" + Status.describe(status) + "]";
    }
}
