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
    public final LongAdder createExists = new LongAdder();
    public final LongAdder createFailed = new LongAdder();
    public final LongAdder verdictErrors = new LongAdder();

    private final IntSupplier mappings;
    private final IntSupplier slots;

    public Stats(IntSupplier mappings, IntSupplier slots) {
        this.mappings = mappings;
        this.slots = slots;
    }

    public String render() {
        return "mappings=" + mappings.getAsInt() + "\n"
                + "mapping_endpoints=" + slots.getAsInt() + "\n"
                + "events=" + events.sum() + "\n"
                + "mapping_flow_events=" + mappingFlows.sum() + "\n"
                + "event_overruns=" + enobufs.sum() + "\n"
                + "resyncs=" + resyncs.sum() + "\n"
                + "conflicts=" + conflicts.sum() + "\n"
                + "queued=" + queued.sum() + "\n"
                + "forwarded=" + forwarded.sum() + "\n"
                + "passed=" + passed.sum() + "\n"
                + "not_udp=" + notUdp.sum() + "\n"
                + "create_exists=" + createExists.sum() + "\n"
                + "create_failed=" + createFailed.sum() + "\n"
                + "verdict_errors=" + verdictErrors.sum() + "\n";
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
