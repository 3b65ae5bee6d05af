package org.conenatd.portmap.pcp;

import org.conenatd.nat.Protocol;
import org.conenatd.portmap.pcp.NatPmp.ExternalAddressRequest;
import org.conenatd.portmap.pcp.NatPmp.ExternalAddressResponse;
import org.conenatd.portmap.pcp.NatPmp.MapRequest;
import org.conenatd.portmap.pcp.NatPmp.MapResponse;
import org.conenatd.portmap.pcp.NatPmp.Result;

import java.nio.ByteBuffer;

/**
 * NAT-PMP messages to and from bytes (RFC 6886), both directions, no I/O. A datagram is the
 * buffer's bytes from position to limit; decoding reads them with absolute gets and moves nothing.
 * Encoding puts at the output's position (the caller clears before and flips after). Decoding never
 * throws: what is not a request is {@link Ignored}, or {@link Unsupported} when §3.5 wants an answer.
 */
public final class NatPmpCodec {
    private NatPmpCodec() {}

    /** Beyond the server's size limit (PCP's, the port's other protocol): not read at all. */
    public static final int MAX_REQUEST = Pcp.MAX_LENGTH;

    public sealed interface Decoded permits Valid, Unsupported, Ignored {}

    public record Valid(NatPmp.Request request) implements Decoded {}

    /** Answered with {@link #encodeError}: UNSUPPORTED_VERSION or UNSUPPORTED_OPCODE (§3.5). */
    public record Unsupported(Result result, String why) implements Decoded {}

    /** Silently dropped. */
    public record Ignored(String why) implements Decoded {}

    public static Decoded decodeRequest(ByteBuffer b) {
        int p = b.position(), n = b.remaining();
        if (n < 2) return new Ignored("shorter than 2 bytes");
        if (n > MAX_REQUEST) return new Ignored("longer than " + MAX_REQUEST + " bytes");
        int version = u8(b, p), op = u8(b, p + 1);
        if (version != NatPmp.VERSION) return new Unsupported(Result.UNSUPPORTED_VERSION, "version " + version);
        // §3.5: an opcode of 128 or more is a response (another gateway's, or our own multicast seen back)
        if (op >= NatPmp.RESPONSE_BIT) return new Ignored("a response (opcode " + op + ")");
        return switch (op) {
            case NatPmp.OP_EXTERNAL_ADDRESS -> new Valid(new ExternalAddressRequest());
            case NatPmp.OP_MAP_UDP, NatPmp.OP_MAP_TCP -> {
                // RFC 6886 asks for no answer to a short one; without its ports there is nothing to answer
                if (n < NatPmp.MAP_REQUEST_LENGTH) yield new Ignored("map request of " + n + " bytes");
                Protocol proto = op == NatPmp.OP_MAP_UDP ? Protocol.UDP : Protocol.TCP;
                // bytes 2-3 are reserved: ignored on reception
                yield new Valid(new MapRequest(proto, u16(b, p + 4), u16(b, p + 6), u32(b, p + 8)));
            }
            default -> new Unsupported(Result.UNSUPPORTED_OPCODE, "opcode " + op);
        };
    }

    /**
     * The answer to an {@link Unsupported} request. Unsupported version: the 8-byte header with
     * opcode 128 (erratum 3618 to §3.5). Unsupported opcode: "the entire request returned" with the
     * top bit of the opcode set and the result code in bytes 2-3; bytes 4-7 carry the epoch, since
     * every response starts with the same 8 bytes, so the echo is at least 8 bytes long.
     */
    public static void encodeError(ByteBuffer request, Result result, long epoch, ByteBuffer out) {
        int p = request.position(), n = Math.min(request.remaining(), MAX_REQUEST);
        int op = result == Result.UNSUPPORTED_VERSION || n < 2 ? 0 : u8(request, p + 1);
        int start = out.position();
        out.put((byte) NatPmp.VERSION).put((byte) (op | NatPmp.RESPONSE_BIT)).putShort((short) result.code)
                .putInt((int) epoch);
        if (result == Result.UNSUPPORTED_VERSION) return;
        for (int i = NatPmp.HEADER_LENGTH; i < n; i++) out.put(request.get(p + i));
        assert out.position() - start >= NatPmp.HEADER_LENGTH;
    }

    public static void encodeResponse(NatPmp.Response r, ByteBuffer out) {
        switch (r) {
            case ExternalAddressResponse a -> {
                header(out, NatPmp.OP_EXTERNAL_ADDRESS, r.result(), r.epoch());
                out.putInt(a.address());
            }
            case MapResponse m -> {
                header(out, NatPmp.opcodeOf(m.protocol()), r.result(), r.epoch());
                out.putShort((short) m.internalPort()).putShort((short) m.externalPort()).putInt((int) m.lifetime());
            }
        }
    }

    /** A client's request (tests and tools; the server only decodes them). */
    public static void encodeRequest(NatPmp.Request r, ByteBuffer out) {
        switch (r) {
            case ExternalAddressRequest a -> out.put((byte) NatPmp.VERSION).put((byte) NatPmp.OP_EXTERNAL_ADDRESS);
            case MapRequest m -> out.put((byte) NatPmp.VERSION).put((byte) NatPmp.opcodeOf(m.protocol()))
                    .putShort((short) 0).putShort((short) m.internalPort()).putShort((short) m.suggestedPort())
                    .putInt((int) m.lifetime());
        }
    }

    /**
     * A response as a client reads it, or null if it is none (too short, not version 0, no response
     * bit, unknown opcode or result). An error response may stop after its 8-byte header (§3.5:
     * the other fields are then undefined); they read as 0.
     */
    public static NatPmp.Response decodeResponse(ByteBuffer b) {
        int p = b.position(), n = b.remaining();
        if (n < NatPmp.HEADER_LENGTH || u8(b, p) != NatPmp.VERSION) return null;
        int op = u8(b, p + 1);
        Result result = Result.of(u16(b, p + 2));
        if ((op & NatPmp.RESPONSE_BIT) == 0 || result == null) return null;
        long epoch = u32(b, p + 4);
        boolean full = result == Result.SUCCESS;
        return switch (op & ~NatPmp.RESPONSE_BIT) {
            case NatPmp.OP_EXTERNAL_ADDRESS -> {
                if (n < NatPmp.ADDRESS_RESPONSE_LENGTH) yield full ? null : new ExternalAddressResponse(result, epoch, 0);
                yield new ExternalAddressResponse(result, epoch, b.getInt(p + 8));
            }
            case NatPmp.OP_MAP_UDP, NatPmp.OP_MAP_TCP -> {
                Protocol proto = (op & ~NatPmp.RESPONSE_BIT) == NatPmp.OP_MAP_UDP ? Protocol.UDP : Protocol.TCP;
                if (n < NatPmp.MAP_RESPONSE_LENGTH) yield full ? null : new MapResponse(proto, result, epoch, 0, 0, 0);
                yield new MapResponse(proto, result, epoch, u16(b, p + 8), u16(b, p + 10), u32(b, p + 12));
            }
            default -> null;
        };
    }

    private static void header(ByteBuffer out, int op, Result result, long epoch) {
        out.put((byte) NatPmp.VERSION).put((byte) (op | NatPmp.RESPONSE_BIT)).putShort((short) result.code)
                .putInt((int) epoch);
    }

    static int u8(ByteBuffer b, int i) { return b.get(i) & 0xFF; }

    static int u16(ByteBuffer b, int i) { return b.getShort(i) & 0xFFFF; }

    static long u32(ByteBuffer b, int i) { return b.getInt(i) & 0xFFFF_FFFFL; }
}
