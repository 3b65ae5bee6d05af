package org.conenatd.netlink;

import org.conenatd.sys.Errno;
import org.conenatd.sys.Libc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The exception text is what an operator reads in the log: op, errno name, strerror, ext-ack, seq. */
class NetlinkExceptionTest {

    @Test
    void messageNamesTheOpTheErrnoItsTextTheExtAckAndTheSeq() {
        NetlinkException e = new NetlinkException(
                "create udp 198.51.100.7:3478 -> 203.0.113.1:40000 dnat 10.0.0.2:5000", Errno.EEXIST, "entry exists", 7);
        assertEquals("create udp 198.51.100.7:3478 -> 203.0.113.1:40000 dnat 10.0.0.2:5000: "
                + "EEXIST (File exists): entry exists [seq 7]", e.getMessage());
        assertEquals("create udp 198.51.100.7:3478 -> 203.0.113.1:40000 dnat 10.0.0.2:5000", e.op());
        assertEquals(17, e.errno());
        assertEquals("EEXIST", e.errnoName());
        assertEquals("entry exists", e.extAck());
        assertEquals(7, e.seq());
    }

    @Test
    void plainSyscallFailureHasNeitherExtAckNorSeq() {
        NetlinkException e = new NetlinkException("conntrack events: recv", Errno.ENOBUFS);
        assertEquals("conntrack events: recv: ENOBUFS (No buffer space available)", e.getMessage());
        assertNull(e.extAck());
        assertEquals(0, e.seq());
    }

    @Test
    void emptyExtAckIsLeftOut() {
        NetlinkException e = new NetlinkException("bind queue 7", Errno.EPERM, "", 3);
        assertEquals("bind queue 7: EPERM (Operation not permitted) [seq 3]", e.getMessage());
    }

    @Test
    void seqIsPrintedUnsigned() {
        NetlinkException e = new NetlinkException("dump", Errno.EINVAL, null, 0xfffffffe);
        assertTrue(e.getMessage().endsWith("[seq 4294967294]"), e.getMessage());
        assertFalse(e.getMessage().contains("-2"));
    }

    @Test
    void errnoWithoutANameIsShownAsItsNumber() {
        assertEquals("errno 4000", Errno.name(4000));
        NetlinkException e = new NetlinkException("op", 4000, null, 1);
        assertTrue(e.getMessage().startsWith("op: errno 4000 ("), e.getMessage());
    }

    @Test
    void errnoNamesMatchTheKernelNumbers() {
        assertEquals("EPERM", Errno.name(Errno.EPERM));
        assertEquals("ENOENT", Errno.name(Errno.ENOENT));
        assertEquals("EINTR", Errno.name(Errno.EINTR));
        assertEquals("EAGAIN", Errno.name(Errno.EAGAIN));
        assertEquals("ENOMEM", Errno.name(Errno.ENOMEM));
        assertEquals("EBUSY", Errno.name(Errno.EBUSY));
        assertEquals("EEXIST", Errno.name(Errno.EEXIST));
        assertEquals("EINVAL", Errno.name(Errno.EINVAL));
        assertEquals("ENOSPC", Errno.name(Errno.ENOSPC));
        assertEquals("EOPNOTSUPP", Errno.name(Errno.EOPNOTSUPP));
        assertEquals("ENOBUFS", Errno.name(Errno.ENOBUFS));
        assertEquals("ETIMEDOUT", Errno.name(Errno.ETIMEDOUT));
    }
}
