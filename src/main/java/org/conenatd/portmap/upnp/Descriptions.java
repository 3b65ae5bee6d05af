package org.conenatd.portmap.upnp;

import org.conenatd.portmap.upnp.IgdSchema.Action;
import org.conenatd.portmap.upnp.IgdSchema.Device;
import org.conenatd.portmap.upnp.IgdSchema.Service;
import org.conenatd.portmap.upnp.IgdSchema.Variable;

import java.util.Arrays;
import java.util.List;

/**
 * The device description (rootDesc.xml) and the service descriptions (SCPDs), rendered once from
 * {@link IgdSchema}. URLs are relative to the description's own, as UDA 1.1 wants (no URLBase), so
 * the same text serves every LAN address. eventSubURL is empty and no variable is evented: conenatd
 * does no GENA eventing, and says so rather than accepting subscriptions it would never serve.
 */
public final class Descriptions {
    private Descriptions() {}

    static final String VERSION = "0.1.0";
    /** SERVER header of HTTP and SSDP answers, "OS/version UPnP/1.0 product/version" (UDA 1.0). */
    static final String SERVER = "Linux/" + System.getProperty("os.version", "0").replaceAll("[^0-9A-Za-z._+-]", "")
            + " UPnP/1.0 conenatd/" + VERSION;

    public static String root(DeviceIds ids, String friendlyName) {
        StringBuilder sb = new StringBuilder(4096);
        sb.append("<?xml version=\"1.0\"?>\r\n<root xmlns=\"urn:schemas-upnp-org:device-1-0\">")
                .append("<specVersion><major>1</major><minor>0</minor></specVersion>");
        device(sb, Device.IGD, ids, friendlyName, "Full cone NAT router (conenatd)");
        sb.append("<deviceList>");
        device(sb, Device.WAN, ids, "WAN device", "WAN interface of the router");
        sb.append("<deviceList>");
        device(sb, Device.WAN_CONNECTION, ids, "WAN connection device", "NAT of the WAN interface");
        sb.append("</device></deviceList></device></deviceList></device></root>\r\n");
        return sb.toString();
    }

    /** Opens {@code <device>} with its fields and its services; the caller closes it. */
    private static void device(StringBuilder sb, Device d, DeviceIds ids, String name, String description) {
        sb.append("<device><deviceType>").append(d.type).append("</deviceType>");
        element(sb, "friendlyName", name);
        element(sb, "manufacturer", "conenatd");
        element(sb, "modelDescription", description);
        element(sb, "modelName", "conenatd");
        element(sb, "modelNumber", VERSION);
        element(sb, "serialNumber", ids.serial());
        element(sb, "UDN", "uuid:" + ids.of(d));
        List<Service> services = Arrays.stream(Service.values()).filter(s -> s.device == d).toList();
        if (services.isEmpty()) return;
        sb.append("<serviceList>");
        for (Service s : services) {
            sb.append("<service><serviceType>").append(s.type).append("</serviceType>")
                    .append("<serviceId>").append(s.serviceId).append("</serviceId>")
                    .append("<SCPDURL>").append(s.scpdPath).append("</SCPDURL>")
                    .append("<controlURL>").append(s.controlPath).append("</controlURL>")
                    .append("<eventSubURL></eventSubURL></service>");
        }
        sb.append("</serviceList>");
    }

    /** The SCPD of {@code service}: its version-1 actions and the state variables they use. */
    public static String scpd(Service service) {
        StringBuilder sb = new StringBuilder(8192);
        sb.append("<?xml version=\"1.0\"?>\r\n<scpd xmlns=\"urn:schemas-upnp-org:service-1-0\">")
                .append("<specVersion><major>1</major><minor>0</minor></specVersion><actionList>");
        for (Action a : Action.values()) {
            if (a.service != service || a.version != 1) continue;
            sb.append("<action><name>").append(a.soapName).append("</name>");
            if (!a.args.isEmpty()) {
                sb.append("<argumentList>");
                for (IgdSchema.Arg arg : a.args) {
                    sb.append("<argument><name>").append(arg.name()).append("</name><direction>")
                            .append(arg.out() ? "out" : "in").append("</direction><relatedStateVariable>")
                            .append(arg.variable()).append("</relatedStateVariable></argument>");
                }
                sb.append("</argumentList>");
            }
            sb.append("</action>");
        }
        sb.append("</actionList><serviceStateTable>");
        for (Variable v : IgdSchema.variables(service)) {
            sb.append("<stateVariable sendEvents=\"no\"><name>").append(v.name()).append("</name><dataType>")
                    .append(v.type()).append("</dataType>");
            if (!v.allowed().isEmpty()) {
                sb.append("<allowedValueList>");
                for (String value : v.allowed()) sb.append("<allowedValue>").append(value).append("</allowedValue>");
                sb.append("</allowedValueList>");
            }
            sb.append("</stateVariable>");
        }
        return sb.append("</serviceStateTable></scpd>\r\n").toString();
    }

    private static void element(StringBuilder sb, String name, String text) {
        sb.append('<').append(name).append('>');
        SoapWriter.escape(text, sb).append("</").append(name).append('>');
    }
}
