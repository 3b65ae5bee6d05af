package org.conenatd.nftables;

import org.conenatd.netlink.Decoder;
import org.conenatd.netlink.Encoder;
import org.conenatd.netlink.MessageReader;
import org.conenatd.netlink.Netlink;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.netlink.NetlinkRequests;
import org.conenatd.netlink.NetlinkSocket;
import org.conenatd.netlink.NetlinkTransport;
import org.conenatd.sys.Errno;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.conenatd.nftables.NfTables.*;

/**
 * Reads the named counter objects of one IPv4 table (NFT_MSG_GETOBJ): what a rule that says
 * {@code counter name "x"} has counted, for the metrics. Its own socket, so the thread that
 * renders metrics never shares one with the map writers; one reader at a time.
 */
public final class NftCounter implements AutoCloseable {
    private final NetlinkTransport sock;
    private final byte[] tableZ;
    private final String table;
    private final Encoder enc;
    private final MemorySegment rbuf;
    private final Decoder attrs = new Decoder(), data = new Decoder();

    public NftCounter(NetlinkTransport sock, String table) {
        this.sock = sock;
        this.table = table;
        this.tableZ = SetElems.nulTerminated(table, NFT_TABLE_MAXNAMELEN);
        Arena arena = Arena.ofAuto();
        this.enc = new Encoder(arena.allocate(1024, 8));
        this.rbuf = arena.allocate(16 * 1024, 8);
    }

    public static NftCounter open(String table) throws NetlinkException {
        return new NftCounter(NetlinkSocket.open("nftables counters", s -> s.setReceiveTimeout(2000)), table);
    }

    /** The request for counter {@code nameZ} of table {@code tableZ} (both NUL-terminated). */
    public static void encodeGet(Encoder e, int seq, byte[] tableZ, byte[] nameZ) {
        int m = e.begin(msgType(NFT_MSG_GETOBJ), Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK, seq);
        e.nfgenmsg(NFPROTO_IPV4, 0);
        e.bytes(NFTA_OBJ_TABLE, tableZ);
        e.bytes(NFTA_OBJ_NAME, nameZ);
        e.u32be(NFTA_OBJ_TYPE, NFT_OBJECT_COUNTER);
        e.end(m);
    }

    /** Packets counted by counter {@code name} so far. */
    public synchronized long packets(String name) throws NetlinkException {
        enc.reset();
        int seq = sock.nextSeq();
        encodeGet(enc, seq, tableZ, SetElems.nulTerminated(name, NFT_OBJ_MAXNAMELEN));
        long[] found = {-1};
        String op = "nft get counter " + table + " " + name;
        NetlinkRequests.request(sock, enc, seq, op, rbuf, msg -> {
            long p = packetsOf(msg, attrs, data);
            if (p >= 0) found[0] = p;
        });
        if (found[0] < 0) throw new NetlinkException(op + ": no packet count in the answer", Errno.EINVAL, null, seq);
        return found[0];
    }

    /** NFTA_COUNTER_PACKETS of an NFT_MSG_NEWOBJ answer, or -1 if it has none. */
    static long packetsOf(MessageReader msg, Decoder attrs, Decoder data) {
        if (msg.type() != msgType(NFT_MSG_NEWOBJ)) return -1;
        msg.nfAttributes(attrs);
        long packets = -1;
        while (attrs.next()) {
            if (attrs.type() != NFTA_OBJ_DATA) continue;
            attrs.nested(data);
            while (data.next()) if (data.type() == NFTA_COUNTER_PACKETS && data.length() >= 8) packets = data.u64be();
        }
        return attrs.ok() && data.ok() ? packets : -1;
    }

    @Override
    public void close() {
        sock.close();
    }
}
