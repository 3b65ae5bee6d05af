package org.conenatd.portmap.pcp;

import org.conenatd.nat.Protocol;
import org.conenatd.portmap.PortMapper;
import org.conenatd.portmap.PortMapper.Origin;
import org.conenatd.portmap.pcp.Pcp.Address;
import org.conenatd.portmap.pcp.Pcp.Filter;
import org.conenatd.portmap.pcp.Pcp.MapData;
import org.conenatd.portmap.pcp.Pcp.Option;
import org.conenatd.portmap.pcp.Pcp.PeerData;
import org.conenatd.portmap.pcp.Pcp.PreferFailure;
import org.conenatd.portmap.pcp.Pcp.Result;
import org.conenatd.portmap.pcp.Pcp.ThirdParty;

import java.util.List;

/**
 * What conenatd does with a valid NAT-PMP or PCP request from a LAN host: a response made with the
 * {@link PortMapper}, never an exception. A host maps its own address only; PCP's THIRD_PARTY
 * option is refused (NOT_AUTHORIZED) unless {@code allowThirdParty}. NAT-PMP and PCP are one realm
 * here (RFC 6887 §9 makes them share state): each deletes the other's leases of the endpoint.
 */
public final class PortMapHandler {
    private final PortMapper mapper;
    private final boolean allowThirdParty;

    public PortMapHandler(PortMapper mapper, boolean allowThirdParty) {
        this.mapper = mapper;
        this.allowThirdParty = allowThirdParty;
    }

    /** The epoch field now: seconds since the mapper started, as 32 bits. */
    public long epoch() {
        return mapper.epochSeconds() & 0xFFFF_FFFFL;
    }

    public int externalAddress() {
        return mapper.externalAddress();
    }

    /** NAT-PMP (RFC 6886 §3.2-3.4): always for {@code source}, the address the request came from. */
    public NatPmp.Response handle(NatPmp.Request request, int source) {
        return switch (request) {
            case NatPmp.ExternalAddressRequest r -> {
                int ext = mapper.externalAddress(source);
                yield new NatPmp.ExternalAddressResponse(ext == 0 ? NatPmp.Result.NETWORK_FAILURE : NatPmp.Result.SUCCESS,
                        epoch(), ext);
            }
            case NatPmp.MapRequest m -> natPmpMap(m, source);
        };
    }

    private NatPmp.Response natPmpMap(NatPmp.MapRequest m, int source) {
        if (m.lifetime() == 0) {
            // §3.4: deleting what does not exist succeeds too; port 0 deletes all the host's mappings
            boolean refused = !delete(m.protocol(), source, m.internalPort());
            return natPmpAnswer(m, refused ? NatPmp.Result.NOT_AUTHORIZED : NatPmp.Result.SUCCESS, 0, 0);
        }
        if (m.internalPort() == 0) return natPmpAnswer(m, NatPmp.Result.NOT_AUTHORIZED, 0, 0); // no all-ports mappings
        if (mapper.externalAddress(source) == 0) return natPmpAnswer(m, NatPmp.Result.NETWORK_FAILURE, 0, 0);
        try {
            PortMapper.Grant g = mapper.map(Origin.NATPMP, m.protocol(), source, m.internalPort(), m.suggestedPort(), false,
                    cap(m.lifetime()), "natpmp");
            return natPmpAnswer(m, NatPmp.Result.SUCCESS, g.externalPort(), g.lifetimeSeconds());
        } catch (PortMapper.Refused e) {
            NatPmp.Result r = e.reason == PortMapper.Reason.UNSUPPORTED ? NatPmp.Result.NOT_AUTHORIZED
                    : NatPmp.Result.OUT_OF_RESOURCES;
            return natPmpAnswer(m, r, 0, 0);
        }
    }

    private NatPmp.MapResponse natPmpAnswer(NatPmp.MapRequest m, NatPmp.Result r, int externalPort, long lifetime) {
        return new NatPmp.MapResponse(m.protocol(), r, epoch(), m.internalPort(), externalPort, lifetime);
    }

    /**
     * PCP (RFC 6887 §8.3, §11-§14). The mapping is for the PCP Client's IP Address, which must be
     * {@code source} (else ADDRESS_MISMATCH: a NAT between client and server), or for THIRD_PARTY's.
     */
    public Pcp.Response handle(Pcp.Request request, int source) {
        if (!request.clientAddress().equals(Address.ofIpv4(source))) return error(request, Result.ADDRESS_MISMATCH);
        return switch (request.opcode()) {
            case ANNOUNCE -> new Pcp.Response(Pcp.Opcode.ANNOUNCE, Result.SUCCESS, 0, epoch(), request.data(), List.of());
            case MAP, PEER -> mapOrPeer(request, source);
        };
    }

    private Pcp.Response mapOrPeer(Pcp.Request request, int source) {
        int internalIp = source;
        ThirdParty third = option(request, ThirdParty.class);
        if (third != null) {
            Address a = third.internalAddress();
            if (!a.isIpv4Mapped() || a.ipv4() == 0 || a.ipv4() == source) return error(request, Result.MALFORMED_OPTION);
            if (!allowThirdParty) return error(request, Result.NOT_AUTHORIZED);
            internalIp = a.ipv4();
        }
        int protocol = 0, internalPort = 0;
        switch (request.data()) {
            case MapData d -> { protocol = d.protocol(); internalPort = d.internalPort(); }
            case PeerData d -> { protocol = d.protocol(); internalPort = d.internalPort(); }
            case Pcp.Announce a -> { }
        }
        // §11.1: protocol 0 means all protocols, and then the internal port must be 0 too
        if (protocol == 0 && internalPort != 0) return error(request, Result.MALFORMED_REQUEST);
        return request.data() instanceof MapData d ? map(request, d, internalIp) : peer(request, (PeerData) request.data(), internalIp);
    }

    private Pcp.Response map(Pcp.Request request, MapData d, int internalIp) {
        for (Option o : request.options()) {
            if (!(o instanceof Filter f)) continue;
            boolean v4 = f.remoteAddress().isIpv4Mapped();
            if (f.prefixLength() > 128 || (v4 && f.prefixLength() != 0 && f.prefixLength() < 96)) {
                return error(request, Result.MALFORMED_OPTION);
            }
            // a full cone NAT lets every peer in; a filter that would keep some out cannot be had
            if (f.prefixLength() != 0) return error(request, Result.EXCESSIVE_REMOTE_PEERS);
        }
        Protocol proto = Protocol.of(d.protocol());
        if (request.lifetime() == 0) {
            // protocol 0 deletes the endpoint's UDP and TCP leases; it creates nothing, so it is harmless
            List<Protocol> which = proto != null ? List.of(proto) : d.protocol() == 0 ? List.of(Protocol.values()) : null;
            if (which == null) return error(request, Result.UNSUPP_PROTOCOL);
            boolean allowed = true;
            for (Protocol p : which) allowed &= delete(p, internalIp, d.internalPort());
            if (!allowed) return error(request, Result.NOT_AUTHORIZED);
            return new Pcp.Response(Pcp.Opcode.MAP, Result.SUCCESS, 0, epoch(), d, request.options());
        }
        // Protocol 0 would forward every IP protocol of the external address to one host: not a port
        // mapping, and with one shared external address not something a port allocator can grant.
        if (proto == null) return error(request, Result.UNSUPP_PROTOCOL);
        // port 0 with a lifetime asks for all ports (§11.1): the same, for one protocol
        if (d.internalPort() == 0) return error(request, Result.NOT_AUTHORIZED);
        int ext = mapper.externalAddress(internalIp);
        if (ext == 0) return error(request, Result.NETWORK_FAILURE);
        boolean exact = option(request, PreferFailure.class) != null;
        if (exact && !d.externalAddress().isUnspecified() && !d.externalAddress().equals(Address.ofIpv4(ext))) {
            return error(request, Result.CANNOT_PROVIDE_EXTERNAL);
        }
        try {
            PortMapper.Grant g = mapper.map(Origin.PCP, proto, internalIp, d.internalPort(), d.externalPort(), exact,
                    cap(request.lifetime()), "pcp");
            MapData assigned = new MapData(d.nonce(), d.protocol(), d.internalPort(), g.externalPort(), Address.ofIpv4(ext));
            return new Pcp.Response(Pcp.Opcode.MAP, Result.SUCCESS, g.lifetimeSeconds(), epoch(), assigned, request.options());
        } catch (PortMapper.Refused e) {
            return error(request, switch (e.reason) {
                case NO_RESOURCES -> Result.NO_RESOURCES;
                case PORT_IN_USE -> Result.CANNOT_PROVIDE_EXTERNAL;
                // §7.4 allows CANNOT_PROVIDE_EXTERNAL only with PREFER_FAILURE
                case UNSUPPORTED -> exact ? Result.CANNOT_PROVIDE_EXTERNAL : Result.NOT_AUTHORIZED;
            });
        }
    }

    /**
     * PEER (§12): conenatd's mappings are endpoint-independent, so the mapping a PEER request asks
     * about is the endpoint's one mapping, the one every peer sees. An existing lease that outlives
     * the asked lifetime answers as it is (a PEER must not shorten a MAP's lease); otherwise the
     * lease is made or extended. A PEER deletion (lifetime 0) leaves the lease to run out, since it
     * may be a MAP's too and the flow keeps the same port either way.
     */
    private Pcp.Response peer(Pcp.Request request, PeerData d, int internalIp) {
        Protocol proto = Protocol.of(d.protocol());
        if (proto == null) return error(request, Result.UNSUPP_PROTOCOL);
        if (d.internalPort() == 0 || d.remotePort() == 0 || d.remoteAddress().isUnspecified()) {
            return error(request, Result.MALFORMED_REQUEST);
        }
        int ext = mapper.externalAddress(internalIp);
        if (ext == 0) return error(request, Result.NETWORK_FAILURE);
        PortMapper.Lease lease = leaseOf(proto, internalIp, d.internalPort());
        long lifetime = request.lifetime() == 0 ? 0 : cap(request.lifetime());
        int port;
        if (lifetime == 0 || (lease != null && lease.secondsLeft() >= lifetime)) {
            port = lease != null ? lease.externalPort() : d.externalPort();
        } else {
            try {
                PortMapper.Grant g = mapper.map(Origin.PCP, proto, internalIp, d.internalPort(), d.externalPort(), false,
                        (int) lifetime, "pcp peer");
                port = g.externalPort();
                lifetime = g.lifetimeSeconds();
            } catch (PortMapper.Refused e) {
                return error(request, e.reason == PortMapper.Reason.NO_RESOURCES ? Result.NO_RESOURCES
                        : Result.CANNOT_PROVIDE_EXTERNAL);
            }
        }
        PeerData assigned = new PeerData(d.nonce(), d.protocol(), d.internalPort(), port, Address.ofIpv4(ext),
                d.remotePort(), d.remoteAddress());
        return new Pcp.Response(Pcp.Opcode.PEER, Result.SUCCESS, lifetime, epoch(), assigned, request.options());
    }

    /** §8.3: an error response copies the request's opcode data and options. */
    private Pcp.Response error(Pcp.Request request, Result result) {
        return new Pcp.Response(request.opcode(), result, result.errorLifetime(), epoch(), request.data(), request.options());
    }

    /**
     * Deletes the NAT-PMP and PCP leases of {@code ip:port} (all the host's with port 0); false
     * when there were none but another origin's (UPnP) lease holds that endpoint, which is not ours
     * to delete.
     */
    private boolean delete(Protocol p, int ip, int port) {
        boolean deleted = false, foreign = false;
        for (PortMapper.Lease l : mapper.leases()) {
            if (l.protocol() != p || l.internalIp() != ip || (port != 0 && l.internalPort() != port)) continue;
            if (l.origin() == Origin.NATPMP || l.origin() == Origin.PCP) {
                deleted |= mapper.unmap(l.origin(), p, ip, l.internalPort());
            } else {
                foreign = true;
            }
        }
        return deleted || !foreign || port == 0;
    }

    private PortMapper.Lease leaseOf(Protocol p, int ip, int port) {
        for (PortMapper.Lease l : mapper.leases()) {
            if (l.protocol() == p && l.internalIp() == ip && l.internalPort() == port) return l;
        }
        return null;
    }

    private int cap(long requested) {
        return (int) Math.max(1, Math.min(requested, Math.max(1, mapper.maxLifetimeSeconds())));
    }

    private static <T extends Option> T option(Pcp.Request r, Class<T> type) {
        for (Option o : r.options()) if (type.isInstance(o)) return type.cast(o);
        return null;
    }
}
