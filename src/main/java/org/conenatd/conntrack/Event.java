package org.conenatd.conntrack;

import org.conenatd.netlink.MessageReader;
import org.conenatd.netlink.Netlink;

/** A conntrack event: which group it came from and the flow it describes. */
public record Event(Type type, Flow flow) {

    /** Decodes an event message; null if it is not a conntrack event about an IPv4 flow. */
    public static Event decode(MessageReader m) {
        Type type = Type.of(m);
        if (type == null) return null;
        Flow f = Flow.decode(m);
        return f == null ? null : new Event(type, f);
    }

    public enum Type {
        NEW, UPDATE, DESTROY;

        /** NEW and UPDATE both arrive as IPCTNL_MSG_CT_NEW; the kernel marks creations with CREATE|EXCL. */
        public static Type of(int msgType, int flags) {
            int msg = msgType & 0xff;
            if (msg == Ctnetlink.IPCTNL_MSG_CT_DELETE) return DESTROY;
            if (msg != Ctnetlink.IPCTNL_MSG_CT_NEW) return null;
            return (flags & (Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL)) != 0 ? NEW : UPDATE;
        }

        /** The event type of a message, or null if it is not a ctnetlink flow message. */
        public static Type of(MessageReader m) {
            if ((m.type() >> 8) != Netlink.NFNL_SUBSYS_CTNETLINK) return null;
            return of(m.type(), m.flags());
        }
    }
}
