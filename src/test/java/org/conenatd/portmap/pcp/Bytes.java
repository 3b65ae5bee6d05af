package org.conenatd.portmap.pcp;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.function.Consumer;

/** Hex vectors to buffers and what an encoder writes back to hex. */
public final class Bytes {
    private Bytes() {}

    /** The datagram of a hex vector (spaces allowed), position 0 to its length. */
    public static ByteBuffer buf(String hex) {
        return ByteBuffer.wrap(HexFormat.of().parseHex(hex.replace(" ", "")));
    }

    /** What {@code writer} puts into an empty buffer, as lower-case hex. */
    public static String written(Consumer<ByteBuffer> writer) {
        ByteBuffer out = ByteBuffer.allocate(2048);
        writer.accept(out);
        out.flip();
        return hex(out);
    }

    public static String hex(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return HexFormat.of().formatHex(a);
    }

    /** {@code n} zero bytes as hex. */
    public static String zeros(int n) {
        return "00".repeat(n);
    }
}
