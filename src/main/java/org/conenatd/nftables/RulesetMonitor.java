package org.conenatd.nftables;

import org.conenatd.netlink.Decoder;
import org.conenatd.netlink.MessageReader;
import org.conenatd.netlink.Netlink;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.netlink.NetlinkSocket;
import org.conenatd.netlink.NetlinkTransport;
import org.conenatd.sys.Errno;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.conenatd.nftables.NfTables.*;

/**
 * The nf_tables ruleset's change notifications (NFNLGRP_NFTABLES): every object a transaction
 * adds or deletes, each carrying the port id of the socket that asked for it, then one NEWGEN when
 * the transaction is committed, naming the process. Decoding only; the caller decides what a
 * change means.
 */
public final class RulesetMonitor implements AutoCloseable {
    /** What the notifications say. */
    public interface Listener {
        /** An object of an IPv4 table changed: {@code msg} is its NFT_MSG_* type, {@code portId} who asked. */
        void changed(int msg, String table, int portId);

        /** A transaction was committed by process {@code pid} ({@code name}, possibly empty). */
        void committed(int pid, String name);

        /** Notifications were lost (the socket overflowed): anything may have changed. */
        void lost();
    }

    private final NetlinkTransport sock;
    private final MemorySegment rbuf = Arena.ofAuto().allocate(256 * 1024, 8);
    private final MessageReader reader = new MessageReader();
    private final Decoder attrs = new Decoder();

    public RulesetMonitor(NetlinkTransport sock) {
        this.sock = sock;
    }

    public static RulesetMonitor open() throws NetlinkException {
        return open(0);
    }

    /**
     * A monitor that never hears the transactions of netlink port {@code ownPortId} (0: hears all):
     * the kernel's filter drops them before they are queued, so a daemon writing its own elements
     * by the thousand a second is not woken for each one.
     */
    public static RulesetMonitor open(int ownPortId) throws NetlinkException {
        return new RulesetMonitor(NetlinkSocket.open("nftables monitor", s -> {
            s.setReceiveBuffer(4 << 20);
            s.setReceiveTimeout(500);
            if (ownPortId != 0) s.attachFilter(org.conenatd.netlink.SocketFilter.dropFromPort(Arena.ofAuto(), ownPortId), 4);
            s.joinGroup(Netlink.NFNLGRP_NFTABLES);
        }));
    }

    /** Reads what arrived within the socket's timeout and tells {@code l}; false if nothing came. */
    public boolean poll(Listener l) throws NetlinkException {
        int n;
        try {
            n = sock.receive(rbuf, false);
        } catch (NetlinkException e) {
            if (e.errno() != Errno.ENOBUFS) throw e;
            l.lost();
            return true;
        }
        if (n < 0) return false;
        reader.wrap(rbuf, 0, n);
        while (reader.next()) decode(reader, attrs, l);
        return true;
    }

    /** One notification (also what the unit tests feed in). */
    static void decode(MessageReader m, Decoder attrs, Listener l) {
        int type = m.type();
        if (type >> 8 != NFNL_SUBSYS_NFTABLES || m.payloadLength() < 4) return;
        int msg = type & 0xff;
        if (msg == NFT_MSG_NEWGEN) {
            int pid = 0;
            String name = "";
            m.nfAttributes(attrs);
            while (attrs.next()) {
                if (attrs.type() == NFTA_GEN_PROC_PID && attrs.length() >= 4) pid = attrs.u32be();
                else if (attrs.type() == NFTA_GEN_PROC_NAME) name = attrs.string();
            }
            l.committed(pid, name);
            return;
        }
        if (m.nfFamily() != NFPROTO_IPV4) return;
        // the table's name is attribute 1 of every object: NFTA_TABLE_NAME, NFTA_CHAIN_TABLE,
        // NFTA_RULE_TABLE, NFTA_SET_TABLE, NFTA_SET_ELEM_LIST_TABLE, NFTA_OBJ_TABLE
        m.nfAttributes(attrs);
        while (attrs.next()) {
            if (attrs.type() == 1) {
                l.changed(msg, attrs.string(), m.portId());
                return;
            }
        }
    }

    @Override
    public void close() {
        sock.close();
    }
}
