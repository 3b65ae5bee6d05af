package org.conenatd.portmap.pcp;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;

/**
 * What {@link PortMapServer} serves on and how.
 *
 * @param lanAddresses      the router's LAN IPv4 addresses; the wildcard is refused, since it
 *                          would answer on the WAN side too
 * @param port              5351 ({@link Pcp#SERVER_PORT}), another for tests, 0 for any
 * @param announceTo        where unsolicited announcements go ({@link #ALL_HOSTS})
 * @param requestsPerSecond each source's rate, and its burst
 * @param allowThirdParty   honour PCP THIRD_PARTY (a host mapping another host's address)
 */
public record PortMapConfig(List<InetAddress> lanAddresses, int port, InetSocketAddress announceTo, int requestsPerSecond,
                            boolean allowThirdParty) {
    /** All hosts, the clients' port (RFC 6886 §3.2.1, RFC 6887 §14.1.3). */
    public static final InetSocketAddress ALL_HOSTS = new InetSocketAddress(InetAddress.ofLiteral("224.0.0.1"), Pcp.CLIENT_PORT);
    public static final int DEFAULT_RATE = 20;

    public PortMapConfig {
        lanAddresses = List.copyOf(lanAddresses);
        if (lanAddresses.isEmpty()) throw new IllegalArgumentException("no LAN address to serve NAT-PMP/PCP on");
        for (InetAddress a : lanAddresses) {
            if (!(a instanceof Inet4Address)) throw new IllegalArgumentException(a.getHostAddress() + " is not IPv4");
            if (a.isAnyLocalAddress()) {
                throw new IllegalArgumentException("the wildcard address would answer on the WAN side too: give the LAN addresses");
            }
            if (a.isMulticastAddress()) throw new IllegalArgumentException(a.getHostAddress() + " is a multicast address");
        }
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port " + port);
        Objects.requireNonNull(announceTo);
        if (requestsPerSecond < 1) throw new IllegalArgumentException("rate " + requestsPerSecond + " a second");
    }

    /** Port 5351, announcements to 224.0.0.1:5350, 20 requests a second per source, no third party. */
    public static PortMapConfig of(List<InetAddress> lanAddresses) {
        return new PortMapConfig(lanAddresses, Pcp.SERVER_PORT, ALL_HOSTS, DEFAULT_RATE, false);
    }
}
