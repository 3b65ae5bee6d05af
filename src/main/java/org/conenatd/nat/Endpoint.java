package org.conenatd.nat;

import org.conenatd.inet.Inet4;

/**
 * A LAN endpoint (IPv4 address and port) packed into one long, so tables of endpoints are
 * primitive arrays: bits 16..47 the address, bits 0..15 the port. {@link #NONE} is "nobody".
 */
public final class Endpoint {
    private Endpoint() {}

    public static final long NONE = -1L;

    public static long of(int ip, int port) {
        return (Integer.toUnsignedLong(ip) << 16) | (port & 0xffff);
    }

    public static int ip(long endpoint) { return (int) (endpoint >>> 16); }
    public static int port(long endpoint) { return (int) (endpoint & 0xffff); }

    /** "10.0.0.101:5000", or "nobody" for {@link #NONE}. */
    public static String format(long endpoint) {
        return endpoint == NONE ? "nobody" : Inet4.format(ip(endpoint)) + ":" + port(endpoint);
    }
}
