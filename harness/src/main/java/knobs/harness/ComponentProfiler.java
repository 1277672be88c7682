package knobs.harness;

import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import knobs.kernels.Components;
import knobs.kernels.CostModel;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.profile.ProfilerException;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.IterationResultMetaData;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;
import org.openjdk.jmh.runner.IterationType;

/**
 * JMH profiler ({@code -prof knobs.harness.ComponentProfiler}, opt-in) splitting a step into its
 * components — embedding, norms, attention QKV / kernel / output, MLP or MoE router / top-k /
 * dispatch / experts / combine, LM head, loss, backward, optimizer, vision encoder and projector —
 * from the {@link Components} spans the model code opens. Per measurement iteration it reports,
 * as secondary metrics (docs/metrics.md):
 *
 * <ul>
 *   <li>{@code component.<name>}: mean nanoseconds per operation spent exclusively in that
 *       component (a nested span's time goes to the innermost span; spans inside the vision
 *       encoder are {@code vision.<name>}, see {@link ComponentTimes}), unit {@code ns/op};
 *   <li>{@code component.other}: the step's time per op (JMH's score) outside every span —
 *       residual adds, reshapes, the pointer scope's frees, the final sync's wait, JMH's loop;
 *   <li>with {@code perLayer=true}: {@code component.L<i>.<name>} for the spans inside block i;
 *   <li>{@code componentFlops.<name>} and {@code componentBytes.<name>}: the component's analytic
 *       FLOPs ({@code flops/op}) and minimal bytes ({@code bytes/op}) per op ({@link ComponentWork}),
 *       for benchmarks that declare their work's cost through {@link WorkCounters#add}.
 * </ul>
 *
 * <p>Timing: on the CPU, {@link System#nanoTime()} at each span boundary (libtorch's CPU ops are
 * synchronous, so the host clock brackets the work); on CUDA, an event recorded on the stream at
 * each boundary and read only after the device has passed it — no sync is added between
 * components ({@link CudaSpanClock}). The listener is installed in {@code beforeIteration} and
 * removed in {@code afterIteration}, warmup iterations included (so its code is compiled and its
 * event pool grown before measuring), and only measurement iterations report.
 *
 * <p>Operations: spans are counted in every invocation of the iteration, including those JMH runs
 * before and after the measured window; they are divided by JMH's count of all those operations.
 * The trial's first iteration also runs the benchmark's {@code @Setup(Level.Trial)}, whose model
 * work (a decode's prompt prefill) is not an operation: when it is a measurement iteration (no
 * warmup) its component times are NaN. Model work in other fixtures ({@code Level.Iteration},
 * trial teardown) would be counted; no benchmark of Knobs does any.
 *
 * <p>Options: {@code perLayer=true|false} (default false).
 */
public final class ComponentProfiler implements InternalProfiler {
    /** Prefix of the time metrics. */
    public static final String PREFIX = "component.";
    /** The step time outside every span. */
    public static final String OTHER = PREFIX + "other";
    /** Prefix of the per-component FLOPs metrics. */
    public static final String FLOPS_PREFIX = "componentFlops.";
    /** Prefix of the per-component bytes metrics. */
    public static final String BYTES_PREFIX = "componentBytes.";
    /** Unit of the time metrics. */
    public static final String UNIT = "ns/op";

    private static volatile Thread benchmarkThread;
    private static volatile ComputeDevice benchmarkDevice;
    private static volatile WorkTally tally;

    private final boolean perLayer;
    private final ComponentTimes times;
    private final WorkTally work = new WorkTally();
    private int iterations;
    private int measurements;

    /**
     * For JMH's profiler discovery ({@code -lprof}) only: {@link java.util.ServiceLoader} needs a
     * constructor without arguments. JMH runs profilers it created through {@link #ComponentProfiler(String)}.
     */
    public ComponentProfiler() {
        this.perLayer = false;
        this.times = null;
    }

    /**
     * What JMH calls for {@code -prof knobs.harness.ComponentProfiler[:perLayer=true]}.
     *
     * @throws ProfilerException for an option other than {@code perLayer=true|false}
     */
    public ComponentProfiler(String options) throws ProfilerException {
        this.perLayer = perLayer(options);
        // A new trial: the thread and device an earlier trial of this JVM registered (-f 0) are gone.
        benchmarkThread = null;
        benchmarkDevice = null;
        this.times = new ComponentTimes(ComponentProfiler::clock, () -> benchmarkThread);
    }

    static boolean perLayer(String options) throws ProfilerException {
        boolean perLayer = false;
        if (options == null || options.isBlank()) {
            return perLayer;
        }
        for (String part : options.split(";")) {
            if (part.isBlank()) {
                continue;
            }
            int eq = part.indexOf('=');
            String key = eq < 0 ? part.trim() : part.substring(0, eq).trim();
            String value = eq < 0 ? "" : part.substring(eq + 1).trim().toLowerCase(Locale.ROOT);
            if (!key.equals("perLayer") || !(value.equals("true") || value.equals("false"))) {
                throw new ProfilerException("ComponentProfiler: bad option '" + part.trim()
                        + "'; allowed: perLayer=true, perLayer=false (the default)");
            }
            perLayer = value.equals("true");
        }
        return perLayer;
    }

    /**
     * Records the benchmark thread and its device: spans of other threads are not counted, and the
     * device decides the clock (CUDA events or the host's). {@link Harness#setUp} calls this on the
     * benchmark thread.
     */
    static void registerBenchmarkThread(ComputeDevice device) {
        benchmarkThread = Thread.currentThread();
        benchmarkDevice = device;
    }

    /** The clock of the registered device; the host clock when no benchmark registered one (tests, CPU). */
    private static SpanClock clock() {
        ComputeDevice d = benchmarkDevice;
        return d != null && d.isCuda() ? new CudaSpanClock(d.index()) : SpanClock.host();
    }

    /**
     * Counts the analytic work of one operation for the per-component FLOPs; {@link WorkCounters}
     * calls it with the cost it is given. A no-op unless the profiler is on (one volatile read).
     */
    static void countWork(Object cost) {
        WorkTally t = tally;
        if (t != null) {
            t.add(cost);
        }
    }

    @Override
    public String getDescription() {
        return "Knobs (opt-in): time per model component (attention parts, norms, MLP or MoE parts, head, backward,"
                + " optimizer, vision, projector) per op, exclusive, and their analytic FLOPs and bytes (component.*,"
                + " componentFlops.*, componentBytes.*);"
                + " option perLayer=true adds component.L<i>.*";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        start();
    }

    /** Starts an iteration: the spans and the declared work are counted from here. */
    void start() {
        if (times == null) {
            throw new IllegalStateException("this ComponentProfiler was created for discovery only; use ComponentProfiler(String)");
        }
        iterations++;
        tally = work;
        Components.install(times);
    }

    @Override
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
                                                       IterationResult result) {
        IterationResultMetaData meta = result.getMetadata();
        Result<?> primary = result.getPrimaryResult();
        return end(iterationParams.getType() == IterationType.MEASUREMENT, iterationParams.getCount(),
                meta == null ? 0 : meta.getAllOps(), primary.getScore(), primary.getScoreUnit());
    }

    /**
     * Ends an iteration: stops listening, reads the spans' times and, for a measurement iteration,
     * returns its metrics.
     *
     * @param measurement  whether it is a measurement iteration (warmup ones report nothing)
     * @param measurements the trial's number of measurement iterations (after the last one, the clock is freed)
     * @param allOps       JMH's count of every operation the iteration ran
     * @param score        JMH's score of the iteration, in {@code unit}
     */
    List<ScalarResult> end(boolean measurement, int measurements, long allOps, double score, String unit) {
        if (Components.installed() == times) {
            Components.install(null);
        }
        tally = null;
        times.finish();
        ComponentTimes.Totals totals = times.take();
        Map<Object, Long> costs = work.take();
        if (!measurement) {
            return List.of();
        }
        if (++this.measurements == measurements) {
            times.close(); // the trial's last iteration: free the CUDA events
        }
        // The trial's first iteration ran its setup too (no warmup before it): not a step's time.
        boolean holdsSetup = iterations == 1;
        return results(totals, holdsSetup ? 0 : allOps, nanosPerOp(score, unit), perLayer, componentWork(costs));
    }

    /**
     * The metrics of one iteration.
     *
     * @param ops    operations the spans were counted over; 0 makes every time NaN (unknown)
     * @param stepNs JMH's time per op in nanoseconds
     * @param work   FLOPs (and bytes) per op by component, or null
     */
    static List<ScalarResult> results(ComponentTimes.Totals totals, long ops, double stepNs, boolean perLayer, PerOpWork work) {
        List<ScalarResult> out = new ArrayList<>();
        double sum = 0;
        for (Map.Entry<String, Long> e : totals.exclusiveNs().entrySet()) {
            double perOp = ops > 0 ? (double) e.getValue() / ops : Double.NaN;
            sum += perOp;
            out.add(new ScalarResult(PREFIX + e.getKey(), perOp, UNIT, AggregationPolicy.AVG));
        }
        out.add(new ScalarResult(OTHER, ops > 0 ? stepNs - sum : Double.NaN, UNIT, AggregationPolicy.AVG));
        if (perLayer) {
            totals.perLayerNs().forEach((layer, byName) -> byName.forEach((name, ns) -> out.add(new ScalarResult(
                    PREFIX + "L" + layer + "." + name, ops > 0 ? (double) ns / ops : Double.NaN, UNIT, AggregationPolicy.AVG))));
        }
        if (work != null) {
            work.flops().forEach((name, f) -> out.add(new ScalarResult(FLOPS_PREFIX + name, f, "flops/op", AggregationPolicy.AVG)));
            work.bytes().forEach((name, b) -> out.add(new ScalarResult(BYTES_PREFIX + name, b, "bytes/op", AggregationPolicy.AVG)));
        }
        return out;
    }

    /** Analytic work per op by component, averaged over the operations of an iteration. */
    record PerOpWork(Map<String, Double> flops, Map<String, Double> bytes) {
    }

    /**
     * Per-op work by component from the costs the iteration's operations declared (their average
     * when they declared different ones), or null when they declared none or one without a
     * per-component split ({@link CostModel.Cost#hasComponentSplit()}).
     */
    static PerOpWork componentWork(Map<Object, Long> costs) {
        long ops = costs.values().stream().mapToLong(Long::longValue).sum();
        if (ops == 0 || costs.keySet().stream().anyMatch(c -> !hasSplit(c))) {
            return null; // an operation whose work has no per-component split: no average over all of them
        }
        Map<String, Double> flops = new LinkedHashMap<>();
        Map<String, Double> bytes = new LinkedHashMap<>();
        costs.forEach((cost, n) -> {
            ComponentWork w;
            if (cost instanceof CostModel.Multimodal m) {
                w = ComponentWork.multimodal(m);
            } else if (cost instanceof CostModel.Cost c) {
                w = ComponentWork.of(c);
            } else {
                throw new IllegalArgumentException("not a CostModel cost: " + cost.getClass().getName());
            }
            w.flops().forEach((name, f) -> flops.merge(name, (double) f * n / ops, Double::sum));
            w.bytes().forEach((name, b) -> bytes.merge(name, (double) b * n / ops, Double::sum));
        });
        return new PerOpWork(flops, bytes);
    }

    private static boolean hasSplit(Object cost) {
        if (cost instanceof CostModel.Multimodal m) {
            return m.vision().hasComponentSplit() && m.projector().hasComponentSplit() && m.prefill().hasComponentSplit();
        }
        return !(cost instanceof CostModel.Cost c) || c.hasComponentSplit();
    }

    /**
     * A JMH score as nanoseconds per operation: time units per op ({@code ms/op}) or ops per time
     * unit ({@code ops/ms}).
     *
     * @throws IllegalArgumentException for another unit
     */
    static double nanosPerOp(double score, String unit) {
        String[] parts = unit.split("/");
        if (parts.length == 2 && parts[1].equals("op")) {
            return score * nanos(parts[0], unit);
        }
        if (parts.length == 2 && parts[0].equals("ops")) {
            return nanos(parts[1], unit) / score;
        }
        throw new IllegalArgumentException("score unit '" + unit + "' is not a time per op nor ops per time");
    }

    private static double nanos(String timeUnit, String unit) {
        return switch (timeUnit) {
            case "s" -> 1e9;
            case "ms" -> 1e6;
            case "us" -> 1e3;
            case "ns" -> 1;
            case "min" -> 60e9;
            default -> throw new IllegalArgumentException("score unit '" + unit + "': unknown time unit '" + timeUnit + "'");
        };
    }

    /** How many operations declared each cost object; the costs are the benchmarks' own, reused every op. */
    static final class WorkTally {
        private final Map<Object, Long> counts = new IdentityHashMap<>();
        private Object last;
        private long lastCount;

        void add(Object cost) {
            if (cost == last) {
                lastCount++;
                return;
            }
            flush();
            last = cost;
            lastCount = 1;
        }

        private void flush() {
            if (last != null) {
                counts.merge(last, lastCount, Long::sum);
                last = null;
                lastCount = 0;
            }
        }

        /** The counts since the last call, and forgets them. */
        Map<Object, Long> take() {
            flush();
            Map<Object, Long> out = new LinkedHashMap<>(counts);
            counts.clear();
            return out;
        }
    }
}
