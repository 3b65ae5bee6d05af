package org.conenatd.portmap.upnp;

import org.conenatd.portmap.RateLimiter;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.conenatd.inet.Inet4;
import org.conenatd.ops.Log;
import org.conenatd.portmap.upnp.IgdActions.Outcome;
import org.conenatd.portmap.upnp.IgdSchema.Action;
import org.conenatd.portmap.upnp.IgdSchema.Service;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The IGD's HTTP side: one HttpServer per LAN address (never the wildcard, so the WAN side has no
 * socket to reach), serving the descriptions and the two control URLs. Before any XML is read a
 * request must come from a LAN subnet, stay under the per-source rate and the header and body
 * limits, and carry a Host that is the address it reached (a DNS-rebinding page's Host is its own
 * name); a control request must also be text/xml with a SOAPACTION header, which no cross-origin
 * browser request can be without a CORS preflight, never answered here.
 */
final class UpnpHttp implements AutoCloseable {
    static final int MAX_BODY = 16 * 1024;
    static final int MAX_HEADERS = 32;
    static final int MAX_HEADER_BYTES = 8 * 1024;
    static final int REQUESTS_PER_SECOND = 20, REQUEST_BURST = 100;
    static final int THREADS = 4, QUEUE = 32;
    static final long EXCHANGE_TIMEOUT_MS = 5_000, ACTION_TIMEOUT_MS = 3_000;
    private static final String XML = "text/xml; charset=\"utf-8\"";

    private final List<LanAddress> lan;
    private final IgdActions actions;
    private final UpnpCounters counters;
    private final Log log;
    private final Map<String, byte[]> documents = new HashMap<>();
    private final RateLimiter limiter = new RateLimiter(REQUESTS_PER_SECOND, REQUEST_BURST);
    private final ExchangeExecutor executor;
    private final ExecutorService actionThread;
    private final Map<LanAddress, HttpServer> servers = new LinkedHashMap<>();

    UpnpHttp(List<LanAddress> lan, int port, IgdActions actions, String rootDescription, UpnpCounters counters, Log log)
            throws IOException {
        this(lan, port, actions, rootDescription, counters, log, EXCHANGE_TIMEOUT_MS);
    }

    UpnpHttp(List<LanAddress> lan, int port, IgdActions actions, String rootDescription, UpnpCounters counters, Log log,
             long exchangeTimeoutMs) throws IOException {
        this.lan = List.copyOf(lan);
        this.actions = actions;
        this.counters = counters;
        this.log = log;
        documents.put(IgdSchema.ROOT_DESC, rootDescription.getBytes(StandardCharsets.UTF_8));
        for (Service s : Service.values()) documents.put(s.scpdPath, Descriptions.scpd(s).getBytes(StandardCharsets.UTF_8));
        this.executor = new ExchangeExecutor(THREADS, QUEUE, exchangeTimeoutMs, counters.shed, counters.timedOut);
        // actions reach the NAT: they run where the watchdog's interrupts never go
        this.actionThread = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("upnp-actions").factory());
        try {
            Map<Inet4Address, HttpServer> byAddress = new HashMap<>();
            for (LanAddress a : this.lan) {
                HttpServer s = byAddress.get(a.address());
                if (s == null) {
                    s = HttpServer.create(new InetSocketAddress(a.address(), port), 16);
                    s.setExecutor(executor);
                    s.createContext("/", this::handle);
                    s.start();
                    byAddress.put(a.address(), s);
                }
                servers.put(a, s);
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The port serving {@code a} (the one asked for, or the one the kernel chose for 0). */
    int port(LanAddress a) {
        return servers.get(a).getAddress().getPort();
    }

    private void handle(HttpExchange x) {
        try (x) {
            counters.requests.increment();
            if (!(x.getRemoteAddress().getAddress() instanceof Inet4Address peer)
                    || LanAddress.forPeer(lan, LanAddress.toInt(peer)) == null) {
                counters.forbidden.increment();
                send(x, 403, null, null);
                return;
            }
            int client = LanAddress.toInt(peer);
            if (!limiter.allow(client)) {
                counters.rateLimited.increment();
                x.getResponseHeaders().set("Retry-After", "1");
                send(x, 503, null, null);
                return;
            }
            Headers h = x.getRequestHeaders();
            if (!headersFit(h)) {
                counters.tooLarge.increment();
                send(x, 431, null, null);
                return;
            }
            if (!hostIsLocal(h.getFirst("Host"), x.getLocalAddress())) {
                counters.forbidden.increment();
                send(x, 403, null, null);
                return;
            }
            String path = x.getRequestURI().getRawPath(), method = x.getRequestMethod();
            byte[] doc = documents.get(path);
            Service service = doc == null ? control(path) : null;
            if (doc == null && service == null) {
                send(x, 404, null, null);
            } else if (doc != null && (method.equals("GET") || method.equals("HEAD"))) {
                send(x, 200, XML, method.equals("HEAD") ? null : doc);
            } else if (service != null && method.equals("POST")) {
                control(x, service, client);
            } else {
                x.getResponseHeaders().set("Allow", doc != null ? "GET, HEAD" : "POST");
                send(x, 405, null, null);
            }
        } catch (IOException e) {
            // the client went away, or the watchdog closed its socket
        }
    }

    private void control(HttpExchange x, Service service, int client) throws IOException {
        Headers h = x.getRequestHeaders();
        String type = h.getFirst("Content-Type");
        if (type == null || !type.strip().toLowerCase(Locale.ROOT).startsWith("text/xml")) {
            send(x, 415, null, null);
            return;
        }
        String length = h.getFirst("Content-Length");
        byte[] body = length != null && tooLong(length) ? null : x.getRequestBody().readNBytes(MAX_BODY + 1);
        if (body == null || body.length > MAX_BODY) {
            counters.tooLarge.increment();
            send(x, 413, null, null);
            return;
        }
        SoapRequest req;
        try {
            req = SoapParser.parse(body, h.getFirst("SOAPAction"));
        } catch (SoapParser.Invalid e) {
            fault(x, e.error);
            return;
        }
        if (log.debugEnabled()) log.debug("[.] upnp " + req.action() + " from " + Inet4.format(client));
        Action action = service.accepts(req.serviceType()) ? Action.find(service, req.action()) : null;
        if (action == null) {
            fault(x, UpnpError.INVALID_ACTION);
            return;
        }
        if (Thread.currentThread().isInterrupted()) return; // cut off or shed: start nothing
        Future<Outcome> f = actionThread.submit(() -> actions.handle(action, req, client));
        Outcome outcome;
        try {
            outcome = f.get(ACTION_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (ExecutionException | TimeoutException e) {
            // a late action still completes; the client, told 501, retries or looks the mapping up
            log.warn("[!] upnp " + req.action() + " failed: " + (e instanceof TimeoutException ? "timed out" : e.getCause()));
            outcome = new Outcome.Fault(UpnpError.ACTION_FAILED, "internal error");
        }
        switch (outcome) {
            case Outcome.Ok ok -> send(x, 200, XML,
                    SoapWriter.response(req.serviceType(), req.action(), ok.out()).getBytes(StandardCharsets.UTF_8));
            case Outcome.Fault fault -> fault(x, fault.error());
        }
    }

    private void fault(HttpExchange x, UpnpError e) throws IOException {
        counters.faults.increment();
        send(x, 500, XML, SoapWriter.fault(e).getBytes(StandardCharsets.UTF_8));
    }

    private static Service control(String path) {
        for (Service s : Service.values()) if (s.controlPath.equals(path)) return s;
        return null;
    }

    static boolean headersFit(Headers h) {
        int count = 0, bytes = 0;
        for (Map.Entry<String, List<String>> e : h.entrySet()) {
            for (String v : e.getValue()) {
                count++;
                bytes += e.getKey().length() + (v == null ? 0 : v.length()) + 4;
            }
        }
        return count <= MAX_HEADERS && bytes <= MAX_HEADER_BYTES;
    }

    /** No Host (HTTP/1.0) is fine; a Host must be the literal address reached, port optional. */
    static boolean hostIsLocal(String host, InetSocketAddress local) {
        if (host == null) return true;
        String addr = local.getAddress().getHostAddress(), h = host.strip();
        return h.equals(addr) || h.equals(addr + ":" + local.getPort());
    }

    private static boolean tooLong(String contentLength) {
        try {
            return Long.parseLong(contentLength.strip()) > MAX_BODY;
        } catch (NumberFormatException e) {
            return true;
        }
    }

    private static void send(HttpExchange x, int status, String type, byte[] body) throws IOException {
        Headers r = x.getResponseHeaders();
        r.set("Server", Descriptions.SERVER);
        if (type != null) r.set("Content-Type", type);
        if (status >= 400 && status != 500) r.set("Connection", "close");
        x.sendResponseHeaders(status, body == null || body.length == 0 ? -1 : body.length);
        if (body != null && body.length > 0) x.getResponseBody().write(body);
    }

    @Override
    public void close() {
        for (HttpServer s : new LinkedHashSet<>(servers.values())) s.stop(0);
        executor.close();
        actionThread.shutdown(); // not shutdownNow: an interrupt must not reach an action inside the NAT
    }
}
