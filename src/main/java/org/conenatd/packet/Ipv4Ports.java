package org.conenatd.packet;

import org.conenatd.sys.Layouts;

import java.lang.foreign.MemorySegment;

/**
 * The addresses, protocol and ports of an IPv4 packet, read in place: all the outbound path needs
 * to know which LAN endpoint a first packet comes from. Accepts UDP and TCP that are unfragmented
 * or first fragments (the ports are there); everything else reads as not valid. Reusable, not
 * thread-safe, allocation-free.
 */
public final class Ipv4Ports {
    public static final int UDP = 17, TCP = 6;

    private int protocol, srcAddr, dstAddr, srcPort, dstPort;
    private boolean valid;

    /** True if the bytes are an IPv4 UDP or TCP packet whose ports are present. */
    public boolean wrap(MemorySegment seg, long off, int len) {
        valid = false;
        if (len < 20) return false;
        int vihl = seg.get(Layouts.U8, off) & 0xFF;
        if (vihl >>> 4 != 4) return false;
        int ihl = (vihl & 0xF) * 4;
        if (ihl < 20 || len < ihl + 4) return false;
        int fragOffset = seg.get(Layouts.U16BE, off + 6) & 0x1FFF;
        if (fragOffset != 0) return false; // a later fragment: no ports
        protocol = seg.get(Layouts.U8, off + 9) & 0xFF;
        if (protocol != UDP && protocol != TCP) return false;
        srcAddr = seg.get(Layouts.U32BE, off + 12);
        dstAddr = seg.get(Layouts.U32BE, off + 16);
        srcPort = seg.get(Layouts.U16BE, off + ihl) & 0xFFFF;
        dstPort = seg.get(Layouts.U16BE, off + ihl + 2) & 0xFFFF;
        valid = true;
        return true;
    }

    public boolean valid() { return valid; }
    public int protocol() { return protocol; }
    public int srcAddr() { return srcAddr; }
    public int dstAddr() { return dstAddr; }
    public int srcPort() { return srcPort; }
    public int dstPort() { return dstPort; }
}
