package knobs.benchmarks;

import java.util.concurrent.TimeUnit;
import knobs.harness.ComputeDevice;
import knobs.harness.DeviceTimeCounters;
import knobs.harness.DeviceTimer;
import knobs.harness.Harness;
import knobs.harness.ModelStep;
import knobs.harness.WorkCounters;
import knobs.kernels.Inputs;
import knobs.kernels.MlpFeedForward;
import knobs.kernels.ModelConfig;
import knobs.kernels.MoeFeedForward;
import knobs.kernels.Presets;
import knobs.kernels.RoutingMode;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
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
 * The cost of MoE dispatch itself: one MoE feed-forward layer ({@code moe}) against a dense
 * feed-forward with the same active FLOPs ({@code dense}: the same SwiGLU MLP with
 * {@code d_ff = topK · expert_d_ff}), on the same tokens, in one JMH run. Both do the same expert
 * matmul FLOPs (the MoE layer adds the router's N·d·E), so
 * {@code time(dense) / time(moe)} is the MoE layer's throughput as a fraction of dense: what routing,
 * gathering, per-expert slicing and scattering back cost. docs/performance.md reports the ratio per
 * topK; the target is ≥ 0.8 for every topK. {@code reports summarize} also gives each {@code moe} row's
 * {@code percent_of_roofline_bound}: max(FLOPs / GEMM ceiling, bytes / read ceiling) over the measured
 * time, with bytes counting the weights of the experts this routing actually hits.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {Harness.NO_PHYSICAL_BYTES_CHECK, Harness.HEAP})
@State(Scope.Thread)
public class MoeDispatch implements KnobCheck {
    @Param({"1", "2", "4", "8", "16", "32"})
    public int topK;

    /** MoE preset whose layer shape is used (d, experts, expert d_ff, activation); see docs/knobs.md. */
    @Param("moe-cpu")
    public String model;

    /** Tokens through the layer at once (a prefill of batch × context flattened). */
    @Param("512")
    public int tokens;

    /** Who picks the experts: the random learned router, round-robin balanced, or Zipf-skewed (see RoutingMode). */
    @Param("router")
    public String routing;

    @Param("cpu")
    public String device;

    private Harness.Session session;
    private MoeFeedForward moe;
    private MlpFeedForward dense;
    private Tensor x;
    private DeviceTimer timer;
    private long[] moeWork;
    private long[] denseWork;

    /** Every check of this configuration that needs no natives (see {@link KnobCheck}). */
    @Override
    public void check() {
        ComputeDevice.check(device);
        Presets.getMoe(model).withTopK(topK);
        if (tokens < 1) {
            throw new IllegalArgumentException("tokens=" + tokens + " is not allowed: must be >= 1");
        }
        if (routing.startsWith("trace:")) {
            throw new IllegalArgumentException("routing=" + routing + " is not allowed here: MoeDispatch times one MoE layer on"
                    + " random activations, which a whole-model trace does not describe (replay traces with MoeTopK);"
                    + " allowed: router, balanced, skewed");
        }
        RoutingMode.parse(routing);
    }

    @Setup(Level.Trial)
    public void setUp(ThreadKnobs threads) {
        check();
        session = Harness.setUp(device, threads.request());
        ModelConfig c = Presets.getMoe(model).withTopK(topK);
        RoutingMode mode = RoutingMode.parse(routing);
        org.bytedeco.pytorch.global.torch.manual_seed(ModelStep.SEED);
        moe = new MoeFeedForward(c);
        moe.setRouting(mode);
        dense = new MlpFeedForward(denseEquivalent(c));
        var dev = session.device().torchDevice();
        moe.toDevice(dev);
        dense.to(dev, false);
        x = Inputs.activations(ModelStep.SEED + 1, 1, tokens, c.dModel()).to(dev, org.bytedeco.pytorch.global.torch.ScalarType.Float);
        timer = session.device().newTimer();
        moeWork = moeWork(c, tokens, expertsHit(moe, x));
        denseWork = denseWork(c, tokens);
    }

    /**
     * The distinct experts that {@code moe}'s routing sends {@code x}'s tokens to, from one real
     * forward. Every timed call routes the same x with the same weights and mode, so this is the
     * count each of them reads: under {@code router} and {@code skewed} routing a call can hit fewer
     * than min(E, N·k) experts, and their unread weights are no part of its memory traffic.
     */
    static long expertsHit(MoeFeedForward moe, Tensor x) {
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            moe.forward(x);
        }
        return java.util.Arrays.stream(moe.lastTokensPerExpert()).filter(n -> n > 0).count();
    }

    /**
     * {FLOPs, bytes} of one MoE layer call that hits {@code expertsHit} distinct experts: matmul
     * FLOPs (2 per multiply-add) of the k routed experts per token, the shared experts, the router
     * and a shared-expert gate; bytes are the fp32 weights read once (every matrix of each expert
     * hit, the shared experts, the router and the gate) plus the input and output activations.
     * Intermediates (gathered rows, hidden activations) are assumed to stay in cache: a lower bound.
     */
    static long[] moeWork(ModelConfig c, long tokens, long expertsHit) {
        if (expertsHit < 1 || expertsHit > Math.min(c.experts(), tokens * c.topK())) {
            throw new IllegalArgumentException("expertsHit=" + expertsHit + " is impossible for " + tokens + " tokens, topK="
                    + c.topK() + ", " + c.experts() + " experts: must be in 1.." + Math.min(c.experts(), tokens * c.topK()));
        }
        long d = c.dModel();
        long m = c.activation().matrices;
        long gate = c.sharedExpertGate() ? 1 : 0;
        long flops = 2L * tokens * d * ((long) c.topK() * c.expertDFf() + c.sharedDFf()) * m;
        return new long[] {flops + 2L * tokens * d * (c.experts() + gate),
                4L * (expertsHit * d * c.expertDFf() * m + (long) c.sharedDFf() * d * m + (c.experts() + gate) * d
                        + 2L * tokens * d)};
    }

    /** {FLOPs, bytes} of one call of the dense equivalent: its matmuls, its fp32 weights once, input and output. */
    static long[] denseWork(ModelConfig c, long tokens) {
        long d = c.dModel();
        long m = c.activation().matrices;
        long active = (long) c.topK() * c.expertDFf() + c.sharedDFf();
        return new long[] {2L * tokens * d * active * m, 4L * (d * active * m + 2L * tokens * d)};
    }

    /**
     * The dense MLP (the preset's activation) doing the MoE layer's active expert FLOPs:
     * d_ff = topK · expert d_ff (+ the shared experts' width).
     */
    static ModelConfig denseEquivalent(ModelConfig moe) {
        return moe.toBuilder().name(moe.name() + "-dense-equivalent")
                .dense(moe.topK() * moe.expertDFf() + moe.sharedDFf()).build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        session.device().sync();
        timer.close();
    }

    @Benchmark
    public Tensor moe(WorkCounters work, DeviceTimeCounters time) {
        return run(true, work, time);
    }

    @Benchmark
    public Tensor dense(WorkCounters work, DeviceTimeCounters time) {
        return run(false, work, time);
    }

    private Tensor run(boolean isMoe, WorkCounters work, DeviceTimeCounters time) {
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            timer.start();
            Tensor y = isMoe ? moe.forward(x) : dense.forward(x);
            time.deviceNs += timer.stopAndSync();
            long[] w = isMoe ? moeWork : denseWork;
            work.add(w[0], w[1], tokens);
            return y;
        }
    }
}
