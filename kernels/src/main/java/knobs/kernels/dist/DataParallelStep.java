package knobs.kernels.dist;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import knobs.kernels.Pass;
import knobs.kernels.PassRunner;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.StringTensorDictItemVector;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.VoidTensorHook;

/**
 * One data-parallel step, DistributedDataParallel's algorithm on a {@link Comm}: every rank runs
 * forward and backward on its own slice of the global batch, and the gradients are summed over
 * ranks in buckets and divided by the world size before the optimizer step, so every rank applies
 * the gradient of the whole batch (the mean loss over all ranks' tokens) and the replicas stay equal.
 *
 * <p>Buckets are filled in reverse parameter order, the order in which backward produces the
 * gradients, each up to {@code bucketBytes} (a parameter larger than that gets a bucket of its
 * own). With {@link Overlap#HOOKS} a gradient hook on every parameter copies its gradient into its
 * bucket as soon as autograd has it, and a full bucket's all-reduce starts at once, asynchronously,
 * while backward goes on — buckets are always started in bucket order, so every rank issues the
 * same collectives in the same order. With {@link Overlap#AFTER_BACKWARD} the same buckets are
 * filled and all-reduced only once backward has finished (no overlap: the upper bound of exposed
 * communication). Unlike DDP there is no smaller first bucket and gradients are copied into the
 * buckets and back, never bucket views.
 *
 * <p>As with DDP's default ({@code find_unused_parameters=False}), every parameter must receive
 * a gradient in every step; one that does not fails the step naming it. The replicas start equal:
 * the constructor broadcasts rank 0's parameters.
 *
 * <p>Per step it records ({@link #lastTiming()}): the step's wall time on this rank; the
 * <b>exposed communication</b>, the time from the end of backward until every bucket's all-reduce
 * has completed (launching the remaining buckets included, and with {@link Overlap#AFTER_BACKWARD}
 * copying the gradients into the buckets) — communication that backward did not
 * hide; and the <b>communication</b> time, the wall time during which at least one all-reduce was
 * in flight (union of the [start, completion] intervals; completion seen by a watcher thread that
 * waits on the works in order). compute = step − exposed. With one rank (no Comm) the step runs
 * without buckets, hooks or communication: the compute-only baseline.
 *
 * <p>On CUDA, autograd runs backward (and so the hooks) on its device thread; the hooks only copy
 * and start works, and {@link #run} reads their state after backward has returned. (The CUDA/NCCL
 * path is compiled but was not run here: no GPU.)
 */
public final class DataParallelStep implements AutoCloseable {
    /** When gradient all-reduces start. */
    public enum Overlap {
        /** As each bucket fills during backward (gradient hooks), as DDP does. */
        HOOKS,
        /** After the whole backward. */
        AFTER_BACKWARD;

        /** {@code hooks} / {@code after_backward}, naming the allowed values on error. */
        public static Overlap parse(String s) {
            for (Overlap o : values()) {
                if (o.label().equals(s)) {
                    return o;
                }
            }
            throw new IllegalArgumentException("overlap=" + s + " is not allowed; allowed: hooks, after_backward");
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What one step took on this rank, in nanoseconds. */
    public record Timing(long stepNs, long exposedNs, long commNs) {
        /** step − exposed communication. */
        public long computeNs() {
            return stepNs - exposedNs;
        }
    }

    private final Comm comm;
    private final Overlap overlap;
    private final PassRunner runner;
    private final List<Tensor> params = new ArrayList<>();
    private final List<String> names = new ArrayList<>();
    private final List<Bucket> buckets = new ArrayList<>();
    private final List<GradHook> hooks = new ArrayList<>();
    private final Scalar worldScalar;
    private final Watcher watcher;
    private int nextToLaunch;
    private Throwable hookFailure;
    private long backwardEndNs;
    private long waitEndNs;
    private Timing last;

    /**
     * @param comm        the data-parallel group, or null for one rank (no communication)
     * @param model       the replica trained on this rank
     * @param pass        {@code forward_backward} (gradients averaged) or {@code train_step} (then AdamW)
     * @param bucketBytes the bucket capacity in bytes (DDP's {@code bucket_cap_mb})
     * @param overlap     when the all-reduces start
     */
    public DataParallelStep(Comm comm, Module model, Pass pass, long bucketBytes, Overlap overlap) {
        if (!pass.backward()) {
            throw new IllegalArgumentException("pass=" + pass.label() + " is not allowed for a data-parallel step: it has no"
                    + " gradients to all-reduce; allowed: forward_backward, train_step");
        }
        if (bucketBytes < 1) {
            throw new IllegalArgumentException("bucket size " + bucketBytes + " bytes is not allowed: must be positive");
        }
        this.comm = comm == null || comm.worldSize() == 1 ? null : comm;
        this.overlap = overlap;
        StringTensorDictItemVector items = model.named_parameters(true).items();
        for (long i = 0; i < items.size(); i++) {
            Tensor p = new Tensor(items.get(i).value()); // an owning handle: value() points into the item vector
            if (p.requires_grad()) {
                p.retainReference();
                params.add(p);
                names.add(items.get(i).key().getString());
            }
        }
        this.worldScalar = new Scalar((double) (this.comm == null ? 1 : this.comm.worldSize()));
        worldScalar.retainReference();
        if (this.comm != null) {
            try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
                for (Tensor p : params) {
                    this.comm.broadcast(p, 0);
                }
            }
            makeBuckets(bucketBytes);
            if (overlap == Overlap.HOOKS) {
                for (int i = 0; i < params.size(); i++) {
                    GradHook h = new GradHook(i);
                    hooks.add(h);
                    params.get(i).register_hook(h);
                }
            }
            watcher = new Watcher(this.comm);
        } else {
            watcher = null;
        }
        this.runner = new PassRunner(pass, List.of(model), this::afterBackward);
    }

    /** Reverse parameter order, each bucket up to bucketBytes (at least one parameter). */
    private void makeBuckets(long bucketBytes) {
        List<Integer> current = new ArrayList<>();
        long bytes = 0;
        for (int i = params.size() - 1; i >= 0; i--) {
            Tensor p = params.get(i);
            long b = p.numel() * p.element_size();
            if (!current.isEmpty() && bytes + b > bucketBytes) {
                buckets.add(new Bucket(buckets.size(), current));
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(i);
            bytes += b;
        }
        if (!current.isEmpty()) {
            buckets.add(new Bucket(buckets.size(), current));
        }
    }

    /** The number of gradient buckets (0 with one rank). */
    public int buckets() {
        return buckets.size();
    }

    /** The parameters of each bucket by name, bucket 0 (all-reduced first) first. */
    public List<List<String>> bucketParameters() {
        List<List<String>> out = new ArrayList<>();
        for (Bucket b : buckets) {
            List<String> n = new ArrayList<>();
            for (int j : b.members) {
                n.add(names.get(j));
            }
            out.add(List.copyOf(n));
        }
        return List.copyOf(out);
    }

    /** Bytes all-reduced per step (every trained parameter's gradient once; 0 with one rank). */
    public long gradientBytes() {
        long b = 0;
        for (Bucket k : buckets) {
            b += k.flat.numel() * k.flat.element_size();
        }
        return b;
    }

    public Overlap overlap() {
        return overlap;
    }

    public Pass pass() {
        return runner.pass();
    }

    /**
     * Runs one step on this rank's batch (see {@link PassRunner#run}), all-reducing the gradients
     * before the optimizer step; the caller owns the pointer scope. Returns the loss.
     */
    public Tensor run(Supplier<Tensor> forward, Function<Tensor, Tensor> loss) {
        long t0 = System.nanoTime();
        nextToLaunch = 0;
        hookFailure = null;
        for (Bucket b : buckets) {
            b.reset();
        }
        backwardEndNs = 0;
        waitEndNs = 0;
        Tensor out = runner.run(forward, loss);
        long end = System.nanoTime();
        if (comm == null) {
            last = new Timing(end - t0, 0, 0);
        } else {
            last = new Timing(end - t0, waitEndNs - backwardEndNs, inFlightNs());
        }
        return out;
    }

    /** The timing of the latest {@link #run}, or null before the first. */
    public Timing lastTiming() {
        return last;
    }

    /** Between backward and the optimizer: the rest of the buckets, the wait, the average. */
    private void afterBackward() {
        if (comm == null) {
            return;
        }
        backwardEndNs = System.nanoTime();
        if (hookFailure != null) {
            throw new IllegalStateException("a gradient hook failed on rank " + comm.rank() + ": " + hookFailure, hookFailure);
        }
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            if (overlap == Overlap.AFTER_BACKWARD) {
                for (Bucket b : buckets) {
                    b.fillFromGrads();
                }
            }
            for (Bucket b : buckets) {
                b.requireComplete();
            }
            launchReady();
            for (Bucket b : buckets) {
                b.awaitDone();
            }
            waitEndNs = System.nanoTime();
            for (Bucket b : buckets) {
                b.flat.div_(worldScalar);
                b.copyToGrads();
            }
        }
    }

    /** Starts every ready bucket from the next unstarted one on, in bucket order (the same on every rank). */
    private void launchReady() {
        while (nextToLaunch < buckets.size() && buckets.get(nextToLaunch).ready()) {
            Bucket b = buckets.get(nextToLaunch++);
            b.launchNs = System.nanoTime();
            watcher.submit(b, comm.allReduceAsync(b.flat));
        }
    }

    /** Wall time with at least one bucket's all-reduce in flight (launches and completions are in bucket order). */
    private long inFlightNs() {
        long total = 0;
        long coveredTo = Long.MIN_VALUE;
        for (Bucket b : buckets) {
            long s = Math.max(b.launchNs, coveredTo);
            if (b.doneNs > s) {
                total += b.doneNs - s;
            }
            coveredTo = Math.max(coveredTo, b.doneNs);
        }
        return total;
    }

    @Override
    public void close() {
        runner.close();
        if (watcher != null) {
            watcher.stop();
        }
        for (Bucket b : buckets) {
            b.flat.releaseReference();
        }
        for (Tensor p : params) {
            p.releaseReference();
        }
        worldScalar.releaseReference();
    }

    /** A flat buffer of some parameters' gradients, all-reduced as one tensor. */
    private final class Bucket {
        final int index;
        final int[] members;   // parameter indices
        final long[] offsets;  // element offset of each member in flat
        final boolean[] got;   // member's gradient copied in this step
        final Tensor flat;
        int filled;
        long launchNs;
        volatile long doneNs;
        volatile CountDownLatch done;
        volatile Throwable failure;

        Bucket(int index, List<Integer> ids) {
            this.index = index;
            this.members = ids.stream().mapToInt(Integer::intValue).toArray();
            this.offsets = new long[members.length];
            this.got = new boolean[members.length];
            long n = 0;
            for (int j = 0; j < members.length; j++) {
                offsets[j] = n;
                n += params.get(members[j]).numel();
            }
            Tensor first = params.get(members[0]);
            this.flat = first.new_zeros(new long[] {n});
            flat.retainReference();
            for (int j : members) {
                if (params.get(j).scalar_type().value != first.scalar_type().value) { // enum objects from native calls are not interned
                    throw new IllegalArgumentException("parameters '" + names.get(members[0]) + "' and '" + names.get(j)
                            + "' have different dtypes; a data-parallel model must have one parameter dtype");
                }
            }
        }

        void reset() {
            java.util.Arrays.fill(got, false);
            filled = 0;
            launchNs = 0;
            doneNs = 0;
            failure = null;
            done = new CountDownLatch(1);
        }

        boolean ready() {
            return filled == members.length;
        }

        void put(int slot, Tensor grad) {
            if (got[slot]) {
                throw new IllegalStateException("parameter '" + names.get(members[slot]) + "' got two gradients in one backward");
            }
            flat.narrow(0, offsets[slot], grad.numel()).copy_(grad.reshape(-1));
            got[slot] = true;
            filled++;
        }

        void fillFromGrads() {
            for (int j = 0; j < members.length; j++) {
                Tensor g = params.get(members[j]).grad();
                if (g.defined()) {
                    put(j, g);
                }
            }
        }

        void requireComplete() {
            for (int j = 0; j < members.length; j++) {
                if (!got[j]) {
                    throw new IllegalStateException("parameter '" + names.get(members[j]) + "' received no gradient on rank "
                            + comm.rank() + ": a data-parallel step needs every trained parameter in the loss (as DDP"
                            + " without find_unused_parameters)");
                }
            }
        }

        void awaitDone() {
            try {
                if (!done.await(comm.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new Comm.CommTimeoutException("all_reduce of gradient bucket " + index + " on rank " + comm.rank()
                            + " of " + comm.worldSize() + " did not complete within " + comm.timeout().toMillis() + " ms", null);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for gradient bucket " + index, e);
            }
            if (failure != null) {
                throw failure instanceof RuntimeException r ? r : new IllegalStateException(failure);
            }
        }

        void copyToGrads() {
            for (int j = 0; j < members.length; j++) {
                Tensor p = params.get(members[j]);
                p.grad().copy_(flat.narrow(0, offsets[j], p.numel()).view(p.sizes()));
            }
        }
    }

    /** Copies a parameter's gradient into its bucket as autograd produces it, and starts full buckets. */
    private final class GradHook extends VoidTensorHook {
        private final int param;
        private Bucket bucket;
        private int slot;

        GradHook(int param) {
            this.param = param;
            for (Bucket b : buckets) {
                for (int j = 0; j < b.members.length; j++) {
                    if (b.members[j] == param) {
                        bucket = b;
                        slot = j;
                    }
                }
            }
        }

        @Override
        public void call(TensorBase grad) {
            // Runs inside autograd's engine, called from native code: an exception cannot cross back
            // into it, so the first one is kept and thrown by afterBackward once backward returns.
            if (hookFailure != null) {
                return;
            }
            try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
                bucket.put(slot, new Tensor(grad));
                if (bucket.ready()) {
                    launchReady();
                }
            } catch (Throwable t) {
                hookFailure = t;
            }
        }
    }

    /**
     * Waits on each started all-reduce in order on its own thread, so a bucket's completion time
     * is seen when it happens, not when the rank next looks.
     */
    private static final class Watcher {
        private final LinkedBlockingQueue<Object[]> queue = new LinkedBlockingQueue<>();
        private final Thread thread;
        private static final Object[] STOP = new Object[0];

        Watcher(Comm comm) {
            thread = new Thread(() -> {
                while (true) {
                    Object[] item;
                    try {
                        item = queue.take();
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (item == STOP) {
                        return;
                    }
                    Bucket b = (Bucket) item[0];
                    try {
                        ((Comm.Pending) item[1]).await();
                    } catch (Throwable t) {
                        b.failure = t;
                    }
                    b.doneNs = System.nanoTime();
                    b.done.countDown();
                }
            }, "all-reduce-watcher-rank-" + comm.rank());
            thread.setDaemon(true);
            thread.start();
        }

        void submit(Bucket b, Comm.Pending p) {
            queue.add(new Object[] {b, p});
        }

        void stop() {
            queue.add(STOP);
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
