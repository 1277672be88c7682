package knobs.harness;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.profile.ProfilerException;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;
import org.openjdk.jmh.runner.IterationType;

/**
 * JMH profiler recording, per measurement iteration, how much other work ran on the machine:
 * {@code contention.othersCpuMs}, {@code contention.stealMs}, {@code contention.wallMs},
 * {@code contention.othersCores}, {@code contention.runQueue}, {@code contention.involuntaryCs} and
 * {@code contention.contended} (the rule is in {@link Contention}; every metric in docs/metrics.md).
 *
 * <p>It is on by default: {@code benchmarks.jar}'s main adds it to every run unless the launching
 * JVM has {@code -Dknobs.contention=off} ({@link #SWITCH_PROPERTY}). Explicitly it is
 * {@code -prof knobs.harness.ContentionProfiler}, with the option {@code root=DIR} (the /proc
 * folder, default {@code /proc}; tests point it at fixtures).
 *
 * <p>It reads /proc between iterations only ({@link ContentionReader}), and does nothing in warmup
 * iterations. A counter that cannot be read here (not Linux, an old kernel, no permission) is
 * absent: the metrics that need it are not emitted at all, and the environment sidecar lists it
 * with the reason — never a zero, and the run is never refused for it. A counter that goes
 * backwards, or cannot be read at one end of an iteration, makes the metrics that need it NaN in
 * that iteration only: JMH keeps one value per iteration and metric, so a NaN marks the gap
 * without shifting the other iterations' values.
 *
 * <p>The benchmark thread is not the thread JMH calls profilers on: {@link Harness#setUp}, which
 * runs on the benchmark thread, registers its native thread id, its involuntary switches so far
 * and its thread counts here. Without warmup iterations the trial setup runs inside the first
 * measurement iteration; that iteration's switches are counted from the registration.
 */
public final class ContentionProfiler implements InternalProfiler {
    /** System property of the launching JVM: {@code on} (default) or {@code off}. */
    public static final String SWITCH_PROPERTY = "knobs.contention";

    /** Metric: CPU time of other processes in the iteration, ms summed over CPUs. */
    public static final String OTHERS_CPU_MS = "contention.othersCpuMs";
    /** Metric: steal time in the iteration, ms summed over CPUs. */
    public static final String STEAL_MS = "contention.stealMs";
    /** Metric: the iteration's wall time between the two samples, ms. */
    public static final String WALL_MS = "contention.wallMs";
    /** Metric: othersCpuMs / wallMs, cores' worth of other work. */
    public static final String OTHERS_CORES = "contention.othersCores";
    /** Metric: runnable threads of other processes, the larger of the start and end samples. */
    public static final String RUN_QUEUE = "contention.runQueue";
    /** Metric: involuntary context switches of the benchmark thread(s) in the iteration. */
    public static final String INVOLUNTARY_CS = "contention.involuntaryCs";
    /** Metric: 1 when the iteration was contended, else 0. */
    public static final String CONTENDED = "contention.contended";

    private static final Set<String> OPTIONS = Set.of("root");
    /** Benchmark threads' native ids → their involuntary context switches when they registered (-1: unreadable). */
    private static final Map<Long, Long> BENCHMARK_THREADS = new ConcurrentHashMap<>();
    /** Child processes that are part of the benchmark (local ranks): their CPU is the benchmark's own. */
    private static final Set<Long> OWN_PROCESSES = ConcurrentHashMap.newKeySet();
    private static volatile Threads.Counts benchmarkCounts;
    private static volatile boolean activeInThisJvm;

    private final ContentionReader reader;
    private final Map<String, String> availability;
    private List<Long> threads;
    /** The registered child processes at the iteration's start; the same set is read at its end. */
    private List<Long> companions = List.of();
    private ContentionReader.Sample start;

    /**
     * For JMH's profiler discovery ({@code -lprof}) only: {@link java.util.ServiceLoader} needs a
     * constructor without arguments. JMH runs profilers it created through
     * {@link #ContentionProfiler(String)}.
     */
    public ContentionProfiler() {
        this.reader = null;
        this.availability = null;
    }

    /**
     * What JMH calls for {@code -prof knobs.harness.ContentionProfiler[:root=DIR]}. Never fails for
     * missing counters (they are absent); only malformed options are refused.
     *
     * @throws ProfilerException when the options are not {@code root=DIR}
     */
    public ContentionProfiler(String options) throws ProfilerException {
        this(new ContentionReader(root(options)));
    }

    /** With a given reader, for tests. */
    ContentionProfiler(ContentionReader reader) {
        this.reader = reader;
        this.availability = reader.availability();
        // A new trial starts: threads registered by an earlier trial of this JVM (-f 0) are gone.
        BENCHMARK_THREADS.clear();
        OWN_PROCESSES.clear();
        benchmarkCounts = null;
        activeInThisJvm = true;
    }

    private static Path root(String options) throws ProfilerException {
        Path root = ContentionReader.DEFAULT_ROOT;
        if (options == null || options.isBlank()) {
            return root;
        }
        for (String part : options.split(";")) {
            if (part.isBlank()) {
                continue;
            }
            int eq = part.indexOf('=');
            String key = eq < 0 ? part.trim() : part.substring(0, eq).trim();
            if (eq < 0 || !OPTIONS.contains(key) || part.substring(eq + 1).isBlank()) {
                throw new ProfilerException("ContentionProfiler: bad option '" + part + "'; allowed: root=DIR (the /proc folder)");
            }
            root = Paths.get(part.substring(eq + 1).trim());
        }
        return root;
    }

    /**
     * Whether benchmarks.jar adds this profiler by default, from the value of
     * {@code -Dknobs.contention}.
     *
     * @param value the property's value, or null when unset
     * @throws IllegalArgumentException for a value other than on or off, naming it and the allowed ones
     */
    public static boolean enabledByDefault(String value) {
        if (value == null) {
            return true;
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException("-D" + SWITCH_PROPERTY + "=" + value
                    + " is not allowed; allowed: on (the default: every benchmark records contention.* metrics), off");
        };
    }

    /**
     * Records the calling thread as a benchmark thread (its involuntary context switches are counted)
     * and the thread counts it applied (they decide the cores it needs). {@link Harness#setUp} calls
     * this on the benchmark thread.
     */
    static void registerBenchmarkThread(Threads.Counts counts) {
        ContentionReader proc = new ContentionReader(ContentionReader.DEFAULT_ROOT);
        ContentionReader.Reading<Long> tid = proc.currentThreadId();
        if (tid.present()) {
            ContentionReader.Reading<Long> cs = proc.involuntaryCs(List.of(tid.value()));
            BENCHMARK_THREADS.put(tid.value(), cs.present() ? cs.value() : -1L);
        }
        benchmarkCounts = counts;
    }

    /**
     * Counts a child process as part of the benchmark from the next iteration on: its CPU time and
     * runnable threads are the benchmark's own, not other processes', and it needs as many cores as
     * the benchmark thread. The local ranks of a distributed benchmark register here when they start.
     *
     * @param pid the child's process id
     */
    public static void registerOwnProcess(long pid) {
        OWN_PROCESSES.add(pid);
    }

    /** Stops counting a child registered with {@link #registerOwnProcess} (it ended). */
    public static void unregisterOwnProcess(long pid) {
        OWN_PROCESSES.remove(pid);
    }

    /** Whether a ContentionProfiler was set up in this JVM (recorded in the environment sidecar). */
    static boolean activeInThisJvm() {
        return activeInThisJvm;
    }

    @Override
    public String getDescription() {
        return "Knobs (on by default in benchmarks.jar): other processes' CPU, steal, run queue, involuntary context"
                + " switches and a contended flag per iteration (contention.*)";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        if (reader == null) {
            throw new IllegalStateException("this ContentionProfiler was created for discovery only; use ContentionProfiler(String)");
        }
        if (iterationParams.getType() != IterationType.MEASUREMENT) {
            start = null;
            return;
        }
        threads = List.copyOf(BENCHMARK_THREADS.keySet());
        companions = List.copyOf(OWN_PROCESSES);
        start = reader.sample(threads, companions);
    }

    @Override
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
                                                       IterationResult result) {
        if (start == null) {
            return List.of();
        }
        if (threads.isEmpty() && !BENCHMARK_THREADS.isEmpty()) {
            // The trial's setup ran inside this iteration (no warmup): count the thread's switches
            // from its registration, i.e. from the end of the setup, which is about when timing began.
            threads = List.copyOf(BENCHMARK_THREADS.keySet());
            start = withInvoluntaryCs(start, atRegistration(threads));
        }
        ContentionReader.Sample end = reader.sample(threads, companions);
        Threads.Counts counts = benchmarkCounts != null ? benchmarkCounts
                : new Threads.Counts(Threads.configuredIntraOp(), 1, Threads.configuredBlas());
        int cpus = end.cpu().present() ? end.cpu().value().cpus() : Runtime.getRuntime().availableProcessors();
        // Each registered child (a local rank) runs the same step with the same thread counts.
        int needed = Contention.coresNeeded(cpus, Runtime.getRuntime().availableProcessors(),
                benchmarkParams.getThreads() * (1 + companions.size()), counts);
        Contention.Iteration it = Contention.between(start, end, needed);
        start = null;
        return results(it, availability);
    }

    private static ContentionReader.Reading<Long> atRegistration(List<Long> threads) {
        long sum = 0;
        for (long tid : threads) {
            long cs = BENCHMARK_THREADS.getOrDefault(tid, -1L);
            if (cs < 0) {
                return new ContentionReader.Reading<>(null, "the switches of thread " + tid + " were unreadable when it registered");
            }
            sum += cs;
        }
        return new ContentionReader.Reading<>(sum, null);
    }

    private static ContentionReader.Sample withInvoluntaryCs(ContentionReader.Sample s, ContentionReader.Reading<Long> cs) {
        return new ContentionReader.Sample(s.nanoTime(), s.cpu(), s.ownTicks(), s.procsRunning(), s.ownRunning(), cs);
    }

    /**
     * An iteration's metrics as JMH results: only those whose counters are available here
     * ({@code availability}: counter → null when present, else the reason).
     */
    static List<ScalarResult> results(Contention.Iteration it, Map<String, String> availability) {
        boolean cpu = availability.get(ContentionReader.CPU_TIME) == null && availability.get(ContentionReader.OWN_CPU_TIME) == null;
        List<ScalarResult> out = new ArrayList<>();
        if (cpu) {
            out.add(new ScalarResult(OTHERS_CPU_MS, it.othersCpuMs(), "ms", AggregationPolicy.AVG));
        }
        if (availability.get(ContentionReader.STEAL) == null) {
            out.add(new ScalarResult(STEAL_MS, it.stealMs(), "ms", AggregationPolicy.AVG));
        }
        out.add(new ScalarResult(WALL_MS, it.wallMs(), "ms", AggregationPolicy.AVG));
        if (cpu) {
            out.add(new ScalarResult(OTHERS_CORES, it.othersCores(), "cores", AggregationPolicy.AVG));
        }
        if (availability.get(ContentionReader.RUN_QUEUE) == null) {
            out.add(new ScalarResult(RUN_QUEUE, it.runQueue(), "threads", AggregationPolicy.MAX));
        }
        if (availability.get(ContentionReader.INVOLUNTARY_CS) == null) {
            out.add(new ScalarResult(INVOLUNTARY_CS, it.involuntaryCs(), "count", AggregationPolicy.AVG));
        }
        if (cpu) {
            // averaged over iterations, JMH's summary line shows the share of contended iterations
            out.add(new ScalarResult(CONTENDED, it.contended(), "flag", AggregationPolicy.AVG));
        }
        return out;
    }
}
