package org.conenatd.dataplane.kernel;

import org.conenatd.nat.AddressPool;
import org.conenatd.nat.Endpoint;
import org.conenatd.nat.External;
import org.conenatd.nat.Protocol;
import org.conenatd.ops.AllocationLog;

import java.util.function.IntSupplier;

/**
 * Kernel mode's side of the allocation log: a record for each external address and port committed
 * to a LAN endpoint and for each taken back, or with port blocks one for each block given to a
 * host and taken back instead. Without a pool the external address is the one the WAN interface
 * has (read at most once a second: allocations come by the thousand). Called with the mappings'
 * lock held.
 */
final class AllocationRecords {
    private final AllocationLog log;
    private final IntSupplier interfaceAddress;
    private final AddressPool pool;
    private final boolean blocks;
    private int address;
    private long readAt = Long.MIN_VALUE / 2;

    AllocationRecords(AllocationLog log, IntSupplier interfaceAddress, AddressPool pool, boolean blocks) {
        this.log = log;
        this.interfaceAddress = interfaceAddress;
        this.pool = pool;
        this.blocks = blocks;
    }

    private int address(int index) {
        if (pool.pooled()) return pool.address(index);
        long now = System.nanoTime();
        if (now - readAt > 1_000_000_000L) {
            address = interfaceAddress.getAsInt();
            readAt = now;
        }
        return address;
    }

    void given(Protocol p, int external, long ep) {
        if (!blocks) log.record("allocate", p.label, Endpoint.ip(ep), Endpoint.port(ep), address(External.index(external)), External.port(external));
    }

    void taken(Protocol p, int external, long ep) {
        if (!blocks) log.record("release", p.label, Endpoint.ip(ep), Endpoint.port(ep), address(External.index(external)), External.port(external));
    }

    void block(boolean given, Protocol p, int host, int index, int first, int last) {
        log.block(given ? "block-allocate" : "block-release", p.label, host, address(index), first, last);
    }

    void flush() { log.flush(); }

    void reopen() { log.reopen(); }

    void close() { log.close(); }
}
