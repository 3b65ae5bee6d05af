package org.conenatd.portmap.upnp;

import org.conenatd.ops.Log;
import org.conenatd.portmap.FakePortMapper;
import org.conenatd.portmap.PortMapper;
import org.conenatd.portmap.upnp.IgdSchema.Action;

import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Package-private parts of the IGD, opened for the properties in org.conenatd.fuzz. */
public final class UpnpFuzzHooks {
    private UpnpFuzzHooks() {}

    public static final List<String> ACTIONS = Arrays.stream(Action.values()).map(a -> a.soapName).toList();

    /** The search target of an M-SEARCH, or null. */
    public static String parseSearch(byte[] data, int length) {
        SsdpMessages.Search s = SsdpMessages.parseSearch(data, length);
        return s == null ? null : s.st();
    }

    /**
     * Runs {@code action} with {@code args} from {@code client} on a fresh mapper (LAN 10.0.0.0/24,
     * third parties not allowed); returns the leases made, as {internal ip, external port}.
     */
    public static List<int[]> handle(String action, Map<String, String> args, int client) {
        FakePortMapper mapper = FakePortMapper.forUpnp(3600);
        Log quiet = new Log(Log.Level.QUIET, false, 1, new PrintStream(OutputStream.nullOutputStream()));
        try {
            List<LanAddress> lan = List.of(new LanAddress(NetworkInterface.getByName("lo"),
                    (Inet4Address) InetAddress.getByName("10.0.0.1"), 24));
            IgdActions actions = new IgdActions(mapper, lan, false, new UpnpCounters(), quiet);
            Action a = Arrays.stream(Action.values()).filter(x -> x.soapName.equals(action)).findFirst().orElseThrow();
            IgdActions.Outcome o = actions.handle(a, new SoapRequest(Bodies.IPC1, action, args), client);
            if (o == null) throw new AssertionError("no outcome");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        List<int[]> out = new ArrayList<>();
        for (PortMapper.Lease l : mapper.leases()) out.add(new int[] {l.internalIp(), l.externalPort()});
        return out;
    }
}
