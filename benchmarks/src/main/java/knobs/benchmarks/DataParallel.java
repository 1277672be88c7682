package knobs.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import knobs.harness.ComputeDevice;
import knobs.harness.Harness;
import knobs.harness.MemoryBudget;
import knobs.harness.WorkCounters;
import knobs.harness.dist.DataParallelCounters;
import knobs.harness.dist.DataParallelRank;
import knobs.harness.dist.DistTrial;
import knobs.harness.dist.Lockstep;
import knobs.harness.dist.RankTimesProfiler;
import knobs.kernels.CostModel;
import knobs.kernels.MemoryEstimate;
import knobs.kernels.ModelConfig;
import knobs.kernels.Models;
import knobs.kernels.Pass;
import knobs.kernels.Precision;
import knobs.kernels.dist.DataParallelStep;
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
 * Data parallelism, DDP's way: {@code worldSize} replicas of a {@code size} model each run a
 * training step ({@code pass}) on their own {@code batchSize} sequences, and the gradients are
 * summed across ranks in {@code bucketMiB} buckets (reverse parameter order) and averaged before
 * the optimizer — started from gradient hooks as buckets fill during backward
 * ({@code overlap=hooks}), or after backward ({@code after_backward}). How much of the
 * communication backward hides is the knob's question: {@code exposedCommNs} against
 * {@code commNs} ({@link DataParallelCounters}); {@code worldSize=1} runs the same step without
 * any communication, the compute-only baseline.
 *
 * <p>The JMH fork is rank 0 and starts the other ranks as child JVMs unless torchrun's variables
 * are set ({@link DistTrial}, docs/distributed.md). Each step is started on every rank by rank 0
 * (untimed); the score is the slowest rank's step plus a closing barrier. Correctness: before the
 * first and after the last timed step every rank checks that the replicas are still identical
 * ({@link DataParallelRank#verify}); that the averaged step equals one process on the whole batch
 * is a test (kernels' DataParallelStepTest).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// Steps take milliseconds (tiny) to seconds: 2 warmups and 3 measurements of at least a second each.
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {Harness.NO_PHYSICAL_BYTES_CHECK, Harness.HEAP})
@State(Scope.Thread)
public class DataParallel implements KnobCheck {
    /** A model preset or Hugging Face folder, as ModelSize's {@code size}. */
    @Param("tiny")
    public String size;

    /** {@code train_step} (AdamW after the average) or {@code forward_backward}. */
    @Param("train_step")
    public String pass;

    /** Sequences per rank; the global batch is worldSize × batchSize. */
    @Param("4")
    public int batchSize;

    @Param("64")
    public int contextLength;

    /** Gradient bucket capacity in MiB (DDP's bucket_cap_mb, default 25). */
    @Param("25")
    public double bucketMiB;

    /** {@code hooks}: all-reduce each bucket as it fills during backward; {@code after_backward}: after it. */
    @Param("hooks")
    public String overlap;

    /** Number of ranks (this JVM is rank 0); 1 = no communication, the baseline. */
    @Param("2")
    public int worldSize;

    @Param("cpu")
    public String device;

    private DistTrial trial;
    private Lockstep lockstep;
    private long flops;
    private long bytes;
    private long gradientBytes;

    /** Every check of this configuration that needs no natives (see {@link KnobCheck}). */
    @Override
    public void check() {
        ComputeDevice.check(device);
        if (worldSize < 1 || worldSize > Collectives.MAX_WORLD_SIZE) {
            throw new IllegalArgumentException("worldSize=" + worldSize + " is not allowed: must be in 1.."
                    + Collectives.MAX_WORLD_SIZE + " (1 = the same step without communication)");
        }
        ModelConfig c = Models.resolve(size).config();
        Pass p = Pass.parse(pass);
        if (!p.backward()) {
            throw new IllegalArgumentException("pass=" + pass + " is not allowed: a data-parallel step all-reduces gradients;"
                    + " allowed: forward_backward, train_step");
        }
        if (batchSize < 1 || contextLength < 1 || contextLength > c.maxSeq()) {
            throw new IllegalArgumentException("batchSize=" + batchSize + " contextLength=" + contextLength
                    + " is not allowed for size '" + size + "': need batchSize >= 1 and 1 <= contextLength <= " + c.maxSeq());
        }
        if (!(bucketMiB > 0) || bucketMiB > 1 << 20) {
            throw new IllegalArgumentException("bucketMiB=" + bucketMiB + " is not allowed: must be > 0 and at most 1048576");
        }
        DataParallelStep.Overlap.parse(overlap);
        DistTrial.rankZeroCheck(worldSize, System.getenv());
        MemoryBudget.require(memory(c, p), "DataParallel size=" + size + " pass=" + pass + " batchSize=" + batchSize
                + " contextLength=" + contextLength + " worldSize=" + worldSize
                + (DistTrial.local(System.getenv()) ? " (all ranks on this machine)" : " (per rank)"));
    }

    /**
     * The step's memory on this machine: one rank's estimate plus its gradient buckets (a second
     * copy of the gradients), times the ranks started here (all of them without torchrun's variables).
     */
    private MemoryEstimate memory(ModelConfig c, Pass p) {
        MemoryEstimate one = MemoryEstimate.of(c, p, batchSize, contextLength, Precision.FP32.weightBytes());
        int here = DistTrial.local(System.getenv()) ? worldSize : 1;
        long buckets = worldSize > 1 ? one.gradients() : 0;
        return new MemoryEstimate(here * one.weights(), here * (one.gradients() + buckets), here * one.optimizer(),
                here * one.activations());
    }

    /** The knob values every rank's step is built from. */
    Map<String, String> params() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("size", size);
        m.put("pass", pass);
        m.put("batchSize", Integer.toString(batchSize));
        m.put("contextLength", Integer.toString(contextLength));
        m.put("bucketMiB", Double.toString(bucketMiB));
        m.put("overlap", overlap);
        m.put("worldSize", Integer.toString(worldSize));
        m.put("device", device);
        return m;
    }

    @Setup(Level.Trial)
    public void setUp() {
        check();
        Harness.setUp(device);
        ModelConfig c = Models.resolve(size).config();
        Pass p = Pass.parse(pass);
        // Work of all ranks together: each runs the per-rank step, optimizer included.
        CostModel.Cost one = CostModel.step(CostModel.forward(c, batchSize, contextLength, 0, Precision.FP32), p,
                CostModel.trainedParameters(c, c.layers()), Precision.FP32, Set.of());
        flops = one.flops() * worldSize;
        bytes = one.bytes() * worldSize;
        DataParallelRank rank0 = new DataParallelRank();
        trial = DistTrial.start(worldSize, device, rank0, params());
        lockstep = trial.lockstep();
        gradientBytes = rank0.gradientBytes();
        lockstep.verify();
    }

    /** The barrier before a step: rank 0's command reaches every rank (untimed). */
    @Setup(Level.Invocation)
    public void prepare() {
        lockstep.prepare();
    }

    @Benchmark
    public void step(WorkCounters work) {
        lockstep.step();
        work.add(flops, bytes, (long) worldSize * batchSize * contextLength);
    }

    /** Gathers the ranks' own times and counters of this iteration (outside the timed region). */
    @TearDown(Level.Iteration)
    public void gather(DataParallelCounters counters) {
        long[][] times = lockstep.gatherTimes();
        counters.add(times, lockstep.gatherCounters(), gradientBytes);
        RankTimesProfiler.post(times);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        trial.finish();
    }
}
