package org.conenatd.dataplane.kernel;

import org.conenatd.ops.StartupException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.conenatd.inet.Inet4.parseAddr;
import static org.junit.jupiter.api.Assertions.*;

/** --pool against the router's addresses and routes: LAN overlaps refused, unreachable addresses warned about. */
class PoolCheckTest {
    private static final List<PoolCheck.Net> NETS = List.of(
            new PoolCheck.Net("lo", parseAddr("127.0.0.1"), 8),
            new PoolCheck.Net("lan0", parseAddr("10.0.0.1"), 24),
            new PoolCheck.Net("wan0", parseAddr("203.0.113.1"), 24),
            new PoolCheck.Net("wan0", parseAddr("203.0.113.2"), 32));
    private static final List<PoolCheck.Route> ROUTES = List.of(
            new PoolCheck.Route(0, 0), // default
            new PoolCheck.Route(parseAddr("203.0.113.0"), parseAddr("255.255.255.0")),
            new PoolCheck.Route(parseAddr("198.51.100.0"), parseAddr("255.255.255.248"))); // a routed block, e.g. blackholed

    private static int[] pool(String... a) {
        int[] out = new int[a.length];
        for (int i = 0; i < a.length; i++) out[i] = parseAddr(a[i]);
        return out;
    }

    @Test
    void addressesTheRouterHoldsOrRoutesPassSilently() throws StartupException {
        assertEquals(List.of(), PoolCheck.check(pool("203.0.113.1", "203.0.113.2", "198.51.100.3"), "wan0", NETS, ROUTES, List.of()));
    }

    @Test
    void anAddressInsideALanSubnetIsAnError() {
        StartupException e = assertThrows(StartupException.class,
                () -> PoolCheck.check(pool("203.0.113.2", "10.0.0.7"), "wan0", NETS, ROUTES, List.of()));
        assertEquals("invalid --pool: 10.0.0.7 is inside the LAN (10.0.0.1/24 on lan0)", e.getMessage());
    }

    @Test
    void anAddressInsideASourcePrefixIsAnError() {
        StartupException e = assertThrows(StartupException.class,
                () -> PoolCheck.check(pool("192.168.7.9"), "wan0", NETS, ROUTES, List.of("192.168.7.0/24")));
        assertTrue(e.getMessage().contains("192.168.7.9 is inside the LAN (192.168.7.0/24 on --source)"), e.getMessage());
    }

    @Test
    void anAddressNeitherHeldNorRoutedIsOneWarningLineForAllOfThem() throws StartupException {
        List<String> w = PoolCheck.check(pool("198.18.0.1", "198.18.0.2", "198.18.0.3"), "wan0", NETS, ROUTES, List.of());
        assertEquals(List.of("--pool 198.18.0.1 and 2 more: not an address of this router and no route names it; "
                + "inbound traffic reaches it only if the upstream routes it to wan0"), w);
    }

    @Test
    void anAddressOnTheWanSubnetThatTheRouterDoesNotHoldIsWarnedAboutArp() throws StartupException {
        List<String> w = PoolCheck.check(pool("203.0.113.9"), "wan0", NETS, ROUTES, List.of());
        assertEquals(1, w.size());
        assertTrue(w.get(0).startsWith("--pool 203.0.113.9 on wan0's subnet but not its addresses: nothing answers ARP"), w.get(0));
    }
}
