package org.conenatd.control;

import org.conenatd.control.ControlProtocol.Request;
import org.conenatd.control.ControlProtocol.Verb;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.conenatd.inet.Inet4.parseAddr;
import static org.junit.jupiter.api.Assertions.*;

class ControlProtocolTest {
    private final FakeDaemon daemon = new FakeDaemon();

    @Test
    void requestsParseAndPrintBackTheSame() {
        assertEquals(new Request(Verb.LIST, false, null, -1), ControlProtocol.parse("list"));
        assertEquals(new Request(Verb.STATUS, true, null, -1), ControlProtocol.parse("  status   --json "));
        Request r = ControlProtocol.parse("list --host 10.0.0.101 --port 40000 --json");
        assertEquals(new Request(Verb.LIST, true, parseAddr("10.0.0.101"), 40000), r);
        assertEquals(r, ControlProtocol.parse(r.line()));
        assertEquals("list --json --host 10.0.0.101 --port 40000", r.line());
    }

    @Test
    void badRequestsAreOneErrorLineNeverAnException() {
        for (String bad : List.of("", "   ", "lst", "list --host", "list --host 10.0.0.256", "list --port 65536", "list --port -1",
                "list --port 1e3", "status --host 10.0.0.1", "list --json --json", "list --bogus", "list\u0000", "list\t--json",
                "list \u00e9", "a b c d e f g h i j", "list --port 1 --port 2", "x".repeat(5000))) {
            String a = ControlProtocol.answer(bad, daemon);
            assertTrue(a.startsWith(ControlProtocol.ERROR), bad + " -> " + a);
            assertEquals(1, a.lines().count(), "one line: " + a);
            assertTrue(a.length() < 200, "an echoed word is clipped: " + a);
        }
    }

    @Test
    void listIsAHeaderAndOneAlignedLinePerMapping() {
        String a = ControlProtocol.answer("list", daemon);
        List<String> lines = a.lines().toList();
        assertEquals(4, lines.size(), a);
        assertEquals("proto  public  lan endpoint           flows       age  hold      origin   lease", lines.get(0));
        assertEquals("udp     40000  10.0.0.101:40000           2     1m15s  live      dynamic  -", lines.get(1));
        assertEquals("udp     40001  10.0.0.102:40000           0     1h01m  3m20s     dynamic  -", lines.get(2));
        assertEquals("tcp       443  10.0.0.102:443             1        5s  live      dynamic  -", lines.get(3));
    }

    @Test
    void filtersPickByLanAddressAndByEitherPort() {
        assertEquals(2, ControlProtocol.answer("list --host 10.0.0.102", daemon).lines().count() - 2, "header and host line aside");
        assertEquals(0, ControlProtocol.answer("list --host 10.0.0.103", daemon).lines().count() - 2);
        assertEquals(2, ControlProtocol.answer("list --port 40000", daemon).lines().count() - 1, "public 40000, and LAN port 40000 of 40001");
        assertEquals(1, ControlProtocol.answer("list --port 40001", daemon).lines().count() - 1);
        assertEquals(1, ControlProtocol.answer("list --host 10.0.0.102 --port 443", daemon).lines().count() - 2);
    }

    @Test
    void aHostListEndsWithItsPortsPerProtocolAndWhatThePlaneSaysOfItsLimit() {
        daemon.hostLimit = "limit 3 per protocol (--ports-per-host), reached 5 times";
        List<String> lines = ControlProtocol.answer("list --host 10.0.0.102", daemon).lines().toList();
        assertEquals("host 10.0.0.102: 1 udp 1 tcp public ports; limit 3 per protocol (--ports-per-host), reached 5 times", lines.getLast());
        assertTrue(ControlProtocol.answer("list --json --host 10.0.0.102", daemon)
                .endsWith(",\"host\":{\"ip\":\"10.0.0.102\",\"udp_ports\":1,\"tcp_ports\":1,\"limit\":\"limit 3 per protocol (--ports-per-host), reached 5 times\"}}\n"));
    }

    @Test
    void listJsonHasTheSameRows() {
        String a = ControlProtocol.answer("list --json --host 10.0.0.102", daemon);
        assertEquals("""
                {"mode":"kernel","mappings":[
                {"protocol":"udp","public_port":40001,"lan_ip":"10.0.0.102","lan_port":40000,"flows":0,"age_seconds":3700,"state":"held","hold_left_seconds":200,"receives":true,"origin":"dynamic","lease_left_seconds":null,"shadowed":false},
                {"protocol":"tcp","public_port":443,"lan_ip":"10.0.0.102","lan_port":443,"flows":1,"age_seconds":5,"state":"live","hold_left_seconds":null,"receives":true,"origin":"dynamic","lease_left_seconds":null,"shadowed":false}
                ],"host":{"ip":"10.0.0.102","udp_ports":1,"tcp_ports":1}}
                """, a);
        assertEquals("{\"mode\":\"kernel\",\"mappings\":[]}\n", ControlProtocol.answer("list --json --port 1", daemon));
    }

    @Test
    void withAPoolEachMappingNamesItsExternalAddressSoListAnswersWhoHadAnAddressAndPort() {
        daemon.rows = List.of(
                new org.conenatd.nat.MappingSnapshot.Row(org.conenatd.nat.Protocol.UDP, 40312, org.conenatd.nat.Endpoint.of(parseAddr("10.0.0.11"), 5000),
                        1, 10 * FakeDaemon.SECOND, org.conenatd.nat.MappingSnapshot.LIVE, true, org.conenatd.nat.MappingOrigin.DYNAMIC,
                        -1, false, parseAddr("198.51.100.7")),
                new org.conenatd.nat.MappingSnapshot.Row(org.conenatd.nat.Protocol.UDP, 40312, org.conenatd.nat.Endpoint.of(parseAddr("10.0.0.12"), 40312),
                        1, 10 * FakeDaemon.SECOND, org.conenatd.nat.MappingSnapshot.LIVE, true, org.conenatd.nat.MappingOrigin.DYNAMIC,
                        -1, false, parseAddr("198.51.100.8")));
        List<String> lines = ControlProtocol.answer("list --port 40312", daemon).lines().toList();
        assertTrue(lines.get(0).startsWith("proto  external"), lines.get(0));
        assertTrue(lines.get(1).startsWith("udp    198.51.100.7:40312     10.0.0.11:5000"), lines.get(1));
        String j = ControlProtocol.answer("list --json --port 40312", daemon);
        assertTrue(j.contains("{\"protocol\":\"udp\",\"external_ip\":\"198.51.100.7\",\"public_port\":40312,\"lan_ip\":\"10.0.0.11\",\"lan_port\":5000"), j);
        assertTrue(j.contains("\"external_ip\":\"198.51.100.8\",\"public_port\":40312,\"lan_ip\":\"10.0.0.12\""), j);
    }

    @Test
    void leasesShowWhoMadeThemAndWhatIsLeftAndShadowedPortsSaySo() {
        daemon.rows = List.of(
                new org.conenatd.nat.MappingSnapshot.Row(org.conenatd.nat.Protocol.UDP, 3074, org.conenatd.nat.Endpoint.of(parseAddr("10.0.0.11"), 3074),
                        0, 10 * FakeDaemon.SECOND, 300 * FakeDaemon.SECOND, true, org.conenatd.nat.MappingOrigin.STATIC,
                        org.conenatd.nat.PortAllocator.FOREVER, false, 0),
                new org.conenatd.nat.MappingSnapshot.Row(org.conenatd.nat.Protocol.UDP, 5000, org.conenatd.nat.Endpoint.of(parseAddr("10.0.0.12"), 5000),
                        1, 10 * FakeDaemon.SECOND, org.conenatd.nat.MappingSnapshot.LIVE, true, org.conenatd.nat.MappingOrigin.NATPMP,
                        3600 * FakeDaemon.SECOND, true, 0));
        List<String> lines = ControlProtocol.answer("list", daemon).lines().toList();
        assertTrue(lines.get(1).endsWith("static   forever"), lines.get(1));
        assertTrue(lines.get(2).endsWith("natpmp   1h00m  shadowed by a port forward"), lines.get(2));
        String j = ControlProtocol.answer("list --json", daemon);
        assertTrue(j.contains("\"origin\":\"static\",\"lease_left_seconds\":\"forever\",\"shadowed\":false"), j);
        assertTrue(j.contains("\"origin\":\"natpmp\",\"lease_left_seconds\":3600,\"shadowed\":true"), j);
    }

    @Test
    void seedRowsHaveNoHold() {
        daemon.rows = List.of(new org.conenatd.nat.MappingSnapshot.Row(org.conenatd.nat.Protocol.UDP, 12000,
                org.conenatd.nat.Endpoint.of(parseAddr("10.0.0.101"), 5000), 1, 0, org.conenatd.nat.MappingSnapshot.NO_HOLD, false));
        assertTrue(ControlProtocol.answer("list", daemon).lines().toList().get(1).endsWith("0s  -         dynamic  -"));
        assertTrue(ControlProtocol.answer("list --json", daemon).contains("\"state\":\"mapped\",\"hold_left_seconds\":null,\"receives\":false"));
    }

    @Test
    void statusShowsModeUptimeResyncAndEveryCounterByItsStatsKey() {
        String a = ControlProtocol.answer("status", daemon);
        assertTrue(a.startsWith("mode:     kernel (interface eth0, ports 1024-65535, hold 300 s, udp+tcp)\n"), a);
        assertTrue(a.contains("pid:      4242, up 1h02m\n"), a);
        assertTrue(a.contains("resync:   (start): 5 conntrack entries, 3 mapping flows\n"), a);
        for (String key : List.of("events", "mappings", "create_failed", "create_failed_EPERM", "create_failed_ENOMEM")) {
            assertTrue(a.lines().anyMatch(l -> l.matches("  " + key + " +" + daemon.counters.value(key))), key + " in\n" + a);
        }
        String j = ControlProtocol.answer("status --json", daemon);
        assertTrue(j.startsWith("{\"mode\":\"kernel\",\"plane\":\"interface eth0, ports 1024-65535, hold 300 s, udp+tcp\",\"pid\":4242,"
                + "\"uptime_seconds\":3723,\"last_resync\":\"(start): 5 conntrack entries, 3 mapping flows\",\"counters\":{\"events\":7,"), j);
        assertTrue(j.endsWith(",\"create_failed_EPERM\":2}}\n"), j);
    }

    @Test
    void durationsAndJsonStrings() {
        long s = FakeDaemon.SECOND;
        assertEquals("0s", ControlProtocol.duration(-5));
        assertEquals("59s", ControlProtocol.duration(59 * s + s - 1));
        assertEquals("1m00s", ControlProtocol.duration(60 * s));
        assertEquals("1h00m", ControlProtocol.duration(3600 * s));
        assertEquals("2d03h", ControlProtocol.duration((2 * 86400 + 3 * 3600 + 59) * s));
        assertEquals("\"a\\\"b\\\\c\\nd\\u0001\"", ControlProtocol.quote("a\"b\\c\nd\u0001"));
    }

    @Test
    void aFailingDaemonViewIsAnErrorLine() {
        DaemonView broken = new FakeDaemon() {
            @Override public List<org.conenatd.nat.MappingSnapshot.Row> mappings() { throw new IllegalStateException("boom"); }
        };
        String a = ControlProtocol.answer("list", broken);
        assertTrue(a.startsWith("error: "), a);
    }
}
