package org.conenatd.nftables;

import org.conenatd.inet.Inet4;
import org.conenatd.netlink.FakeTransport;
import org.conenatd.netlink.NetlinkException;
import org.conenatd.nftables.PortForwards.Forward;
import org.conenatd.sys.Errno;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * PortForwards against the kernel's own answers (portforward-vectors.txt, captured by
 * capture-portforward-vectors.sh): every forward of each scenario found, with its ports and
 * target, and nothing else; the requests it makes; what a changing ruleset and errors do.
 */
class PortForwardsTest {

    static Forward udp(String table, String chain, int first, int last, String to, int toPort) {
        return new Forward(table, chain, 17, first, last, Inet4.parseAddr(to), toPort);
    }

    static Forward tcp(String table, String chain, int first, int last, String to, int toPort) {
        return new Forward(table, chain, 6, first, last, Inet4.parseAddr(to), toPort);
    }

    static List<Forward> read(FakeTransport k) throws NetlinkException {
        try (PortForwards pf = new PortForwards(k)) {
            return pf.read();
        }
    }

    static List<Forward> read(String scenario) throws NetlinkException {
        return read(PortForwardVectors.kernel(scenario));
    }

    @Test
    void nftSingleForward() throws Exception {
        assertEquals(List.of(udp("nat", "prerouting", 3076, 3076, "10.0.0.11", 3076)), read("nft-single"));
    }

    @Test
    void miniupnpdsChainIsFollowedFromPrerouting() throws Exception {
        // inet filter's chain miniupnpd (filter hook forward) holds an accept, not a forward
        assertEquals(List.of(udp("nat", "miniupnpd", 3075, 3075, "10.0.0.12", 3075)), read("miniupnpd"));
    }

    @Test
    void rangeAndAnonymousSet() throws Exception {
        assertEquals(List.of(
                tcp("nat", "prerouting", 8000, 8010, "10.0.0.13", 0),
                udp("nat", "prerouting", 27015, 27016, "10.0.0.14", 0)), read("range-set"));
    }

    @Test
    void iptablesNftForwards() throws Exception {
        assertEquals(List.of(
                udp("nat", "PREROUTING", 3074, 3074, "10.0.0.15", 3074),
                tcp("nat", "PREROUTING", 5000, 5005, "10.0.0.16", 0)), read("iptables"));
    }

    @Test
    void aWholeRouterEveryFormAndNothingElse() throws Exception {
        assertEquals(List.of(
                // table inet filter: miniupnpd 2.3's exact rule (ip protocol payload, no nat flags)
                udp("filter", "prerouting_miniupnpd", 3077, 3077, "10.0.0.18", 3077),
                // table ip nat, nft's chain prerouting, its jump to miniupnpd; not the map rule, not redirect
                udp("nat", "prerouting", 3076, 3076, "10.0.0.11", 3076),
                tcp("nat", "prerouting", 8000, 8010, "10.0.0.13", 0),
                udp("nat", "prerouting", 27015, 27016, "10.0.0.14", 0),
                udp("nat", "miniupnpd", 3075, 3075, "10.0.0.12", 3075),
                // iptables-nft's PREROUTING and CUSTOM; not ! --dport 7300
                udp("nat", "PREROUTING", 3074, 3074, "10.0.0.15", 3074),
                tcp("nat", "PREROUTING", 5000, 5005, "10.0.0.16", 0),
                tcp("nat", "PREROUTING", 6000, 6000, "10.0.0.19", 6001),
                udp("nat", "PREROUTING", 7000, 7000, "10.0.0.20", 0),
                udp("nat", "PREROUTING", 7002, 7004, "10.0.0.20", 0),
                udp("nat", "PREROUTING", 7100, 7100, "10.0.0.21", 7100),
                udp("nat", "CUSTOM", 7200, 7200, "10.0.0.23", 0),
                udp("nat", "PREROUTING", 7400, 7400, "10.0.0.25", 0),
                udp("nat", "PREROUTING", 7500, 7510, "10.0.0.26", 7500),
                tcp("nat", "PREROUTING", 7600, 7600, "10.0.0.27", 7601),
                // table inet fw4: dstnat -> dstnat_wan and what it jumps to; not the ip6 DNAT
                tcp("fw4", "dstnat_wan", 8080, 8080, "192.168.1.10", 80),
                udp("fw4", "dstnat_wan", 9000, 9009, "10.0.0.17", 0),
                udp("fw4", "dstnat_wan", 9100, 9100, "10.0.0.17", 0),
                udp("fw4", "sip", 5060, 5060, "10.0.0.30", 0),
                tcp("fw4", "tcpfwd", 6100, 6100, "10.0.0.31", 0),
                tcp("fw4", "fwd62", 6200, 6200, "10.0.0.32", 0)
                // nothing of ip6 nat6, ip dormant, ip conenatd (DNAT by map), nat output, chain orphan
        ), read("router"));
    }

    @Test
    void conenatdsOwnMapRulesAreNoForwards() throws Exception {
        assertTrue(read("router").stream().noneMatch(f -> f.table().equals("conenatd")));
    }

    @Test
    void asksOnlyForTheTablesWithANatPreroutingChainAndTheSetsItsRulesLookUp() throws Exception {
        FakeTransport k = PortForwardVectors.kernel("router");
        read(k);
        List<String> asked = new ArrayList<>();
        for (byte[] s : k.sent) asked.add(PortForwardVectors.request(s));
        assertEquals(List.of("gen", "tables", "chains",
                "rules:inet:filter",
                "rules:ip:nat", "sets:ip:nat", "elems:ip:nat:__set0", "elems:ip:nat:__map0",
                "rules:inet:fw4", "sets:inet:fw4", "elems:inet:fw4:fwd_ports", "elems:inet:fw4:__map0",
                "rules:ip:conenatd", "sets:ip:conenatd", "elems:ip:conenatd:in_udp",
                "gen"), asked);
        for (String r : asked) assertTrue(PortForwardVectors.requests("router").contains(r), r);
    }

    @Test
    void conenatdsOwnTableIsNeverReadWhenNamedSoItsMapsAreNotDumped() throws Exception {
        FakeTransport k = PortForwardVectors.kernel("router");
        List<Forward> found;
        try (PortForwards pf = new PortForwards(k, java.util.Set.of("conenatd"))) {
            found = pf.read();
        }
        assertEquals(read("router"), found, "the same forwards");
        List<String> asked = new ArrayList<>();
        for (byte[] s : k.sent) asked.add(PortForwardVectors.request(s));
        assertTrue(asked.stream().noneMatch(r -> r.contains(":ip:conenatd")), asked.toString());
    }

    @Test
    void aRulesetChangedMeanwhileIsReadAgain() throws Exception {
        AtomicInteger gens = new AtomicInteger();
        // the first read sees generation 14 then 15; the second 15 and 15
        FakeTransport k = PortForwardVectors.kernel("nft-single", d -> {
            if ((d[4] & 0xff) == 0x0f && (d[5] & 0xff) == 0x0a && gens.getAndIncrement() >= 1) d[27] = 15;
            return d;
        });
        assertEquals(1, read(k).size());
        assertEquals(4, gens.get(), "generation asked before and after each of two reads");
    }

    @Test
    void aRulesetThatNeverStopsChangingIsAnEagainError() {
        AtomicInteger gen = new AtomicInteger();
        FakeTransport k = PortForwardVectors.kernel("nft-single", d -> {
            if ((d[4] & 0xff) == 0x0f && (d[5] & 0xff) == 0x0a) d[27] = (byte) gen.getAndIncrement();
            return d;
        });
        NetlinkException e = assertThrows(NetlinkException.class, () -> read(k));
        assertEquals(Errno.EAGAIN, e.errno());
        assertEquals(2 * PortForwards.ATTEMPTS, gen.get());
    }

    @Test
    void anInterruptedDumpIsReadAgain() throws Exception {
        AtomicInteger chains = new AtomicInteger();
        FakeTransport k = PortForwardVectors.kernel("range-set", d -> {
            // NLM_F_DUMP_INTR on the first answer to GETCHAIN (NEWCHAIN messages, type 0x0a03)
            if ((d[4] & 0xff) == 0x03 && (d[5] & 0xff) == 0x0a && chains.getAndIncrement() == 0) d[6] |= 0x10;
            return d;
        });
        assertEquals(2, read(k).size());
        assertEquals(2, chains.get());
    }

    @Test
    void netlinkErrorsPropagate() {
        FakeTransport k = new FakeTransport().respondWith(sent ->
                List.of(FakeTransport.errorAnswer(PortForwardVectors.le32(sent, 8), Errno.EPERM, PortForwardVectors.le16(sent, 4))));
        NetlinkException e = assertThrows(NetlinkException.class, () -> read(k));
        assertEquals(Errno.EPERM, e.errno());
        FakeTransport silent = new FakeTransport();
        assertEquals(Errno.ETIMEDOUT, assertThrows(NetlinkException.class, () -> read(silent)).errno());
    }

    @Test
    void aRulesetWithoutNatHasNoForwards() throws Exception {
        // the tables and chains dumps of nft-single, its chain made a filter chain: nothing else asked
        FakeTransport k = PortForwardVectors.kernel("nft-single", d -> {
            String s = java.util.HexFormat.of().formatHex(d);
            int at = s.indexOf("08000700" + "6e617400");   // NFTA_CHAIN_TYPE "nat\0" -> "raw\0"
            if ((d[4] & 0xff) == 0x03 && (d[5] & 0xff) == 0x0a && at > 0 && at % 2 == 0) {
                d[at / 2 + 4] = 'r';
                d[at / 2 + 5] = 'a';
                d[at / 2 + 6] = 'w';
            }
            return d;
        });
        assertEquals(List.of(), read(k));
        assertEquals(List.of("gen", "tables", "chains", "gen"),
                k.sent.stream().map(PortForwardVectors::request).toList());
    }

    @Test
    void forwardsPrintReadably() {
        assertEquals("udp 27015-27016 -> 10.0.0.14 (nat prerouting)",
                udp("nat", "prerouting", 27015, 27016, "10.0.0.14", 0).toString());
        assertEquals("tcp 8080 -> 192.168.1.10:80 (fw4 dstnat_wan)",
                tcp("fw4", "dstnat_wan", 8080, 8080, "192.168.1.10", 80).toString());
    }
}
