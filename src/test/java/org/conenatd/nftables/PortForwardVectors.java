package org.conenatd.nftables;

import org.conenatd.netlink.FakeTransport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The kernel's answers to ruleset dumps of routers with port forwards, captured from kernel 6.18
 * by capture-portforward-vectors.sh in this folder and stored in
 * {@code src/test/resources/org/conenatd/nftables/portforward-vectors.txt}: one {@code <scenario>
 * <request> <hex of one answer datagram>} a line. {@link #kernel} answers PortForwards' requests
 * with them as the kernel would, renumbered to each request's sequence number. Scenarios:
 * nft-single, miniupnpd, range-set, iptables, router (see the script).
 */
public final class PortForwardVectors {
    private PortForwardVectors() {}

    static final int NFT_MSG_GETTABLE = 1, NFT_MSG_GETCHAIN = 4, NFT_MSG_GETRULE = 7, NFT_MSG_GETSET = 10,
            NFT_MSG_GETSETELEM = 13, NFT_MSG_GETGEN = 16;

    /** scenario → request → the answer's datagrams, in order. */
    private static final Map<String, Map<String, List<byte[]>>> ANSWERS = load();

    private static Map<String, Map<String, List<byte[]>>> load() {
        try (InputStream in = PortForwardVectors.class.getResourceAsStream("portforward-vectors.txt")) {
            if (in == null) throw new IllegalStateException("portforward-vectors.txt not on the test classpath");
            Map<String, Map<String, List<byte[]>>> m = new LinkedHashMap<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) continue;
                String[] f = line.split(" ");
                if (f.length != 3) throw new IllegalStateException("bad line: " + line);
                m.computeIfAbsent(f[0], k -> new LinkedHashMap<>()).computeIfAbsent(f[1], k -> new ArrayList<>())
                        .add(HexFormat.of().parseHex(f[2]));
            }
            return m;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<String> scenarios() {
        return List.copyOf(ANSWERS.keySet());
    }

    /** The requests recorded for {@code scenario}, in the order the dumper made them. */
    public static List<String> requests(String scenario) {
        return List.copyOf(answers(scenario).keySet());
    }

    /** Copies of the answer datagrams to one request (as captured, dumper's sequence numbers). */
    public static List<byte[]> answer(String scenario, String request) {
        List<byte[]> a = answers(scenario).get(request);
        if (a == null) throw new IllegalArgumentException("no answer to " + request + " in " + scenario);
        return a.stream().map(byte[]::clone).toList();
    }

    private static Map<String, List<byte[]>> answers(String scenario) {
        Map<String, List<byte[]>> a = ANSWERS.get(scenario);
        if (a == null) throw new IllegalArgumentException("no scenario " + scenario);
        return a;
    }

    /** A fake kernel holding {@code scenario}'s ruleset. */
    public static FakeTransport kernel(String scenario) {
        return kernel(scenario, UnaryOperator.identity());
    }

    /**
     * A fake kernel whose every answer datagram goes through {@code edit} (after renumbering) on
     * its way out: the fuzz test's mutations, a test's changed generation.
     */
    public static FakeTransport kernel(String scenario, UnaryOperator<byte[]> edit) {
        FakeTransport t = new FakeTransport();
        t.respondWith(sent -> {
            String req = request(sent);
            int seq = le32(sent, 8);
            List<byte[]> out = new ArrayList<>();
            List<byte[]> a = answers(scenario).get(req);
            if (a == null) {
                out.add(FakeTransport.errorAnswer(seq, 2, le16(sent, 4)));      // ENOENT: no such object
                return out;
            }
            for (byte[] d : a) out.add(edit.apply(renumber(d.clone(), seq)));
            return out;
        });
        return t;
    }

    /** The name the capture gives PortForwards' request {@code sent} (one message). */
    public static String request(byte[] sent) {
        int type = le16(sent, 4) & 0xff, family = sent[16] & 0xff;
        Map<Integer, String> a = new LinkedHashMap<>();
        for (CapturedRulesetVectors.Tlv t : CapturedRulesetVectors.parse(java.util.Arrays.copyOfRange(sent, 20, le32(sent, 0)))) {
            a.put(t.type(), t.string());
        }
        String fam = family == 2 ? "ip" : family == 1 ? "inet" : String.valueOf(family);
        return switch (type) {
            case NFT_MSG_GETGEN -> "gen";
            case NFT_MSG_GETTABLE -> "tables";
            case NFT_MSG_GETCHAIN -> "chains";
            case NFT_MSG_GETRULE -> "rules:" + fam + ":" + a.get(1);
            case NFT_MSG_GETSET -> "sets:" + fam + ":" + a.get(1);
            case NFT_MSG_GETSETELEM -> "elems:" + fam + ":" + a.get(1) + ":" + a.get(2);
            default -> "type " + type;
        };
    }

    /** Sets every message's nlmsg_seq in datagram {@code d} to {@code seq}. */
    public static byte[] renumber(byte[] d, int seq) {
        ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
        int i = 0;
        while (i + 16 <= d.length) {
            int n = b.getInt(i);
            if (n < 16 || i + n > d.length) break;
            b.putInt(i + 8, seq);
            i += (n + 3) & ~3;
        }
        return d;
    }

    static int le16(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    static int le32(byte[] b, int at) {
        return le16(b, at) | le16(b, at + 2) << 16;
    }
}
