package org.conenatd.control;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The socket side: limits, timeouts, stale and live socket files, and that hostile clients never stop the server. */
class ControlServerTest {
    @TempDir
    Path tmp;
    Path path;
    ControlServer server;
    Thread thread;
    final FakeDaemon daemon = new FakeDaemon();

    @BeforeEach
    void start() throws IOException {
        path = tmp.resolve("run/conenatd/control");
        server = ControlServer.open(path, line -> ControlProtocol.answer(line, daemon));
        thread = Thread.ofPlatform().name("control-test").start(server);
    }

    @AfterEach
    void stop() throws InterruptedException {
        server.stop();
        thread.join(5000);
        assertFalse(thread.isAlive());
        server.close();
        assertFalse(Files.exists(path), "the socket file goes with the server");
    }

    static SocketChannel connect(Path p) throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(p));
        return c;
    }

    /** Everything the server sends until it closes (a reset after data counts as the end). */
    static String readAll(SocketChannel c) throws IOException {
        StringBuilder sb = new StringBuilder();
        ByteBuffer b = ByteBuffer.allocate(8192);
        try {
            while (c.read(b.clear()) >= 0) sb.append(new String(b.array(), 0, b.position(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            if (sb.isEmpty()) throw e;
        }
        return sb.toString();
    }

    @Test
    void theSocketIsRootsOnlyInAPrivateDirectory() throws IOException {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path.getParent())));
    }

    @Test
    void theClientGetsTheAnswer() throws IOException {
        String a = ControlClient.ask(path, "list --port 443");
        assertEquals(2, a.lines().count(), a);
        assertTrue(a.contains("10.0.0.102:443"), a);
        assertTrue(ControlClient.ask(path, "status").contains("pid:      4242"));
    }

    @Test
    void aLineWithoutNewlineEndedByHalfCloseIsAnswered() throws IOException {
        try (SocketChannel c = connect(path)) {
            c.write(ByteBuffer.wrap("status --json".getBytes(StandardCharsets.US_ASCII)));
            c.shutdownOutput();
            assertTrue(readAll(c).startsWith("{\"mode\":\"kernel\""));
        }
    }

    @Test
    void aSlowClientWritingByteByByteIsAnsweredWithinTheTimeout() throws Exception {
        try (SocketChannel c = connect(path)) {
            for (byte b : "list --json\r\n".getBytes(StandardCharsets.US_ASCII)) {
                c.write(ByteBuffer.wrap(new byte[] {b}));
                Thread.sleep(20);
            }
            assertTrue(readAll(c).startsWith("{\"mode\":\"kernel\",\"mappings\":["));
        }
    }

    @Test
    void anOverLongLineIsRefusedWithOneLine() throws IOException {
        try (SocketChannel c = connect(path)) {
            c.write(ByteBuffer.wrap("x".repeat(ControlProtocol.MAX_REQUEST + 10).getBytes(StandardCharsets.US_ASCII)));
            String a = readAll(c);
            assertEquals("error: request longer than 4096 bytes\n", a);
        }
    }

    @Test
    void aSilentClientIsClosedAfterTheReadTimeout() throws IOException {
        long t0 = System.nanoTime();
        try (SocketChannel c = connect(path)) {
            c.write(ByteBuffer.wrap("lis".getBytes(StandardCharsets.US_ASCII)));
            String a = readAll(c);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(a.startsWith("error: no request line within"), a);
            assertTrue(ms >= ControlServer.READ_TIMEOUT_MS - 50 && ms < ControlServer.READ_TIMEOUT_MS + 2000, ms + " ms");
        }
        assertTrue(ControlClient.ask(path, "status").startsWith("mode:"), "the server goes on serving");
    }

    @Test
    void moreClientsThanAllowedAreToldBusyAndTheOthersStillServed() throws Exception {
        List<SocketChannel> idle = new ArrayList<>();
        try {
            for (int i = 0; i < ControlServer.MAX_CLIENTS; i++) idle.add(connect(path));
            long deadline = System.currentTimeMillis() + 2000;
            while (server.clients() < ControlServer.MAX_CLIENTS && System.currentTimeMillis() < deadline) Thread.sleep(5);
            try (SocketChannel extra = connect(path)) {
                assertTrue(readAll(extra).startsWith("error: busy"));
            }
            idle.getFirst().write(ByteBuffer.wrap("status\n".getBytes(StandardCharsets.US_ASCII)));
            assertTrue(readAll(idle.getFirst()).startsWith("mode:"));
        } finally {
            for (SocketChannel c : idle) c.close();
        }
        long deadline = System.currentTimeMillis() + 2000;
        while (server.clients() > 0 && System.currentTimeMillis() < deadline) Thread.sleep(5);
        assertEquals(0, server.clients(), "closed clients free their places");
        assertTrue(ControlClient.ask(path, "list").startsWith("proto"));
    }

    @Test
    void aLiveSocketIsNotStolenAndAStaleOneIsReplaced() throws Exception {
        assertThrows(ControlServer.InUseException.class, () -> ControlServer.open(path, l -> "x\n"));
        Path stale = tmp.resolve("stale");
        var dead = java.nio.channels.ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        dead.bind(UnixDomainSocketAddress.of(stale));
        dead.close(); // the file stays, nobody listens: what kill -9 leaves
        assertTrue(Files.exists(stale));
        ControlServer second = ControlServer.open(stale, l -> "second\n");
        Thread t = Thread.ofPlatform().start(second);
        try {
            assertEquals("second\n", ControlClient.ask(stale, "anything"));
        } finally {
            second.stop();
            t.join(5000);
            second.close();
        }
        Path plain = tmp.resolve("plain");
        Files.writeString(plain, "not a socket");
        assertThrows(IOException.class, () -> ControlServer.open(plain, l -> ""));
        assertTrue(Files.exists(plain), "a regular file is never deleted");
    }

    @Test
    void noDaemonIsItsOwnException() throws Exception {
        server.stop();
        thread.join(5000);
        server.close();
        var e = assertThrows(ControlClient.NoDaemonException.class, () -> ControlClient.ask(path, "list"));
        assertEquals(1, e.getMessage().lines().count());
        start(); // for @AfterEach
    }
}
