package org.conenatd.portmap.pcp;

import org.conenatd.nat.Protocol;
import org.conenatd.portmap.FakePortMapper;
import org.conenatd.portmap.PortMapper.Lease;
import org.conenatd.portmap.PortMapper.Origin;
import org.conenatd.portmap.pcp.NatPmp.MapRequest;
import org.conenatd.portmap.pcp.NatPmp.MapResponse;
import org.conenatd.portmap.pcp.Pcp.Address;
import org.conenatd.portmap.pcp.Pcp.Filter;
import org.conenatd.portmap.pcp.Pcp.MapData;
import org.conenatd.portmap.pcp.Pcp.Nonce;
import org.conenatd.portmap.pcp.Pcp.Opcode;
import org.conenatd.portmap.pcp.Pcp.Option;
import org.conenatd.portmap.pcp.Pcp.PeerData;
import org.conenatd.portmap.pcp.Pcp.PreferFailure;
import org.conenatd.portmap.pcp.Pcp.Result;
import org.conenatd.portmap.pcp.Pcp.ThirdParty;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** What the handler makes of valid requests, against {@link FakePortMapper} (pool 40000-40009). */
class PortMapHandlerTest {
    static final int HOST = 0x0A000005, OTHER = 0x0A000009, EXT = 0xCB007101;
    static final Nonce N = new Nonce(1, 2, 3);

    final FakePortMapper mapper = new FakePortMapper();
    final PortMapHandler handler = new PortMapHandler(mapper, false);

    /** The mapper's calls, as "map pcp udp ip:port suggest N [exact] for lifetime". */
    List<String> calls() {
        return mapper.calls.stream().map(c -> (c.map() ? "map " : "unmap ") + c.origin().label + " " + c.protocol().label
                + " " + c.internalIp() + ":" + c.internalPort() + (c.map() ? " suggest " + c.suggestedPort()
                + (c.exact() ? " exact" : "") + " for " + c.lifetimeSeconds() : "")).toList();
    }

    static Pcp.Request map(int protocol, int port, int suggested, long lifetime, Option... options) {
        return new Pcp.Request(Opcode.MAP, lifetime, Address.ofIpv4(HOST), new MapData(N, protocol, port, suggested,
                Address.ofIpv4(0)), List.of(options));
    }

    static Pcp.Request peer(int protocol, int port, long lifetime, int remotePort) {
        return new Pcp.Request(Opcode.PEER, lifetime, Address.ofIpv4(HOST), new PeerData(N, protocol, port, 0,
                Address.ofIpv4(0), remotePort, Address.ofIpv4(0xC6336407)), List.of());
    }

    MapResponse natPmp(Protocol p, int port, int suggested, long lifetime) {
        return (MapResponse) handler.handle(new MapRequest(p, port, suggested, lifetime), HOST);
    }

    // ---- NAT-PMP

    @Test
    void natPmpExternalAddressAndNetworkFailureWithoutOne() {
        assertEquals(new NatPmp.ExternalAddressResponse(NatPmp.Result.SUCCESS, 42, EXT),
                handler.handle(new NatPmp.ExternalAddressRequest(), HOST));
        mapper.externalAddress = 0;
        assertEquals(new NatPmp.ExternalAddressResponse(NatPmp.Result.NETWORK_FAILURE, 42, 0),
                handler.handle(new NatPmp.ExternalAddressRequest(), HOST));
        assertEquals(NatPmp.Result.NETWORK_FAILURE, natPmp(Protocol.UDP, 5000, 0, 3600).result());
    }

    @Test
    void natPmpMapsTheSourceWithTheSuggestedPortWhenFree() {
        assertEquals(new MapResponse(Protocol.UDP, NatPmp.Result.SUCCESS, 42, 5000, 40003, 3600),
                natPmp(Protocol.UDP, 5000, 40003, 3600));
        assertEquals(List.of("map natpmp udp " + HOST + ":5000 suggest 40003 for 3600"), calls());
        mapper.taken.add(40004);
        assertEquals(40000, natPmp(Protocol.TCP, 5000, 40004, 3600).externalPort(), "a taken suggestion: another port");
    }

    @Test
    void natPmpLifetimeIsCapped() {
        mapper.maxLifetime = 3600;
        assertEquals(3600, natPmp(Protocol.UDP, 5000, 0, 0xFFFF_FFFFL).lifetime());
        assertTrue(calls().getFirst().endsWith("for 3600"), "capped before the mapper: " + calls());
    }

    @Test
    void natPmpLifetimeZeroDeletes() {
        natPmp(Protocol.UDP, 5000, 0, 3600);
        natPmp(Protocol.UDP, 5001, 0, 3600);
        assertEquals(new MapResponse(Protocol.UDP, NatPmp.Result.SUCCESS, 42, 5000, 0, 0), natPmp(Protocol.UDP, 5000, 0, 0));
        assertEquals(1, mapper.leases().size());
        assertEquals(NatPmp.Result.SUCCESS, natPmp(Protocol.UDP, 5000, 0, 0).result(), "deleting nothing succeeds");
        natPmp(Protocol.UDP, 0, 0, 0); // internal port 0: all of the host's
        assertEquals(List.of(), mapper.leases());
    }

    @Test
    void natPmpCannotDeleteAnotherOriginsLeaseNorMapAllPorts() {
        mapper.put(new Lease(Origin.UPNP, Protocol.UDP, 40005, HOST, 5000, 100, "upnp"));
        assertEquals(NatPmp.Result.NOT_AUTHORIZED, natPmp(Protocol.UDP, 5000, 0, 0).result());
        assertEquals(1, mapper.leases().size());
        assertEquals(NatPmp.Result.NOT_AUTHORIZED, natPmp(Protocol.UDP, 0, 0, 3600).result());
    }

    @Test
    void natPmpOutOfResources() {
        mapper.exhausted = true;
        assertEquals(new MapResponse(Protocol.UDP, NatPmp.Result.OUT_OF_RESOURCES, 42, 5000, 0, 0),
                natPmp(Protocol.UDP, 5000, 0, 3600));
    }

    // ---- PCP MAP

    @Test
    void pcpMapGrantsAndEchoesNonceAndOptions() {
        var r = handler.handle(map(17, 5000, 40002, 7200, new Filter(0, 0, Address.ofIpv4(0))), HOST);
        assertEquals(new Pcp.Response(Opcode.MAP, Result.SUCCESS, 7200, 42, new MapData(N, 17, 5000, 40002, Address.ofIpv4(EXT)),
                List.of(new Filter(0, 0, Address.ofIpv4(0)))), r);
        assertEquals(List.of("map pcp udp " + HOST + ":5000 suggest 40002 for 7200"), calls());
    }

    @Test
    void aClientAddressThatIsNotTheSourceIsAnAddressMismatch() {
        var r = handler.handle(map(17, 5000, 0, 7200), OTHER);
        assertEquals(Result.ADDRESS_MISMATCH, r.result());
        assertEquals(Pcp.LONG_ERROR_LIFETIME, r.lifetime());
        assertEquals(List.of(), calls());
    }

    @Test
    void thirdPartyIsRefusedUnlessAllowed() {
        var req = map(17, 5000, 0, 7200, new ThirdParty(Address.ofIpv4(OTHER)));
        var r = handler.handle(req, HOST);
        assertEquals(Result.NOT_AUTHORIZED, r.result());
        assertEquals(req.data(), r.data(), "an error copies the request's data");
        assertEquals(req.options(), r.options());
        assertEquals(List.of(), calls());

        var allowed = new PortMapHandler(mapper, true);
        assertEquals(Result.SUCCESS, allowed.handle(req, HOST).result());
        assertEquals(List.of("map pcp udp " + OTHER + ":5000 suggest 0 for 7200"), calls());
        assertEquals(Result.MALFORMED_OPTION, allowed.handle(map(17, 5000, 0, 7200, new ThirdParty(Address.ofIpv4(HOST))), HOST)
                .result(), "THIRD_PARTY naming the requester itself");
    }

    @Test
    void pcpLifetimeZeroDeletesAndIsCappedOtherwise() {
        mapper.maxLifetime = 600;
        assertEquals(600, handler.handle(map(6, 22, 0, 86_400), HOST).lifetime());
        var del = handler.handle(map(6, 22, 0, 0), HOST);
        assertEquals(Result.SUCCESS, del.result());
        assertEquals(0, del.lifetime());
        assertEquals(List.of(), mapper.leases());
        handler.handle(map(6, 22, 0, 60), HOST);
        handler.handle(map(17, 53, 0, 60), HOST);
        assertEquals(Result.SUCCESS, handler.handle(map(0, 0, 0, 0), HOST).result(), "protocol 0: all the host's leases");
        assertEquals(List.of(), mapper.leases());
    }

    @Test
    void protocolsOtherThanUdpAndTcpAreUnsupported() {
        assertEquals(Result.UNSUPP_PROTOCOL, handler.handle(map(0, 0, 0, 7200), HOST).result(), "protocol 0: all");
        assertEquals(Result.UNSUPP_PROTOCOL, handler.handle(map(132, 5000, 0, 7200), HOST).result(), "SCTP");
        assertEquals(Result.MALFORMED_REQUEST, handler.handle(map(0, 5000, 0, 7200), HOST).result(), "protocol 0 with a port");
        assertEquals(Result.NOT_AUTHORIZED, handler.handle(map(17, 0, 0, 7200), HOST).result(), "all ports");
        assertEquals(List.of(), calls());
    }

    @Test
    void preferFailureAsksForTheExactPort() {
        mapper.taken.add(40001);
        var r = handler.handle(map(17, 5000, 40001, 7200, new PreferFailure()), HOST);
        assertEquals(Result.CANNOT_PROVIDE_EXTERNAL, r.result());
        assertEquals(Pcp.SHORT_ERROR_LIFETIME, r.lifetime());
        assertEquals(List.of("map pcp udp " + HOST + ":5000 suggest 40001 exact for 7200"), calls());
        var without = handler.handle(map(17, 5000, 40001, 7200), HOST);
        assertEquals(Result.SUCCESS, without.result());
        assertEquals(40000, ((MapData) without.data()).externalPort());
    }

    @Test
    void aSuggestedExternalAddressThatIsNotOursFailsOnlyWithPreferFailure() {
        var other = new MapData(N, 17, 5000, 0, Address.ofIpv4(0xC0000201));
        var plain = new Pcp.Request(Opcode.MAP, 60, Address.ofIpv4(HOST), other, List.of());
        assertEquals(Address.ofIpv4(EXT), ((MapData) handler.handle(plain, HOST).data()).externalAddress());
        var strict = new Pcp.Request(Opcode.MAP, 60, Address.ofIpv4(HOST), other, List.of(new PreferFailure()));
        assertEquals(Result.CANNOT_PROVIDE_EXTERNAL, handler.handle(strict, HOST).result());
    }

    @Test
    void noResourcesAndNoExternalAddress() {
        mapper.exhausted = true;
        var r = handler.handle(map(17, 5000, 0, 7200), HOST);
        assertEquals(Result.NO_RESOURCES, r.result());
        assertEquals(30, r.lifetime());
        mapper.externalAddress = 0;
        assertEquals(Result.NETWORK_FAILURE, handler.handle(map(17, 5000, 0, 7200), HOST).result());
    }

    @Test
    void filtersThatWouldKeepPeersOutCannotBeHad() {
        assertEquals(Result.EXCESSIVE_REMOTE_PEERS,
                handler.handle(map(17, 5000, 0, 7200, new Filter(120, 0, Address.ofIpv4(0xC6336400))), HOST).result());
        assertEquals(Result.MALFORMED_OPTION,
                handler.handle(map(17, 5000, 0, 7200, new Filter(200, 0, Address.ofIpv4(0))), HOST).result());
        assertEquals(Result.MALFORMED_OPTION,
                handler.handle(map(17, 5000, 0, 7200, new Filter(24, 0, Address.ofIpv4(0xC6336400))), HOST).result(),
                "an IPv4 prefix counts the 96 bits of ::ffff:");
    }

    @Test
    void announceIsAnsweredWithTheEpoch() {
        mapper.epoch = 0x1_0000_0007L; // 32 bits on the wire
        var r = handler.handle(new Pcp.Request(Opcode.ANNOUNCE, 0, Address.ofIpv4(HOST), new Pcp.Announce(), List.of()), HOST);
        assertEquals(new Pcp.Response(Opcode.ANNOUNCE, Result.SUCCESS, 0, 7, new Pcp.Announce(), List.of()), r);
    }

    // ---- PCP PEER

    @Test
    void peerAnswersWithTheEndpointsMapping() {
        var r = handler.handle(peer(6, 5000, 600, 443), HOST);
        assertEquals(Result.SUCCESS, r.result());
        var d = (PeerData) r.data();
        assertEquals(40000, d.externalPort());
        assertEquals(443, d.remotePort());
        assertEquals(600, r.lifetime());
        // a MAP lease of two hours is not shortened by a PEER of ten minutes
        handler.handle(map(6, 5001, 0, 7200), HOST);
        mapper.calls.clear();
        var p = handler.handle(peer(6, 5001, 600, 443), HOST);
        assertEquals(40001, ((PeerData) p.data()).externalPort());
        assertEquals(List.of(), calls());
    }

    @Test
    void peerDeletionLeavesTheLeaseAndBadPeersAreMalformed() {
        handler.handle(map(6, 5000, 0, 7200), HOST);
        var r = handler.handle(peer(6, 5000, 0, 443), HOST);
        assertEquals(Result.SUCCESS, r.result());
        assertEquals(0, r.lifetime());
        assertEquals(1, mapper.leases().size());
        assertEquals(Result.MALFORMED_REQUEST, handler.handle(peer(6, 5000, 600, 0), HOST).result(), "remote port 0");
        assertEquals(Result.UNSUPP_PROTOCOL, handler.handle(peer(1, 0, 600, 443), HOST).result(), "ICMP");
    }
}
