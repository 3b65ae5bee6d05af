package org.conenatd.control;

import org.conenatd.nat.Endpoint;
import org.conenatd.nat.MappingSnapshot;
import org.conenatd.ops.Counters;
import org.conenatd.inet.Inet4;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The control socket's protocol: one request line, one answer, then the connection closes.
 *
 * <pre>
 *   list [--json] [--host &lt;ipv4&gt;] [--port &lt;n&gt;]
 *   status [--json]
 * </pre>
 *
 * The answer is text (or JSON with {@code --json}); a refused request is one line starting with
 * {@value #ERROR}, whatever the format, so a client needs no parser to tell failure apart.
 */
public final class ControlProtocol {
    private ControlProtocol() {}

    /** A request line longer than this (newline included) is refused. */
    public static final int MAX_REQUEST = 4096;
    public static final String ERROR = "error: ";

    public enum Verb { LIST, STATUS }

    /** A parsed request; {@code host} null and {@code port} -1 mean "any". */
    public record Request(Verb verb, boolean json, Integer host, int port) {
        /** The request line (without its newline) that {@link #parse} reads back as this request. */
        public String line() {
            StringBuilder sb = new StringBuilder(verb.name().toLowerCase(java.util.Locale.ROOT));
            if (json) sb.append(" --json");
            if (host != null) sb.append(" --host ").append(Inet4.format(host));
            if (port >= 0) sb.append(" --port ").append(port);
            return sb.toString();
        }
    }

    /** Parses a request line; {@link IllegalArgumentException} with a message fit for the client. */
    public static Request parse(String line) {
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c != ' ' && (c < 0x21 || c > 0x7e)) throw new IllegalArgumentException("bad request: only printable ASCII words");
        }
        String[] w = line.trim().split(" +");
        if (w.length > 8) throw new IllegalArgumentException("bad request: too many words");
        Verb verb = switch (w[0]) {
            case "list" -> Verb.LIST;
            case "status" -> Verb.STATUS;
            case "" -> throw new IllegalArgumentException("empty request; try: list, status");
            default -> throw new IllegalArgumentException("unknown request '" + clip(w[0]) + "'; try: list, status");
        };
        boolean json = false;
        Integer host = null;
        int port = -1;
        for (int i = 1; i < w.length; i++) {
            String opt = w[i];
            boolean valued = opt.equals("--host") || opt.equals("--port");
            if (valued && verb != Verb.LIST) throw new IllegalArgumentException(opt + " is for list only");
            if (valued && i + 1 == w.length) throw new IllegalArgumentException(opt + " needs a value");
            switch (opt) {
                case "--json" -> {
                    if (json) throw new IllegalArgumentException("--json given twice");
                    json = true;
                }
                case "--host" -> {
                    if (host != null) throw new IllegalArgumentException("--host given twice");
                    String v = w[++i];
                    try {
                        host = Inet4.parseAddr(v);
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("--host '" + clip(v) + "': expected an IPv4 address");
                    }
                }
                case "--port" -> {
                    if (port >= 0) throw new IllegalArgumentException("--port given twice");
                    port = port(w[++i]);
                }
                default -> throw new IllegalArgumentException("unknown option '" + clip(opt) + "'");
            }
        }
        return new Request(verb, json, host, port);
    }

    static int port(String v) {
        if (!v.matches("[0-9]{1,5}") || Integer.parseInt(v) > 65535) {
            throw new IllegalArgumentException("--port '" + clip(v) + "': expected a port 0-65535");
        }
        return Integer.parseInt(v);
    }

    /** The answer to one request line. Never throws: a bad request or a failure is an {@value #ERROR} line. */
    public static String answer(String line, DaemonView daemon) {
        try {
            Request r = parse(line);
            return switch (r.verb()) {
                case LIST -> list(r, daemon.mode(), daemon.mappings(), r.host() == null ? null : daemon.hostLimit(r.host()));
                case STATUS -> status(r, daemon);
            };
        } catch (IllegalArgumentException e) {
            return ERROR + e.getMessage() + "\n";
        } catch (RuntimeException e) {
            return ERROR + "internal error: " + e + "\n";
        }
    }

    static boolean matches(Request r, MappingSnapshot.Row m) {
        if (r.host() != null && Endpoint.ip(m.endpoint()) != r.host()) return false;
        return r.port() < 0 || m.publicPort() == r.port() || Endpoint.port(m.endpoint()) == r.port();
    }

    static final String LIST_HEADER = String.format(Locale.ROOT, "%-5s  %6s  %-21s  %5s  %8s  %-8s  %-7s  %s%n",
            "proto", "public", "lan endpoint", "flows", "age", "hold", "origin", "lease");

    private static final String ROW = "%-5s  %6s  %-21s  %5d  %8s  %-8s  %-7s  %s%n", POOL_ROW = "%-5s  %-21s  %-21s  %5d  %8s  %-8s  %-7s  %s%n";
    static final String POOL_HEADER = String.format(Locale.ROOT, "%-5s  %-21s  %-21s  %5s  %8s  %-8s  %-7s  %s%n",
            "proto", "external", "lan endpoint", "flows", "age", "hold", "origin", "lease");

    static String list(Request r, String mode, List<MappingSnapshot.Row> rows) {
        return list(r, mode, rows, null);
    }

    /**
     * One line per mapping (after a header), or a JSON object with a {@code mappings} array. With
     * {@code --host}, a last line (a {@code host} object) counts the host's public ports per
     * protocol and adds what the plane says of its limit ({@code hostLimit}, or null).
     */
    static String list(Request r, String mode, List<MappingSnapshot.Row> rows, String hostLimit) {
        StringBuilder sb = new StringBuilder(64 + rows.size() * 96);
        boolean pooled = false; // with a pool the public column names the address too
        for (MappingSnapshot.Row m : rows) pooled |= m.externalIp() != 0;
        if (r.json()) sb.append("{\"mode\":").append(quote(mode)).append(",\"mappings\":[");
        else sb.append(pooled ? POOL_HEADER : LIST_HEADER);
        boolean first = true;
        for (MappingSnapshot.Row m : rows) {
            if (!matches(r, m)) continue;
            if (r.json()) {
                sb.append(first ? "\n" : ",\n");
                json(sb, m);
            } else {
                sb.append(String.format(Locale.ROOT, pooled ? POOL_ROW : ROW, m.protocol().label,
                        m.externalIp() == 0 ? String.valueOf(m.publicPort()) : Inet4.format(m.externalIp()) + ":" + m.publicPort(),
                        Endpoint.format(m.endpoint()), m.flows(), duration(m.ageNanos()), hold(m), m.origin().label,
                        lease(m) + (m.shadowed() ? "  shadowed by a port forward" : "")));
            }
            first = false;
        }
        int[] perProto = new int[org.conenatd.nat.Protocol.count()];
        for (MappingSnapshot.Row m : rows) if (matches(r, m)) perProto[m.protocol().ordinal()]++;
        if (r.json()) {
            sb.append(first ? "]" : "\n]");
            if (r.host() != null) {
                sb.append(",\"host\":{\"ip\":").append(quote(Inet4.format(r.host())));
                for (org.conenatd.nat.Protocol p : org.conenatd.nat.Protocol.values()) {
                    sb.append(",\"").append(p.label).append("_ports\":").append(perProto[p.ordinal()]);
                }
                if (hostLimit != null) sb.append(",\"limit\":").append(quote(hostLimit));
                sb.append('}');
            }
            return sb.append("}\n").toString();
        }
        if (r.host() != null) {
            sb.append("host ").append(Inet4.format(r.host())).append(':');
            for (org.conenatd.nat.Protocol p : org.conenatd.nat.Protocol.values()) {
                sb.append(' ').append(perProto[p.ordinal()]).append(' ').append(p.label);
            }
            sb.append(" public ports").append(hostLimit == null ? "" : "; " + hostLimit).append('\n');
        }
        return sb.toString();
    }

    private static void json(StringBuilder sb, MappingSnapshot.Row m) {
        sb.append("{\"protocol\":").append(quote(m.protocol().label))
                .append(m.externalIp() == 0 ? "" : ",\"external_ip\":" + quote(Inet4.format(m.externalIp())))
                .append(",\"public_port\":").append(m.publicPort())
                .append(",\"lan_ip\":").append(quote(Inet4.format(Endpoint.ip(m.endpoint()))))
                .append(",\"lan_port\":").append(Endpoint.port(m.endpoint()))
                .append(",\"flows\":").append(m.flows())
                .append(",\"age_seconds\":").append(TimeUnit.NANOSECONDS.toSeconds(m.ageNanos()))
                .append(",\"state\":").append(quote(m.held() ? "held" : m.holdLeftNanos() == MappingSnapshot.LIVE ? "live" : "mapped"))
                .append(",\"hold_left_seconds\":").append(m.held() ? String.valueOf(TimeUnit.NANOSECONDS.toSeconds(m.holdLeftNanos())) : "null")
                .append(",\"receives\":").append(m.receives())
                .append(",\"origin\":").append(quote(m.origin().label))
                .append(",\"lease_left_seconds\":").append(m.leaseLeftNanos() < 0 ? "null"
                        : m.leaseLeftNanos() == org.conenatd.nat.PortAllocator.FOREVER ? "\"forever\""
                        : String.valueOf(TimeUnit.NANOSECONDS.toSeconds(m.leaseLeftNanos())))
                .append(",\"shadowed\":").append(m.shadowed())
                .append('}');
    }

    /** The hold column: time left for a held mapping, "live" while flows live, "-" where there is no hold. */
    /** "-" without a lease, "forever" for a static mapping, else the lifetime left. */
    static String lease(MappingSnapshot.Row m) {
        if (m.leaseLeftNanos() < 0) return "-";
        return m.leaseLeftNanos() == org.conenatd.nat.PortAllocator.FOREVER ? "forever" : duration(m.leaseLeftNanos());
    }

    static String hold(MappingSnapshot.Row m) {
        if (m.held()) return duration(m.holdLeftNanos());
        return m.holdLeftNanos() == MappingSnapshot.LIVE ? "live" : "-";
    }

    static String status(Request r, DaemonView d) {
        List<Counters.Sample> samples = d.counters();
        StringBuilder sb = new StringBuilder(1024);
        long upSeconds = d.uptimeMillis() / 1000;
        if (r.json()) {
            sb.append("{\"mode\":").append(quote(d.mode()))
                    .append(",\"plane\":").append(quote(d.describe()))
                    .append(",\"pid\":").append(d.pid())
                    .append(",\"uptime_seconds\":").append(upSeconds)
                    .append(",\"last_resync\":").append(quote(d.lastResync()))
                    .append(d.table() == null ? "" : ",\"table\":" + quote(d.table()))
                    .append(",\"counters\":{");
            for (int i = 0; i < samples.size(); i++) {
                Counters.Sample s = samples.get(i);
                sb.append(i == 0 ? "" : ",").append(quote(s.key())).append(':').append(s.value());
            }
            return sb.append("}}\n").toString();
        }
        sb.append("mode:     ").append(d.mode()).append(" (").append(d.describe()).append(")\n")
                .append("pid:      ").append(d.pid()).append(", up ").append(duration(TimeUnit.SECONDS.toNanos(upSeconds))).append('\n')
                .append("resync:   ").append(d.lastResync()).append('\n')
                .append(d.table() == null ? "" : "table:    " + d.table() + "\n")
                .append("counters:\n");
        for (Counters.Sample s : samples) sb.append(String.format(Locale.ROOT, "  %-24s %d%n", s.key(), s.value()));
        return sb.toString();
    }

    /** "42s", "5m07s", "3h05m", "2d04h": short enough for a column, exact enough to read. */
    static String duration(long nanos) {
        long s = Math.max(0, TimeUnit.NANOSECONDS.toSeconds(nanos));
        if (s < 60) return s + "s";
        if (s < 3600) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        if (s < 86400) return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
        return String.format(Locale.ROOT, "%dd%02dh", s / 86400, s % 86400 / 3600);
    }

    /** A JSON string literal. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                default -> {
                    if (c < 0x20) sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }

    /** A client's word echoed in an error, cut short: an error line stays one short line. */
    private static String clip(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
