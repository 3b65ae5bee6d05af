package org.conenatd.dataplane.kernel;

import org.conenatd.nat.Protocol;
import org.conenatd.ops.Log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;

/**
 * A write-ahead journal of kernel mode's mappings, on tmpfs, so that a restart after {@code kill -9}
 * need not dump the maps: the kernel's set dump re-walks the set from its start for every 32 KiB
 * message, so reading 2,000,000 elements costs it minutes of CPU (measured: 100 k mappings 3 s,
 * 1 M 137 s), where replaying this file takes a fraction of a second.
 *
 * <p>Records of 16 bytes (kind, protocol, external, endpoint), appended in batches: an allocation's
 * record is written before its elements are committed, a release's after its elements are gone,
 * so the journal always holds every mapping the maps hold (and perhaps, after a crash between the
 * two, a mapping the maps lack, which the next first packet repairs and expiry removes). A header
 * names the table's handle and the configuration: a journal of another table (rebuilt, replaced,
 * made by another configuration) is not used, and the maps are dumped instead. The file is
 * rewritten compact when it has grown to twice its live records. Any I/O error turns it off (one
 * line): the next start dumps the maps, as without it.
 *
 * <p>Used under the mappings' lock; one writer.
 */
final class Journal implements AutoCloseable {
    static final long MAGIC = 0x636f6e656e617464L; // "conenatd"
    static final int VERSION = 1, HEADER = 32, RECORD = 16;
    static final byte ADD = 1, REMOVE = 2;

    /** A journal's first 32 bytes: magic, version, the table's handle, the configuration's fingerprint. */
    record Header(long handle, long fingerprint) {}

    /** One replayed record. */
    interface Sink {
        void record(boolean add, Protocol p, int external, long endpoint);
    }

    private final Path path;
    private final Log log;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024).order(ByteOrder.LITTLE_ENDIAN);
    private FileChannel ch;
    private long appended; // records since the last rewrite
    private boolean failed;

    Journal(Path path, Log log) {
        this.path = path;
        this.log = log;
    }

    Path path() { return path; }

    /** The journal of this network namespace's kernel-mode instance: tmpfs, so it goes with a reboot, as the table does. */
    static Path defaultPath() {
        String ns;
        try {
            ns = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString().replaceAll("[^0-9]", "");
        } catch (IOException | UnsupportedOperationException e) {
            ns = "0";
        }
        return Path.of("/run/conenatd", "kernel-" + ns + ".journal");
    }

    /** What identifies the mappings' meaning: ports, protocols, pool and blocks. */
    static long fingerprint(KernelConfig cfg) {
        long h = 1125899906842597L;
        long protocols = 0; // by number: an enum's hashCode differs from one JVM to the next
        for (Protocol p : cfg.protocols()) protocols = protocols * 256 + p.number;
        long[] parts = {VERSION, cfg.firstPort(), cfg.lastPort(), cfg.pool().portBlock(), protocols,
                java.util.Arrays.hashCode(cfg.pool().addresses())};
        for (long v : parts) h = 31 * h + v;
        return h;
    }

    /**
     * Replays the journal into {@code sink} if its header says {@code expected}; returns the
     * records read, or -1 if there is no usable journal (none, another table's, unreadable).
     */
    static long replay(Path path, Header expected, Sink sink) {
        try (FileChannel in = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            b.limit(HEADER);
            while (b.hasRemaining()) if (in.read(b) < 0) return -1;
            b.flip();
            if (b.getLong() != MAGIC || b.getInt() != VERSION) return -1;
            b.getInt();
            if (b.getLong() != expected.handle() || b.getLong() != expected.fingerprint()) return -1;
            long n = 0;
            b.clear();
            while (in.read(b) > 0 || b.position() > 0) {
                b.flip();
                while (b.remaining() >= RECORD) {
                    byte kind = b.get(), proto = b.get();
                    short check = b.getShort();
                    int external = b.getInt();
                    long endpoint = b.getLong();
                    if ((kind != ADD && kind != REMOVE) || check != check(kind, proto, external, endpoint) || proto < 0
                            || proto >= Protocol.count()) {
                        return n; // a torn or foreign tail: what came before stands
                    }
                    sink.record(kind == ADD, Protocol.byOrdinal(proto), external, endpoint);
                    n++;
                }
                if (b.remaining() > 0 && in.position() == in.size()) return n; // a partial last record
                b.compact();
            }
            return n;
        } catch (IOException e) {
            return -1;
        }
    }

    private static short check(byte kind, byte proto, int external, long endpoint) {
        long h = (kind * 31L + proto) * 0x9E3779B97F4A7C15L ^ external * 0xC2B2AE3D27D4EB4FL ^ endpoint;
        return (short) (h ^ (h >>> 16) ^ (h >>> 32) ^ (h >>> 48));
    }

    /**
     * Starts a fresh journal for table {@code header}, holding every mapping {@code each} visits
     * (written to a new file, then renamed over the old: a crash leaves one or the other).
     */
    void rewrite(Header header, Consumer<Sink> each) {
        if (failed) return;
        try {
            closeChannel();
            // root's only, as the control socket's directory: it names every LAN endpoint
            Files.createDirectories(path.getParent(), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            Path tmp = path.resolveSibling(path.getFileName() + ".new");
            try (FileChannel out = FileChannel.open(tmp, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")))) {
                ch = out;
                buf.clear();
                buf.putLong(MAGIC).putInt(VERSION).putInt(0).putLong(header.handle()).putLong(header.fingerprint());
                each.accept((add, p, x, ep) -> append(ADD, p, x, ep));
                flush();
            } finally {
                ch = null;
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            ch = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            appended = 0;
        } catch (IOException e) {
            fail(e);
        }
    }

    void added(Protocol p, int external, long endpoint) { append(ADD, p, external, endpoint); }

    void removed(Protocol p, int external, long endpoint) { append(REMOVE, p, external, endpoint); }

    private void append(byte kind, Protocol p, int external, long endpoint) {
        if (failed || ch == null) return;
        if (buf.remaining() < RECORD) flush();
        byte proto = (byte) p.ordinal();
        buf.put(kind).put(proto).putShort(check(kind, proto, external, endpoint)).putInt(external).putLong(endpoint);
        appended++;
    }

    /** Writes what is buffered: before the elements of new mappings are committed. */
    void flush() {
        if (failed || ch == null || buf.position() == 0) return;
        buf.flip();
        try {
            while (buf.hasRemaining()) ch.write(buf);
        } catch (IOException e) {
            fail(e);
        } finally {
            buf.clear();
        }
    }

    /** Whether the file has grown past twice the {@code live} mappings it stands for (and 65,536 records). */
    boolean wantsRewrite(long live) { return !failed && ch != null && appended > 2 * live + 65_536; }

    private void fail(IOException e) {
        failed = true;
        log.warn("[!] mapping journal " + path + ": " + e.getMessage() + "; off until the next start, which will read the maps instead");
        closeChannel();
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // a journal that cannot be deleted names a table handle: a new table never matches it
        }
    }

    private void closeChannel() {
        try {
            if (ch != null) ch.close();
        } catch (IOException ignored) {
            // nothing buffered is lost that the maps do not have
        }
        ch = null;
    }

    /** Stops journaling; with {@code delete} (a clean stop, whose table goes) the file goes too. */
    void close(boolean delete) {
        flush();
        closeChannel();
        if (delete) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException ignored) {
                // its table handle matches no table once the table is gone
            }
        }
    }

    @Override
    public void close() { close(false); }

    /** Rewrites {@code m}'s journal for its table as it is now, holding every mapping (lock held). */
    static void rewriteFor(Mappings m, Log log) {
        Journal j = m.journal;
        if (j == null) return;
        try {
            org.conenatd.nftables.NftMaps.TableInfo t = m.maps().tableInfo();
            if (t == null) return;
            j.rewrite(new Header(t.handle(), fingerprint(m.cfg())), sink -> {
                for (Protocol p : m.cfg().protocols()) m.allocator(p).forEach((x, ep) -> sink.record(true, p, x, ep));
            });
        } catch (org.conenatd.netlink.NetlinkException e) {
            log.warn("[!] mapping journal: cannot read the table's handle: " + e.getMessage());
        }
    }

    /** Compacts {@code m}'s journal if it has grown to twice what it stands for (takes the lock). */
    static void compactFor(Mappings m, Log log) {
        Journal j = m.journal;
        if (j == null || !j.wantsRewrite(m.allocated())) return;
        m.lock.lock();
        try {
            rewriteFor(m, log);
        } finally {
            m.lock.unlock();
        }
    }
}
