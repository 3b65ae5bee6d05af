package org.conenatd.nftables.expr;

import org.conenatd.netlink.Encoder;

import static org.conenatd.nftables.NfTables.*;

/**
 * {@code bitwise reg = (reg & mask) ^ xor}: a bit test, or a mark set into place. nft names the
 * operation (NFT_BITWISE_MASK_XOR) only for the mark statement; {@code explicitOp} says whether to.
 */
public record Bitwise(int sreg, int dreg, byte[] mask, byte[] xor, boolean explicitOp) implements Expr {
    @Override public String name() { return "bitwise"; }

    @Override
    public void encodeData(Encoder e) {
        e.u32be(NFTA_BITWISE_SREG, sreg);
        e.u32be(NFTA_BITWISE_DREG, dreg);
        if (explicitOp) e.u32be(NFTA_BITWISE_OP, NFT_BITWISE_MASK_XOR);
        e.u32be(NFTA_BITWISE_LEN, mask.length);
        Expr.value(e, NFTA_BITWISE_MASK, mask);
        Expr.value(e, NFTA_BITWISE_XOR, xor);
    }
}
