package org.conenatd.conntrack;

/** Constants of linux/netfilter/nfnetlink_conntrack.h, named as the kernel names them. */
public final class Ctnetlink {
    private Ctnetlink() {}

    // enum cntl_msg_types
    public static final int IPCTNL_MSG_CT_NEW = 0;
    public static final int IPCTNL_MSG_CT_GET = 1;
    public static final int IPCTNL_MSG_CT_DELETE = 2;

    // enum ctattr_type
    public static final int CTA_TUPLE_ORIG = 1;
    public static final int CTA_TUPLE_REPLY = 2;
    public static final int CTA_STATUS = 3;
    public static final int CTA_PROTOINFO = 4;
    public static final int CTA_HELP = 5;
    public static final int CTA_NAT_SRC = 6;
    public static final int CTA_TIMEOUT = 7;
    public static final int CTA_MARK = 8;
    public static final int CTA_COUNTERS_ORIG = 9;
    public static final int CTA_COUNTERS_REPLY = 10;
    public static final int CTA_USE = 11;
    public static final int CTA_ID = 12;
    public static final int CTA_NAT_DST = 13;
    public static final int CTA_TUPLE_MASTER = 14;
    public static final int CTA_ZONE = 18;
    public static final int CTA_STATUS_MASK = 26;

    // enum ctattr_tuple
    public static final int CTA_TUPLE_IP = 1;
    public static final int CTA_TUPLE_PROTO = 2;
    public static final int CTA_TUPLE_ZONE = 3;

    // enum ctattr_ip
    public static final int CTA_IP_V4_SRC = 1;
    public static final int CTA_IP_V4_DST = 2;

    // enum ctattr_l4proto
    public static final int CTA_PROTO_NUM = 1;
    public static final int CTA_PROTO_SRC_PORT = 2;
    public static final int CTA_PROTO_DST_PORT = 3;

    // enum ctattr_nat
    public static final int CTA_NAT_V4_MINIP = 1;
    public static final int CTA_NAT_V4_MAXIP = 2;
    public static final int CTA_NAT_PROTO = 3;

    // enum ctattr_protonat
    public static final int CTA_PROTONAT_PORT_MIN = 1;
    public static final int CTA_PROTONAT_PORT_MAX = 2;
}
