package org.conenatd.portmap.upnp;

import org.conenatd.portmap.FakePortMapper;
import org.conenatd.ops.Log;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Selector;
import java.nio.channels.SelectionKey;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** SSDP over loopback: lo joins the group as a LAN interface would; ports are the kernel's picks. */
class SsdpTest {
    final FakePortMapper mapper = FakePortMapper.forUpnp(7200);
    final Log log = new Log(Log.Level.INFO, false, 1000, new PrintStream(new ByteArrayOutputStream(), true));

    static final String SEARCH = "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nST: %s\r\nMAN: \"ssdp:discover\"\r\nMX: %d\r\n\r\n";

    static DatagramChannel client(String from) throws IOException {
        DatagramChannel c = DatagramChannel.open(StandardProtocolFamily.INET);
        c.setOption(StandardSocketOptions.IP_MULTICAST_IF, NetworkInterface.getByName("lo"));
        c.bind(new InetSocketAddress(from, 0));
        c.configureBlocking(false);
        return c;
    }

    /** The datagrams that arrive within {@code millis}, or the first {@code enough} of them. */
    static List<String> collect(DatagramChannel c, long millis, int enough) throws IOException {
        List<String> out = new ArrayList<>();
        try (Selector sel = Selector.open()) {
            c.register(sel, SelectionKey.OP_READ);
            long end = System.currentTimeMillis() + millis;
            ByteBuffer buf = ByteBuffer.allocate(2048);
            for (long left; out.size() < enough && (left = end - System.currentTimeMillis()) > 0; ) {
                if (sel.select(left) == 0) continue;
                sel.selectedKeys().clear();
                for (buf.clear(); c.receive(buf) != null; buf.clear()) {
                    out.add(new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII));
                }
            }
        }
        return out;
    }

    static String header(String message, String name) {
        for (String line : message.split("\r\n")) {
            if (line.regionMatches(true, 0, name + ":", 0, name.length() + 1)) return line.substring(name.length() + 1).strip();
        }
        return null;
    }

    UpnpIgd start(int ssdpPort) throws IOException {
        return UpnpIgd.start(new UpnpIgd.Config(List.of(NetworkInterface.getByName("lo")), 0, ssdpPort, false, "t"), mapper, log);
    }

    static InetSocketAddress group(UpnpIgd igd) throws IOException {
        return new InetSocketAddress(InetAddress.getByName(SsdpMessages.GROUP), igd.ssdpPort());
    }

    static void send(DatagramChannel c, String message, InetSocketAddress to) throws IOException {
        c.send(ByteBuffer.wrap(message.getBytes(StandardCharsets.US_ASCII)), to);
    }

    @Test
    void searchGetsTheLocationOfTheLanAddress() throws Exception {
        try (UpnpIgd igd = start(0); DatagramChannel c = client("127.0.0.2")) {
            String st = "urn:schemas-upnp-org:device:InternetGatewayDevice:1";
            send(c, SEARCH.formatted(st, 1), group(igd));
            List<String> replies = collect(c, 5000, 1);
            assertEquals(1, replies.size(), replies::toString);
            String r = replies.get(0);
            assertTrue(r.startsWith("HTTP/1.1 200 OK\r\n"));
            assertEquals(igd.descriptionUrls().get(0), header(r, "LOCATION"));
            assertEquals("http://127.0.0.1:" + igd.httpPort("127.0.0.1") + "/rootDesc.xml", header(r, "LOCATION"));
            assertEquals(st, header(r, "ST"));
            assertTrue(header(r, "USN").endsWith("::" + st));
            assertEquals("max-age=1800", header(r, "CACHE-CONTROL"));
            assertEquals(1, igd.counters().ssdpSearches());
        }
    }

    @Test
    void multicastSsdpAllGetsEveryAdvert() throws Exception {
        try (UpnpIgd igd = start(0); DatagramChannel c = client("127.0.0.3")) {
            send(c, SEARCH.formatted("ssdp:all", 2), group(igd));
            List<String> replies = collect(c, 5000, 9);
            assertEquals(9, replies.size(), replies::toString);
            assertTrue(replies.stream().allMatch(r -> igd.descriptionUrls().get(0).equals(header(r, "LOCATION"))));
            assertTrue(replies.stream().anyMatch(r -> "upnp:rootdevice".equals(header(r, "ST"))));
        }
    }

    @Test
    void otherTargetsNonSearchesAndUnicastGetNothing() throws Exception {
        try (UpnpIgd igd = start(0); DatagramChannel c = client("127.0.0.4")) {
            send(c, SEARCH.formatted("urn:schemas-upnp-org:device:MediaRenderer:1", 1), group(igd));
            send(c, "NOTIFY * HTTP/1.1\r\nNTS: ssdp:alive\r\n\r\n", group(igd));
            c.send(ByteBuffer.wrap(new byte[] {0, 1, 2, 3}), group(igd));
            // the socket is bound to the group: a unicast search, as from the WAN side, never reaches it
            send(c, SEARCH.formatted("ssdp:all", 0), new InetSocketAddress("127.0.0.1", igd.ssdpPort()));
            assertEquals(List.of(), collect(c, 700, 1));
            assertEquals(0, igd.counters().ssdpSearches());
        }
    }

    @Test
    void searchFloodIsCapped() throws Exception {
        try (UpnpIgd igd = start(0); DatagramChannel c = client("127.0.0.5")) {
            for (int i = 0; i < 40; i++) send(c, SEARCH.formatted("upnp:rootdevice", 0), group(igd));
            List<String> replies = collect(c, 1000, 40);
            assertTrue(replies.size() <= Ssdp.SEARCH_BURST + Ssdp.SEARCHES_PER_SECOND * 2, replies.size() + " replies");
            assertTrue(igd.counters().ssdpIgnored() >= 20, "ignored " + igd.counters().ssdpIgnored());
        }
    }

    /** A control point listening on the group hears ssdp:alive at start and ssdp:byebye at stop. */
    @Test
    void aliveAtStartByebyeAtStop() throws Exception {
        try (DatagramChannel listener = DatagramChannel.open(StandardProtocolFamily.INET)) {
            listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            listener.bind(new InetSocketAddress(0));
            listener.join(InetAddress.getByName(SsdpMessages.GROUP), NetworkInterface.getByName("lo"));
            listener.configureBlocking(false);
            int port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
            UpnpIgd igd = start(port);
            List<String> alive = collect(listener, 5000, 9);
            igd.close();
            List<String> bye = collect(listener, 5000, 9);
            assertEquals(9, alive.stream().filter(m -> "ssdp:alive".equals(header(m, "NTS"))).count(), alive::toString);
            assertTrue(alive.stream().allMatch(m -> igd.descriptionUrls().get(0).equals(header(m, "LOCATION"))));
            assertEquals(9, bye.stream().filter(m -> "ssdp:byebye".equals(header(m, "NTS"))).count(), bye::toString);
        }
    }
}
