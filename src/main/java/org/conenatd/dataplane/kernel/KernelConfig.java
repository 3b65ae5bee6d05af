package org.conenatd.dataplane.kernel;

import org.conenatd.dataplane.TableProtection;
import org.conenatd.nat.Protocol;

import java.util.List;

/**
 * Kernel mode's settings: the WAN interface, the queue and mark bit that carry first packets of
 * new LAN endpoints to conenatd, the port pool, the hold time after a mapping's last flow, the
 * protocols that get full cone, the filtering behaviour, the LAN sources it applies to (empty:
 * all of them), the table protections to try, best first, and the external addresses.
 */
public record KernelConfig(String wanIf, int queueNum, int markBit, int firstPort, int lastPort,
                           int holdSeconds, List<Protocol> protocols, int queueMaxLen, Filtering filtering,
                           List<String> sources, List<TableProtection> tableProtection, Economy economy,
                           PortMapping portMapping, Pool pool) {
    /**
     * The external addresses (RFC 6888): the {@code --pool} addresses, sorted, or none for the WAN
     * interface's own address (following its changes; nothing in the table names it); and the
     * ports per block a host is given ({@code --port-block}, RFC 6888 REQ-14), 0 for none.
     */
    public record Pool(int[] addresses, int portBlock) {
        public static final Pool NONE = new Pool(new int[0], 0);

        public boolean pooled() { return addresses.length > 0; }
    }

    public KernelConfig(String wanIf, int queueNum, int markBit, int firstPort, int lastPort,
                        int holdSeconds, List<Protocol> protocols, int queueMaxLen, Filtering filtering,
                        List<String> sources, List<TableProtection> tableProtection, Economy economy, PortMapping portMapping) {
        this(wanIf, queueNum, markBit, firstPort, lastPort, holdSeconds, protocols, queueMaxLen, filtering, sources, tableProtection,
                economy, portMapping, Pool.NONE);
    }

    public KernelConfig withPool(Pool p) {
        return new KernelConfig(wanIf, queueNum, markBit, firstPort, lastPort, holdSeconds, protocols, queueMaxLen, filtering, sources,
                tableProtection, economy, portMapping, p);
    }

    /** Blocks one host may hold: its --ports-per-host in whole blocks (0: no limit, or no blocks). */
    public int blocksPerHost() {
        int b = pool.portBlock(), limit = economy.portsPerHost();
        return b == 0 || limit == 0 ? 0 : (limit + b - 1) / b;
    }
    /**
     * Mappings made on request: the operator's static ones, and whether and how NAT-PMP, PCP and
     * UPnP IGD are answered on the LAN side (whether a host may map for another, the longest
     * lifetime, the IGD's TCP port).
     */
    public record PortMapping(List<Static> statics, boolean serve, boolean thirdParty, int maxLifetimeSeconds, int upnpPort) {
        public static final PortMapping NONE = new PortMapping(List.of(), false, false, 86400, 2189);

        /** {@code --static udp:3074=10.0.0.11:3074}. */
        public record Static(Protocol protocol, int publicPort, int lanIp, int lanPort) {}
    }

    /**
     * How the pool is spent (RFC 4787 REQ-5, RFC 5382 REQ-5, RFC 6888 REQ-4/11): the TCP hold, the
     * destination ports whose flows get full cone (pairs of first and last; the others keep plain
     * NAT and never reach the queue), the ports one LAN address may hold per protocol (0: no limit),
     * whether a new endpoint beyond a limit is dropped rather than given plain NAT, and the file of
     * allocation records (RFC 6888 REQ-12; null for none).
     */
    public record Economy(int tcpHoldSeconds, int[] fullConePorts, int portsPerHost, boolean dropOnLimit,
                          java.nio.file.Path allocationLog) {
        public static final Economy DEFAULT = new Economy(240, new int[] {1024, 65535}, 0, false, null);

        public Economy(int tcpHoldSeconds, int[] fullConePorts, int portsPerHost, boolean dropOnLimit) {
            this(tcpHoldSeconds, fullConePorts, portsPerHost, dropOnLimit, null);
        }
    }

    /** One line of what the plane does, for the ready line and {@code status}. */
    public String describe() {
        var e = economy();
        String fc = org.conenatd.inet.Ranges.format(e.fullConePorts());
        var pool = pool();
        String addresses = !pool.pooled() ? "" : ", pool of " + pool.addresses().length + " addresses "
                + org.conenatd.inet.Inet4.format(pool.addresses()[0])
                + (pool.addresses().length > 1 ? "..." + org.conenatd.inet.Inet4.format(pool.addresses()[pool.addresses().length - 1]) : "");
        return "interface " + wanIf() + addresses + (pool.portBlock() > 0 ? ", port blocks of " + pool.portBlock() : "") + ", ports " + firstPort() + "-" + lastPort() + ", hold udp "
                + holdSeconds() + " s tcp " + e.tcpHoldSeconds() + " s, full cone to ports " + fc
                + (e.portsPerHost() > 0 ? ", " + e.portsPerHost() + " ports per host (" + (e.dropOnLimit() ? "drop" : "plain NAT") + " beyond)" : "")
                + ", " + protocols().stream().map(p -> p.label).collect(java.util.stream.Collectors.joining("+"))
                + ", queue " + queueNum() + ", mark bit " + Ruleset.hex(markBit());
    }

    /** The hold after the last flow of a mapping of {@code p}. */
    public int holdSeconds(Protocol p) {
        return p == Protocol.TCP ? economy.tcpHoldSeconds() : holdSeconds;
    }
    /** The nftables table conenatd owns; nothing else of the ruleset is touched. */
    public static final String TABLE = "conenatd";

    /** RFC 4787 REQ-8: who may send to a mapped port. */
    public enum Filtering {
        /** Any peer: full cone. */
        ENDPOINT,
        /** Only peers at an address the LAN endpoint has sent to, from any of their ports: restricted cone. */
        ADDRESS
    }

    /** Settings with the defaults the tests and tools start from. */
    public KernelConfig(String wanIf, int queueNum, int markBit, int firstPort, int lastPort, int holdSeconds,
                        List<Protocol> protocols, int queueMaxLen) {
        this(wanIf, queueNum, markBit, firstPort, lastPort, holdSeconds, protocols, queueMaxLen, Filtering.ENDPOINT, List.of(),
                List.of(TableProtection.values()), Economy.DEFAULT, PortMapping.NONE);
    }
}
