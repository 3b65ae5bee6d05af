package org.conenatd.control;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Asks the daemon one question over its control socket (for {@code conenatd list} and {@code status}). */
public final class ControlClient {
    private ControlClient() {}

    /** The default control socket. */
    public static final String DEFAULT_PATH = "/run/conenatd/control";
    static final long TIMEOUT_MS = 10_000;
    private static final int MAX_ANSWER = 64 << 20;

    /** No daemon listens on the path; the message is one line for the operator. */
    public static final class NoDaemonException extends IOException {
        NoDaemonException(String message) {
            super(message);
        }
    }

    /** Sends {@code request} (one line) and returns the whole answer. */
    public static String ask(Path socket, String request) throws IOException {
        SocketChannel ch;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        } catch (UnsupportedOperationException e) {
            throw new IOException("this JDK has no Unix domain sockets");
        }
        // A daemon that stops answering must not hang the shell: closing the channel ends a blocked read.
        Thread watchdog = Thread.ofPlatform().daemon().name("control-timeout").start(() -> {
            try {
                Thread.sleep(TIMEOUT_MS);
                ch.close();
            } catch (InterruptedException | IOException e) {
                // done in time, or closed anyway
            }
        });
        try (ch) {
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                throw whyNot(socket, e);
            }
            ch.write(ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.US_ASCII)));
            ch.shutdownOutput();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(64 << 10);
            try {
                while (ch.read(buf.clear()) >= 0) {
                    answer.write(buf.array(), 0, buf.position());
                    if (answer.size() > MAX_ANSWER) throw new IOException("answer longer than " + MAX_ANSWER + " bytes");
                }
            } catch (IOException e) {
                if (!ch.isOpen()) throw new IOException("no answer from the daemon within " + TimeUnit.MILLISECONDS.toSeconds(TIMEOUT_MS) + " s");
                if (answer.size() == 0) throw e;
                // a reset after the whole answer (the daemon closes once it is written): keep what came
            }
            return answer.toString(StandardCharsets.UTF_8);
        } finally {
            watchdog.interrupt();
        }
    }

    private static IOException whyNot(Path socket, IOException e) {
        String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
        if (m.contains("permission denied")) {
            return new IOException("cannot reach the daemon at " + socket + ": permission denied (the control socket is root's)");
        }
        if (!Files.exists(socket)) {
            return new NoDaemonException("no daemon is running: " + socket + " does not exist (--control <path> names another socket)");
        }
        return new NoDaemonException("no daemon is running: nothing answers on " + socket + " (" + e.getMessage() + ")");
    }
}
