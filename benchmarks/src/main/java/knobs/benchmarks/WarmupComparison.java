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
 * What skipping warmup costs: a fresh fork builds the model, runs {@code warmupSteps} untimed
 * steps, then times single steps. Iteration 0 of each fork is the first timed call after N warmup
 * steps, later iterations approach the steady state, so both the first-call cost (allocator,
 * OpenBLAS thread start, JIT of the Java side) and its decay are visible (CS336 benchmarking (c)).
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// No JMH warmup: warming up is the knob. Each measurement iteration times exactly one step.
@Warmup(iterations = 0)
@Measurement(iterations = 5)
// Three fresh JVMs per setting: the first call is a per-process event, so forks are the replicates.
@Fork(value = 3, jvmArgsAppend = {Harness.NO_PHYSICAL_BYTES_CHECK, Harness.HEAP})
@State(Scope.Thread)
public class WarmupComparison implements KnobCheck {
    @Param({"0", "1", "2", "5"})
    public int warmupSteps;

    @Param({"prefill"})
    public String phase;

    /**
     * forward (autograd off), forward_backward (loss over every position, then backward) or
     * train_step (then an AdamW step); a backward runs with phase=prefill only (docs/knobs.md).
     */
    @Param("forward")
    public String pass;

    @Param("dense-cpu")
    public String model;

    @Param("128")
    public int promptLen;

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
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warmupSteps=" + warmupSteps + " is not allowed: must be >= 0");
        }
        ComputeDevice.check(device);
        ModelStep.check(Models.resolve(model).config(), Phase.parse(phase), Pass.parse(pass), Precision.FP32, "batch", batch,
                "promptLen", promptLen);
        ModelStep.checkTokens(TokenFile.forKnob(tokens), Models.resolve(model).config(), Phase.parse(phase), Pass.parse(pass), batch,
                "promptLen", promptLen);
    }

    @Setup(Level.Trial)
    public void setUp(ThreadKnobs threads) {
        check();
        session = Harness.setUp(device, threads.request());
        step = new ModelStep(Models.resolve(model), Phase.parse(phase), Pass.parse(pass), batch, promptLen, session.device(), Precision.FP32,
                m -> { }, TokenFile.forKnob(tokens));
        WorkCounters untimed = new WorkCounters();
        for (int i = 0; i < warmupSteps; i++) {
            step.measure(untimed, new DeviceTimeCounters()); // exactly what a timed step does, outside the measurement
        }
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
