package org.conenatd.dataplane;

import org.conenatd.nftables.NfTables;
import org.conenatd.nftables.NftMap;
import org.conenatd.nftables.NftMaps;
import org.conenatd.nftables.ScriptedNfTables;
import org.conenatd.sys.Errno;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The one element writer: entries stand or fall together, refusals are reported, nothing stays staged. */
class MapWriterTest {
    private final ScriptedNfTables kernel = new ScriptedNfTables();
    private final MapWriter w = new MapWriter(new NftMaps(kernel.transport, "conenatd"));
    private static final NftMap IN = NftMap.inbound("in_udp");

    private void stage(int entries) {
        for (int i = 0; i < entries; i++) {
            w.entry();
            w.removeIfPresent(IN, 0, 20000 + i);
            w.add(IN, 0, 20000 + i, 0x0a000065, 5000 + i);
        }
    }

    @Test
    void aCommittedBatchIsOneTransaction() {
        stage(3);
        assertEquals(0, w.commit((e, x) -> fail("refused " + e)));
        assertEquals(1, kernel.transport.sent.size());
        assertEquals(0, w.entries(), "nothing stays staged");
    }

    @Test
    void anErrorNamingNoElementIsResolvedEntryByEntry() {
        kernel.refuse = NfTables.NFT_MSG_NEWSETELEM;
        kernel.refuseErrno = Errno.ENOMEM;
        stage(3);
        List<Integer> refused = new ArrayList<>();
        assertEquals(3, w.commit((e, x) -> refused.add(e)));
        assertEquals(List.of(0, 1, 2), refused);
        assertEquals(4, kernel.transport.sent.size(), "the batch, then each entry alone");
    }

    @Test
    void aMissingTableRefusesTheWholeBatchAtOnce() {
        kernel.refuse = NfTables.NFT_MSG_NEWSETELEM;
        kernel.refuseErrno = Errno.ENOENT; // deleted under a watched table: a rebuild is coming
        stage(3);
        assertEquals(3, w.commit((e, x) -> assertEquals(Errno.ENOENT, x.errno())));
        assertEquals(1, kernel.transport.sent.size(), "no entry would do better alone");
    }

    @Test
    void aRefusedCallbackMayNotStageOrCommit() {
        kernel.refuse = NfTables.NFT_MSG_NEWSETELEM;
        kernel.refuseErrno = Errno.ENOENT;
        stage(1);
        assertThrows(IllegalStateException.class, () -> w.commit((e, x) -> w.entry()));
        assertEquals(0, w.entries(), "and the writer is usable again");
        kernel.refuse = -1;
        stage(1);
        assertEquals(0, w.commit((e, x) -> fail()));
    }
}
