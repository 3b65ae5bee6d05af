package org.conenatd.nat;

/**
 * The core's one input: a LAN endpoint has a flow, to a peer, that leaves from a public port over a
 * protocol. The kernel keeps (protocol, peer, public port) unique among live flows, so those
 * name the flow; the LAN endpoint is what the public port maps to.
 */
public record MappingFlow(Protocol protocol, int lanIp, int lanPort, int natPort, int peerIp, int peerPort) {

    public long endpoint() {
        return Endpoint.of(lanIp, lanPort);
    }

    @Override
    public String toString() {
        return protocol.label + " " + Endpoint.format(endpoint()) + " -> :" + natPort + " peer "
                + Endpoint.format(Endpoint.of(peerIp, peerPort));
    }
}
