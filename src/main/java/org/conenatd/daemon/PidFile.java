package org.conenatd.daemon;

import org.conenatd.ops.StartupException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A pid file held under an exclusive lock for the daemon's lifetime, so a second instance on the
 * same file refuses to start instead of overwriting it.
 */
public final class PidFile implements AutoCloseable {
    private final Path path;
    private final FileChannel channel;
    private final FileLock lock;

    private PidFile(Path path, FileChannel channel, FileLock lock) {
        this.path = path;
        this.channel = channel;
        this.lock = lock;
    }

    /** Locks and writes the pid; the message of the exception is fit for the operator. */
    public static PidFile acquire(Path path, long pid) throws StartupException {
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new StartupException("cannot open pid file " + path + ": " + reason(e), e);
        }
        try {
            FileLock lock = ch.tryLock();
            if (lock == null) {
                String other = "";
                try {
                    other = Files.readString(path, StandardCharsets.US_ASCII).trim();
                } catch (IOException ignored) {
                    // the lock is what matters; the pid is only for the message
                }
                ch.close();
                throw new StartupException("pid file " + path + " is locked by a running conenatd"
                        + (other.isEmpty() ? "" : " (pid " + other + ")") + "; stop it first or use another -p");
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((pid + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            ch.force(false);
            return new PidFile(path, ch, lock);
        } catch (IOException e) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // already failing
            }
            throw new StartupException("cannot write pid file " + path + ": " + reason(e));
        }
    }

    private static String reason(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) return "its directory does not exist";
        if (e instanceof java.nio.file.AccessDeniedException) return "permission denied";
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) return f.getReason();
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private boolean closed;

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            Files.deleteIfExists(path);
            lock.release();
            channel.close();
        } catch (IOException ignored) {
            // shutting down: nothing better to do
        }
    }
}
