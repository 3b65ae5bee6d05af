package org.conenatd.fuzz;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;
import org.conenatd.portmap.upnp.SoapParser;
import org.conenatd.portmap.upnp.SoapRequest;
import org.conenatd.portmap.upnp.SoapWriter;
import org.conenatd.portmap.upnp.UpnpFuzzHooks;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The UPnP IGD's readers against hostile LAN input: whatever the bytes, the SOAP parser returns a
 * request or a fault code and the SSDP parser a search or null, neither ever throws anything else;
 * the actions answer any arguments with an outcome, and never map a host for another without leave;
 * and whatever text goes into an answer, the answer stays well-formed XML.
 */
class UpnpPropertiesTest {
    static final String IPC1 = "urn:schemas-upnp-org:service:WANIPConnection:1";
    static final String HEADER = "\"" + IPC1 + "#AddPortMapping\"";
    static final String BODY = "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
            + "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><u:AddPortMapping xmlns:u=\"" + IPC1
            + "\"><NewRemoteHost></NewRemoteHost><NewExternalPort>5000</NewExternalPort><NewProtocol>UDP</NewProtocol>"
            + "<NewInternalPort>5000</NewInternalPort><NewInternalClient>10.0.0.5</NewInternalClient><NewEnabled>1</NewEnabled>"
            + "<NewPortMappingDescription>libminiupnpc</NewPortMappingDescription><NewLeaseDuration>0</NewLeaseDuration>"
            + "</u:AddPortMapping></s:Body></s:Envelope>\r\n";
    static final String SEARCH = "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
            + "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nMAN: \"ssdp:discover\"\r\nMX: 2\r\n\r\n";

    static void parseSoap(byte[] body, String header) {
        try {
            SoapRequest r = SoapParser.parse(body, header);
            assertNotNull(r.action());
            assertNotNull(r.serviceType());
        } catch (SoapParser.Invalid e) {
            assertNotNull(e.error);
        }
    }

    @Property(tries = 3000)
    void soapParserNeverThrowsOnArbitraryBytes(@ForAll @Size(max = 600) byte[] body, @ForAll @StringLength(max = 80) String header) {
        parseSoap(body, header);
        parseSoap(body, HEADER);
    }

    @Property(tries = 3000)
    void soapParserNeverThrowsOnMutatedRequests(@ForAll("mutations") byte[] body) {
        parseSoap(body, HEADER);
    }

    @Property(tries = 2000)
    void soapParserNeverThrowsOnXmlishText(@ForAll("xmlish") String body) {
        parseSoap(body.getBytes(StandardCharsets.UTF_8), HEADER);
    }

    @Property(tries = 5000)
    void ssdpParserNeverThrows(@ForAll @Size(max = 400) byte[] data, @ForAll @IntRange(min = -5, max = 500) int length) {
        var s = UpnpFuzzHooks.parseSearch(data, length);
        if (s != null) assertFalse(s.isEmpty());
    }

    @Property(tries = 5000)
    void ssdpParserNeverThrowsOnMutatedSearches(@ForAll("searchMutations") byte[] data) {
        var s = UpnpFuzzHooks.parseSearch(data, data.length);
        if (s != null) assertFalse(s.isEmpty());
    }

    @Property(tries = 3000)
    void actionsAnswerAnyArgumentsAndMapOnlyTheSender(@ForAll("actionNames") String action,
                                                      @ForAll("argValues") Map<String, String> args) {
        // the sender is 10.0.0.5; third parties not allowed
        List<int[]> leases = UpnpFuzzHooks.handle(action, args, 0x0A000005);
        for (int[] l : leases) assertEquals(0x0A000005, l[0], "a lease for another host");
    }

    @Property(tries = 2000)
    void answersStayWellFormed(@ForAll @StringLength(max = 60) String value) throws Exception {
        String xml = SoapWriter.response(IPC1, "GetSpecificPortMappingEntry",
                List.of(new SoapWriter.Out("NewPortMappingDescription", value), new SoapWriter.Out("NewPortListing", value, true)));
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        var doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        String back = doc.getElementsByTagName("NewPortMappingDescription").item(0).getTextContent();
        assertEquals(expected(value), back);
        String cdata = doc.getElementsByTagName("NewPortListing").item(0).getTextContent();
        assertEquals(expected(value), cdata);
    }

    /** What a parser reads back: unencodable characters as U+FFFD, CR and CRLF as LF (XML 1.0 2.11). */
    static String expected(String v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < v.length() && Character.isLowSurrogate(v.charAt(i + 1))) {
                sb.append(c).append(v.charAt(++i));
            } else if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || Character.isSurrogate(c) || c == '\uFFFE' || c == '\uFFFF') {
                sb.append('\uFFFD');
            } else {
                sb.append(c);
            }
        }
        return sb.toString().replace("\r\n", "\n").replace('\r', '\n');
    }

    @Provide
    Arbitrary<byte[]> mutations() {
        return mutate(BODY.getBytes(StandardCharsets.UTF_8));
    }

    @Provide
    Arbitrary<byte[]> searchMutations() {
        return mutate(SEARCH.getBytes(StandardCharsets.ISO_8859_1));
    }

    static Arbitrary<byte[]> mutate(byte[] base) {
        Arbitrary<Integer> pos = Arbitraries.integers().between(0, base.length - 1);
        Arbitrary<Byte> val = Arbitraries.bytes();
        Arbitrary<Integer> cut = Arbitraries.integers().between(0, base.length);
        return Combinators.combine(pos.list().ofMaxSize(8), val.list().ofSize(8), cut).as((ps, vs, c) -> {
            byte[] b = base.clone();
            for (int i = 0; i < ps.size(); i++) b[ps.get(i)] = vs.get(i);
            return java.util.Arrays.copyOf(b, c);
        });
    }

    @Provide
    Arbitrary<String> xmlish() {
        Arbitrary<String> piece = Arbitraries.of("<?xml version=\"1.0\"?>", "<!DOCTYPE a [<!ENTITY e \"x\">]>",
                "<!DOCTYPE a SYSTEM \"http://127.0.0.1:9/x\">", "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">",
                "</s:Envelope>", "<s:Body>", "</s:Body>", "<u:AddPortMapping xmlns:u=\"" + IPC1 + "\">", "</u:AddPortMapping>",
                "<NewExternalPort>", "</NewExternalPort>", "5000", "&e;", "&amp;", "&#0;", "&#xD800;", "<![CDATA[", "]]>",
                "<!--", "-->", "<?pi x?>", "<a b='c'>", "</a>", "<", ">", "&", "\u0000", "\uFEFF", "xmlns:u=\"\"");
        return piece.list().ofMaxSize(30).map(l -> String.join("", l));
    }

    @Provide
    Arbitrary<String> actionNames() {
        return Arbitraries.of(UpnpFuzzHooks.ACTIONS);
    }

    @Provide
    Arbitrary<Map<String, String>> argValues() {
        Arbitrary<String> names = Arbitraries.of("NewRemoteHost", "NewExternalPort", "NewProtocol", "NewInternalPort",
                "NewInternalClient", "NewEnabled", "NewPortMappingDescription", "NewLeaseDuration", "NewPortMappingIndex",
                "NewStartPort", "NewEndPort", "NewManage", "NewNumberOfPorts");
        Arbitrary<String> values = Arbitraries.oneOf(
                Arbitraries.of("", "0", "1", "5000", "65535", "65536", "4294967295", "4294967296", "-1", "*", "UDP", "tcp",
                        "10.0.0.5", "10.0.0.6", "10.0.0.1", "10.0.0.255", "8.8.8.8", "yes", "false"),
                Arbitraries.strings().ofMaxLength(20));
        return Arbitraries.maps(names, values).ofMaxSize(13);
    }
}
