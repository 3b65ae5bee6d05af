package org.conenatd.it;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.conenatd.it.Lab.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Kernel mode's one authority for public ports, driven by real clients from Debian: natpmpc
 * (NAT-PMP), a PCP client written here (RFC 6887 MAP), upnpc (miniupnpc, UPnP IGD), port forwards
 * of the router's own rules (nft and iptables-nft), {@code --static}, and hostile input on the WAN
 * and LAN sides. One lab per test; "fresh peers" are WAN sockets on addresses and ports that never
 * talked to the endpoint, so only the mapping (never a conntrack entry of an earlier exchange) can
 * let them in.
 */
class PortMappingIT {
    private static final String ROUTER_LAN = "10.0.0.1";
    private static final int PCP_PORT = 5351;

    // ---------------------------------------------------------------- conenatd list

    /** One row of {@code conenatd list}: the columns, and what follows the lease ("shadowed by a port forward"). */
    record Row(String proto, int pub, String ip, int port, int flows, String age, String hold, String origin, String lease,
               String note) {}

    private static final Pattern ROW = Pattern.compile(
            "^(udp|tcp) +(\\d+) +([\\d.]+):(\\d+) +(\\d+) +(\\S+) +(\\S+) +(\\S+) +(\\S+)(?: +(.*))?$");

    private static List<Row> rows(String listOut) {
        return listOut.lines().map(ROW::matcher).filter(Matcher::matches)
                .map(m -> new Row(m.group(1), Integer.parseInt(m.group(2)), m.group(3), Integer.parseInt(m.group(4)),
                        Integer.parseInt(m.group(5)), m.group(6), m.group(7), m.group(8), m.group(9),
                        m.group(10) == null ? "" : m.group(10).trim()))
                .toList();
    }

    private static String list(Lab lab) throws Exception {
        Result r = lab.cli("list");
        assertEquals(0, r.code(), "conenatd list: " + r.out());
        return r.out();
    }

    private static Optional<Row> rowOfPublic(Lab lab, String proto, int pub) throws Exception {
        return rows(list(lab)).stream().filter(r -> r.proto().equals(proto) && r.pub() == pub).findFirst();
    }

    private static Row needRow(Lab lab, String proto, int pub) throws Exception {
        String all = list(lab);
        Optional<Row> row = rows(all).stream().filter(r -> r.proto().equals(proto) && r.pub() == pub).findFirst();
        if (row.isEmpty()) throw new AssertionError("no " + proto + " row for public port " + pub + ":\n" + all + lab.daemonLog());
        return row.get();
    }

    /** Waits (bounded) until {@code list} has no row of public port {@code pub}; fails with the listing otherwise. */
    private static void awaitNoRow(Lab lab, String proto, int pub, String why) throws Exception {
        long deadline = System.currentTimeMillis() + 3000;
        while (rowOfPublic(lab, proto, pub).isPresent()) {
            if (System.currentTimeMillis() > deadline) throw new AssertionError(why + ":\n" + list(lab) + lab.daemonLog());
            Thread.sleep(100);
        }
    }

    // ---------------------------------------------------------------- peers

    /** A fresh WAN peer sends to the public port; the LAN socket must get it from the peer's real address, and its answer must come back from the public port. */
    private static void freshPeerGetsThrough(Lab lab, DatagramSocket lanSock, String peerAddr, int peerPort, int natPort) throws Exception {
        lab.freshPeerGetsThrough(lanSock, peerAddr, peerPort, NAT_IP, natPort);
    }

    /** A fresh WAN peer sends to the public port and the LAN socket gets nothing within a second. */
    private static void freshPeerStaysOut(Lab lab, DatagramSocket lanSock, String peerAddr, int peerPort, int natPort) throws Exception {
        lab.freshPeerStaysOut(lanSock, peerAddr, peerPort, NAT_IP, natPort);
    }

    /** Deletes every conntrack flow of LAN endpoint ip:port and every flow to public port {@code pub} (the inbound ones). */
    private static void dropFlows(Lab lab, String ip, int port, int pub) throws Exception {
        lab.exec(lab.rtr, "conntrack", "-D", "-p", "udp", "-s", ip, "--sport", Integer.toString(port));
        lab.exec(lab.rtr, "conntrack", "-D", "-p", "udp", "--orig-port-dst", Integer.toString(pub));
        lab.exec(lab.rtr, "conntrack", "-D", "-p", "udp", "--reply-port-src", Integer.toString(port), "--reply-src", ip);
    }

    // ---------------------------------------------------------------- clients

    /** Runs a client in namespace {@code ns} (bounded by timeout(1)) and prints the command and its whole output. */
    private static Result client(Lab lab, String ns, String... cmd) throws IOException {
        List<String> c = new ArrayList<>(List.of("timeout", "30"));
        c.addAll(List.of(cmd));
        Result r = lab.exec(ns, c.toArray(String[]::new));
        System.out.println("$ ip netns exec " + ns.replaceFirst("^[^-]+", "<lab>") + " " + String.join(" ", cmd)
                + "   (exit " + r.code() + ")\n" + r.out().stripTrailing() + "\n");
        return r;
    }

    private static byte[] exchange(DatagramSocket s, String to, int port, byte[] payload, int timeoutMs) throws IOException {
        s.send(new DatagramPacket(payload, payload.length, InetAddress.getByName(to), port));
        return receiveBytes(s, timeoutMs);
    }

    private static byte[] receiveBytes(DatagramSocket s, int timeoutMs) throws IOException {
        s.setSoTimeout(timeoutMs);
        byte[] b = new byte[2048];
        DatagramPacket p = new DatagramPacket(b, b.length);
        try {
            s.receive(p);
        } catch (SocketTimeoutException e) {
            return null;
        }
        return Arrays.copyOf(b, p.getLength());
    }

    private static String hex(byte[] b) {
        if (b == null) return "(none)";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(b.length, 64); i++) sb.append(String.format("%02x", b[i] & 0xff));
        return sb + (b.length > 64 ? "... (" + b.length + " bytes)" : " (" + b.length + " bytes)");
    }

    // ---------------------------------------------------------------- PCP (RFC 6887)

    private static byte[] ipv4Mapped(String ipv4) throws IOException {
        byte[] a = new byte[16];
        a[10] = (byte) 0xff;
        a[11] = (byte) 0xff;
        System.arraycopy(InetAddress.getByName(ipv4).getAddress(), 0, a, 12, 4);
        return a;
    }

    /**
     * A MAP request (§11.1, Figure 9): version 2, opcode 1, lifetime, the client's address
     * IPv4-mapped, then nonce, protocol 17, internal port, suggested external port 0 and address
     * all zeros; with {@code thirdParty}, a THIRD_PARTY option (§13.1) naming that internal address.
     */
    private static byte[] pcpMap(String client, long lifetime, byte[] nonce, int internalPort, String thirdParty) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(24 + 36 + (thirdParty != null ? 20 : 0));
        b.put((byte) 2).put((byte) 1).putShort((short) 0).putInt((int) lifetime).put(ipv4Mapped(client));
        b.put(nonce).put((byte) 17).put(new byte[3]).putShort((short) internalPort).putShort((short) 0).put(new byte[16]);
        if (thirdParty != null) b.put((byte) 1).put((byte) 0).putShort((short) 16).put(ipv4Mapped(thirdParty));
        return b.array();
    }

    /** A MAP response, decoded (§8.2 header, Figure 9 data). */
    record PcpMapResponse(int version, int opcodeByte, int result, long lifetime, long epoch, byte[] nonce, int protocol,
                          int internalPort, int externalPort, byte[] externalAddress) {
        String externalIpv4() throws IOException {
            byte[] v4 = Arrays.copyOfRange(externalAddress, 12, 16);
            return InetAddress.getByAddress(v4).getHostAddress();
        }

        boolean ipv4Mapped() {
            for (int i = 0; i < 10; i++) if (externalAddress[i] != 0) return false;
            return (externalAddress[10] & 0xff) == 0xff && (externalAddress[11] & 0xff) == 0xff;
        }
    }

    private static PcpMapResponse decodeMap(byte[] r) {
        assertNotNull(r, "no PCP response within 2 s");
        assertTrue(r.length >= 60, "a MAP response has at least 60 bytes: " + hex(r));
        ByteBuffer b = ByteBuffer.wrap(r);
        int version = b.get() & 0xff, op = b.get() & 0xff;
        b.get();
        int result = b.get() & 0xff;
        long lifetime = b.getInt() & 0xffffffffL, epoch = b.getInt() & 0xffffffffL;
        b.position(24);
        byte[] nonce = new byte[12];
        b.get(nonce);
        int protocol = b.get() & 0xff;
        b.position(40);
        int internal = b.getShort() & 0xffff, external = b.getShort() & 0xffff;
        byte[] addr = new byte[16];
        b.get(addr);
        return new PcpMapResponse(version, op, result, lifetime, epoch, nonce, protocol, internal, external, addr);
    }

    /** NAT-PMP's public address request (RFC 6886 §3.2): version 0, opcode 0. */
    private static final byte[] NATPMP_ADDRESS_REQUEST = {0, 0};

    /** A NAT-PMP public address response (12 bytes: 0, 128, result 0, epoch, address); the address it names. */
    private static String natPmpAddress(byte[] r) throws IOException {
        assertNotNull(r, "no NAT-PMP response");
        assertEquals(12, r.length, "public address response: " + hex(r));
        assertEquals(0, r[0], hex(r));
        assertEquals(128, r[1] & 0xff, hex(r));
        assertEquals(0, ((r[2] & 0xff) << 8) | (r[3] & 0xff), "result SUCCESS: " + hex(r));
        return InetAddress.getByAddress(Arrays.copyOfRange(r, 8, 12)).getHostAddress();
    }

    // ================================================================= 1. NAT-PMP with natpmpc

    @Test
    void natpmpcGetsThePublicAddressMapsAPortThatFreshPeersReachAndDeletesIt() throws Exception {
        try (Lab lab = new Lab("plain")) {
            lab.startKernelDaemon();
            Result addr = client(lab, lab.lan, "natpmpc", "-g", ROUTER_LAN);
            assertEquals(0, addr.code(), addr.out());
            assertTrue(addr.out().contains("Public IP address : " + NAT_IP), addr.out() + lab.daemonLog());

            DatagramSocket sock = lab.udp(lab.lan, LAN1, 4000);
            Result map = client(lab, lab.lan, "natpmpc", "-g", ROUTER_LAN, "-a", "4000", "4000", "udp", "3600");
            assertEquals(0, map.code(), map.out());
            assertTrue(map.out().contains("Mapped public port 4000 protocol UDP to local port 4000"), map.out() + lab.daemonLog());

            for (int i = 0; i < 3; i++) freshPeerGetsThrough(lab, sock, "203.0.113." + (11 + i), 6000 + i, 4000);

            String all = list(lab);
            System.out.println("conenatd list after natpmpc -a:\n" + all);
            Row row = needRow(lab, "udp", 4000);
            assertEquals(LAN1 + ":4000", row.ip() + ":" + row.port(), all);
            assertEquals("natpmp", row.origin(), all);
            assertTrue(row.lease().matches("[0-9hms]+") && row.lease().matches(".*[1-9].*"), "a lease of about an hour left: " + all);
            assertTrue(lab.daemonLog().contains("natpmp " + LAN1 + ": 4000/udp mapped to public port 4000 for 3600 s"), lab.daemonLog());

            Result del = client(lab, lab.lan, "natpmpc", "-g", ROUTER_LAN, "-a", "4000", "4000", "udp", "0");
            assertEquals(0, del.code(), del.out());
            assertTrue(del.out().contains("readnatpmpresponseorretry returned 0 (OK)") && del.out().contains("to local port 4000"), del.out());
            awaitNoRow(lab, "udp", 4000, "natpmpc's delete (lifetime 0) leaves no row of public port 4000");
            dropFlows(lab, LAN1, 4000, 4000);
            for (int i = 0; i < 2; i++) freshPeerStaysOut(lab, sock, "203.0.113." + (14 + i), 6010 + i, 4000);
            assertFalse(lab.exec(lab.rtr, "nft", "list", "map", "ip", "conenatd", "in_udp").out().contains("4000 :"),
                    "the element of 4000 is gone from in_udp");
        }
    }

    // ================================================================= 2. PCP MAP

    @Test
    void aPcpMapFrom102IsGrantedAndReachableAndAThirdPartyMapIsNotAuthorized() throws Exception {
        try (Lab lab = new Lab("plain")) {
            lab.startKernelDaemon();
            DatagramSocket target = lab.udp(lab.lan, LAN2, 4500);
            DatagramSocket pcp = lab.udp(lab.lan, LAN2, 0);
            Random rnd = new Random(6887);
            byte[] nonce = new byte[12];
            rnd.nextBytes(nonce);

            PcpMapResponse r = decodeMap(exchange(pcp, ROUTER_LAN, PCP_PORT, pcpMap(LAN2, 600, nonce, 4500, null), 2000));
            System.out.printf("PCP MAP 10.0.0.102:4500/udp lifetime 600: version %d, opcode byte 0x%02x, result %d, lifetime %d, epoch %d,"
                            + " assigned %s:%d%n", r.version(), r.opcodeByte(), r.result(), r.lifetime(), r.epoch(), r.externalIpv4(),
                    r.externalPort());
            assertEquals(2, r.version());
            assertEquals(0x81, r.opcodeByte(), "R bit and opcode MAP");
            assertEquals(0, r.result(), "SUCCESS\n" + lab.daemonLog());
            assertArrayEquals(nonce, r.nonce(), "the nonce is echoed");
            assertEquals(17, r.protocol());
            assertEquals(4500, r.internalPort());
            assertTrue(r.lifetime() > 0 && r.lifetime() <= 600, "lifetime " + r.lifetime());
            assertTrue(r.ipv4Mapped(), "an IPv4-mapped external address");
            assertEquals(NAT_IP, r.externalIpv4());
            int ext = r.externalPort();
            assertTrue(ext >= 1024 && ext <= 65535, "assigned port " + ext);

            for (int i = 0; i < 3; i++) freshPeerGetsThrough(lab, target, "203.0.113." + (11 + i), 6000 + i, ext);
            Row row = needRow(lab, "udp", ext);
            assertEquals(LAN2 + ":4500", row.ip() + ":" + row.port());
            assertEquals("pcp", row.origin(), list(lab));

            // THIRD_PARTY for 10.0.0.101 from 10.0.0.102: refused without --pcp-third-party
            DatagramSocket victim = lab.udp(lab.lan, LAN1, 4600);
            byte[] nonce2 = new byte[12];
            rnd.nextBytes(nonce2);
            byte[] raw = exchange(pcp, ROUTER_LAN, PCP_PORT, pcpMap(LAN2, 600, nonce2, 4600, LAN1), 2000);
            PcpMapResponse t = decodeMap(raw);
            System.out.println("PCP MAP with THIRD_PARTY 10.0.0.101 from 10.0.0.102: result " + t.result() + ", lifetime " + t.lifetime());
            assertEquals(0x81, t.opcodeByte());
            assertEquals(2, t.result(), "NOT_AUTHORIZED: " + hex(raw) + "\n" + lab.daemonLog());
            assertArrayEquals(nonce2, t.nonce(), "the nonce is echoed in the error too");
            assertTrue(rows(list(lab)).stream().noneMatch(x -> x.ip().equals(LAN1) && x.port() == 4600), list(lab));
            freshPeerStaysOut(lab, victim, "203.0.113.14", 6003, 4600);

            // lifetime 0 deletes the mapping
            PcpMapResponse d = decodeMap(exchange(pcp, ROUTER_LAN, PCP_PORT, pcpMap(LAN2, 0, nonce, 4500, null), 2000));
            assertEquals(0, d.result(), "delete: SUCCESS");
            assertEquals(0, d.lifetime());
            awaitNoRow(lab, "udp", ext, "PCP's delete (lifetime 0) leaves no row");
            dropFlows(lab, LAN2, 4500, ext);
            freshPeerStaysOut(lab, target, "203.0.113.15", 6004, ext);
        }
    }

    // ================================================================= 3. UPnP IGD with upnpc

    private static final Pattern UPNPC_EXTERNAL_IP = Pattern.compile("ExternalIPAddress = (\\S+)");

    @Test
    void upnpcDiscoversTheIgdAddsListsAndDeletesAMappingAndCannotMapAnotherHost() throws Exception {
        try (Lab lab = new Lab("plain")) {
            lab.startKernelDaemon();
            // -i: miniupnpc 2.2 calls an IGD whose external address is reserved (203.0.113.0/24 is
            // TEST-NET-3) "not connected" and stops unless told to go on
            Result l = client(lab, lab.lan, "upnpc", "-i", "-l");
            assertFalse(l.out().contains("No IGD UPnP Device found"), "upnpc -l found no IGD on the LAN:\n" + l.out() + lab.daemonLog());
            assertTrue(l.out().contains("IGD") && l.out().contains("http://" + ROUTER_LAN + ":"), "the IGD is the router's:\n" + l.out());
            Matcher ip = UPNPC_EXTERNAL_IP.matcher(l.out());
            assertTrue(ip.find(), l.out());
            assertEquals(NAT_IP, ip.group(1), l.out());
            assertTrue(l.out().contains("Local LAN ip address : " + LAN1), l.out());

            DatagramSocket sock = lab.udp(lab.lan, LAN1, 4100);
            Result add = client(lab, lab.lan, "upnpc", "-i", "-a", LAN1, "4100", "4100", "UDP");
            assertTrue(add.out().contains("external " + NAT_IP + ":4100 UDP is redirected to internal " + LAN1 + ":4100"),
                    add.out() + lab.daemonLog());
            Result ls = client(lab, lab.lan, "upnpc", "-i", "-L");
            assertTrue(Pattern.compile("UDP +4100->" + Pattern.quote(LAN1) + ":4100").matcher(ls.out()).find(), ls.out());
            Result ll = client(lab, lab.lan, "upnpc", "-i", "-l");
            assertTrue(Pattern.compile("UDP +4100->" + Pattern.quote(LAN1) + ":4100").matcher(ll.out()).find(), ll.out());

            for (int i = 0; i < 3; i++) freshPeerGetsThrough(lab, sock, "203.0.113." + (11 + i), 6000 + i, 4100);
            Row row = needRow(lab, "udp", 4100);
            assertEquals(LAN1 + ":4100", row.ip() + ":" + row.port());
            assertEquals("upnp", row.origin(), list(lab));

            Result del = client(lab, lab.lan, "upnpc", "-i", "-d", "4100", "UDP");
            assertTrue(del.out().contains("UPNP_DeletePortMapping() returned : 0"), del.out() + lab.daemonLog());
            awaitNoRow(lab, "udp", 4100, "upnpc -d leaves no row of public port 4100");
            dropFlows(lab, LAN1, 4100, 4100);
            freshPeerStaysOut(lab, sock, "203.0.113.14", 6003, 4100);

            // from 10.0.0.101 (the LAN namespace's primary address) for 10.0.0.102: refused
            DatagramSocket other = lab.udp(lab.lan, LAN2, 4200);
            Result foreign = client(lab, lab.lan, "upnpc", "-i", "-a", LAN2, "4200", "4200", "UDP");
            assertTrue(foreign.out().contains("failed with code"), "a mapping for another host is refused:\n" + foreign.out() + lab.daemonLog());
            assertFalse(foreign.out().contains("is redirected to internal"), foreign.out());
            assertTrue(rowOfPublic(lab, "udp", 4200).isEmpty(), list(lab));
            freshPeerStaysOut(lab, other, "203.0.113.15", 6004, 4200);
        }
    }

    // ================================================================= 4. the router's port forwards

    private static String forwardsLine(String log) {
        return log.lines().filter(x -> x.contains("[*] port forwards of the router's rules: ")).findFirst()
                .orElseThrow(() -> new AssertionError("no '[*] port forwards of the router's rules' line:\n" + log));
    }

    private static String awaitLog(Lab lab, String text, long timeoutMs) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            String s = lab.daemonLog();
            if (s.contains(text)) return s;
            Thread.sleep(100);
        }
        throw new AssertionError("'" + text + "' never appeared in the daemon's log:\n" + lab.daemonLog());
    }

    @Test
    void portForwardsOfNftAndIptablesKeepTheirPortsAndAForwardOnAMappedPortIsReportedAsShadowing() throws Exception {
        try (Lab lab = new Lab("plain")) {
            // before the start: an idle nft forward of 3076 and an iptables-nft one of 3074, both to 10.0.0.102
            for (List<String> cmd : List.of(
                    List.of("nft", "add", "table", "ip", "portfw"),
                    List.of("nft", "add", "chain", "ip", "portfw", "prerouting",
                            "{ type nat hook prerouting priority dstnat; policy accept; }"),
                    List.of("nft", "add", "rule", "ip", "portfw", "prerouting", "udp", "dport", "3076", "dnat", "to", LAN2 + ":3076"),
                    List.of("iptables", "-t", "nat", "-A", "PREROUTING", "-i", "eth0", "-p", "udp", "--dport", "3074", "-j", "DNAT",
                            "--to-destination", LAN2 + ":3074"))) {
                Result r = lab.exec(lab.rtr, cmd.toArray(String[]::new));
                assertEquals(0, r.code(), cmd + ": " + r.out());
            }
            lab.startKernelDaemon();
            String line = forwardsLine(lab.daemonLog());
            System.out.println(line);
            assertTrue(line.contains("udp 3076 -> " + LAN2 + ":3076 (portfw prerouting)"), line);
            assertTrue(line.contains("udp 3074 -> " + LAN2 + ":3074 (nat PREROUTING)"), "the iptables-nft forward is seen: " + line);

            DatagramSocket server = lab.udp(lab.wan, "203.0.113.10", 5000);
            // (a) the nft forward's port is never allocated
            DatagramSocket a = lab.udp(lab.lan, LAN1, 3076);
            int pa = lab.publicPort(a, server, "203.0.113.10", 5000, NAT_IP);
            assertNotEquals(3076, pa, "3076 belongs to the forward\n" + list(lab));
            for (int i = 0; i < 2; i++) freshPeerGetsThrough(lab, a, "203.0.113." + (11 + i), 6000 + i, pa);
            DatagramSocket fwd76 = lab.udp(lab.lan, LAN2, 3076);
            freshPeerGetsThrough(lab, fwd76, "203.0.113.13", 6002, 3076); // and the forward still works

            // (c) the iptables-nft forward's port neither
            DatagramSocket c = lab.udp(lab.lan, LAN1, 3074);
            int pc = lab.publicPort(c, server, "203.0.113.10", 5000, NAT_IP);
            assertNotEquals(3074, pc, "3074 belongs to the iptables forward\n" + list(lab));
            assertNotEquals(pa, pc);
            freshPeerGetsThrough(lab, c, "203.0.113.14", 6003, pc);
            DatagramSocket fwd74 = lab.udp(lab.lan, LAN2, 3074);
            freshPeerGetsThrough(lab, fwd74, "203.0.113.15", 6004, 3074);

            // (b) a mapping of 3075, then a forward of 3075 to another host: reported, counted, listed
            DatagramSocket b = lab.udp(lab.lan, LAN1, 3075);
            assertEquals(3075, lab.publicPort(b, server, "203.0.113.10", 5000, NAT_IP), "3075 keeps its own port");
            Result add = lab.exec(lab.rtr, "nft", "add", "rule", "ip", "portfw", "prerouting", "udp", "dport", "3075", "dnat", "to",
                    LAN2 + ":3075");
            assertEquals(0, add.code(), add.out());
            String log = awaitLog(lab, "is shadowed by the port forward", 5000);
            assertTrue(log.contains("[!] udp eth0:3075 -> " + LAN1 + ":3075 is shadowed by the port forward udp 3075 -> " + LAN2
                    + ":3075 (portfw prerouting)"), log);
            lab.awaitStat("forward_conflicts", v -> v == 1, 5000);
            Row shadowed = needRow(lab, "udp", 3075);
            System.out.println("conenatd list with the forward of 3075:\n" + list(lab));
            assertEquals(LAN1 + ":3075", shadowed.ip() + ":" + shadowed.port());
            assertEquals("shadowed by a port forward", shadowed.note(), list(lab));
            assertEquals("", needRow(lab, "udp", pa).note(), "only 3075 is shadowed\n" + list(lab));
            // the forward wins new inbound flows of 3075
            DatagramSocket fwd75 = lab.udp(lab.lan, LAN2, 3075);
            freshPeerGetsThrough(lab, fwd75, "203.0.113.16", 6005, 3075);
            assertNull(Lab.receive(b, 300), "the shadowed endpoint gets nothing of it");
            Thread.sleep(1200); // the stats file is rewritten every second
            assertEquals(1L, lab.stats().get("forward_conflicts"), "counted once");
        }
    }

    // ================================================================= 5. --static

    @Test
    void aStaticMappingIsFullConeBothWaysBeforeTheHostSendsAndAgainAfterARestart() throws Exception {
        try (Lab lab = new Lab("plain")) {
            String spec = "udp:3074=" + LAN1 + ":3074";
            lab.startKernelDaemon("--static", spec);
            DatagramSocket sock = lab.udp(lab.lan, LAN1, 3074);
            // nothing sent from 10.0.0.101:3074 yet
            for (int i = 0; i < 2; i++) freshPeerGetsThrough(lab, sock, "203.0.113." + (11 + i), 6000 + i, 3074);
            DatagramSocket server = lab.udp(lab.wan, "203.0.113.10", 5000);
            assertEquals(3074, lab.publicPort(sock, server, "203.0.113.10", 5000, NAT_IP), "its own traffic leaves from 3074");
            Row row = needRow(lab, "udp", 3074);
            System.out.println("conenatd list with --static " + spec + ":\n" + list(lab));
            assertEquals(LAN1 + ":3074", row.ip() + ":" + row.port());
            assertEquals("static", row.origin(), list(lab));
            assertEquals("forever", row.lease(), list(lab));

            assertEquals(0, lab.stopDaemon(), "SIGTERM");
            lab.startKernelDaemon("--static", spec);
            for (int i = 0; i < 2; i++) freshPeerGetsThrough(lab, sock, "203.0.113." + (13 + i), 6002 + i, 3074);
            DatagramSocket server2 = lab.udp(lab.wan, "203.0.113.20", 5001);
            assertEquals(3074, lab.publicPort(sock, server2, "203.0.113.20", 5001, NAT_IP), "after the restart too");
            Row again = needRow(lab, "udp", 3074);
            assertEquals("static", again.origin(), list(lab));
            assertEquals("forever", again.lease(), list(lab));
        }
    }

    // ================================================================= 6. hostile input

    /** A reply to a malformed datagram must be an error response: R bit set and a result other than SUCCESS. */
    private static void errorOrSilence(String what, byte[] request, byte[] reply) {
        if (reply == null) return;
        String r = what + ": " + hex(request) + " -> " + hex(reply);
        assertTrue(reply.length >= 4, "a reply too short to be an error response: " + r);
        switch (reply[0]) {
            case 0 -> {
                assertTrue((reply[1] & 0xff) >= 128, "NAT-PMP response bit: " + r);
                assertNotEquals(0, ((reply[2] & 0xff) << 8) | (reply[3] & 0xff), "NAT-PMP result must be an error: " + r);
            }
            case 2 -> {
                assertTrue(reply.length >= 24 && reply.length % 4 == 0, "PCP response size: " + r);
                assertTrue((reply[1] & 0x80) != 0, "PCP R bit: " + r);
                assertNotEquals(0, reply[3] & 0xff, "PCP result must be an error: " + r);
            }
            default -> fail("a reply of neither NAT-PMP nor PCP: " + r);
        }
    }

    /** Random datagrams of 2..1200 bytes that are not, by chance, a NAT-PMP request (version 0, opcode 0-2). */
    private static byte[] randomDatagram(Random rnd) {
        byte[] b = new byte[2 + rnd.nextInt(1199)];
        rnd.nextBytes(b);
        if (b[0] == 0 && (b[1] & 0xff) <= 2) b[1] = (byte) (3 + rnd.nextInt(125));
        return b;
    }

    private static boolean tcpConnects(Lab lab, String ns, String addr, int port) {
        return Netns.call(ns, () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(addr, port), 1000);
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** An HTTP GET of the IGD's description from the WAN namespace; what came back within 2 s ("" for nothing or a failed connect). */
    private static String httpFromWan(Lab lab, String addr, int port) {
        return Netns.call(lab.wan, () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(addr, port), 1000);
                s.setSoTimeout(2000);
                OutputStream o = s.getOutputStream();
                o.write(("GET /rootDesc.xml HTTP/1.1\r\nHost: " + addr + ":" + port + "\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                o.flush();
                InputStream in = s.getInputStream();
                byte[] buf = in.readNBytes(4096);
                return new String(buf, StandardCharsets.ISO_8859_1);
            } catch (IOException e) {
                return "";
            }
        });
    }

    private static final String MSEARCH = "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n"
            + "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\r\n";

    @Test
    void nothingAnswersOnTheWanAndMalformedLanDatagramsGetAnErrorOrSilenceAndTheDaemonLivesOn() throws Exception {
        try (Lab lab = new Lab("plain")) {
            lab.startKernelDaemon();
            // The WAN side. A WAN host may also route the router's LAN address through its WAN
            // interface (Linux accepts a packet for any local address on any interface): both count.
            assertEquals(0, lab.exec(lab.wan, "ip", "route", "add", ROUTER_LAN + "/32", "via", NAT_IP).code());
            DatagramSocket pmpWan = lab.udp(lab.wan, "203.0.113.21", 5350);
            DatagramSocket pmpWanLanAddr = lab.udp(lab.wan, "203.0.113.22", 5350);
            DatagramSocket ssdpWan = lab.udp(lab.wan, "203.0.113.23", 41900);
            DatagramSocket ssdpWanLanAddr = lab.udp(lab.wan, "203.0.113.24", 41900);
            byte[] msearch = MSEARCH.getBytes(StandardCharsets.US_ASCII);
            pmpWan.send(new DatagramPacket(NATPMP_ADDRESS_REQUEST, 2, InetAddress.getByName(NAT_IP), PCP_PORT));
            pmpWanLanAddr.send(new DatagramPacket(NATPMP_ADDRESS_REQUEST, 2, InetAddress.getByName(ROUTER_LAN), PCP_PORT));
            ssdpWan.send(new DatagramPacket(msearch, msearch.length, InetAddress.getByName(NAT_IP), 1900));
            ssdpWanLanAddr.send(new DatagramPacket(msearch, msearch.length, InetAddress.getByName(ROUTER_LAN), 1900));
            // and the SSDP group itself, out of the WAN host's interface to the router's eth0
            DatagramChannel mcast = Netns.call(lab.wan, () -> {
                DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET);
                ch.bind(new InetSocketAddress("203.0.113.25", 41900));
                ch.setOption(StandardSocketOptions.IP_MULTICAST_IF, NetworkInterface.getByName("eth0"));
                ch.setOption(StandardSocketOptions.IP_MULTICAST_TTL, 4);
                ch.configureBlocking(false);
                return ch;
            });
            try (mcast) {
                mcast.send(ByteBuffer.wrap(msearch), new InetSocketAddress("239.255.255.250", 1900));
                assertNull(receiveBytes(pmpWan, 1000), "NAT-PMP answered on " + NAT_IP + ":5351 from the WAN");
                assertNull(receiveBytes(pmpWanLanAddr, 200), "NAT-PMP answered on " + ROUTER_LAN + ":5351 from the WAN");
                assertNull(receiveBytes(ssdpWan, 800), "SSDP answered an M-SEARCH to " + NAT_IP + ":1900 from the WAN");
                assertNull(receiveBytes(ssdpWanLanAddr, 200), "SSDP answered an M-SEARCH to " + ROUTER_LAN + ":1900 from the WAN");
                ByteBuffer got = ByteBuffer.allocate(2048);
                assertNull(mcast.receive(got), "SSDP answered a multicast M-SEARCH from the WAN: "
                        + new String(got.array(), 0, got.position(), StandardCharsets.ISO_8859_1));
            }
            assertFalse(tcpConnects(lab, lab.wan, NAT_IP, 2189), "TCP " + NAT_IP + ":2189 accepts connections from the WAN");
            String http = httpFromWan(lab, ROUTER_LAN, 2189);
            assertFalse(http.startsWith("HTTP/1.1 200") || http.contains("InternetGatewayDevice"),
                    "the IGD's description is served to the WAN (via " + ROUTER_LAN + "):\n" + http);
            lab.awaitStat("portmap_off_link", v -> v >= 1, 3000); // the packet to 10.0.0.1:5351 did arrive, and was refused
            System.out.println("from the WAN, GET http://" + ROUTER_LAN + ":2189/rootDesc.xml: "
                    + (http.isEmpty() ? "no connection or no answer" : http.lines().findFirst().orElse("")));
            System.out.println("from the LAN, TCP " + ROUTER_LAN + ":2189 (UPnP IGD) "
                    + (tcpConnects(lab, lab.lan, ROUTER_LAN, 2189) ? "accepts connections" : "refuses connections (no IGD serving)"));

            // The LAN side: malformed NAT-PMP / PCP datagrams
            DatagramSocket s = lab.udp(lab.lan, LAN1, 45351);
            Random rnd = new Random(20251203L);
            byte[] big = new byte[2000];
            rnd.nextBytes(big);
            byte[] bigPcp = big.clone();
            bigPcp[0] = 2;
            bigPcp[1] = 1;
            byte[] bigPmp = big.clone();
            bigPmp[0] = 0;
            bigPmp[1] = 1;
            byte[] pcpResponse = pcpMap(LAN1, 600, new byte[12], 4000, null);
            pcpResponse[1] = (byte) 0x81;
            byte[] shortPcp = Arrays.copyOf(pcpMap(LAN1, 600, new byte[12], 4000, null), 30);
            byte[] oddPcp = Arrays.copyOf(pcpMap(LAN1, 600, new byte[12], 4000, null), 62);
            byte[] badClient = pcpMap("10.0.0.77", 600, new byte[12], 4000, null);
            List<byte[]> silent = List.of(new byte[0], new byte[]{0}, new byte[]{2}, new byte[]{(byte) 0xff}, pcpResponse);
            List<byte[]> errorOrSilent = new ArrayList<>(List.of(big, bigPcp, bigPmp, shortPcp, oddPcp, badClient,
                    new byte[]{0, 1, 0, 0, 0x0f}, new byte[]{0, 99}, new byte[]{1, 0}, new byte[]{2, 99, 0, 0}));
            for (int i = 0; i < 8; i++) errorOrSilent.add(randomDatagram(rnd));
            for (byte[] d : silent) {
                byte[] reply = exchange(s, ROUTER_LAN, PCP_PORT, d, 300);
                assertNull(reply, "RFC 6886/6887: shorter than 2 bytes or a response gets silence: " + hex(d) + " -> " + hex(reply));
            }
            for (byte[] d : errorOrSilent) {
                byte[] reply = exchange(s, ROUTER_LAN, PCP_PORT, d, 300);
                System.out.println("malformed " + hex(d) + " -> " + hex(reply));
                errorOrSilence("malformed", d, reply);
            }
            assertTrue(lab.daemonProcess().isAlive(), "the daemon lives");
            Thread.sleep(1100); // the per-source rate (20 a second) fills up again
            assertEquals(NAT_IP, natPmpAddress(exchange(s, ROUTER_LAN, PCP_PORT, NATPMP_ADDRESS_REQUEST, 1000)));

            // a flood: 500 random datagrams in about a second from one source
            long t0 = System.nanoTime();
            for (int i = 0; i < 500; i++) {
                byte[] d = randomDatagram(rnd);
                s.send(new DatagramPacket(d, d.length, InetAddress.getByName(ROUTER_LAN), PCP_PORT));
                long due = t0 + (i + 1) * 2_000_000L;
                while (System.nanoTime() < due) Thread.onSpinWait();
            }
            int answered = 0;
            for (byte[] r; (r = receiveBytes(s, 300)) != null; ) {
                errorOrSilence("flood", new byte[0], r);
                answered++;
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(lab.daemonProcess().isAlive(), "the daemon lives after the flood");
            Thread.sleep(1100);
            assertEquals(NAT_IP, natPmpAddress(exchange(s, ROUTER_LAN, PCP_PORT, NATPMP_ADDRESS_REQUEST, 1000)),
                    "a valid request after the flood is answered");
            Result natpmpc = client(lab, lab.lan, "natpmpc", "-g", ROUTER_LAN);
            assertTrue(natpmpc.out().contains("Public IP address : " + NAT_IP), natpmpc.out());
            Thread.sleep(1200); // the stats file is rewritten every second
            Map<String, Long> st = lab.stats();
            System.out.println("flood of 500 in " + ms + " ms: " + answered + " answered (all errors); portmap_rate_limited "
                    + st.get("portmap_rate_limited") + ", portmap_dropped " + st.get("portmap_dropped") + ", portmap_off_link "
                    + st.get("portmap_off_link") + ", portmap_errors " + st.get("portmap_errors"));
            assertTrue(st.getOrDefault("portmap_rate_limited", 0L) >= 1, "a flood over 20 a second is rate-limited: " + st);
            String log = lab.daemonLog();
            assertFalse(log.contains("Exception") || log.contains("\tat "), "no stack trace in the log:\n" + log);
        }
    }
}
