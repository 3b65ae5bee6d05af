package org.conenatd.control;

import org.conenatd.nat.Endpoint;
import org.conenatd.nat.MappingSnapshot;
import org.conenatd.nat.Protocol;
import org.conenatd.ops.Counters;

import java.util.List;

import static org.conenatd.inet.Inet4.parseAddr;

/** A daemon as the control socket sees it, with two kernel-mode mappings (one live, one held). */
class FakeDaemon implements DaemonView {
    static final long SECOND = 1_000_000_000L;
    final Counters counters = new Counters();
    List<MappingSnapshot.Row> rows = List.of(
            new MappingSnapshot.Row(Protocol.UDP, 40000, Endpoint.of(parseAddr("10.0.0.101"), 40000), 2, 75 * SECOND, MappingSnapshot.LIVE, true),
            new MappingSnapshot.Row(Protocol.UDP, 40001, Endpoint.of(parseAddr("10.0.0.102"), 40000), 0, 3700 * SECOND, 200 * SECOND, true),
            new MappingSnapshot.Row(Protocol.TCP, 443, Endpoint.of(parseAddr("10.0.0.102"), 443), 1, 5 * SECOND, MappingSnapshot.LIVE, true));

    FakeDaemon() {
        counters.counter("events", "Conntrack events read.").add(7);
        counters.gauge("mappings", "Mapped public ports.", () -> 3);
        Counters.LabeledCounter failed = counters.labeled("create_failed", "DNAT entry creations the kernel refused, by errno.", "errno");
        failed.increment("EPERM");
        failed.increment("EPERM");
        failed.increment("ENOMEM");
    }

    String hostLimit;

    @Override public String hostLimit(int ip) { return hostLimit; }
    @Override public String mode() { return "kernel"; }
    @Override public String describe() { return "interface eth0, ports 1024-65535, hold 300 s, udp+tcp"; }
    @Override public long pid() { return 4242; }
    @Override public long uptimeMillis() { return 3_723_000; }
    @Override public String lastResync() { return "(start): 5 conntrack entries, 3 mapping flows"; }
    @Override public List<Counters.Sample> counters() { return counters.samples(); }
    @Override public List<MappingSnapshot.Row> mappings() { return rows; }
}
