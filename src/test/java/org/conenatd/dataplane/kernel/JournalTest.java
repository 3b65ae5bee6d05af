package org.conenatd.dataplane.kernel;

import org.conenatd.nat.Endpoint;
import org.conenatd.nat.External;
import org.conenatd.nat.Protocol;
import org.conenatd.ops.Log;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The mapping journal: what is written is replayed, for its own table only, a torn tail is ignored, a rewrite compacts. */
class JournalTest {
    private static final Journal.Header H = new Journal.Header(42, 7);
    private static final Log QUIET = new Log(Log.Level.QUIET, false, 0);

    @TempDir
    Path dir;

    private static List<String> replay(Path p, Journal.Header h) {
        List<String> out = new ArrayList<>();
        long n = Journal.replay(p, h, (add, proto, x, ep) -> out.add((add ? "+" : "-") + proto.label + " " + External.index(x) + ":"
                + External.port(x) + " " + Endpoint.format(ep)));
        if (n < 0) return null;
        assertEquals(out.size(), n);
        return out;
    }

    @Test
    void recordsWrittenAfterARewriteAreReplayedInOrderForTheSameTableOnly() throws Exception {
        Path p = dir.resolve("sub/j");
        Journal j = new Journal(p, QUIET);
        j.rewrite(H, sink -> sink.record(true, Protocol.UDP, External.of(1, 5000), Endpoint.of(0x0A000065, 5000)));
        j.added(Protocol.TCP, External.of(3, 443), Endpoint.of(0x0A000066, 40000));
        j.removed(Protocol.UDP, External.of(1, 5000), Endpoint.of(0x0A000065, 5000));
        j.flush();
        assertEquals(List.of("+udp 1:5000 10.0.0.101:5000", "+tcp 3:443 10.0.0.102:40000", "-udp 1:5000 10.0.0.101:5000"), replay(p, H));
        assertNull(replay(p, new Journal.Header(43, 7)), "another table's handle");
        assertNull(replay(p, new Journal.Header(42, 8)), "another configuration");
        assertNull(replay(dir.resolve("none"), H), "no journal");
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), "it names LAN endpoints");
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p.getParent())));
        j.close(true);
        assertFalse(Files.exists(p), "a clean stop deletes it");
    }

    @Test
    void aTornOrGarbledTailIsIgnoredAndWhatCameBeforeStands() throws Exception {
        Path p = dir.resolve("j");
        Journal j = new Journal(p, QUIET);
        j.rewrite(H, sink -> { });
        for (int i = 0; i < 5000; i++) j.added(Protocol.UDP, External.of(0, 1024 + i), Endpoint.of(0x0A000065, 1024 + i));
        j.close(false);
        byte[] all = Files.readAllBytes(p);
        Files.write(p, java.util.Arrays.copyOf(all, all.length - 7)); // killed in the middle of a write
        assertEquals(4999, replay(p, H).size());
        byte[] garbled = Files.readAllBytes(p);
        garbled[Journal.HEADER + 100 * Journal.RECORD + 5] ^= 0x40; // record 100's external
        Files.write(p, garbled);
        assertEquals(100, replay(p, H).size());
    }

    @Test
    void aRewriteHoldsOnlyTheLiveMappingsAndAsksForItselfWhenTheFileHasGrown() {
        Path p = dir.resolve("j");
        Journal j = new Journal(p, QUIET);
        j.rewrite(H, sink -> { });
        for (int i = 0; i < 70_000; i++) {
            j.added(Protocol.UDP, External.of(0, 2000), Endpoint.of(0x0A000065, 2000));
            j.removed(Protocol.UDP, External.of(0, 2000), Endpoint.of(0x0A000065, 2000));
        }
        assertTrue(j.wantsRewrite(1));
        j.rewrite(H, sink -> sink.record(true, Protocol.UDP, External.of(0, 3000), Endpoint.of(0x0A000065, 3000)));
        assertFalse(j.wantsRewrite(1));
        j.flush();
        assertEquals(List.of("+udp 0:3000 10.0.0.101:3000"), replay(p, H));
    }

    @Test
    void aJournalThatCannotBeWrittenTurnsItselfOffInOneLine() throws Exception {
        Path blocker = dir.resolve("file");
        Files.writeString(blocker, "x");
        Journal j = new Journal(blocker.resolve("j"), QUIET); // its directory is a file
        j.rewrite(H, sink -> { });
        j.added(Protocol.UDP, 5000, 1);
        j.flush();
        assertFalse(j.wantsRewrite(0));
    }

    @Test
    void theFingerprintIsTheSameFromOneRunToTheNextAndChangesWithThePoolOrPorts() {
        KernelConfig a = new KernelConfig("eth0", 47000, 0x400000, 1024, 65535, 300, List.of(Protocol.UDP, Protocol.TCP), 64);
        // fixed, so that a JVM whose enums hash otherwise gets the same value (a restart must match it)
        assertEquals(Journal.fingerprint(a), Journal.fingerprint(new KernelConfig("eth1", 1, 0x1, 1024, 65535, 9, List.of(Protocol.UDP, Protocol.TCP), 1)));
        assertEquals(-1367968407849584608L, Journal.fingerprint(a));
        assertNotEquals(Journal.fingerprint(a), Journal.fingerprint(a.withPool(new KernelConfig.Pool(new int[] {1}, 0))));
        assertNotEquals(Journal.fingerprint(a), Journal.fingerprint(new KernelConfig("eth0", 47000, 0x400000, 2048, 65535, 300,
                List.of(Protocol.UDP, Protocol.TCP), 64)));
    }
}
