package org.conenatd.it;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.conenatd.it.Lab.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Kernel mode beyond UDP full cone: hairpinning, TCP, address-dependent filtering, full cone for
 * chosen sources only, and ICMP errors. Real peers in namespace labs.
 */
class BeyondUdpIT {




    @Test
    void stunReportsHairpinning() throws Exception {
        try (Lab lab = new Lab("plain")) {
            lab.startStund();
            assertTrue(lab.stunVerdict(LAN1).contains("no hairpin"), "plain NAT does not hairpin");
            lab.startKernelDaemon();
            String v = lab.stunVerdict(LAN1);
            assertTrue(v.contains("will hairpin") && v.contains("Independent Filter"), v + "\n" + lab.daemonLog());
        }
    }

    @Test
    void twoLanHostsReachEachOtherThroughTheirPublicAddressesAndPorts() throws Exception {
        try (Lab lab = new Lab("plain")) {
            lab.startKernelDaemon();
            DatagramSocket server = lab.udp(lab.wan, "203.0.113.10", 5000);
            DatagramSocket a = lab.udp(lab.lan, LAN1, 45000);
            DatagramSocket b = lab.udp(lab.lan, LAN2, 45001);
            int pa = lab.publicPort(a, server, "203.0.113.10", 5000, NAT_IP);
            int pb = lab.publicPort(b, server, "203.0.113.10", 5000, NAT_IP);

            Lab.send(b, NAT_IP, pa, "B to A's public endpoint");
            Received atA = Lab.receive(a, 3000);
            assertNotNull(atA, "hairpinned packet never reached A\n" + lab.daemonLog());
            assertEquals(NAT_IP + ":" + pb, atA.from(), "A sees B's public address and port, not its LAN address");
            Lab.send(a, NAT_IP, pb, "A answers");
            Received atB = Lab.receive(b, 3000);
            assertNotNull(atB, "A's answer never reached B");
            assertEquals(NAT_IP + ":" + pa, atB.from(), "B gets the answer from A's public address and port");

            // a sender without a mapping gets one, as for WAN-bound traffic
            DatagramSocket c = lab.udp(lab.lan, LAN2, 45002);
            Lab.send(c, NAT_IP, pa, "C, never sent to the WAN");
            Received fromC = Lab.receive(a, 3000);
            assertNotNull(fromC, "C's hairpinned packet never reached A\n" + lab.daemonLog());
            assertEquals(NAT_IP, fromC.addr());
            assertTrue(lab.daemonLog().contains(":" + fromC.port() + " -> " + LAN2 + ":45002 allocated"), lab.daemonLog());
            assertEquals(fromC.port(), lab.publicPort(c, server, "203.0.113.10", 5000, NAT_IP), "the same mapping serves the WAN");
        }
    }

    /** A TCP socket bound in a namespace with SO_REUSEPORT, as P2P clients bind the port they connect from. */
    private static Socket tcpClient(Lab lab, String addr, int port) {
        return Netns.call(lab.lan, () -> {
            Socket s = new Socket();
            s.setReuseAddress(true);
            s.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            s.bind(new InetSocketAddress(InetAddress.getByName(addr), port));
            return s;
        });
    }

    private static ServerSocket tcpListener(Lab lab, String ns, String addr, int port) {
        return Netns.call(ns, () -> {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            s.bind(new InetSocketAddress(InetAddress.getByName(addr), port));
            s.setSoTimeout(5000);
            return s;
        });
    }

    private static Socket tcpFrom(Lab lab, String addr) {
        return Netns.call(lab.wan, () -> {
            Socket s = new Socket();
            s.bind(new InetSocketAddress(InetAddress.getByName(addr), 0));
            return s;
        });
    }

    private static String exchange(Socket s, String say) throws IOException {
        s.setSoTimeout(5000);
        OutputStream o = s.getOutputStream();
        o.write((say + "\n").getBytes(StandardCharsets.UTF_8));
        o.flush();
        InputStream in = s.getInputStream();
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') sb.append((char) c);
        return sb.toString();
    }

    @Test
    void freshWanPeersConnectOverTcpToTheEndpointsPublicPort() throws Exception {
        try (Lab lab = new Lab("plain");
             ServerSocket server = tcpListener(lab, lab.wan, "203.0.113.10", 8000);
             ServerSocket p2pListener = tcpListener(lab, lab.lan, LAN1, 46000);
             Socket out = tcpClient(lab, LAN1, 46000)) {
            lab.startKernelDaemon();
            out.connect(new InetSocketAddress("203.0.113.10", 8000), 5000);
            Socket seen = server.accept();
            assertEquals(NAT_IP, seen.getInetAddress().getHostAddress());
            int publicPort = seen.getPort();
            assertEquals(46000, publicPort, "TCP keeps the endpoint's port too");
            for (int i = 0; i < 3; i++) {
                String peer = "203.0.113." + (11 + i);
                try (Socket in = tcpFrom(lab, peer)) {
                    in.connect(new InetSocketAddress(NAT_IP, publicPort), 5000);
                    Socket accepted = p2pListener.accept();
                    assertEquals(peer, accepted.getInetAddress().getHostAddress(), "the LAN endpoint sees the real peer");
                    Thread answer = Thread.ofPlatform().start(() -> {
                        try {
                            exchange(accepted, "hello " + peer);
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    assertEquals("hello " + peer, exchange(in, "hi from " + peer));
                    answer.join(5000);
                    accepted.close();
                }
            }
            seen.close();
            Thread.sleep(1200);
            assertTrue(lab.stats().get("allocations") >= 1, lab.stats().toString());
        }
    }

    @Test
    void tcpAndUdpMappingsOfTheSamePortNumberBelongToDifferentEndpoints() throws Exception {
        try (Lab lab = new Lab("plain");
             ServerSocket server = tcpListener(lab, lab.wan, "203.0.113.10", 8001);
             ServerSocket tcpListener = tcpListener(lab, lab.lan, LAN2, 47000);
             Socket tcpOut = tcpClient(lab, LAN2, 47000)) {
            lab.startKernelDaemon();
            DatagramSocket udpA = lab.udp(lab.lan, LAN1, 47000);
            DatagramSocket wan = lab.udp(lab.wan, "203.0.113.10", 5000);
            assertEquals(47000, lab.publicPort(udpA, wan, "203.0.113.10", 5000, NAT_IP), "UDP 47000 is 10.0.0.101's");
            tcpOut.connect(new InetSocketAddress("203.0.113.10", 8001), 5000);
            try (Socket seen = server.accept()) {
                assertEquals(47000, seen.getPort(), "TCP 47000 is 10.0.0.102's");
            }
            DatagramSocket udpPeer = lab.udp(lab.wan, "203.0.113.11", 6000);
            Lab.send(udpPeer, NAT_IP, 47000, "udp to 47000");
            Received r = Lab.receive(udpA, 3000);
            assertNotNull(r, "UDP to 47000 reaches 10.0.0.101\n" + lab.daemonLog());
            try (Socket in = tcpFrom(lab, "203.0.113.12")) {
                in.connect(new InetSocketAddress(NAT_IP, 47000), 5000);
                try (Socket accepted = tcpListener.accept()) {
                    assertEquals("203.0.113.12", accepted.getInetAddress().getHostAddress(), "TCP to 47000 reaches 10.0.0.102");
                }
            }
        }
    }

    @Test
    void addressDependentFilteringLetsInContactedAddressesFromAnyPortAndNobodyElse() throws Exception {
        try (Lab lab = new Lab("plain")) {
            lab.startStund();
            lab.startKernelDaemon("--filtering", "address");
            String v = lab.stunVerdict(LAN1);
            assertTrue(v.contains("Address Dependent Filter") || v.contains("Independent Mapping, Address"), v);

            DatagramSocket a = lab.udp(lab.lan, LAN1, 48000);
            DatagramSocket contacted = lab.udp(lab.wan, "203.0.113.10", 5000);
            int port = lab.publicPort(a, contacted, "203.0.113.10", 5000, NAT_IP);
            DatagramSocket samePeerNewPort = lab.udp(lab.wan, "203.0.113.10", 5999);
            Lab.send(samePeerNewPort, NAT_IP, port, "from a contacted address, a new port");
            Received in = Lab.receive(a, 3000);
            assertNotNull(in, "a contacted address gets in from any port\n" + lab.daemonLog());
            assertEquals("203.0.113.10:5999", in.from());
            DatagramSocket stranger = lab.udp(lab.wan, "203.0.113.11", 5000);
            Lab.send(stranger, NAT_IP, port, "from an address never contacted");
            assertNull(Lab.receive(a, 1500), "an address the endpoint never sent to stays out");
        }
    }

    @Test
    void rfc5780DiscoverySaysAddressDependentFilteringWithFilteringAddress() throws Exception {
        try (Lab lab = new Lab("plain")) {
            lab.startTurnserver();
            lab.startKernelDaemon("--filtering", "address");
            String v = lab.natDiscovery(LAN1);
            assertTrue(v.contains("NAT with Endpoint Independent Mapping!") && v.contains("NAT with Address Dependent Filtering!"),
                    v + "\n" + lab.daemonLog());
        }
    }

    @Test
    void onlyTheChosenSourcesGetFullCone() throws Exception {
        try (Lab lab = new Lab("plain")) {
            lab.startStund();
            lab.startKernelDaemon("--source", LAN1 + "/32");
            String chosen = lab.stunVerdict(LAN1), other = lab.stunVerdict(LAN2);
            assertTrue(chosen.contains("Independent Filter") && !chosen.contains("Dependent Filter"), chosen);
            assertTrue(other.contains("Port Dependent Filter"), "the others keep plain NAT: " + other);
            assertFalse(Pattern.compile("-> " + Pattern.quote(LAN2) + ":\\d+ allocated").matcher(lab.daemonLog()).find(),
                    "nothing allocated for " + LAN2 + "\n" + lab.daemonLog());
            assertTrue(lab.daemonLog().contains("-> " + LAN1 + ":"), lab.daemonLog());
        }
    }

    @Test
    void anIcmpErrorAboutAMappedFlowReachesTheLanEndpoint() throws Exception {
        try (Lab lab = new Lab("plain")) {
            lab.startKernelDaemon();
            assertTrue(lab.portUnreachableReaches(LAN1, 49000), "the WAN's port unreachable, translated back to the LAN endpoint");
            assertTrue(lab.daemonLog().contains("-> " + LAN1 + ":49000 allocated"), "about a mapped flow\n" + lab.daemonLog());
            Result tr = lab.exec(lab.lan, "timeout", "20", "python3", "-c",
                    "import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
                            + "s.setsockopt(socket.IPPROTO_IP,socket.IP_TTL,1);s.setsockopt(socket.IPPROTO_IP,11,1);"
                            + "s.bind(('" + LAN1 + "',49001));s.connect(('203.0.113.10',33434));s.send(b'x');import time;time.sleep(0.5);"
                            + "\ntry:\n  s.recv(64)\nexcept OSError as e: print('error',e.errno)");
            assertTrue(tr.out().contains("error 113") || tr.out().contains("error 111"), "TTL 1: the router's time exceeded comes back: " + tr.out());
        }
    }
}
