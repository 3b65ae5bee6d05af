package org.conenatd.portmap.upnp;

import org.conenatd.portmap.FakePortMapper;
import org.conenatd.inet.Inet4;
import org.conenatd.nat.Protocol;
import org.conenatd.ops.Log;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.conenatd.portmap.upnp.Bodies.IPC1;
import static org.conenatd.portmap.upnp.Bodies.soapAction;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The IGD over loopback, as a LAN client at 127.0.0.2 sees it (lo stands for the LAN interface, its
 * 127.0.0.1/8 for the LAN address): descriptions, the control URL with upnpc's own bodies, and the
 * HTTP-level refusals.
 */
class UpnpIgdServerTest {
    static final String CLIENT = "127.0.0.2";
    final FakePortMapper mapper = FakePortMapper.forUpnp(7200);
    final ByteArrayOutputStream logged = new ByteArrayOutputStream();
    final Log log = new Log(Log.Level.INFO, false, 1000, new PrintStream(logged, true));
    UpnpIgd igd;
    String base;

    @BeforeEach
    void start() throws IOException {
        igd = UpnpIgd.start(new UpnpIgd.Config(List.of(NetworkInterface.getByName("lo")), 0, 0, false, "test"), mapper, log);
        base = "http://127.0.0.1:" + igd.httpPort("127.0.0.1");
    }

    @AfterEach
    void stop() {
        igd.close();
    }

    static HttpClient client(String from) throws IOException {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).localAddress(InetAddress.getByName(from))
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    HttpResponse<String> get(String path) throws Exception {
        return client(CLIENT).send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String soapAction, String type, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (soapAction != null) b.header("SOAPAction", soapAction);
        if (type != null) b.header("Content-Type", type);
        return client(CLIENT).send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> control(String action, String body) throws Exception {
        return post("/ctl/IPConn", soapAction(IPC1, action), "text/xml", body);
    }

    static String errorCode(HttpResponse<String> r) {
        assertEquals(500, r.statusCode(), r::body);
        return MiniupnpcView.values(r.body()).get("errorCode");
    }

    @Test
    void descriptions() throws Exception {
        HttpResponse<String> root = get("/rootDesc.xml");
        assertEquals(200, root.statusCode());
        assertEquals("text/xml; charset=\"utf-8\"", root.headers().firstValue("Content-Type").orElseThrow());
        assertTrue(root.body().contains("<serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType>"));
        assertTrue(root.headers().firstValue("Server").orElseThrow().contains("UPnP/1.0 conenatd/"));
        assertTrue(get("/WANIPCn.xml").body().contains("<name>AddPortMapping</name>"));
        assertTrue(get("/WANCfg.xml").body().contains("<name>GetCommonLinkProperties</name>"));
        assertEquals(404, get("/etc/passwd").statusCode());
        assertEquals(405, get("/ctl/IPConn").statusCode());
        assertEquals(List.of(base + "/rootDesc.xml"), igd.descriptionUrls());
    }

    @Test
    void addGetDeleteAsUpnpcDoes() throws Exception {
        HttpResponse<String> ext = control("GetExternalIPAddress", Bodies.upnpc(IPC1, "GetExternalIPAddress"));
        assertEquals(200, ext.statusCode());
        assertEquals("198.51.100.7", MiniupnpcView.values(ext.body()).get("NewExternalIPAddress"));

        HttpResponse<String> add = control("AddPortMapping", Bodies.addPortMapping(CLIENT, 5000, 5001, "UDP", "0"));
        assertEquals(200, add.statusCode(), add::body);
        assertTrue(add.body().contains("<u:AddPortMappingResponse xmlns:u=\"" + IPC1 + "\"></u:AddPortMappingResponse>"));
        assertEquals(Inet4.parseAddr(CLIENT), mapper.leaseOf(Protocol.UDP, 5000).internalIp());

        HttpResponse<String> spec = control("GetSpecificPortMappingEntry", Bodies.getSpecific(5000, "UDP"));
        assertEquals(200, spec.statusCode());
        Map<String, String> v = MiniupnpcView.values(spec.body());
        assertEquals(CLIENT, v.get("NewInternalClient"));
        assertEquals("5001", v.get("NewInternalPort"));
        assertEquals("7200", v.get("NewLeaseDuration"), "'permanent' shows as the lease granted");
        assertEquals("libminiupnpc", v.get("NewPortMappingDescription"));

        assertEquals(200, control("DeletePortMapping", Bodies.deletePortMapping(5000, "UDP")).statusCode());
        assertNull(mapper.leaseOf(Protocol.UDP, 5000));
        assertEquals("714", errorCode(control("GetSpecificPortMappingEntry", Bodies.getSpecific(5000, "UDP"))));
        assertEquals("714", errorCode(control("DeletePortMapping", Bodies.deletePortMapping(5000, "UDP"))));

        assertEquals(1, igd.counters().grants());
        assertEquals(1, igd.counters().deletions());
        assertEquals(1, igd.counters().refusals());
        assertTrue(logged.toString().contains("[+] upnp udp :5000 -> 127.0.0.2:5001 for 7200 s"), logged.toString());
    }

    @Test
    void mappingAnotherHostIs606() throws Exception {
        assertEquals("606", errorCode(control("AddPortMapping", Bodies.addPortMapping("127.0.0.3", 5000, 5000, "TCP", "60"))));
        assertTrue(mapper.calls.isEmpty());
    }

    @Test
    void commonInterfaceConfigAnswersOnItsOwnUrlOnly() throws Exception {
        String body = Bodies.upnpc(Bodies.CIF1, "GetCommonLinkProperties");
        HttpResponse<String> r = post("/ctl/CmnIfCfg", soapAction(Bodies.CIF1, "GetCommonLinkProperties"), "text/xml", body);
        assertEquals(200, r.statusCode());
        assertEquals("Up", MiniupnpcView.values(r.body()).get("NewPhysicalLinkStatus"));
        assertEquals("401", errorCode(post("/ctl/IPConn", soapAction(Bodies.CIF1, "GetCommonLinkProperties"), "text/xml", body)));
        assertEquals("401", errorCode(post("/ctl/CmnIfCfg", soapAction(Bodies.CIF1, "GetTotalBytesSent"), "text/xml",
                Bodies.upnpc(Bodies.CIF1, "GetTotalBytesSent"))), "an optional action conenatd leaves out");
    }

    @Test
    void httpLevelRefusals() throws Exception {
        String body = Bodies.upnpc(IPC1, "GetExternalIPAddress");
        assertEquals("401", errorCode(post("/ctl/IPConn", null, "text/xml", body)), "no SOAPACTION");
        assertEquals(415, post("/ctl/IPConn", soapAction(IPC1, "GetExternalIPAddress"), "text/plain", body).statusCode());
        assertEquals(405, post("/rootDesc.xml", soapAction(IPC1, "GetExternalIPAddress"), "text/xml", body).statusCode());
        String big = Bodies.upnpc(IPC1, "AddPortMapping", "NewPortMappingDescription", "x".repeat(UpnpHttp.MAX_BODY));
        assertEquals(413, control("AddPortMapping", big).statusCode());
        String xxe = "<?xml version=\"1.0\"?><!DOCTYPE s:Envelope [<!ENTITY x SYSTEM \"file:///etc/hostname\">]>"
                + Bodies.upnpc(IPC1, "GetExternalIPAddress").replace("<?xml version=\"1.0\"?>\r\n", "");
        assertEquals("402", errorCode(control("GetExternalIPAddress", xxe)));
        HttpRequest.Builder many = HttpRequest.newBuilder(URI.create(base + "/rootDesc.xml"));
        for (int i = 0; i < UpnpHttp.MAX_HEADERS + 1; i++) many.header("X-H" + i, "v");
        assertEquals(431, client(CLIENT).send(many.build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(2, igd.counters().tooLarge(), "413 and 431");
    }

    @Test
    void aRebindingPagesHostIsRefused() throws Exception {
        int port = igd.httpPort("127.0.0.1");
        assertTrue(raw("GET /rootDesc.xml HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").startsWith("HTTP/1.1 200"));
        assertTrue(raw("GET /rootDesc.xml HTTP/1.0\r\n\r\n").startsWith("HTTP/1.1 200"), "HTTP/1.0 without Host");
        assertTrue(raw("GET /rootDesc.xml HTTP/1.1\r\nHost: attacker.example:" + port + "\r\n\r\n").startsWith("HTTP/1.1 403"));
        assertEquals(1, igd.counters().forbidden());
    }

    String raw(String request) throws IOException {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(CLIENT, 0));
            s.connect(new InetSocketAddress("127.0.0.1", igd.httpPort("127.0.0.1")), 5000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] head = new byte[12];
            int n = in.readNBytes(head, 0, head.length);
            return new String(head, 0, n, StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void perSourceRateLimit() throws Exception {
        HttpClient c = client("127.0.0.9");
        int limited = 0;
        for (int i = 0; i < UpnpHttp.REQUEST_BURST + 100; i++) {
            HttpResponse<String> r = c.send(HttpRequest.newBuilder(URI.create(base + "/rootDesc.xml")).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 503) {
                limited++;
                assertEquals("1", r.headers().firstValue("Retry-After").orElseThrow());
            }
        }
        assertTrue(limited >= 10, "503s: " + limited);
        assertEquals(limited, igd.counters().rateLimited());
        assertEquals(200, get("/rootDesc.xml").statusCode(), "another source is not limited");
    }

    @Test
    void theWanIsNoLan() {
        FakePortMapper onLo = FakePortMapper.forUpnp(60);
        onLo.externalAddress = Inet4.parseAddr("127.0.0.1");
        assertThrows(IllegalArgumentException.class, () -> UpnpIgd.start(
                new UpnpIgd.Config(List.of(NetworkInterface.getByName("lo")), 0, 0, false, "x"), onLo, log));
    }
}
