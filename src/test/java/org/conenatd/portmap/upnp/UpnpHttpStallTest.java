package org.conenatd.portmap.upnp;

import org.conenatd.portmap.FakePortMapper;
import org.conenatd.ops.Log;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Clients that send half a request and wait, against the real HttpServer: they are cut off after
 * the exchange timeout, a flood of them beyond the queue is closed at once, and a well-behaved
 * client is served meanwhile or right after.
 */
class UpnpHttpStallTest {
    final UpnpCounters counters = new UpnpCounters();
    final Log log = new Log(Log.Level.INFO, false, 1000, new PrintStream(new ByteArrayOutputStream(), true));
    LanAddress lo;
    UpnpHttp http;
    final List<Socket> sockets = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        lo = LanAddress.of(List.of(NetworkInterface.getByName("lo"))).get(0);
        IgdActions actions = new IgdActions(FakePortMapper.forUpnp(60), List.of(lo), false, counters, log);
        http = new UpnpHttp(List.of(lo), 0, actions, Descriptions.root(DeviceIds.fromSeed("x"), "t"), counters, log, 400);
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) s.close();
        http.close();
    }

    Socket stall(String from) throws IOException {
        Socket s = new Socket();
        sockets.add(s);
        s.bind(new InetSocketAddress(from, 0));
        s.connect(new InetSocketAddress(lo.address(), http.port(lo)), 2000);
        s.getOutputStream().write("POST /ctl/IPConn HTTP/1.1\r\nHost: 127".getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
        return s;
    }

    /** -1 once the server closed the connection; fails if it stays open {@code millis}. */
    static int awaitClose(Socket s, int millis) throws IOException {
        s.setSoTimeout(millis);
        InputStream in = s.getInputStream();
        try {
            int b;
            while ((b = in.read()) != -1) { /* a response, then the close */ }
            return b;
        } catch (SocketTimeoutException e) {
            return fail("still open after " + millis + " ms");
        } catch (IOException e) {
            return -1; // reset
        }
    }

    String get(String from) throws IOException {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(from, 0));
            s.connect(new InetSocketAddress(lo.address(), http.port(lo)), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write("GET /rootDesc.xml HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            return new String(s.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void stalledClientsAreCutOffAndOthersServed() throws Exception {
        List<Socket> stalled = new ArrayList<>();
        for (int i = 0; i < UpnpHttp.THREADS; i++) stalled.add(stall("127.0.0.2"));
        long t0 = System.nanoTime();
        assertEquals("HTTP/1.1 200", get("127.0.0.3"), "served once a worker is free again");
        assertTrue(System.nanoTime() - t0 < 3_000_000_000L);
        for (Socket s : stalled) assertEquals(-1, awaitClose(s, 3000));
        assertTrue(counters.timedOut() >= UpnpHttp.THREADS, "timed out: " + counters.timedOut());
    }

    @Test
    void aFloodBeyondTheQueueIsClosedAtOnce() throws Exception {
        http.close();
        // a long timeout, so that the queue stays full however slowly the flood connects
        http = new UpnpHttp(List.of(lo), 0, new IgdActions(FakePortMapper.forUpnp(60), List.of(lo), false, counters, log),
                Descriptions.root(DeviceIds.fromSeed("x"), "t"), counters, log, 10_000);
        List<Socket> flood = new ArrayList<>();
        for (int i = 0; i < UpnpHttp.THREADS + UpnpHttp.QUEUE + 8; i++) flood.add(stall("127.0.0.4"));
        for (long end = System.currentTimeMillis() + 5000; counters.shed() < 8 && System.currentTimeMillis() < end; ) {
            Thread.sleep(20);
        }
        assertEquals(8, counters.shed());
        int closed = 0;
        for (Socket s : flood) {
            s.setSoTimeout(20);
            try {
                if (s.getInputStream().read() == -1) closed++;
            } catch (SocketTimeoutException e) {
                // open: in a worker or queued
            } catch (IOException e) {
                closed++;
            }
        }
        assertEquals(8, closed, "the shed connections, and only they, are closed");
        for (Socket s : flood) s.close();
        // the workers drain the queue, each exchange finding its peer gone; until then a newcomer may be shed
        String answer = null;
        for (long end = System.currentTimeMillis() + 5000; answer == null && System.currentTimeMillis() < end; ) {
            try {
                answer = get("127.0.0.5");
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        assertEquals("HTTP/1.1 200", answer, "the server serves again once the flood is gone");
    }
}
