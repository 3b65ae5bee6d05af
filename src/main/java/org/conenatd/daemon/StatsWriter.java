package org.conenatd.daemon;

import org.conenatd.ops.Counters;
import org.conenatd.ops.Log;

import java.io.IOException;
import java.nio.file.Path;

/** Rewrites the stats file from the counter registry every interval, and once more at the end. */
final class StatsWriter implements Runnable {
    private final Counters counters;
    private final Path file;
    private final int intervalMs;
    private final Log log;
    private volatile boolean running = true;

    StatsWriter(Counters counters, Path file, int intervalMs, Log log) {
        this.counters = counters;
        this.file = file;
        this.intervalMs = intervalMs;
        this.log = log;
    }

    @Override
    public void run() {
        while (running) {
            write();
            try {
                Thread.sleep(intervalMs);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    void stop() {
        running = false;
    }

    /** Writes the counters now (also the last time, once everything else has stopped). */
    synchronized void write() {
        try {
            counters.writeTo(file);
        } catch (IOException e) {
            log.warn("[!] cannot write stats file " + file + ": " + e.getMessage());
        }
    }
}
