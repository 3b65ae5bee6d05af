package org.conenatd.portmap.pcp;

import java.util.List;
import java.util.Objects;

/**
 * PCP's vocabulary (RFC 6887): version 2, the 24-byte common header, opcodes ANNOUNCE/MAP/PEER with
 * their opcode-specific data, result codes and the options conenatd understands. Addresses are
 * 128-bit, IPv4 ones IPv4-mapped (::ffff:a.b.c.d, §5). Lifetimes and the epoch are unsigned 32-bit
 * values, held in longs; protocol numbers stay raw ints, since 0 ("all") and unsupported numbers must
 * be representable to be answered.
 */
public final class Pcp {
    private Pcp() {}

    public static final int VERSION = 2;
    /** The R bit of the second byte: set in responses. */
    public static final int R_BIT = 0x80;
    public static final int HEADER_LENGTH = 24;
    /** Requests and responses longer than this are invalid (§7). */
    public static final int MAX_LENGTH = 1100;
    /** Servers listen here; clients, for unsolicited responses, on 5350 (§19.1). */
    public static final int SERVER_PORT = 5351;
    public static final int CLIENT_PORT = 5350;
    /** The error lifetimes (§7.2: how long a client should expect the same error): 30 s and 30 min. */
    public static final long SHORT_ERROR_LIFETIME = 30;
    public static final long LONG_ERROR_LIFETIME = 1800;

    public enum Opcode {
        ANNOUNCE(0, 0), MAP(1, 36), PEER(2, 56);

        public final int code;
        /** Length of the opcode-specific data after the header (§14.1, Figures 9 and 10). */
        public final int dataLength;

        Opcode(int code, int dataLength) {
            this.code = code;
            this.dataLength = dataLength;
        }

        public static Opcode of(int code) {
            for (Opcode o : values()) if (o.code == code) return o;
            return null;
        }
    }

    public enum Result {
        SUCCESS(0, false), UNSUPP_VERSION(1, false), NOT_AUTHORIZED(2, false), MALFORMED_REQUEST(3, false),
        UNSUPP_OPCODE(4, false), UNSUPP_OPTION(5, false), MALFORMED_OPTION(6, false), NETWORK_FAILURE(7, true),
        NO_RESOURCES(8, true), UNSUPP_PROTOCOL(9, false), USER_EX_QUOTA(10, true),
        // §7.4 lets its lifetime depend on the reason; here the reason is a taken port, which can free up
        CANNOT_PROVIDE_EXTERNAL(11, true), ADDRESS_MISMATCH(12, false), EXCESSIVE_REMOTE_PEERS(13, false);

        public final int code;
        /** A short lifetime error (§7.4): the condition is expected to clear soon. */
        public final boolean shortLived;

        Result(int code, boolean shortLived) {
            this.code = code;
            this.shortLived = shortLived;
        }

        /** The Lifetime field of an error response of this result. */
        public long errorLifetime() {
            return shortLived ? SHORT_ERROR_LIFETIME : LONG_ERROR_LIFETIME;
        }

        public static Result of(int code) {
            for (Result r : values()) if (r.code == code) return r;
            return null;
        }
    }

    /** The options of §13, with their data length, the opcodes they are valid for and how often they may appear. */
    public enum OptionCode {
        THIRD_PARTY(1, 16, 1, Opcode.MAP, Opcode.PEER), PREFER_FAILURE(2, 0, 1, Opcode.MAP),
        FILTER(3, 20, Integer.MAX_VALUE, Opcode.MAP);

        public final int code;
        public final int length;
        public final int maxOccurrences;
        private final List<Opcode> validFor;

        OptionCode(int code, int length, int maxOccurrences, Opcode... validFor) {
            this.code = code;
            this.length = length;
            this.maxOccurrences = maxOccurrences;
            this.validFor = List.of(validFor);
        }

        public boolean validFor(Opcode op) { return validFor.contains(op); }

        public static OptionCode of(int code) {
            for (OptionCode o : values()) if (o.code == code) return o;
            return null;
        }

        /** Codes 0-127 must be processed; a server that does not know one answers UNSUPP_OPTION (§7.3). */
        public static boolean mandatory(int code) { return code < 128; }
    }

    /** A 128-bit address, big-endian halves. */
    public record Address(long high, long low) {
        public static final Address UNSPECIFIED = new Address(0, 0);
        private static final long V4_MAPPED = 0xFFFF_0000_0000L;

        /** ::ffff:a.b.c.d of an IPv4 address held as in {@link org.conenatd.inet.Inet4}. */
        public static Address ofIpv4(int ip) {
            return new Address(0, V4_MAPPED | (ip & 0xFFFF_FFFFL));
        }

        public boolean isIpv4Mapped() { return high == 0 && (low >>> 32) == 0xFFFF; }

        /** The IPv4 address of an IPv4-mapped one. */
        public int ipv4() { return (int) low; }

        /** :: or ::ffff:0.0.0.0, the "no preference" of suggested addresses (§11.1). */
        public boolean isUnspecified() { return high == 0 && (low == 0 || low == V4_MAPPED); }

        @Override
        public String toString() {
            if (isIpv4Mapped()) return org.conenatd.inet.Inet4.format(ipv4());
            return String.format("%04x:%04x:%04x:%04x:%04x:%04x:%04x:%04x", high >>> 48, (high >>> 32) & 0xFFFF,
                    (high >>> 16) & 0xFFFF, high & 0xFFFF, low >>> 48, (low >>> 32) & 0xFFFF, (low >>> 16) & 0xFFFF, low & 0xFFFF);
        }
    }

    /** The 96-bit mapping nonce of MAP and PEER, echoed in responses. */
    public record Nonce(int first, int second, int third) {}

    public sealed interface OpData permits Announce, MapData, PeerData {}

    /** ANNOUNCE has no opcode-specific data (§14.1). */
    public record Announce() implements OpData {}

    /**
     * MAP data (§11.1): in a request the suggested external port and address, in a response the
     * assigned ones.
     */
    public record MapData(Nonce nonce, int protocol, int internalPort, int externalPort, Address externalAddress)
            implements OpData {}

    /** PEER data (§12.1): MAP's fields and the remote peer's port and address. */
    public record PeerData(Nonce nonce, int protocol, int internalPort, int externalPort, Address externalAddress,
                           int remotePort, Address remoteAddress) implements OpData {}

    public sealed interface Option permits ThirdParty, PreferFailure, Filter {
        OptionCode code();
    }

    /** §13.1: the internal address the mapping is for, when not the requester's. */
    public record ThirdParty(Address internalAddress) implements Option {
        public OptionCode code() { return OptionCode.THIRD_PARTY; }
    }

    /** §13.2: fail rather than assign another external port or address than the suggested ones. */
    public record PreferFailure() implements Option {
        public OptionCode code() { return OptionCode.PREFER_FAILURE; }
    }

    /** §13.3: only this remote prefix and port (0: any) may send in; prefix length 0 permits all. */
    public record Filter(int prefixLength, int remotePort, Address remoteAddress) implements Option {
        public OptionCode code() { return OptionCode.FILTER; }
    }

    public record Request(Opcode opcode, long lifetime, Address clientAddress, OpData data, List<Option> options) {
        public Request {
            Objects.requireNonNull(opcode);
            Objects.requireNonNull(clientAddress);
            Objects.requireNonNull(data);
            options = List.copyOf(options);
        }
    }

    /** {@code data} is null only in a header-only error response (UNSUPP_VERSION, or a request cut short). */
    public record Response(Opcode opcode, Result result, long lifetime, long epoch, OpData data, List<Option> options) {
        public Response {
            Objects.requireNonNull(opcode);
            Objects.requireNonNull(result);
            options = List.copyOf(options);
        }
    }
}
