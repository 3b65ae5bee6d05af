package org.conenatd.control;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import org.conenatd.ops.Counters;

import java.util.ArrayList;
import java.util.List;

/**
 * The counter registry as Prometheus metrics, read at every scrape: each series becomes
 * {@code conenatd_<name>} (a counter, which the exposition suffixes with {@code _total}, or a
 * gauge), a labelled family one counter with its label. Nothing is counted twice: the stats file
 * and the metrics read the same {@link Counters}.
 */
public final class CountersCollector implements MultiCollector {
    static final String PREFIX = "conenatd_";

    private final Counters counters;

    public CountersCollector(Counters counters) {
        this.counters = counters;
    }

    @Override
    public MetricSnapshots collect() {
        List<MetricSnapshot> out = new ArrayList<>();
        CounterSnapshot.Builder family = null;
        GaugeSnapshot.Builder gauges = null;
        for (Counters.Sample s : counters.samples()) {
            if (s.labelName() != null && s.label() != null) {
                // a family's members follow its total in samples(); the total itself is their sum
                if (family != null) {
                    family.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                            .labels(Labels.of(s.labelName(), s.label())).value(s.value()).build());
                }
                if (gauges != null) {
                    gauges.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                            .labels(Labels.of(s.labelName(), s.label())).value(s.value()).build());
                }
                continue;
            }
            add(out, family);
            add(out, gauges);
            family = null;
            gauges = null;
            if (s.labelName() != null && s.kind() == Counters.Kind.GAUGE) {
                gauges = GaugeSnapshot.builder().name(PREFIX + s.name()).help(s.help());
            } else if (s.labelName() != null) {
                family = CounterSnapshot.builder().name(PREFIX + s.name()).help(s.help());
            } else if (s.kind() == Counters.Kind.COUNTER) {
                add(out, CounterSnapshot.builder().name(PREFIX + s.name()).help(s.help())
                        .dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(s.value()).build()));
            } else {
                add(out, GaugeSnapshot.builder().name(PREFIX + s.name()).help(s.help())
                        .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(s.value()).build()));
            }
        }
        add(out, family);
        add(out, gauges);
        return new MetricSnapshots(out);
    }

    private static void add(List<MetricSnapshot> out, MetricSnapshot.Builder<?> b) {
        if (b == null) return;
        try {
            out.add(b.build());
        } catch (IllegalArgumentException e) {
            // a name Prometheus reserves (Counters checks only snake_case): left out rather than failing the scrape
        }
    }
}
