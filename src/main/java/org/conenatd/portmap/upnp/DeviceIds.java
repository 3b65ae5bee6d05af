package org.conenatd.portmap.upnp;

import java.io.IOException;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

/**
 * The UDNs of the three devices and the serial number. Control points cache devices by UUID, so it
 * must survive restarts: it is a name-based UUID of the first LAN interface's MAC address (or, on an
 * interface without one, of the host name), the same for every start on the same router.
 */
public record DeviceIds(UUID igd, UUID wan, UUID wanConnection, String serial) {

    public static DeviceIds derive(List<NetworkInterface> lan) {
        String seed = null;
        for (NetworkInterface nif : lan) {
            byte[] mac = hardwareAddress(nif);
            if (mac != null && mac.length == 6 && !allZero(mac)) { seed = HexFormat.of().formatHex(mac); break; }
        }
        if (seed == null) seed = "host-" + hostname();
        return fromSeed(seed);
    }

    public static DeviceIds fromSeed(String seed) {
        return new DeviceIds(id(seed, "igd"), id(seed, "wan"), id(seed, "wan-connection"), seed);
    }

    public UUID of(IgdSchema.Device d) {
        return switch (d) {
            case IGD -> igd;
            case WAN -> wan;
            case WAN_CONNECTION -> wanConnection;
        };
    }

    private static UUID id(String seed, String device) {
        return UUID.nameUUIDFromBytes(("conenatd upnp " + device + " " + seed).getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] hardwareAddress(NetworkInterface nif) {
        try {
            return nif.getHardwareAddress();
        } catch (SocketException e) {
            return null;
        }
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) if (x != 0) return false;
        return true;
    }

    /** The kernel's host name; read from /proc, since InetAddress.getLocalHost() may ask DNS. */
    static String hostname() {
        try {
            String h = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            if (!h.isEmpty()) return h;
        } catch (IOException | RuntimeException e) {
            // fall through: not Linux, or /proc not mounted
        }
        return "router";
    }
}
