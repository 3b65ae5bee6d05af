package org.conenatd.netlink;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * A transport with no kernel behind it: it hands out the same datagrams over and over, and
 * discards what is sent (answering nothing, as the kernel answers a request without NLM_F_ACK
 * that succeeded). It drives the daemon's real code paths in the training run that builds the
 * JVM's AOT cache, where no kernel socket may be opened.
 */
public final class ReplayTransport implements NetlinkTransport {
    private final List<byte[]> datagrams;
    private final int perBurst;
    private int next, inBurst;
    private int seq = 1;
    private long sent;

    /** @param perBurst how many datagrams a run of receives gets before one reports "nothing queued" */
    public ReplayTransport(List<byte[]> datagrams, int perBurst) {
        if (datagrams.isEmpty()) throw new IllegalArgumentException("nothing to replay");
        this.datagrams = datagrams;
        this.perBurst = perBurst;
    }

    /** Bytes sent so far (the training checks the paths really ran). */
    public long sentBytes() { return sent; }

    @Override
    public String name() { return "replay"; }

    @Override
    public int nextSeq() { return ++seq == 0 ? ++seq : seq; }

    @Override
    public void send(MemorySegment buf, int len) {
        sent += len;
    }

    @Override
    public int receive(MemorySegment buf, boolean dontWait) {
        if (perBurst == 0 || ++inBurst > perBurst) {
            inBurst = 0;
            return -1;
        }
        byte[] d = datagrams.get(next);
        next = (next + 1) % datagrams.size();
        MemorySegment.copy(d, 0, buf, ValueLayout.JAVA_BYTE, 0, d.length);
        return d.length;
    }

    @Override
    public boolean awaitReadable(int timeoutMs) {
        return perBurst > 0;
    }

    @Override
    public void close() { }
}
