package org.conenatd.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/** Counters an operator (and the tests) can read: in the last log line and in the stats file. */
public final class Stats {
    public final LongAdder events = new LongAdder();
    public final LongAdder mappingFlows = new LongAdder();
    public final LongAdder enobufs = new LongAdder();
    public final LongAdder resyncs = new LongAdder();
    public final LongAdder conflicts = new LongAdder();
    public final LongAdder queued = new LongAdder();
    public final LongAdder forwarded = new LongAdder();
    public final LongAdder passed = new LongAdder();
    public final LongAdder notUdp = new LongAdder();
    public final LongAdder malformed = new LongAdder();
    public final LongAdder createExists = new LongAdder();
    public final LongAdder createFailed = new LongAdder();
    public final LongAdder verdictErrors = new LongAdder();

    /** Entry creations refused by the kernel, by errno name. */
    public final java.util.concurrent.ConcurrentSkipListMap<String, LongAdder> createErrors =
            new java.util.concurrent.ConcurrentSkipListMap<>();

    private final IntSupplier mappings;
    private final IntSupplier slots;
    private final IntSupplier flows;

    public Stats(IntSupplier mappings, IntSupplier slots, IntSupplier flows) {
        this.mappings = mappings;
        this.slots = slots;
        this.flows = flows;
    }

    /** Counts a refused creation; returns how many of this errno so far. */
    public long createError(String errnoName) {
        createFailed.increment();
        LongAdder a = createErrors.computeIfAbsent(errnoName, k -> new LongAdder());
        a.increment();
        return a.sum();
    }

    public String render() {
        return "mappings=" + mappings.getAsInt() + "\n"
                + "mapping_endpoints=" + slots.getAsInt() + "\n"
                + "mapping_flows=" + flows.getAsInt() + "\n"
                + "events=" + events.sum() + "\n"
                + "mapping_flow_events=" + mappingFlows.sum() + "\n"
                + "event_overruns=" + enobufs.sum() + "\n"
                + "resyncs=" + resyncs.sum() + "\n"
                + "conflicts=" + conflicts.sum() + "\n"
                + "queued=" + queued.sum() + "\n"
                + "forwarded=" + forwarded.sum() + "\n"
                + "passed=" + passed.sum() + "\n"
                + "not_udp=" + notUdp.sum() + "\n"
                + "malformed=" + malformed.sum() + "\n"
                + "create_exists=" + createExists.sum() + "\n"
                + "create_failed=" + createFailed.sum() + "\n"
                + "verdict_errors=" + verdictErrors.sum() + "\n"
                + perErrno();
    }

    private String perErrno() {
        StringBuilder sb = new StringBuilder();
        createErrors.forEach((k, v) -> sb.append("create_failed_").append(k).append('=').append(v.sum()).append('\n'));
        return sb.toString();
    }

    public String oneLine() {
        return render().strip().replace('\n', ' ');
    }

    /** Replaces the file atomically so readers never see half of it. */
    public void writeTo(Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, render(), StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
