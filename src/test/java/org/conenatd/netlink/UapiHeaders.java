package org.conenatd.netlink;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Test helper: the constants the kernel UAPI headers installed on this machine define. A tiny
 * evaluator reads {@code #define NAME value} and C enums (implicit increments, {@code =} with
 * numbers, names, {@code |}, {@code <<} and {@code +}); anything it can't evaluate (sizeof, ~,
 * macros with arguments) is left out, and so is every enum member after it.
 */
public final class UapiHeaders {
    private UapiHeaders() {}

    /** NAME -> value of every #define and enum member it can evaluate in {@code headers}, in order. */
    public static Map<String, Long> values(String... headers) throws IOException {
        Map<String, Long> v = new HashMap<>();
        for (String h : headers) {
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

}
