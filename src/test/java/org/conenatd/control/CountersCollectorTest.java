package org.conenatd.control;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import org.conenatd.ops.Counters;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The counter registry as Prometheus families: the same numbers as the stats file, under Prometheus names. */
class CountersCollectorTest {

    static String text(MetricSnapshots s) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, s);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void countersGaugesAndLabelledFamiliesMapOneToOne() throws IOException {
        FakeDaemon d = new FakeDaemon();
        d.counters.counter("event_overruns", "Times the event socket overflowed (ENOBUFS); each triggers a resync.");
        d.counters.labeled("nothing_yet", "A family without members.", "why");
        String t = text(new CountersCollector(d.counters).collect());
        assertTrue(t.contains("# HELP conenatd_events_total Conntrack events read.\n# TYPE conenatd_events_total counter\nconenatd_events_total 7.0\n"), t);
        assertTrue(t.contains("# TYPE conenatd_mappings gauge\nconenatd_mappings 3.0\n"), t);
        assertTrue(t.contains("conenatd_event_overruns_total 0.0\n"), t);
        assertTrue(t.contains("conenatd_create_failed_total{errno=\"ENOMEM\"} 1.0\nconenatd_create_failed_total{errno=\"EPERM\"} 2.0\n"), t);
        assertFalse(t.contains("conenatd_create_failed_total 3.0"), "a family's total is the sum of its members, not a series of its own");
        assertFalse(t.contains("nothing_yet{"), t);
    }

    @Test
    void everyStatsFileValueIsInTheMetrics() throws IOException {
        FakeDaemon d = new FakeDaemon();
        String t = text(new CountersCollector(d.counters).collect());
        for (Counters.Sample s : d.counters.samples()) {
            if (s.labelName() != null && s.label() == null) continue;
            String name = "conenatd_" + s.name() + (s.kind() == Counters.Kind.COUNTER ? "_total" : "")
                    + (s.label() == null ? "" : "{" + s.labelName() + "=\"" + s.label() + "\"}");
            assertTrue(t.contains(name + " " + s.value() + ".0\n"), name + " in\n" + t);
        }
    }

    @Test
    void aNamePrometheusReservesIsLeftOutNotFatal() throws IOException {
        Counters c = new Counters();
        c.gauge("build_info", "A name with a reserved suffix.", () -> 1);
        c.counter("ok", "Fine.").increment();
        String t = text(new CountersCollector(c).collect());
        assertTrue(t.contains("conenatd_ok_total 1.0"), t);
    }

    @Test
    void addressesParse() {
        assertEquals(new InetSocketAddress("127.0.0.1", 9477), MetricsServer.parse("127.0.0.1:9477"));
        assertEquals(9477, MetricsServer.parse("[::1]:9477").getPort());
        assertTrue(MetricsServer.parse("[::1]:9477").getAddress().isLoopbackAddress());
        for (String bad : List.of("9477", ":9477", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:x", "")) {
            assertThrows(IllegalArgumentException.class, () -> MetricsServer.parse(bad), bad);
        }
    }

    @Test
    void theEndpointServesTheRegistryOnLoopback() throws Exception {
        FakeDaemon d = new FakeDaemon();
        try (MetricsServer m = MetricsServer.start(MetricsServer.parse("127.0.0.1:0"), d.counters)) {
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.port() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertTrue(r.body().contains("conenatd_events_total 7.0"), r.body());
            d.counters.value("events");
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), r.headers().toString());
        }
    }
}
