package org.conenatd.portmap.upnp;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.conenatd.portmap.upnp.Bodies.IPC1;
import static org.conenatd.portmap.upnp.Bodies.bytes;
import static org.conenatd.portmap.upnp.Bodies.soapAction;
import static org.junit.jupiter.api.Assertions.*;

/** Real clients' bodies, and hostile ones: DTDs and entities never expand, nothing is fetched. */
class SoapParserTest {
    @TempDir
    Path tmp;

    static SoapRequest parse(String body, String action) throws SoapParser.Invalid {
        return SoapParser.parse(bytes(body), soapAction(IPC1, action));
    }

    static UpnpError invalid(String body, String header) {
        return assertThrows(SoapParser.Invalid.class, () -> SoapParser.parse(bytes(body), header)).error;
    }

    @Test
    void addPortMappingAsUpnpcSendsIt() throws Exception {
        SoapRequest r = parse(Bodies.addPortMapping("10.0.0.5", 5000, 5001, "UDP", "0"), "AddPortMapping");
        assertEquals(IPC1, r.serviceType());
        assertEquals("AddPortMapping", r.action());
        assertEquals("", r.arg("NewRemoteHost"));
        assertTrue(r.has("NewRemoteHost"));
        assertEquals("5000", r.arg("NewExternalPort"));
        assertEquals("UDP", r.arg("NewProtocol"));
        assertEquals("5001", r.arg("NewInternalPort"));
        assertEquals("10.0.0.5", r.arg("NewInternalClient"));
        assertEquals("1", r.arg("NewEnabled"));
        assertEquals("libminiupnpc", r.arg("NewPortMappingDescription"));
        assertEquals("0", r.arg("NewLeaseDuration"));
        assertEquals(8, r.args().size());
    }

    @Test
    void actionWithoutArgumentsAsUpnpcSendsIt() throws Exception {
        SoapRequest r = SoapParser.parse(bytes(Bodies.upnpc(Bodies.CIF1, "GetCommonLinkProperties")),
                soapAction(Bodies.CIF1, "GetCommonLinkProperties"));
        assertEquals(Bodies.CIF1, r.serviceType());
        assertEquals("GetCommonLinkProperties", r.action());
        assertTrue(r.args().isEmpty());
    }

    /** Other stacks: other prefixes, a default namespace, whitespace, an unquoted SOAPACTION, UTF-8. */
    @Test
    void libupnpAndWindowsStyles() throws Exception {
        String body = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                + "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"\n"
                + "    SOAP-ENV:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">\n"
                + "  <SOAP-ENV:Header/>\n  <SOAP-ENV:Body>\n"
                + "    <m:AddPortMapping xmlns:m=\"" + IPC1 + "\">\n"
                + "      <NewRemoteHost/>\n      <NewExternalPort> 6881 </NewExternalPort>\n"
                + "      <NewProtocol>TCP</NewProtocol>\n      <NewInternalPort>6881</NewInternalPort>\n"
                + "      <NewInternalClient>192.168.1.20</NewInternalClient>\n      <NewEnabled>1</NewEnabled>\n"
                + "      <NewPortMappingDescription>qBittorrent \u00e9t\u00e9 &amp; co</NewPortMappingDescription>\n"
                + "      <NewLeaseDuration>3600</NewLeaseDuration>\n"
                + "    </m:AddPortMapping>\n  </SOAP-ENV:Body>\n</SOAP-ENV:Envelope>\n";
        SoapRequest r = SoapParser.parse(bytes(body), IPC1 + "#AddPortMapping");
        assertEquals("6881", r.arg("NewExternalPort"));
        assertEquals("", r.arg("NewRemoteHost"));
        assertEquals("qBittorrent \u00e9t\u00e9 & co", r.arg("NewPortMappingDescription"));

        String defaultNs = "<Envelope xmlns=\"http://schemas.xmlsoap.org/soap/envelope/\"><Body>"
                + "<GetExternalIPAddress xmlns=\"" + IPC1 + "\"/></Body></Envelope>";
        assertEquals("GetExternalIPAddress", parse(defaultNs, "GetExternalIPAddress").action());
    }

    @Test
    void externalEntityIsNeverRead() throws Exception {
        Path secret = tmp.resolve("secret");
        Files.writeString(secret, "TOP-SECRET-CONTENT");
        String body = "<?xml version=\"1.0\"?>\r\n<!DOCTYPE s:Envelope [<!ENTITY xxe SYSTEM \"" + secret.toUri() + "\">]>"
                + Bodies.upnpc(IPC1, "AddPortMapping", "NewPortMappingDescription", "&xxe;")
                        .replace("<?xml version=\"1.0\"?>\r\n", "");
        SoapParser.Invalid e = assertThrows(SoapParser.Invalid.class,
                () -> SoapParser.parse(bytes(body), soapAction(IPC1, "AddPortMapping")));
        assertEquals(UpnpError.INVALID_ARGS, e.error);
        assertFalse(e.getMessage().contains("TOP-SECRET"), e.getMessage());
    }

    /** An external DTD, a parameter entity and an external entity by URL: nothing connects to the URL. */
    @Test
    void nothingIsFetched() throws Exception {
        try (ServerSocket trap = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            String url = "http://127.0.0.1:" + trap.getLocalPort() + "/x";
            String inner = Bodies.upnpc(IPC1, "GetExternalIPAddress").replace("<?xml version=\"1.0\"?>\r\n", "");
            for (String doctype : new String[] {
                    "<!DOCTYPE s:Envelope SYSTEM \"" + url + "\">",
                    "<!DOCTYPE s:Envelope [<!ENTITY % p SYSTEM \"" + url + "\"> %p;]>",
                    "<!DOCTYPE s:Envelope [<!ENTITY e SYSTEM \"" + url + "\">]>"}) {
                assertEquals(UpnpError.INVALID_ARGS, invalid(doctype + inner, soapAction(IPC1, "GetExternalIPAddress")));
            }
            String xinclude = Bodies.upnpc(IPC1, "AddPortMapping", "NewPortMappingDescription",
                    "<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"" + url + "\" parse=\"text\"/>");
            assertEquals(UpnpError.INVALID_ARGS, invalid(xinclude, soapAction(IPC1, "AddPortMapping")));
            trap.setSoTimeout(200);
            assertThrows(SocketTimeoutException.class, trap::accept, "the parser connected to the entity's URL");
        }
    }

    @Test
    void internalEntitiesAreRefusedToo() {
        String laughs = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
                + "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
                + "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
                + Bodies.upnpc(IPC1, "AddPortMapping", "NewPortMappingDescription", "&lol3;")
                        .replace("<?xml version=\"1.0\"?>\r\n", "");
        assertEquals(UpnpError.INVALID_ARGS, invalid(laughs, soapAction(IPC1, "AddPortMapping")));
    }

    @Test
    void badXml() {
        String h = soapAction(IPC1, "GetExternalIPAddress");
        assertEquals(UpnpError.INVALID_ARGS, invalid("", h));
        assertEquals(UpnpError.INVALID_ARGS, invalid("not xml at all", h));
        assertEquals(UpnpError.INVALID_ARGS, invalid(Bodies.upnpc(IPC1, "GetExternalIPAddress").substring(0, 80), h));
        assertEquals(UpnpError.INVALID_ARGS, invalid("<a><b></a></b>", h));
        assertEquals(UpnpError.INVALID_ARGS, invalid("<x xmlns=\"urn:other\"/>", h), "not a SOAP envelope");
        assertEquals(UpnpError.INVALID_ARGS, invalid("<s:Envelope xmlns:s=\"" + SoapParser.ENVELOPE_NS + "\"/>", h));
        assertEquals(UpnpError.INVALID_ACTION, invalid("<s:Envelope xmlns:s=\"" + SoapParser.ENVELOPE_NS
                + "\"><s:Body><GetExternalIPAddress/></s:Body></s:Envelope>", h), "an action in no namespace");
    }

    @Test
    void soapActionHeaderMustNameTheBodysAction() {
        String body = Bodies.upnpc(IPC1, "DeletePortMapping", "NewExternalPort", "5000", "NewProtocol", "UDP");
        assertEquals(UpnpError.INVALID_ACTION, invalid(body, null), "a form post cannot send SOAPACTION");
        assertEquals(UpnpError.INVALID_ACTION, invalid(body, soapAction(IPC1, "AddPortMapping")));
        assertEquals(UpnpError.INVALID_ACTION, invalid(body, soapAction(Bodies.CIF1, "DeletePortMapping")));
        assertDoesNotThrow(() -> SoapParser.parse(bytes(body), "  " + soapAction(IPC1, "DeletePortMapping") + " "));
    }

    @Test
    void argumentsMustBeText() {
        String h = soapAction(IPC1, "AddPortMapping");
        assertEquals(UpnpError.INVALID_ARGS, invalid(Bodies.upnpc(IPC1, "AddPortMapping",
                "NewExternalPort", "1", "NewExternalPort", "2"), h), "given twice");
        assertEquals(UpnpError.INVALID_ARGS, invalid(Bodies.upnpc(IPC1, "AddPortMapping",
                "NewExternalPort", "<i>1</i>"), h), "markup inside");
    }

    @Test
    void parsesAgainAfterAFailure() throws Exception {
        invalid("<broken", soapAction(IPC1, "GetExternalIPAddress"));
        assertEquals("GetExternalIPAddress", parse(Bodies.upnpc(IPC1, "GetExternalIPAddress"), "GetExternalIPAddress").action());
    }

    @Test
    void quietOnErrors() throws IOException {
        // the JDK parser's default error handler prints "[Fatal Error]" to stderr; ours must not
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true));
        try {
            invalid("<<<", soapAction(IPC1, "X"));
        } finally {
            System.setErr(err);
        }
        assertEquals("", captured.toString());
    }
}
