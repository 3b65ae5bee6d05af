package org.conenatd.netlink;

import org.conenatd.sys.Errno;
import org.conenatd.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A netlink socket over libc. Not thread-safe: each thread that talks to the kernel owns its own
 * socket, which also owns the errno capture segment its calls reuse.
 */
public final class NetlinkSocket implements NetlinkTransport {
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment callState = Libc.newCallState(arena);
    private final MemorySegment scratch = arena.allocate(16, 8);
    private final MemorySegment pollfd = arena.allocate(8, 4);
    // poll() runs on a thread other than the one receiving: its errno must not land in callState
    private final MemorySegment pollState = Libc.newCallState(arena);
    private final String name;
    private final int fd;
    private final int portId;
    private int seq = (int) (System.nanoTime() & 0x3fffffff) | 1;
    /** Set once by {@link #close}; a reader blocked in recv then sees EBADF and returns -1 quietly. */
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private NetlinkSocket(String name, int fd, int portId) {
        this.name = name;
        this.fd = fd;
        this.portId = portId;
    }

    /** Opens and binds a NETLINK_NETFILTER socket with extended acks and capped error echoes. */
    public static NetlinkSocket open(String name) throws NetlinkException {
        return open(name, Netlink.NETLINK_NETFILTER);
    }

    /** Socket options and subscriptions applied right after opening. */
    @FunctionalInterface
    public interface Setup {
        void apply(NetlinkSocket s) throws NetlinkException;
    }

    /** Opens a NETLINK_NETFILTER socket and sets it up; if the setup fails the socket is closed, not leaked. */
    public static NetlinkSocket open(String name, Setup setup) throws NetlinkException {
        NetlinkSocket s = open(name);
        try {
            setup.apply(s);
            return s;
        } catch (NetlinkException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    public static NetlinkSocket open(String name, int protocol) throws NetlinkException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cs = Libc.newCallState(a);
            int fd = Libc.socket(cs, Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, protocol);
            if (fd < 0) throw new NetlinkException(name + ": socket(AF_NETLINK)", Libc.errno(cs));
            MemorySegment sa = a.allocate(12, 4); // sockaddr_nl, all zero: kernel picks the port id
            sa.set(ValueLayout.JAVA_SHORT, 0, (short) Libc.AF_NETLINK);
            if (Libc.bind(cs, fd, sa, 12) < 0) {
                int err = Libc.errno(cs);
                Libc.close(cs, fd);
                throw new NetlinkException(name + ": bind", err);
            }
            MemorySegment len = a.allocate(ValueLayout.JAVA_INT);
            len.set(ValueLayout.JAVA_INT, 0, 12);
            if (Libc.getsockname(cs, fd, sa, len) < 0) {
                int err = Libc.errno(cs);
                Libc.close(cs, fd);
                throw new NetlinkException(name + ": getsockname", err);
            }
            NetlinkSocket s = new NetlinkSocket(name, fd, sa.get(ValueLayout.JAVA_INT, 4));
            // Best effort: older kernels lack these, and the codec copes either way.
            s.trySetInt(Netlink.SOL_NETLINK, Netlink.NETLINK_EXT_ACK, 1);
            s.trySetInt(Netlink.SOL_NETLINK, Netlink.NETLINK_CAP_ACK, 1);
            return s;
        }
    }

    @Override
    public String name() { return name; }
    public int fd() { return fd; }
    public int portId() { return portId; }

    @Override
    public int nextSeq() {
        seq++;
        if (seq == 0) seq = 1;
        return seq;
    }

    public void joinGroup(int group) throws NetlinkException {
        setInt(Netlink.SOL_NETLINK, Netlink.NETLINK_ADD_MEMBERSHIP, group, "join group " + group);
    }

    /** Sets the receive buffer, beyond rmem_max when we may (SO_RCVBUFFORCE needs CAP_NET_ADMIN). */
    public void setReceiveBuffer(int bytes) throws NetlinkException {
        if (!trySetInt(Libc.SOL_SOCKET, Libc.SO_RCVBUFFORCE, bytes)) {
            setInt(Libc.SOL_SOCKET, Libc.SO_RCVBUF, bytes, "SO_RCVBUF " + bytes);
        }
    }

    public void setSendBuffer(int bytes) throws NetlinkException {
        if (!trySetInt(Libc.SOL_SOCKET, Libc.SO_SNDBUFFORCE, bytes)) {
            setInt(Libc.SOL_SOCKET, Libc.SO_SNDBUF, bytes, "SO_SNDBUF " + bytes);
        }
    }

    /** The buffer size the kernel actually granted (it doubles the requested value). */
    public int receiveBuffer() throws NetlinkException {
        scratch.set(ValueLayout.JAVA_INT, 0, 0);
        scratch.set(ValueLayout.JAVA_INT, 8, 4);
        if (Libc.getsockopt(callState, fd, Libc.SOL_SOCKET, Libc.SO_RCVBUF, scratch, scratch.asSlice(8)) < 0) {
            throw new NetlinkException(name + ": getsockopt SO_RCVBUF", Libc.errno(callState));
        }
        return scratch.get(ValueLayout.JAVA_INT, 0);
    }

    /** Bounds each blocking receive so reader threads can notice shutdown. */
    public void setReceiveTimeout(long millis) throws NetlinkException {
        scratch.set(ValueLayout.JAVA_LONG, 0, millis / 1000);
        scratch.set(ValueLayout.JAVA_LONG, 8, (millis % 1000) * 1000);
        if (Libc.setsockopt(callState, fd, Libc.SOL_SOCKET, Libc.SO_RCVTIMEO, scratch, 16) < 0) {
            throw new NetlinkException(name + ": SO_RCVTIMEO", Libc.errno(callState));
        }
    }

    /**
     * Attaches a classic BPF receive filter ({@link SocketFilter}) of {@code insns} instructions:
     * struct sock_fprog { unsigned short len; struct sock_filter *filter; }.
     */
    public void attachFilter(MemorySegment program, int insns) throws NetlinkException {
        MemorySegment fprog = arena.allocate(16, 8);
        fprog.set(ValueLayout.JAVA_SHORT, 0, (short) insns);
        fprog.set(ValueLayout.ADDRESS, 8, program);
        if (Libc.setsockopt(callState, fd, Libc.SOL_SOCKET, SocketFilter.SO_ATTACH_FILTER, fprog, 16) < 0) {
            throw new NetlinkException(name + ": SO_ATTACH_FILTER", Libc.errno(callState));
        }
    }

    public void setNoEnobufs(boolean on) throws NetlinkException {
        setInt(Netlink.SOL_NETLINK, Netlink.NETLINK_NO_ENOBUFS, on ? 1 : 0, "NETLINK_NO_ENOBUFS");
    }

    @Override
    public void send(MemorySegment buf, int len) throws NetlinkException {
        while (true) {
            long n = Libc.send(callState, fd, buf, len, 0);
            if (n >= 0) return;
            int err = Libc.errno(callState);
            if (err != Errno.EINTR) throw new NetlinkException(name + ": send", err);
        }
    }

    /**
     * Receives one datagram. Returns its length, or -1 when the receive timeout expired (or, with
     * {@code dontWait}, when nothing is queued). Throws on errors, ENOBUFS included: the caller
     * decides whether lost messages matter.
     */
    @Override
    public int receive(MemorySegment buf, boolean dontWait) throws NetlinkException {
        while (true) {
            long n = Libc.recv(callState, fd, buf, buf.byteSize(), dontWait ? Libc.MSG_DONTWAIT : 0);
            if (n >= 0) return (int) n;
            int err = Libc.errno(callState);
            if (err == Errno.EINTR) continue;
            if (err == Errno.EAGAIN) return -1;
            if (closed.get()) return -1;
            throw new NetlinkException(name + ": recv", err);
        }
    }

    /** One recvmmsg(MSG_WAITFORONE) fills the whole batch. */
    @Override
    public int receiveMany(BatchReceiver batch) throws NetlinkException {
        while (true) {
            int n = Libc.recvmmsg(callState, fd, batch.vector(), batch.capacity(), Libc.MSG_WAITFORONE);
            if (n >= 0) return n;
            int err = Libc.errno(callState);
            if (err == Errno.EINTR) continue;
            if (err == Errno.EAGAIN) return -1;
            if (closed.get()) return -1;
            throw new NetlinkException(name + ": recvmmsg", err);
        }
    }

    /** Waits up to {@code timeoutMs} for data without consuming it; true if a receive would not block. */
    @Override
    public boolean awaitReadable(int timeoutMs) throws NetlinkException {
        pollfd.set(ValueLayout.JAVA_INT, 0, fd);
        pollfd.set(ValueLayout.JAVA_SHORT, 4, Libc.POLLIN);
        pollfd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
        int n = Libc.poll(pollState, pollfd, 1, timeoutMs);
        if (n >= 0) return n > 0;
        int err = Libc.errno(pollState);
        if (err == Errno.EINTR) return false;
        throw new NetlinkException(name + ": poll", err);
    }

    public void setInt(int level, int opt, int value, String what) throws NetlinkException {
        if (!trySetInt(level, opt, value)) {
            throw new NetlinkException(name + ": " + what, Libc.errno(callState));
        }
    }

    private boolean trySetInt(int level, int opt, int value) {
        scratch.set(ValueLayout.JAVA_INT, 0, value);
        return Libc.setsockopt(callState, fd, level, opt, scratch, 4) == 0;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        Libc.close(callState, fd);
    }
}
