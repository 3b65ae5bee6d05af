package org.conenatd.nftables;

import org.conenatd.netlink.Encoder;
import org.conenatd.sys.Errno;
import org.conenatd.netlink.MessageReader;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.netlink.NetlinkRequests;
import org.conenatd.netlink.NetlinkSocket;
import org.conenatd.netlink.NetlinkTransport;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static org.conenatd.nftables.NfTables.*;

/**
 * Keeps the maps of one IPv4 nf_tables table up to date over one NETLINK_NETFILTER socket.
 * Changes are staged ({@link #add}, {@link #remove}) and sent as one transaction by {@link #commit}:
 * consecutive changes of the same kind to the same map share a message, so a batch of 64 updates
 * of two maps is a handful of messages in one datagram. One thread at a time; staging and committing
 * allocate nothing.
 *
 * <p>A transaction is all or nothing: if any element fails (EEXIST, ENOENT, EINVAL...) the kernel
 * rolls everything back and reports an error for each failing message. The kernel handles the batch
 * inside the send(), so by the time send() returns every error is queued on the socket.
 *
 * <p>Over 300 lines because it is the one owner of its socket: element staging, ruleset
 * transactions, table queries and dumps all share the socket, its buffers and the sequence of
 * answers, and an owned table accepts changes from this socket only.
 */
public final class NftMaps implements AutoCloseable {
    /** Receives each element of a dump in one reused view. */
    public interface Visitor {
        void element(SetElemView e);
    }

    private static final int BATCH_BYTES = 512 * 1024;

    private final NetlinkTransport sock;
    private final byte[] tableZ;
    private final String table;
    private final Encoder enc, small;
    private final MemorySegment rbuf;
    private final MessageReader reader = new MessageReader();
    private final SetElemView view = new SetElemView();
    private final BatchError batchError = new BatchError();
    private boolean ackCommit = true;

    // staging: one row per message of the batch being built
    private int[] msgSeq = new int[16], msgStart = new int[16], msgEnd = new int[16], msgFirstElement = new int[16];
    private NftMap[] msgMap = new NftMap[16];
    private int[] msgKind = new int[16];
    private int messages, elements, beginSeq, openMsg = -1, failedElement = -1;

    public NftMaps(NetlinkTransport sock, String table) {
        this.sock = sock;
        this.table = table;
        this.tableZ = SetElems.nulTerminated(table, NFT_TABLE_MAXNAMELEN);
        Arena arena = Arena.ofAuto();
        this.enc = new Encoder(arena.allocate(BATCH_BYTES, 8));
        this.small = new Encoder(arena.allocate(4096, 8));
        this.rbuf = arena.allocate(256 * 1024, 8);
    }

    /** Opens a socket in the calling thread's network namespace. */
    public static NftMaps open(String table) throws NetlinkException {
        return new NftMaps(NetlinkSocket.open("nftables", s -> {
            s.setReceiveTimeout(5000);
            s.setSendBuffer(2 * BATCH_BYTES); // the kernel refuses a datagram larger than the send buffer
        }), table);
    }

    public String table() { return table; }

    /**
     * With {@code true} (the default) the batch end asks for an ACK, which the kernel sends only
     * when the whole transaction committed: a positive confirmation for one extra 36-byte reply.
     * Without it, success is the absence of errors after send().
     */
    public void ackCommit(boolean on) { ackCommit = on; }

    /** Stages adding an element; the datatypes of {@code map} say which fields count. */
    public void add(NftMap map, int keyAddr, int keyPort, int dataAddr, int dataPort) {
        add(map, keyAddr, keyPort, dataAddr, dataPort, 0);
    }

    /** Stages adding an element that the kernel drops after {@code timeoutMs} (0: never). */
    public void add(NftMap map, int keyAddr, int keyPort, int dataAddr, int dataPort, long timeoutMs) {
        open(map, NFT_MSG_NEWSETELEM, org.conenatd.netlink.Netlink.NLM_F_CREATE);
        SetElems.element(enc, map.key(), keyAddr, keyPort, map.data(), dataAddr, dataPort, timeoutMs, 0);
        elements++;
    }

    /** Stages removing the element with this key; the commit fails with ENOENT if it is absent. */
    public void remove(NftMap map, int keyAddr, int keyPort) {
        open(map, NFT_MSG_DELSETELEM, 0);
        SetElems.keyElement(enc, map.key(), keyAddr, keyPort);
        elements++;
    }

    /** Stages removing the element with this key if it is there (NFT_MSG_DESTROYSETELEM, Linux >= 6.3). */
    public void removeIfPresent(NftMap map, int keyAddr, int keyPort) {
        open(map, NFT_MSG_DESTROYSETELEM, 0);
        SetElems.keyElement(enc, map.key(), keyAddr, keyPort);
        elements++;
    }

    /** Elements staged since the last commit or discard. */
    public int staged() { return elements; }

    /** Forgets the staged changes. */
    public void discard() {
        enc.reset();
        messages = elements = 0;
        openMsg = -1;
    }

    /**
     * After a commit failed: the index, in staging order, of the element the kernel rejected, or -1
     * if it pointed at no element. Dropping it and staging the rest again retries the others.
     */
    public int failedElement() { return failedElement; }

    /**
     * Sends the staged changes as one transaction. Throws the kernel's error for the first failing
     * message (errno, and which element it pointed at) after which nothing of the batch applies.
     */
    public void commit() throws NetlinkException {
        failedElement = -1;
        if (elements == 0) {
            discard();
            return;
        }
        closeMessage();
        int endSeq = sock.nextSeq();
        SetElems.batchEnd(enc, endSeq, ackCommit);
        int total = elements;
        try {
            sock.send(enc);
            awaitOutcome(endSeq, total);
        } finally {
            discard();
        }
    }

    /** Names the error the kernel reported for one message of a batch. */
    private interface Failure {
        NetlinkException of(MessageReader err, int errno);
    }

    private void awaitOutcome(int endSeq, int total) throws NetlinkException {
        awaitOutcome(beginSeq, endSeq, ackCommit, "nft commit of " + total + " elements", (err, errno) -> failure(err, errno, total));
    }

    /**
     * Reads the answers to a batch already sent: its errors, and the ACK of its end when asked for.
     * Throws the first message's error, saying how many more failed.
     */
    private void awaitOutcome(int from, int endSeq, boolean ack, String what, Failure failure) throws NetlinkException {
        boolean committed = false, failed = false;
        NetlinkException first = null;
        int failures = 0;
        boolean wait = false;
        while (true) {
            int n = sock.receive(rbuf, !wait);
            if (n < 0) {
                if (wait) throw new NetlinkException(what + ": no answer", Errno.ETIMEDOUT, null, endSeq);
                if (failed || committed || !ack) break;
                wait = true; // the ACK is not queued yet (never seen: the batch runs inside send())
                continue;
            }
            reader.wrap(rbuf, 0, n);
            while (reader.next()) {
                if (!reader.isError() || !(reader.seq() - from >= 0 && endSeq - reader.seq() >= 0)) continue;
                int code = reader.errorCode();
                if (code == 0) {
                    if (reader.seq() == endSeq) committed = true;
                    continue;
                }
                failed = true;
                if (failures++ == 0) first = failure.of(reader, -code);
            }
            if (wait && (failed || committed)) break;
        }
        if (first != null) {
            if (failures > 1) {
                first = new NetlinkException(first.op() + " (and " + (failures - 1) + " more failing messages)",
                        first.errno(), first.extAck(), first.seq());
            }
            throw first;
        }
    }

    /**
     * Sends a transaction of ruleset changes over this socket (the one that owns conenatd's table:
     * the kernel refuses changes to an owned table from any other) and waits for the kernel's
     * confirmation. Throws the error of the first refused message, named by what it does.
     */
    public void commit(NftBatch batch) throws NetlinkException {
        batch.end(true);
        sock.send(batch.encoder());
        awaitOutcome(batch.beginSeq(), batch.endSeq(), true, "nft transaction of " + batch.messages() + " messages",
                (err, errno) -> {
                    String d = batch.describe(err.seq());
                    return new NetlinkException(d != null ? d : "nft transaction", errno, err.extAck(), err.seq());
                });
    }

    /** A new ruleset transaction, encoded in this instance's own buffer (not while elements are staged). */
    public NftBatch batch() {
        if (elements > 0) throw new IllegalStateException("elements are staged");
        discard();
        return new NftBatch(enc, sock::nextSeq);
    }

    /** What the kernel says of a table: its flags, owner and handle (unique to each table made), or null if there is none. */
    public record TableInfo(int flags, int ownerPortId, long handle) {
        public TableInfo(int flags, int ownerPortId) {
            this(flags, ownerPortId, 0);
        }

        public boolean owned() { return (flags & NFT_TABLE_F_OWNER) != 0; }
    }

    /** GETTABLE of this instance's table. */
    public TableInfo tableInfo() throws NetlinkException {
        small.reset();
        int seq = sock.nextSeq();
        NftBatch.getTable(small, seq, table);
        int[] got = {-1, 0};
        long[] handle = {0};
        try {
            NetlinkRequests.request(sock, small, seq, "nft get table " + table, rbuf, msg -> {
                if (msg.type() != msgType(NFT_MSG_NEWTABLE)) return;
                org.conenatd.netlink.Decoder d = msg.nfAttributes(new org.conenatd.netlink.Decoder());
                got[0] = 0;
                while (d.next()) {
                    if (d.type() == NFTA_TABLE_FLAGS && d.length() >= 4) got[0] = d.u32be();
                    else if (d.type() == NFTA_TABLE_OWNER && d.length() >= 4) got[1] = d.u32be();
                    else if (d.type() == NFTA_TABLE_HANDLE && d.length() >= 8) handle[0] = d.u64be();
                }
            });
        } catch (NetlinkException e) {
            if (e.errno() == Errno.ENOENT) return null;
            throw e;
        }
        return got[0] < 0 ? null : new TableInfo(got[0], got[1], handle[0]);
    }

    /** The port id the kernel gave this instance's socket: the nlmsg_pid of the changes it makes. */
    public int portId() { return sock.portId(); }


    private NetlinkException failure(MessageReader err, int errno, int total) {
        int seq = err.seq();
        int i = messages - 1;
        while (i >= 0 && msgSeq[i] != seq) i--;
        String ext = err.extAck();
        if (i < 0) return new NetlinkException("nft commit of " + total + " elements", errno, ext, seq);
        batchError.locate(enc.buffer(), msgStart[i], msgEnd[i], batchError.badAttrOffset(err));
        if (batchError.elementIndex >= 0) failedElement = msgFirstElement[i] + batchError.elementIndex;
        String op = "nft " + kindName(msgKind[i]) + " " + table + " " + msgMap[i].name()
                + (batchError.what != null ? ": " + batchError.what : "") + " (batch of " + total + ")";
        return new NetlinkException(op, errno, ext, seq);
    }

    private static String kindName(int kind) {
        return switch (kind) {
            case NFT_MSG_NEWSETELEM -> "add";
            case NFT_MSG_DELSETELEM -> "delete";
            default -> "destroy";
        };
    }

    /** Continues the open message if it is the same change to the same map, else starts one. */
    private void open(NftMap map, int kind, int flags) {
        if (openMsg >= 0 && msgMap[messages - 1] == map && msgKind[messages - 1] == kind) return;
        if (elements == 0 && messages == 0) {
            enc.reset();
            beginSeq = sock.nextSeq();
            SetElems.batchBegin(enc, beginSeq);
        }
        closeMessage();
        if (messages == msgSeq.length) grow();
        int seq = sock.nextSeq();
        msgSeq[messages] = seq;
        msgMap[messages] = map;
        msgKind[messages] = kind;
        msgFirstElement[messages] = elements;
        msgStart[messages] = openMsg = SetElems.beginElements(enc, kind, flags, seq, tableZ, map.nameZ());
        messages++;
    }

    private void closeMessage() {
        if (openMsg < 0) return;
        SetElems.endElements(enc, openMsg);
        msgEnd[messages - 1] = enc.length();
        openMsg = -1;
    }

    private void grow() {
        int n = msgSeq.length * 2;
        msgSeq = Arrays.copyOf(msgSeq, n);
        msgStart = Arrays.copyOf(msgStart, n);
        msgEnd = Arrays.copyOf(msgEnd, n);
        msgFirstElement = Arrays.copyOf(msgFirstElement, n);
        msgKind = Arrays.copyOf(msgKind, n);
        msgMap = Arrays.copyOf(msgMap, n);
    }

    /** Dumps every element of {@code map} (NLM_F_DUMP), one reused view per element. */
    public void dump(NftMap map, Visitor visitor) throws NetlinkException {
        small.reset();
        int seq = sock.nextSeq();
        SetElems.dumpRequest(small, seq, tableZ, map.nameZ());
        String op = "nft dump " + table + " " + map.name();
        NetlinkRequests.request(sock, small, seq, op, rbuf, msg -> {
            if (!view.wrap(msg)) {
                throw new NetlinkException(op + ": malformed answer: " + view.error(), Errno.EINVAL, null, seq);
            }
            if (!view.isSet(map.nameZ())) return;
            while (view.next()) visitor.element(view);
            if (view.error() != null) {
                throw new NetlinkException(op + ": malformed element: " + view.error(), Errno.EINVAL, null, seq);
            }
        });
    }

    @Override
    public void close() {
        sock.close();
    }
}
