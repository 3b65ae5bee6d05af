package org.conenatd.dataplane.kernel;

import org.conenatd.ops.Counters;
import org.conenatd.ops.Log;
import org.conenatd.ops.StartupException;
import org.conenatd.portmap.PortMapper;
import org.conenatd.portmap.pcp.PortMapConfig;
import org.conenatd.portmap.pcp.PortMapServer;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The port-mapping protocols kernel mode answers on the LAN side: NAT-PMP and PCP on UDP 5351,
 * and UPnP IGD. They listen on the router's LAN addresses only (every IPv4 address of an
 * interface other than the WAN one and loopback), never the wildcard, so nothing of them answers
 * on the WAN.
 */
final class PortMappingServices {
    private final KernelConfig cfg;
    private final PortMapper mapper;
    private final Counters counters;
    private final Log log;
    private PortMapServer pcp;
    private org.conenatd.portmap.upnp.UpnpIgd igd;

    PortMappingServices(KernelConfig cfg, PortMapper mapper, Counters counters, Log log) {
        this.cfg = cfg;
        this.mapper = mapper;
        this.counters = counters;
        this.log = log;
    }

    /** The LAN side: interfaces other than the WAN one and loopback that are up, with their IPv4 addresses. */
    static List<NetworkInterface> lanInterfaces(String wanIf) throws SocketException {
        List<NetworkInterface> out = new ArrayList<>();
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (nif.getName().equals(wanIf) || nif.isLoopback() || !nif.isUp()) continue;
            if (!lanAddresses(nif).isEmpty()) out.add(nif);
        }
        return out;
    }

    static List<InetAddress> lanAddresses(NetworkInterface nif) {
        List<InetAddress> out = new ArrayList<>();
        for (InetAddress a : Collections.list(nif.getInetAddresses())) if (a instanceof Inet4Address) out.add(a);
        return out;
    }

    void start() throws StartupException {
        List<InetAddress> addrs = new ArrayList<>();
        List<NetworkInterface> lan;
        try {
            lan = lanInterfaces(cfg.wanIf());
            for (NetworkInterface nif : lan) addrs.addAll(lanAddresses(nif));
        } catch (SocketException e) {
            throw new StartupException("cannot list the LAN interfaces for NAT-PMP/PCP/UPnP: " + e.getMessage()
                    + " (or give --no-port-mapping)", e);
        }
        if (addrs.isEmpty()) {
            log.warn("[!] no LAN address besides " + cfg.wanIf() + ": NAT-PMP, PCP and UPnP IGD are not answered");
            return;
        }
        pcp = new PortMapServer(new PortMapConfig(addrs, org.conenatd.portmap.pcp.Pcp.SERVER_PORT, PortMapConfig.ALL_HOSTS,
                PortMapConfig.DEFAULT_RATE, cfg.portMapping().thirdParty()), mapper, log);
        pcp.counters().registerIn(counters);
        try {
            pcp.start();
        } catch (IOException e) {
            throw new StartupException("cannot serve NAT-PMP/PCP on UDP " + org.conenatd.portmap.pcp.Pcp.SERVER_PORT + " of "
                    + addrs + ": " + e.getMessage() + " (is another daemon, miniupnpd say, answering it? turn that off, or give --no-port-mapping)", e);
        }
        try {
            igd = org.conenatd.portmap.upnp.UpnpIgd.start(org.conenatd.portmap.upnp.UpnpIgd.Config.of(lan)
                    .withPorts(cfg.portMapping().upnpPort(), org.conenatd.portmap.upnp.UpnpIgd.SSDP_PORT)
                    .withThirdParty(cfg.portMapping().thirdParty()), mapper, log);
            igd.counters().registerIn(counters);
        } catch (IOException | IllegalArgumentException e) {
            stop();
            throw new StartupException("cannot serve UPnP IGD (SSDP on UDP 1900, HTTP on TCP " + cfg.portMapping().upnpPort() + ") on "
                    + addrs + ": " + e.getMessage() + " (is another daemon, miniupnpd say, answering it? turn that off, or give --no-port-mapping)", e);
        }
    }

    void stop() {
        if (igd != null) {
            igd.close(); // ssdp:byebye
            igd = null;
        }
        if (pcp != null) {
            pcp.stop();
            pcp = null;
        }
    }
}
