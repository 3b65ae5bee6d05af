package org.conenatd.nftables;

import org.conenatd.netlink.FakeTransport;
import org.conenatd.netlink.MessageReader;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * A scripted nf_tables kernel behind a {@link FakeTransport}: it commits every batch (ACKs its end)
 * unless a message of the type a test chose to refuse is in it, which gets that errno instead,
 * as the kernel answers a failed transaction. It also counts the element messages by type.
 */
public final class ScriptedNfTables {
    public final FakeTransport transport = new FakeTransport();
    /** The nf_tables message type refused (-1: none), and with which errno. */
    public int refuse = -1, refuseErrno;
    /** Messages seen per nf_tables message type (low byte), committed or not. */
    public final int[] seen = new int[256];

    public ScriptedNfTables() {
        transport.respondWith(this::answer);
    }

    private List<byte[]> answer(byte[] datagram) {
        MemorySegment s = Arena.ofAuto().allocate(datagram.length);
        MemorySegment.copy(datagram, 0, s, ValueLayout.JAVA_BYTE, 0, datagram.length);
        MessageReader r = new MessageReader().wrap(s, 0, datagram.length);
        List<byte[]> out = new ArrayList<>();
        boolean failed = false;
        int endSeq = 0;
        while (r.next()) {
            if (r.type() == NfTables.NFNL_MSG_BATCH_END) endSeq = r.seq();
            else if ((r.type() >> 8) == NfTables.NFNL_SUBSYS_NFTABLES) {
                seen[r.type() & 0xff]++;
                if ((r.type() & 0xff) == refuse) {
                    out.add(FakeTransport.errorAnswer(r.seq(), refuseErrno, 0));
                    failed = true;
                }
            }
        }
        if (!failed && endSeq != 0) out.add(FakeTransport.errorAnswer(endSeq, 0, 0)); // the ACK of a committed batch
        return out;
    }
}
