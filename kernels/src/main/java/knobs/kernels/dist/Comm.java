package knobs.kernels.dist;

import java.time.Duration;
import java.util.Arrays;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.AllToAllOptions;
import org.bytedeco.pytorch.AllgatherOptions;
import org.bytedeco.pytorch.AllreduceOptions;
import org.bytedeco.pytorch.Backend;
import org.bytedeco.pytorch.BarrierOptions;
import org.bytedeco.pytorch.BroadcastOptions;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.ReduceOp;
import org.bytedeco.pytorch.ReduceScatterOptions;
import org.bytedeco.pytorch.Store;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.Work;
import org.bytedeco.pytorch.global.torch;

/**
 * One rank's handle on a c10d process group: its rank, the world size, and blocking collectives
 * that each wait at most {@link #timeout()}.
 *
 * <p>In libtorch 2.10 the backends ({@code ProcessGroupGloo}, {@code ProcessGroupNCCL}) are
 * {@code c10d::Backend}s; a {@code c10d::ProcessGroup} only routes each call through the
 * dispatcher to one of them. Comm holds the backend directly: same collectives, one indirection
 * less, and {@link #gloo} needs nothing but a store. The collectives are libtorch's, Comm only
 * waits on their {@code Work} with a timeout and turns failures into messages that name the
 * operation, this rank, the world size and the timeout.
 *
 * <p>Tensors passed in must be contiguous and live on the backend's device (CPU for Gloo). Every
 * rank must call the same collectives in the same order with matching shapes, as with
 * {@code torch.distributed}. Comm is not thread-safe: one thread per rank issues its calls.
 */
public final class Comm implements AutoCloseable {
    private final Backend backend;
    private final Store store;   // kept reachable: the backend's rendezvous used it
    private final int rank;
    private final int worldSize;
    private final Duration timeout;
    private final Milliseconds waitMs;

    /**
     * Wraps an existing backend (for example a {@code ProcessGroupNCCL} made by the caller).
     *
     * @param backend a connected c10d backend
     * @param store   the store it rendezvoused through, kept alive as long as this Comm (may be null)
     * @param timeout how long each collective may wait before it fails
     */
    public Comm(Backend backend, Store store, Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout=" + timeout + " is not allowed: must be positive");
        }
        this.backend = backend;
        this.store = store;
        this.rank = backend.getRank();
        this.worldSize = backend.getSize();
        this.timeout = timeout;
        this.waitMs = new Milliseconds(timeout.toMillis());
    }

    /**
     * Connects this rank to a Gloo group through {@code store} (every rank's store must reach the
     * same key space: a TCPStore client/server pair, or one FileStore path), communicating over
     * the interface that resolves {@code hostname} ({@code 127.0.0.1} for one machine). Blocks
     * until all {@code worldSize} ranks have joined, at most {@code timeout}.
     */
    public static Comm gloo(Store store, int rank, int worldSize, String hostname, Duration timeout) {
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank=" + rank + " worldSize=" + worldSize
                    + " is not allowed: need worldSize >= 1 and 0 <= rank < worldSize");
        }
        ProcessGroupGloo.Options options = ProcessGroupGloo.Options.create();
        options.timeout(new Milliseconds(timeout.toMillis()));
        options.devices().push_back(ProcessGroupGloo.createDeviceForHostname(hostname));
        try {
            return new Comm(new ProcessGroupGloo(store, rank, worldSize, options), store, timeout);
        } catch (RuntimeException e) {
            throw new CommException("rank " + rank + " of " + worldSize + ": Gloo rendezvous via " + hostname
                    + " failed within " + timeout.toMillis() + " ms: " + e.getMessage(), e);
        }
    }

    public int rank() {
        return rank;
    }

    public int worldSize() {
        return worldSize;
    }

    public Duration timeout() {
        return timeout;
    }

    /** The backend's name, {@code gloo} or {@code nccl}. */
    public String backendName() {
        return backend.getBackendName().getString();
    }

    /** Sums {@code t} over all ranks, in place. */
    public void allReduce(Tensor t) {
        allReduceAsync(t).await();
    }

    /**
     * Starts an in-place sum of {@code t} over all ranks and returns at once; {@link Pending#await}
     * waits for it. {@code t} must not be read or written until then. Several may be in flight; the
     * backend runs them in the order issued (the same order on every rank).
     */
    public Pending allReduceAsync(Tensor t) {
        AllreduceOptions o = new AllreduceOptions();
        o.reduceOp(new ReduceOp(ReduceOp.RedOpType.SUM));
        o.timeout(waitMs);
        return start("all_reduce", () -> backend.allreduce(new TensorVector(t), o), t);
    }

    /** Every rank's {@code t} concatenated along dim 0 in rank order: (worldSize·t.size(0), ...). */
    public Tensor allGather(Tensor t) {
        long[] shape = t.sizes().vec().get();
        shape[0] *= worldSize;
        Tensor out = t.new_empty(shape);
        AllgatherOptions o = new AllgatherOptions();
        o.timeout(waitMs);
        start("all_gather", () -> backend._allgather_base(out, t, o), t).await();
        return out;
    }

    /**
     * Sums {@code t} over all ranks and returns this rank's block of it along dim 0:
     * rows [rank·n/w, (rank+1)·n/w) of the sum. t.size(0) must divide by the world size.
     */
    public Tensor reduceScatter(Tensor t) {
        requireDivisible("reduce_scatter", t);
        long[] shape = t.sizes().vec().get();
        shape[0] /= worldSize;
        Tensor out = t.new_empty(shape);
        ReduceScatterOptions o = new ReduceScatterOptions();
        o.reduceOp(new ReduceOp(ReduceOp.RedOpType.SUM));
        o.timeout(waitMs);
        start("reduce_scatter", () -> backend._reduce_scatter_base(out, t, o), t).await();
        return out;
    }

    /**
     * Equal-split all-to-all along dim 0: block j of {@code t} (t.size(0)/worldSize rows) goes to
     * rank j; block i of the result came from rank i. t.size(0) must divide by the world size.
     */
    public Tensor allToAll(Tensor t) {
        requireDivisible("all_to_all", t);
        Tensor out = t.new_empty(t.sizes().vec().get());
        AllToAllOptions o = new AllToAllOptions();
        o.timeout(waitMs);
        start("all_to_all", () -> backend.alltoall_base(out, t, new LongVector(), new LongVector(), o), t).await();
        return out;
    }

    /**
     * Unequal-split all-to-all along dim 0: the first {@code sendRows[0]} rows of {@code t} go to
     * rank 0, the next {@code sendRows[1]} to rank 1, and so on; the result holds
     * {@code recvRows[i]} rows from rank i, in rank order. The splits must agree across ranks
     * (my sendRows[j] = rank j's recvRows[me]); {@link #exchangeCounts} gets recvRows from sendRows.
     */
    public Tensor allToAll(Tensor t, long[] sendRows, long[] recvRows) {
        if (sendRows.length != worldSize || recvRows.length != worldSize) {
            throw new IllegalArgumentException("all_to_all on rank " + rank + ": " + sendRows.length + " send and "
                    + recvRows.length + " receive splits, need one per rank (" + worldSize + ")");
        }
        long sent = sum(sendRows);
        if (sent != t.size(0)) {
            throw new IllegalArgumentException("all_to_all on rank " + rank + ": send splits "
                    + Arrays.toString(sendRows) + " sum to " + sent + " rows, the tensor has " + t.size(0));
        }
        long[] shape = t.sizes().vec().get();
        shape[0] = sum(recvRows);
        Tensor out = t.new_empty(shape);
        AllToAllOptions o = new AllToAllOptions();
        o.timeout(waitMs);
        start("all_to_all", () -> backend.alltoall_base(out, t, new LongVector(recvRows), new LongVector(sendRows), o), t)
                .await();
        return out;
    }

    /**
     * The count all-to-all before an unequal one: sends {@code counts[j]} to rank j and returns
     * what each rank sent to this one (element i from rank i). The counts travel as a CPU tensor:
     * Gloo only (with NCCL, all-to-all a device tensor of counts with {@link #allToAll(Tensor)}).
     */
    public long[] exchangeCounts(long[] counts) {
        if (counts.length != worldSize) {
            throw new IllegalArgumentException("exchange of counts on rank " + rank + ": " + counts.length
                    + " counts, need one per rank (" + worldSize + ")");
        }
        Tensor send = torch.empty(worldSize).to(torch.ScalarType.Long);
        send.data_ptr_long().put(counts);
        Tensor got = allToAll(send);
        long[] out = new long[worldSize];
        got.contiguous().data_ptr_long().get(out);
        return out;
    }

    /**
     * {@link #allGather} into a caller's buffer {@code out} (worldSize·t.size(0) rows, contiguous),
     * so that a timed loop allocates nothing: benchmarks.Collectives.
     */
    public void allGatherInto(Tensor t, Tensor out) {
        requireRows("all_gather", out, t.size(0) * worldSize);
        AllgatherOptions o = new AllgatherOptions();
        o.timeout(waitMs);
        start("all_gather", () -> backend._allgather_base(out, t, o), out).await();
    }

    /** {@link #reduceScatter} into a caller's buffer {@code out} (t.size(0)/worldSize rows, contiguous). */
    public void reduceScatterInto(Tensor t, Tensor out) {
        requireDivisible("reduce_scatter", t);
        requireRows("reduce_scatter", out, t.size(0) / worldSize);
        ReduceScatterOptions o = new ReduceScatterOptions();
        o.reduceOp(new ReduceOp(ReduceOp.RedOpType.SUM));
        o.timeout(waitMs);
        start("reduce_scatter", () -> backend._reduce_scatter_base(out, t, o), out).await();
    }

    /** Equal-split {@link #allToAll(Tensor)} into a caller's buffer {@code out} (t's shape, contiguous). */
    public void allToAllInto(Tensor t, Tensor out) {
        requireDivisible("all_to_all", t);
        requireRows("all_to_all", out, t.size(0));
        AllToAllOptions o = new AllToAllOptions();
        o.timeout(waitMs);
        start("all_to_all", () -> backend.alltoall_base(out, t, new LongVector(), new LongVector(), o), out).await();
    }

    private void requireRows(String op, Tensor out, long rows) {
        if (out.dim() == 0 || out.size(0) != rows || !out.is_contiguous()) {
            throw new IllegalArgumentException(op + " on rank " + rank + ": the output buffer must be contiguous with "
                    + rows + " rows, not " + (out.dim() == 0 ? "a scalar" : out.size(0)));
        }
    }

    /** Overwrites {@code t} on every rank with root's {@code t}. */
    public void broadcast(Tensor t, int root) {
        if (root < 0 || root >= worldSize) {
            throw new IllegalArgumentException("broadcast root=" + root + " is not allowed: must be in 0.." + (worldSize - 1));
        }
        BroadcastOptions o = new BroadcastOptions();
        o.rootRank(root);
        o.rootTensor(0);
        o.timeout(waitMs);
        start("broadcast", () -> backend.broadcast(new TensorVector(t), o), t).await();
    }

    /** Returns once every rank has called it. */
    public void barrier() {
        BarrierOptions o = new BarrierOptions();
        o.timeout(waitMs);
        start("barrier", () -> backend.barrier(o), null).await();
    }

    /** Releases the backend (its connections and threads). Pending work must have been awaited. */
    @Override
    public void close() {
        backend.releaseReference();
    }

    private void requireDivisible(String op, Tensor t) {
        if (t.dim() == 0 || t.size(0) % worldSize != 0) {
            throw new IllegalArgumentException(op + " on rank " + rank + ": dim 0 of the tensor ("
                    + (t.dim() == 0 ? "a scalar" : t.size(0)) + ") must divide by the world size " + worldSize);
        }
    }

    private static long sum(long[] a) {
        long s = 0;
        for (long v : a) {
            s += v;
        }
        return s;
    }

    private Pending start(String op, java.util.function.Supplier<Work> call, Tensor t) {
        if (t != null && !t.is_contiguous()) {
            throw new IllegalArgumentException(op + " on rank " + rank + ": the tensor must be contiguous");
        }
        try {
            return new Pending(op, call.get());
        } catch (RuntimeException e) {
            throw new CommException(describe(op) + " failed to start: " + e.getMessage(), e);
        }
    }

    private String describe(String op) {
        return op + " on rank " + rank + " of " + worldSize + " (" + backendName() + ")";
    }

    /**
     * A collective in flight. It may be awaited on another thread than the one that started it
     * (one thread awaits it), and outlives the pointer scope it was started in until awaited.
     */
    public final class Pending {
        private final String op;
        private final Work work;
        private boolean done;

        private Pending(String op, Work work) {
            this.op = op;
            this.work = work;
            // kept past the caller's pointer scope until awaited: another thread may await it
            work.retainReference();
        }

        /** The collective's name, e.g. {@code all_reduce}. */
        public String op() {
            return op;
        }

        /** Whether it has finished (without waiting). */
        public boolean isCompleted() {
            return done || work.isCompleted();
        }

        /**
         * Waits for completion, at most the Comm's timeout; a second call returns at once (also after
         * a failure: the first call threw).
         *
         * @throws CommTimeoutException if it did not finish in time (a peer died, hangs, or never
         *         issued the matching call)
         * @throws CommException        if the backend reported a failure (e.g. a peer closed its connection)
         */
        public void await() {
            if (done) {
                return;
            }
            try {
                work._wait(waitMs);
            } catch (RuntimeException e) {
                String m = String.valueOf(e.getMessage());
                if (m.contains("timed out") || m.contains("Timed out") || m.contains("Timeout")) {
                    throw new CommTimeoutException(describe(op) + " did not complete within " + timeout.toMillis()
                            + " ms (a peer rank died, hangs, or issued a different collective): " + firstLine(m), e);
                }
                throw new CommException(describe(op) + " failed: " + firstLine(m), e);
            } finally {
                done = true;
                work.releaseReference();
            }
        }
    }

    private static String firstLine(String m) {
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** A collective failed (a peer's connection closed, a backend error, a bad argument seen natively). */
    public static class CommException extends RuntimeException {
        public CommException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A collective did not complete within the Comm's timeout. */
    public static final class CommTimeoutException extends CommException {
        public CommTimeoutException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
