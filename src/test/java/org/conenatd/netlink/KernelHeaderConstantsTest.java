package org.conenatd.netlink;

import org.conenatd.sys.Errno;
import org.conenatd.sys.Libc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.conenatd.conntrack.Ctnetlink;
import org.conenatd.conntrack.Status;
import org.conenatd.nfqueue.Nfqnl;
import org.conenatd.nfqueue.Verdict;
import org.junit.jupiter.api.Test;

/**
 * Every public int constant of Netlink, Ctnetlink, Nfqnl and Errno, the Status bits and the
 * Verdict codes, checked against the kernel UAPI headers installed on this machine. A tiny
 * evaluator reads {@code #define NAME value} and C enums (implicit increments, {@code =} with
 * numbers, names, {@code |} and {@code <<}); anything it can't evaluate (sizeof, ~, macros with
 * arguments) is left unchecked. Skipped when the headers are missing.
 */
class KernelHeaderConstantsTest {

    private static final String[] HEADERS = {
        "/usr/include/linux/netlink.h",
        "/usr/include/linux/netfilter/nfnetlink.h",
        "/usr/include/linux/netfilter/nfnetlink_conntrack.h",
        "/usr/include/linux/netfilter/nfnetlink_queue.h",
        "/usr/include/linux/netfilter/nf_conntrack_common.h",
        "/usr/include/linux/netfilter.h",
        "/usr/include/asm-generic/errno-base.h",
        "/usr/include/asm-generic/errno.h",
        "/usr/include/linux/bpf_common.h",
        "/usr/include/linux/filter.h",
        "/usr/include/asm-generic/socket.h",
    };

    @Test
    void javaConstantsEqualTheKernelHeaders() throws Exception {
        Map<String, Long> h = UapiHeaders.values(HEADERS);
        int checked = 0;
        List<String> unchecked = new ArrayList<>();
        for (Class<?> c : new Class<?>[] {Netlink.class, Ctnetlink.class, Nfqnl.class, Errno.class, SocketFilter.class}) {
            for (Field f : c.getDeclaredFields()) {
                int m = f.getModifiers();
                if (!Modifier.isStatic(m) || !Modifier.isFinal(m) || f.getType() != int.class) continue;
                Long want = h.get(f.getName());
                if (want == null) {
                    unchecked.add(c.getSimpleName() + "." + f.getName());
                    continue;
                }
                assertEquals(want.longValue(), f.getInt(null) & 0xffffffffL, c.getSimpleName() + "." + f.getName());
                checked++;
            }
        }
        for (Status s : Status.values()) {
            Long bit = h.get(s.name() + "_BIT");
            assertTrue(bit != null, s.name() + "_BIT not in nf_conntrack_common.h");
            assertEquals(1L << bit, s.mask & 0xffffffffL, s.name());
            checked++;
        }
        for (Verdict v : Verdict.values()) {
            assertEquals(h.get(v.name()), Long.valueOf(v.code), v.name());
            checked++;
        }
        assertTrue(checked >= 120, "checked " + checked + ", unchecked " + unchecked);
        // what the evaluator can't see: NLMSG_HDRLEN (NLMSG_ALIGN(sizeof)), NLA_HDRLEN, NLA_TYPE_MASK (~),
        // SOL_NETLINK (in <bits/socket.h>), NFGENMSG_LEN (sizeof(struct nfgenmsg))
        assertTrue(unchecked.size() <= 8, "unchecked " + unchecked);
    }
}
