package org.conenatd.sys;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The unaligned value layouts every codec here reads and writes with: netlink headers are in host
 * order, packet fields and most netfilter attributes in network (big-endian) order. Defined once
 * so no codec re-derives them.
 */
public final class Layouts {
    private Layouts() {}

    public static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    public static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    public static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    public static final ValueLayout.OfShort U16BE = U16.withOrder(ByteOrder.BIG_ENDIAN);
    public static final ValueLayout.OfInt U32BE = U32.withOrder(ByteOrder.BIG_ENDIAN);
    public static final ValueLayout.OfLong U64BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
}
