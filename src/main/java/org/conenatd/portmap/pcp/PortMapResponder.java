package org.conenatd.portmap.pcp;

import org.conenatd.inet.Inet4;
import org.conenatd.portmap.pcp.Pcp.MapData;
import org.conenatd.portmap.pcp.Pcp.PeerData;

import java.nio.ByteBuffer;

/**
 * One datagram on port 5351 in, its answer out: tells NAT-PMP from PCP by the version byte,
 * decodes, asks the {@link PortMapHandler}, encodes. No I/O, and nothing thrown whatever the bytes,
 * so that the server's loop only sends what this wrote. Versions other than 0 are PCP's to answer
 * (UNSUPP_VERSION, RFC 6887 §9): a NAT-PMP client only ever sends version 0.
 */
public final class PortMapResponder {
    /** What became of a datagram, for the counters. */
    public enum Outcome {
        /** A mapping was made or renewed. */
        GRANTED,
        /** A deletion was done. */
        DELETED,
        /** An answer that changes nothing: the external address, ANNOUNCE. */
        ANSWERED,
        /** An error result was sent. */
        REFUSED,
        /** No answer (too short, a response, a NAT-PMP request cut short). */
        DROPPED
    }

    /**
     * The outcome, its protocol (null for an empty datagram) and a line for the log (null when
     * there is nothing worth a line: drops, and answers that change nothing).
     */
    public record Reply(Dialect dialect, Outcome outcome, String line) {}

    private final PortMapHandler handler;

    public PortMapResponder(PortMapHandler handler) {
        this.handler = handler;
    }

    /**
     * Answers the datagram in {@code in} (position to limit, unchanged) from IPv4 {@code source},
     * putting the answer at {@code out}'s position; nothing is put when the outcome is DROPPED.
     * {@code out} needs {@link Pcp#MAX_LENGTH} bytes free.
     */
    public Reply answer(ByteBuffer in, int source, ByteBuffer out) {
        if (!in.hasRemaining()) return new Reply(null, Outcome.DROPPED, null);
        return in.get(in.position()) == NatPmp.VERSION ? natPmp(in, source, out) : pcp(in, source, out);
    }

    private Reply natPmp(ByteBuffer in, int source, ByteBuffer out) {
        String who = "natpmp " + Inet4.format(source) + ": ";
        return switch (NatPmpCodec.decodeRequest(in)) {
            case NatPmpCodec.Ignored i -> new Reply(Dialect.NATPMP, Outcome.DROPPED, null);
            case NatPmpCodec.Unsupported u -> {
                NatPmpCodec.encodeError(in, u.result(), handler.epoch(), out);
                yield new Reply(Dialect.NATPMP, Outcome.REFUSED, who + u.why() + ": " + u.result());
            }
            case NatPmpCodec.Valid v -> {
                NatPmp.Response r = handler.handle(v.request(), source);
                NatPmpCodec.encodeResponse(r, out);
                yield natPmpReply(who, v.request(), r);
            }
        };
    }

    private static Reply natPmpReply(String who, NatPmp.Request request, NatPmp.Response r) {
        if (!(request instanceof NatPmp.MapRequest m)) {
            return new Reply(Dialect.NATPMP, r.result() == NatPmp.Result.SUCCESS ? Outcome.ANSWERED : Outcome.REFUSED,
                    r.result() == NatPmp.Result.SUCCESS ? null : who + "external address: " + r.result());
        }
        String what = who + m.internalPort() + "/" + m.protocol().label;
        NatPmp.MapResponse mr = (NatPmp.MapResponse) r;
        if (r.result() != NatPmp.Result.SUCCESS) return new Reply(Dialect.NATPMP, Outcome.REFUSED, what + " refused: " + r.result());
        if (m.lifetime() == 0) return new Reply(Dialect.NATPMP, Outcome.DELETED, what + " unmapped");
        return new Reply(Dialect.NATPMP, Outcome.GRANTED,
                what + " mapped to public port " + mr.externalPort() + " for " + mr.lifetime() + " s");
    }

    private Reply pcp(ByteBuffer in, int source, ByteBuffer out) {
        String who = "pcp " + Inet4.format(source) + ": ";
        return switch (PcpCodec.decodeRequest(in)) {
            case PcpCodec.Ignored i -> new Reply(Dialect.PCP, Outcome.DROPPED, null);
            case PcpCodec.Invalid bad -> {
                PcpCodec.encodeError(in, bad.result(), handler.epoch(), out);
                yield new Reply(Dialect.PCP, Outcome.REFUSED, who + bad.why() + ": " + bad.result());
            }
            case PcpCodec.Valid v -> {
                Pcp.Response r = handler.handle(v.request(), source);
                PcpCodec.encodeResponse(r, out);
                yield pcpReply(who, v.request(), r);
            }
        };
    }

    private static Reply pcpReply(String who, Pcp.Request request, Pcp.Response r) {
        String what = who + request.opcode() + describe(request.data());
        if (r.result() != Pcp.Result.SUCCESS) return new Reply(Dialect.PCP, Outcome.REFUSED, what + " refused: " + r.result());
        return switch (r.data()) {
            case MapData m when request.lifetime() == 0 -> new Reply(Dialect.PCP, Outcome.DELETED, what + " unmapped");
            case MapData m -> new Reply(Dialect.PCP, Outcome.GRANTED,
                    what + " mapped to " + m.externalAddress() + ":" + m.externalPort() + " for " + r.lifetime() + " s");
            case PeerData p when r.lifetime() == 0 -> new Reply(Dialect.PCP, Outcome.ANSWERED, null);
            case PeerData p -> new Reply(Dialect.PCP, Outcome.GRANTED,
                    what + " mapped to " + p.externalAddress() + ":" + p.externalPort() + " for " + r.lifetime() + " s");
            case null, default -> new Reply(Dialect.PCP, Outcome.ANSWERED, null);
        };
    }

    private static String describe(Pcp.OpData d) {
        return switch (d) {
            case MapData m -> " " + m.internalPort() + "/" + protocolName(m.protocol());
            case PeerData p -> " " + p.internalPort() + "/" + protocolName(p.protocol()) + " (peer " + p.remoteAddress() + ":"
                    + p.remotePort() + ")";
            case Pcp.Announce a -> "";
        };
    }

    private static String protocolName(int number) {
        org.conenatd.nat.Protocol p = org.conenatd.nat.Protocol.of(number);
        return p != null ? p.label : "proto " + number;
    }
}
