package org.conenatd.conntrack;

import org.conenatd.netlink.Decoder;
import org.conenatd.netlink.Encoder;
import org.conenatd.inet.Inet4;

import static org.conenatd.conntrack.Ctnetlink.*;

/**
 * An IPv4 conntrack tuple (CTA_TUPLE_ORIG / CTA_TUPLE_REPLY): protocol, addresses, ports.
 * Addresses are host-order ints of the network-order values; ports 0..65535.
 */
public record Tuple(int proto, int src, int dst, int srcPort, int dstPort) {
    public static final int IPPROTO_TCP = 6;
    public static final int IPPROTO_UDP = 17;

    public static Tuple udp(int src, int srcPort, int dst, int dstPort) {
        return new Tuple(IPPROTO_UDP, src, dst, srcPort, dstPort);
    }

    public void encode(Encoder e, int attrType) {
        encode(e, attrType, proto, src, srcPort, dst, dstPort);
    }

    /** Allocation-free form for the hot path. */
    public static void encode(Encoder e, int attrType, int proto, int src, int srcPort, int dst, int dstPort) {
        int t = e.beginNested(attrType);
        int ip = e.beginNested(CTA_TUPLE_IP);
        e.u32be(CTA_IP_V4_SRC, src);
        e.u32be(CTA_IP_V4_DST, dst);
        e.endNested(ip);
        int p = e.beginNested(CTA_TUPLE_PROTO);
        e.u8(CTA_PROTO_NUM, proto);
        e.u16be(CTA_PROTO_SRC_PORT, srcPort);
        e.u16be(CTA_PROTO_DST_PORT, dstPort);
        e.endNested(p);
        e.endNested(t);
    }

    /** Decodes the payload of a tuple attribute; {@code inner} is scratch. Null if not IPv4 or malformed. */
    public static Tuple decode(Decoder d, Decoder inner) {
        TupleFields f = new TupleFields();
        return f.decode(d, inner) ? new Tuple(f.proto, f.src, f.dst, f.srcPort, f.dstPort) : null;
    }

    /** "udp", "tcp", or "proto N". */
    public static String protoName(int proto) {
        return switch (proto) {
            case IPPROTO_UDP -> "udp";
            case IPPROTO_TCP -> "tcp";
            default -> "proto " + proto;
        };
    }

    @Override
    public String toString() {
        return protoName(proto) + " " + Inet4.format(src) + ":" + srcPort + " -> " + Inet4.format(dst) + ":" + dstPort;
    }
}
