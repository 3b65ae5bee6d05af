package org.conenatd.nftables;

/**
 * Constants of linux/netfilter/nf_tables.h (and the nf_tables parts of nfnetlink.h, netfilter.h,
 * nf_nat.h, nf_tables_compat.h and xt_NFQUEUE.h), named as the kernel names them: what conenatd's set
 * elements, its own tables (tables, chains, sets, objects, rules and the expressions its rules
 * use) and the ruleset monitor need. Over 300 lines: one constant a line, as the header test
 * checks them.
 */
public final class NfTables {
    private NfTables() {}

    // nfnetlink.h
    public static final int NFNL_SUBSYS_NFTABLES = 10;
    public static final int NFNL_MSG_BATCH_BEGIN = 0x10;   // NLMSG_MIN_TYPE
    public static final int NFNL_MSG_BATCH_END = 0x11;     // NLMSG_MIN_TYPE + 1
    public static final int NFNL_BATCH_GENID = 1;

    // netfilter.h: nfgenmsg.nfgen_family of nf_tables messages
    public static final int NFPROTO_UNSPEC = 0;
    public static final int NFPROTO_INET = 1;
    public static final int NFPROTO_IPV4 = 2;
    public static final int NFPROTO_IPV6 = 10;

    // enum nf_tables_msg_types
    public static final int NFT_MSG_NEWTABLE = 0;
    public static final int NFT_MSG_GETTABLE = 1;
    public static final int NFT_MSG_DELTABLE = 2;
    public static final int NFT_MSG_NEWCHAIN = 3;
    public static final int NFT_MSG_GETCHAIN = 4;
    public static final int NFT_MSG_DELCHAIN = 5;
    public static final int NFT_MSG_NEWRULE = 6;
    public static final int NFT_MSG_GETRULE = 7;
    public static final int NFT_MSG_DELRULE = 8;
    public static final int NFT_MSG_NEWSET = 9;
    public static final int NFT_MSG_GETSET = 10;
    public static final int NFT_MSG_DELSET = 11;
    public static final int NFT_MSG_NEWSETELEM = 12;
    public static final int NFT_MSG_GETSETELEM = 13;
    public static final int NFT_MSG_DELSETELEM = 14;
    public static final int NFT_MSG_NEWGEN = 15;
    public static final int NFT_MSG_GETGEN = 16;
    public static final int NFT_MSG_NEWOBJ = 18;
    public static final int NFT_MSG_GETOBJ = 19;
    public static final int NFT_MSG_DELOBJ = 20;
    // Linux >= 6.3 (newer than this machine's UAPI headers): a delete that succeeds when the
    // element is absent, so one stale key cannot abort a whole batch.
    public static final int NFT_MSG_DESTROYSETELEM = 30;

    // enum nft_table_flags; NFT_TABLE_F_PERSIST is Linux >= 6.9, newer than these headers: an
    // owned table that outlives its owner, orphaned until a process creates it again with OWNER
    public static final int NFT_TABLE_F_DORMANT = 0x1;
    public static final int NFT_TABLE_F_OWNER = 0x2;
    public static final int NFT_TABLE_F_PERSIST = 0x4;

    // enum nft_table_attributes
    public static final int NFTA_TABLE_NAME = 1;
    public static final int NFTA_TABLE_FLAGS = 2;
    public static final int NFTA_TABLE_USE = 3;
    public static final int NFTA_TABLE_HANDLE = 4;
    public static final int NFTA_TABLE_OWNER = 7;

    // enum nft_chain_attributes, nft_hook_attributes
    public static final int NFTA_CHAIN_TABLE = 1;
    public static final int NFTA_CHAIN_HANDLE = 2;
    public static final int NFTA_CHAIN_NAME = 3;
    public static final int NFTA_CHAIN_HOOK = 4;
    public static final int NFTA_CHAIN_POLICY = 5;
    public static final int NFTA_CHAIN_TYPE = 7;
    public static final int NFTA_HOOK_HOOKNUM = 1;
    public static final int NFTA_HOOK_PRIORITY = 2;

    // enum nft_rule_attributes
    public static final int NFTA_RULE_TABLE = 1;
    public static final int NFTA_RULE_CHAIN = 2;
    public static final int NFTA_RULE_HANDLE = 3;
    public static final int NFTA_RULE_EXPRESSIONS = 4;

    // enum nft_expr_attributes
    public static final int NFTA_EXPR_NAME = 1;
    public static final int NFTA_EXPR_DATA = 2;

    // enum nft_registers: the 16-byte registers and their 4-byte parts (NFT_REG32_00 = 8)
    public static final int NFT_REG_VERDICT = 0;
    public static final int NFT_REG_1 = 1;
    public static final int NFT_REG_2 = 2;
    public static final int NFT_REG32_00 = 8;

    // enum nft_verdicts (netfilter.h): the chain policy
    public static final int NF_DROP = 0;
    public static final int NF_ACCEPT = 1;

    // netfilter.h: enum nf_inet_hooks
    public static final int NF_INET_PRE_ROUTING = 0;
    public static final int NF_INET_LOCAL_IN = 1;
    public static final int NF_INET_FORWARD = 2;
    public static final int NF_INET_LOCAL_OUT = 3;
    public static final int NF_INET_POST_ROUTING = 4;

    // enum nft_cmp_ops, nft_cmp_attributes
    public static final int NFT_CMP_EQ = 0;
    public static final int NFT_CMP_NEQ = 1;
    public static final int NFTA_CMP_SREG = 1;
    public static final int NFTA_CMP_OP = 2;
    public static final int NFTA_CMP_DATA = 3;

    // enum nft_payload_bases, nft_payload_attributes
    public static final int NFT_PAYLOAD_LL_HEADER = 0;
    public static final int NFT_PAYLOAD_NETWORK_HEADER = 1;
    public static final int NFT_PAYLOAD_TRANSPORT_HEADER = 2;
    public static final int NFTA_PAYLOAD_DREG = 1;
    public static final int NFTA_PAYLOAD_BASE = 2;
    public static final int NFTA_PAYLOAD_OFFSET = 3;
    public static final int NFTA_PAYLOAD_LEN = 4;

    // enum nft_meta_keys, nft_meta_attributes
    public static final int NFT_META_MARK = 3;
    public static final int NFT_META_IIFNAME = 6;
    public static final int NFT_META_OIFNAME = 7;
    public static final int NFT_META_L4PROTO = 16;
    public static final int NFTA_META_DREG = 1;
    public static final int NFTA_META_KEY = 2;
    public static final int NFTA_META_SREG = 3;

    // enum nft_lookup_flags, nft_lookup_attributes
    public static final int NFT_LOOKUP_F_INV = 1;
    public static final int NFTA_LOOKUP_SET = 1;
    public static final int NFTA_LOOKUP_SREG = 2;
    public static final int NFTA_LOOKUP_DREG = 3;
    public static final int NFTA_LOOKUP_SET_ID = 4;
    public static final int NFTA_LOOKUP_FLAGS = 5;

    // enum nft_immediate_attributes
    public static final int NFTA_IMMEDIATE_DREG = 1;
    public static final int NFTA_IMMEDIATE_DATA = 2;

    // enum nft_ct_keys, nft_ct_attributes
    public static final int NFT_CT_STATE = 0;
    public static final int NFT_CT_STATUS = 2;
    public static final int NFT_CT_EVENTMASK = 18;
    public static final int NFT_CT_DST_IP = 20;
    public static final int NFTA_CT_DREG = 1;
    public static final int NFTA_CT_KEY = 2;
    public static final int NFTA_CT_DIRECTION = 3;
    public static final int NFTA_CT_SREG = 4;

    // enum nft_fib_result, nft_fib_flags, nft_fib_attributes
    public static final int NFT_FIB_RESULT_ADDRTYPE = 3;
    public static final int NFTA_FIB_F_DADDR = 1 << 1;
    public static final int NFTA_FIB_F_IIF = 1 << 3;
    public static final int NFTA_FIB_DREG = 1;
    public static final int NFTA_FIB_RESULT = 2;
    public static final int NFTA_FIB_FLAGS = 3;

    // enum nft_nat_types, nft_nat_attributes, nft_masq_attributes; nf_nat.h range flags
    public static final int NFT_NAT_SNAT = 0;
    public static final int NFT_NAT_DNAT = 1;
    public static final int NFTA_NAT_TYPE = 1;
    public static final int NFTA_NAT_FAMILY = 2;
    public static final int NFTA_NAT_REG_ADDR_MIN = 3;
    public static final int NFTA_NAT_REG_ADDR_MAX = 4;
    public static final int NFTA_NAT_REG_PROTO_MIN = 5;
    public static final int NFTA_NAT_REG_PROTO_MAX = 6;
    public static final int NFTA_NAT_FLAGS = 7;
    public static final int NFTA_MASQ_FLAGS = 1;
    public static final int NFTA_MASQ_REG_PROTO_MIN = 2;
    public static final int NF_NAT_RANGE_PROTO_SPECIFIED = 1 << 1;

    // enum nft_objref_attributes
    public static final int NFTA_OBJREF_IMM_TYPE = 1;
    public static final int NFTA_OBJREF_IMM_NAME = 2;

    // enum nft_bitwise_attributes
    public static final int NFTA_BITWISE_SREG = 1;
    public static final int NFTA_BITWISE_DREG = 2;
    public static final int NFTA_BITWISE_LEN = 3;
    public static final int NFTA_BITWISE_MASK = 4;
    public static final int NFTA_BITWISE_XOR = 5;
    public static final int NFTA_BITWISE_OP = 6;
    public static final int NFT_BITWISE_MASK_XOR = 0; // also named NFT_BITWISE_BOOL

    // enum nft_dynset_ops, nft_dynset_attributes
    public static final int NFT_DYNSET_OP_ADD = 0;
    public static final int NFT_DYNSET_OP_UPDATE = 1;
    public static final int NFTA_DYNSET_SET_NAME = 1;
    public static final int NFTA_DYNSET_SET_ID = 2;
    public static final int NFTA_DYNSET_OP = 3;
    public static final int NFTA_DYNSET_SREG_KEY = 4;
    public static final int NFTA_DYNSET_TIMEOUT = 6;

    // enum nft_queue_attributes, NFT_QUEUE_FLAG_*
    public static final int NFTA_QUEUE_NUM = 1;
    public static final int NFTA_QUEUE_TOTAL = 2;
    public static final int NFTA_QUEUE_FLAGS = 3;
    public static final int NFT_QUEUE_FLAG_BYPASS = 0x01;

    // nf_tables_compat.h: enum nft_target_attributes; xt_NFQUEUE.h
    public static final int NFTA_TARGET_NAME = 1;
    public static final int NFTA_TARGET_REV = 2;
    public static final int NFTA_TARGET_INFO = 3;
    public static final int NFQ_FLAG_BYPASS = 0x01;

    // enum nft_list_attributes
    public static final int NFTA_LIST_ELEM = 1;

    // enum nft_set_attributes (GETSET replies: the map's key and data sizes)
    public static final int NFTA_SET_TABLE = 1;
    public static final int NFTA_SET_NAME = 2;
    public static final int NFTA_SET_FLAGS = 3;
    public static final int NFTA_SET_KEY_TYPE = 4;
    public static final int NFTA_SET_KEY_LEN = 5;
    public static final int NFTA_SET_DATA_TYPE = 6;
    public static final int NFTA_SET_DATA_LEN = 7;
    public static final int NFTA_SET_ID = 10;
    public static final int NFTA_SET_TIMEOUT = 11;
    public static final int NFTA_SET_USERDATA = 13;

    // enum nft_set_flags
    public static final int NFT_SET_INTERVAL = 0x4;
    public static final int NFT_SET_MAP = 0x8;
    public static final int NFT_SET_TIMEOUT = 0x10;
    public static final int NFT_SET_EVAL = 0x20;
    public static final int NFT_SET_CONCAT = 0x80;

    // enum nft_set_elem_flags
    public static final int NFT_SET_ELEM_INTERVAL_END = 0x1;
    public static final int NFT_SET_ELEM_CATCHALL = 0x2;

    // enum nft_set_elem_attributes
    public static final int NFTA_SET_ELEM_KEY = 1;
    public static final int NFTA_SET_ELEM_DATA = 2;
    public static final int NFTA_SET_ELEM_FLAGS = 3;
    public static final int NFTA_SET_ELEM_TIMEOUT = 4;
    public static final int NFTA_SET_ELEM_EXPIRATION = 5;
    public static final int NFTA_SET_ELEM_USERDATA = 6;
    public static final int NFTA_SET_ELEM_EXPR = 7;
    public static final int NFTA_SET_ELEM_PAD = 8;
    public static final int NFTA_SET_ELEM_OBJREF = 9;
    public static final int NFTA_SET_ELEM_KEY_END = 10;
    public static final int NFTA_SET_ELEM_EXPRESSIONS = 11;

    // enum nft_set_elem_list_attributes
    public static final int NFTA_SET_ELEM_LIST_TABLE = 1;
    public static final int NFTA_SET_ELEM_LIST_SET = 2;
    public static final int NFTA_SET_ELEM_LIST_ELEMENTS = 3;
    public static final int NFTA_SET_ELEM_LIST_SET_ID = 4;

    // enum nft_data_attributes
    public static final int NFTA_DATA_VALUE = 1;
    public static final int NFTA_DATA_VERDICT = 2;

    // enum nft_gen_attributes
    public static final int NFTA_GEN_ID = 1;
    public static final int NFTA_GEN_PROC_PID = 2;
    public static final int NFTA_GEN_PROC_NAME = 3;

    // enum nft_object_attributes
    public static final int NFTA_OBJ_TABLE = 1;
    public static final int NFTA_OBJ_NAME = 2;
    public static final int NFTA_OBJ_TYPE = 3;
    public static final int NFTA_OBJ_DATA = 4;

    // enum nft_counter_attributes
    public static final int NFTA_COUNTER_BYTES = 1;
    public static final int NFTA_COUNTER_PACKETS = 2;

    public static final int NFT_OBJECT_COUNTER = 1;

    // NFT_TABLE_MAXNAMELEN / NFT_SET_MAXNAMELEN / NFT_OBJ_MAXNAMELEN, the terminating NUL included
    public static final int NFT_TABLE_MAXNAMELEN = 256;
    public static final int NFT_SET_MAXNAMELEN = 256;
    public static final int NFT_OBJ_MAXNAMELEN = 256;

    // ---- PortForwards: what reading the router's DNAT rules needs (ruleset dumps) ----
    // (the verdict codes NFT_JUMP/NFT_GOTO are negative, which the header test cannot evaluate:
    // they live in ForwardRules, checked by PortForwardsHeaderTest)
    // enum nft_cmp_ops, the orderings
    public static final int NFT_CMP_LT = 2;
    public static final int NFT_CMP_LTE = 3;
    public static final int NFT_CMP_GT = 4;
    public static final int NFT_CMP_GTE = 5;
    // enum nft_range_ops, nft_range_attributes
    public static final int NFT_RANGE_EQ = 0;
    public static final int NFT_RANGE_NEQ = 1;
    public static final int NFTA_RANGE_SREG = 1;
    public static final int NFTA_RANGE_OP = 2;
    public static final int NFTA_RANGE_FROM_DATA = 3;
    public static final int NFTA_RANGE_TO_DATA = 4;
    // enum nft_verdict_attributes
    public static final int NFTA_VERDICT_CODE = 1;
    public static final int NFTA_VERDICT_CHAIN = 2;
    // nf_tables_compat.h: enum nft_match_attributes
    public static final int NFTA_MATCH_NAME = 1;
    public static final int NFTA_MATCH_REV = 2;
    public static final int NFTA_MATCH_INFO = 3;
    // enum nft_payload_attributes (a payload write), nft_meta_keys
    public static final int NFTA_PAYLOAD_SREG = 5;
    public static final int NFT_META_NFPROTO = 15;
    // nf_nat.h
    public static final int NF_NAT_RANGE_MAP_IPS = 1 << 0;
    // ---- end of PortForwards' constants ----

    /** nlmsg_type of an nf_tables message: (NFNL_SUBSYS_NFTABLES << 8) | msg. */
    public static int msgType(int msg) {
        return (NFNL_SUBSYS_NFTABLES << 8) | msg;
    }
}
