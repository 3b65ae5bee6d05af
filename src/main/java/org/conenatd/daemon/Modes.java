package org.conenatd.daemon;

import org.conenatd.dataplane.DataPlane;
import org.conenatd.dataplane.TableProtection;
import org.conenatd.dataplane.kernel.KernelConfig;
import org.conenatd.dataplane.kernel.KernelPlane;
import org.conenatd.dataplane.seed.SeedPlane;
import org.conenatd.nat.Protocol;
import org.conenatd.ops.StartupException;
import org.conenatd.inet.Inet4;
import picocli.CommandLine.ParameterException;

import java.util.ArrayList;
import java.util.List;

/**
 * Picks the data plane from the command line and checks its values before any socket is opened:
 * {@code -i} means kernel mode, {@code -n -q -m} the seed's mode; mixing them is refused. A bad
 * value is a {@link StartupException} (exit 1), a missing or conflicting option a picocli
 * {@link ParameterException} (exit 2, with the usage line).
 */
final class Modes {
    private Modes() {}

    static final int KERNEL_DEFAULT_QUEUE = 47000;
    static final int KERNEL_DEFAULT_MARK = 0x400000;
    static final int SEED_DEFAULT_QUEUE_MAXLEN = 8192;
    /** Kernel mode drops beyond the queue (no fail-open): room for a burst of 32,768 new endpoints. */
    static final int KERNEL_DEFAULT_QUEUE_MAXLEN = 32768;

    /** The plane, how logs name the public side, and a warning worth a log line. */
    record Chosen(DataPlane plane, String publicAddress, String warning) {}

    static Chosen choose(Main m) throws StartupException {
        checkCommon(m);
        return m.wanIf != null ? kernel(m) : seed(m);
    }

    private static void checkCommon(Main m) throws StartupException {
        if (m.queueMaxLen != null && m.queueMaxLen < 1) {
            throw new StartupException("invalid --queue-maxlen " + m.queueMaxLen + ": must be at least 1");
        }
        if (m.statsInterval < 10) throw new StartupException("invalid --stats-interval " + m.statsInterval + ": must be at least 10 ms");
        if (m.eventBuffer < 65536) throw new StartupException("invalid --event-buffer " + m.eventBuffer + ": must be at least 65536");
    }

    private static Chosen seed(Main m) throws StartupException {
        for (String[] o : new String[][] {{m.natIp, "--nat-ip=<nat-ip>"}, {m.queueNum, "--queue-num=<queue-num>"}, {m.fwmark, "--fwmark=<fwmark>"}}) {
            if (o[0] == null) throw new ParameterException(m.spec.commandLine(), "Missing required option: '" + o[1] + "' (or -i <wan-if> for kernel mode)");
        }
        int ip;
        try {
            ip = Inet4.parseAddr(m.natIp);
        } catch (IllegalArgumentException e) {
            throw new StartupException("invalid -n '" + m.natIp + "': expected an IPv4 address like 203.0.113.1");
        }
        // "1000", or "1000:1001" for a rule with --queue-balance 1000:1001 (a thread per queue)
        int colon = m.queueNum.indexOf(':');
        int q = queue(colon < 0 ? m.queueNum : m.queueNum.substring(0, colon));
        int last = colon < 0 ? q : queue(m.queueNum.substring(colon + 1));
        if (last < q || last - q > 15) {
            throw new StartupException("invalid -q '" + m.queueNum + "': a range first:last needs first <= last and at most 16 queues");
        }
        int mark = mark(m.fwmark, "a non-zero mark like 2000 or 0x7d0",
                "the fwmark must be non-zero, or the RETURN rule could never match it");
        if (m.ctTimeout < 1) throw new StartupException("invalid --ct-timeout " + m.ctTimeout + ": must be at least 1 second");
        int[] dnat = m.kernelDnat == null ? new int[0] : portList(m.kernelDnat, "--kernel-dnat", false);
        if (m.portsPerHost != null || !m.onLimit.equals("plain") || m.tcpHold != 240 || !m.fullConePorts.equals("1024-65535")) {
            throw new ParameterException(m.spec.commandLine(), "--tcp-hold, --full-cone-ports, --ports-per-host and --on-limit are for "
                    + "kernel mode (-i): in seed mode the kernel's rules choose the ports");
        }
        if (!m.pool.isEmpty() || m.portBlock != null) {
            throw new ParameterException(m.spec.commandLine(), "--pool and --port-block are for kernel mode (-i): seed mode NATs to its one -n address");
        }
        if (!m.statics.isEmpty() || m.pcpThirdParty || m.noPortMapping || m.allocationLog != null) {
            throw new ParameterException(m.spec.commandLine(), "--static, --pcp-third-party, --no-port-mapping and --allocation-log are for kernel mode (-i): "
                    + "seed mode answers no port-mapping protocol, and the kernel's rules choose its ports");
        }
        return new Chosen(new SeedPlane(new SeedPlane.Config(ip, q, last, mark, m.queueMaxLen == null ? SEED_DEFAULT_QUEUE_MAXLEN : m.queueMaxLen,
                m.ctTimeout, dnat, dnat.length == 0 ? List.of() // no table of its own without --kernel-dnat
                        : TableProtection.choices(m.tableProtection, System.getenv(TableProtection.ENV)))), Inet4.format(ip), null);
    }

    private static Chosen kernel(Main m) throws StartupException {
        if (m.natIp != null) {
            throw new ParameterException(m.spec.commandLine(), "-n/--nat-ip is for seed mode; kernel mode (-i) NATs to whatever address " + m.wanIf + " has");
        }
        if (m.kernelDnat != null) {
            throw new ParameterException(m.spec.commandLine(), "--kernel-dnat is for seed mode; kernel mode (-i) DNATs every mapped port in the kernel already");
        }
        if (!m.wanIf.matches("[A-Za-z0-9_.:@-]{1,15}")) throw new StartupException("invalid -i '" + m.wanIf + "': not an interface name");
        int q = m.queueNum == null ? KERNEL_DEFAULT_QUEUE : queue(m.queueNum);
        int mark = m.fwmark == null ? KERNEL_DEFAULT_MARK : mark(m.fwmark, "one mark bit like 0x400000",
                "the mark bit must be non-zero");
        if (Integer.bitCount(mark) != 1) throw new StartupException("invalid -m '" + m.fwmark + "': kernel mode needs exactly one bit, like 0x400000");
        int[] range = ports(m.ports);
        if (m.hold < 1) throw new StartupException("invalid --hold " + m.hold + ": must be at least 1 second");
        List<Protocol> protocols = protocols(m.protocols);
        String warning = m.hold < 120 ? "--hold " + m.hold + " is below RFC 4787's 120 s: mappings may go while applications still count on them" : null;
        KernelConfig.Filtering filtering = switch (m.filtering.trim().toLowerCase()) {
            case "endpoint" -> KernelConfig.Filtering.ENDPOINT;
            case "address" -> KernelConfig.Filtering.ADDRESS;
            default -> throw new StartupException("invalid --filtering '" + m.filtering + "': expected endpoint or address");
        };
        List<String> sources = new ArrayList<>();
        for (String c : m.sources) sources.add(cidr(c));
        if (m.tcpHold < 1) throw new StartupException("invalid --tcp-hold " + m.tcpHold + ": must be at least 1 second");
        if (m.portsPerHost != null && m.portsPerHost < 1) {
            throw new StartupException("invalid --ports-per-host " + m.portsPerHost + ": must be at least 1 (leave it out for no limit)");
        }
        boolean drop = switch (m.onLimit.trim().toLowerCase()) {
            case "plain" -> false;
            case "drop" -> true;
            default -> throw new StartupException("invalid --on-limit '" + m.onLimit + "': expected plain or drop");
        };
        if (m.mapLifetimeMax < 1) throw new StartupException("invalid --map-lifetime-max " + m.mapLifetimeMax + ": must be at least 1 second");
        if (m.upnpPort < 1 || m.upnpPort > 65535) throw new StartupException("invalid --upnp-port " + m.upnpPort + ": must be 1-65535");
        List<KernelConfig.PortMapping.Static> statics = new ArrayList<>();
        for (String st : m.statics) statics.add(staticMapping(st, range, protocols, statics));
        KernelConfig.PortMapping portMapping = new KernelConfig.PortMapping(List.copyOf(statics), !m.noPortMapping, m.pcpThirdParty,
                m.mapLifetimeMax, m.upnpPort);
        KernelConfig.Economy economy = new KernelConfig.Economy(m.tcpHold, portList(m.fullConePorts, "--full-cone-ports", true),
                m.portsPerHost == null ? 0 : m.portsPerHost, drop, m.allocationLog == null ? null : java.nio.file.Path.of(m.allocationLog));
        int block = m.portBlock == null ? 0 : m.portBlock;
        if (m.portBlock != null && (block < 1 || block > range[1] - range[0] + 1)) {
            throw new StartupException("invalid --port-block " + m.portBlock + ": must be 1 to the " + (range[1] - range[0] + 1)
                    + " ports of --ports " + range[0] + "-" + range[1]);
        }
        KernelConfig cfg = new KernelConfig(m.wanIf, q, mark, range[0], range[1], m.hold, protocols,
                m.queueMaxLen == null ? KERNEL_DEFAULT_QUEUE_MAXLEN : m.queueMaxLen,
                filtering, List.copyOf(sources), TableProtection.choices(m.tableProtection, System.getenv(TableProtection.ENV)), economy, portMapping,
                new KernelConfig.Pool(pool(m.pool), block));
        return new Chosen(new KernelPlane(cfg), m.wanIf, warning);
    }

    static int[] ports(String s) throws StartupException {
        return ports(s, "--ports");
    }

    /**
     * "first-last[,first-last...]" as pairs of first and last port; with {@code singles} a port
     * alone ("53") is a range of one. Sorted and merged, so overlaps are harmless.
     */
    static int[] portList(String s, String option, boolean singles) throws StartupException {
        List<int[]> ranges = new ArrayList<>();
        for (String part : s.split(",", -1)) {
            String t = part.trim();
            if (singles && t.matches("\\d{1,6}")) {
                int p = Integer.parseInt(t);
                if (p < 1 || p > 65535) throw new StartupException("invalid " + option + " '" + s + "': port " + p + " is outside 1-65535");
                ranges.add(new int[] {p, p});
            } else {
                ranges.add(ports(t, option));
            }
        }
        List<long[]> wide = new ArrayList<>();
        for (int[] r : ranges) wide.add(new long[] {r[0], r[1]});
        long[] merged = org.conenatd.inet.Ranges.merge(wide);
        int[] out = new int[merged.length];
        for (int i = 0; i < out.length; i++) out[i] = (int) merged[i];
        return out;
    }

    static int[] ports(String s, String option) throws StartupException {
        String[] parts = s.trim().split("-", -1);
        try {
            if (parts.length != 2) throw new NumberFormatException();
            int a = Integer.parseInt(parts[0]), b = Integer.parseInt(parts[1]);
            if (a < 1 || b > 65535 || a > b) {
                throw new StartupException("invalid " + option + " '" + s + "': the range is empty, inverted or outside 1-65535");
            }
            return new int[] {a, b};
        } catch (NumberFormatException e) {
            throw new StartupException("invalid " + option + " '" + s + "': expected <first>-<last>, like 1024-65535");
        }
    }

    /** "udp:3074=10.0.0.11:3074": in the pool, of an enabled protocol, neither its port nor its endpoint given twice. */
    static KernelConfig.PortMapping.Static staticMapping(String s, int[] pool, List<Protocol> protocols,
                                                          List<KernelConfig.PortMapping.Static> before) throws StartupException {
        java.util.regex.Matcher x = java.util.regex.Pattern.compile("(udp|tcp):(\\d{1,5})=([0-9.]+):(\\d{1,5})").matcher(s.trim().toLowerCase());
        if (!x.matches()) throw new StartupException("invalid --static '" + s + "': expected <udp|tcp>:<public-port>=<lan-ip>:<lan-port>, like udp:3074=10.0.0.11:3074");
        Protocol p = x.group(1).equals("udp") ? Protocol.UDP : Protocol.TCP;
        int pub = Integer.parseInt(x.group(2)), lanPort = Integer.parseInt(x.group(4));
        int ip;
        try {
            ip = Inet4.parseAddr(x.group(3));
        } catch (IllegalArgumentException e) {
            throw new StartupException("invalid --static '" + s + "': '" + x.group(3) + "' is not an IPv4 address");
        }
        if (!protocols.contains(p)) throw new StartupException("invalid --static '" + s + "': " + p.label + " is not in --protocols");
        if (pub < pool[0] || pub > pool[1]) throw new StartupException("invalid --static '" + s + "': public port " + pub + " is outside --ports " + pool[0] + "-" + pool[1]);
        if (lanPort < 1 || lanPort > 65535) throw new StartupException("invalid --static '" + s + "': LAN port " + lanPort + " is outside 1-65535");
        for (var b : before) {
            if (b.protocol() == p && (b.publicPort() == pub || (b.lanIp() == ip && b.lanPort() == lanPort))) {
                throw new StartupException("invalid --static '" + s + "': that public port or LAN endpoint has a static mapping already");
            }
        }
        return new KernelConfig.PortMapping.Static(p, pub, ip, lanPort);
    }

    /** The most addresses a pool may have: an address index is 16 bits of the allocator's key. */
    static final int POOL_MAX = 65536;

    /**
     * The {@code --pool} values ("203.0.113.2", "203.0.113.0/29" or "203.0.113.2-203.0.113.9") as
     * sorted distinct addresses; none without {@code --pool}.
     */
    static int[] pool(List<String> values) throws StartupException {
        java.util.TreeSet<Long> all = new java.util.TreeSet<>();
        for (String v : values) {
            String t = v.trim();
            long first, last;
            try {
                int dash = t.indexOf('-'), slash = t.indexOf('/');
                if (dash >= 0) {
                    first = Integer.toUnsignedLong(Inet4.parseAddr(t.substring(0, dash).trim()));
                    last = Integer.toUnsignedLong(Inet4.parseAddr(t.substring(dash + 1).trim()));
                } else if (slash >= 0) {
                    long a = Integer.toUnsignedLong(Inet4.parseAddr(t.substring(0, slash)));
                    int len = Integer.parseInt(t.substring(slash + 1));
                    if (len < 0 || len > 32) throw new NumberFormatException();
                    long size = 1L << (32 - len);
                    if ((a & (size - 1)) != 0) throw new StartupException("invalid --pool '" + v + "': host bits set; did you mean "
                            + Inet4.format((int) (a & ~(size - 1))) + "/" + len + "?");
                    first = a;
                    last = a + size - 1;
                } else {
                    first = last = Integer.toUnsignedLong(Inet4.parseAddr(t));
                }
            } catch (IllegalArgumentException e) {
                throw new StartupException("invalid --pool '" + v + "': expected an IPv4 address, a prefix like 203.0.113.0/29 "
                        + "or a range like 203.0.113.2-203.0.113.9");
            }
            if (first > last) throw new StartupException("invalid --pool '" + v + "': the range is empty (its first address is after its last)");
            if (first == 0) throw new StartupException("invalid --pool '" + v + "': 0.0.0.0 is no external address");
            if (last - first + 1 + all.size() > POOL_MAX) throw new StartupException("invalid --pool: more than " + POOL_MAX + " addresses");
            for (long a = first; a <= last; a++) all.add(a);
        }
        int[] out = new int[all.size()];
        int i = 0;
        for (long a : all) out[i++] = (int) a;
        return out;
    }

    /** "10.0.0.0/24" or "10.0.0.10" (a /32), normalised; the host bits must be zero. */
    static String cidr(String s) throws StartupException {
        String t = s.trim();
        int slash = t.indexOf('/');
        try {
            int addr = Inet4.parseAddr(slash < 0 ? t : t.substring(0, slash));
            int len = slash < 0 ? 32 : Integer.parseInt(t.substring(slash + 1));
            if (len < 0 || len > 32) throw new NumberFormatException();
            int mask = len == 0 ? 0 : -1 << (32 - len);
            if ((addr & ~mask) != 0) {
                throw new StartupException("invalid --source '" + s + "': host bits set; did you mean "
                        + Inet4.format(addr & mask) + "/" + len + "?");
            }
            return Inet4.format(addr) + "/" + len;
        } catch (IllegalArgumentException e) {
            throw new StartupException("invalid --source '" + s + "': expected an IPv4 address or prefix like 10.0.0.0/24");
        }
    }

    static List<Protocol> protocols(String s) throws StartupException {
        List<Protocol> out = new ArrayList<>();
        for (String name : s.split(",")) {
            Protocol found = null;
            for (Protocol p : Protocol.values()) if (p.label.equals(name.trim().toLowerCase())) found = p;
            if (found == null) throw new StartupException("invalid --protocols '" + s + "': expected udp, tcp or udp,tcp");
            if (!out.contains(found)) out.add(found);
        }
        return out;
    }

    private static int queue(String s) throws StartupException {
        int q = number(s, "-q", "a queue number 0-65535");
        if (q < 0 || q > 65535) throw new StartupException("invalid -q '" + s + "': the queue number must be 0-65535");
        return q;
    }

    private static int mark(String s, String expected, String zero) throws StartupException {
        long mark = number(s, "-m", expected) & 0xffffffffL;
        if (mark == 0) throw new StartupException("invalid -m '" + s + "': " + zero);
        return (int) mark;
    }

    private static int number(String s, String flag, String what) throws StartupException {
        try {
            String t = s.trim();
            boolean hex = t.startsWith("0x") || t.startsWith("0X");
            if (hex && (t.length() == 2 || !Character.isLetterOrDigit(t.charAt(2)))) throw new NumberFormatException();
            long v = hex ? Long.parseLong(t.substring(2), 16) : Long.parseLong(t);
            if (v < 0 || v > 0xffffffffL) throw new NumberFormatException();
            return (int) v;
        } catch (NumberFormatException e) {
            throw new StartupException("invalid " + flag + " '" + s + "': expected " + what);
        }
    }
}
