package org.conenatd.portmap.pcp;

import org.conenatd.portmap.RateLimiter;
import org.conenatd.inet.Inet4;
import org.conenatd.ops.Log;
import org.conenatd.portmap.PortMapper;

import java.io.IOException;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The NAT-PMP and PCP server: one UDP socket per LAN address (never the wildcard, so nothing
 * answers on the WAN side), one thread with a selector, one receive and one send buffer reused for
 * every datagram. Before anything is read a datagram must come from an IPv4 source in the subnet of
 * one of the LAN addresses (Linux accepts a packet for a LAN address on the WAN interface too) and
 * within its source's rate ({@link RateLimiter}); over it is dropped unanswered, as RFC 6887 §8.3
 * lets an overloaded server do. Nothing a datagram holds can stop the thread.
 *
 * <p>The daemon gives it a {@link PortMapper}, the LAN addresses and its {@link Log}; calls {@link
 * #start} once the mapper is ready, {@link #announce} again whenever the external address changes,
 * and {@link #stop} at shutdown. One line per grant ({@code [+]}), deletion ({@code [-]}) and
 * refusal ({@code [x]}), within the log's per-packet rate, since LAN hosts choose how many.
 */
public final class PortMapServer implements AutoCloseable {
    /** RFC 6886 §3.2.1: ten notifications, the first two 250 ms apart, each interval twice the one before. */
    static final int ANNOUNCE_ROUNDS = 10;
    static final long FIRST_ANNOUNCE_INTERVAL_NANOS = 250_000_000L;
    private static final int MAX_PER_WAKEUP = 64;

    private final PortMapConfig config;
    private final PortMapHandler handler;
    private final PortMapResponder responder;
    private final Log log;
    private final RateLimiter limiter;
    private final PortMapCounters counters = new PortMapCounters();
    private final ByteBuffer in = ByteBuffer.allocate(Pcp.MAX_LENGTH + 1); // one more tells an oversized one
    private final ByteBuffer out = ByteBuffer.allocate(Pcp.MAX_LENGTH);
    private final AtomicBoolean announceRequested = new AtomicBoolean();
    private final List<DatagramChannel> channels = new ArrayList<>();
    private int[] subnets = new int[0], masks = new int[0];
    private volatile Selector selector;
    private Thread thread;
    private volatile boolean running;

    public PortMapServer(PortMapConfig config, PortMapper mapper, Log log) {
        this.config = config;
        this.handler = new PortMapHandler(mapper, config.allowThirdParty());
        this.responder = new PortMapResponder(handler);
        this.log = log;
        this.limiter = new RateLimiter(config.requestsPerSecond(), config.requestsPerSecond());
    }

    public PortMapServer(List<InetAddress> lanAddresses, int port, PortMapper mapper, Log log) {
        this(new PortMapConfig(lanAddresses, port, PortMapConfig.ALL_HOSTS, PortMapConfig.DEFAULT_RATE, false), mapper, log);
    }

    /** Binds every LAN address, starts the thread and the first round of announcements. */
    public synchronized void start() throws IOException {
        if (selector != null) throw new IllegalStateException("started already");
        selector = Selector.open();
        List<Integer> nets = new ArrayList<>(), prefixes = new ArrayList<>();
        boolean allKnown = true;
        try {
            for (InetAddress a : config.lanAddresses()) {
                DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET);
                channels.add(ch);
                try {
                    ch.bind(new InetSocketAddress(a, config.port()));
                } catch (BindException e) {
                    throw new IOException("cannot bind NAT-PMP/PCP on " + a.getHostAddress() + ":" + config.port() + " ("
                            + e.getMessage() + "): is another NAT-PMP/PCP server (miniupnpd) running?", e);
                }
                ch.configureBlocking(false);
                int prefix = onInterface(ch, a);
                allKnown &= prefix >= 0;
                nets.add(Inet4.parseAddr(a.getHostAddress()));
                prefixes.add(prefix);
                ch.register(selector, SelectionKey.OP_READ);
            }
        } catch (IOException | RuntimeException e) {
            closeAll();
            throw e;
        }
        int known = allKnown ? nets.size() : 0; // a subnet unknown: no source is held off-link
        subnets = new int[known];
        masks = new int[known];
        for (int i = 0; i < subnets.length; i++) {
            masks[i] = prefixes.get(i) == 0 ? 0 : -1 << (32 - prefixes.get(i));
            subnets[i] = nets.get(i) & masks[i];
        }
        log.info("[*] natpmp and pcp on " + localAddresses() + (config.allowThirdParty() ? ", third party allowed" : ""));
        running = true;
        thread = Thread.ofPlatform().daemon().name("portmap").start(this::run);
        announce();
    }

    /**
     * Announcements go out of the address's own interface; returns its prefix length there, or -1
     * when the interface is unknown.
     */
    private static int onInterface(DatagramChannel ch, InetAddress a) throws IOException {
        NetworkInterface nif = NetworkInterface.getByInetAddress(a);
        if (nif == null) return -1;
        if (nif.supportsMulticast()) ch.setOption(StandardSocketOptions.IP_MULTICAST_IF, nif);
        for (InterfaceAddress ia : nif.getInterfaceAddresses()) {
            if (ia.getAddress().equals(a)) return ia.getNetworkPrefixLength();
        }
        return -1;
    }

    /**
     * Starts a round of unsolicited announcements from every LAN address: PCP's ANNOUNCE and
     * NAT-PMP's external address, with the epoch, so that clients map again after a restart (the
     * epoch restarted) or an address change. A round already going starts over.
     */
    public void announce() {
        announceRequested.set(true);
        Selector s = selector;
        if (s != null) s.wakeup();
    }

    private void run() {
        long next = 0, interval = 0;
        int left = 0;
        while (running) {
            try {
                long now = System.nanoTime();
                if (announceRequested.getAndSet(false)) {
                    left = ANNOUNCE_ROUNDS;
                    next = now;
                    interval = FIRST_ANNOUNCE_INTERVAL_NANOS;
                }
                if (left > 0 && now - next >= 0) {
                    sendAnnouncements(left == ANNOUNCE_ROUNDS);
                    left--;
                    next = now + interval;
                    interval *= 2;
                }
                selector.select(left > 0 ? Math.max(1, (next - now) / 1_000_000) : 0);
                for (SelectionKey k : selector.selectedKeys()) drain((DatagramChannel) k.channel());
                selector.selectedKeys().clear();
            } catch (ClosedSelectorException e) {
                return;
            } catch (IOException | RuntimeException e) {
                if (!running) return;
                counters.countError();
                if (log.packetLineAllowed()) log.warn("[!] natpmp/pcp: " + e);
            }
        }
    }

    private void drain(DatagramChannel ch) throws IOException {
        for (int i = 0; i < MAX_PER_WAKEUP; i++) {
            in.clear();
            SocketAddress from = ch.receive(in);
            if (from == null) return;
            in.flip();
            serve(ch, (InetSocketAddress) from);
        }
    }

    private void serve(DatagramChannel ch, InetSocketAddress from) {
        if (!(from.getAddress() instanceof Inet4Address a)) {
            counters.countOffLink();
            return;
        }
        byte[] b = a.getAddress();
        int source = (b[0] & 0xFF) << 24 | (b[1] & 0xFF) << 16 | (b[2] & 0xFF) << 8 | (b[3] & 0xFF);
        if (!onLink(source)) {
            counters.countOffLink();
            return;
        }
        if (!limiter.allow(source, System.nanoTime())) {
            counters.countRateLimited();
            return;
        }
        out.clear();
        PortMapResponder.Reply r;
        try {
            r = responder.answer(in, source, out);
        } catch (RuntimeException e) { // the mapper's, say: the client will ask again
            counters.countError();
            if (log.packetLineAllowed()) log.warn("[!] natpmp/pcp: request from " + Inet4.format(source) + " failed: " + e);
            return;
        }
        counters.count(r);
        out.flip();
        if (r.outcome() != PortMapResponder.Outcome.DROPPED && out.hasRemaining()) {
            try {
                ch.send(out, from);
            } catch (IOException e) {
                counters.countError();
            }
        }
        if (r.line() != null && log.packetLineAllowed()) {
            log.info(switch (r.outcome()) {
                case GRANTED -> "[+] ";
                case DELETED -> "[-] ";
                default -> "[x] ";
            } + r.line());
        }
    }

    private boolean onLink(int source) {
        if (subnets.length == 0) return true;
        for (int i = 0; i < subnets.length; i++) if ((source & masks[i]) == subnets[i]) return true;
        return false;
    }

    private void sendAnnouncements(boolean first) {
        long epoch = handler.epoch();
        int ext = handler.externalAddress();
        NatPmp.Result r = ext == 0 ? NatPmp.Result.NETWORK_FAILURE : NatPmp.Result.SUCCESS;
        counters.countAnnouncement();
        for (DatagramChannel ch : channels) {
            try {
                out.clear();
                PcpCodec.encodeAnnounce(epoch, out);
                ch.send(out.flip(), config.announceTo());
                out.clear();
                NatPmpCodec.encodeResponse(new NatPmp.ExternalAddressResponse(r, epoch, ext), out);
                ch.send(out.flip(), config.announceTo());
            } catch (IOException e) {
                counters.countError();
                if (first) log.warn("[!] natpmp/pcp: cannot announce to " + config.announceTo() + ": " + e.getMessage());
            }
        }
    }

    /** Stops the thread and closes every socket. Idempotent. */
    public void stop() {
        Thread t;
        synchronized (this) {
            running = false;
            t = thread;
        }
        Selector s = selector;
        if (s != null) s.wakeup();
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closeAll();
    }

    @Override
    public void close() {
        stop();
    }

    private synchronized void closeAll() {
        for (DatagramChannel ch : channels) {
            try {
                ch.close();
            } catch (IOException e) {
                // closing: nothing left to do with it
            }
        }
        try {
            if (selector != null) selector.close();
        } catch (IOException e) {
            // as above
        }
    }

    /** The bound socket addresses, in the order of the configured LAN addresses (the port when 0 was asked). */
    public synchronized List<InetSocketAddress> localAddresses() throws IOException {
        List<InetSocketAddress> l = new ArrayList<>();
        for (DatagramChannel ch : channels) l.add((InetSocketAddress) ch.getLocalAddress());
        return l;
    }

    public PortMapCounters counters() {
        return counters;
    }

    /** The thread runs (false before start, after stop). */
    public boolean running() {
        Thread t = thread;
        return running && t != null && t.isAlive();
    }
}
