package org.conenatd.dataplane;

import org.conenatd.netlink.NetlinkException;
import org.conenatd.nftables.NftMap;
import org.conenatd.nftables.NftMaps;

import java.util.Arrays;

/**
 * The one writer of a plane's nft map elements, in both modes. Changes are staged in entries, the
 * elements that stand or fall together (a mapping's two elements, a port's replacement), and
 * committed in one transaction. A transaction is all or nothing; when the kernel refuses it, the
 * entry whose element it points at is dropped and reported, and the rest is committed again. An
 * error that names no element is resolved by committing the entries one at a time. Staging
 * allocates nothing once the arrays have grown to the batch size; one thread at a time (the
 * plane's lock).
 */
public final class MapWriter {
    /** Told of each entry the kernel refused; its changes did not happen. It may not stage or commit. */
    public interface Refused {
        void refused(int entry, NetlinkException why);
    }

    private static final int ADD = 0, REMOVE = 1, DESTROY = 2;

    private final NftMaps maps;
    private int[] kind = new int[64], keyAddr = new int[64], keyPort = new int[64], dataAddr = new int[64],
            dataPort = new int[64], entryOf = new int[64], order = new int[64];
    private NftMap[] map = new NftMap[64];
    private boolean[] dead = new boolean[32];
    private int ops, entries;
    private boolean committing;

    public MapWriter(NftMaps maps) {
        this.maps = maps;
    }

    public NftMaps maps() { return maps; }

    /** Starts an entry; the changes staged until the next one belong to it. Returns its index. */
    public int entry() {
        if (committing) throw new IllegalStateException("a Refused callback may not stage: the writer is committing");
        if (entries == dead.length) dead = Arrays.copyOf(dead, entries * 2);
        dead[entries] = false;
        return entries++;
    }

    public int entries() { return entries; }

    public void add(NftMap m, int kAddr, int kPort, int dAddr, int dPort) { op(ADD, m, kAddr, kPort, dAddr, dPort); }

    /** Removes an element; the kernel refuses the entry (ENOENT) if it is not there. */
    public void remove(NftMap m, int kAddr, int kPort) { op(REMOVE, m, kAddr, kPort, 0, 0); }

    /** Removes an element if it is there (NFT_MSG_DESTROYSETELEM, Linux >= 6.3). */
    public void removeIfPresent(NftMap m, int kAddr, int kPort) { op(DESTROY, m, kAddr, kPort, 0, 0); }

    private void op(int k, NftMap m, int ka, int kp, int da, int dp) {
        if (entries == 0) throw new IllegalStateException("stage an entry first");
        if (ops == kind.length) grow();
        kind[ops] = k;
        map[ops] = m;
        keyAddr[ops] = ka;
        keyPort[ops] = kp;
        dataAddr[ops] = da;
        dataPort[ops] = dp;
        entryOf[ops] = entries - 1;
        ops++;
    }

    /**
     * Commits every staged entry; those the kernel refuses are told to {@code refused} and left
     * out. Returns how many were refused. Nothing is staged afterwards.
     */
    public int commit(Refused refused) {
        if (committing) throw new IllegalStateException("a Refused callback may not commit: the writer is committing");
        committing = true;
        int lost = 0;
        try {
            while (true) {
                int staged = stageAlive(-1);
                if (staged == 0) return lost;
                try {
                    maps.commit();
                    return lost;
                } catch (NetlinkException e) {
                    int bad = maps.failedElement();
                    // the table or the map itself is gone (deleted under a watched table): no entry
                    // would do better alone, and a rebuild is coming
                    if (bad < 0 && e.errno() == org.conenatd.sys.Errno.ENOENT) return lost + allRefused(refused, e);
                    if (bad < 0 || bad >= staged) return lost + oneByOne(refused);
                    int entry = order[bad];
                    dead[entry] = true;
                    lost++;
                    refused.refused(entry, e);
                }
            }
        } finally {
            maps.discard();
            ops = entries = 0;
            committing = false;
        }
    }

    private int allRefused(Refused refused, NetlinkException e) {
        int lost = 0;
        for (int en = 0; en < entries; en++) {
            if (dead[en]) continue;
            dead[en] = true;
            lost++;
            refused.refused(en, e);
        }
        return lost;
    }

    /** The error named no element: each live entry alone. */
    private int oneByOne(Refused refused) {
        int lost = 0;
        for (int en = 0; en < entries; en++) {
            if (dead[en]) continue;
            stageAlive(en);
            try {
                maps.commit();
            } catch (NetlinkException e) {
                dead[en] = true;
                lost++;
                refused.refused(en, e);
            }
        }
        return lost;
    }

    /** Stages the live entries' changes (or only entry {@code only}), noting each element's entry; returns how many. */
    private int stageAlive(int only) {
        maps.discard();
        int n = 0;
        for (int i = 0; i < ops; i++) {
            int en = entryOf[i];
            if (dead[en] || (only >= 0 && en != only)) continue;
            switch (kind[i]) {
                case ADD -> maps.add(map[i], keyAddr[i], keyPort[i], dataAddr[i], dataPort[i]);
                case REMOVE -> maps.remove(map[i], keyAddr[i], keyPort[i]);
                default -> maps.removeIfPresent(map[i], keyAddr[i], keyPort[i]);
            }
            order[n++] = en;
        }
        return n;
    }

    private void grow() {
        int n = kind.length * 2;
        kind = Arrays.copyOf(kind, n);
        keyAddr = Arrays.copyOf(keyAddr, n);
        keyPort = Arrays.copyOf(keyPort, n);
        dataAddr = Arrays.copyOf(dataAddr, n);
        dataPort = Arrays.copyOf(dataPort, n);
        entryOf = Arrays.copyOf(entryOf, n);
        order = Arrays.copyOf(order, n);
        map = Arrays.copyOf(map, n);
    }
}
