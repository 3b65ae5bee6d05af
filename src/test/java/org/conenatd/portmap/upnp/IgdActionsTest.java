package org.conenatd.portmap.upnp;

import org.conenatd.inet.Inet4;
import org.conenatd.nat.Protocol;
import org.conenatd.ops.Log;
import org.conenatd.portmap.FakePortMapper;
import org.conenatd.portmap.PortMapper;
import org.conenatd.portmap.upnp.IgdActions.Outcome;
import org.conenatd.portmap.upnp.IgdSchema.Action;
import org.conenatd.portmap.upnp.SoapWriter.Out;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The actions' policy on a fake mapper: who may map what, for how long, and which fault otherwise. */
class IgdActionsTest {
    static final int HOST = Inet4.parseAddr("10.0.0.5"), OTHER = Inet4.parseAddr("10.0.0.6");
    final FakePortMapper mapper = FakePortMapper.forUpnp(7200);
    final UpnpCounters counters = new UpnpCounters();
    final ByteArrayOutputStream logged = new ByteArrayOutputStream();
    final Log log = new Log(Log.Level.INFO, false, 1000, new PrintStream(logged, true));

    static List<LanAddress> lan() throws Exception {
        return List.of(new LanAddress(NetworkInterface.getByName("lo"), (Inet4Address) InetAddress.getByName("10.0.0.1"), 24));
    }

    IgdActions actions(boolean thirdParty) throws Exception {
        return new IgdActions(mapper, lan(), thirdParty, counters, log);
    }

    /** The mapper's calls, as "map upnp udp ip:port suggested exact lifetime description". */
    List<String> calls() {
        return mapper.calls.stream().map(c -> (c.map() ? "map " : "unmap ") + c.origin().label + " " + c.protocol().label
                + " " + c.internalIp() + ":" + c.internalPort() + (c.map() ? " " + c.suggestedPort() + " " + c.exact() + " "
                + c.lifetimeSeconds() + " " + c.description() : "")).toList();
    }

    static SoapRequest req(String action, String... nameValues) {
        Map<String, String> args = new HashMap<>();
        for (int i = 0; i < nameValues.length; i += 2) args.put(nameValues[i], nameValues[i + 1]);
        return new SoapRequest(Bodies.IPC1, action, args);
    }

    static SoapRequest add(String client, int ext, int port, String proto, String lease) {
        return req("AddPortMapping", "NewRemoteHost", "", "NewExternalPort", "" + ext, "NewProtocol", proto,
                "NewInternalPort", "" + port, "NewInternalClient", client, "NewEnabled", "1",
                "NewPortMappingDescription", "test", "NewLeaseDuration", lease);
    }

    static Map<String, String> ok(Outcome o) {
        Outcome.Ok ok = assertInstanceOf(Outcome.Ok.class, o, o::toString);
        Map<String, String> m = new HashMap<>();
        for (Out out : ok.out()) m.put(out.name(), out.value());
        return m;
    }

    static UpnpError fault(Outcome o) {
        return assertInstanceOf(Outcome.Fault.class, o, o::toString).error();
    }

    @Test
    void addExactPortForItself() throws Exception {
        IgdActions a = actions(false);
        ok(a.handle(Action.ADD_PORT_MAPPING, add("10.0.0.5", 5000, 5001, "UDP", "3600"), HOST));
        assertEquals(List.of("map upnp udp " + HOST + ":5001 5000 true 3600 test"), calls());
        PortMapper.Lease l = mapper.leaseOf(Protocol.UDP, 5000);
        assertEquals(5001, l.internalPort());
        assertEquals(1, counters.grants());
        assertTrue(logged.toString().contains("[+] upnp udp :5000 -> 10.0.0.5:5001 for 3600 s, AddPortMapping from 10.0.0.5 'test'"),
                logged.toString());

        Map<String, String> e = ok(a.handle(Action.GET_SPECIFIC_PORT_MAPPING_ENTRY,
                req("GetSpecificPortMappingEntry", "NewRemoteHost", "", "NewExternalPort", "5000", "NewProtocol", "UDP"), OTHER));
        assertEquals(Map.of("NewInternalPort", "5001", "NewInternalClient", "10.0.0.5", "NewEnabled", "1",
                "NewPortMappingDescription", "test", "NewLeaseDuration", "3600"), e);
    }

    @Test
    void permanentMeansTheLongestLease() throws Exception {
        IgdActions a = actions(false);
        ok(a.handle(Action.ADD_PORT_MAPPING, add("10.0.0.5", 5000, 5000, "TCP", "0"), HOST));
        assertEquals(7200, mapper.leaseOf(Protocol.TCP, 5000).secondsLeft());
        assertTrue(logged.toString().contains("for 7200 s (asked 0: permanent, granted the maximum)"), logged.toString());
        ok(a.handle(Action.ADD_PORT_MAPPING, add("10.0.0.5", 5002, 5002, "TCP", "4294967295"), HOST));
        assertEquals(7200, mapper.leaseOf(Protocol.TCP, 5002).secondsLeft());
        assertTrue(logged.toString().contains("(asked 4294967295 s)"));
        assertEquals(UpnpError.INVALID_ARGS, fault(a.handle(Action.ADD_PORT_MAPPING, add("10.0.0.5", 5003, 5003, "TCP", "4294967296"), HOST)));
    }

    @Test
    void conflictIs718AndRenewalIsNot() throws Exception {
        IgdActions a = actions(false);
        ok(a.handle(Action.ADD_PORT_MAPPING, add("10.0.0.5", 5000, 5000, "UDP", "60"), HOST));
        ok(a.handle(Action.ADD_PORT_MAPPING, add("10.0.0.5", 5000, 5000, "UDP", "120"), HOST));
        assertEquals(120, mapper.leaseOf(Protocol.UDP, 5000).secondsLeft());
        assertEquals(UpnpError.CONFLICT, fault(a.handle(Action.ADD_PORT_MAPPING, add("10.0.0.6", 5000, 5000, "UDP", "60"), OTHER)));
        assertEquals(UpnpError.CONFLICT, fault(a.handle(Action.ADD_PORT_MAPPING, add("10.0.0.6", 80, 80, "UDP", "60"), OTHER)),
                "outside the pool: 718 too, so the client tries another");
        assertEquals(2, counters.grants());
        assertEquals(2, counters.refusals());
        assertTrue(logged.toString().contains("[x] upnp AddPortMapping from 10.0.0.6 refused: 718 ConflictInMappingEntry"));
    }

    @Test
    void addAnyTakesWhatIsOffered() throws Exception {
        IgdActions a = actions(false);
        ok(a.handle(Action.ADD_PORT_MAPPING, add("10.0.0.6", 5000, 5000, "UDP", "60"), OTHER));
        SoapRequest any = req("AddAnyPortMapping", "NewRemoteHost", "", "NewExternalPort", "5000", "NewProtocol", "UDP",
                "NewInternalPort", "5000", "NewInternalClient", "10.0.0.5", "NewEnabled", "1",
                "NewPortMappingDescription", "", "NewLeaseDuration", "0");
        Map<String, String> r = ok(a.handle(Action.ADD_ANY_PORT_MAPPING, any, HOST));
        int reserved = Integer.parseInt(r.get("NewReservedPort"));
        assertNotEquals(5000, reserved);
        assertEquals(HOST, mapper.leaseOf(Protocol.UDP, reserved).internalIp());
        assertTrue(calls().get(1).endsWith("5000 false 7200 "), calls().toString());
    }

    @Test
    void aClientMapsOnlyItselfUnlessAllowed() throws Exception {
        assertEquals(UpnpError.NOT_AUTHORIZED, fault(actions(false).handle(Action.ADD_PORT_MAPPING,
                add("10.0.0.6", 5000, 5000, "UDP", "60"), HOST)));
        assertTrue(mapper.calls.isEmpty());
        ok(actions(true).handle(Action.ADD_PORT_MAPPING, add("10.0.0.6", 5000, 5000, "UDP", "60"), HOST));
        assertEquals(OTHER, mapper.leaseOf(Protocol.UDP, 5000).internalIp());
        // an empty NewInternalClient is the sender (miniupnpd does the same)
        ok(actions(false).handle(Action.ADD_PORT_MAPPING, add("", 5001, 5001, "UDP", "60"), HOST));
        assertEquals(HOST, mapper.leaseOf(Protocol.UDP, 5001).internalIp());
    }

    @Test
    void neverOutsideTheLanNorTheRouterItself() throws Exception {
        IgdActions a = actions(true);
        for (String target : new String[] {"8.8.8.8", "10.0.1.5", "10.0.0.1", "10.0.0.0", "10.0.0.255"}) {
            assertEquals(UpnpError.NOT_AUTHORIZED, fault(a.handle(Action.ADD_PORT_MAPPING, add(target, 5000, 5000, "UDP", "60"), HOST)), target);
        }
        assertEquals(UpnpError.INVALID_ARGS, fault(a.handle(Action.ADD_PORT_MAPPING, add("router.lan", 5000, 5000, "UDP", "60"), HOST)));
        assertTrue(mapper.calls.isEmpty());
    }

    @Test
    void argumentFaults() throws Exception {
        IgdActions a = actions(false);
        assertEquals(UpnpError.WILDCARD_NOT_PERMITTED_IN_EXT_PORT, fault(a.handle(Action.ADD_PORT_MAPPING, add("10.0.0.5", 0, 5000, "UDP", "0"), HOST)));
        assertEquals(UpnpError.INVALID_ARGS, fault(a.handle(Action.ADD_PORT_MAPPING, add("10.0.0.5", 5000, 0, "UDP", "0"), HOST)));
        assertEquals(UpnpError.INVALID_ARGS, fault(a.handle(Action.ADD_PORT_MAPPING, add("10.0.0.5", 65536, 5000, "UDP", "0"), HOST)));
        assertEquals(UpnpError.INVALID_ARGS, fault(a.handle(Action.ADD_PORT_MAPPING, add("10.0.0.5", 5000, 5000, "SCTP", "0"), HOST)));
        assertEquals(UpnpError.INVALID_ARGS, fault(a.handle(Action.ADD_PORT_MAPPING, add("10.0.0.5", 5000, 5000, "UDP", "-1"), HOST)));
        assertEquals(UpnpError.INVALID_ARGS, fault(a.handle(Action.ADD_PORT_MAPPING,
                req("AddPortMapping", "NewExternalPort", "+5000", "NewProtocol", "UDP", "NewInternalPort", "5000"), HOST)));
        SoapRequest remote = req("AddPortMapping", "NewRemoteHost", "203.0.113.9", "NewExternalPort", "5000",
                "NewProtocol", "UDP", "NewInternalPort", "5000", "NewInternalClient", "10.0.0.5");
        assertEquals(UpnpError.REMOTE_HOST_WILDCARD_ONLY, fault(a.handle(Action.ADD_PORT_MAPPING, remote, HOST)));
        SoapRequest disabled = req("AddPortMapping", "NewExternalPort", "5000", "NewProtocol", "UDP",
                "NewInternalPort", "5000", "NewEnabled", "0");
        assertEquals(UpnpError.ACTION_FAILED, fault(a.handle(Action.ADD_PORT_MAPPING, disabled, HOST)));
        assertEquals(8, counters.refusals());
        assertEquals(0, counters.grants());
        assertTrue(mapper.calls.isEmpty());
    }

    @Test
    void poolUsedUpIs728() throws Exception {
        FakePortMapper full = FakePortMapper.forUpnp(60);
        full.exhausted = true;
        IgdActions a = new IgdActions(full, lan(), false, counters, log);
        assertEquals(UpnpError.NO_PORT_MAPS_AVAILABLE, fault(a.handle(Action.ADD_PORT_MAPPING, add("10.0.0.5", 5000, 5000, "UDP", "0"), HOST)));
    }

    @Test
    void deleteOwnUpnpLeasesOnly() throws Exception {
        IgdActions a = actions(false);
        ok(a.handle(Action.ADD_PORT_MAPPING, add("10.0.0.5", 5000, 5000, "UDP", "60"), HOST));
        mapper.put(new PortMapper.Lease(PortMapper.Origin.NATPMP, Protocol.UDP, 6000, OTHER, 6000, 30, ""));
        SoapRequest del5000 = req("DeletePortMapping", "NewRemoteHost", "", "NewExternalPort", "5000", "NewProtocol", "UDP");
        assertEquals(UpnpError.NOT_AUTHORIZED, fault(a.handle(Action.DELETE_PORT_MAPPING, del5000, OTHER)));
        SoapRequest del6000 = req("DeletePortMapping", "NewRemoteHost", "", "NewExternalPort", "6000", "NewProtocol", "UDP");
        assertEquals(UpnpError.NOT_AUTHORIZED, fault(a.handle(Action.DELETE_PORT_MAPPING, del6000, OTHER)), "a NAT-PMP lease");
        ok(a.handle(Action.DELETE_PORT_MAPPING, del5000, HOST));
        assertNull(mapper.leaseOf(Protocol.UDP, 5000));
        assertEquals(UpnpError.NO_SUCH_ENTRY, fault(a.handle(Action.DELETE_PORT_MAPPING, del5000, HOST)));
        assertEquals(1, counters.deletions());
        assertEquals(3, counters.refusals());
        assertTrue(logged.toString().contains("[-] upnp udp :5000 -> 10.0.0.5:5000 deleted, DeletePortMapping from 10.0.0.5"));
    }

    @Test
    void listingsShowEveryLeaseWithItsOrigin() throws Exception {
        IgdActions a = actions(false);
        ok(a.handle(Action.ADD_PORT_MAPPING, add("10.0.0.5", 5000, 5000, "UDP", "60"), HOST));
        mapper.put(new PortMapper.Lease(PortMapper.Origin.PCP, Protocol.TCP, 4000, OTHER, 4001, 30, "game"));
        Map<String, String> first = ok(a.handle(Action.GET_GENERIC_PORT_MAPPING_ENTRY, req("GetGenericPortMappingEntry", "NewPortMappingIndex", "0"), HOST));
        assertEquals(Map.of("NewRemoteHost", "", "NewExternalPort", "4000", "NewProtocol", "TCP", "NewInternalPort", "4001",
                "NewInternalClient", "10.0.0.6", "NewEnabled", "1", "NewPortMappingDescription", "[pcp] game",
                "NewLeaseDuration", "30"), first);
        assertEquals("test", ok(a.handle(Action.GET_GENERIC_PORT_MAPPING_ENTRY,
                req("GetGenericPortMappingEntry", "NewPortMappingIndex", "1"), HOST)).get("NewPortMappingDescription"));
        assertEquals(UpnpError.ARRAY_INDEX_INVALID, fault(a.handle(Action.GET_GENERIC_PORT_MAPPING_ENTRY,
                req("GetGenericPortMappingEntry", "NewPortMappingIndex", "2"), HOST)));
        assertEquals(UpnpError.INVALID_ARGS, fault(a.handle(Action.GET_GENERIC_PORT_MAPPING_ENTRY, req("GetGenericPortMappingEntry"), HOST)));
        assertEquals(UpnpError.NO_SUCH_ENTRY, fault(a.handle(Action.GET_SPECIFIC_PORT_MAPPING_ENTRY,
                req("GetSpecificPortMappingEntry", "NewExternalPort", "5000", "NewProtocol", "TCP"), HOST)));
        assertEquals(0, counters.refusals(), "lookups are not refusals");
    }

    @Test
    void listOfPortMappings() throws Exception {
        IgdActions a = actions(false);
        ok(a.handle(Action.ADD_PORT_MAPPING, add("10.0.0.5", 5000, 5000, "TCP", "60"), HOST));
        mapper.put(new PortMapper.Lease(PortMapper.Origin.UPNP, Protocol.TCP, 5001, OTHER, 5001, 30, "<x&y>"));
        mapper.put(new PortMapper.Lease(PortMapper.Origin.UPNP, Protocol.UDP, 5002, HOST, 5002, 30, ""));
        SoapRequest all = req("GetListOfPortMappings", "NewStartPort", "0", "NewEndPort", "65535", "NewProtocol", "TCP",
                "NewManage", "1", "NewNumberOfPorts", "1000");
        String listing = ok(a.handle(Action.GET_LIST_OF_PORT_MAPPINGS, all, HOST)).get("NewPortListing");
        assertTrue(listing.startsWith("<p:PortMappingList xmlns:p=\"urn:schemas-upnp-org:gw:WANIPConnection\""), listing);
        assertTrue(listing.contains("<p:PortMappingEntry><p:NewRemoteHost></p:NewRemoteHost><p:NewExternalPort>5000"
                + "</p:NewExternalPort><p:NewProtocol>TCP</p:NewProtocol><p:NewInternalPort>5000</p:NewInternalPort>"
                + "<p:NewInternalClient>10.0.0.5</p:NewInternalClient><p:NewEnabled>1</p:NewEnabled>"
                + "<p:NewDescription>test</p:NewDescription><p:NewLeaseTime>60</p:NewLeaseTime></p:PortMappingEntry>"), listing);
        assertTrue(listing.contains("<p:NewDescription>&lt;x&amp;y&gt;</p:NewDescription>"));
        assertFalse(listing.contains("5002"), "TCP only");
        SoapRequest own = req("GetListOfPortMappings", "NewStartPort", "5001", "NewEndPort", "5001", "NewProtocol", "TCP",
                "NewManage", "0", "NewNumberOfPorts", "0");
        assertFalse(ok(a.handle(Action.GET_LIST_OF_PORT_MAPPINGS, own, HOST)).get("NewPortListing").contains("PortMappingEntry"));
        SoapRequest backwards = req("GetListOfPortMappings", "NewStartPort", "2", "NewEndPort", "1", "NewProtocol", "TCP",
                "NewManage", "1", "NewNumberOfPorts", "1");
        assertEquals(UpnpError.INCONSISTENT_PARAMETERS, fault(a.handle(Action.GET_LIST_OF_PORT_MAPPINGS, backwards, HOST)));
    }

    @Test
    void statusFollowsTheWanAddress() throws Exception {
        IgdActions a = actions(false);
        assertEquals(Map.of("NewConnectionStatus", "Connected", "NewLastConnectionError", "ERROR_NONE", "NewUptime", "42"),
                ok(a.handle(Action.GET_STATUS_INFO, req("GetStatusInfo"), HOST)));
        assertEquals("198.51.100.7", ok(a.handle(Action.GET_EXTERNAL_IP_ADDRESS, req("GetExternalIPAddress"), HOST)).get("NewExternalIPAddress"));
        assertEquals(Map.of("NewConnectionType", "IP_Routed", "NewPossibleConnectionTypes", "IP_Routed"),
                ok(a.handle(Action.GET_CONNECTION_TYPE_INFO, req("GetConnectionTypeInfo"), HOST)));
        assertEquals("Up", ok(a.handle(Action.GET_COMMON_LINK_PROPERTIES, req("GetCommonLinkProperties"), HOST)).get("NewPhysicalLinkStatus"));
        mapper.externalAddress = 0;
        assertEquals("Disconnected", ok(a.handle(Action.GET_STATUS_INFO, req("GetStatusInfo"), HOST)).get("NewConnectionStatus"));
        assertEquals("", ok(a.handle(Action.GET_EXTERNAL_IP_ADDRESS, req("GetExternalIPAddress"), HOST)).get("NewExternalIPAddress"));
        assertEquals("Down", ok(a.handle(Action.GET_COMMON_LINK_PROPERTIES, req("GetCommonLinkProperties"), HOST)).get("NewPhysicalLinkStatus"));
        assertEquals(UpnpError.NOT_AUTHORIZED, fault(a.handle(Action.FORCE_TERMINATION, req("ForceTermination"), HOST)));
    }

    @Test
    void descriptionsAreCleaned() throws Exception {
        SoapRequest r = req("AddPortMapping", "NewExternalPort", "5000", "NewProtocol", "UDP", "NewInternalPort", "5000",
                "NewPortMappingDescription", "a\nb\u0000c" + "x".repeat(300));
        ok(actions(false).handle(Action.ADD_PORT_MAPPING, r, HOST));
        String d = mapper.leaseOf(Protocol.UDP, 5000).description();
        assertEquals(Args.DESCRIPTION_MAX, d.length());
        assertTrue(d.startsWith("abcxxx"), d);
        assertFalse(logged.toString().contains("a\nb"));
    }
}
