package org.conenatd.netlink;

import java.util.Arrays;
import java.util.Random;

/**
 * Test helper: the datagram mutations the decoder fuzz tests share (bit flips, truncation,
 * insertion or deletion, splicing) and little-endian field access for netlink headers. Each test
 * keeps its own random-datagram and length-corruption rules, which know its protocol.
 */
public final class DatagramMutations {
    private DatagramMutations() {}

    public static byte[] flipBits(Random rnd, byte[] b, int flips) {
        if (b.length == 0) return b;
        for (int i = 0; i < flips; i++) b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
        return b;
    }

    public static byte[] truncate(Random rnd, byte[] s) {
        byte[] b = Arrays.copyOf(s, rnd.nextInt(s.length + 1));
        if (b.length >= 4 && rnd.nextBoolean()) putLe32(b, 0, b.length); // nlmsg_len follows the cut
        return b;
    }

    public static byte[] insertOrDelete(Random rnd, byte[] s) {
        int at = rnd.nextInt(s.length + 1);
        int n = 1 + rnd.nextInt(8);
        if (rnd.nextBoolean() && s.length > 0) {
            n = Math.min(n, s.length - Math.min(at, s.length - 1));
            at = Math.min(at, s.length - 1);
            byte[] b = new byte[s.length - n];
            System.arraycopy(s, 0, b, 0, at);
            System.arraycopy(s, at + n, b, at, s.length - at - n);
            return b;
        }
        byte[] b = new byte[s.length + n];
        System.arraycopy(s, 0, b, 0, at);
        for (int i = 0; i < n; i++) b[at + i] = (byte) rnd.nextInt(256);
        System.arraycopy(s, at, b, at + n, s.length - at);
        return b;
    }

    public static byte[] splice(Random rnd, byte[] x, byte[] y) {
        int i = rnd.nextInt(x.length + 1), j = rnd.nextInt(y.length + 1);
        byte[] b = Arrays.copyOf(x, i + (y.length - j));
        System.arraycopy(y, j, b, i, y.length - j);
        return b;
    }

    public static int getLe16(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    public static int getLe32(byte[] b, int at) {
        return getLe16(b, at) | getLe16(b, at + 2) << 16;
    }

    public static void putLe16(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >> 8);
    }

    public static void putLe32(byte[] b, int at, int v) {
        putLe16(b, at, v);
        putLe16(b, at + 2, v >>> 16);
    }
}
