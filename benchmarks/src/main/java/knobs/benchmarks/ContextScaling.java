package knobs.benchmarks;

import java.util.concurrent.TimeUnit;
import knobs.harness.ComponentCounters;
import knobs.harness.ComputeDevice;
import knobs.harness.DeviceTimeCounters;
import knobs.harness.DeviceTimer;
import knobs.harness.Harness;
import knobs.harness.MemoryBudget;
import knobs.harness.ModelStep;
import knobs.harness.WorkCounters;
import knobs.kernels.CostModel;
import knobs.kernels.Inputs;
import knobs.kernels.MemoryEstimate;
import knobs.kernels.ModelConfig;
import knobs.kernels.ModelSource;
import knobs.kernels.Models;
import knobs.kernels.Pass;
import knobs.kernels.PassRunner;
import knobs.kernels.Precision;
import knobs.kernels.Training;
import knobs.kernels.VisionConfig;
import knobs.kernels.VisionLanguageModel;
import knobs.kernels.VisionPresets;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
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
 * How vision tokens drive prefill latency: a LLaVA-style pipeline with random weights runs a ViT
 * encoder over {@code crops} image crops (1 to 12 crops, as the 1×1 … 1×12 tilings of one image give), projects each
 * crop to a fixed number of tokens, then prefills the LLM over those vision tokens followed by the
 * text prompt. Vision encoder, projector and prefill are timed separately as secondary metrics, so
 * the growth with crops can be drawn as a stacked bar and attributed to a stage. With a backward
 * {@code pass} the whole pipeline trains: the loss covers the text positions, the backward runs
 * through the LLM, the projector and the encoder, and the three counters keep timing the forward
 * stages (the loss, backward and optimizer are the rest of the step).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// Steps take ~20-300 ms with the defaults: 2 one-second warmups settle the JIT and allocator, 5 measurements give n=5.
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
// One fork per configuration: each gets a fresh native heap and thread pools.
@Fork(value = 1, jvmArgsAppend = {Harness.NO_PHYSICAL_BYTES_CHECK, Harness.HEAP})
@State(Scope.Thread)
public class ContextScaling implements KnobCheck {
    /** Image crops per sequence; each yields the vision preset's tokens per crop. */
    @Param({"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"})
    public int crops;

    /** Vision encoder preset: vit-cpu (16 tokens per crop), vit-l-336 (144), vit-tiny (4, for tests). */
    @Param("vit-cpu")
    public String vision;

    /** LLM preset or Hugging Face folder (any dense or MoE model whose maxSeq holds the vision and text tokens). */
    @Param("dense-cpu")
    public String model;

    /** Text tokens after the vision tokens. */
    @Param("32")
    public int textTokens;

    @Param("1")
    public int batch;

    /**
     * forward (autograd off), forward_backward (loss over the text positions, backward through the
     * LLM, projector and encoder) or train_step (then an AdamW step over all three); docs/knobs.md.
     */
    @Param("forward")
    public String pass;

    @Param("cpu")
    public String device;

    private Harness.Session session;
    private VisionLanguageModel vlm;
    private Tensor images; // (B·crops, 3, H, W)
    private Tensor ids;    // (B, textTokens)
    private Tensor targets; // (B, textTokens), for a backward pass
    private PassRunner runner;
    private CostModel.Multimodal cost; // the three forward stages and, for a backward pass, its training part
    private long visionTokens;
    private DeviceTimer timer;

    /** Every check of this configuration that needs no natives (see {@link KnobCheck}). */
    @Override
    public void check() {
        ComputeDevice.check(device);
        VisionConfig v = VisionPresets.get(vision);
        ModelConfig llm = Models.resolve(model).config();
        Pass p = Pass.parse(pass);
        VisionLanguageModel.checkWorkload(v, llm, batch, crops, textTokens);
        MemoryBudget.require(MemoryEstimate.multimodal(v, llm, p, batch, crops, textTokens, Precision.FP32.weightBytes()),
                "vision '" + vision + "' + model '" + model + "' pass=" + pass + " crops=" + crops + " textTokens="
                        + textTokens + " batch=" + batch);
    }

    @Setup(Level.Trial)
    public void setUp(ThreadKnobs threads) {
        check(); // before loading anything
        VisionConfig v = VisionPresets.get(vision);
        ModelSource source = Models.resolve(model);
        ModelConfig llm = source.config();
        Pass p = Pass.parse(pass);
        session = Harness.setUp(device, threads.request());
        Device d = session.device().torchDevice();
        vlm = VisionLanguageModel.create(v, source, ModelStep.SEED).toDevice(d);
        images = Inputs.images(ModelStep.SEED + 1, (long) batch * crops, VisionConfig.CHANNELS, v.imageSize(), v.imageSize())
                .to(d, torch.ScalarType.Float);
        ids = Inputs.tokens(ModelStep.SEED + 2, llm.vocab(), batch, textTokens).to(d, torch.ScalarType.Long);
        targets = p.backward() ? Inputs.tokens(ModelStep.SEED + 3, llm.vocab(), batch, textTokens).to(d, torch.ScalarType.Long) : null;
        runner = new PassRunner(p, vlm.modules());
        cost = CostModel.multimodal(v, llm, batch, crops, textTokens, Precision.FP32)
                .step(p, CostModel.multimodalParameters(v, llm), Precision.FP32);
        visionTokens = (long) batch * crops * v.tokensPerCrop();
        timer = session.device().newTimer();
        session.device().sync();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        session.device().sync();
        images.close();
        ids.close();
        if (targets != null) {
            targets.close();
        }
        runner.close();
        timer.close();
    }

    @Benchmark
    public Tensor prefill(WorkCounters work, ComponentCounters parts, DeviceTimeCounters time) {
        try (PointerScope scope = new PointerScope()) {
            long[] stages = new long[3];
            timer.start();
            Tensor out = runner.run(() -> forward(stages), logits -> Training.textLoss(logits, targets));
            time.deviceNs += timer.stopAndSync(); // includes the stage syncs: a whole-step device time
            parts.addVision(stages[0], visionTokens);
            parts.addProjector(stages[1]);
            parts.addPrefill(stages[2]);
            work.add(cost, visionTokens + (long) batch * textTokens);
            return out;
        }
    }

    /** The forward, each stage between two device syncs; its times in ns go to {@code stages}. */
    private Tensor forward(long[] stages) {
        ComputeDevice d = session.device();
        d.sync();
        long t0 = System.nanoTime();
        Tensor features = vlm.encode(images);                 // (B·crops, P, dv)
        d.sync();
        long t1 = System.nanoTime();
        Tensor tokens = vlm.project(features, batch);         // (B, crops·tpc, d)
        d.sync();
        long t2 = System.nanoTime();
        Tensor logits = vlm.prefill(tokens, ids);             // (B, crops·tpc + textTokens, V)
        d.sync();
        long t3 = System.nanoTime();
        stages[0] = t1 - t0;
        stages[1] = t2 - t1;
        stages[2] = t3 - t2;
        return logits;
    }
}
