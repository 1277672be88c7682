package knobs.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import knobs.harness.ComputeDevice;
import knobs.harness.Harness;
import knobs.harness.MemoryBudget;
import knobs.harness.dist.Collective;
import knobs.harness.dist.CollectiveCounters;
import knobs.harness.dist.CollectiveStep;
import knobs.harness.dist.DistTrial;
import knobs.harness.dist.Lockstep;
import knobs.harness.dist.RankTimesProfiler;
import knobs.kernels.MemoryEstimate;
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
 * c10d collectives between {@code worldSize} ranks, nccl-tests style: one {@code collective}
 * (all_reduce, all_gather, reduce_scatter, all_to_all, broadcast) on an S-byte fp32 message
 * ({@code bytes}, nccl-tests' size conventions: {@link Collective}), Gloo on the CPU, NCCL on CUDA.
 *
 * <p>The JMH fork is rank 0; without torchrun's variables it starts ranks 1..n−1 itself as child
 * JVMs on 127.0.0.1 ({@link DistTrial}; docs/distributed.md). Before each step (untimed, a JMH
 * invocation fixture) rank 0 sends the step command, a one-element all-reduce that is also the
 * barrier before it. The timed region on rank 0 is the collective plus a closing barrier, so the
 * score is the slowest rank's time plus one barrier's latency. Each rank also times its own part;
 * those times are gathered after every iteration (outside the timed region) into the counters
 * {@code slowestRankNs} / {@code fastestRankNs} ({@link CollectiveCounters}), and per rank with
 * {@code -prof knobs.harness.dist.RankTimesProfiler}. {@code algBytes} and {@code busBytes} per op
 * over the time per op are nccl-tests' algbw and busbw; reports does the division.
 *
 * <p>Correctness: before the first and after the last timed step, every rank fills its input with
 * a known pattern, runs the collective once, and compares its output with the expected values
 * (exact); a wrong value on any rank fails the trial naming the rank and the first wrong element.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {Harness.NO_PHYSICAL_BYTES_CHECK, Harness.HEAP})
@State(Scope.Thread)
public class Collectives implements KnobCheck {
    /** Largest world size this benchmark accepts. */
    static final int MAX_WORLD_SIZE = 256;

    @Param({"all_reduce", "all_gather", "reduce_scatter", "all_to_all", "broadcast"})
    public String collective;

    /** Message size S in bytes (nccl-tests' convention per collective; fp32 elements). */
    @Param({"1024", "65536", "1048576", "16777216"})
    public long bytes;

    /** Number of ranks (this JVM is rank 0). */
    @Param("2")
    public int worldSize;

    @Param("cpu")
    public String device;

    private DistTrial trial;
    private Lockstep lockstep;
    private Collective op;

    /** Every check of this configuration that needs no natives (see {@link KnobCheck}). */
    @Override
    public void check() {
        ComputeDevice.check(device);
        if (worldSize < 2 || worldSize > MAX_WORLD_SIZE) {
            throw new IllegalArgumentException("worldSize=" + worldSize + " is not allowed: must be in 2.." + MAX_WORLD_SIZE
                    + " (a collective needs at least two ranks)");
        }
        Collective op = Collective.parse(collective);
        op.checkBytes(bytes, worldSize);
        DistTrial.rankZeroCheck(worldSize, System.getenv());
        // On one machine every rank's memory is this machine's; with a launcher, rank 0 checks its own.
        int here = DistTrial.local(System.getenv()) ? worldSize : 1;
        long need = here * op.memoryPerRank(bytes, worldSize);
        MemoryBudget.Limit limit = MemoryBudget.limit();
        if (need > limit.bytes()) {
            throw new IllegalArgumentException("collective=" + collective + " bytes=" + bytes + " worldSize=" + worldSize + " needs about "
                    + MemoryEstimate.gb(need) + " on this machine (" + here + " rank(s) × " + MemoryEstimate.gb(op.memoryPerRank(bytes,
                    worldSize)) + ": buffers, verification and a JVM with libtorch each), more than the " + MemoryEstimate.gb(limit.bytes())
                    + " available (" + limit.source() + "); pick smaller bytes or fewer ranks, or set -D" + MemoryBudget.PROPERTY + "=BYTES");
        }
    }

    /** The knob values every rank's step is built from. */
    Map<String, String> params() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("collective", collective);
        m.put("bytes", Long.toString(bytes));
        m.put("worldSize", Integer.toString(worldSize));
        m.put("device", device);
        return m;
    }

    @Setup(Level.Trial)
    public void setUp() {
        check();
        Harness.setUp(device);
        op = Collective.parse(collective);
        trial = DistTrial.start(worldSize, device, new CollectiveStep(), params());
        lockstep = trial.lockstep();
        lockstep.verify();
    }

    /** The barrier before a step: rank 0's command reaches every rank (untimed). */
    @Setup(Level.Invocation)
    public void prepare() {
        lockstep.prepare();
    }

    @Benchmark
    public void step() {
        lockstep.step();
    }

    /** Gathers the ranks' own times of this iteration (outside the timed region). */
    @TearDown(Level.Iteration)
    public void gather(CollectiveCounters counters) {
        long[][] times = lockstep.gatherTimes();
        counters.add(times, bytes, op.busFactor(worldSize));
        RankTimesProfiler.post(times);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        trial.finish();
    }
}
