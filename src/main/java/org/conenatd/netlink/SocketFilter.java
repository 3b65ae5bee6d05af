package org.conenatd.netlink;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Classic BPF programs for a netlink socket's receive filter (SO_ATTACH_FILTER): the kernel runs
 * them on each datagram before it is queued, with the first nlmsghdr at offset 0, so a message the
 * program refuses never wakes the reader. Encoding only: {@link NetlinkSocket#attachFilter}
 * attaches one. Names as in linux/filter.h, linux/bpf_common.h and asm-generic/socket.h.
 */
public final class SocketFilter {
    private SocketFilter() {}

    public static final int SO_ATTACH_FILTER = 26;
    public static final int BPF_LD = 0x00, BPF_JMP = 0x05, BPF_RET = 0x06;
    public static final int BPF_W = 0x00, BPF_ABS = 0x20, BPF_JEQ = 0x10, BPF_K = 0x00;
    /** struct sock_filter: u16 code, u8 jt, u8 jf, u32 k. */
    public static final int INSN_SIZE = 8;
    private static final int NLMSG_PID_OFFSET = 12;

    /**
     * A program that drops every datagram whose first message was sent on behalf of netlink port
     * {@code portId} (its nlmsg_pid) and keeps the rest. nf_tables notifications carry the port id
     * of the socket whose transaction made them, and one datagram holds one transaction's
     * notifications only, so this drops exactly a socket's own.
     */
    public static MemorySegment dropFromPort(Arena arena, int portId) {
        // BPF_ABS loads are big-endian; nlmsg_pid is in host order
        int k = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? Integer.reverseBytes(portId) : portId;
        MemorySegment p = arena.allocate(4L * INSN_SIZE, 8);
        insn(p, 0, BPF_LD | BPF_W | BPF_ABS, 0, 0, NLMSG_PID_OFFSET);
        insn(p, 1, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, k); // equal: the next (drop); else skip it
        insn(p, 2, BPF_RET | BPF_K, 0, 0, 0);           // keep 0 bytes: dropped
        insn(p, 3, BPF_RET | BPF_K, 0, 0, 0xffff_ffff); // keep all
        return p;
    }

    static void insn(MemorySegment p, int i, int code, int jt, int jf, int k) {
        long at = (long) i * INSN_SIZE;
        p.set(ValueLayout.JAVA_SHORT, at, (short) code);
        p.set(ValueLayout.JAVA_BYTE, at + 2, (byte) jt);
        p.set(ValueLayout.JAVA_BYTE, at + 3, (byte) jf);
        p.set(ValueLayout.JAVA_INT, at + 4, k);
    }
}
