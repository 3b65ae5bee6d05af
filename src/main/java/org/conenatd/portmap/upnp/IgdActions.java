package org.conenatd.portmap.upnp;

import org.conenatd.inet.Inet4;
import org.conenatd.nat.Protocol;
import org.conenatd.ops.Log;
import org.conenatd.portmap.PortMapper;
import org.conenatd.portmap.PortMapper.Lease;
import org.conenatd.portmap.upnp.IgdSchema.Action;
import org.conenatd.portmap.upnp.SoapWriter.Out;

import java.util.List;

/**
 * The IGD actions on a {@link PortMapper}, without I/O: a request and its sender in, an outcome
 * out. Policy:
 * <ul>
 * <li>A sender maps only itself (NewInternalClient is its own address; empty means itself, as
 * miniupnpd allows) unless third parties are allowed; either way the client must be a host of a
 * LAN subnet, not the router or a subnet's network/broadcast address. Else 606.</li>
 * <li>AddPortMapping wants exactly NewExternalPort (taken: 718); AddAnyPortMapping takes the one
 * offered (NewReservedPort). NewLeaseDuration 0 ("permanent" in IGD:1) and anything longer than
 * {@link PortMapper#maxLifetimeSeconds} get that maximum, which the listings then show: the lease
 * still expires, so a client that went away leaves no port open for good.</li>
 * <li>Listings show every protocol-made lease, not only UPnP's, so that a client sees a port as
 * taken when it is; another protocol's lease says so in its description ("[natpmp] ..."). Only
 * UPnP leases can be deleted here, and only by their own client unless third parties are allowed.</li>
 * </ul>
 */
final class IgdActions {
    /** What to answer: out arguments, or a fault. */
    sealed interface Outcome {
        record Ok(List<Out> out) implements Outcome {}

        record Fault(UpnpError error, String why) implements Outcome {}
    }

    private static final Outcome OK = new Outcome.Ok(List.of());

    private final PortMapper mapper;
    private final List<LanAddress> lan;
    private final boolean thirdParty;
    private final UpnpCounters counters;
    private final Log log;

    IgdActions(PortMapper mapper, List<LanAddress> lan, boolean thirdParty, UpnpCounters counters, Log log) {
        this.mapper = mapper;
        this.lan = List.copyOf(lan);
        this.thirdParty = thirdParty;
        this.counters = counters;
        this.log = log;
    }

    Outcome handle(Action action, SoapRequest r, int client) {
        try {
            return switch (action) {
                case GET_COMMON_LINK_PROPERTIES -> ok(new Out("NewWANAccessType", "Ethernet"),
                        new Out("NewLayer1UpstreamMaxBitRate", "0"), new Out("NewLayer1DownstreamMaxBitRate", "0"),
                        new Out("NewPhysicalLinkStatus", mapper.externalAddress() != 0 ? "Up" : "Down"));
                case SET_CONNECTION_TYPE, REQUEST_CONNECTION, FORCE_TERMINATION ->
                        new Outcome.Fault(UpnpError.NOT_AUTHORIZED, "the WAN connection is not the LAN's to change");
                case GET_CONNECTION_TYPE_INFO -> ok(new Out("NewConnectionType", "IP_Routed"),
                        new Out("NewPossibleConnectionTypes", "IP_Routed"));
                case GET_STATUS_INFO -> ok(
                        new Out("NewConnectionStatus", mapper.externalAddress() != 0 ? "Connected" : "Disconnected"),
                        new Out("NewLastConnectionError", "ERROR_NONE"),
                        new Out("NewUptime", Long.toString(Math.max(0, mapper.epochSeconds()))));
                case GET_NAT_RSIP_STATUS -> ok(new Out("NewRSIPAvailable", "0"), new Out("NewNATEnabled", "1"));
                case GET_EXTERNAL_IP_ADDRESS -> {
                    int ext = mapper.externalAddress(client); // with a pool: the client's own
                    // WANIPConnection:2 2.3.13: no address is the empty string, not 0.0.0.0
                    yield ok(new Out("NewExternalIPAddress", ext == 0 ? "" : Inet4.format(ext)));
                }
                case ADD_PORT_MAPPING -> add(r, client, true);
                case ADD_ANY_PORT_MAPPING -> add(r, client, false);
                case DELETE_PORT_MAPPING -> delete(r, client);
                case GET_GENERIC_PORT_MAPPING_ENTRY -> generic(r);
                case GET_SPECIFIC_PORT_MAPPING_ENTRY -> specific(r, client);
                case GET_LIST_OF_PORT_MAPPINGS -> PortListing.answer(r, client, mapper.leases());
            };
        } catch (Args.Bad e) {
            return new Outcome.Fault(e.error, e.getMessage());
        }
    }

    private Outcome add(SoapRequest r, int client, boolean exact) {
        String action = exact ? "AddPortMapping" : "AddAnyPortMapping";
        Protocol proto;
        int ext, port, ip;
        long asked;
        try {
            proto = Args.protocol(r);
            ext = !exact && r.arg("NewExternalPort").equals("*") ? 0 : Args.port(r, "NewExternalPort");
            if (exact && ext == 0) throw new Args.Bad(UpnpError.WILDCARD_NOT_PERMITTED_IN_EXT_PORT, "NewExternalPort 0");
            port = Args.port(r, "NewInternalPort");
            if (port == 0) throw new Args.Bad(UpnpError.INVALID_ARGS, "NewInternalPort 0");
            if (!r.arg("NewRemoteHost").isEmpty()) {
                throw new Args.Bad(UpnpError.REMOTE_HOST_WILDCARD_ONLY, "NewRemoteHost must be empty (any host)");
            }
            ip = internalClient(r, client);
            if (!Args.bool(r, "NewEnabled", true)) {
                throw new Args.Bad(UpnpError.ACTION_FAILED, "disabled mappings are not supported");
            }
            asked = Args.unsigned(r, "NewLeaseDuration", 0xFFFF_FFFFL, 0);
        } catch (Args.Bad e) {
            return refuse(action, client, e.error, e.getMessage());
        }
        String description = Args.description(r);
        int max = mapper.maxLifetimeSeconds();
        int lifetime = asked == 0 || asked > max ? max : (int) asked;
        PortMapper.Grant g;
        try {
            g = mapper.map(PortMapper.Origin.UPNP, proto, ip, port, ext, exact, lifetime, description);
        } catch (PortMapper.Refused e) {
            UpnpError err = switch (e.reason) {
                case NO_RESOURCES -> UpnpError.NO_PORT_MAPS_AVAILABLE;
                // IGD:1 clients take 718 as "try another port", which is the useful thing to do
                case PORT_IN_USE -> UpnpError.CONFLICT;
                case UNSUPPORTED -> exact ? UpnpError.CONFLICT : UpnpError.NO_PORT_MAPS_AVAILABLE;
            };
            return refuse(action, client, err, proto.label + " " + ext + ": " + e.getMessage());
        }
        counters.grants.increment();
        log.info("[+] upnp " + proto.label + " :" + g.externalPort() + " -> " + Inet4.format(ip) + ":" + port
                + " for " + g.lifetimeSeconds() + " s" + (asked == 0 ? " (asked 0: permanent, granted the maximum)"
                : asked > g.lifetimeSeconds() ? " (asked " + asked + " s)" : "")
                + ", " + action + " from " + Inet4.format(client)
                + (description.isEmpty() ? "" : " '" + description + "'"));
        return exact ? OK : ok(new Out("NewReservedPort", Integer.toString(g.externalPort())));
    }

    private Outcome delete(SoapRequest r, int client) {
        try {
            Protocol proto = Args.protocol(r);
            int ext = Args.port(r, "NewExternalPort");
            if (ext == 0) throw new Args.Bad(UpnpError.INVALID_ARGS, "NewExternalPort 0");
            Lease l = r.arg("NewRemoteHost").isEmpty() ? mapper.leaseOf(proto, ext, client) : null;
            if (l == null) throw new Args.Bad(UpnpError.NO_SUCH_ENTRY, proto.label + " " + ext + " has no lease");
            if (l.origin() != PortMapper.Origin.UPNP) {
                throw new Args.Bad(UpnpError.NOT_AUTHORIZED, proto.label + " " + ext + " is a " + l.origin().label + " lease");
            }
            if (l.internalIp() != client && !thirdParty) {
                throw new Args.Bad(UpnpError.NOT_AUTHORIZED, proto.label + " " + ext + " is "
                        + Inet4.format(l.internalIp()) + "'s");
            }
            if (!mapper.unmap(PortMapper.Origin.UPNP, proto, l.internalIp(), l.internalPort())) {
                throw new Args.Bad(UpnpError.NO_SUCH_ENTRY, proto.label + " " + ext + " has no lease any more");
            }
            counters.deletions.increment();
            log.info("[-] upnp " + proto.label + " :" + ext + " -> " + Inet4.format(l.internalIp()) + ":"
                    + l.internalPort() + " deleted, DeletePortMapping from " + Inet4.format(client));
            return OK;
        } catch (Args.Bad e) {
            return refuse("DeletePortMapping", client, e.error, e.getMessage());
        }
    }

    private Outcome generic(SoapRequest r) throws Args.Bad {
        int index = (int) Args.unsigned(r, "NewPortMappingIndex", 65535, -1);
        List<Lease> all = mapper.leases();
        // the normal end of a listing: clients count up until this fault
        if (index >= all.size()) return new Outcome.Fault(UpnpError.ARRAY_INDEX_INVALID, "index " + index);
        Lease l = all.get(index);
        return ok(new Out("NewRemoteHost", ""), new Out("NewExternalPort", Integer.toString(l.externalPort())),
                new Out("NewProtocol", protocolName(l.protocol())),
                new Out("NewInternalPort", Integer.toString(l.internalPort())),
                new Out("NewInternalClient", Inet4.format(l.internalIp())), new Out("NewEnabled", "1"),
                new Out("NewPortMappingDescription", describe(l)),
                new Out("NewLeaseDuration", Integer.toString(Math.max(0, l.secondsLeft()))));
    }

    private Outcome specific(SoapRequest r, int client) throws Args.Bad {
        Protocol proto = Args.protocol(r);
        int ext = Args.port(r, "NewExternalPort");
        if (ext == 0) throw new Args.Bad(UpnpError.INVALID_ARGS, "NewExternalPort 0");
        Lease l = r.arg("NewRemoteHost").isEmpty() ? mapper.leaseOf(proto, ext, client) : null;
        if (l == null) return new Outcome.Fault(UpnpError.NO_SUCH_ENTRY, proto.label + " " + ext);
        return ok(new Out("NewInternalPort", Integer.toString(l.internalPort())),
                new Out("NewInternalClient", Inet4.format(l.internalIp())), new Out("NewEnabled", "1"),
                new Out("NewPortMappingDescription", describe(l)),
                new Out("NewLeaseDuration", Integer.toString(Math.max(0, l.secondsLeft()))));
    }

    private int internalClient(SoapRequest r, int client) throws Args.Bad {
        String s = r.arg("NewInternalClient");
        int ip;
        if (s.isEmpty()) {
            ip = client;
        } else {
            try {
                ip = Inet4.parseAddr(s);
            } catch (IllegalArgumentException e) {
                // no name lookups: a LAN client names hosts by address
                throw new Args.Bad(UpnpError.INVALID_ARGS, "NewInternalClient is not an IPv4 address");
            }
        }
        if (ip != client && !thirdParty) {
            throw new Args.Bad(UpnpError.NOT_AUTHORIZED, "a client maps only itself, not " + Inet4.format(ip));
        }
        LanAddress net = LanAddress.forPeer(lan, ip);
        if (net == null) throw new Args.Bad(UpnpError.NOT_AUTHORIZED, Inet4.format(ip) + " is not on the LAN");
        for (LanAddress own : lan) {
            if (own.ip() == ip) throw new Args.Bad(UpnpError.NOT_AUTHORIZED, Inet4.format(ip) + " is the router");
        }
        if (net.prefixLength() <= 30) {
            int host = ip & ~(-1 << (32 - net.prefixLength()));
            if (host == 0 || host == ~(-1 << (32 - net.prefixLength()))) {
                throw new Args.Bad(UpnpError.NOT_AUTHORIZED, Inet4.format(ip) + " is not a host address");
            }
        }
        return ip;
    }

    private Outcome refuse(String action, int client, UpnpError e, String why) {
        counters.refusals.increment();
        if (log.packetLineAllowed()) {
            log.info("[x] upnp " + action + " from " + Inet4.format(client) + " refused: " + e.code + " "
                    + e.description + " (" + why + ")");
        }
        return new Outcome.Fault(e, why);
    }

    /** The description a listing shows: a UPnP lease's own, another protocol's tagged with it. */
    static String describe(Lease l) {
        String d = l.description() == null ? "" : l.description();
        if (l.origin() == PortMapper.Origin.UPNP) return d;
        return "[" + l.origin().label + "]" + (d.isEmpty() ? "" : " " + d);
    }

    static String protocolName(Protocol p) {
        return p == Protocol.TCP ? "TCP" : "UDP";
    }

    private static Outcome ok(Out... out) {
        return new Outcome.Ok(List.of(out));
    }
}
