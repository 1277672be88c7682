package knobs.benchmarks;

import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import knobs.harness.ComputeDevice;
import knobs.harness.DeviceTimeCounters;
import knobs.harness.DeviceTimer;
import knobs.harness.Harness;
import knobs.harness.MemoryBudget;
import knobs.harness.MemoryRegistry;
import knobs.harness.ModelStep;
import knobs.harness.QualityCounters;
import knobs.harness.TokenFile;
import knobs.harness.WorkCounters;
import knobs.kernels.CostModel;
import knobs.kernels.Gpt;
import knobs.kernels.Inputs;
import knobs.kernels.MemoryEstimate;
import knobs.kernels.ModelConfig;
import knobs.kernels.ModelSource;
import knobs.kernels.Models;
import knobs.kernels.Pass;
import knobs.kernels.PassRunner;
import knobs.kernels.Precision;
import knobs.kernels.Quality;
import knobs.kernels.Training;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
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
 * training step with AdamW — the {@code pass} every model knob has, run by the same
 * {@link PassRunner} as {@link ModelStep}'s. Backward should cost about 2× the forward (3× in total);
 * a gap tells where autograd or the optimizer add overhead. Sizes above {@code small} need a large machine:
 * a configuration that cannot fit fails with the estimated bytes and the limit, before building.
 * Beside the time, what a reduced precision costs in output quality against fp32 (KL divergence,
 * top-1 agreement of the forward's next-token distributions), measured in trial setup.
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

    /**
     * Input ids: random from a fixed seed, or a file of token ids (see TokenFile), whose next ids are
     * then the training targets (contextLength + 1 ids per sequence for a pass with backward).
     */
    @Param(TokenFile.RANDOM)
    public String tokens;

    @Param("cpu")
    public String device;

    private Harness.Session session;
    private Pass kind;
    private Gpt model;
    private Tensor inputs;
    private Tensor targets;
    private PassRunner runner;
    private CostModel.Cost cost;
    private DeviceTimer timer;
    private Quality quality;
    private boolean randomWeights;

    /** Every check of this configuration that needs no natives (see {@link KnobCheck}). */
    @Override
    public void check() {
        checked();
    }

    /** {@link #check()}, returning the step's memory estimate. */
    private MemoryEstimate checked() {
        ComputeDevice.check(device);
        ModelConfig c = Models.resolve(size).config();
        Pass k = Pass.parse(pass);
        Precision p = Precision.parse(precision);
        p.requireModel(c);
        if (k != Pass.FORWARD) {
            p.requireBackward(pass);
        }
        if (batchSize < 1 || contextLength < 1 || contextLength > c.maxSeq()) {
            throw new IllegalArgumentException("batchSize=" + batchSize + " contextLength=" + contextLength
                    + " is not allowed for size '" + size + "': need batchSize >= 1 and 1 <= contextLength <= " + c.maxSeq());
        }
        TokenFile file = TokenFile.forKnob(tokens);
        if (file != null) {
            boolean targets = k != Pass.FORWARD;
            file.check(c, batchSize, contextLength + (targets ? 1 : 0), "contextLength=" + contextLength
                    + (targets ? " with pass=" + pass + " (the inputs, then the last target)" : ""));
        }
        MemoryEstimate estimate = MemoryEstimate.of(c, k, batchSize, contextLength, p.weightBytes());
        MemoryBudget.require(estimate,
                "size=" + size + " pass=" + pass + " precision=" + precision + " batchSize=" + batchSize
                        + " contextLength=" + contextLength);
        if (p != Precision.FP32) {
            // The quality reference is the fp32 model's forward, taken in setup before the conversion.
            MemoryBudget.require(MemoryEstimate.of(c, Pass.FORWARD, batchSize, contextLength, Precision.FP32.weightBytes()),
                    "size=" + size + " precision=" + precision + ": its fp32 reference forward (quality, measured in setup)"
                            + " batchSize=" + batchSize + " contextLength=" + contextLength);
        }
        return estimate;
    }

    @Setup(Level.Trial)
    public void setUp(ThreadKnobs threads) {
        MemoryEstimate estimate = checked();
        ModelSource source = Models.resolve(size);
        ModelConfig c = source.config();
        kind = Pass.parse(pass);
        Precision p = Precision.parse(precision);
        session = Harness.setUp(device, threads.request());
        TokenFile file = TokenFile.forKnob(tokens);
        inputs = (file == null ? Inputs.tokens(ModelStep.SEED + 1, c.vocab(), batchSize, contextLength)
                : file.ids(batchSize, 0, contextLength)).to(session.device().torchDevice(), torch.ScalarType.Long);
        targets = (file != null && file.shortestOf(batchSize) > contextLength ? file.ids(batchSize, 1, contextLength)
                : Inputs.tokens(ModelStep.SEED + 2, c.vocab(), batchSize, contextLength)).to(session.device().torchDevice(), torch.ScalarType.Long);
        model = source.build(session.device().torchDevice(), Precision.FP32, ModelStep.SEED);
        // Against the unmodified model, fp32, before the conversion (which replaces the fp32 weights).
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            Tensor reference = model.forward(inputs, null);
            model.toPrecision(p);
            quality = Quality.compare(reference, model.forward(inputs, null));
            session.device().sync();
        }
        randomWeights = !source.isCheckpoint();
        MemoryRegistry.register(model, estimate, session.device());
        runner = new PassRunner(kind, List.of(model));
        CostModel.Cost forward = CostModel.forward(c, batchSize, contextLength, 0, p);
        cost = CostModel.step(forward, kind, CostModel.trainedParameters(c, c.layers()), p, Set.of());
        timer = session.device().newTimer();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        session.device().sync();
        timer.close();
        runner.close();
        inputs.close();
        targets.close();
    }

    @Benchmark
    public Tensor step(WorkCounters work, DeviceTimeCounters time, QualityCounters quality) {
        try (PointerScope scope = new PointerScope()) {
            timer.start();
            Tensor out = runner.run(() -> model.forward(inputs, null), logits -> Training.loss(logits, targets));
            time.deviceNs += timer.stopAndSync();
            work.add(cost, (long) batchSize * contextLength);
            quality.add(this.quality, randomWeights); // three additions: the quality was measured in setup
            return out;
        }
    }
}
