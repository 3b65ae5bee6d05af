package org.conenatd.packet;

import java.lang.foreign.MemorySegment;

/** Test helper: full verification of a packet's checksums, which the daemon itself never needs. */
public final class Checksums {
    private Checksums() {}

    /** True iff the bytes are a UDP packet to {@link Ipv4UdpView} and both checksums verify (a UDP checksum of 0 counts as valid). */
    public static boolean valid(MemorySegment seg, long off, int len) {
        Ipv4UdpView v = new Ipv4UdpView();
        if (v.wrap(seg, off, len) != Ipv4UdpView.Classification.UDP) return false;
        int storedIp = seg.get(Ipv4UdpView.BE16, off + 10) & 0xFFFF;
        if (Ipv4UdpView.ipv4HeaderChecksum(seg, off, v.headerLength()) != storedIp) return false;
        int stored = v.udpChecksum();
        return stored == 0 || stored == Ipv4UdpView.udpChecksum(seg, off);
    }
}
