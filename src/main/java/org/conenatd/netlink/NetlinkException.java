package org.conenatd.netlink;

import org.conenatd.sys.Errno;
import org.conenatd.sys.Libc;
import java.io.IOException;

/**
 * A failed netlink or socket operation: what was attempted, the errno (with its name), the kernel's
 * extended-ack text when it sent one, and the sequence number of the request it answers (0 for a
 * plain syscall failure).
 */
public final class NetlinkException extends IOException {
    private final String op;
    private final int errno;
    private final String extAck;
    private final int seq;

    public NetlinkException(String op, int errno, String extAck, int seq) {
        super(format(op, errno, extAck, seq));
        this.op = op;
        this.errno = errno;
        this.extAck = extAck;
        this.seq = seq;
    }

    public NetlinkException(String op, int errno) {
        this(op, errno, null, 0);
    }

    private static String format(String op, int errno, String extAck, int seq) {
        StringBuilder sb = new StringBuilder(op).append(": ").append(Errno.name(errno))
                .append(" (").append(Libc.strerror(errno)).append(')');
        if (extAck != null && !extAck.isEmpty()) sb.append(": ").append(extAck);
        if (seq != 0) sb.append(" [seq ").append(Integer.toUnsignedString(seq)).append(']');
        return sb.toString();
    }

    public String op() { return op; }
    public int errno() { return errno; }
    public String errnoName() { return Errno.name(errno); }
    public String extAck() { return extAck; }
    public int seq() { return seq; }
}
