package org.conenatd.nftables;

/**
 * Constants of linux/netfilter/nf_tables.h (and the nf_tables parts of nfnetlink.h and
 * netfilter.h), named as the kernel names them. Only what the set-element control plane uses.
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
    // Linux >= 6.3 (newer than this machine's UAPI headers): a delete that succeeds when the
    // element is absent, so one stale key cannot abort a whole batch.
    public static final int NFT_MSG_DESTROYSETELEM = 30;

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

    // enum nft_set_flags
    public static final int NFT_SET_MAP = 0x8;
    public static final int NFT_SET_TIMEOUT = 0x10;
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

    /** nlmsg_type of an nf_tables message: (NFNL_SUBSYS_NFTABLES << 8) | msg. */
    public static int msgType(int msg) {
        return (NFNL_SUBSYS_NFTABLES << 8) | msg;
    }
}
