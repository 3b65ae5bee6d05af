package org.conenatd.portmap.upnp;

import org.conenatd.portmap.RateLimiter;
import org.conenatd.ops.Log;
import org.conenatd.portmap.upnp.SsdpMessages.Advert;
import org.conenatd.portmap.upnp.SsdpMessages.Search;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * SSDP on the LAN side: one socket bound to 239.255.255.250 on the SSDP port that joins the group on
 * the LAN interfaces only, and one sending socket per LAN address (so a reply's source is the
 * address its LOCATION names, and NOTIFYs leave through that interface with TTL 2). Searches are
 * multicast only (UDA 1.0 has no unicast M-SEARCH). Java does not tell which interface a datagram
 * came in on, so the LAN address answered with is the one whose subnet holds the sender, as
 * miniupnpd does; a sender in no LAN subnet is not answered at all. NOTIFY ssdp:alive at start and
 * every 14 to 15 minutes (under half of max-age 1800, UDA 1.0 1.1.2), ssdp:byebye at stop.
 */
final class Ssdp implements AutoCloseable {
    static final int SEARCHES_PER_SECOND = 5, SEARCH_BURST = 10;
    private static final int MAX_PENDING = 256;
    private static final long ANNOUNCE_MIN_S = 840, ANNOUNCE_JITTER_S = 60;

    private final List<LanAddress> lan;
    private final DeviceIds ids;
    private final UpnpCounters counters;
    private final Log log;
    private final Function<LanAddress, String> location;
    private final DatagramChannel listener;
    private final Map<LanAddress, DatagramChannel> senders = new LinkedHashMap<>();
    private final InetSocketAddress group;
    private final RateLimiter limiter = new RateLimiter(SEARCHES_PER_SECOND, SEARCH_BURST);
    private final ScheduledThreadPoolExecutor timer;
    private final Thread receiver;
    private volatile boolean open = true;

    /** {@code port} is 1900 but for tests; {@code location} gives the description URL for a LAN address. */
    Ssdp(List<LanAddress> lan, int port, Function<LanAddress, String> location, DeviceIds ids,
         UpnpCounters counters, Log log) throws IOException {
        this.lan = List.copyOf(lan);
        this.location = location;
        this.ids = ids;
        this.counters = counters;
        this.log = log;
        InetAddress groupAddress = InetAddress.getByName(SsdpMessages.GROUP);
        DatagramChannel l = DatagramChannel.open(StandardProtocolFamily.INET);
        try {
            l.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            // bound to the group, not the wildcard: no unicast datagram, to the WAN address or any
            // other, reaches this socket; multicast does where a LAN interface joined
            l.bind(new InetSocketAddress(groupAddress, port));
            Set<NetworkInterface> joined = new LinkedHashSet<>();
            for (LanAddress a : this.lan) {
                if (!joined.add(a.nif())) continue;
                try {
                    l.join(groupAddress, a.nif());
                } catch (IOException | UnsupportedOperationException e) {
                    log.warn("[!] upnp: cannot join " + SsdpMessages.GROUP + " on " + a.nif().getName() + ": " + e.getMessage()
                            + "; clients there must be told the description URL");
                }
            }
            for (LanAddress a : this.lan) {
                DatagramChannel s = DatagramChannel.open(StandardProtocolFamily.INET);
                senders.put(a, s);
                s.setOption(StandardSocketOptions.IP_MULTICAST_IF, a.nif());
                s.setOption(StandardSocketOptions.IP_MULTICAST_TTL, 2);
                s.bind(new InetSocketAddress(a.address(), 0));
            }
        } catch (IOException | RuntimeException e) {
            l.close();
            for (DatagramChannel s : senders.values()) s.close();
            throw e;
        }
        this.listener = l;
        this.group = new InetSocketAddress(groupAddress, ((InetSocketAddress) l.getLocalAddress()).getPort());
        this.timer = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().daemon().name("upnp-ssdp-send").factory());
        this.receiver = Thread.ofPlatform().daemon().name("upnp-ssdp").unstarted(this::receive);
    }

    /** The port searches are read on (the one asked for, or the kernel's pick for 0). */
    int port() {
        return group.getPort();
    }

    void start() {
        receiver.start();
        timer.execute(this::announce);
    }

    private void announce() {
        for (Map.Entry<LanAddress, DatagramChannel> e : senders.entrySet()) {
            String loc = location.apply(e.getKey());
            for (Advert a : SsdpMessages.adverts(ids)) send(e.getValue(), SsdpMessages.alive(a, loc), group);
        }
        if (open) {
            long next = ANNOUNCE_MIN_S + ThreadLocalRandom.current().nextLong(ANNOUNCE_JITTER_S);
            timer.schedule(this::announce, next, TimeUnit.SECONDS);
        }
    }

    private void receive() {
        ByteBuffer buf = ByteBuffer.allocate(2048);
        while (open) {
            SocketAddress from;
            buf.clear();
            try {
                from = listener.receive(buf);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (open && log.packetLineAllowed()) log.warn("[!] upnp: SSDP receive: " + e.getMessage());
                continue;
            }
            if (from instanceof InetSocketAddress peer && peer.getAddress() instanceof Inet4Address a) {
                handle(buf.array(), buf.position(), peer, LanAddress.toInt(a));
            }
        }
    }

    private void handle(byte[] data, int length, InetSocketAddress peer, int ip) {
        LanAddress l = LanAddress.forPeer(lan, ip);
        if (l == null || peer.getPort() == 0) {
            counters.ssdpIgnored.increment();
            return;
        }
        Search s = SsdpMessages.parseSearch(data, length);
        if (s == null) return; // NOTIFYs of other devices, mostly
        if (!limiter.allow(ip)) {
            counters.ssdpIgnored.increment();
            return;
        }
        List<Advert> answers = SsdpMessages.matching(s.st(), ids);
        if (answers.isEmpty()) return;
        counters.ssdpSearches.increment();
        if (timer.getQueue().size() >= MAX_PENDING) {
            counters.ssdpIgnored.increment();
            return;
        }
        // UDA: reply within MX seconds, at a random point; conenatd is one device, so within half a second
        long delay = s.mx() <= 0 ? 0 : ThreadLocalRandom.current().nextLong(Math.min(s.mx(), 1) * 500L);
        DatagramChannel out = senders.get(l);
        String loc = location.apply(l);
        try {
            timer.schedule(() -> {
                ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
                for (Advert a : answers) send(out, SsdpMessages.reply(a, loc, now), peer);
            }, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private void send(DatagramChannel ch, String message, InetSocketAddress to) {
        try {
            ch.send(ByteBuffer.wrap(message.getBytes(StandardCharsets.US_ASCII)), to);
            counters.ssdpSent.increment();
        } catch (IOException e) {
            if (open && log.packetLineAllowed()) log.warn("[!] upnp: SSDP send to " + to + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        if (!open) return;
        open = false;
        // no interrupt: a sender interrupted in the middle of a send closes its channel (an
        // interruptible channel does), and the byebye below would go nowhere
        timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        timer.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        timer.shutdown();
        try {
            timer.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (DatagramChannel s : senders.values()) {
            for (Advert a : SsdpMessages.adverts(ids)) send(s, SsdpMessages.byebye(a), group);
        }
        try {
            listener.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (DatagramChannel s : senders.values()) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        try {
            receiver.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
