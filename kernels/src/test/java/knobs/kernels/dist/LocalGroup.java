package knobs.kernels.dist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import knobs.kernels.Natives;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * An in-process N-rank Gloo group for tests: one thread per rank, a {@link TCPStore} on
 * 127.0.0.1 (rank 0 its server, on a free port), one {@link Comm} per rank. Runs a body on every
 * rank and returns their results in rank order; any rank's failure fails the run, the
 * primary failure first (the communication errors its peers then saw are attached as suppressed).
 * A rank's Comm is closed when its body ends, so its peers fail fast instead of waiting out the timeout.
 *
 * <p>Used by other modules through kernels' test-jar. Each rank thread runs libtorch with one
 * intra-op thread, so N ranks do not oversubscribe a small machine.
 */
public final class LocalGroup {
    private LocalGroup() {
    }

    /** What one rank runs. */
    @FunctionalInterface
    public interface RankBody<T> {
        T run(Comm comm) throws Exception;
    }

    /**
     * Runs {@code body} on {@code worldSize} ranks connected by Gloo over loopback; every
     * collective waits at most {@code timeout}, and the whole run at most a bounded multiple of it.
     *
     * @return each rank's result, index = rank
     * @throws AssertionError naming the failing rank (its exception as the cause)
     */
    public static <T> List<T> run(int worldSize, Duration timeout, RankBody<T> body) {
        Natives.load();
        int port = freePort();
        List<Object> results = new ArrayList<>();
        Throwable[] failures = new Throwable[worldSize];
        Thread[] threads = new Thread[worldSize];
        for (int r = 0; r < worldSize; r++) {
            results.add(null);
            int rank = r;
            threads[r] = new Thread(() -> {
                try {
                    torch.set_num_threads(1);
                    try (Comm comm = Comm.gloo(store(port, rank, worldSize, timeout), rank, worldSize, "127.0.0.1", timeout)) {
                        Object out = body.run(comm);
                        synchronized (results) {
                            results.set(rank, out);
                        }
                    }
                } catch (Throwable t) {
                    failures[rank] = t;
                }
            }, "rank-" + r);
            threads[r].setDaemon(true); // a rank stuck in native code must not keep the test JVM alive
            threads[r].start();
        }
        long deadline = System.nanoTime() + timeout.toNanos() * 4 + Duration.ofSeconds(30).toNanos();
        for (int r = 0; r < worldSize; r++) {
            try {
                threads[r].join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for rank " + r, e);
            }
            if (threads[r].isAlive()) {
                throw new AssertionError("rank " + r + " of " + worldSize + " did not finish within "
                        + (timeout.toMillis() * 4 + 30_000) + " ms");
            }
        }
        AssertionError error = null;
        // the primary failure first: a rank's own error before the communication errors (a closed
        // connection, a timeout) that its peers then saw while waiting for it
        for (int priority = 0; priority < 3; priority++) {
            for (int r = 0; r < worldSize; r++) {
                Throwable f = failures[r];
                if (f == null || priority(f) != priority) {
                    continue;
                }
                if (error == null) {
                    error = new AssertionError("rank " + r + " of " + worldSize + " failed: " + f, f);
                } else {
                    error.addSuppressed(f);
                }
            }
        }
        if (error != null) {
            throw error;
        }
        @SuppressWarnings("unchecked")
        List<T> typed = (List<T>) (List<?>) results;
        return typed;
    }

    private static int priority(Throwable f) {
        return f instanceof Comm.CommTimeoutException ? 2 : f instanceof Comm.CommException ? 1 : 0;
    }

    /** A TCPStore for one rank: rank 0 serves, the others connect; all wait at most timeout. */
    static TCPStore store(int port, int rank, int worldSize, Duration timeout) {
        TCPStoreOptions o = new TCPStoreOptions();
        o.port((short) port);
        o.isServer(rank == 0);
        o.numWorkers(new SizeTPointer(1).put(worldSize));
        o.waitWorkers(false);
        o.timeout(new Milliseconds(timeout.toMillis()));
        o.useLibUV(false);
        return new TCPStore("127.0.0.1", o);
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1 for the test group's TCPStore", e);
        }
    }
}
