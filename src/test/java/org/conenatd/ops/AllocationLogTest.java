package org.conenatd.ops;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.conenatd.inet.Inet4.parseAddr;
import static org.junit.jupiter.api.Assertions.*;

/** RFC 6888 REQ-12 records: one JSON line each, no destination, and a file logrotate can move. */
class AllocationLogTest {
    @Test
    void recordsAreJsonLinesAndAReopenStartsANewFileAfterARotation(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("alloc.jsonl");
        AllocationLog a = AllocationLog.open(f, new Log(Log.Level.QUIET, false, 0));
        a.record("allocate", "udp", parseAddr("10.0.0.101"), 40000, parseAddr("203.0.113.1"), 40312);
        a.flush();
        List<String> lines = Files.readAllLines(f);
        assertEquals(1, lines.size());
        assertTrue(lines.getFirst().matches("\\{\"time\":\"20\\d\\d-[^\"]+Z\",\"event\":\"allocate\",\"protocol\":\"udp\","
                + "\"lan_ip\":\"10.0.0.101\",\"lan_port\":40000,\"external_ip\":\"203.0.113.1\",\"external_port\":40312}"), lines.getFirst());

        Files.move(f, dir.resolve("alloc.jsonl.1")); // logrotate
        a.reopen();
        a.record("release", "udp", parseAddr("10.0.0.101"), 40000, parseAddr("203.0.113.1"), 40312);
        a.close();
        assertEquals(1, Files.readAllLines(dir.resolve("alloc.jsonl.1")).size(), "the rotated file keeps its record");
        assertTrue(Files.readAllLines(f).getFirst().contains("\"event\":\"release\""), "the new file gets the next one");
    }
}
