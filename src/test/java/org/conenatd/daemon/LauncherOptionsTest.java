package org.conenatd.daemon;

import org.conenatd.daemon.LauncherOptions.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The launcher's option table is Main's picocli spec, and bin/conenatd's shell classification
 * (detach or stay in the foreground) reads it right: the shell function runs for real in bash.
 */
class LauncherOptionsTest {

    private static final Path COMMON = Path.of("bin/lib/common.sh").toAbsolutePath();
    private static final List<String> REQUIRED = List.of("-n", "203.0.113.1", "-q", "1000", "-m", "2000");

    @TempDir
    Path tmp;

    private static CommandSpec mainSpec() {
        return new CommandLine(new Main()).getCommandSpec();
    }

    /** The table written by LauncherOptions.main, read back as the launcher reads it. */
    private Path writeTable(CommandSpec spec) throws IOException {
        Path f = tmp.resolve("conenatd.options");
        Files.writeString(f, LauncherOptions.render(spec), StandardCharsets.US_ASCII);
        return f;
    }

    private static Map<String, String> parse(Path table) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : Files.readAllLines(table)) {
            if (line.isBlank() || line.startsWith("#")) continue;
            String[] w = line.split(" ");
            assertEquals(2, w.length, line);
            assertNull(m.put(w[1], w[0]), "listed twice: " + w[1]);
        }
        return m;
    }

    @Test
    void tableAgreesWithMainsSpec() {
        CommandSpec spec = mainSpec();
        Map<String, Kind> t = LauncherOptions.table(spec);
        int names = 0;
        for (OptionSpec o : spec.options()) {
            // derived independently of LauncherOptions: from the option's type and arity
            boolean fg = List.of(o.names()).contains("--foreground") || o.usageHelp() || o.versionHelp();
            Kind want = fg ? Kind.FOREGROUND
                    : o.typeInfo().isBoolean() && o.arity().max() == 0 ? Kind.FLAG
                    // a repeatable option (a List) still takes exactly one word per occurrence
                    : o.arity().min() == 1 && o.arity().max() == 1 ? Kind.VALUE
                    : Kind.OTHER;
            for (String n : o.names()) {
                assertEquals(want, t.get(n), n);
                names++;
            }
        }
        assertEquals(names, t.size(), "every option name once, nothing else: " + t);
        // the original's options, whatever else appears
        for (String n : List.of("-n", "--nat-ip", "-q", "--queue-num", "-m", "--fwmark", "-p", "--pid-file", "-l", "--stats-file")) {
            assertEquals(Kind.VALUE, t.get(n), n);
        }
        assertEquals(Kind.FLAG, t.get("-d"));
        assertEquals(Kind.FLAG, t.get("--quiet"));
        for (String n : List.of("-f", "--foreground", "-h", "--help", "-V", "--version")) assertEquals(Kind.FOREGROUND, t.get(n), n);
    }

    @Test
    void mainWritesTheTableFile() throws IOException {
        Path out = tmp.resolve("sub/conenatd.options");
        LauncherOptions.main(new String[] {out.toString()});
        Map<String, String> read = parse(out);
        Map<String, String> want = new LinkedHashMap<>();
        LauncherOptions.table(mainSpec()).forEach((n, k) -> want.put(n, k.name().toLowerCase(java.util.Locale.ROOT)));
        assertEquals(want, read);
        assertFalse(Files.exists(tmp.resolve("sub/conenatd.options.tmp")));
    }

    /** Runs conenatd_needs_foreground from bin/lib/common.sh the way bin/conenatd does: "fg" or "detach". */
    private static String classify(Path table, List<String> args) throws IOException, InterruptedException {
        assertTrue(Files.isRegularFile(COMMON), COMMON + " (tests run from the project directory)");
        List<String> cmd = new ArrayList<>(List.of("bash", "-c",
                "set -euo pipefail; . \"$1\"; t=$2; shift 2; if conenatd_needs_foreground \"$t\" \"$@\"; then echo fg; else echo detach; fi",
                "classify", COMMON.toString(), table.toString()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static List<String> words(String s) {
        return s.isBlank() ? List.of() : List.of(s.trim().split(" +"));
    }

    @ParameterizedTest(name = "[{0}] -> {1}")
    @CsvSource(delimiter = '|', value = {
            "-n 203.0.113.1 -q 1000 -m 2000                          | detach",
            "-n 203.0.113.1 -q 1000 -m 2000 -p /run/c.pid -l /tmp/l  | detach",
            "--nat-ip 203.0.113.1 --queue-num 1000 --fwmark 0x7d0    | detach",
            "-n 203.0.113.1 -q 1000 -m 2000 --stats-file /tmp/s      | detach",
            "-n 203.0.113.1 -q 1000 -m 2000 --stats-file=/tmp/s      | detach",
            "--stats-file /tmp/s -n 203.0.113.1 -q 1000 -m 2000 -d   | detach",
            "-dn 203.0.113.1 -q1000 -m=2000 --quiet --log-rate 5     | detach",
            "-n 203.0.113.1 -q 1000 -m 2000 --event-buffer=1048576   | detach",
            "-n 203.0.113.1 -q 1000 -m 2000 -f                       | fg",
            "-f -n 203.0.113.1 -q 1000 -m 2000                       | fg",
            "-dfn 203.0.113.1 -q 1000 -m 2000                        | fg",
            "-n 203.0.113.1 -q 1000 -m 2000 --foreground             | fg",
            "-h                                                      | fg",
            "--help                                                  | fg",
            "-V                                                      | fg",
            "--version                                               | fg",
            "''                                                      | fg",
            "-n 203.0.113.1 -q 1000 -m 2000 -x                       | fg",
            "-n 203.0.113.1 -q 1000 -m 2000 --no-such-option 1       | fg",
            "-i eth0                                                 | detach",
            "-i eth0 --ports 20000-29999 --hold=30 --protocols udp,tcp | detach",
            "-i eth0 -z 1                                            | fg",
            "-n 203.0.113.1 -q 1000 -m 2000 -p                       | fg",
            "-n 203.0.113.1 -q 1000 -m 2000 -p -f                    | fg",
            "-n 203.0.113.1 -q 1000 -m 2000 --stats-file             | fg",
            "-n 203.0.113.1 -q 1000 -m 2000 --quiet=yes              | fg",
            "-n 203.0.113.1 -q 1000 -m 2000 stray                    | fg",
            "-n 203.0.113.1 -q 1000 -m 2000 --                       | fg",
            "-n 203.0.113.1 -q 1000 -m 2000 -                        | fg",
            "-i eth0 --control /run/c.sock --metrics 127.0.0.1:9477  | detach",
            "list                                                    | fg",
            "list --json --host 10.0.0.101                           | fg",
            "--control /run/c.sock status                            | fg",
            "status --json                                           | fg",
    })
    void launcherClassifiesArguments(String args, String want) throws Exception {
        assertEquals(want, classify(writeTable(mainSpec()), words(args)));
    }

    /** Every option of Main's spec, present and future, is classified by the shell as the spec says. */
    @Test
    void launcherAgreesWithEveryOptionOfTheSpec() throws Exception {
        Path table = writeTable(mainSpec());
        for (var e : LauncherOptions.table(mainSpec()).entrySet()) {
            String n = e.getKey();
            List<String> args = new ArrayList<>(REQUIRED);
            switch (e.getValue()) {
                case VALUE -> {
                    args.addAll(List.of(n, "7"));
                    assertEquals("detach", classify(table, args), args.toString());
                    if (n.startsWith("--")) {
                        List<String> eq = new ArrayList<>(REQUIRED);
                        eq.add(n + "=7");
                        assertEquals("detach", classify(table, eq), eq.toString());
                    } else {
                        List<String> glued = new ArrayList<>(REQUIRED);
                        glued.add(n + "7");
                        assertEquals("detach", classify(table, glued), glued.toString());
                    }
                    List<String> missing = new ArrayList<>(REQUIRED);
                    missing.add(n);
                    assertEquals("fg", classify(table, missing), missing.toString());
                }
                case FLAG -> {
                    args.add(n);
                    assertEquals("detach", classify(table, args), args.toString());
                }
                case FOREGROUND, OTHER -> {
                    args.add(n);
                    assertEquals("fg", classify(table, args), args.toString());
                }
            }
        }
    }

    /** An option added to Main later needs no launcher edit: the table brings it along. */
    @Test
    void aNewValueOptionIsPickedUpFromTheSpec() throws Exception {
        CommandSpec spec = mainSpec();
        spec.addOption(OptionSpec.builder("-z", "--zone").paramLabel("<zone>").type(String.class).build());
        spec.addOption(OptionSpec.builder("--widgets").paramLabel("<range>").type(String.class).build());
        spec.addOption(OptionSpec.builder("--linger").paramLabel("<seconds>").type(int.class).build());
        spec.addOption(OptionSpec.builder("--peers").arity("1..*").type(String[].class).build());
        Path table = writeTable(spec);
        List<String> args = new ArrayList<>(REQUIRED);
        args.addAll(List.of("-z", "eth0", "--widgets", "10240-65535", "--linger=30"));
        assertEquals("detach", classify(table, args));
        args.addAll(List.of("-dz", "eth1", "--zone=eth2", "-zeth3", "--linger", "5"));
        assertEquals("detach", classify(table, args));
        assertEquals("fg", classify(table, List.of("-n", "203.0.113.1", "-q", "1", "-m", "1", "--peers", "a", "b")),
                "several values: the launcher cannot tell where they end");
        assertEquals(Kind.OTHER, LauncherOptions.table(spec).get("--peers"));
        // Main's own table (without these options) keeps such arguments in the foreground
        assertEquals("fg", classify(writeTable(mainSpec()), List.of("-n", "203.0.113.1", "-q", "1", "-m", "1", "-z", "eth0")));
    }

    @Test
    void noTableMeansForeground() throws Exception {
        assertEquals("fg", classify(tmp.resolve("absent.options"), REQUIRED));
        Path empty = Files.writeString(tmp.resolve("empty.options"), "# nothing\n");
        assertEquals("fg", classify(empty, REQUIRED));
    }
}
