package org.conenatd.dataplane;

import org.conenatd.netlink.NetlinkException;
import org.conenatd.ops.Log;

/**
 * A queue thread's loop, shared by the data planes: one batch per {@link #cycle}; a failed cycle is
 * logged, every packet it still held is given a verdict by {@link #rescue} (a queued packet must
 * never wait in the kernel for an answer that will not come), and the loop pauses before the next.
 */
public abstract class QueueWorker implements Runnable {
    protected final Log log;
    private volatile boolean running = true;

    protected QueueWorker(Log log) {
        this.log = log;
    }

    public void stop() {
        running = false;
    }

    @Override
    public final void run() {
        while (running) {
            try {
                cycle();
            } catch (NetlinkException | RuntimeException e) {
                log.error("[!] queue: " + (e instanceof NetlinkException ? e.getMessage() : "unexpected " + e));
                rescue();
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** Receives one batch (waiting up to the socket's timeout) and answers all of it. */
    protected abstract void cycle() throws NetlinkException;

    /** After a failed cycle: lets every packet of the batch without a verdict go on. */
    protected abstract void rescue();
}
