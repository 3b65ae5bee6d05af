package org.conenatd.dataplane.kernel;

import org.conenatd.nat.Endpoint;
import org.conenatd.nat.Protocol;
import org.conenatd.ops.AllocationLog;

import java.util.function.IntSupplier;

/**
 * Kernel mode's side of the allocation log: a record for each public port committed to a LAN
 * endpoint and for each taken back, with the external address the WAN interface has (read at
 * most once a second: allocations come by the thousand). Called with the mappings' lock held.
 */
final class AllocationRecords {
    private final AllocationLog log;
    private final IntSupplier externalAddress;
    private int address;
    private long readAt = Long.MIN_VALUE / 2;

    AllocationRecords(AllocationLog log, IntSupplier externalAddress) {
        this.log = log;
        this.externalAddress = externalAddress;
    }

    private int address() {
        long now = System.nanoTime();
        if (now - readAt > 1_000_000_000L) {
            address = externalAddress.getAsInt();
            readAt = now;
        }
        return address;
    }

    void given(Protocol p, int port, long ep) {
        log.record("allocate", p.label, Endpoint.ip(ep), Endpoint.port(ep), address(), port);
    }

    void taken(Protocol p, int port, long ep) {
        log.record("release", p.label, Endpoint.ip(ep), Endpoint.port(ep), address(), port);
    }

    void flush() { log.flush(); }

    void reopen() { log.reopen(); }

    void close() { log.close(); }
}
