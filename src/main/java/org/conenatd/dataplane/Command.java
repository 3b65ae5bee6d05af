package org.conenatd.dataplane;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code nft} or {@code iptables} once, at a plane's start or stop (map elements never spawn a
 * process): its exit code and its merged output.
 */
public record Command(int code, String out) {
    /** The first line of the output, for a one-line start-up error. */
    public String firstLine() {
        String s = out.strip();
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Runs {@code cmd} with {@code stdin} (or none), waiting at most 30 s. */
    public static Command run(List<String> cmd, String stdin) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            if (stdin != null) p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Command(-1, cmd.get(0) + " timed out");
            }
            return new Command(p.exitValue(), out);
        } catch (IOException e) {
            return new Command(-1, cmd.get(0) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Command(-1, cmd.get(0) + ": interrupted");
        }
    }
}
