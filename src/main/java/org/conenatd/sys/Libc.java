package org.conenatd.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The libc calls conenatd needs, as FFM downcalls. Every call that can fail captures errno into a
 * caller-owned segment (see {@link #newCallState}); errno is read only after a -1 return, since it
 * is stale otherwise.
 */
public final class Libc {
    private Libc() {}

    public static final int AF_UNSPEC = 0;
    public static final int AF_UNIX = 1;
    public static final int AF_INET = 2;
    public static final int AF_NETLINK = 16;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1;
    public static final int SO_RCVBUF = 8;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVTIMEO = 20; // struct timeval on x86_64
    public static final int SO_RCVBUFFORCE = 33;
    public static final int SO_SNDBUFFORCE = 32;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int MSG_TRUNC = 0x20;
    public static final int O_RDONLY = 0;
    public static final int O_CLOEXEC = 0x80000;
    public static final int CLONE_NEWNET = 0x40000000;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    // Handles the daemon needs at start-up are eager; the rest sit in holder classes and link
    // on first use, since every downcall handle generates code when created.
    private static MethodHandle errnoCall(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(), fd, CAPTURE_ERRNO);
    }

    private static MethodHandle plainCall(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(), fd);
    }

    private static final MethodHandle SOCKET = errnoCall("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle BIND = errnoCall("bind",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKNAME = errnoCall("getsockname",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SETSOCKOPT = errnoCall("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SEND = errnoCall("send",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle RECV = errnoCall("recv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle RECVMMSG = errnoCall("recvmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle CLOSE = errnoCall("close",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle POLL = errnoCall("poll",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle GETEUID = plainCall("geteuid", FunctionDescriptor.of(JAVA_INT));

    private static final class CONNECT_ { static final MethodHandle H = errnoCall("connect",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT)); }
    private static final class GETSOCKOPT_ { static final MethodHandle H = errnoCall("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS)); }
    private static final class OPEN_ { static final MethodHandle H = errnoCall("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT)); }
    private static final class SETNS_ { static final MethodHandle H = errnoCall("setns",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT)); }
    private static final class SENDTO_ { static final MethodHandle H = errnoCall("sendto",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT)); }
    // strerrorname_np is glibc 2.32+; without it errno names come out as "errno N"
    private static final class STRERRORNAME_NP_ { static final MethodHandle H = LIBC.find("strerrorname_np")
            .map(a -> LINKER.downcallHandle(a, FunctionDescriptor.of(ADDRESS, JAVA_INT))).orElse(null); }
    private static final String[] ERRNO_NAMES = new String[256];
    private static final class STRERROR_ { static final MethodHandle H = plainCall("strerror",
            FunctionDescriptor.of(ADDRESS, JAVA_INT)); }
    /** Warms the handles every start-up needs (linking one costs milliseconds on a cold JVM). */
    public static void link() {
        // class initialisation of Libc links the eager handles below
    }

    /** A segment to capture errno into; one per thread or per socket, reused for every call. */
    public static MemorySegment newCallState(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    public static int errno(MemorySegment callState) {
        return (int) ERRNO.get(callState, 0L);
    }

    public static int socket(MemorySegment cs, int domain, int type, int protocol) {
        try {
            return (int) SOCKET.invokeExact(cs, domain, type, protocol);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int bind(MemorySegment cs, int fd, MemorySegment addr, int len) {
        try {
            return (int) BIND.invokeExact(cs, fd, addr, len);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int connect(MemorySegment cs, int fd, MemorySegment addr, int len) {
        try {
            return (int) CONNECT_.H.invokeExact(cs, fd, addr, len);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int getsockname(MemorySegment cs, int fd, MemorySegment addr, MemorySegment lenPtr) {
        try {
            return (int) GETSOCKNAME.invokeExact(cs, fd, addr, lenPtr);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int setsockopt(MemorySegment cs, int fd, int level, int name, MemorySegment val, int len) {
        try {
            return (int) SETSOCKOPT.invokeExact(cs, fd, level, name, val, len);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int getsockopt(MemorySegment cs, int fd, int level, int name, MemorySegment val, MemorySegment lenPtr) {
        try {
            return (int) GETSOCKOPT_.H.invokeExact(cs, fd, level, name, val, lenPtr);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long send(MemorySegment cs, int fd, MemorySegment buf, long len, int flags) {
        try {
            return (long) SEND.invokeExact(cs, fd, buf, len, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long sendto(MemorySegment cs, int fd, MemorySegment buf, long len, int flags,
                              MemorySegment addr, int addrLen) {
        try {
            return (long) SENDTO_.H.invokeExact(cs, fd, buf, len, flags, addr, addrLen);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long recv(MemorySegment cs, int fd, MemorySegment buf, long len, int flags) {
        try {
            return (long) RECV.invokeExact(cs, fd, buf, len, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static final int MSG_WAITFORONE = 0x10000;

    /** recvmmsg(2) without a timeout (the socket's SO_RCVTIMEO bounds the wait for the first). */
    public static int recvmmsg(MemorySegment cs, int fd, MemorySegment msgvec, int vlen, int flags) {
        try {
            return (int) RECVMMSG.invokeExact(cs, fd, msgvec, vlen, flags, MemorySegment.NULL);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int close(MemorySegment cs, int fd) {
        try {
            return (int) CLOSE.invokeExact(cs, fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int open(MemorySegment cs, MemorySegment path, int flags) {
        try {
            return (int) OPEN_.H.invokeExact(cs, path, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int setns(MemorySegment cs, int fd, int nstype) {
        try {
            return (int) SETNS_.H.invokeExact(cs, fd, nstype);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static final short POLLIN = 1;

    /** poll(2) on an array of struct pollfd {int fd; short events; short revents;}. */
    public static int poll(MemorySegment cs, MemorySegment fds, long nfds, int timeoutMs) {
        try {
            return (int) POLL.invokeExact(cs, fds, nfds, timeoutMs);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int geteuid() {
        try {
            return (int) GETEUID.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** "ENOBUFS" for 105; "errno N" where libc has no name. */
    public static String errnoName(int errno) {
        if (errno >= 0 && errno < ERRNO_NAMES.length && ERRNO_NAMES[errno] != null) return ERRNO_NAMES[errno];
        String name = "errno " + errno;
        try {
            if (STRERRORNAME_NP_.H != null) {
                MemorySegment p = (MemorySegment) STRERRORNAME_NP_.H.invokeExact(errno);
                if (!p.equals(MemorySegment.NULL)) name = p.reinterpret(64).getString(0);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (errno >= 0 && errno < ERRNO_NAMES.length) ERRNO_NAMES[errno] = name; // benign race: same value
        return name;
    }

    public static String strerror(int errno) {
        try {
            MemorySegment p = (MemorySegment) STRERROR_.H.invokeExact(errno);
            return p.equals(MemorySegment.NULL) ? "" : p.reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
