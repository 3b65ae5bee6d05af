package org.conenatd.nftables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import org.junit.jupiter.api.Test;

/**
 * Every public int constant of NfTables checked against the UAPI headers installed on this machine,
 * the way netlink.KernelHeaderConstantsTest checks the other packages: {@code #define NAME value}
 * and C enums (implicit increments, {@code =} with numbers, names, {@code |}, {@code <<} and, for
 * {@code NLMSG_MIN_TYPE+1}, {@code +}). Skipped when the headers are missing.
 */
class NfTablesHeaderConstantsTest {

    private static final String[] HEADERS = {
        "/usr/include/linux/netlink.h",
        "/usr/include/linux/netfilter/nfnetlink.h",
        "/usr/include/linux/netfilter/nf_tables.h",
        "/usr/include/linux/netfilter.h",
    };

    /** Newer than Debian 12's 6.1 UAPI headers; the kernel value is pinned by NftMapsIT instead. */
    private static final List<String> NEWER_THAN_HEADERS = List.of("NFT_MSG_DESTROYSETELEM");

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

    /** Numbers, known names, parentheses, |, << and +; null for anything else. */
    private static Long eval(String expr, Map<String, Long> known) {
        List<String> tokens = new ArrayList<>();
        Matcher t = Pattern.compile("\\s*(0[xX][0-9a-fA-F]+|\\d+|\\w+|<<|[|()+])").matcher(expr);
        int at = 0;
        while (at < expr.length()) {
            if (!t.find(at) || t.start() != at) return null;
            tokens.add(t.group(1));
            at = t.end();
            while (at < expr.length() && Character.isWhitespace(expr.charAt(at))) at++;
        }
        int[] pos = {0};
        Long r = binary(tokens, pos, known, 0);
        return r != null && pos[0] == tokens.size() ? r : null;
    }

    // C precedence, loosest first
    private static final String[] OPS = {"|", "<<", "+"};

    private static Long binary(List<String> tk, int[] pos, Map<String, Long> known, int level) {
        if (level == OPS.length) return atom(tk, pos, known);
        Long l = binary(tk, pos, known, level + 1);
        while (l != null && pos[0] < tk.size() && tk.get(pos[0]).equals(OPS[level])) {
            pos[0]++;
            Long r = binary(tk, pos, known, level + 1);
            l = r == null ? null : switch (OPS[level]) {
                case "|" -> l | r;
                case "<<" -> l << r;
                default -> l + r;
            };
        }
        return l;
    }

    private static Long atom(List<String> tk, int[] pos, Map<String, Long> known) {
        if (pos[0] >= tk.size()) return null;
        String s = tk.get(pos[0]++);
        if (s.equals("(")) {
            Long v = binary(tk, pos, known, 0);
            if (v == null || pos[0] >= tk.size() || !tk.get(pos[0]++).equals(")")) return null;
            return v;
        }
        if (s.matches("0[xX][0-9a-fA-F]+")) return Long.parseLong(s.substring(2), 16);
        if (s.matches("\\d+")) return Long.parseLong(s);
        return known.get(s);
    }

    @Test
    void everyNfTablesConstantEqualsTheKernelHeaders() throws Exception {
        Map<String, Long> h = headerValues();
        int checked = 0;
        List<String> unchecked = new ArrayList<>();
        for (Field f : NfTables.class.getDeclaredFields()) {
            int m = f.getModifiers();
            if (!Modifier.isStatic(m) || !Modifier.isFinal(m) || f.getType() != int.class) continue;
            Long want = h.get(f.getName());
            if (want == null) {
                unchecked.add(f.getName());
                continue;
            }
            assertEquals(want.longValue(), f.getInt(null) & 0xffffffffL, "NfTables." + f.getName());
            checked++;
        }
        assertTrue(checked >= 54, "checked " + checked + ", unchecked " + unchecked);
        assertTrue(NEWER_THAN_HEADERS.containsAll(unchecked), "not in the headers: " + unchecked);
    }

    @Test
    void destroySetElemFollowsTheLastMessageTypeTheseHeadersKnow() throws Exception {
        Map<String, Long> h = headerValues();
        // 6.3 appended GETRULE_RESET(25) and DESTROYTABLE..DESTROYFLOWTABLE(26..32) after DELFLOWTABLE(24)
        assertEquals(24L, h.get("NFT_MSG_DELFLOWTABLE"));
        if (h.containsKey("NFT_MSG_DESTROYSETELEM")) assertEquals(30L, h.get("NFT_MSG_DESTROYSETELEM"));
        else assertNull(h.get("NFT_MSG_GETRULE_RESET"), "headers with GETRULE_RESET also define DESTROYSETELEM");
        assertEquals(30, NfTables.NFT_MSG_DESTROYSETELEM);
    }

    @Test
    void evaluatorHandlesTheBatchEndDefine() throws Exception {
        assertEquals(0x11L, headerValues().get("NFNL_MSG_BATCH_END"), "NLMSG_MIN_TYPE+1");
    }
}
