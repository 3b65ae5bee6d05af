package org.conenatd.portmap.upnp;

import java.util.List;

/**
 * The InternetGatewayDevice:1 tree conenatd serves, as data: IGD → WANDevice (WANCommonInterfaceConfig)
 * → WANConnectionDevice (WANIPConnection). The descriptions are rendered from it and SOAP requests
 * dispatched by it, so an action listed is an action answered.
 */
public final class IgdSchema {
    private IgdSchema() {}

    /** Where the root description is; SSDP's LOCATION points here. */
    public static final String ROOT_DESC = "/rootDesc.xml";

    public enum Device {
        IGD("InternetGatewayDevice"), WAN("WANDevice"), WAN_CONNECTION("WANConnectionDevice");

        public final String type;

        Device(String name) { this.type = "urn:schemas-upnp-org:device:" + name + ":1"; }
    }

    public enum Service {
        WAN_COMMON_IFC(Device.WAN, "WANCommonInterfaceConfig", 1, "urn:upnp-org:serviceId:WANCommonIFC1",
                "/WANCfg.xml", "/ctl/CmnIfCfg"),
        WAN_IP_CONNECTION(Device.WAN_CONNECTION, "WANIPConnection", 2, "urn:upnp-org:serviceId:WANIPConn1",
                "/WANIPCn.xml", "/ctl/IPConn");

        public final Device device;
        /** The type advertised (version 1) and the prefix a request's namespace must have. */
        public final String type;
        private final String typePrefix;
        /** Highest version whose namespace a request may use: WANIPConnection:2's AddAnyPortMapping is served. */
        private final int maxVersion;
        public final String serviceId;
        public final String scpdPath;
        public final String controlPath;

        Service(Device device, String name, int maxVersion, String serviceId, String scpdPath, String controlPath) {
            this.device = device;
            this.typePrefix = "urn:schemas-upnp-org:service:" + name + ":";
            this.type = typePrefix + 1;
            this.maxVersion = maxVersion;
            this.serviceId = serviceId;
            this.scpdPath = scpdPath;
            this.controlPath = controlPath;
        }

        /** True if a request in namespace {@code serviceType} is for this service. */
        public boolean accepts(String serviceType) {
            if (serviceType == null || !serviceType.startsWith(typePrefix)) return false;
            String v = serviceType.substring(typePrefix.length());
            return v.length() == 1 && v.charAt(0) >= '1' && v.charAt(0) <= '0' + maxVersion;
        }
    }

    /** One argument of an action, bound to the state variable that gives its type. */
    public record Arg(String name, boolean out, String variable) {}

    private static Arg in(String name, String variable) { return new Arg(name, false, variable); }

    private static Arg out(String name, String variable) { return new Arg(name, true, variable); }

    private static final Arg[] MAPPING_IN = {
            in("NewRemoteHost", "RemoteHost"), in("NewExternalPort", "ExternalPort"),
            in("NewProtocol", "PortMappingProtocol"), in("NewInternalPort", "InternalPort"),
            in("NewInternalClient", "InternalClient"), in("NewEnabled", "PortMappingEnabled"),
            in("NewPortMappingDescription", "PortMappingDescription"),
            in("NewLeaseDuration", "PortMappingLeaseDuration")};

    public enum Action {
        GET_COMMON_LINK_PROPERTIES(Service.WAN_COMMON_IFC, 1, "GetCommonLinkProperties",
                out("NewWANAccessType", "WANAccessType"),
                out("NewLayer1UpstreamMaxBitRate", "Layer1UpstreamMaxBitRate"),
                out("NewLayer1DownstreamMaxBitRate", "Layer1DownstreamMaxBitRate"),
                out("NewPhysicalLinkStatus", "PhysicalLinkStatus")),
        SET_CONNECTION_TYPE(Service.WAN_IP_CONNECTION, 1, "SetConnectionType",
                in("NewConnectionType", "ConnectionType")),
        GET_CONNECTION_TYPE_INFO(Service.WAN_IP_CONNECTION, 1, "GetConnectionTypeInfo",
                out("NewConnectionType", "ConnectionType"),
                out("NewPossibleConnectionTypes", "PossibleConnectionTypes")),
        REQUEST_CONNECTION(Service.WAN_IP_CONNECTION, 1, "RequestConnection"),
        FORCE_TERMINATION(Service.WAN_IP_CONNECTION, 1, "ForceTermination"),
        GET_STATUS_INFO(Service.WAN_IP_CONNECTION, 1, "GetStatusInfo",
                out("NewConnectionStatus", "ConnectionStatus"),
                out("NewLastConnectionError", "LastConnectionError"), out("NewUptime", "Uptime")),
        GET_NAT_RSIP_STATUS(Service.WAN_IP_CONNECTION, 1, "GetNATRSIPStatus",
                out("NewRSIPAvailable", "RSIPAvailable"), out("NewNATEnabled", "NATEnabled")),
        GET_GENERIC_PORT_MAPPING_ENTRY(Service.WAN_IP_CONNECTION, 1, "GetGenericPortMappingEntry",
                in("NewPortMappingIndex", "PortMappingNumberOfEntries"),
                out("NewRemoteHost", "RemoteHost"), out("NewExternalPort", "ExternalPort"),
                out("NewProtocol", "PortMappingProtocol"), out("NewInternalPort", "InternalPort"),
                out("NewInternalClient", "InternalClient"), out("NewEnabled", "PortMappingEnabled"),
                out("NewPortMappingDescription", "PortMappingDescription"),
                out("NewLeaseDuration", "PortMappingLeaseDuration")),
        GET_SPECIFIC_PORT_MAPPING_ENTRY(Service.WAN_IP_CONNECTION, 1, "GetSpecificPortMappingEntry",
                in("NewRemoteHost", "RemoteHost"), in("NewExternalPort", "ExternalPort"),
                in("NewProtocol", "PortMappingProtocol"),
                out("NewInternalPort", "InternalPort"), out("NewInternalClient", "InternalClient"),
                out("NewEnabled", "PortMappingEnabled"),
                out("NewPortMappingDescription", "PortMappingDescription"),
                out("NewLeaseDuration", "PortMappingLeaseDuration")),
        ADD_PORT_MAPPING(Service.WAN_IP_CONNECTION, 1, "AddPortMapping", MAPPING_IN),
        DELETE_PORT_MAPPING(Service.WAN_IP_CONNECTION, 1, "DeletePortMapping",
                in("NewRemoteHost", "RemoteHost"), in("NewExternalPort", "ExternalPort"),
                in("NewProtocol", "PortMappingProtocol")),
        GET_EXTERNAL_IP_ADDRESS(Service.WAN_IP_CONNECTION, 1, "GetExternalIPAddress",
                out("NewExternalIPAddress", "ExternalIPAddress")),
        // WANIPConnection:2 actions, answered in either namespace but not listed in the :1 SCPD
        ADD_ANY_PORT_MAPPING(Service.WAN_IP_CONNECTION, 2, "AddAnyPortMapping", MAPPING_IN),
        GET_LIST_OF_PORT_MAPPINGS(Service.WAN_IP_CONNECTION, 2, "GetListOfPortMappings");

        public final Service service;
        public final int version;
        public final String soapName;
        public final List<Arg> args;

        Action(Service service, int version, String soapName, Arg... args) {
            this.service = service;
            this.version = version;
            this.soapName = soapName;
            this.args = List.of(args);
        }

        /** The action called {@code name} on {@code service}, or null. */
        public static Action find(Service service, String name) {
            for (Action a : values()) if (a.service == service && a.soapName.equals(name)) return a;
            return null;
        }
    }

    /** A state variable of an SCPD; none is evented (conenatd does no GENA eventing). */
    public record Variable(String name, String type, List<String> allowed) {}

    private static Variable v(String name, String type, String... allowed) {
        return new Variable(name, type, List.of(allowed));
    }

    public static List<Variable> variables(Service s) {
        return switch (s) {
            case WAN_COMMON_IFC -> List.of(
                    v("WANAccessType", "string", "DSL", "POTS", "Cable", "Ethernet"),
                    v("Layer1UpstreamMaxBitRate", "ui4"), v("Layer1DownstreamMaxBitRate", "ui4"),
                    v("PhysicalLinkStatus", "string", "Up", "Down"));
            case WAN_IP_CONNECTION -> List.of(
                    v("ConnectionType", "string"),
                    v("PossibleConnectionTypes", "string", "Unconfigured", "IP_Routed", "IP_Bridged"),
                    v("ConnectionStatus", "string", "Unconfigured", "Connecting", "Connected",
                            "PendingDisconnect", "Disconnecting", "Disconnected"),
                    v("Uptime", "ui4"), v("LastConnectionError", "string", "ERROR_NONE"),
                    v("RSIPAvailable", "boolean"), v("NATEnabled", "boolean"),
                    v("ExternalIPAddress", "string"), v("PortMappingNumberOfEntries", "ui2"),
                    v("PortMappingEnabled", "boolean"), v("PortMappingLeaseDuration", "ui4"),
                    v("RemoteHost", "string"), v("ExternalPort", "ui2"), v("InternalPort", "ui2"),
                    v("PortMappingProtocol", "string", "TCP", "UDP"), v("InternalClient", "string"),
                    v("PortMappingDescription", "string"));
        };
    }
}
