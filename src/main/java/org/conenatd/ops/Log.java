package org.conenatd.ops;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * Operator-facing log lines. In the foreground they go to stderr with a timestamp; as a daemon to
 * syslog (/dev/log), since there is no terminal. Per-packet lines are rate-limited so a flood of
 * inbound flows cannot turn logging into the bottleneck; what was suppressed is counted and said.
 */
public final class Log {
    public enum Level { QUIET, INFO, DEBUG }

    private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

    private final Level level;
    private final boolean syslog;
    private final int perSecond;
    private final Syslog syslogSocket;
    private long windowStart;
    private int windowCount;
    private long suppressed;

    private final java.io.PrintStream file;

    public Log(Level level, boolean syslog, int perSecond) {
        this(level, syslog, perSecond, null);
    }

    /** With {@code file} non-null, lines are appended there instead of going to stderr or syslog. */
    public Log(Level level, boolean syslog, int perSecond, java.io.PrintStream file) {
        this.level = level;
        this.syslog = syslog && file == null;
        this.perSecond = perSecond;
        this.file = file;
        this.syslogSocket = this.syslog ? new Syslog() : null;
    }

    /** False when running detached with neither syslog nor a log file: nothing would be seen. */
    public boolean hasOutput() {
        return file != null || !syslog || syslogSocket.connected();
    }

    public Level level() { return level; }
    public boolean debugEnabled() { return level == Level.DEBUG; }

    /** Mapping changes and lifecycle: shown unless quiet. */
    public void info(String msg) {
        if (level != Level.QUIET) write(6, msg);
    }

    /** Problems: always shown. */
    public void warn(String msg) {
        write(4, msg);
    }

    public void error(String msg) {
        write(3, msg);
    }

    public void debug(String msg) {
        if (level == Level.DEBUG) write(7, msg);
    }

    /** True if a per-packet line may be written now (rate-limited unless debugging). */
    public synchronized boolean packetLineAllowed() {
        if (level == Level.QUIET) return false;
        if (level == Level.DEBUG) return true;
        long now = System.nanoTime();
        if (now - windowStart > 1_000_000_000L) {
            if (suppressed > 0) {
                write(6, "[i] " + suppressed + " more inbound decision lines suppressed (limit " + perSecond + "/s)");
                suppressed = 0;
            }
            windowStart = now;
            windowCount = 0;
        }
        if (windowCount < perSecond) {
            windowCount++;
            return true;
        }
        suppressed++;
        return false;
    }

    private synchronized void write(int severity, String msg) {
        if (syslog) {
            syslogSocket.send(severity, msg);
            return;
        }
        (file != null ? file : System.err).println(LocalDateTime.now().format(TS) + " " + msg);
    }
}
