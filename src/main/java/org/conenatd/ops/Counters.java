package org.conenatd.ops;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The one registry of what conenatd counts. Each part of the daemon registers its own counters and
 * gauges here, with a name and a help text; the stats file, the last log line (and any metrics
 * endpoint) are all rendered from it, so they can never disagree or forget one.
 *
 * <p>Names are snake_case and stable: the stats file's keys. Registration happens at start-up;
 * incrementing is lock-free ({@link LongAdder}) from any thread.
 */
public final class Counters {

    public enum Kind { COUNTER, GAUGE }

    /**
     * One registered series: a plain one has a null label; a family renders its total (null label)
     * and then its members, each with its label.
     */
    public record Sample(String name, String help, Kind kind, String labelName, String label, long value) {
        /** The stats-file key: the name, with a family member's label appended. */
        public String key() {
            return label == null ? name : name + "_" + label;
        }
    }

    private sealed interface Entry permits Plain, Family, GaugeFamily {}

    private record Plain(String name, String help, Kind kind, LongSupplier value) implements Entry {}

    private record Family(String name, String help, String labelName, ConcurrentSkipListMap<String, LongAdder> members)
            implements Entry {}

    private record GaugeFamily(String name, String help, String labelName, java.util.function.Supplier<java.util.Map<String, Long>> members)
            implements Entry {}

    private final List<Entry> entries = new CopyOnWriteArrayList<>();

    /** A monotonically increasing count. */
    public LongAdder counter(String name, String help) {
        LongAdder a = new LongAdder();
        register(new Plain(name, help, Kind.COUNTER, a::sum));
        return a;
    }

    /** A monotonically increasing count kept elsewhere (by the kernel), read when rendered. */
    public void counter(String name, String help, LongSupplier value) {
        register(new Plain(name, help, Kind.COUNTER, value));
    }

    /** A value read when rendered (table sizes). */
    public void gauge(String name, String help, LongSupplier value) {
        register(new Plain(name, help, Kind.GAUGE, value));
    }

    /**
     * Counters of one kind split by a label, e.g. refused creations by errno name: the stats file
     * shows the total as {@code name=} and each member as {@code name_label=}.
     */
    public LabeledCounter labeled(String name, String help, String labelName) {
        Family f = new Family(name, help, labelName, new ConcurrentSkipListMap<>());
        register(f);
        return new LabeledCounter(f.members());
    }

    /**
     * Gauges of one kind split by a label, read when rendered (e.g. ports used per pool address):
     * {@code members} gives each label's value; the total is their sum.
     */
    public void gauges(String name, String help, String labelName, java.util.function.Supplier<java.util.Map<String, Long>> members) {
        register(new GaugeFamily(name, help, labelName, members));
    }

    /** Members of a labelled family, created on first use. */
    public static final class LabeledCounter {
        private final ConcurrentSkipListMap<String, LongAdder> members;

        private LabeledCounter(ConcurrentSkipListMap<String, LongAdder> members) {
            this.members = members;
        }

        /** Counts one for {@code label}; returns its count so far. */
        public long increment(String label) {
            LongAdder a = members.computeIfAbsent(label, k -> new LongAdder());
            a.increment();
            return a.sum();
        }
    }

    private void register(Entry e) {
        String name = nameOf(e);
        if (!name.matches("[a-z][a-z0-9_]*")) throw new IllegalArgumentException("bad counter name " + name);
        for (Entry x : entries) {
            String other = nameOf(x);
            if (other.equals(name)) throw new IllegalArgumentException("counter " + name + " registered twice");
        }
        entries.add(e);
    }

    private static String nameOf(Entry e) {
        return switch (e) {
            case Plain p -> p.name();
            case Family f -> f.name();
            case GaugeFamily g -> g.name();
        };
    }

    /** Every series now, in registration order (family members sorted by label). */
    public List<Sample> samples() {
        List<Sample> out = new ArrayList<>();
        for (Entry e : entries) {
            switch (e) {
                case Plain p -> out.add(new Sample(p.name(), p.help(), p.kind(), null, null, p.value().getAsLong()));
                case Family f -> {
                    long total = 0;
                    List<Sample> members = new ArrayList<>();
                    for (var m : f.members().entrySet()) {
                        long v = m.getValue().sum();
                        total += v;
                        members.add(new Sample(f.name(), f.help(), Kind.COUNTER, f.labelName(), m.getKey(), v));
                    }
                    out.add(new Sample(f.name(), f.help(), Kind.COUNTER, f.labelName(), null, total));
                    out.addAll(members);
                }
                case GaugeFamily g -> {
                    long total = 0;
                    List<Sample> members = new ArrayList<>();
                    for (var m : new java.util.TreeMap<>(g.members().get()).entrySet()) {
                        total += m.getValue();
                        members.add(new Sample(g.name(), g.help(), Kind.GAUGE, g.labelName(), m.getKey(), m.getValue()));
                    }
                    out.add(new Sample(g.name(), g.help(), Kind.GAUGE, g.labelName(), null, total));
                    out.addAll(members);
                }
            }
        }
        return out;
    }

    /** The value of a plain series or a family member by its stats-file key; -1 if unknown. */
    public long value(String key) {
        for (Sample s : samples()) if (s.key().equals(key)) return s.value();
        return -1;
    }

    /** {@code key=value} lines, the stats file's format. */
    public String render() {
        StringBuilder sb = new StringBuilder();
        for (Sample s : samples()) sb.append(s.key()).append('=').append(s.value()).append('\n');
        return sb.toString();
    }

    /** All on one line, for the log. */
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
