package org.conenatd.portmap.pcp;

import org.conenatd.portmap.pcp.Pcp.Address;
import org.conenatd.portmap.pcp.Pcp.Announce;
import org.conenatd.portmap.pcp.Pcp.Filter;
import org.conenatd.portmap.pcp.Pcp.MapData;
import org.conenatd.portmap.pcp.Pcp.Nonce;
import org.conenatd.portmap.pcp.Pcp.OpData;
import org.conenatd.portmap.pcp.Pcp.Opcode;
import org.conenatd.portmap.pcp.Pcp.Option;
import org.conenatd.portmap.pcp.Pcp.OptionCode;
import org.conenatd.portmap.pcp.Pcp.PeerData;
import org.conenatd.portmap.pcp.Pcp.PreferFailure;
import org.conenatd.portmap.pcp.Pcp.Result;
import org.conenatd.portmap.pcp.Pcp.ThirdParty;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;

import static org.conenatd.portmap.pcp.NatPmpCodec.u16;
import static org.conenatd.portmap.pcp.NatPmpCodec.u32;
import static org.conenatd.portmap.pcp.NatPmpCodec.u8;

/**
 * PCP messages to and from bytes (RFC 6887), both directions, no I/O. A datagram is the buffer's
 * bytes from position to limit (big-endian buffers); decoding reads with absolute gets and moves
 * nothing; encoding puts at the output's position. Decoding never throws. It applies §8.3's rules
 * that need no state: what gets silence ({@link Ignored}), what gets an error echoing the request's
 * bytes ({@link Invalid}, answered by {@link #encodeError}); the rest, whether the server may do what
 * a valid request asks, is {@link PortMapHandler}'s.
 */
public final class PcpCodec {
    private PcpCodec() {}

    public sealed interface Decoded permits Valid, Invalid, Ignored {}

    public record Valid(Pcp.Request request) implements Decoded {}

    /** Answered with {@link #encodeError} and this result. */
    public record Invalid(Result result, String why) implements Decoded {}

    public record Ignored(String why) implements Decoded {}

    public static Decoded decodeRequest(ByteBuffer b) {
        int p = b.position(), n = b.remaining();
        // §8.3, in its order: under 2 bytes or a response: silence; an unknown version: UNSUPP_VERSION
        if (n < 2) return new Ignored("shorter than 2 bytes");
        if ((u8(b, p + 1) & Pcp.R_BIT) != 0) return new Ignored("a response");
        if (u8(b, p) != Pcp.VERSION) return new Invalid(Result.UNSUPP_VERSION, "version " + u8(b, p));
        if (n < Pcp.HEADER_LENGTH) return new Ignored("shorter than the 24-byte header");
        if (n > Pcp.MAX_LENGTH) return new Invalid(Result.MALFORMED_REQUEST, "longer than " + Pcp.MAX_LENGTH + " bytes");
        if (n % 4 != 0) return new Invalid(Result.MALFORMED_REQUEST, n + " bytes, not a multiple of 4");
        Opcode op = Opcode.of(u8(b, p + 1));
        if (op == null) return new Invalid(Result.UNSUPP_OPCODE, "opcode " + u8(b, p + 1));
        if (n < Pcp.HEADER_LENGTH + op.dataLength) return new Invalid(Result.MALFORMED_REQUEST, "too short for " + op);
        long lifetime = u32(b, p + 4);
        Address client = address(b, p + 8);
        int at = p + Pcp.HEADER_LENGTH;
        OpData data = opData(b, at, op);
        List<Option> options = new ArrayList<>();
        Invalid bad = options(b, at + op.dataLength, p + n, op, options);
        if (bad != null) return bad;
        return new Valid(new Pcp.Request(op, lifetime, client, data, options));
    }

    /**
     * Reads the options from {@code at} to {@code end} into {@code out}; returns why they are
     * invalid, or null. Each is a 4-byte header (code, reserved, length) and its data padded to 4
     * bytes (§7.3). Unknown optional ones (128-255) are skipped, and so left out of the answer.
     */
    private static Invalid options(ByteBuffer b, int at, int end, Opcode op, List<Option> out) {
        EnumMap<OptionCode, Integer> seen = new EnumMap<>(OptionCode.class);
        while (at < end) {
            if (end - at < 4) return new Invalid(Result.MALFORMED_OPTION, "option header cut short");
            int code = u8(b, at), length = u16(b, at + 2), padded = (length + 3) & ~3;
            if (padded > end - at - 4) return new Invalid(Result.MALFORMED_OPTION, "option " + code + " runs past the end");
            int data = at + 4;
            at = data + padded;
            OptionCode oc = OptionCode.of(code);
            if (oc == null || !oc.validFor(op)) {
                if (!OptionCode.mandatory(code)) continue;
                if (oc == null) return new Invalid(Result.UNSUPP_OPTION, "option " + code);
                return new Invalid(Result.MALFORMED_OPTION, oc + " in a " + op + " request");
            }
            if (length != oc.length) return new Invalid(Result.MALFORMED_OPTION, oc + " of length " + length);
            int count = seen.merge(oc, 1, Integer::sum);
            if (count > oc.maxOccurrences) return new Invalid(Result.MALFORMED_OPTION, oc + " more than once");
            out.add(option(b, data, oc));
        }
        return null;
    }

    private static Option option(ByteBuffer b, int at, OptionCode oc) {
        return switch (oc) {
            case THIRD_PARTY -> new ThirdParty(address(b, at));
            case PREFER_FAILURE -> new PreferFailure();
            // byte 0 reserved
            case FILTER -> new Filter(u8(b, at + 1), u16(b, at + 2), address(b, at + 4));
        };
    }

    private static OpData opData(ByteBuffer b, int at, Opcode op) {
        return switch (op) {
            case ANNOUNCE -> new Announce();
            // nonce (12), protocol (1), reserved (3), internal port, external port, external address
            case MAP -> new MapData(nonce(b, at), u8(b, at + 12), u16(b, at + 16), u16(b, at + 18), address(b, at + 20));
            // MAP's 36 bytes, then remote peer port, reserved (2), remote peer address
            case PEER -> new PeerData(nonce(b, at), u8(b, at + 12), u16(b, at + 16), u16(b, at + 18), address(b, at + 20),
                    u16(b, at + 36), address(b, at + 40));
        };
    }

    /**
     * The answer to an {@link Invalid} request: the response header, then (§8.3: "fields from the
     * request copied into the response") the request's bytes after its header, at most up to 1100
     * and padded to a multiple of 4. UNSUPP_VERSION carries the header only, with version 2, the one
     * this server speaks (§9), since the rest of an unknown version has no known layout.
     */
    public static void encodeError(ByteBuffer request, Result result, long epoch, ByteBuffer out) {
        int p = request.position(), n = Math.min(request.remaining(), Pcp.MAX_LENGTH);
        int op = n >= 2 ? u8(request, p + 1) & ~Pcp.R_BIT : 0;
        header(out, op, result, result.errorLifetime(), epoch);
        if (result == Result.UNSUPP_VERSION) return;
        for (int i = Pcp.HEADER_LENGTH; i < n; i++) out.put(request.get(p + i));
        for (int i = n; i % 4 != 0; i++) out.put((byte) 0);
    }

    /** Header, opcode data (none if null), then the options. */
    public static void encodeResponse(Pcp.Response r, ByteBuffer out) {
        header(out, r.opcode().code, r.result(), r.lifetime(), r.epoch());
        if (r.data() != null) opData(out, r.data());
        for (Option o : r.options()) option(out, o);
    }

    /** The unsolicited ANNOUNCE of §14.1.3: SUCCESS, lifetime 0, this epoch, no data. */
    public static void encodeAnnounce(long epoch, ByteBuffer out) {
        header(out, Opcode.ANNOUNCE.code, Result.SUCCESS, 0, epoch);
    }

    /** A client's request (tests and tools). */
    public static void encodeRequest(Pcp.Request r, ByteBuffer out) {
        out.put((byte) Pcp.VERSION).put((byte) r.opcode().code).putShort((short) 0).putInt((int) r.lifetime());
        address(out, r.clientAddress());
        opData(out, r.data());
        for (Option o : r.options()) option(out, o);
    }

    /**
     * A response as a client reads it, or null if it is none (§8.4's sizes, version 2, R bit, a
     * known opcode and result). Data shorter than the opcode's reads as null; unknown options are
     * skipped and a malformed one ends the list.
     */
    public static Pcp.Response decodeResponse(ByteBuffer b) {
        int p = b.position(), n = b.remaining();
        if (n < Pcp.HEADER_LENGTH || n > Pcp.MAX_LENGTH || n % 4 != 0 || u8(b, p) != Pcp.VERSION) return null;
        if ((u8(b, p + 1) & Pcp.R_BIT) == 0) return null;
        Opcode op = Opcode.of(u8(b, p + 1) & ~Pcp.R_BIT);
        Result result = Result.of(u8(b, p + 3));
        if (op == null || result == null) return null;
        int at = p + Pcp.HEADER_LENGTH;
        if (n < Pcp.HEADER_LENGTH + op.dataLength) {
            return new Pcp.Response(op, result, u32(b, p + 4), u32(b, p + 8), null, List.of());
        }
        List<Option> options = new ArrayList<>();
        options(b, at + op.dataLength, p + n, op, options); // what came before a bad one
        return new Pcp.Response(op, result, u32(b, p + 4), u32(b, p + 8), opData(b, at, op), options);
    }

    private static void header(ByteBuffer out, int op, Result result, long lifetime, long epoch) {
        out.put((byte) Pcp.VERSION).put((byte) (op | Pcp.R_BIT)).put((byte) 0).put((byte) result.code)
                .putInt((int) lifetime).putInt((int) epoch);
        for (int i = 0; i < 12; i++) out.put((byte) 0); // reserved, 96 bits
    }

    private static void opData(ByteBuffer out, OpData d) {
        switch (d) {
            case Announce a -> { }
            case MapData m -> mapFields(out, m.nonce(), m.protocol(), m.internalPort(), m.externalPort(), m.externalAddress());
            case PeerData x -> {
                mapFields(out, x.nonce(), x.protocol(), x.internalPort(), x.externalPort(), x.externalAddress());
                out.putShort((short) x.remotePort()).putShort((short) 0);
                address(out, x.remoteAddress());
            }
        }
    }

    private static void mapFields(ByteBuffer out, Nonce nonce, int protocol, int internalPort, int externalPort,
                                  Address external) {
        out.putInt(nonce.first()).putInt(nonce.second()).putInt(nonce.third());
        out.put((byte) protocol).put((byte) 0).putShort((short) 0);
        out.putShort((short) internalPort).putShort((short) externalPort);
        address(out, external);
    }

    private static void option(ByteBuffer out, Option o) {
        out.put((byte) o.code().code).put((byte) 0).putShort((short) o.code().length);
        switch (o) {
            case ThirdParty t -> address(out, t.internalAddress());
            case PreferFailure f -> { }
            case Filter f -> {
                out.put((byte) 0).put((byte) f.prefixLength()).putShort((short) f.remotePort());
                address(out, f.remoteAddress());
            }
        }
    }

    private static Nonce nonce(ByteBuffer b, int at) {
        return new Nonce(b.getInt(at), b.getInt(at + 4), b.getInt(at + 8));
    }

    private static Address address(ByteBuffer b, int at) {
        return new Address(b.getLong(at), b.getLong(at + 8));
    }

    private static void address(ByteBuffer out, Address a) {
        out.putLong(a.high()).putLong(a.low());
    }
}
