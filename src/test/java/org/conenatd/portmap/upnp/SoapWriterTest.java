package org.conenatd.portmap.upnp;

import org.conenatd.portmap.upnp.SoapWriter.Out;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class SoapWriterTest {
    @Test
    void responseAsMiniupnpdWritesIt() {
        String xml = SoapWriter.response(Bodies.IPC1, "GetStatusInfo", List.of(new Out("NewConnectionStatus", "Connected"),
                new Out("NewLastConnectionError", "ERROR_NONE"), new Out("NewUptime", "42")));
        assertEquals("<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
                + "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>"
                + "<u:GetStatusInfoResponse xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:1\">"
                + "<NewConnectionStatus>Connected</NewConnectionStatus><NewLastConnectionError>ERROR_NONE"
                + "</NewLastConnectionError><NewUptime>42</NewUptime></u:GetStatusInfoResponse>"
                + "</s:Body></s:Envelope>\r\n", xml);
        Map<String, String> v = MiniupnpcView.values(xml);
        assertEquals("Connected", v.get("NewConnectionStatus"));
        assertEquals("42", v.get("NewUptime"));
        assertNull(v.get("errorCode"));
    }

    @Test
    void faultCarriesTheCodeWhereClientsLook() {
        String xml = SoapWriter.fault(UpnpError.CONFLICT);
        Map<String, String> v = MiniupnpcView.values(xml);
        assertEquals("718", v.get("errorCode"));
        assertEquals("ConflictInMappingEntry", v.get("errorDescription"));
        assertEquals("s:Client", v.get("faultcode"));
        assertEquals("UPnPError", v.get("faultstring"));
        assertTrue(xml.contains("<UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\">"));
    }

    @Test
    void escapesMarkupAndDropsWhatXmlCannotCarry() {
        assertEquals("a&lt;b&gt;&amp;&quot;&apos;", SoapWriter.escape("a<b>&\"'"));
        assertEquals("x\uFFFDy\tz", SoapWriter.escape("x\u0001y\tz"));
        assertEquals("\uD83D\uDE00 \uFFFD", SoapWriter.escape("\uD83D\uDE00 \uD800"), "pairs kept, a lone surrogate not");
        String xml = SoapWriter.response(Bodies.IPC1, "GetSpecificPortMappingEntry",
                List.of(new Out("NewPortMappingDescription", "</NewPortMappingDescription><evil>")));
        assertFalse(xml.contains("<evil>"));
    }

    @Test
    void cdataValues() {
        String xml = SoapWriter.response(Bodies.IPC1, "GetListOfPortMappings",
                List.of(new Out("NewPortListing", "<p:x>a]]>b</p:x>", true)));
        assertTrue(xml.contains("<NewPortListing><![CDATA[<p:x>a]]]]><![CDATA[>b</p:x>]]></NewPortListing>"), xml);
    }
}
