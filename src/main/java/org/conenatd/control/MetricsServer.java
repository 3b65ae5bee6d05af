package org.conenatd.control;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.conenatd.ops.Counters;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * {@code --metrics <host:port>}: {@code /metrics} served by the Prometheus client's HTTP server
 * from a {@link CountersCollector}. Two handler threads at most, gone when idle: a router daemon
 * keeps its footprint, and scrapes are rare.
 */
public final class MetricsServer implements AutoCloseable {
    private final HTTPServer server;
    private final ThreadPoolExecutor executor;

    private MetricsServer(HTTPServer server, ThreadPoolExecutor executor) {
        this.server = server;
        this.executor = executor;
    }

    /** "127.0.0.1:9477", "[::1]:9477", "localhost:9477"; {@link IllegalArgumentException} with the reason. */
    public static InetSocketAddress parse(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new IllegalArgumentException("expected <host>:<port>, like 127.0.0.1:9477");
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        String p = hostPort.substring(colon + 1);
        if (!p.matches("[0-9]{1,5}") || Integer.parseInt(p) > 65535) {
            throw new IllegalArgumentException("expected a port 0-65535 after the last ':'");
        }
        InetSocketAddress a = new InetSocketAddress(host, Integer.parseInt(p));
        if (a.isUnresolved()) throw new IllegalArgumentException("cannot resolve '" + host + "'");
        return a;
    }

    public static MetricsServer start(InetSocketAddress address, Counters counters) throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new CountersCollector(counters));
        ThreadPoolExecutor executor = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(32),
                Thread.ofPlatform().daemon().name("metrics-", 0).factory(), new ThreadPoolExecutor.CallerRunsPolicy());
        executor.allowCoreThreadTimeOut(true);
        try {
            HTTPServer server = HTTPServer.builder().inetAddress(address.getAddress()).port(address.getPort())
                    .registry(registry).executorService(executor).buildAndStart();
            return new MetricsServer(server, executor);
        } catch (IOException | RuntimeException e) {
            executor.shutdownNow();
            throw e;
        }
    }

    /** The bound port (the one asked for, or the one picked for port 0). */
    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.close();
        executor.shutdownNow();
    }
}
