package org.conenatd.conntrack;

import java.util.StringJoiner;

/** Bits of enum ip_conntrack_status (linux/netfilter/nf_conntrack_common.h). */
public enum Status {
    IPS_EXPECTED(0),
    IPS_SEEN_REPLY(1),
    IPS_ASSURED(2),
    IPS_CONFIRMED(3),
    IPS_SRC_NAT(4),
    IPS_DST_NAT(5),
    IPS_SEQ_ADJUST(6),
    IPS_SRC_NAT_DONE(7),
    IPS_DST_NAT_DONE(8),
    IPS_DYING(9),
    IPS_FIXED_TIMEOUT(10),
    IPS_TEMPLATE(11),
    IPS_UNTRACKED(12),
    IPS_HELPER(13),
    IPS_OFFLOAD(14),
    IPS_HW_OFFLOAD(15);

    public final int mask;

    Status(int bit) {
        this.mask = 1 << bit;
    }

    public boolean in(int status) {
        return (status & mask) != 0;
    }

    public static String describe(int status) {
        StringJoiner j = new StringJoiner("|");
        for (Status s : values()) if (s.in(status)) j.add(s.name().substring(4));
        return j.length() == 0 ? "0" : j.toString();
    }
}
