package org.conenatd.nat;

/**
 * The seam between the NAT core and everything that acts on its decisions: logs, counters and the
 * data planes (a plane that keeps kernel maps installs an element on MAPPED and MOVED and removes
 * it on UNMAPPED). Called on the thread that changed the table, in order; primitives only, so a
 * change costs no allocation.
 */
@FunctionalInterface
public interface MappingListener {
    /**
     * @param change   what happened
     * @param protocol the mapping's protocol
     * @param natPort  the public port
     * @param endpoint the LAN endpoint ({@link Endpoint}) whose flow count changed
     * @param flows    that endpoint's live flows on this port now
     * @param receiver the endpoint that receives unsolicited traffic to the port now, or {@link Endpoint#NONE}
     */
    void changed(MappingTable.Change change, Protocol protocol, int natPort, long endpoint, int flows, long receiver);
}
