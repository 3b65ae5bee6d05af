package org.conenatd.dataplane.nft;

import org.conenatd.nat.Protocol;

import java.util.List;

/**
 * Kernel mode's settings: the WAN interface, the queue and mark bit that carry first packets of
 * new LAN endpoints to conenatd, the port pool, the hold time after a mapping's last flow, and the
 * protocols that get full cone.
 */
public record KernelConfig(String wanIf, int queueNum, int markBit, int firstPort, int lastPort,
                           int holdSeconds, List<Protocol> protocols, int queueMaxLen) {
    /** The nftables table conenatd owns; nothing else of the ruleset is touched. */
    public static final String TABLE = "conenatd";
}
