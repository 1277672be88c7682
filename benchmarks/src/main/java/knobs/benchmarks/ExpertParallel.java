package knobs.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import knobs.harness.ComputeDevice;
import knobs.harness.Harness;
import knobs.harness.WorkCounters;
import knobs.harness.dist.DistTrial;
import knobs.harness.dist.ExpertParallelCounters;
import knobs.harness.dist.ExpertParallelRank;
import knobs.harness.dist.Lockstep;
import knobs.harness.dist.RankTimesProfiler;
import knobs.kernels.ModelConfig;
import knobs.kernels.Presets;
import knobs.kernels.RoutingMode;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Expert parallelism: one MoE layer of preset {@code model} with its experts sharded over
 * {@code worldSize} ranks (E / worldSize each); every rank routes its own {@code tokens} tokens to
 * {@code topK} experts ({@code routing}), dispatches each (token, expert) row to the expert's rank
 * and combines the results back, both by all_to_all with unequal splits after a count exchange
 * ({@code knobs.kernels.dist.ExpertParallelMoe}). The knob's question is how all_to_all traffic and
 * time grow with top-k: {@code dispatchBytes} / {@code combineBytes} per step (tokens × k × d × 4
 * bytes × (W−1)/W under balanced routing) and {@code commNs} (the all_to_alls) against {@code computeNs}
 * ({@link ExpertParallelCounters}).
 *
 * <p>Forward only, autograd off. The JMH fork is rank 0 and starts the other ranks as child JVMs
 * unless torchrun's variables are set ({@link DistTrial}); the score is the slowest rank's step plus
 * a closing barrier. Correctness: before the first and after the last timed step every rank
 * compares the sharded layer's output with the whole layer's on the same tokens
 * ({@link ExpertParallelRank#verify}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {Harness.NO_PHYSICAL_BYTES_CHECK, Harness.HEAP})
@State(Scope.Thread)
public class ExpertParallel implements KnobCheck {
    @Param({"1", "2", "4", "8"})
    public int topK;

    /** Number of ranks (this JVM is rank 0); must divide the preset's expert count. */
    @Param("2")
    public int worldSize;

    /** Who picks the experts: the random learned router, round-robin balanced, or Zipf-skewed (see RoutingMode). */
    @Param("router")
    public String routing;

    /** MoE preset whose layer is sharded (d, experts, expert d_ff, activation); see docs/knobs.md. */
    @Param("moe-cpu")
    public String model;

    /** Tokens per rank through the layer at once. */
    @Param("512")
    public int tokens;

    @Param("cpu")
    public String device;

    private DistTrial trial;
    private Lockstep lockstep;
    private long[] work;

    /** Every check of this configuration that needs no natives (see {@link KnobCheck}). */
    @Override
    public void check() {
        ComputeDevice.check(device);
        ModelConfig c = Presets.getMoe(model).withTopK(topK);
        if (worldSize < 1 || worldSize > Collectives.MAX_WORLD_SIZE || c.experts() % worldSize != 0) {
            throw new IllegalArgumentException("worldSize=" + worldSize + " is not allowed for model '" + model + "' ("
                    + c.experts() + " experts): must divide the expert count, at most " + Collectives.MAX_WORLD_SIZE);
        }
        if (tokens < 1) {
            throw new IllegalArgumentException("tokens=" + tokens + " is not allowed: must be >= 1");
        }
        if (routing.startsWith("trace:")) {
            throw new IllegalArgumentException("routing=" + routing + " is not allowed here: ExpertParallel times one MoE layer"
                    + " on random activations, which a whole-model trace does not describe; allowed: router, balanced, skewed");
        }
        RoutingMode.parse(routing);
        DistTrial.rankZeroCheck(worldSize, System.getenv());
    }

    /** The knob values every rank's step is built from. */
    Map<String, String> params() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("topK", Integer.toString(topK));
        m.put("tokens", Integer.toString(tokens));
        m.put("routing", routing);
        m.put("worldSize", Integer.toString(worldSize));
        m.put("device", device);
        return m;
    }

    @Setup(Level.Trial)
    public void setUp() {
        check();
        Harness.setUp(device);
        // MoeDispatch's analytic work of one layer call on all ranks' tokens: the FLOPs every rank
        // does together, each expert's weights read once (on its rank). The ranks route, not this
        // JVM, so the bytes assume every expert that N·k pairs can reach is hit: an upper bound.
        ModelConfig c = Presets.getMoe(model).withTopK(topK);
        long n = (long) tokens * worldSize;
        work = MoeDispatch.moeWork(c, n, Math.min(c.experts(), n * c.topK()));
        trial = DistTrial.start(worldSize, device, new ExpertParallelRank(), params());
        lockstep = trial.lockstep();
        lockstep.verify();
    }

    /** The barrier before a step: rank 0's command reaches every rank (untimed). */
    @Setup(Level.Invocation)
    public void prepare() {
        lockstep.prepare();
    }

    @Benchmark
    public void step(WorkCounters counters) {
        lockstep.step();
        counters.add(work[0], work[1], (long) tokens * worldSize);
    }

    /** Gathers the ranks' own times and counters of this iteration (outside the timed region). */
    @TearDown(Level.Iteration)
    public void gather(ExpertParallelCounters counters) {
        long[][] times = lockstep.gatherTimes();
        counters.add(times, lockstep.gatherCounters());
        RankTimesProfiler.post(times);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        trial.finish();
    }
}
