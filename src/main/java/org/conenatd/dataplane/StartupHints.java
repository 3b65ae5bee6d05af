package org.conenatd.dataplane;

import org.conenatd.netlink.NetlinkException;
import org.conenatd.sys.Errno;

/** What an operator should check when the kernel refuses a netlink request at start-up. */
public final class StartupHints {
    private StartupHints() {}

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
