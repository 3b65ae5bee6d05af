package org.conenatd.portmap.upnp;

import org.conenatd.portmap.FakePortMapper;
import org.conenatd.ops.Log;

import java.net.NetworkInterface;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The IGD on one interface with an in-memory mapper (public address 198.51.100.7, leases up to
 * 7200 s), until SIGTERM: for trying real control points against it by hand, e.g. in a throw-away
 * namespace pair joined by a veth (router 10.77.0.1/24, client 10.77.0.2/24):
 * <pre>
 * ip netns exec upnp-rtr java -cp target/classes:target/test-classes org.conenatd.portmap.upnp.UpnpcLab veth-r
 * ip netns exec upnp-lan upnpc -i -l        # -i: miniupnpc calls a TEST-NET public address "not connected"
 * </pre>
 */
public final class UpnpcLab {
    private UpnpcLab() {}

    public static void main(String[] args) throws Exception {
        NetworkInterface nif = NetworkInterface.getByName(args.length > 0 ? args[0] : "lo");
        if (nif == null) throw new IllegalArgumentException("no interface " + (args.length > 0 ? args[0] : "lo"));
        int port = args.length > 1 ? Integer.parseInt(args[1]) : UpnpIgd.DEFAULT_HTTP_PORT;
        Log log = new Log(Log.Level.DEBUG, false, 1000);
        UpnpIgd igd = UpnpIgd.start(new UpnpIgd.Config(List.of(nif), port, UpnpIgd.SSDP_PORT, false, "conenatd lab"),
                FakePortMapper.forUpnp(7200), log);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            igd.close();
            log.info("[*] upnp lab stopped: " + igd.counters().requests() + " requests, " + igd.counters().grants()
                    + " grants, " + igd.counters().refusals() + " refusals, " + igd.counters().deletions() + " deletions");
            stopped.countDown();
        }));
        stopped.await();
    }
}
