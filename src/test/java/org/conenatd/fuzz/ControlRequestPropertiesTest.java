package org.conenatd.fuzz;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.constraints.Size;
import org.conenatd.control.ControlClient;
import org.conenatd.control.ControlProtocol;
import org.conenatd.control.ControlServer;
import org.conenatd.control.DaemonView;
import org.conenatd.nat.Endpoint;
import org.conenatd.nat.MappingSnapshot;
import org.conenatd.nat.Protocol;
import org.conenatd.ops.Counters;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Control requests from hostile clients: whatever the bytes, the parser answers (never throws),
 * and the server answers or closes, never dies, and keeps answering a good request afterwards.
 */
class ControlRequestPropertiesTest {
    private static Path dir, path;
    private static ControlServer server;
    private static Thread thread;
    private static final DaemonView DAEMON = new DaemonView() {
        private final Counters counters = new Counters();
        @Override public String mode() { return "seed"; }
        @Override public String describe() { return "nat 203.0.113.1, queue 1000, fwmark 2000"; }
        @Override public long pid() { return 1; }
        @Override public long uptimeMillis() { return 1; }
        @Override public String lastResync() { return "never"; }
        @Override public List<Counters.Sample> counters() { return counters.samples(); }
        @Override public List<MappingSnapshot.Row> mappings() {
            return List.of(new MappingSnapshot.Row(Protocol.UDP, 12000, Endpoint.of(0x0a000065, 5000), 1, 0, MappingSnapshot.NO_HOLD, true));
        }
    };

    @BeforeContainer
    static void start() throws IOException {
        dir = Files.createTempDirectory("conenatd-control-fuzz");
        path = dir.resolve("control");
        server = ControlServer.open(path, line -> ControlProtocol.answer(line, DAEMON));
        thread = Thread.ofPlatform().name("control-fuzz").start(server);
    }

    @AfterContainer
    static void stop() throws Exception {
        server.stop();
        thread.join(5000);
        server.close();
        Files.deleteIfExists(path);
        Files.deleteIfExists(dir);
    }

    @Provide
    Arbitrary<String> requestish() {
        Arbitrary<String> words = Arbitraries.of("list", "status", "--json", "--host", "--port", "10.0.0.101", "65535", "65536",
                "-1", "0x10", "", " ", "\t", "\u0000", "\u00ff", "--host=1.2.3.4", "LIST");
        return words.list().ofMaxSize(10).map(l -> String.join(" ", l));
    }

    @Property(tries = 3000)
    void theParserAnswersEveryStringWithoutThrowing(@ForAll("requestish") String line) {
        String a = ControlProtocol.answer(line, DAEMON);
        assertFalse(a.isEmpty());
        assertTrue(a.endsWith("\n"));
        if (a.startsWith(ControlProtocol.ERROR)) assertEquals(1, a.lines().count(), a);
    }

    @Property(tries = 3000)
    void arbitraryLatin1LinesToo(@ForAll @Size(max = 300) String line) {
        String a = ControlProtocol.answer(line, DAEMON);
        assertTrue(a.endsWith("\n"));
    }

    /**
     * Random bytes (often with a newline somewhere, sometimes past the limit), written at once or in
     * two parts with a pause, then the write side closed: an answer or a close, quickly. (A client
     * that never finishes its line is ControlServerTest's: it waits out the read timeout.)
     */
    @Property(tries = 200)
    void theServerAnswersOrClosesAnyBytes(@ForAll @Size(max = 6000) byte[] bytes, @ForAll boolean split) throws Exception {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(path));
            try {
                int half = split ? bytes.length / 2 : bytes.length;
                c.write(ByteBuffer.wrap(bytes, 0, half));
                if (split) {
                    Thread.sleep(5);
                    c.write(ByteBuffer.wrap(bytes, half, bytes.length - half));
                }
                c.shutdownOutput();
            } catch (IOException e) {
                // the server may have answered and closed already (a newline in the first part)
            }
            long t0 = System.nanoTime();
            String answer = drain(c);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 1000, "took " + ms + " ms");
            if (bytes.length > 0) assertFalse(answer.isEmpty(), "every request, complete or cut, gets an answer");
            if (bytes.length > 0) assertTrue(answer.endsWith("\n"), answer);
        }
        assertTrue(thread.isAlive(), "the server thread survives");
    }

    @Property(tries = 5)
    void afterAllThatAGoodRequestIsStillAnswered(@ForAll boolean json) throws IOException {
        String a = ControlClient.ask(path, json ? "list --json" : "list");
        assertTrue(a.contains(json ? "\"public_port\":12000" : "10.0.0.101:5000"), a);
    }

    private static String drain(SocketChannel c) {
        StringBuilder sb = new StringBuilder();
        ByteBuffer b = ByteBuffer.allocate(8192);
        try {
            while (c.read(b.clear()) >= 0) sb.append(new String(b.array(), 0, b.position(), StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            // reset after the answer: what came is the answer
        }
        return sb.toString();
    }
}
