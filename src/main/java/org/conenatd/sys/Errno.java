package org.conenatd.sys;

/** The errno values the daemon reacts to, numbered as in asm-generic/errno-base.h and errno.h. */
public final class Errno {
    private Errno() {}

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    public static final int EOPNOTSUPP = 95;
    public static final int EADDRINUSE = 98;
    public static final int ENOBUFS = 105;
    public static final int ETIMEDOUT = 110;

    public static String name(int errno) {
        return Libc.errnoName(errno);
    }
}
