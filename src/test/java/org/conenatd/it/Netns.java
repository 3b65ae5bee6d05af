package org.conenatd.it;

import org.conenatd.sys.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a piece of code with the calling thread moved into a named network namespace
 * (/var/run/netns/NAME), on a throw-away thread so no test thread ever changes namespace. Sockets
 * opened there stay in that namespace for their whole life, wherever they are used from.
 */
public final class Netns {
    private Netns() {}

    public static <T> T call(String name, Callable<T> body) {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("netns-" + name).start(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment cs = Libc.newCallState(a);
                int fd = Libc.open(cs, a.allocateFrom("/var/run/netns/" + name), Libc.O_RDONLY | Libc.O_CLOEXEC);
                if (fd < 0) throw new IllegalStateException("open netns " + name + ": " + Libc.errnoName(Libc.errno(cs)));
                try {
                    if (Libc.setns(cs, fd, Libc.CLONE_NEWNET) < 0) {
                        throw new IllegalStateException("setns " + name + ": " + Libc.errnoName(Libc.errno(cs)));
                    }
                } finally {
                    Libc.close(cs, fd);
                }
                result.set(body.call());
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        if (failure.get() != null) throw new IllegalStateException("in netns " + name, failure.get());
        return result.get();
    }
}
