package org.conenatd.control;

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

import java.io.IOException;
import java.net.BindException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Iterator;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The control socket: a Unix stream socket (0600, in a 0700 directory it creates) served by one
 * thread with a selector, so no client can hold a thread: each connection gets
 * {@link #READ_TIMEOUT_MS} to send one line of at most {@link ControlProtocol#MAX_REQUEST} bytes and
 * {@link #WRITE_TIMEOUT_MS} to take the answer, at most {@link #MAX_CLIENTS} at once; then it is
 * closed. Nothing a client sends can make {@link #run} throw.
 *
 * <p>Just over 300 lines, on purpose: the selector loop, the per-connection deadlines and the
 * stale-socket handling are one state machine, and splitting it would scatter its invariants.
 */
public final class ControlServer implements Runnable, AutoCloseable {
    static final long READ_TIMEOUT_MS = 2000;
    static final long WRITE_TIMEOUT_MS = 5000;
    static final int MAX_CLIENTS = 4;

    /** Another process answers on the path: a second daemon must not steal its socket. */
    public static final class InUseException extends IOException {
        InUseException(String message) {
            super(message);
        }
    }

    private final Path path;
    private final ServerSocketChannel server;
    private final Selector selector;
    private final Function<String, String> handler;
    private final Object fileKey;
    private final String owner;
    private volatile boolean running = true;
    private volatile int clients; // written by the server thread only; read by tests

    private static final class Conn {
        final ByteBuffer in = ByteBuffer.allocate(ControlProtocol.MAX_REQUEST);
        ByteBuffer out;
        long deadline;
        int scanned;

        Conn(long deadline) {
            this.deadline = deadline;
        }
    }

    private ControlServer(Path path, ServerSocketChannel server, Selector selector, Function<String, String> handler)
            throws IOException {
        this.path = path;
        this.server = server;
        this.selector = selector;
        this.handler = handler;
        this.fileKey = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        this.owner = Files.getOwner(path, LinkOption.NOFOLLOW_LINKS).getName();
    }

    /**
     * Binds {@code path}: creates its directory (0700) if missing, replaces a stale socket file a
     * dead daemon left, and refuses ({@link InUseException}) one a live process answers on.
     */
    public static ControlServer open(Path path, Function<String, String> handler) throws IOException {
        path = path.toAbsolutePath();
        Path dir = path.getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther()) {
                throw new IOException(path + " exists and is not a socket");
            }
            if (answers(path)) throw new InUseException("another process (a running conenatd?) answers on " + path);
            Files.deleteIfExists(path); // left by a daemon that died without cleaning up
        }
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        Selector sel = null;
        try {
            try {
                s.bind(UnixDomainSocketAddress.of(path), 16);
            } catch (BindException e) {
                throw new InUseException("another process bound " + path + " meanwhile");
            }
            // root only: the directory is 0700 already unless the operator chose another one
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            s.configureBlocking(false);
            sel = Selector.open();
            s.register(sel, SelectionKey.OP_ACCEPT);
            return new ControlServer(path, s, sel, handler);
        } catch (IOException | RuntimeException e) {
            s.close();
            if (sel != null) sel.close();
            Files.deleteIfExists(path);
            throw e;
        }
    }

    private static boolean answers(Path path) {
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            return probe.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    public Path path() { return path; }

    @Override
    public void run() {
        while (running) {
            try {
                selector.select(250);
                long now = System.nanoTime();
                for (Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                    SelectionKey k = it.next();
                    it.remove();
                    if (!k.isValid()) continue;
                    if (k.isAcceptable()) accept(now);
                    else serve(k, now);
                }
                expire(now);
            } catch (IOException | RuntimeException e) {
                pause(); // a failing loop must neither take the daemon down nor spin
            }
        }
    }

    private void accept(long now) {
        SocketChannel c;
        try {
            while ((c = server.accept()) != null) {
                if (clients >= MAX_CLIENTS) {
                    refuse(c, "busy: " + MAX_CLIENTS + " clients already; try again");
                } else if (!permitted(c)) {
                    refuse(c, "permission denied");
                } else {
                    c.configureBlocking(false);
                    c.register(selector, SelectionKey.OP_READ, new Conn(now + TimeUnit.MILLISECONDS.toNanos(READ_TIMEOUT_MS)));
                    clients++;
                }
            }
        } catch (IOException e) {
            pause(); // out of descriptors, say: the pending connection waits in the backlog
        }
    }

    /** Only the socket's own user (root) gets in, should the file mode ever let another one connect. */
    private boolean permitted(SocketChannel c) {
        try {
            UnixDomainPrincipal p = c.getOption(ExtendedSocketOptions.SO_PEERCRED);
            return p == null || Objects.equals(p.user().getName(), owner);
        } catch (IOException | UnsupportedOperationException e) {
            return true; // no credentials to check: the file mode is the guard
        }
    }

    private static void refuse(SocketChannel c, String why) {
        try (c) {
            c.configureBlocking(false);
            c.write(ByteBuffer.wrap((ControlProtocol.ERROR + why + "\n").getBytes(StandardCharsets.US_ASCII)));
        } catch (IOException e) {
            // it goes either way
        }
    }

    private void serve(SelectionKey k, long now) {
        Conn conn = (Conn) k.attachment();
        SocketChannel ch = (SocketChannel) k.channel();
        try {
            if (conn.out == null) read(k, conn, ch, now);
            if (conn.out != null) {
                ch.write(conn.out);
                if (!conn.out.hasRemaining()) drop(k);
            }
        } catch (IOException | RuntimeException e) {
            drop(k);
        }
    }

    private void read(SelectionKey k, Conn conn, SocketChannel ch, long now) throws IOException {
        int n = ch.read(conn.in);
        ByteBuffer in = conn.in;
        for (int i = conn.scanned; i < in.position(); i++) {
            if (in.get(i) == '\n') {
                respond(k, conn, line(in, i), now);
                return;
            }
        }
        conn.scanned = in.position();
        if (n < 0) {
            if (in.position() == 0) drop(k); // connected and left: a probe
            else respond(k, conn, line(in, in.position()), now); // a last line without its newline
        } else if (!in.hasRemaining()) {
            respond(k, conn, null, now);
        }
    }

    private static String line(ByteBuffer in, int end) {
        if (end > 0 && in.get(end - 1) == '\r') end--;
        byte[] b = new byte[end];
        in.get(0, b);
        return new String(b, StandardCharsets.ISO_8859_1); // one char per byte: the parser refuses non-ASCII
    }

    private void respond(SelectionKey k, Conn conn, String line, long now) {
        String answer;
        if (line == null) {
            answer = ControlProtocol.ERROR + "request longer than " + ControlProtocol.MAX_REQUEST + " bytes\n";
        } else {
            try {
                answer = handler.apply(line);
            } catch (RuntimeException e) {
                answer = ControlProtocol.ERROR + "internal error: " + e + "\n";
            }
        }
        conn.out = ByteBuffer.wrap(answer.getBytes(StandardCharsets.UTF_8));
        conn.deadline = now + TimeUnit.MILLISECONDS.toNanos(WRITE_TIMEOUT_MS);
        k.interestOps(SelectionKey.OP_WRITE);
    }

    /** Closes the connections past their deadline: a slow or silent client gets an error line if it can take one. */
    private void expire(long now) {
        for (SelectionKey k : selector.keys()) {
            if (!(k.attachment() instanceof Conn conn) || !k.isValid() || conn.deadline - now > 0) continue;
            if (conn.out == null) refuseQuietly((SocketChannel) k.channel());
            drop(k);
        }
    }

    private static void refuseQuietly(SocketChannel ch) {
        try {
            ch.write(ByteBuffer.wrap((ControlProtocol.ERROR + "no request line within " + READ_TIMEOUT_MS + " ms\n")
                    .getBytes(StandardCharsets.US_ASCII)));
        } catch (IOException e) {
            // closing anyway
        }
    }

    private void drop(SelectionKey k) {
        if (!k.isValid()) return;
        k.cancel();
        try {
            k.channel().close();
        } catch (IOException e) {
            // nothing left to do with it
        }
        clients--;
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Makes {@link #run} return within a select round. */
    public void stop() {
        running = false;
        selector.wakeup();
    }

    /** After {@link #run} returned: closes every connection and the socket, and removes the file if it is still ours. */
    @Override
    public void close() {
        running = false;
        for (SelectionKey k : selector.keys()) {
            try {
                k.channel().close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        try {
            selector.close();
        } catch (IOException e) {
            // closing anyway
        }
        try {
            Object now = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            if (Objects.equals(now, fileKey)) Files.deleteIfExists(path);
        } catch (IOException e) {
            // gone already
        }
    }

    /** Open connections (for tests). */
    int clients() { return clients; }
}
