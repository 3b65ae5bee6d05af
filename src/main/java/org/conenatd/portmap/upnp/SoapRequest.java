package org.conenatd.portmap.upnp;

import java.util.Map;

/**
 * One UPnP control request: the action element's namespace (the service type, e.g.
 * {@code urn:schemas-upnp-org:service:WANIPConnection:1}), its local name, and its arguments by
 * name, whitespace-trimmed. Answers go out in the namespace the request came in.
 */
public record SoapRequest(String serviceType, String action, Map<String, String> args) {
    public SoapRequest {
        args = Map.copyOf(args);
    }

    /** The argument, or "" if absent: IGD treats an absent string argument as the empty one. */
    public String arg(String name) {
        return args.getOrDefault(name, "");
    }

    public boolean has(String name) {
        return args.containsKey(name);
    }
}
