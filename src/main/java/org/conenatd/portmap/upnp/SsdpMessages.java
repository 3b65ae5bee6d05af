package org.conenatd.portmap.upnp;

import org.conenatd.portmap.upnp.IgdSchema.Device;
import org.conenatd.portmap.upnp.IgdSchema.Service;

import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * SSDP's messages (UDA 1.0 section 1), as text: reading an M-SEARCH, and writing search replies and
 * NOTIFYs. No sockets here. Parsing never throws; anything that is not a well-formed M-SEARCH is
 * null.
 */
final class SsdpMessages {
    private SsdpMessages() {}

    static final String GROUP = "239.255.255.250";
    static final int MAX_AGE = 1800;
    private static final int MAX_LINES = 40;

    /** An M-SEARCH: its search target, and MX (seconds to spread replies over; 0 when absent, as in unicast). */
    record Search(String st, int mx) {}

    /** One thing advertised: its notification type (a search target's answer) and unique service name. */
    record Advert(String nt, String usn) {}

    static Search parseSearch(byte[] data, int length) {
        String text = new String(data, 0, Math.max(0, Math.min(length, data.length)), StandardCharsets.ISO_8859_1);
        String[] lines = text.split("\r?\n", MAX_LINES + 2);
        if (lines.length > MAX_LINES + 1 || !lines[0].strip().equals("M-SEARCH * HTTP/1.1")) return null;
        String st = null, man = null, mx = null;
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty()) break;
            int colon = line.indexOf(':');
            if (colon <= 0) return null;
            String name = line.substring(0, colon).strip().toUpperCase(Locale.ROOT);
            String value = line.substring(colon + 1).strip();
            switch (name) {
                case "ST" -> { if (st == null) st = value; }
                case "MAN" -> { if (man == null) man = value; }
                case "MX" -> { if (mx == null) mx = value; }
                default -> { }
            }
        }
        if (st == null || st.isEmpty() || man == null) return null;
        if (!man.equals("\"ssdp:discover\"") && !man.equals("ssdp:discover")) return null;
        int seconds = 0;
        if (mx != null) {
            if (mx.isEmpty() || mx.length() > 3 || !mx.chars().allMatch(c -> c >= '0' && c <= '9')) return null;
            seconds = Integer.parseInt(mx);
        }
        return new Search(st, seconds);
    }

    /** Everything advertised: the root device, each device by UUID and by type, each service. */
    static List<Advert> adverts(DeviceIds ids) {
        List<Advert> out = new ArrayList<>();
        String root = "uuid:" + ids.igd();
        out.add(new Advert("upnp:rootdevice", root + "::upnp:rootdevice"));
        for (Device d : Device.values()) {
            String uuid = "uuid:" + ids.of(d);
            out.add(new Advert(uuid, uuid));
            out.add(new Advert(d.type, uuid + "::" + d.type));
        }
        for (Service s : Service.values()) out.add(new Advert(s.type, "uuid:" + ids.of(s.device) + "::" + s.type));
        return List.copyOf(out);
    }

    /**
     * The adverts a search target asks for: ssdp:all, upnp:rootdevice, a device's UUID, or one of
     * the version-1 types (the only version served, so a version-1 search is the only one answered).
     */
    static List<Advert> matching(String st, DeviceIds ids) {
        List<Advert> all = adverts(ids);
        if (st.equals("ssdp:all")) return all;
        for (Advert a : all) if (a.nt().equals(st)) return List.of(a);
        return List.of();
    }

    static String reply(Advert a, String location, ZonedDateTime now) {
        return "HTTP/1.1 200 OK\r\n"
                + "CACHE-CONTROL: max-age=" + MAX_AGE + "\r\n"
                + "DATE: " + DateTimeFormatter.RFC_1123_DATE_TIME.format(now) + "\r\n"
                + "EXT:\r\n"
                + "LOCATION: " + location + "\r\n"
                + "SERVER: " + Descriptions.SERVER + "\r\n"
                + "ST: " + a.nt() + "\r\n"
                + "USN: " + a.usn() + "\r\n"
                + "\r\n";
    }

    static String alive(Advert a, String location) {
        return "NOTIFY * HTTP/1.1\r\n"
                + "HOST: " + GROUP + ":1900\r\n"
                + "CACHE-CONTROL: max-age=" + MAX_AGE + "\r\n"
                + "LOCATION: " + location + "\r\n"
                + "NT: " + a.nt() + "\r\n"
                + "NTS: ssdp:alive\r\n"
                + "SERVER: " + Descriptions.SERVER + "\r\n"
                + "USN: " + a.usn() + "\r\n"
                + "\r\n";
    }

    static String byebye(Advert a) {
        return "NOTIFY * HTTP/1.1\r\n"
                + "HOST: " + GROUP + ":1900\r\n"
                + "NT: " + a.nt() + "\r\n"
                + "NTS: ssdp:byebye\r\n"
                + "USN: " + a.usn() + "\r\n"
                + "\r\n";
    }
}
