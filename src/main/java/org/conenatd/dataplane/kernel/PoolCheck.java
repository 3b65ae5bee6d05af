package org.conenatd.dataplane.kernel;

import org.conenatd.inet.Inet4;
import org.conenatd.ops.StartupException;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The {@code --pool} addresses against the router they run on, at start. An address inside a LAN
 * subnet (of an interface other than the WAN one, or a {@code --source} prefix) is an error: the
 * router would NAT LAN hosts to a LAN address. An address the router neither holds nor routes is
 * a warning, not an error: an upstream may route a block to the router that no local route
 * names, and only the operator knows. One line each.
 */
final class PoolCheck {
    private PoolCheck() {}

    /** An IPv4 address of an interface, with its prefix length. */
    record Net(String ifname, int address, int prefixLen) {
        boolean covers(int a) {
            int mask = prefixLen == 0 ? 0 : -1 << (32 - prefixLen);
            return (a & mask) == (address & mask);
        }
    }

    /** A route of the main table: destination and mask (network order as ints). */
    record Route(int destination, int mask) {
        boolean covers(int a) { return mask != 0 && (a & mask) == destination; }
    }

    /** Checks {@code pool}; returns the warnings, throws for an address in the LAN. */
    static List<String> check(int[] pool, String wanIf, List<Net> nets, List<Route> routes, List<String> sources) throws StartupException {
        List<Net> lan = new ArrayList<>();
        for (Net n : nets) if (!n.ifname().equals(wanIf) && !n.ifname().equals("lo")) lan.add(n);
        for (String c : sources) {
            int slash = c.indexOf('/');
            lan.add(new Net("--source", Inet4.parseAddr(c.substring(0, slash)), Integer.parseInt(c.substring(slash + 1))));
        }
        List<String> warnings = new ArrayList<>();
        int unrouted = 0, unheld = 0;
        String firstUnrouted = null, firstUnheld = null;
        for (int a : pool) {
            for (Net n : lan) {
                if (n.covers(a)) {
                    throw new StartupException("invalid --pool: " + Inet4.format(a) + " is inside the LAN ("
                            + Inet4.format(n.address()) + "/" + n.prefixLen() + " on " + n.ifname() + ")");
                }
            }
            if (held(a, nets)) continue;
            boolean onWanSubnet = false;
            for (Net n : nets) if (n.ifname().equals(wanIf) && n.prefixLen() < 32 && n.covers(a)) onWanSubnet = true;
            if (onWanSubnet) {
                if (unheld++ == 0) firstUnheld = Inet4.format(a);
                continue;
            }
            boolean routed = false;
            for (Route r : routes) if (r.covers(a)) routed = true;
            if (!routed && unrouted++ == 0) firstUnrouted = Inet4.format(a);
        }
        if (unheld > 0) {
            warnings.add("--pool " + firstUnheld + (unheld > 1 ? " and " + (unheld - 1) + " more" : "") + " on " + wanIf
                    + "'s subnet but not its addresses: nothing answers ARP for them; add them (ip addr add " + firstUnheld + "/32 dev " + wanIf + ")");
        }
        if (unrouted > 0) {
            warnings.add("--pool " + firstUnrouted + (unrouted > 1 ? " and " + (unrouted - 1) + " more" : "")
                    + ": not an address of this router and no route names it; inbound traffic reaches it only if the upstream routes it to " + wanIf);
        }
        return warnings;
    }

    private static boolean held(int a, List<Net> nets) {
        for (Net n : nets) if (n.address() == a) return true;
        return false;
    }

    /** This machine's IPv4 interface addresses. */
    static List<Net> nets() {
        List<Net> out = new ArrayList<>();
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InterfaceAddress ia : nif.getInterfaceAddresses()) {
                    if (ia.getAddress() instanceof Inet4Address v4) {
                        out.add(new Net(nif.getName(), java.nio.ByteBuffer.wrap(v4.getAddress()).getInt(), ia.getNetworkPrefixLength()));
                    }
                }
            }
        } catch (SocketException e) {
            // no interfaces to compare with: nothing is known to overlap
        }
        return out;
    }

    /** The main table's IPv4 routes, from /proc/net/route (little-endian hex, as the kernel prints them). */
    static List<Route> routes() {
        List<Route> out = new ArrayList<>();
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/net/route"));
            for (String l : lines.subList(Math.min(1, lines.size()), lines.size())) {
                String[] f = l.trim().split("\\s+");
                if (f.length < 8) continue;
                out.add(new Route(Integer.reverseBytes((int) Long.parseLong(f[1], 16)), Integer.reverseBytes((int) Long.parseLong(f[7], 16))));
            }
        } catch (IOException | NumberFormatException e) {
            // no routes known: addresses not held are warned about
        }
        return out;
    }
}
