package knobs.benchmarks;

import java.util.concurrent.TimeUnit;
import knobs.harness.ComputeDevice;
import knobs.harness.DeviceTimeCounters;
import knobs.harness.DeviceTimer;
import knobs.harness.GenerationCounters;
import knobs.harness.Harness;
import knobs.harness.MemoryBudget;
import knobs.harness.MemoryRegistry;
import knobs.harness.ModelStep;
import knobs.harness.TokenFile;
import knobs.harness.WorkCounters;
import knobs.kernels.CostModel;
import knobs.kernels.Generation;
import knobs.kernels.Gpt;
import knobs.kernels.Inputs;
import knobs.kernels.MemoryEstimate;
import knobs.kernels.ModelConfig;
import knobs.kernels.Pass;
import knobs.kernels.Precision;
import knobs.kernels.ModelSource;
import knobs.kernels.Models;
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
 * How generation time grows with the number of output tokens: forced-length greedy generation
 * with a KV cache (no stop token), prefill and decode timed apart. The per-token decode time is
 * decodeNs / (maxNewTokens − 1); it grows slowly with the KV length.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// A generation takes 50 ms to several seconds: 1 warmup, 3 measurements; an iteration is at least one generation.
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {Harness.NO_PHYSICAL_BYTES_CHECK, Harness.HEAP})
@State(Scope.Thread)
public class OutputTokens implements KnobCheck {
    @Param({"1", "5", "10", "20", "50", "100", "200"})
    public int maxNewTokens;

    @Param("dense-cpu")
    public String model;

    @Param("32")
    public int promptLen;

    @Param("1")
    public int batch;

    /** Prompt ids: random from a fixed seed, or a file of token ids (see TokenFile). */
    @Param(TokenFile.RANDOM)
    public String tokens;

    @Param("cpu")
    public String device;

    private Harness.Session session;
    private Gpt gpt;
    private Generation generation;
    private Tensor prompt;
    private CostModel.Cost cost;
    private DeviceTimer timer;

    /** Every check of this configuration that needs no natives (see {@link KnobCheck}). */
    @Override
    public void check() {
        checked();
    }

    /** {@link #check()}, returning the generation's memory estimate. */
    private MemoryEstimate checked() {
        ComputeDevice.check(device);
        ModelConfig c = Models.resolve(model).config();
        Generation.requireFits(c, promptLen, maxNewTokens);
        if (batch < 1) {
            throw new IllegalArgumentException("batch=" + batch + " is not allowed: must be >= 1");
        }
        TokenFile file = TokenFile.forKnob(tokens);
        if (file != null) {
            file.check(c, batch, promptLen, "promptLen=" + promptLen);
        }
        MemoryEstimate estimate = MemoryEstimate.of(c, Pass.FORWARD, batch, promptLen + maxNewTokens, Float.BYTES);
        MemoryBudget.require(estimate, "model '" + model + "' with batch=" + batch + " promptLen=" + promptLen
                + " maxNewTokens=" + maxNewTokens);
        return estimate;
    }

    @Setup(Level.Trial)
    public void setUp(ThreadKnobs threads) {
        MemoryEstimate estimate = checked();
        ModelSource source = Models.resolve(model);
        ModelConfig c = source.config();
        session = Harness.setUp(device, threads.request());
        gpt = source.build(session.device().torchDevice(), Precision.FP32, ModelStep.SEED);
        MemoryRegistry.register(gpt, estimate, session.device());
        generation = new Generation(gpt, batch, promptLen + maxNewTokens); // the cache holds what is generated, not maxSeq
        TokenFile file = TokenFile.forKnob(tokens);
        prompt = (file == null ? Inputs.tokens(ModelStep.SEED + 1, c.vocab(), batch, promptLen) : file.ids(batch, 0, promptLen))
                .to(session.device().torchDevice(), torch.ScalarType.Long);
        cost = CostModel.generation(c, batch, promptLen, maxNewTokens, Precision.FP32);
        timer = session.device().newTimer();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        session.device().sync();
        timer.close();
        generation.close();
        prompt.close();
    }

    @Benchmark
    public Tensor generate(WorkCounters work, GenerationCounters parts, DeviceTimeCounters time) {
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            timer.start();
            long t0 = System.nanoTime();
            Tensor token = generation.prefill(prompt);
            session.device().sync();
            long t1 = System.nanoTime();
            for (int i = 1; i < maxNewTokens; i++) {
                token = generation.decode(token);
            }
            time.deviceNs += timer.stopAndSync();
            long t2 = System.nanoTime();
            parts.prefillNs += t1 - t0;
            parts.decodeNs += t2 - t1;
            work.add(cost, (long) batch * maxNewTokens);
            return token;
        }
    }
}
