package org.conenatd.portmap.upnp;

import org.conenatd.portmap.upnp.SsdpMessages.Advert;
import org.conenatd.portmap.upnp.SsdpMessages.Search;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class SsdpMessagesTest {
    static final DeviceIds IDS = DeviceIds.fromSeed("02fc00000001");

    static Search parse(String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        return SsdpMessages.parseSearch(b, b.length);
    }

    /** minissdpc.c's MSearchMsgFmt, as upnpDiscover(2000, ...) sends it. */
    @Test
    void searchAsMiniupnpcSendsIt() {
        Search s = parse("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
                + "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nMAN: \"ssdp:discover\"\r\nMX: 2\r\n\r\n");
        assertEquals(new Search("urn:schemas-upnp-org:device:InternetGatewayDevice:1", 2), s);
    }

    /** Windows' SSDP service and others: header case, no space after the colon, LF only. */
    @Test
    void otherSpellings() {
        assertEquals(new Search("upnp:rootdevice", 3), parse("M-SEARCH * HTTP/1.1\r\nHost:239.255.255.250:1900\r\n"
                + "St:upnp:rootdevice\r\nMan:\"ssdp:discover\"\r\nMx:3\r\n\r\n"));
        assertEquals(new Search("ssdp:all", 0), parse("M-SEARCH * HTTP/1.1\nMAN: ssdp:discover\nST: ssdp:all\n\n"));
    }

    @Test
    void notSearches() {
        assertNull(parse("NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\n\r\n"));
        assertNull(parse("M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\n\r\n"), "no MAN");
        assertNull(parse("M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:update\"\r\nST: ssdp:all\r\n\r\n"));
        assertNull(parse("M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\n\r\n"), "no ST");
        assertNull(parse("M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\nST: ssdp:all\r\nMX: -1\r\n\r\n"));
        assertNull(parse("M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\nST: ssdp:all\r\nMX: 99999999999\r\n\r\n"));
        assertNull(parse("M-SEARCH * HTTP/1.1\r\nMAN \"ssdp:discover\"\r\nST: ssdp:all\r\n\r\n"));
        assertNull(parse("HTTP/1.1 200 OK\r\n\r\n"));
        assertNull(parse(""));
        assertNull(parse("M-SEARCH * HTTP/1.1\r\n" + "X: y\r\n".repeat(100) + "MAN: \"ssdp:discover\"\r\nST: ssdp:all\r\n\r\n"));
        assertNull(SsdpMessages.parseSearch(new byte[] {'M'}, 5), "length past the data");
    }

    @Test
    void whatEachTargetGets() {
        assertEquals(9, SsdpMessages.matching("ssdp:all", IDS).size());
        assertEquals(List.of(new Advert("upnp:rootdevice", "uuid:" + IDS.igd() + "::upnp:rootdevice")),
                SsdpMessages.matching("upnp:rootdevice", IDS));
        assertEquals(List.of(new Advert("uuid:" + IDS.wan(), "uuid:" + IDS.wan())), SsdpMessages.matching("uuid:" + IDS.wan(), IDS));
        String igd = "urn:schemas-upnp-org:device:InternetGatewayDevice:1";
        assertEquals(List.of(new Advert(igd, "uuid:" + IDS.igd() + "::" + igd)), SsdpMessages.matching(igd, IDS));
        String ipc = "urn:schemas-upnp-org:service:WANIPConnection:1";
        assertEquals(List.of(new Advert(ipc, "uuid:" + IDS.wanConnection() + "::" + ipc)), SsdpMessages.matching(ipc, IDS));
        String cif = "urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1";
        assertEquals("uuid:" + IDS.wan() + "::" + cif, SsdpMessages.matching(cif, IDS).get(0).usn());
        assertTrue(SsdpMessages.matching("urn:schemas-upnp-org:device:InternetGatewayDevice:2", IDS).isEmpty());
        assertTrue(SsdpMessages.matching("urn:schemas-upnp-org:service:WANPPPConnection:1", IDS).isEmpty());
        assertTrue(SsdpMessages.matching("urn:dial-multiscreen-org:service:dial:1", IDS).isEmpty());
    }

    @Test
    void replyAndNotifies() {
        Advert a = SsdpMessages.matching("upnp:rootdevice", IDS).get(0);
        String loc = "http://10.0.0.1:2189/rootDesc.xml";
        String reply = SsdpMessages.reply(a, loc, ZonedDateTime.of(2025, 1, 2, 3, 4, 5, 0, ZoneOffset.UTC));
        assertTrue(reply.startsWith("HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nDATE: Thu, 2 Jan 2025 03:04:05 GMT\r\nEXT:\r\n"
                + "LOCATION: " + loc + "\r\nSERVER: Linux/"), reply);
        assertTrue(reply.endsWith(" UPnP/1.0 conenatd/0.1.0\r\nST: upnp:rootdevice\r\nUSN: uuid:" + IDS.igd() + "::upnp:rootdevice\r\n\r\n"));
        String alive = SsdpMessages.alive(a, loc);
        assertTrue(alive.startsWith("NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age=1800\r\n"
                + "LOCATION: " + loc + "\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\n"), alive);
        assertEquals("NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: upnp:rootdevice\r\nNTS: ssdp:byebye\r\n"
                + "USN: uuid:" + IDS.igd() + "::upnp:rootdevice\r\n\r\n", SsdpMessages.byebye(a));
        assertTrue(reply.length() < 512 && alive.length() < 512, "one small datagram each");
    }
}
