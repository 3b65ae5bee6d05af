package org.conenatd.nfqueue;

/** Constants of linux/netfilter/nfnetlink_queue.h, named as the kernel names them. */
public final class Nfqnl {
    private Nfqnl() {}

    // enum nfqnl_msg_types
    public static final int NFQNL_MSG_PACKET = 0;
    public static final int NFQNL_MSG_VERDICT = 1;
    public static final int NFQNL_MSG_CONFIG = 2;
    public static final int NFQNL_MSG_VERDICT_BATCH = 3;

    // enum nfqnl_attr_type
    public static final int NFQA_PACKET_HDR = 1;
    public static final int NFQA_VERDICT_HDR = 2;
    public static final int NFQA_MARK = 3;
    public static final int NFQA_TIMESTAMP = 4;
    public static final int NFQA_IFINDEX_INDEV = 5;
    public static final int NFQA_IFINDEX_OUTDEV = 6;
    public static final int NFQA_PAYLOAD = 10;
    public static final int NFQA_CT = 11;
    public static final int NFQA_CT_INFO = 12;
    public static final int NFQA_CAP_LEN = 13;
    public static final int NFQA_SKB_INFO = 14;

    // enum nfqnl_msg_config_cmds
    public static final int NFQNL_CFG_CMD_NONE = 0;
    public static final int NFQNL_CFG_CMD_BIND = 1;
    public static final int NFQNL_CFG_CMD_UNBIND = 2;
    public static final int NFQNL_CFG_CMD_PF_BIND = 3;
    public static final int NFQNL_CFG_CMD_PF_UNBIND = 4;

    // enum nfqnl_config_mode
    public static final int NFQNL_COPY_NONE = 0;
    public static final int NFQNL_COPY_META = 1;
    public static final int NFQNL_COPY_PACKET = 2;

    // enum nfqnl_attr_config
    public static final int NFQA_CFG_CMD = 1;
    public static final int NFQA_CFG_PARAMS = 2;
    public static final int NFQA_CFG_QUEUE_MAXLEN = 3;
    public static final int NFQA_CFG_MASK = 4;
    public static final int NFQA_CFG_FLAGS = 5;

    public static final int NFQA_CFG_F_FAIL_OPEN = 1;
    public static final int NFQA_CFG_F_CONNTRACK = 1 << 1;
    public static final int NFQA_CFG_F_GSO = 1 << 2;
}
