package org.conenatd.portmap.pcp;

import org.conenatd.nat.Protocol;

/**
 * NAT-PMP's vocabulary (RFC 6886): version 0, three request opcodes, responses with the opcode's top
 * bit set, 16-bit result codes and the seconds-since-start-of-epoch field. Lifetimes and the epoch
 * are unsigned 32-bit values, held in longs.
 */
public final class NatPmp {
    private NatPmp() {}

    public static final int VERSION = 0;
    public static final int OP_EXTERNAL_ADDRESS = 0;
    public static final int OP_MAP_UDP = 1;
    public static final int OP_MAP_TCP = 2;
    /** Set in the opcode of every response (§3.2: response opcode = request opcode + 128). */
    public static final int RESPONSE_BIT = 0x80;
    /** Version, opcode, result code, epoch: what every response starts with (§3.5). */
    public static final int HEADER_LENGTH = 8;
    public static final int MAP_REQUEST_LENGTH = 12;
    public static final int ADDRESS_RESPONSE_LENGTH = 12;
    public static final int MAP_RESPONSE_LENGTH = 16;

    public enum Result {
        SUCCESS(0), UNSUPPORTED_VERSION(1), NOT_AUTHORIZED(2), NETWORK_FAILURE(3), OUT_OF_RESOURCES(4),
        UNSUPPORTED_OPCODE(5);

        public final int code;

        Result(int code) { this.code = code; }

        /** The result of a code, or null for one RFC 6886 does not define. */
        public static Result of(int code) {
            for (Result r : values()) if (r.code == code) return r;
            return null;
        }
    }

    /** The map opcode of a protocol: 1 for UDP, 2 for TCP. */
    public static int opcodeOf(Protocol p) {
        return p == Protocol.UDP ? OP_MAP_UDP : OP_MAP_TCP;
    }

    public sealed interface Request permits ExternalAddressRequest, MapRequest {}

    /** Opcode 0: what is the public address (§3.2)? */
    public record ExternalAddressRequest() implements Request {}

    /**
     * Opcodes 1 and 2 (§3.3). Lifetime 0 deletes; internal port 0 with lifetime 0 deletes all the
     * client's mappings of the protocol; suggested port 0 means any.
     */
    public record MapRequest(Protocol protocol, int internalPort, int suggestedPort, long lifetime) implements Request {}

    public sealed interface Response permits ExternalAddressResponse, MapResponse {
        Result result();

        long epoch();
    }

    /** Opcode 128; address 0 (0.0.0.0) with NETWORK_FAILURE when the gateway has none. */
    public record ExternalAddressResponse(Result result, long epoch, int address) implements Response {}

    /** Opcodes 129 and 130; external port and lifetime 0 answer a deletion. */
    public record MapResponse(Protocol protocol, Result result, long epoch, int internalPort, int externalPort,
                              long lifetime) implements Response {}
}
