package knobs.benchmarks;

import java.util.concurrent.TimeUnit;
import knobs.harness.ComputeDevice;
import knobs.harness.DeviceTimeCounters;
import knobs.harness.Harness;
import knobs.harness.ModelStep;
import knobs.harness.WorkCounters;
import knobs.kernels.Models;
import knobs.kernels.Pass;
import knobs.kernels.Phase;
import knobs.kernels.Precision;
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
 * The CS336 comparison: one step of each model size as a forward, a forward + backward, or a full
 * training step with AdamW (the {@code pass} every model knob has, run by {@link ModelStep}).
 * Backward should cost about 2× the forward (3× in total); a gap tells where autograd or the
 * optimizer add overhead. Sizes above {@code small} need a large machine: a configuration that
 * cannot fit fails with the estimated bytes and the limit, before building.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// Steps take 10 ms (tiny) to minutes (2.7B): 2 warmups and 3 measurements of at least one step each.
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {Harness.NO_PHYSICAL_BYTES_CHECK, Harness.HEAP})
@State(Scope.Thread)
public class ModelSize implements KnobCheck {
    /**
     * tiny, small, medium, large, xl, 2.7B (see docs/knobs.md for their shapes), any other preset, or
     * a Hugging Face model folder (its weights are loaded, then converted to {@code precision}).
     */
    @Param({"tiny", "small"})
    public String size;

    @Param({"forward", "forward_backward", "train_step"})
    public String pass;

    @Param("4")
    public int batchSize;

    @Param("128")
    public int contextLength;

    /**
     * fp32, bf16, fp16 or int8 (dynamically quantised linear layers, forward only). FLOPs are the
     * same for every precision; bytes are not. On an AVX2-only CPU bf16/fp16 prefill is several
     * times slower than fp32 — the results show it (docs/metrics.md).
     */
    @Param("fp32")
    public String precision;

    @Param("cpu")
    public String device;

    private Harness.Session session;
    private ModelStep step;

    /** Every check of this configuration that needs no natives (see {@link KnobCheck}). */
    @Override
    public void check() {
        ComputeDevice.check(device);
        ModelStep.check(Models.resolve(size).config(), Phase.PREFILL, Pass.parse(pass), Precision.parse(precision),
                "batchSize", batchSize, "contextLength", contextLength);
    }

    @Setup(Level.Trial)
    public void setUp() {
        check();
        session = Harness.setUp(device);
        step = new ModelStep(Models.resolve(size), Phase.PREFILL, Pass.parse(pass), batchSize, contextLength, session.device(),
                Precision.parse(precision), m -> { });
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        step.close();
    }

    @Benchmark
    public Tensor step(WorkCounters work, DeviceTimeCounters time) {
        return step.measure(work, time);
    }
}
