package knobs.benchmarks;

import java.util.concurrent.TimeUnit;
import knobs.harness.ComputeDevice;
import knobs.harness.DeviceTimeCounters;
import knobs.harness.Harness;
import knobs.harness.ModelStep;
import knobs.harness.QualityCounters;
import knobs.harness.RoutingCounters;
import knobs.harness.RoutingSource;
import knobs.harness.TokenFile;
import knobs.harness.WorkCounters;
import knobs.kernels.ModelConfig;
import knobs.kernels.Pass;
import knobs.kernels.Phase;
import knobs.kernels.Precision;
import knobs.kernels.ModelSource;
import knobs.kernels.Models;
import knobs.kernels.Quality;
import knobs.kernels.RoutingMode;
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
 * How MoE latency responds to top-k: the same 64-expert model with k experts active per token,
 * timed for a whole prefill or for one decode step over a filled KV cache. FLOPs grow linearly
 * with k; whether time does tells if the MoE layer is compute-bound or dispatch-bound
 * (the FLOPs-vs-latency reading is a report over these results). Beside the time, what k costs in
 * output quality against the model's own k and router (KL divergence, top-1 agreement), measured
 * in trial setup.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// Steps take 1-200 ms: 3 one-second warmups settle the JIT and allocator, 5 measurements give n=5 per fork.
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
// One fork per configuration: each gets a fresh native heap and thread pools.
@Fork(value = 1, jvmArgsAppend = {Harness.NO_PHYSICAL_BYTES_CHECK, Harness.HEAP})
@State(Scope.Thread)
public class MoeTopK implements KnobCheck {
    @Param({"1", "2", "4", "8", "16", "32"})
    public int topK;

    @Param({"prefill", "decode"})
    public String phase;

    /**
     * forward (autograd off), forward_backward (loss over every position, then backward) or
     * train_step (then an AdamW step); a backward runs with phase=prefill only (docs/knobs.md).
     */
    @Param("forward")
    public String pass;

    /** Model preset or Hugging Face folder (see docs/knobs.md); must be a mixture of experts. */
    @Param("moe-cpu")
    public String model;

    /** Prompt tokens per sequence: the prefill length, or the KV length a decode step attends over. */
    @Param("128")
    public int promptLen;

    @Param("1")
    public int batch;

    /**
     * Who picks the experts: the model's router, round-robin balanced, Zipf-skewed (see RoutingMode),
     * or trace:FILE, a recorded trace replayed instead of the router (see RoutingTrace).
     */
    @Param("router")
    public String routing;

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
        ModelConfig c = Models.resolveMoe(model).withTopK(topK).config();
        Phase p = Phase.parse(phase);
        Pass k = Pass.parse(pass);
        RoutingSource r = RoutingSource.parse(routing);
        ModelStep.check(c, p, k, Precision.FP32, "batch", batch, "promptLen", promptLen);
        r.check(c, topK, batch, promptLen + (p == Phase.DECODE ? 1 : 0));
        ModelStep.checkTokens(TokenFile.forKnob(tokens), c, p, k, batch, "promptLen", promptLen);
    }

    @Setup(Level.Trial)
    public void setUp(ThreadKnobs threads) {
        check();
        session = Harness.setUp(device, threads.request());
        RoutingSource r = RoutingSource.parse(routing);
        ModelSource own = Models.resolveMoe(model);
        step = new ModelStep(own.withTopK(topK), Phase.parse(phase), Pass.parse(pass), batch, promptLen, session.device(),
                Precision.FP32, r::apply, TokenFile.forKnob(tokens));
        // Against the unmodified model: its own k (a checkpoint's num_experts_per_tok), its own router.
        int ownK = own.config().topK();
        quality = step.quality(m -> {
            m.setRouting(RoutingMode.ROUTER);
            m.setTopK(ownK);
        }, m -> {
            m.setTopK(topK);
            r.apply(m);
        });
        randomWeights = !own.isCheckpoint();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        step.close();
    }

    @Benchmark
    public Tensor forward(WorkCounters work, DeviceTimeCounters time, RoutingCounters routing, QualityCounters quality) {
        Tensor logits = step.measure(work, time);
        routing.add(step.model().lastRouting()); // a few Java loops over 64 counts per layer, after the sync
        quality.add(this.quality, randomWeights); // three additions: the quality was measured in setup
        return logits;
    }
}
