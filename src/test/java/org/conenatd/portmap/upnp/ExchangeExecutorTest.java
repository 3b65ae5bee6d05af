package org.conenatd.portmap.upnp;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import static org.junit.jupiter.api.Assertions.*;

/** A stalled exchange is cut off by closing its socket; a flood beyond the queue is closed at once. */
class ExchangeExecutorTest {
    final LongAdder shed = new LongAdder(), timedOut = new LongAdder();

    @Test
    void aStalledReadIsCutOff() throws Exception {
        try (ServerSocketChannel listen = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             SocketChannel silent = SocketChannel.open(listen.getLocalAddress());
             SocketChannel ch = listen.accept();
             ExchangeExecutor ex = new ExchangeExecutor(1, 4, 200, shed, timedOut)) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch done = new CountDownLatch(1);
            ex.execute(() -> {
                try {
                    ch.read(ByteBuffer.allocate(16)); // the peer never writes
                } catch (IOException e) {
                    failure.set(e);
                } finally {
                    done.countDown();
                }
            });
            assertTrue(done.await(5, TimeUnit.SECONDS), "the watchdog did not cut the read");
            assertInstanceOf(ClosedByInterruptException.class, failure.get());
            assertFalse(ch.isOpen());
            assertEquals(-1, silent.read(ByteBuffer.allocate(1)), "the peer sees the connection closed");
            assertEquals(1, timedOut.sum());
            CountDownLatch next = new CountDownLatch(1);
            ex.execute(() -> { if (!Thread.currentThread().isInterrupted()) next.countDown(); });
            assertTrue(next.await(5, TimeUnit.SECONDS), "the worker serves the next exchange, uninterrupted");
        }
    }

    @Test
    void beyondTheQueueTasksRunInterruptedOnTheCaller() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (ExchangeExecutor ex = new ExchangeExecutor(1, 1, 60_000, shed, timedOut)) {
            CountDownLatch started = new CountDownLatch(1);
            ex.execute(() -> { started.countDown(); awaitQuietly(release); });
            assertTrue(started.await(5, TimeUnit.SECONDS));
            ex.execute(() -> {});                       // queued
            boolean[] interrupted = new boolean[1];
            Thread caller = Thread.currentThread();
            ex.execute(() -> interrupted[0] = Thread.currentThread() == caller && Thread.currentThread().isInterrupted());
            assertTrue(interrupted[0], "shed: run at once on the caller, interrupted, so its channel closes");
            assertFalse(Thread.interrupted(), "and the caller's interrupt status is restored");
            assertEquals(1, shed.sum());
            release.countDown();
        }
    }

    private static void awaitQuietly(CountDownLatch l) {
        try {
            l.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
