package org.conenatd.netlink;

import org.conenatd.sys.Errno;
import org.conenatd.sys.Libc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    };

    private static Map<String, Long> headerValues() throws IOException {
        Map<String, Long> v = new HashMap<>();
        for (String h : HEADERS) {
            Path p = Path.of(h);
            assumeTrue(Files.isReadable(p), "kernel headers not installed: " + h);
            String src = Files.readString(p).replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\n]*", " ");
            Matcher d = Pattern.compile("(?m)^[ \\t]*#[ \\t]*define[ \\t]+(\\w+)[ \\t]+([^\\n]+)$").matcher(src);
            while (d.find()) {
                Long x = eval(d.group(2).trim(), v);
                if (x != null) v.putIfAbsent(d.group(1), x);
            }
            Matcher e = Pattern.compile("(?s)enum\\s*\\w*\\s*\\{(.*?)\\}").matcher(src);
            while (e.find()) {
                long next = 0;
                for (String item : e.group(1).replaceAll("(?m)^[ \\t]*#[^\\n]*$", " ").split(",")) {
                    item = item.trim();
                    if (item.isEmpty()) continue;
                    String name = item, expr = null;
                    int eq = item.indexOf('=');
                    if (eq >= 0) {
                        name = item.substring(0, eq).trim();
                        expr = item.substring(eq + 1).trim();
                    }
                    if (!name.matches("\\w+")) break;
                    Long x = expr == null ? Long.valueOf(next) : eval(expr, v);
                    if (x == null) break;               // can't follow the implicit numbering after this
                    v.putIfAbsent(name, x);
                    next = x + 1;
                }
            }
        }
        return v;
    }

    /** Evaluates numbers, known names, parentheses, | and <<; null for anything else. */
    private static Long eval(String expr, Map<String, Long> known) {
        List<String> tokens = new ArrayList<>();
        Matcher t = Pattern.compile("\\s*(0[xX][0-9a-fA-F]+|\\d+|\\w+|<<|[|()])").matcher(expr);
        int at = 0;
        while (at < expr.length()) {
            if (!t.find(at) || t.start() != at) return null;
            tokens.add(t.group(1));
            at = t.end();
            while (at < expr.length() && Character.isWhitespace(expr.charAt(at))) at++;
        }
        int[] pos = {0};
        Long r = or(tokens, pos, known);
        return r != null && pos[0] == tokens.size() ? r : null;
    }

    private static Long or(List<String> tk, int[] pos, Map<String, Long> known) {
        Long l = shift(tk, pos, known);
        while (l != null && pos[0] < tk.size() && tk.get(pos[0]).equals("|")) {
            pos[0]++;
            Long r = shift(tk, pos, known);
            l = r == null ? null : l | r;
        }
        return l;
    }

    private static Long shift(List<String> tk, int[] pos, Map<String, Long> known) {
        Long l = atom(tk, pos, known);
        while (l != null && pos[0] < tk.size() && tk.get(pos[0]).equals("<<")) {
            pos[0]++;
            Long r = atom(tk, pos, known);
            l = r == null ? null : l << r;
        }
        return l;
    }

    private static Long atom(List<String> tk, int[] pos, Map<String, Long> known) {
        if (pos[0] >= tk.size()) return null;
        String s = tk.get(pos[0]++);
        if (s.equals("(")) {
            Long v = or(tk, pos, known);
            if (v == null || pos[0] >= tk.size() || !tk.get(pos[0]++).equals(")")) return null;
            return v;
        }
        if (s.matches("0[xX][0-9a-fA-F]+")) return Long.parseLong(s.substring(2), 16);
        if (s.matches("\\d+")) return Long.parseLong(s);
        return known.get(s);
    }

    @Test
    void javaConstantsEqualTheKernelHeaders() throws Exception {
        Map<String, Long> h = headerValues();
        int checked = 0;
        List<String> unchecked = new ArrayList<>();
        for (Class<?> c : new Class<?>[] {Netlink.class, Ctnetlink.class, Nfqnl.class, Errno.class}) {
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
