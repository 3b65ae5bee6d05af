package org.conenatd.dataplane.kernel;

import org.conenatd.sys.Errno;
import org.conenatd.sys.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * One kernel-mode instance per network namespace: the table and its rules are shared by name, so a
 * second instance must refuse before it touches them. The lock is an abstract Unix socket name,
 * which the kernel scopes to the network namespace and frees when the process dies, even by
 * {@code kill -9}: no stale lock file to clean up.
 */
final class InstanceLock implements AutoCloseable {
    private static final String NAME = "conenatd/kernel-mode";
    private final Arena arena = Arena.ofShared();
    private final MemorySegment cs = Libc.newCallState(arena);
    private final int fd;

    private InstanceLock(int fd) {
        this.fd = fd;
    }

    /** The lock, or null if another instance in this namespace holds it. Throws for other failures. */
    static InstanceLock tryAcquire() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cs = Libc.newCallState(a);
            int fd = Libc.socket(cs, Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
            if (fd < 0) throw new IllegalStateException("socket(AF_UNIX): " + Errno.name(Libc.errno(cs)));
            byte[] name = NAME.getBytes(StandardCharsets.US_ASCII);
            MemorySegment sa = a.allocate(2 + 1 + name.length);
            sa.set(ValueLayout.JAVA_SHORT, 0, (short) Libc.AF_UNIX);
            sa.set(ValueLayout.JAVA_BYTE, 2, (byte) 0); // a leading NUL: the abstract namespace
            MemorySegment.copy(name, 0, sa, ValueLayout.JAVA_BYTE, 3, name.length);
            if (Libc.bind(cs, fd, sa, (int) sa.byteSize()) < 0) {
                int err = Libc.errno(cs);
                Libc.close(cs, fd);
                if (err == Errno.EADDRINUSE) return null;
                throw new IllegalStateException("bind(@" + NAME + "): " + Errno.name(err));
            }
            return new InstanceLock(fd);
        }
    }

    @Override
    public void close() {
        Libc.close(cs, fd);
    }
}
