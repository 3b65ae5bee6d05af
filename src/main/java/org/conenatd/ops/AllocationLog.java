package org.conenatd.ops;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * The allocation log of RFC 6888 REQ-12: one record per public port (or port block) given to and
 * taken back from a LAN endpoint (or host), with the time, the protocol, the LAN address and port, and the external address and
 * port; never a destination. Written as JSON lines to a file the operator names, appended, and
 * reopened on {@link #reopen} (SIGHUP, after logrotate moved it). What it answers: "who had
 * 203.0.113.1:40312 at 14:02?". Thread-safe; a write that fails is said once in the log and the
 * records are counted as lost until the file can be written again.
 */
public final class AllocationLog implements AutoCloseable {
    private final Path path;
    private final Log log;
    private BufferedWriter out;
    private boolean failing;
    private long lost;

    private AllocationLog(Path path, Log log) {
        this.path = path;
        this.log = log;
    }

    /** Opens (creates or appends to) {@code path}; the start-up error says why not. */
    public static AllocationLog open(Path path, Log log) throws StartupException {
        AllocationLog a = new AllocationLog(path, log);
        try {
            a.out = a.writer();
        } catch (IOException e) {
            throw new StartupException("cannot open the allocation log " + path + ": " + e.getMessage(), e);
        }
        return a;
    }

    private BufferedWriter writer() throws IOException {
        return Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE);
    }

    /** One record: {@code event} is "allocate" or "release"; addresses as IPv4 ints. */
    public void record(String event, String protocol, int lanIp, int lanPort, int externalIp, int externalPort) {
        write("{\"time\":\"" + Instant.now() + "\",\"event\":\"" + event + "\",\"protocol\":\"" + protocol
                + "\",\"lan_ip\":\"" + org.conenatd.inet.Inet4.format(lanIp) + "\",\"lan_port\":" + lanPort
                + ",\"external_ip\":\"" + org.conenatd.inet.Inet4.format(externalIp) + "\",\"external_port\":" + externalPort + "}\n");
    }

    /**
     * One record for a port block (RFC 7422): {@code event} is "block-allocate" or "block-release";
     * the LAN address, and the external address with the block's first and last port.
     */
    public void block(String event, String protocol, int lanIp, int externalIp, int firstPort, int lastPort) {
        write("{\"time\":\"" + Instant.now() + "\",\"event\":\"" + event + "\",\"protocol\":\"" + protocol
                + "\",\"lan_ip\":\"" + org.conenatd.inet.Inet4.format(lanIp)
                + "\",\"external_ip\":\"" + org.conenatd.inet.Inet4.format(externalIp) + "\",\"external_port_first\":" + firstPort
                + ",\"external_port_last\":" + lastPort + "}\n");
    }

    private synchronized void write(String line) {
        try {
            if (out == null) out = writer();
            out.write(line);
            if (failing) {
                failing = false;
                log.warn("[*] the allocation log " + path + " is written again (" + lost + " records lost meanwhile)");
            }
        } catch (IOException e) {
            lost++;
            if (!failing) {
                failing = true;
                log.error("[!] cannot write the allocation log " + path + ": " + e.getMessage() + "; records are lost until it can");
            }
            closeQuietly();
        }
    }

    /** Writes what is buffered: after a batch of records, and once a second. */
    public synchronized void flush() {
        try {
            if (out != null) out.flush();
        } catch (IOException e) {
            closeQuietly();
        }
    }

    /** Closes and opens the file again by name (SIGHUP): logrotate moved the old one away. */
    public synchronized void reopen() {
        flush();
        closeQuietly();
        try {
            out = writer();
            log.info("[*] allocation log " + path + " reopened");
        } catch (IOException e) {
            log.error("[!] cannot reopen the allocation log " + path + ": " + e.getMessage());
        }
    }

    private void closeQuietly() {
        try {
            if (out != null) out.close();
        } catch (IOException e) {
            // the next record opens it again
        }
        out = null;
    }

    @Override
    public synchronized void close() {
        flush();
        closeQuietly();
    }
}
