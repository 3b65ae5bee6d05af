package org.conenatd.nftables;

import static org.conenatd.netlink.NetlinkHex.bytes;
import static org.conenatd.nftables.CapturedNftVectors.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import static org.conenatd.netlink.DatagramMutations.*;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.conenatd.netlink.MessageReader;
import org.junit.jupiter.api.Test;

/**
 * Random and mutated datagrams (fixed seed) through SetElemView (every element, every field),
 * BatchError.badAttrOffset on errors and BatchError.locate with the datagram taken as a request.
 * None may throw. As in netlink.DecodersFuzzTest each datagram sits in a segment of exactly its
 * size, so a read past the end throws instead of going unnoticed. Seeds: the captured dump replies,
 * nft's requests and the kernel's ACK / error answers.
 */
class NftDecodersFuzzTest {
    private static final long SEED = 0x6E667400L;
    private static final int ITERATIONS = 100_000;

    private static final List<byte[]> SEEDS = List.of(
            bytes(DUMP_REPLY_OUT_1), bytes(DUMP_REPLY_OUT_2), bytes(DUMP_REPLY_SEEN),
            bytes(DUMP_REPLY_OUT_1 + DUMP_REPLY_OUT_2), bytes(NFT_ADD_OUT), bytes(NFT_ADD_IN),
            bytes(NFT_DELETE_OUT), bytes(NFT_ADD_SEEN_TIMEOUT), bytes(ACK_101), bytes(EEXIST_101),
            bytes(ENOENT_101), bytes(EINVAL_101 + ACK_101));

    private final MessageReader reader = new MessageReader();
    private final SetElemView view = new SetElemView();
    private final BatchError batchError = new BatchError();
    private int messages, elements, offsets, located;

    @Test
    void seedsThemselvesDecode() {
        for (byte[] s : SEEDS) exercise(s, 52);
        assertEquals(2 + 0 + 1 + 2 + 4, elements, "2, 0, 1 and 2 in the dump replies, 1 in each of nft's 4 requests");
        assertEquals(3, offsets, "EEXIST, ENOENT and the EINVAL of the EINVAL+ACK pair");
    }

    @Test
    void randomAndMutatedDatagramsNeverThrow() {
        Random rnd = new Random(SEED);
        int[] kinds = new int[6];
        for (int i = 0; i < ITERATIONS; i++) {
            int kind = rnd.nextInt(kinds.length);
            kinds[kind]++;
            byte[] buf = mutate(rnd, kind);
            try {
                exercise(buf, rnd.nextInt(buf.length + 8) - 4);
            } catch (Throwable t) {
                fail("iteration " + i + ", mutation " + kind + ", input " + HexFormat.of().formatHex(buf), t);
            }
        }
        // the mutations still reach the element walk, not only the first length check
        assertTrue(messages > 50_000, "messages " + messages);
        assertTrue(elements > 15_000, "elements " + elements);
        assertTrue(offsets > 5_000, "error offsets " + offsets);
        assertTrue(located > 5_000, "located " + located);
        for (int k : kinds) assertTrue(k > 10_000);
    }

    private void exercise(byte[] buf, int offset) {
        MemorySegment seg = MemorySegment.ofArray(buf);
        reader.wrap(seg, 0, buf.length);
        while (reader.next()) {
            messages++;
            if (reader.isError()) {
                reader.errorCode();
                if (batchError.badAttrOffset(reader) >= 0) offsets++;
                continue;
            }
            if (view.wrap(reader)) {
                view.isSet(SetElemsEncodeTest.OUT.nameZ());
                while (view.next()) {
                    elements++;
                    assertTrue(view.keyPort >= 0 && view.keyPort <= 0xffff && view.dataPort >= 0 && view.dataPort <= 0xffff);
                    assertTrue(view.elementOffset() >= reader.offset()
                            && view.elementOffset() + view.elementLength() <= reader.offset() + reader.length());
                    BatchError.describe(view);
                }
                view.error();
            }
            int start = (int) reader.offset();
            batchError.locate(seg, start, start + reader.length(), offset);
            if (batchError.what != null) located++;
        }
        reader.error();
    }

    // ---- mutations: random bytes, bit flips, truncation, nla_len/nlmsg_len corruption, insert/delete, splice

    private static byte[] mutate(Random rnd, int kind) {
        byte[] s = SEEDS.get(rnd.nextInt(SEEDS.size()));
        return switch (kind) {
            case 0 -> {
                byte[] b = new byte[rnd.nextInt(256)];
                rnd.nextBytes(b);
                if (b.length >= 8 && rnd.nextBoolean()) {  // a plausible header half the time
                    putLe32(b, 0, b.length);
                    putLe16(b, 4, rnd.nextBoolean() ? 0x0a0c : 0x0002);
                }
                yield b;
            }
            case 1 -> flipBits(rnd, s.clone(), 1 + rnd.nextInt(8));
            case 2 -> truncate(rnd, s);
            case 3 -> corruptLength(rnd, s.clone());
            case 4 -> insertOrDelete(rnd, s);
            default -> splice(rnd, s, SEEDS.get(rnd.nextInt(SEEDS.size())));
        };
    }

    /** Overwrites a random 2- or 4-byte length-looking field (nla_len, nlmsg_len) with an edge value. */
    private static byte[] corruptLength(Random rnd, byte[] b) {
        int at = rnd.nextInt(Math.max(1, b.length / 4)) * 4;
        if (at + 4 > b.length) return flipBits(rnd, b, 1);
        int[] edge = {0, 1, 3, 4, 5, 8, 15, 16, 20, 0x7fff, 0x8000, 0xffff, b.length, b.length + 4, rnd.nextInt(0x10000)};
        int v = edge[rnd.nextInt(edge.length)];
        if (at % 16 == 0 && rnd.nextBoolean()) putLe32(b, at, rnd.nextBoolean() ? v : 0x80000000 | v);
        else putLe16(b, at, v);
        return b;
    }

}
