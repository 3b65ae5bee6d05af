package org.conenatd.nftables.expr;

import org.conenatd.netlink.Encoder;

import static org.conenatd.nftables.NfTables.*;

/**
 * nft's own {@code queue num <n> [bypass]} (CONFIG_NFT_QUEUE): the packet to an NFQUEUE listener.
 * Kernels built without it still have the xtables target ({@link Target#nfqueue}).
 */
public record Queue(int num, int total, boolean bypass) implements Expr {
    @Override public String name() { return "queue"; }

    @Override
    public void encodeData(Encoder e) {
        e.u16be(NFTA_QUEUE_NUM, num);
        e.u16be(NFTA_QUEUE_TOTAL, total);
        e.u16be(NFTA_QUEUE_FLAGS, bypass ? NFT_QUEUE_FLAG_BYPASS : 0);
    }
}
