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
 * How prefill time grows with sequence length: linear terms (projections, MLP, LM head) against
 * attention's quadratic one. Per-token time is time / tokens (the {@code tokens} counter); the
 * report fits a + b·n + c·n² to find where the quadratic term starts to matter.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// Prefills take 20-600 ms: 2 warmups, 5 measurements of one second.
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {Harness.NO_PHYSICAL_BYTES_CHECK, Harness.HEAP})
@State(Scope.Thread)
public class SeqLenScaling implements KnobCheck {
    /** Prompt tokens; longer values (up to the model's maxSeq, 2048 for dense-cpu) on request. */
    @Param({"64", "128", "256", "512"})
    public int seqLen;

    /**
     * forward (autograd off), forward_backward (loss over every position, then backward) or
     * train_step (then an AdamW step); see docs/knobs.md.
     */
    @Param("forward")
    public String pass;

    @Param("dense-cpu")
    public String model;

    @Param("1")
    public int batch;

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
        ModelStep.check(Models.resolve(model).config(), Phase.PREFILL, Pass.parse(pass), Precision.FP32, "batch", batch,
                "seqLen", seqLen);
        ModelStep.checkTokens(TokenFile.forKnob(tokens), Models.resolve(model).config(), Phase.PREFILL, Pass.parse(pass), batch,
                "seqLen", seqLen);
    }

    @Setup(Level.Trial)
    public void setUp(ThreadKnobs threads) {
        check();
        session = Harness.setUp(device, threads.request());
        step = new ModelStep(Models.resolve(model), Phase.PREFILL, Pass.parse(pass), batch, seqLen, session.device(), Precision.FP32,
                m -> { }, TokenFile.forKnob(tokens));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        step.close();
    }

    @Benchmark
    public Tensor prefill(WorkCounters work, DeviceTimeCounters time) {
        return step.measure(work, time);
    }
}
