package org.conenatd.conntrack;

import org.conenatd.netlink.MessageReader;

/**
 * A conntrack entry as ctnetlink reports it: both tuples, status bits, mark, id and timeout
 * (seconds). Only IPv4 entries are decoded; {@link #decode} returns null for anything else.
 */
public record Flow(Tuple orig, Tuple reply, int status, int mark, int id, int timeout, int zone) {

    public boolean has(Status s) {
        return s.in(status);
    }

    /** Decodes an IPCTNL_MSG_CT_NEW/DELETE message (event or dump entry); null if not IPv4 or malformed. */
    public static Flow decode(MessageReader m) {
        FlowView v = new FlowView();
        return v.decode(m) ? v.toFlow() : null;
    }

    @Override
    public String toString() {
        return orig + " | reply " + reply + " [" + Status.describe(status) + "]";
    }
}
