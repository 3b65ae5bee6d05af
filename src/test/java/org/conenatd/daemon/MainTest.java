package org.conenatd.daemon;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/** Bad start-up input: one clear line, a non-zero exit, no stack trace — before any socket is opened. */
class MainTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "-n 300.1.1.1 -q 1000 -m 2000      | 1 | invalid -n '300.1.1.1'",
            "-n nat -q 1000 -m 2000            | 1 | expected an IPv4 address",
            "-n 203.0.113.1 -q 65536 -m 2000   | 1 | queue number must be 0-65535",
            "-n 203.0.113.1 -q -1 -m 2000      | 1 | invalid -q '-1'",
            "-n 203.0.113.1 -q abc -m 2000     | 1 | invalid -q 'abc'",
            "-n 203.0.113.1 -q 1000 -m 0       | 1 | fwmark must be non-zero",
            "-n 203.0.113.1 -q 1000 -m 0x0     | 1 | fwmark must be non-zero",
            "-n 203.0.113.1 -q 1000 -m mark    | 1 | invalid -m 'mark'",
            "-n 203.0.113.1 -q 1000 -m 0x-5    | 1 | invalid -m '0x-5'",
            "-n 203.0.113.1 -q 1000 -m 0x1ffffffff | 1 | invalid -m '0x1ffffffff'",
            "-n 203.0.113.1 -q 1000 -m 4294967296 | 1 | invalid -m '4294967296'",
            "-n 203.0.113.1 -q 1000 -m 2000 -x | 2 | Unknown option: '-x'",
            "-n 203.0.113.1 -q 1000            | 2 | Missing required option: '--fwmark=<fwmark>'",
            "-n 203.0.113.1 -q 1000 -m 2000 --queue-maxlen 0 | 1 | queue-maxlen",
            "-q 1000 -m 2000                   | 2 | Missing required option: '--nat-ip=<nat-ip>'",
            "-i eth0 -n 203.0.113.1            | 2 | -n/--nat-ip is for seed mode",
            "-i eth0 --ports 2000-1000         | 1 | invalid --ports '2000-1000': the range is empty, inverted",
            "-i eth0 --ports 0-10              | 1 | outside 1-65535",
            "-i eth0 --ports 1024              | 1 | expected <first>-<last>",
            "-i eth0 --ports 1024-70000        | 1 | outside 1-65535",
            "-i eth0 -m 0x3                    | 1 | kernel mode needs exactly one bit",
            "-i eth0 --hold 0                  | 1 | invalid --hold 0",
            "-i eth0 --protocols sctp          | 1 | invalid --protocols 'sctp'",
            "-i eth0 -q 70000                  | 1 | queue number must be 0-65535",
            "-i eth0/x                         | 1 | not an interface name",
            "-n 203.0.113.1 -q 1001:1000 -m 1   | 1 | needs first <= last",
            "-n 203.0.113.1 -q 1000:1100 -m 1   | 1 | at most 16 queues",
            "-n 203.0.113.1 -q 1000:x -m 1      | 1 | invalid -q 'x'",
            "-i eth0 --kernel-dnat 10240-65535 | 2 | --kernel-dnat is for seed mode",
            "-n 203.0.113.1 -q 1000 -m 1 --kernel-dnat 20000-10240 | 1 | invalid --kernel-dnat '20000-10240': the range is empty",
            "-n 203.0.113.1 -q 1000 -m 1 --kernel-dnat 10240-16383,x | 1 | invalid --kernel-dnat 'x': expected <first>-<last>",
            "-n 203.0.113.1 -q 1000 -m 1 --kernel-dnat 10240-16383, | 1 | invalid --kernel-dnat '': expected <first>-<last>",
            "-i eth0 --filtering port          | 1 | invalid --filtering 'port'",
            "-i eth0 --source 10.0.0.1/24      | 1 | host bits set; did you mean 10.0.0.0/24?",
            "-i eth0 --source 10.0.0.0/33      | 1 | invalid --source '10.0.0.0/33'",
            "-i eth0 --source lan              | 1 | invalid --source 'lan'",
            "-i eth0 --metrics 9477            | 1 | invalid --metrics '9477': expected <host>:<port>",
            "-i eth0 --metrics 127.0.0.1:99999 | 1 | expected a port 0-65535",
            "-i eth0 --full-cone-ports 2000-1000 | 1 | invalid --full-cone-ports '2000-1000': the range is empty, inverted",
            "-i eth0 --full-cone-ports 53,70000 | 1 | invalid --full-cone-ports '53,70000': port 70000 is outside 1-65535",
            "-i eth0 --full-cone-ports 1024-65536 | 1 | outside 1-65535",
            "-i eth0 --full-cone-ports web      | 1 | invalid --full-cone-ports 'web': expected <first>-<last>",
            "-i eth0 --ports-per-host 0        | 1 | invalid --ports-per-host 0: must be at least 1",
            "-i eth0 --on-limit evict          | 1 | invalid --on-limit 'evict': expected plain or drop",
            "-i eth0 --tcp-hold 0              | 1 | invalid --tcp-hold 0",
            "-n 203.0.113.1 -q 1000 -m 1 --ports-per-host 3 | 2 | are for kernel mode (-i)",
            "-i eth0 --table-protection strong | 1 | invalid --table-protection 'strong': expected auto, persist, owner or watch",
            "-i eth0 --pool 203.0.113.9-203.0.113.2 | 1 | invalid --pool '203.0.113.9-203.0.113.2': the range is empty",
            "-i eth0 --pool 203.0.113.1/24     | 1 | host bits set; did you mean 203.0.113.0/24?",
            "-i eth0 --pool 203.0.113          | 1 | invalid --pool '203.0.113': expected an IPv4 address, a prefix",
            "-i eth0 --pool 0.0.0.0            | 1 | 0.0.0.0 is no external address",
            "-i eth0 --pool 10.0.0.0/8 --pool 11.0.0.0/8 | 1 | invalid --pool: more than 65536 addresses",
            "-i eth0 --port-block 70000        | 1 | invalid --port-block 70000: must be 1 to the 64512 ports of --ports 1024-65535",
            "-i eth0 --ports 2000-2099 --port-block 101 | 1 | invalid --port-block 101: must be 1 to the 100 ports",
            "-i eth0 --port-block 0            | 1 | invalid --port-block 0",
            "-n 203.0.113.1 -q 1000 -m 1 --pool 203.0.113.2 | 2 | --pool and --port-block are for kernel mode (-i)",
            "list --port 70000                 | 2 | invalid --port '70000'",
            "list --host 10.0.0                | 2 | invalid --host '10.0.0'",
            "list --bogus                      | 2 | Unknown option: '--bogus'",
            "status --host 10.0.0.1            | 2 | Unknown options: '--host'",
    })
    void badInputGivesOneClearLineAndANonZeroExit(String args, int code, String message) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc = Main.run(args.trim().split("\\s+"), new PrintStream(buf, true, StandardCharsets.UTF_8));
        String err = buf.toString(StandardCharsets.UTF_8);
        assertEquals(code, rc, err);
        assertTrue(err.contains(message), err);
        assertTrue(err.startsWith("conenatd: "), err);
        assertFalse(err.contains("Exception") || err.contains("\tat "), "no stack trace: " + err);
    }
}
