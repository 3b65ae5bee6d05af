package org.conenatd.portmap.upnp;

import org.conenatd.inet.Inet4;
import org.conenatd.ops.Log;
import org.conenatd.portmap.PortMapper;

import java.io.IOException;
import java.net.NetworkInterface;
import java.util.List;

/**
 * conenatd's UPnP Internet Gateway Device (IGD:1, WANIPConnection:1 plus WANIPConnection:2's
 * AddAnyPortMapping and GetListOfPortMappings): SSDP discovery and an HTTP/SOAP server on the LAN
 * interfaces only, mapping through the daemon's {@link PortMapper}. Start it once the mapper is
 * ready; close it before the mapper goes (close sends ssdp:byebye).
 *
 * <pre>{@code
 * UpnpIgd igd = UpnpIgd.start(UpnpIgd.Config.of(List.of(NetworkInterface.getByName("br-lan"))), mapper, log);
 * igd.counters().registerIn(counters);
 * ...
 * igd.close();
 * }</pre>
 */
public final class UpnpIgd implements AutoCloseable {
    public static final int DEFAULT_HTTP_PORT = 2189;
    public static final int SSDP_PORT = 1900;

    /**
     * @param lan             the LAN interfaces (never the WAN): every IPv4 address of each is served
     * @param httpPort        the HTTP port on each LAN address (0: any, for tests)
     * @param ssdpPort        the SSDP port, 1900 (0: any, for tests)
     * @param allowThirdParty let a client map (and delete) other LAN hosts' ports, not only its own
     * @param friendlyName    what control points show for the router
     */
    public record Config(List<NetworkInterface> lan, int httpPort, int ssdpPort, boolean allowThirdParty,
                         String friendlyName) {
        public Config {
            lan = List.copyOf(lan);
            if (lan.isEmpty()) throw new IllegalArgumentException("no LAN interface");
            if (httpPort < 0 || httpPort > 65535 || ssdpPort < 0 || ssdpPort > 65535) {
                throw new IllegalArgumentException("port out of range");
            }
        }

        /** Ports 2189 and 1900, clients map only themselves, named after the host. */
        public static Config of(List<NetworkInterface> lan) {
            return new Config(lan, DEFAULT_HTTP_PORT, SSDP_PORT, false, "conenatd on " + DeviceIds.hostname());
        }

        public Config withPorts(int http, int ssdp) {
            return new Config(lan, http, ssdp, allowThirdParty, friendlyName);
        }

        public Config withThirdParty(boolean allow) {
            return new Config(lan, httpPort, ssdpPort, allow, friendlyName);
        }
    }

    private final List<LanAddress> lan;
    private final UpnpCounters counters;
    private final UpnpHttp http;
    private final Ssdp ssdp;

    private UpnpIgd(List<LanAddress> lan, UpnpCounters counters, UpnpHttp http, Ssdp ssdp) {
        this.lan = lan;
        this.counters = counters;
        this.http = http;
        this.ssdp = ssdp;
    }

    /**
     * Binds HTTP on every LAN address and SSDP on the LAN interfaces, announces the device, and
     * logs one line.
     *
     * @throws IOException              if a port cannot be bound (HTTP's taken, say)
     * @throws IllegalArgumentException if a LAN interface has no IPv4 address, or has the public
     *                                  address (that interface is the WAN)
     */
    public static UpnpIgd start(Config config, PortMapper mapper, Log log) throws IOException {
        List<LanAddress> lan = LanAddress.of(config.lan());
        int wan = mapper.externalAddress();
        for (LanAddress a : lan) {
            if (wan != 0 && a.ip() == wan) {
                throw new IllegalArgumentException(a.nif().getName() + " has the public address " + Inet4.format(wan)
                        + ": it is the WAN, not a LAN interface");
            }
        }
        UpnpCounters counters = new UpnpCounters();
        DeviceIds ids = DeviceIds.derive(config.lan());
        IgdActions actions = new IgdActions(mapper, lan, config.allowThirdParty(), counters, log);
        UpnpHttp http = new UpnpHttp(lan, config.httpPort(), actions, Descriptions.root(ids, config.friendlyName()),
                counters, log);
        Ssdp ssdp;
        try {
            ssdp = new Ssdp(lan, config.ssdpPort(), a -> location(a, http.port(a)), ids, counters, log);
        } catch (IOException | RuntimeException e) {
            http.close();
            throw e;
        }
        ssdp.start();
        UpnpIgd igd = new UpnpIgd(lan, counters, http, ssdp);
        log.info("[*] upnp IGD on " + igd.descriptionUrls() + " (uuid:" + ids.igd() + ", clients map "
                + (config.allowThirdParty() ? "any LAN host" : "only themselves") + ")");
        return igd;
    }

    static String location(LanAddress a, int port) {
        return "http://" + a.text() + ":" + port + IgdSchema.ROOT_DESC;
    }

    /** The description URL of each LAN address, as SSDP announces them. */
    public List<String> descriptionUrls() {
        return lan.stream().map(a -> location(a, http.port(a))).toList();
    }

    public int httpPort(String lanAddress) {
        for (LanAddress a : lan) if (a.text().equals(lanAddress)) return http.port(a);
        throw new IllegalArgumentException(lanAddress + " is not a LAN address served");
    }

    public int ssdpPort() {
        return ssdp.port();
    }

    public UpnpCounters counters() {
        return counters;
    }

    /** Sends ssdp:byebye, then stops both servers. */
    @Override
    public void close() {
        ssdp.close();
        http.close();
    }
}
