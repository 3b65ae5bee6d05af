package org.conenatd.dataplane;

import org.conenatd.netlink.NetlinkException;
import org.conenatd.ops.StartupException;
import org.conenatd.sys.Errno;

/** What an operator should check when the kernel refuses a netlink request at start-up. */
public final class StartupHints {
    private StartupHints() {}

    /**
     * The start-up error for a queue the kernel would not bind. It answers EPERM (we are root by
     * then) or EBUSY when another socket owns the queue; {@code advice} says what to do about that.
     */
    public static StartupException queueBind(int queueNum, NetlinkException e, String advice) {
        String why = e.errno() == Errno.EPERM || e.errno() == Errno.EBUSY
                ? "; queue " + queueNum + " is already bound by another process (" + advice + ")"
                : of(e);
        return new StartupException("cannot bind NFQUEUE " + queueNum + ": " + e.getMessage() + why, e);
    }

    /** As {@link #of}, for a transaction on conenatd's own table. */
    public static String ofNfTables(NetlinkException e) {
        return switch (e.errno()) {
            case Errno.EPERM -> "; needs CAP_NET_ADMIN, or another process owns the table";
            case Errno.EOPNOTSUPP, Errno.ENOENT ->
                    "; does the kernel have nf_tables with nat, fib, ct, objref and nft_compat (xt_NFQUEUE) support?";
            default -> "";
        };
    }

    /** "cannot open {@code what}: the kernel's answer; a hint", keeping the error as the cause. */
    public static StartupException cannotOpen(String what, NetlinkException e) {
        return new StartupException("cannot open " + what + ": " + e.getMessage() + of(e), e);
    }

    /** "; needs CAP_NET_ADMIN ..." and the like, to append to the error's message; "" if none fits. */
    public static String of(NetlinkException e) {
        return switch (e.errno()) {
            case Errno.EPERM -> "; needs CAP_NET_ADMIN: run it as root";
            case Errno.EOPNOTSUPP, Errno.ENOENT, Errno.EINVAL ->
                    "; is the kernel's nf_conntrack_netlink / nfnetlink_queue support loaded?";
            default -> "";
        };
    }
}
