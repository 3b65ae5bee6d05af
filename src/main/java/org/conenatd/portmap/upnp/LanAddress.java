package org.conenatd.portmap.upnp;

import org.conenatd.inet.Inet4;

import java.net.Inet4Address;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.util.ArrayList;
import java.util.List;

/**
 * One IPv4 address of a LAN interface with its prefix: the HTTP server binds to the address, SSDP
 * answers with it, and a peer is "on the LAN" if it is inside one of these subnets.
 */
public record LanAddress(NetworkInterface nif, Inet4Address address, int prefixLength) {
    public LanAddress {
        if (prefixLength < 0 || prefixLength > 32) throw new IllegalArgumentException("prefix /" + prefixLength);
    }

    /** Every IPv4 address of {@code interfaces}; fails if one of them has none. */
    public static List<LanAddress> of(List<NetworkInterface> interfaces) {
        List<LanAddress> out = new ArrayList<>();
        for (NetworkInterface nif : interfaces) {
            int before = out.size();
            for (InterfaceAddress ia : nif.getInterfaceAddresses()) {
                if (ia.getAddress() instanceof Inet4Address a) out.add(new LanAddress(nif, a, ia.getNetworkPrefixLength()));
            }
            if (out.size() == before) throw new IllegalArgumentException("LAN interface " + nif.getName() + " has no IPv4 address");
        }
        return List.copyOf(out);
    }

    /** The address as conenatd's host-order int. */
    public int ip() {
        return toInt(address);
    }

    public String text() {
        return address.getHostAddress();
    }

    public boolean contains(int ip) {
        int mask = prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
        return (ip & mask) == (ip() & mask);
    }

    /** The LAN address whose subnet holds {@code ip} (the longest prefix, if several), or null. */
    public static LanAddress forPeer(List<LanAddress> lan, int ip) {
        LanAddress best = null;
        for (LanAddress l : lan) if (l.contains(ip) && (best == null || l.prefixLength > best.prefixLength)) best = l;
        return best;
    }

    public static int toInt(Inet4Address a) {
        byte[] b = a.getAddress();
        return (b[0] & 0xFF) << 24 | (b[1] & 0xFF) << 16 | (b[2] & 0xFF) << 8 | (b[3] & 0xFF);
    }

    @Override
    public String toString() {
        return nif.getName() + " " + Inet4.format(ip()) + "/" + prefixLength;
    }
}
