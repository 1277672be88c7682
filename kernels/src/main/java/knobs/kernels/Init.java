package knobs.kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Random weight initialisation (GPT-2 style: N(0, 0.02), residual projections scaled down), or, while
 * {@link #uninitialized} runs, no initialisation at all: parameters allocated with {@code torch.empty}
 * in a given dtype, for a model whose every parameter a checkpoint will overwrite.
 */
final class Init {
    static final double STD = 0.02;
    /**
     * Elements per independently seeded chunk. Fixed, so the weights depend on the seed only, never
     * on how many threads fill them.
     */
    static final long CHUNK = 1L << 20;
    /**
     * Fills chunks in parallel: libtorch's {@code normal_} is serial (one Mersenne Twister stream),
     * and drawing the 114 M weights of {@code moe-cpu} on one core took ~0.75 s of every fork's
     * start. Daemon threads, created on first use, so a JVM with small models never starts them.
     */
    private static final class Pool {
        static final ExecutorService FILL = Executors.newFixedThreadPool(
                Math.max(1, Runtime.getRuntime().availableProcessors()), r -> {
                    Thread t = new Thread(r, "knobs-init");
                    t.setDaemon(true);
                    return t;
                });
    }

    /** The dtype of uninitialised parameters while {@link #uninitialized} builds a model on this thread; null otherwise. */
    private static final ThreadLocal<torch.ScalarType> EMPTY = new ThreadLocal<>();

    private Init() {
    }

    /**
     * Runs {@code build} with every parameter made by {@link #normal}, {@link #ones} and {@link #zeros}
     * allocated uninitialised in {@code dtype} instead (no random draw, no fp32 copy). Only on this thread.
     */
    static <T> T uninitialized(torch.ScalarType dtype, java.util.function.Supplier<T> build) {
        if (EMPTY.get() != null) {
            throw new IllegalStateException("Init.uninitialized does not nest");
        }
        EMPTY.set(dtype);
        try {
            return build.get();
        } finally {
            EMPTY.remove();
        }
    }

    /** An uninitialised tensor of {@code shape} in the dtype of {@link #uninitialized}, or null outside it. */
    private static Tensor empty(long... shape) {
        torch.ScalarType dtype = EMPTY.get();
        return dtype == null ? null : torch.empty(shape, new TensorOptions(dtype), new MemoryFormatOptional());
    }

    /**
     * N(0, std²) weights. One 62-bit seed is drawn from libtorch's global generator per tensor, so
     * {@code torch.manual_seed} before building a model still fixes every weight; the tensor is
     * then filled in chunks of {@link #CHUNK} elements, chunk {@code i} from its own CPU generator
     * seeded with {@code mix(seed, i)}. Large tensors are filled by several threads; the values do
     * not depend on how many.
     */
    static Tensor normal(double std, long... shape) {
        Tensor uninitialized = empty(shape);
        if (uninitialized != null) {
            return uninitialized;
        }
        long seed = drawSeed();
        Tensor t = torch.empty(shape);
        Tensor flat = t.view(-1);
        long n = flat.numel();
        long chunks = (n + CHUNK - 1) / CHUNK;
        if (chunks <= 1) {
            fillChunk(flat, 0, n, std, seed);
            return t;
        }
        List<Future<?>> pending = new ArrayList<>();
        for (long i = 0; i < chunks; i++) {
            long c = i;
            pending.add(Pool.FILL.submit(() -> fillChunk(flat, c, n, std, seed)));
        }
        for (Future<?> f : pending) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while drawing random weights", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("drawing random weights failed: " + e.getCause(), e.getCause());
            }
        }
        return t;
    }

    /** One 62-bit seed from libtorch's global generator (advanced by {@code torch.manual_seed} and every draw). */
    static long drawSeed() {
        try (PointerScope scope = new PointerScope()) {
            return torch.randint(1L << 62, new long[] {1}).item_long();
        }
    }

    /** Draws chunk {@code c} of {@code flat} (n elements) from a generator seeded by (seed, c). */
    private static void fillChunk(Tensor flat, long c, long n, double std, long seed) {
        long start = c * CHUNK;
        try (PointerScope scope = new PointerScope()) {
            Generator g = torch.createCPUGenerator(mix(seed, c));
            flat.narrow(0, start, Math.min(CHUNK, n - start)).normal_(0.0, std, new GeneratorOptional(g));
        }
    }

    /** SplitMix64 finaliser of (seed, chunk): well-spread, distinct seeds for neighbouring chunks. */
    static long mix(long seed, long chunk) {
        long z = seed + (chunk + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Std for projections that write into the residual stream: 0.02 / sqrt(2 · layers). */
    static double residualStd(ModelConfig c) {
        return STD / Math.sqrt(2.0 * c.layers());
    }

    /**
     * Registers {@code t} as a parameter of {@code m} and returns {@code t} itself. The tensor that
     * {@code register_parameter} returns refers into the module's parameter dictionary and dangles
     * (SIGSEGV) once later registrations grow it; {@code t} shares the same TensorImpl and stays valid.
     */
    static Tensor param(Module m, String name, Tensor t) {
        m.register_parameter(name, t);
        return t;
    }

    static Tensor ones(long n) {
        Tensor e = empty(n);
        return e != null ? e : torch.ones(n);
    }

    static Tensor zeros(long n) {
        Tensor e = empty(n);
        return e != null ? e : torch.zeros(n);
    }
}
