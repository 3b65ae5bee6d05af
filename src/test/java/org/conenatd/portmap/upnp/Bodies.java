package org.conenatd.portmap.upnp;

import java.nio.charset.StandardCharsets;

/**
 * SOAP request bodies as miniupnpc 2.2.4 writes them (miniupnpc.c simpleUPnPcommand2): prefix s: for
 * the envelope, u: for the action, unqualified arguments in the order upnpcommands.c lists them,
 * CRLF after the declaration and at the end, no whitespace in between.
 */
final class Bodies {
    private Bodies() {}

    static final String IPC1 = "urn:schemas-upnp-org:service:WANIPConnection:1";
    static final String CIF1 = "urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1";

    /** The SOAPACTION header miniupnpc sends with it (soapPostSubmit quotes it). */
    static String soapAction(String service, String action) {
        return "\"" + service + "#" + action + "\"";
    }

    static String upnpc(String service, String action, String... nameValues) {
        StringBuilder sb = new StringBuilder("<?xml version=\"1.0\"?>\r\n"
                + "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
                + "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">"
                + "<s:Body><u:" + action + " xmlns:u=\"" + service + "\">");
        for (int i = 0; i < nameValues.length; i += 2) {
            sb.append('<').append(nameValues[i]).append('>').append(nameValues[i + 1])
                    .append("</").append(nameValues[i]).append('>');
        }
        return sb.append("</u:").append(action).append("></s:Body></s:Envelope>\r\n").toString();
    }

    /** {@code upnpc -e test -a 10.0.0.5 5000 5000 UDP 3600}. */
    static String addPortMapping(String client, int ext, int internal, String proto, String lease) {
        return upnpc(IPC1, "AddPortMapping", "NewRemoteHost", "", "NewExternalPort", Integer.toString(ext),
                "NewProtocol", proto, "NewInternalPort", Integer.toString(internal), "NewInternalClient", client,
                "NewEnabled", "1", "NewPortMappingDescription", "libminiupnpc", "NewLeaseDuration", lease);
    }

    static String getSpecific(int ext, String proto) {
        return upnpc(IPC1, "GetSpecificPortMappingEntry", "NewRemoteHost", "", "NewExternalPort",
                Integer.toString(ext), "NewProtocol", proto);
    }

    static String deletePortMapping(int ext, String proto) {
        return upnpc(IPC1, "DeletePortMapping", "NewRemoteHost", "", "NewExternalPort", Integer.toString(ext),
                "NewProtocol", proto);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
