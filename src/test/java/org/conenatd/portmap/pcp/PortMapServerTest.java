package org.conenatd.portmap.pcp;

import org.conenatd.portmap.FakePortMapper;
import org.conenatd.nat.Protocol;
import org.conenatd.ops.Log;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.List;
import java.nio.charset.StandardCharsets;

import static org.conenatd.portmap.pcp.Bytes.buf;
import static org.conenatd.portmap.pcp.Bytes.hex;
import static org.junit.jupiter.api.Assertions.*;

/** The server on 127.0.0.1 and a free port, its announcements to a socket of the test's. */
class PortMapServerTest {
    static final InetAddress LO = InetAddress.ofLiteral("127.0.0.1");
    static final String CLIENT_LO = "00000000000000000000ffff7f000001"; // ::ffff:127.0.0.1

    final FakePortMapper mapper = new FakePortMapper();
    final ByteArrayOutputStream logged = new ByteArrayOutputStream();
    DatagramSocket announcements;
    PortMapServer server;
    InetSocketAddress serverAddress;

    @BeforeEach
    void start() throws IOException {
        announcements = new DatagramSocket(new InetSocketAddress(LO, 0));
        announcements.setSoTimeout(2000);
        var config = new PortMapConfig(List.of(LO), 0, (InetSocketAddress) announcements.getLocalSocketAddress(),
                PortMapConfig.DEFAULT_RATE, false);
        var log = new Log(Log.Level.INFO, false, 1000, new PrintStream(logged, true, StandardCharsets.UTF_8));
        server = new PortMapServer(config, mapper, log);
        server.start();
        serverAddress = server.localAddresses().getFirst();
    }

    @AfterEach
    void stop() {
        server.stop();
        announcements.close();
    }

    /** What was logged, without the timestamps. */
    List<String> lines() {
        return logged.toString(StandardCharsets.UTF_8).lines().map(l -> l.substring(24)).toList();
    }

    /** The lines once there are {@code n}: the server logs after it has sent the answer. */
    List<String> lines(int n) throws InterruptedException {
        for (int i = 0; i < 200 && lines().size() < n; i++) Thread.sleep(10);
        return lines();
    }

    /** Sends {@code hex} from {@code from} and returns the answer in hex, or null after {@code waitMs} of silence. */
    String ask(DatagramSocket from, String hex, int waitMs) throws IOException {
        ByteBuffer b = buf(hex);
        from.send(new DatagramPacket(b.array(), b.remaining(), serverAddress));
        return receive(from, waitMs);
    }

    static String receive(DatagramSocket s, int waitMs) throws IOException {
        s.setSoTimeout(waitMs);
        DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
        try {
            s.receive(p);
        } catch (SocketTimeoutException e) {
            return null;
        }
        return hex(ByteBuffer.wrap(p.getData(), 0, p.getLength()));
    }

    static DatagramSocket client(String address) throws IOException {
        return new DatagramSocket(new InetSocketAddress(InetAddress.ofLiteral(address), 0));
    }

    @Test
    void startAnnouncesPcpAndNatPmpWithTheEpoch() throws IOException {
        assertEquals(PcpVectors.ANNOUNCE_RESPONSE, receive(announcements, 2000));
        assertEquals("00" + "80" + "0000" + "0000002a" + "cb007101", receive(announcements, 2000));
        assertEquals(1, server.counters().announcements());
        // the second round, 250 ms later (RFC 6886 §3.2.1)
        assertEquals(PcpVectors.ANNOUNCE_RESPONSE, receive(announcements, 2000));
    }

    @Test
    void natPmpExternalAddressAndPcpMapAreAnswered() throws Exception {
        try (DatagramSocket c = client("127.0.0.1")) {
            assertEquals(NatPmpCodecTest.ADDRESS_RESPONSE, ask(c, NatPmpCodecTest.ADDRESS_REQUEST, 2000));
            String map = "02" + "01" + "0000" + "00001c20" + CLIENT_LO + PcpVectors.NONCE + "11" + "000000" + "1388" + "9c45"
                    + PcpVectors.ANY_V4;
            Pcp.Response r = PcpCodec.decodeResponse(buf(ask(c, map, 2000)));
            assertNotNull(r);
            assertEquals(Pcp.Result.SUCCESS, r.result());
            assertEquals(7200, r.lifetime());
            assertEquals(new Pcp.MapData(new Pcp.Nonce(0x01020304, 0x05060708, 0x090a0b0c), 17, 5000, 40005,
                    Pcp.Address.ofIpv4(0xCB007101)), r.data());
            assertEquals(40005, mapper.leaseOf(Protocol.UDP, 40005).externalPort());
        }
        var n = server.counters();
        assertEquals(1, n.requests(Dialect.NATPMP));
        assertEquals(1, n.requests(Dialect.PCP));
        assertEquals(1, n.grants(Dialect.PCP));
        assertEquals(0, n.refusals(Dialect.PCP));
        assertEquals(List.of("[*] natpmp and pcp on [/127.0.0.1:" + serverAddress.getPort() + "]",
                "[+] pcp 127.0.0.1: MAP 5000/udp mapped to 203.0.113.1:40005 for 7200 s"), lines(2));
    }

    @Test
    void aFloodBeyondTheRateGetsSilenceAndIsCounted() throws IOException {
        int answered = 0;
        try (DatagramSocket flood = client("127.0.0.9")) {
            ByteBuffer b = buf(NatPmpCodecTest.ADDRESS_REQUEST);
            for (int i = 0; i < 100; i++) flood.send(new DatagramPacket(b.array(), 2, serverAddress));
            while (receive(flood, 300) != null) answered++;
        }
        // 20 at once, then one every 50 ms of however long sending 100 takes
        assertTrue(answered >= PortMapConfig.DEFAULT_RATE && answered < 60, answered + " answered");
        assertEquals(100 - answered, server.counters().rateLimited());
        try (DatagramSocket other = client("127.0.0.1")) {
            assertEquals(NatPmpCodecTest.ADDRESS_RESPONSE, ask(other, NatPmpCodecTest.ADDRESS_REQUEST, 2000),
                    "the limit is per source");
        }
    }

    @Test
    void malformedPacketsGetAnErrorOrSilenceAndTheServerGoesOn() throws IOException {
        try (DatagramSocket c = client("127.0.0.1")) {
            assertNull(ask(c, "", 300), "empty");
            assertNull(ask(c, "02", 300), "1 byte");
            assertNull(ask(c, "00" + Bytes.zeros(1100), 300), "1101 bytes of NAT-PMP");
            String big = ask(c, "02" + "01" + Bytes.zeros(1099), 2000);
            assertEquals(1100 * 2, big.length(), "1101 bytes of PCP: MALFORMED_REQUEST, truncated to 1100");
            assertEquals("02" + "81" + "00" + "03", big.substring(0, 8));
            assertEquals("02" + "81" + "00" + "01", ask(c, "07" + "01" + Bytes.zeros(58), 2000).substring(0, 8), "version 7");
            assertEquals(NatPmpCodecTest.ADDRESS_RESPONSE, ask(c, NatPmpCodecTest.ADDRESS_REQUEST, 2000));
        }
        var n = server.counters();
        assertEquals(3, n.dropped());
        assertEquals(2, n.refusals(Dialect.PCP));
        assertEquals(0, n.errors());
        assertTrue(server.running());
    }

    @Test
    void aMapperThatThrowsCostsAnAnswerNotTheThread() throws Exception {
        mapper.failWith = new IllegalStateException("netlink went away");
        try (DatagramSocket c = client("127.0.0.1")) {
            assertNull(ask(c, NatPmpCodecTest.MAP_UDP_REQUEST, 300));
            assertEquals(NatPmpCodecTest.ADDRESS_RESPONSE, ask(c, NatPmpCodecTest.ADDRESS_REQUEST, 2000));
        }
        assertEquals(1, server.counters().errors());
        assertTrue(lines(2).stream().anyMatch(l -> l.startsWith("[!]") && l.contains("netlink went away")), lines().toString());
        assertTrue(server.running());
    }

    @Test
    void stopClosesTheSocketsAndEndsTheThread() throws IOException {
        server.stop();
        assertFalse(server.running());
        try (DatagramSocket again = new DatagramSocket(serverAddress)) {
            assertTrue(again.isBound(), "the port is free again");
        }
        server.stop(); // twice is fine
    }

    @Test
    void theWildcardAndIpv6AreRefused() {
        assertThrows(IllegalArgumentException.class, () -> PortMapConfig.of(List.of(InetAddress.ofLiteral("0.0.0.0"))));
        assertThrows(IllegalArgumentException.class, () -> PortMapConfig.of(List.of(InetAddress.ofLiteral("::1"))));
        assertThrows(IllegalArgumentException.class, () -> PortMapConfig.of(List.of()));
        assertEquals(5351, PortMapConfig.of(List.of(LO)).port());
    }
}
