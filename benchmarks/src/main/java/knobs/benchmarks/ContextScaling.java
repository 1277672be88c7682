package knobs.benchmarks;

import java.util.concurrent.TimeUnit;
import knobs.harness.ComponentCounters;
import knobs.harness.ComputeDevice;
import knobs.harness.DeviceTimeCounters;
import knobs.harness.DeviceTimer;
import knobs.harness.Harness;
import knobs.harness.ModelStep;
import knobs.harness.WorkCounters;
import knobs.kernels.CostModel;
import knobs.kernels.Inputs;
import knobs.kernels.ModelConfig;
import knobs.kernels.ModelSource;
import knobs.kernels.Models;
import knobs.kernels.Precision;
import knobs.kernels.VisionConfig;
import knobs.kernels.VisionLanguageModel;
import knobs.kernels.VisionPresets;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
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
 * How vision tokens drive prefill latency: a LLaVA-style pipeline with random weights runs a ViT
 * encoder over {@code crops} image crops (1 to 12 crops, as the 1×1 … 1×12 tilings of one image give), projects each
 * crop to a fixed number of tokens, then prefills the LLM over those vision tokens followed by the
 * text prompt. Vision encoder, projector and prefill are timed separately as secondary metrics, so
 * the growth with crops can be drawn as a stacked bar and attributed to a stage.
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

    @Param("cpu")
    public String device;

    private Harness.Session session;
    private VisionLanguageModel vlm;
    private Tensor images; // (B·crops, 3, H, W)
    private Tensor ids;    // (B, textTokens)
    private CostModel.Multimodal cost;
    private long visionTokens;
    private DeviceTimer timer;

    /** Every check of this configuration that needs no natives (see {@link KnobCheck}). */
    @Override
    public void check() {
        ComputeDevice.check(device);
        VisionLanguageModel.checkWorkload(VisionPresets.get(vision), Models.resolve(model).config(), batch, crops, textTokens);
    }

    @Setup(Level.Trial)
    public void setUp() {
        check(); // before loading anything
        VisionConfig v = VisionPresets.get(vision);
        ModelSource source = Models.resolve(model);
        ModelConfig llm = source.config();
        session = Harness.setUp(device);
        Device d = session.device().torchDevice();
        vlm = VisionLanguageModel.create(v, source, ModelStep.SEED).toDevice(d);
        images = Inputs.images(ModelStep.SEED + 1, (long) batch * crops, VisionConfig.CHANNELS, v.imageSize(), v.imageSize())
                .to(d, torch.ScalarType.Float);
        ids = Inputs.tokens(ModelStep.SEED + 2, llm.vocab(), batch, textTokens).to(d, torch.ScalarType.Long);
        cost = CostModel.multimodal(v, llm, batch, crops, textTokens, Precision.FP32);
        visionTokens = (long) batch * crops * v.tokensPerCrop();
        timer = session.device().newTimer();
        session.device().sync();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        session.device().sync();
        images.close();
        ids.close();
        timer.close();
    }

    @Benchmark
    public Tensor prefill(WorkCounters work, ComponentCounters parts, DeviceTimeCounters time) {
        ComputeDevice d = session.device();
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            timer.start();
            d.sync();
            long t0 = System.nanoTime();
            Tensor features = vlm.encode(images);                 // (B·crops, P, dv)
            d.sync();
            long t1 = System.nanoTime();
            Tensor tokens = vlm.project(features, batch);         // (B, crops·tpc, d)
            d.sync();
            long t2 = System.nanoTime();
            Tensor logits = vlm.prefill(tokens, ids);             // (B, crops·tpc + textTokens, V)
            time.deviceNs += timer.stopAndSync(); // includes the stage syncs: a whole-step device time
            long t3 = System.nanoTime();
            parts.addVision(t1 - t0, visionTokens);
            parts.addProjector(t2 - t1);
            parts.addPrefill(t3 - t2);
            work.add(cost, visionTokens + (long) batch * textTokens);
            return logits;
        }
    }
}
