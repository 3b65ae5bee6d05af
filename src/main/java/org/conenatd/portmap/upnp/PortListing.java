package org.conenatd.portmap.upnp;

import org.conenatd.inet.Inet4;
import org.conenatd.nat.Protocol;
import org.conenatd.portmap.PortMapper.Lease;
import org.conenatd.portmap.upnp.IgdActions.Outcome;
import org.conenatd.portmap.upnp.SoapWriter.Out;

import java.util.List;

/**
 * WANIPConnection:2's GetListOfPortMappings ({@code upnpc -L}): the leases of one protocol in a
 * port range as a PortMappingList document. NewManage 1 lists every lease, 0 only the sender's own
 * (WANIPConnection:2 2.5.20). An empty range gives an empty list, as miniupnpd does, rather than
 * fault 730: clients print the empty list instead of an error.
 */
final class PortListing {
    private PortListing() {}

    static final int DEFAULT_COUNT = 1000;

    static Outcome answer(SoapRequest r, int client, List<Lease> leases) throws Args.Bad {
        int start = Args.port(r, "NewStartPort");
        int end = Args.port(r, "NewEndPort");
        Protocol proto = Args.protocol(r);
        boolean manage = Args.bool(r, "NewManage", false);
        int count = (int) Args.unsigned(r, "NewNumberOfPorts", 65535, 0);
        if (count == 0) count = DEFAULT_COUNT;
        if (start > end) return new Outcome.Fault(UpnpError.INCONSISTENT_PARAMETERS, "NewStartPort > NewEndPort");
        StringBuilder sb = new StringBuilder(512);
        sb.append("<p:PortMappingList xmlns:p=\"urn:schemas-upnp-org:gw:WANIPConnection\"")
                .append(" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"")
                .append(" xsi:schemaLocation=\"urn:schemas-upnp-org:gw:WANIPConnection")
                .append(" http://www.upnp.org/schemas/gw/WANIPConnection-v2.xsd\">");
        for (Lease l : leases) {
            if (count == 0) break;
            if (l.protocol() != proto || l.externalPort() < start || l.externalPort() > end) continue;
            if (!manage && l.internalIp() != client) continue;
            count--;
            sb.append("<p:PortMappingEntry><p:NewRemoteHost></p:NewRemoteHost>");
            element(sb, "NewExternalPort", Integer.toString(l.externalPort()));
            element(sb, "NewProtocol", IgdActions.protocolName(l.protocol()));
            element(sb, "NewInternalPort", Integer.toString(l.internalPort()));
            element(sb, "NewInternalClient", Inet4.format(l.internalIp()));
            element(sb, "NewEnabled", "1");
            element(sb, "NewDescription", IgdActions.describe(l));
            element(sb, "NewLeaseTime", Integer.toString(Math.max(0, l.secondsLeft())));
            sb.append("</p:PortMappingEntry>");
        }
        sb.append("</p:PortMappingList>");
        return new Outcome.Ok(List.of(new Out("NewPortListing", sb.toString(), true)));
    }

    private static void element(StringBuilder sb, String name, String text) {
        sb.append("<p:").append(name).append('>');
        SoapWriter.escape(text, sb).append("</p:").append(name).append('>');
    }
}
