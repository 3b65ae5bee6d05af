package org.conenatd.portmap.upnp;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The HttpServer's executor: a few worker threads and a short queue. The JDK server reads a
 * request's headers and body on the executor's thread, blocking and with no timeout of its own, so
 * one client trickling bytes would hold a worker for ever. Here a watchdog interrupts any worker
 * whose exchange has run longer than the timeout: interrupting a thread blocked on a SocketChannel
 * closes that channel, which ends the exchange. A connection that finds the queue full is shed the
 * same way, at once, on the caller's thread (the server's dispatcher, which the JDK server supports
 * running exchanges on): it must be closed, since the server never closes a refused one.
 * <p>
 * Nothing that may touch the NAT runs on these threads: an interrupt would close whatever channel it
 * was using. {@link UpnpHttp} hands actions to a thread of their own.
 */
final class ExchangeExecutor implements Executor, AutoCloseable {
    private final BlockingQueue<Runnable> queue;
    private final Worker[] workers;
    private final Thread watchdog;
    private final long timeoutNanos;
    private final LongAdder shed, timedOut;
    private volatile boolean closed;

    ExchangeExecutor(int threads, int queueCapacity, long timeoutMillis, LongAdder shed, LongAdder timedOut) {
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        this.shed = shed;
        this.timedOut = timedOut;
        this.workers = new Worker[threads];
        for (int i = 0; i < threads; i++) {
            workers[i] = new Worker();
            workers[i].thread = Thread.ofPlatform().daemon().name("upnp-http-" + i).unstarted(workers[i]);
        }
        long tick = Math.max(10, Math.min(1000, timeoutMillis / 4));
        this.watchdog = Thread.ofPlatform().daemon().name("upnp-http-watchdog").unstarted(() -> watch(tick));
        for (Worker w : workers) w.thread.start();
        watchdog.start();
    }

    @Override
    public void execute(Runnable task) {
        if (closed || !queue.offer(task)) shed(task);
    }

    private void shed(Runnable task) {
        shed.increment();
        Thread t = Thread.currentThread();
        boolean wasInterrupted = t.isInterrupted();
        t.interrupt();
        try {
            task.run();
        } catch (RuntimeException e) {
            // the exchange failed on its closed channel, as intended
        } finally {
            if (!wasInterrupted) Thread.interrupted();
        }
    }

    private final class Worker implements Runnable {
        Thread thread;
        private long started;
        private boolean busy;

        @Override
        public void run() {
            while (!closed) {
                Runnable task;
                try {
                    task = queue.take();
                } catch (InterruptedException e) {
                    continue;
                }
                synchronized (this) {
                    Thread.interrupted(); // a watchdog interrupt meant for the previous exchange
                    started = System.nanoTime();
                    busy = true;
                }
                try {
                    task.run();
                } catch (RuntimeException e) {
                    // one exchange's failure; the worker serves the next
                } finally {
                    synchronized (this) {
                        busy = false;
                        Thread.interrupted();
                    }
                }
            }
        }

        /** Interrupts the exchange if it is the one that overran, not a later one. */
        synchronized void cutIfOverdue(long now) {
            if (busy && now - started > timeoutNanos) {
                busy = false;
                timedOut.increment();
                thread.interrupt();
            }
        }
    }

    private void watch(long tickMillis) {
        while (!closed) {
            try {
                Thread.sleep(tickMillis);
            } catch (InterruptedException e) {
                continue;
            }
            long now = System.nanoTime();
            for (Worker w : workers) w.cutIfOverdue(now);
        }
    }

    @Override
    public void close() {
        closed = true;
        watchdog.interrupt();
        for (Worker w : workers) w.thread.interrupt();
        Runnable r;
        while ((r = queue.poll()) != null) shed(r);
    }
}
