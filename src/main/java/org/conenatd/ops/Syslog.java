package org.conenatd.ops;

import org.conenatd.sys.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * Lines to the local syslog daemon over its datagram socket (/dev/log), as a detached daemon has
 * no terminal. Reconnects once when syslogd was restarted. Callers serialise.
 */
final class Syslog {
    private static final int LOG_DAEMON = 3 << 3;
    private static final int SOCKADDR_UN = 110;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment callState = Libc.newCallState(arena);
    private final MemorySegment sbuf = arena.allocate(4096);
    private final MemorySegment addr = arena.allocate(SOCKADDR_UN);
    private int fd = -1;

    Syslog() {
        addr.set(ValueLayout.JAVA_SHORT, 0, (short) Libc.AF_UNIX);
        addr.setString(2, "/dev/log");
        connect();
    }

    boolean connected() { return fd >= 0; }

    void send(int severity, String msg) {
        byte[] b = ("<" + (LOG_DAEMON | severity) + ">conenatd[" + ProcessHandle.current().pid() + "]: " + msg)
                .getBytes(StandardCharsets.UTF_8);
        int n = (int) Math.min(b.length, sbuf.byteSize());
        MemorySegment.copy(b, 0, sbuf, ValueLayout.JAVA_BYTE, 0, n);
        if (fd >= 0 && Libc.send(callState, fd, sbuf, n, Libc.MSG_DONTWAIT) >= 0) return;
        // syslogd restarted (ECONNREFUSED/ENOTCONN): reconnect once and retry
        if (fd >= 0) Libc.close(callState, fd);
        fd = -1;
        connect();
        if (fd >= 0) Libc.send(callState, fd, sbuf, n, Libc.MSG_DONTWAIT);
    }

    private void connect() {
        int s = Libc.socket(callState, Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (s < 0) return;
        if (Libc.connect(callState, s, addr, SOCKADDR_UN) < 0) {
            Libc.close(callState, s);
            return;
        }
        fd = s;
    }
}
