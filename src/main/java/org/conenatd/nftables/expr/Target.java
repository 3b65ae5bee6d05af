package org.conenatd.nftables.expr;

import org.conenatd.netlink.Encoder;

import static org.conenatd.nftables.NfTables.*;

/**
 * An xtables target run by nft_compat, as iptables-nft encodes it: here NFQUEUE, because kernels
 * built without nft's own {@code queue} expression (CONFIG_NFT_QUEUE) still have the xtables one.
 * {@code info} is the target's struct in host order.
 */
public record Target(String target, int revision, byte[] info) implements Expr {
    /**
     * NFQUEUE revision 3 ({@code struct xt_NFQ_info_v3}: queuenum, queues_total, flags, each a
     * host-order u16, padded to 8 bytes) for one queue, with bypass: no listener means accept.
     */
    public static Target nfqueue(int queueNum, boolean bypass) {
        java.nio.ByteBuffer info = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.nativeOrder());
        info.putShort((short) queueNum).putShort((short) 1).putShort((short) (bypass ? NFQ_FLAG_BYPASS : 0)); // num, total, flags
        return new Target("NFQUEUE", 3, info.array());
    }

    @Override public String name() { return "target"; }

    @Override
    public void encodeData(Encoder e) {
        e.bytes(NFTA_TARGET_NAME, Expr.cstring(target));
        e.u32be(NFTA_TARGET_REV, revision);
        e.bytes(NFTA_TARGET_INFO, info);
    }
}
