package org.conenatd.netlink;

import static org.conenatd.netlink.NetlinkHex.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import static org.conenatd.netlink.DatagramMutations.*;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.conenatd.conntrack.CapturedConntrackVectors;
import org.conenatd.conntrack.Event;
import org.conenatd.conntrack.Tuple;
import org.conenatd.nfqueue.NfQueueVectors;
import org.conenatd.nfqueue.QueuedPacket;
import org.junit.jupiter.api.Test;

/**
 * 100,000 random and mutated datagrams (fixed seed) through everything that reads kernel bytes:
 * MessageReader (incl. errorCode / errorRequestSeq / extAck), Event.decode,
 * QueuedPacket.decode, and a recursive Decoder walk calling every accessor. None may throw. Each
 * datagram sits in a segment of exactly its size, so any read past the end would throw
 * IndexOutOfBoundsException rather than go unnoticed.
 *
 * <p>The seeds are real kernel messages (conntrack NEW/DESTROY/IPv6 events, ACK, EEXIST, ext-ack
 * errors capped and not) and nfqueue packet messages; mutations are bit flips, truncations (with
 * and without nlmsg_len following the cut), corruption of nlmsg_len / nla_len fields with edge
 * values, byte insertions and deletions, splices of two seeds, and plain random bytes.
 */
class DecodersFuzzTest {

    private static final long SEED = 0x5EEDC0DEL;
    private static final int ITERATIONS = 100_000;

    private static final List<byte[]> SEEDS = List.of(
            bytes(CapturedConntrackVectors.NEW_EVENT),
            bytes(CapturedConntrackVectors.DESTROY_EVENT),
            bytes(CapturedConntrackVectors.IPV6_NEW_EVENT),
            bytes(CapturedConntrackVectors.CREATE_ACK),
            bytes(CapturedConntrackVectors.CREATE_EEXIST),
            bytes(CapturedConntrackVectors.BAD_TIMEOUT_CAPPED),
            bytes(CapturedConntrackVectors.BAD_TIMEOUT_UNCAPPED),
            bytes(NfQueueVectors.HAND_PACKET),
            bytes(NfQueueVectors.KERNEL_PACKET),
            bytes(CapturedConntrackVectors.NEW_EVENT + CapturedConntrackVectors.DESTROY_EVENT),
            bytes(NfQueueVectors.HAND_PACKET + NfQueueVectors.KERNEL_PACKET),
            bytes(CapturedConntrackVectors.NEW_EVENT + CapturedConntrackVectors.BAD_TIMEOUT_UNCAPPED
                    + NfQueueVectors.HAND_PACKET));

    private final MessageReader reader = new MessageReader();
    private final Decoder a = new Decoder();
    private final Decoder[] walk = {new Decoder(), new Decoder(), new Decoder(), new Decoder(), new Decoder()};
    private final QueuedPacket packet = new QueuedPacket();
    private int events, packets, extAcks, messages;

    @Test
    void seedsThemselvesDecode() {
        for (byte[] s : SEEDS) exercise(s);
        assertEquals(5, events, "NEW, DESTROY, NEW+DESTROY, NEW of the mix; the IPv6 one is null");
        assertEquals(5, packets);
        assertEquals(3, extAcks);
    }

    @Test
    void randomAndMutatedDatagramsNeverThrow() {
        Random rnd = new Random(SEED);
        int[] kinds = new int[7];
        for (int i = 0; i < ITERATIONS; i++) {
            int kind = rnd.nextInt(kinds.length);
            kinds[kind]++;
            byte[] buf = mutate(rnd, kind);
            try {
                exercise(buf);
            } catch (Throwable t) {
                fail("iteration " + i + ", mutation " + kind + ", input " + HexFormat.of().formatHex(buf), t);
            }
        }
        // the mutations still reach the deep paths, not only the first length check
        // (with this seed: 77,491 messages, 8,785 events, 10,685 packets, 9,463 ext-ack texts)
        assertTrue(messages > 50_000, "messages " + messages);
        assertTrue(events > 4_000, "events " + events);
        assertTrue(packets > 5_000, "packets " + packets);
        assertTrue(extAcks > 4_000, "ext acks " + extAcks);
        for (int k : kinds) assertTrue(k > 10_000);
    }

    @Test
    void decoderWrappedAtRandomWindowsNeverThrows() {
        Random rnd = new Random(SEED + 1);
        Decoder d = new Decoder();
        for (int i = 0; i < 20_000; i++) {
            byte[] b = SEEDS.get(rnd.nextInt(SEEDS.size()));
            MemorySegment seg = MemorySegment.ofArray(b);
            long off = rnd.nextInt(b.length + 16) - 8;
            long len = rnd.nextInt(b.length + 16) - 8;
            try {
                d.wrap(seg, off, len);
                walkAttributes(d, 0);
            } catch (Throwable t) {
                fail("window " + off + "+" + len + " of " + HexFormat.of().formatHex(b), t);
            }
        }
    }

    private void exercise(byte[] buf) {
        MemorySegment seg = MemorySegment.ofArray(buf);
        reader.wrap(seg, 0, buf.length);
        while (reader.next()) {
            messages++;
            reader.type();
            reader.flags();
            reader.seq();
            reader.portId();
            assertTrue(reader.offset() + reader.length() <= buf.length);
            if (reader.isError()) {
                reader.errorCode();
                reader.errorRequestSeq();
                if (reader.extAck() != null) extAcks++;
            }
            Event e = Event.decode(reader);
            if (e != null) {
                events++;
                checkTuple(e.flow().orig());
                checkTuple(e.flow().reply());
                e.flow().toString();
            }
            if (packet.decode(reader)) {
                packets++;
                if (packet.hasPayload()) {
                    assertTrue(packet.payloadOffset() >= reader.payloadOffset());
                    assertTrue(packet.payloadOffset() + packet.payloadLength() <= reader.offset() + reader.length());
                }
            }
            walkAttributes(reader.nfAttributes(walk[0]), 0);
        }
        reader.error();
    }

    private static void checkTuple(Tuple t) {
        assertTrue(t.srcPort() >= 0 && t.srcPort() <= 0xffff);
        assertTrue(t.dstPort() >= 0 && t.dstPort() <= 0xffff);
        assertTrue(t.proto() >= 0 && t.proto() <= 0xff);
        t.toString();
    }

    /** Every accessor that fits the attribute, string(), and a descent into anything that parses as a nest. */
    private void walkAttributes(Decoder d, int depth) {
        while (d.next()) {
            d.type();
            d.isNested();
            int n = d.length();
            if (n >= 8) d.u64be();
            if (n >= 4) {
                d.u32be();
                d.u32();
            }
            if (n >= 2) d.u16be();
            if (n >= 1) d.u8();
            d.string();
            if (depth + 1 < walk.length) walkAttributes(d.nested(walk[depth + 1]), depth + 1);
        }
        d.error();
    }

    // ---- mutations

    private static byte[] mutate(Random rnd, int kind) {
        byte[] s = SEEDS.get(rnd.nextInt(SEEDS.size()));
        return switch (kind) {
            case 0 -> randomBytes(rnd);
            case 1 -> flipBits(rnd, s.clone(), 1 + rnd.nextInt(8));
            case 2 -> truncate(rnd, s);
            case 3 -> corruptLength(rnd, s.clone());
            case 4 -> insertOrDelete(rnd, s);
            case 5 -> splice(rnd, s, SEEDS.get(rnd.nextInt(SEEDS.size())));
            default -> {                     // several of the above, stacked
                byte[] b = s;
                for (int j = 1 + rnd.nextInt(3); j > 0; j--) b = mutate(rnd, b, 1 + rnd.nextInt(4));
                yield b;
            }
        };
    }

    private static byte[] mutate(Random rnd, byte[] b, int kind) {
        return switch (kind) {
            case 1 -> flipBits(rnd, b.clone(), 1 + rnd.nextInt(4));
            case 2 -> truncate(rnd, b);
            case 3 -> corruptLength(rnd, b.clone());
            default -> insertOrDelete(rnd, b);
        };
    }

    private static byte[] randomBytes(Random rnd) {
        byte[] b = new byte[rnd.nextInt(320)];
        rnd.nextBytes(b);
        if (b.length >= 8 && rnd.nextBoolean()) {        // plausible header half the time
            putLe32(b, 0, rnd.nextBoolean() ? b.length : rnd.nextInt(b.length + 1));
            int[] types = {0x0100, 0x0102, 0x0300, 0x0002, 0x0003};
            putLe16(b, 4, types[rnd.nextInt(types.length)]);
        }
        return b;
    }

    private static byte[] corruptLength(Random rnd, byte[] b) {
        List<int[]> fields = lengthFields(b);              // {offset, width}
        if (fields.isEmpty()) return flipBits(rnd, b, 1);
        for (int k = 1 + (rnd.nextInt(4) == 0 ? 1 : 0); k > 0; k--) {
            int[] f = fields.get(rnd.nextInt(fields.size()));
            int old = f[1] == 4 ? getLe32(b, f[0]) : getLe16(b, f[0]);
            int[] edge = f[1] == 4
                    ? new int[] {0, 1, 15, 16, 17, 19, 20, old - 1, old + 1, old - 4, old + 4, b.length, b.length + 1,
                                 0x7fffffff, 0x80000000, 0xffffffff, rnd.nextInt()}
                    : new int[] {0, 1, 3, 4, 5, 7, 8, old - 1, old + 1, old - 4, old + 4, 0x7fff, 0x8000, 0xffff,
                                 rnd.nextInt(0x10000)};
            int v = edge[rnd.nextInt(edge.length)];
            if (f[1] == 4) putLe32(b, f[0], v); else putLe16(b, f[0], v);
        }
        return b;
    }

    /**
     * Offsets of the nlmsg_len and nla_len fields of a well-formed datagram: message headers, the
     * echoed header of an NLMSG_ERROR, and every attribute, nested ones included.
     */
    private static List<int[]> lengthFields(byte[] b) {
        List<int[]> out = new ArrayList<>();
        int pos = 0;
        while (pos + 16 <= b.length) {
            int len = getLe32(b, pos);
            if (len < 16 || len > b.length - pos) break;
            out.add(new int[] {pos, 4});
            int type = getLe16(b, pos + 4), flags = getLe16(b, pos + 6);
            if (type == Netlink.NLMSG_ERROR && len >= 36) {
                out.add(new int[] {pos + 20, 4});
                int skip = (flags & Netlink.NLM_F_CAPPED) != 0 ? 20 : 4 + Netlink.align(getLe32(b, pos + 20));
                attributeFields(b, pos + 16 + skip, pos + len, out);
            } else if (len >= 20) {
                attributeFields(b, pos + 20, pos + len, out);
            }
            pos += Netlink.align(len);
        }
        return out;
    }

    private static void attributeFields(byte[] b, int pos, int end, List<int[]> out) {
        while (pos >= 0 && end - pos >= 4) {
            int len = getLe16(b, pos);
            if (len < 4 || len > end - pos) return;
            out.add(new int[] {pos, 2});
            if ((getLe16(b, pos + 2) & Netlink.NLA_F_NESTED) != 0) attributeFields(b, pos + 4, pos + len, out);
            pos += Netlink.align(len);
        }
    }

}
