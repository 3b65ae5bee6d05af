package org.conenatd.nftables.expr;

import static org.conenatd.nftables.NfTables.NFT_REG32_00;

/**
 * Register numbers as nft allocates them: a 16-byte register (1..4) for a value that starts a
 * lookup key or a NAT address, and its 4-byte parts (8 + 4 * (r - 1) + i) for the later fields of
 * a concatenation, which the kernel reads as one key.
 */
public final class Reg {
    private Reg() {}

    public static final int R1 = 1, R2 = 2;

    /** The {@code i}-th 4-byte part of 16-byte register {@code r}. */
    public static int part(int r, int i) {
        return NFT_REG32_00 + 4 * (r - 1) + i;
    }
}
