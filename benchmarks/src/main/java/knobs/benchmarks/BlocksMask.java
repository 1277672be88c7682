package knobs.benchmarks;

import java.util.concurrent.TimeUnit;
import knobs.harness.ComputeDevice;
import knobs.harness.DeviceTimeCounters;
import knobs.harness.Harness;
import knobs.harness.ModelStep;
import knobs.harness.QualityCounters;
import knobs.harness.TokenFile;
import knobs.harness.WorkCounters;
import knobs.kernels.ModelConfig;
import knobs.kernels.Pass;
import knobs.kernels.Phase;
import knobs.kernels.Precision;
import knobs.kernels.ModelSource;
import knobs.kernels.Models;
import knobs.kernels.Quality;
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
 * How latency responds to depth, by masking rather than early exit: the first {@code activeBlocks}
 * blocks run and the rest are skipped while staying in the model (same weights, same memory), so
 * only the work changes. Per-block cost and the fixed cost (embeddings, LM head) fall out of the
 * slope and intercept of time against the number of active blocks. Beside the time, what skipping
 * blocks costs in output quality against the whole model (KL divergence, top-1 agreement), measured
 * in trial setup.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// Steps take 2-150 ms: 2 one-second warmups settle JIT and allocator, 5 measurements give a median.
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {Harness.NO_PHYSICAL_BYTES_CHECK, Harness.HEAP})
@State(Scope.Thread)
public class BlocksMask implements KnobCheck {
    /** Blocks that run, 1..layers of the model (dense-cpu has 8). */
    @Param({"1", "2", "3", "4", "5", "6", "7", "8"})
    public int activeBlocks;

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
    private Quality quality;
    private boolean randomWeights;

    /** Every check of this configuration that needs no natives (see {@link KnobCheck}). */
    @Override
    public void check() {
        ComputeDevice.check(device);
        ModelConfig c = Models.resolve(model).config();
        if (activeBlocks < 1 || activeBlocks > c.layers()) {
            throw new IllegalArgumentException("activeBlocks=" + activeBlocks + " is not allowed for model '" + model
                    + "': must be in 1.." + c.layers() + " (its number of blocks)");
        }
        ModelStep.check(c, Phase.parse(phase), Pass.parse(pass), Precision.FP32, "batch", batch, "promptLen", promptLen);
        ModelStep.checkTokens(TokenFile.forKnob(tokens), c, Phase.parse(phase), Pass.parse(pass), batch, "promptLen", promptLen);
    }

    @Setup(Level.Trial)
    public void setUp(ThreadKnobs threads) {
        check();
        session = Harness.setUp(device, threads.request());
        ModelSource source = Models.resolve(model);
        int layers = source.config().layers();
        step = new ModelStep(source, Phase.parse(phase), Pass.parse(pass), batch, promptLen, session.device(), Precision.FP32,
                m -> m.setActiveBlocks(activeBlocks), TokenFile.forKnob(tokens));
        quality = step.quality(m -> m.setActiveBlocks(layers), m -> m.setActiveBlocks(activeBlocks));
        randomWeights = !source.isCheckpoint();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        step.close();
    }

    @Benchmark
    public Tensor forward(WorkCounters work, DeviceTimeCounters time, QualityCounters quality) {
        Tensor logits = step.measure(work, time);
        quality.add(this.quality, randomWeights); // three additions: the quality was measured in setup
        return logits;
    }
}
