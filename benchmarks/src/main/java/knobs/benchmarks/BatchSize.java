package knobs.benchmarks;

import java.util.concurrent.TimeUnit;
import knobs.harness.ComputeDevice;
import knobs.harness.DeviceTimeCounters;
import knobs.harness.Harness;
import knobs.harness.ModelStep;
import knobs.harness.TokenFile;
import knobs.harness.WorkCounters;
import knobs.kernels.Pass;
import knobs.kernels.Phase;
import knobs.kernels.Precision;
import knobs.kernels.Models;
import org.bytedeco.pytorch.Tensor;
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
 * Throughput against batch size: tokens/s (the {@code tokens} counter over the time) as more
 * sequences share each weight read. Decode is memory-bound at batch 1, so its tokens/s should grow
 * almost linearly with the batch until the matmuls become compute-bound; prefill is compute-bound
 * already. {@code Inspect --fit-batch} finds the largest batch that fits a memory budget.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// Steps take 5-1000 ms: 2 warmups, 5 measurements of one second.
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {Harness.NO_PHYSICAL_BYTES_CHECK, Harness.HEAP})
@State(Scope.Thread)
public class BatchSize implements KnobCheck {
    @Param({"1", "2", "4", "8", "16"})
    public int batchSize;

    @Param({"prefill", "decode"})
    public String phase;

    /**
     * forward (autograd off), forward_backward (loss over every position, then backward) or
     * train_step (then an AdamW step); a backward runs with phase=prefill only (docs/knobs.md).
     */
    @Param("forward")
    public String pass;

    @Param("dense-cpu")
    public String model;

    /** Prompt tokens per sequence (the prefill length, or the KV length of a decode step). */
    @Param("128")
    public int promptLen;

    /** Prompt ids: random from a fixed seed, or a file of token ids (see TokenFile). */
    @Param(TokenFile.RANDOM)
    public String tokens;

    @Param("cpu")
    public String device;

    private Harness.Session session;
    private ModelStep step;

    /** Every check of this configuration that needs no natives (see {@link KnobCheck}). */
    @Override
    public void check() {
        ComputeDevice.check(device);
        ModelStep.check(Models.resolve(model).config(), Phase.parse(phase), Pass.parse(pass), Precision.FP32, "batchSize", batchSize,
                "promptLen", promptLen);
        ModelStep.checkTokens(TokenFile.forKnob(tokens), Models.resolve(model).config(), Phase.parse(phase), Pass.parse(pass), batchSize,
                "promptLen", promptLen);
    }

    @Setup(Level.Trial)
    public void setUp(ThreadKnobs threads) {
        check();
        session = Harness.setUp(device, threads.request());
        step = new ModelStep(Models.resolve(model), Phase.parse(phase), Pass.parse(pass), batchSize, promptLen, session.device(), Precision.FP32,
                m -> { }, TokenFile.forKnob(tokens));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        step.close();
    }

    @Benchmark
    public Tensor forward(WorkCounters work, DeviceTimeCounters time) {
        return step.measure(work, time);
    }
}
