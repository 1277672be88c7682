package knobs.harness;

import java.util.List;
import knobs.kernels.Natives;

/**
 * Trial setup shared by every benchmark: load the natives, fix the thread pools, capture and
 * record the environment. Call from a {@code @Setup(Level.Trial)} method, on the benchmark thread.
 */
public final class Harness {
    /**
     * JVM flag forks need: skip JavaCPP's physical-memory check, which reads /proc on every native
     * allocation (~2 µs per libtorch op). Native memory is bounded by pointer scopes instead.
     */
    public static final String NO_PHYSICAL_BYTES_CHECK = "-Dorg.bytedeco.javacpp.maxphysicalbytes=0";
    /** Heap for forks: the heap holds only small wrappers; tensors live in native memory. */
    public static final String HEAP = "-Xmx2g";
    private static final String MAX_PHYSICAL_BYTES = "org.bytedeco.javacpp.maxphysicalbytes";

    private Harness() {
    }

    /** What a benchmark runs with, after {@link #setUp}. */
    public record Session(ComputeDevice device, Threads.Counts threads, Environment environment) {
    }

    /**
     * Loads libtorch, applies the aliases {@code -Dknobs.threads} (policy {@code auto}: the cores others left
     * free while the natives loaded) and {@code -Dknobs.intraop.threads} as thread counts, records the resident-memory
     * baseline ({@link MemoryRegistry#recordBaseline()}), registers the calling thread as the
     * benchmark thread for {@link ContentionProfiler}, resolves {@code device} (registered with the
     * thread for {@link ComponentProfiler}), and writes the
     * environment sidecar, with how busy the machine was while all this ran.
     */
    public static Session setUp(String device) {
        return setUp(device, Threads.Request.fromProperties());
    }

    /**
     * {@link #setUp(String)} with the thread counts a benchmark's {@code blasThreads} and
     * {@code intraOpThreads} params ask for ({@link Threads.Request#ofParams}).
     */
    public static Session setUp(String device, Threads.Request threads) {
        // Others' CPU while the natives load: a snapshot of the machine at fork start that adds no
        // waiting of its own (docs/metrics.md, "Contention").
        ContentionReader proc = new ContentionReader(ContentionReader.DEFAULT_ROOT);
        ContentionReader.Sample forkStart = proc.sample(List.of());
        // JMH's -jvmArgsAppend on the command line replaces the classes' @Fork flags, so the flag is
        // also applied here; it only takes effect before JavaCPP's Pointer class initialises.
        if (System.getProperty(MAX_PHYSICAL_BYTES) == null) {
            System.setProperty(MAX_PHYSICAL_BYTES, "0");
        }
        Environment.prepare(); // the sidecar's JSON writer warms up on another core while libtorch loads
        Natives.load();
        Environment.ForkStart start = Environment.ForkStart.between(forkStart, proc.sample(List.of()), proc.loadAverage1m());
        // The BLAS policy 'auto' leaves out the cores others kept busy while the natives loaded.
        Threads.Counts counts = Threads.apply(threads, start.othersCores()
                + (Double.isFinite(start.stealCores()) ? start.stealCores() : 0));
        ContentionProfiler.registerBenchmarkThread(counts);
        // Resident memory with libtorch loaded but no model built: the memory profiler's baseline.
        MemoryRegistry.recordBaseline();
        ComputeDevice d = ComputeDevice.parse(device);
        ComponentProfiler.registerBenchmarkThread(d);
        Environment env = Environment.capture(d, counts, start);
        env.writeSidecar(Environment.sidecarDir());
        return new Session(d, counts, env);
    }
}
