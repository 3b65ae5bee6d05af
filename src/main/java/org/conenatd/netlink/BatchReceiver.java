package org.conenatd.netlink;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The struct mmsghdr / iovec array recvmmsg(2) fills, built once over a fixed set of buffers:
 * one system call then brings in as many queued datagrams as there are buffers.
 */
public final class BatchReceiver {
    // x86_64 / aarch64 LP64 layout: struct msghdr is 56 bytes, struct mmsghdr 64, struct iovec 16
    private static final int MSGHDR = 56, MMSGHDR = 64, IOVEC = 16;
    private final MemorySegment[] bufs;
    private final MemorySegment vec;

    public BatchReceiver(MemorySegment[] bufs) {
        this.bufs = bufs;
        Arena arena = Arena.ofAuto();
        vec = arena.allocate((long) MMSGHDR * bufs.length, 8);
        MemorySegment iov = arena.allocate((long) IOVEC * bufs.length, 8);
        for (int i = 0; i < bufs.length; i++) {
            iov.set(ValueLayout.ADDRESS, (long) i * IOVEC, bufs[i]);
            iov.set(ValueLayout.JAVA_LONG, (long) i * IOVEC + 8, bufs[i].byteSize());
            long m = (long) i * MMSGHDR;
            vec.set(ValueLayout.ADDRESS, m + 16, iov.asSlice((long) i * IOVEC, IOVEC)); // msg_iov
            vec.set(ValueLayout.JAVA_LONG, m + 24, 1);                                  // msg_iovlen
        }
    }

    public MemorySegment buffer(int i) { return bufs[i]; }
    public int capacity() { return bufs.length; }

    /** Receives a batch; -1 if nothing arrived within the transport's receive timeout. */
    public int receive(NetlinkTransport t) throws NetlinkException {
        return t.receiveMany(this);
    }

    /** The struct mmsghdr array, for recvmmsg. */
    MemorySegment vector() { return vec; }

    /** Records the length of datagram {@code i}, for transports that receive one at a time. */
    public void setLength(int i, int len) {
        vec.set(ValueLayout.JAVA_INT, (long) i * MMSGHDR + MSGHDR, len);
    }

    /** Length of datagram {@code i} of the last batch. */
    public int length(int i) {
        return vec.get(ValueLayout.JAVA_INT, (long) i * MMSGHDR + MSGHDR);
    }
}
