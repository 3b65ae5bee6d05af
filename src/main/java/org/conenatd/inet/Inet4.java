package org.conenatd.inet;

/** IPv4 addresses as host-order ints holding the big-endian (network) value: 10.0.0.1 is 0x0A000001. */
public final class Inet4 {
    private Inet4() {}

    /** Dotted quad, e.g. {@code "203.0.113.7"}. */
    public static String format(int a) {
        return (a >>> 24) + "." + ((a >>> 16) & 0xFF) + "." + ((a >>> 8) & 0xFF) + "." + (a & 0xFF);
    }

    /**
     * Parses exactly four decimal octets 0..255 separated by dots. Rejected: fewer or more parts,
     * empty parts, whitespace, signs, non-ASCII digits, and leading zeros ("01.2.3.4"), because
     * inet_aton() reads those as octal and a CLI must not mean something else than it seems to.
     *
     * @throws IllegalArgumentException if {@code s} is null or not such a dotted quad
     */
    public static int parseAddr(String s) {
        if (s == null) throw new IllegalArgumentException("no IPv4 address given");
        int result = 0, parts = 0, i = 0, n = s.length();
        while (true) {
            int start = i, value = 0;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9' && i - start < 3) {
                value = value * 10 + (s.charAt(i++) - '0');
            }
            int digits = i - start;
            if (digits == 0 || value > 255 || (digits > 1 && s.charAt(start) == '0')) throw bad(s);
            result = (result << 8) | value;
            if (++parts == 4) break;
            if (i >= n || s.charAt(i) != '.') throw bad(s);
            i++;
        }
        if (i != n) throw bad(s);
        return result;
    }

    private static IllegalArgumentException bad(String s) {
        return new IllegalArgumentException("not a dotted-quad IPv4 address: \"" + s + "\"");
    }

}
