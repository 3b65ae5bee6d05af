package org.conenatd.dataplane.seed;

import org.conenatd.ops.Counters;

import java.util.concurrent.atomic.LongAdder;

/** The seed plane's counters, registered under the names the stats file has always used. */
final class SeedCounters {
    final LongAdder queued, forwarded, passed, notUdp, malformed, createExists, verdictErrors;
    final Counters.LabeledCounter createFailed;

    SeedCounters(Counters c) {
        queued = c.counter("queued", "Packets the NFQUEUE handed to conenatd.");
        forwarded = c.counter("forwarded", "Inbound first packets DNAT'd to a LAN endpoint.");
        passed = c.counter("passed", "Inbound first packets to unmapped ports, passed on unchanged.");
        notUdp = c.counter("not_udp", "Queued packets that were not unfragmented IPv4 UDP, passed on.");
        malformed = c.counter("malformed", "Queue messages that could not be decoded.");
        createExists = c.counter("create_exists", "DNAT entries that already existed (duplicate first packets), delivered.");
        createFailed = c.labeled("create_failed", "DNAT entry creations the kernel refused, by errno.", "errno");
        verdictErrors = c.counter("verdict_errors", "Verdicts the kernel refused.");
    }
}
