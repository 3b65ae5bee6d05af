package org.conenatd.daemon;

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

/**
 * Writes the launcher's option table ({@code target/conenatd.options}, run by Maven in the package
 * phase) from Main's own picocli spec, so that bin/conenatd never keeps a second copy of the
 * command line: it must know which options take a value to tell, before starting a JVM, whether
 * to detach or to stay in the foreground.
 *
 * <p>One line per option name: {@code <kind> <name>}, kinds as in {@link Kind}. Lines starting
 * with {@code #} are comments.
 */
public final class LauncherOptions {

    /** The option of Main that keeps the daemon in the foreground. */
    static final String FOREGROUND = "--foreground";

    /** What the launcher needs to know about an option name. */
    public enum Kind {
        /** Takes exactly one value: the rest of a short-option cluster, {@code --name=value} or the next argument. */
        VALUE,
        /** Takes no value. */
        FLAG,
        /** Takes no value and means "run in the foreground": {@code --foreground}, help and version. */
        FOREGROUND,
        /** Optional or several values: the launcher cannot tell where they end, so it stays in the foreground. */
        OTHER;

        String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private LauncherOptions() {}

    /** The table of {@code spec}, every option name once, in the spec's order. */
    public static Map<String, Kind> table(CommandSpec spec) {
        Map<String, Kind> t = new LinkedHashMap<>();
        boolean sawForeground = false;
        for (OptionSpec o : spec.options()) {
            boolean fg = List.of(o.names()).contains(FOREGROUND);
            sawForeground |= fg;
            CommandLine.Range arity = o.arity();
            Kind k = fg || o.usageHelp() || o.versionHelp() ? Kind.FOREGROUND
                    : arity.max() == 0 ? Kind.FLAG
                    : arity.min() == 1 && arity.max() == 1 && !arity.isVariable() ? Kind.VALUE
                    : Kind.OTHER;
            List<String> names = new ArrayList<>(List.of(o.names()));
            if (o.negatable()) {
                // picocli also accepts the negated forms (--no-x); they take no value either
                for (String n : o.names()) {
                    String neg = spec.negatableOptionTransformer().makeNegative(n, spec);
                    if (neg != null && !neg.equals(n)) names.add(neg);
                }
            }
            for (String n : names) {
                Kind prev = t.putIfAbsent(n, k);
                if (prev != null && prev != k) throw new IllegalStateException("option name " + n + " is both " + prev + " and " + k);
            }
        }
        if (!sawForeground) throw new IllegalStateException("Main has no " + FOREGROUND + " option; the launcher relies on it");
        return t;
    }

    /** The file's text for {@code spec}. */
    public static String render(CommandSpec spec) {
        StringBuilder sb = new StringBuilder()
                .append("# bin/conenatd's option table, generated at build time from the picocli spec of\n")
                .append("# org.conenatd.daemon.Main by org.conenatd.daemon.LauncherOptions. Do not edit.\n")
                .append("# <kind> <option name>; kinds: value (one value), flag, foreground (flag that keeps the\n")
                .append("# launcher in the foreground), other (optional or several values: stay in the foreground).\n");
        table(spec).forEach((name, kind) -> sb.append(kind.word()).append(' ').append(name).append('\n'));
        return sb.toString();
    }

    /** {@code LauncherOptions <output-file>}: writes the table of Main's spec. */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) throw new IllegalArgumentException("usage: LauncherOptions <output-file>");
        Path out = Path.of(args[0]);
        if (out.getParent() != null) Files.createDirectories(out.getParent());
        // Written beside, then moved: the launcher never reads half a table.
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        Files.writeString(tmp, render(new CommandLine(new Main()).getCommandSpec()), StandardCharsets.US_ASCII);
        Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
