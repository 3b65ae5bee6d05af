package org.conenatd.portmap.upnp;

import org.conenatd.portmap.upnp.IgdSchema.Service;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** The descriptions are well-formed and say what miniupnpc's igd_desc_parse.c looks for. */
class DescriptionsTest {
    static final DeviceIds IDS = DeviceIds.fromSeed("02fc00000001");

    static Document parse(String xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }

    static List<String> texts(Document d, String tag) {
        NodeList l = d.getElementsByTagName(tag);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < l.getLength(); i++) out.add(l.item(i).getTextContent());
        return out;
    }

    @Test
    void rootDescriptionIsAnIgd1Tree() throws Exception {
        Document d = parse(Descriptions.root(IDS, "conenatd on <test> & co"));
        assertEquals("urn:schemas-upnp-org:device-1-0", d.getDocumentElement().getNamespaceURI());
        assertEquals(List.of("urn:schemas-upnp-org:device:InternetGatewayDevice:1", "urn:schemas-upnp-org:device:WANDevice:1",
                "urn:schemas-upnp-org:device:WANConnectionDevice:1"), texts(d, "deviceType"));
        assertEquals(List.of("uuid:" + IDS.igd(), "uuid:" + IDS.wan(), "uuid:" + IDS.wanConnection()), texts(d, "UDN"));
        // miniupnpc: a WANCommonInterfaceConfig service makes it an IGD; the first WANIPConnection is used
        assertEquals(List.of("urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1",
                "urn:schemas-upnp-org:service:WANIPConnection:1"), texts(d, "serviceType"));
        assertEquals(List.of("/ctl/CmnIfCfg", "/ctl/IPConn"), texts(d, "controlURL"));
        assertEquals(List.of("/WANCfg.xml", "/WANIPCn.xml"), texts(d, "SCPDURL"));
        assertEquals(List.of("", ""), texts(d, "eventSubURL"));
        assertTrue(texts(d, "URLBase").isEmpty());
        assertEquals("conenatd on <test> & co", texts(d, "friendlyName").get(0));
        // nesting: the WANIPConnection service belongs to the WANConnectionDevice inside the WANDevice
        Element ipc = (Element) d.getElementsByTagName("serviceType").item(1).getParentNode();
        Element wcd = (Element) ipc.getParentNode().getParentNode();
        assertEquals("urn:schemas-upnp-org:device:WANConnectionDevice:1", wcd.getElementsByTagName("deviceType").item(0).getTextContent());
    }

    @Test
    void scpdsAreConsistent() throws Exception {
        for (Service s : Service.values()) {
            Document d = parse(Descriptions.scpd(s));
            assertEquals("urn:schemas-upnp-org:service-1-0", d.getDocumentElement().getNamespaceURI());
            Set<String> vars = new HashSet<>(texts(d, "name"));
            for (String related : texts(d, "relatedStateVariable")) assertTrue(vars.contains(related), related);
            NodeList sv = d.getElementsByTagName("stateVariable");
            for (int i = 0; i < sv.getLength(); i++) assertEquals("no", ((Element) sv.item(i)).getAttribute("sendEvents"));
        }
        List<String> ipc = texts(parse(Descriptions.scpd(Service.WAN_IP_CONNECTION)), "name");
        for (String action : List.of("AddPortMapping", "DeletePortMapping", "GetExternalIPAddress", "GetStatusInfo",
                "GetConnectionTypeInfo", "GetGenericPortMappingEntry", "GetSpecificPortMappingEntry", "GetNATRSIPStatus")) {
            assertTrue(ipc.contains(action), action);
        }
        assertFalse(ipc.contains("AddAnyPortMapping"), "a :2 action is not in the :1 SCPD");
        assertTrue(texts(parse(Descriptions.scpd(Service.WAN_COMMON_IFC)), "name").contains("GetCommonLinkProperties"));
    }

    @Test
    void idsAreStablePerSeedAndDistinct() {
        assertEquals(IDS, DeviceIds.fromSeed("02fc00000001"));
        assertNotEquals(IDS.igd(), DeviceIds.fromSeed("02fc00000002").igd());
        assertEquals(3, Set.of(IDS.igd(), IDS.wan(), IDS.wanConnection()).size());
        assertEquals(3, IDS.igd().version(), "name-based");
    }

    @Test
    void serviceNamespaces() {
        assertTrue(Service.WAN_IP_CONNECTION.accepts("urn:schemas-upnp-org:service:WANIPConnection:1"));
        assertTrue(Service.WAN_IP_CONNECTION.accepts("urn:schemas-upnp-org:service:WANIPConnection:2"));
        assertFalse(Service.WAN_IP_CONNECTION.accepts("urn:schemas-upnp-org:service:WANIPConnection:3"));
        assertFalse(Service.WAN_IP_CONNECTION.accepts("urn:schemas-upnp-org:service:WANPPPConnection:1"));
        assertFalse(Service.WAN_COMMON_IFC.accepts("urn:schemas-upnp-org:service:WANCommonInterfaceConfig:2"));
        assertFalse(Service.WAN_COMMON_IFC.accepts(null));
    }
}
