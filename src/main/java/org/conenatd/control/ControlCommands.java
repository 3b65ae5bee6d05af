package org.conenatd.control;

import org.conenatd.inet.Inet4;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code conenatd list} and {@code conenatd status}: subcommands that ask the running daemon over
 * its control socket and print the answer. Exit 0 on an answer, 3 when no daemon runs (as LSB
 * {@code status} does), 1 on any other problem; a problem is one line on stderr.
 */
public final class ControlCommands {
    private ControlCommands() {}

    /** The no-daemon exit code. */
    public static final int NOT_RUNNING = 3;

    abstract static class Base implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--control", paramLabel = "<path>",
                description = "The daemon's control socket (default: the daemon command's --control, " + ControlClient.DEFAULT_PATH + ").")
        Path control;

        @Option(names = "--json", description = "Answer in JSON.")
        boolean json;

        PrintStream out = System.out, err = System.err;

        abstract ControlProtocol.Request request();

        /** Given here, else before the subcommand ({@code conenatd --control X list}), else the default. */
        Path socket() {
            if (control != null) return control;
            CommandLine.Model.CommandSpec parent = spec == null ? null : spec.parent();
            CommandLine.Model.OptionSpec o = parent == null ? null : parent.findOption("--control");
            Object v = o == null ? null : o.getValue();
            return Path.of(v == null ? ControlClient.DEFAULT_PATH : v.toString());
        }

        @Override
        public Integer call() {
            String answer;
            try {
                answer = ControlClient.ask(socket(), request().line());
            } catch (ControlClient.NoDaemonException e) {
                err.println("conenatd: " + e.getMessage());
                return NOT_RUNNING;
            } catch (IOException e) {
                err.println("conenatd: " + e.getMessage());
                return 1;
            }
            if (answer.startsWith(ControlProtocol.ERROR) || answer.isEmpty()) {
                String first = answer.isEmpty() ? "error: the daemon closed without an answer" : answer.lines().findFirst().orElse("");
                err.println("conenatd: " + first);
                return 1;
            }
            out.print(answer);
            out.flush();
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, usageHelpWidth = 100,
            description = {"Lists the running daemon's mappings, one line each: protocol, public port, LAN endpoint, "
                    + "live flows, age, hold time left ('live' while flows live; '-' in seed mode, which has no hold)."})
    public static final class ListCommand extends Base {
        @Option(names = "--host", paramLabel = "<ip>", description = "Only mappings of this LAN address.")
        String host;

        @Option(names = "--port", paramLabel = "<n>", description = "Only mappings whose public or LAN port is n.")
        String port;

        @Override
        ControlProtocol.Request request() {
            Integer h = null;
            int p = -1;
            try {
                if (host != null) h = Inet4.parseAddr(host);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "invalid --host '" + host + "': expected an IPv4 address");
            }
            try {
                if (port != null) p = ControlProtocol.port(port);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "invalid " + e.getMessage());
            }
            return new ControlProtocol.Request(ControlProtocol.Verb.LIST, json, h, p);
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, usageHelpWidth = 100,
            description = {"Shows the running daemon's mode, interface or nat-ip, uptime, last resync and counters."})
    public static final class StatusCommand extends Base {
        @Override
        ControlProtocol.Request request() {
            return new ControlProtocol.Request(ControlProtocol.Verb.STATUS, json, null, -1);
        }
    }
}
