package knobs.kernels;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Mixture-of-experts feed-forward with grouped dispatch.
 *
 * <p>Router → softmax over all experts → top-k; with {@code normTopkProb} (Mixtral, and this
 * project's GPT-2-style MoE presets) the k weights are renormalised to sum 1, without it (OLMoE,
 * Qwen2-MoE) they stay the softmax probabilities. The N·k
 * (token, slot) pairs are sorted by expert so that each expert runs two (or three) matmuls on one
 * contiguous slice of gathered tokens; results are scaled by their routing weight and summed back
 * per token with {@code index_add_}. Only the chosen experts' FLOPs run, and the number of libtorch
 * calls grows with the number of experts hit, not with N·k.
 *
 * <p>Shared experts (Qwen2-MoE, DeepSeek-MoE) run on every token as one dense MLP of width
 * sharedExperts·sharedExpertDFf, scaled per token by sigmoid(x·w_gate) when the config has a gate,
 * and are added to the routed experts' output. Their matmuls and the gate's run inside the
 * {@link Components#MOE_EXPERTS} span (after the routed experts) and count as
 * {@link CostModel#SHARED_EXPERTS}; the combine then scatters the routed outputs onto the shared
 * output instead of onto zeros.
 *
 * <p>{@link #forwardNaive} is the reference: one token at a time, one expert at a time.
 */
public final class MoeFeedForward extends Module implements FeedForward {
    private final int d;
    private final int experts;
    private final long expertDFf;
    private final Activation activation;
    private final Tensor wRouter; // (E, d)
    private final Tensor wUp;     // (E, m·dFf, d)
    private final Tensor wDown;   // (E, d, dFf)
    private final boolean normTopkProb;
    private final MlpFeedForward shared; // null without shared experts
    private final Tensor wSharedGate;    // (1, d), or null without a gate
    private final Tensor[] up;    // per-expert views of wUp, made once: select() per call costs a JNI round trip
    private final Tensor[] down;
    private int topK;
    private Scalar topKScalar;
    private long[] lastTokensPerExpert;
    private RoutingMode routing = RoutingMode.ROUTER;
    private Tensor fixedExperts;
    private long fixedTokens = -1;
    private long fixedBatch = -1;
    private int fixedPos = -1;
    private RoutingTrace replay;  // recorded choices replayed instead of the mode's, or null
    private int replayLayer;
    private int replayPos;        // position of the next forward's first token (Gpt sets it: the KV length)
    private long batchOfCall = 1;
    private boolean recording;
    private long[] recorded;      // (N·k) experts of the latest forward while recording

    public MoeFeedForward(ModelConfig c) {
        super("MoeFeedForward");
        this.d = c.dModel();
        this.experts = c.experts();
        this.expertDFf = c.expertDFf();
        this.activation = c.activation();
        long m = activation.matrices - 1;
        this.wRouter = Init.param(this, "router", Init.normal(Init.STD, experts, d));
        this.wUp = Init.param(this, "experts_up", Init.normal(Init.STD, experts, m * expertDFf, d));
        this.wDown = Init.param(this, "experts_down", Init.normal(Init.residualStd(c), experts, d, expertDFf));
        this.normTopkProb = c.normTopkProb();
        this.shared = c.sharedExperts() > 0 ? register_module("shared_expert", MlpFeedForward.shared(c)) : null;
        this.wSharedGate = c.sharedExpertGate() ? Init.param(this, "shared_expert_gate", Init.normal(Init.STD, 1, d)) : null;
        this.up = new Tensor[experts];
        this.down = new Tensor[experts];
        refreshExpertViews();
        setTopK(c.topK());
    }

    /**
     * Rebuilds the per-expert weight views. Must run after the parameters move to another device or
     * dtype: {@code Module.to} swaps the parameters' storage, and old views keep pointing at the old one.
     */
    void refreshExpertViews() {
        for (int e = 0; e < experts; e++) {
            up[e] = wUp.select(0, e);
            down[e] = wDown.select(0, e);
        }
    }

    /** Moves the layer's parameters to {@code device} (keeping their dtype) and rebuilds the per-expert views. */
    public MoeFeedForward toDevice(org.bytedeco.pytorch.Device device) {
        to(device, false);
        refreshExpertViews();
        return this;
    }

    /** Changes the number of experts each token is routed to (1..experts). */
    public void setTopK(int k) {
        if (k < 1 || k > experts) {
            throw new IllegalArgumentException("topK=" + k + " is not allowed: must be in 1.." + experts
                    + " (the number of experts)");
        }
        if (replay != null && k > replay.k()) {
            throw new IllegalArgumentException("topK=" + k + " is above the replayed trace's k=" + replay.k() + " ("
                    + replay.source() + "); allowed: 1.." + replay.k());
        }
        this.topK = k;
        Scalar old = topKScalar;
        this.topKScalar = Ops.pinned(new Scalar((long) k));
        if (old != null) {
            old.releaseReference();
        }
        setFixedExperts(null, -1);
    }

    /** Chooses who routes tokens: the learned router, or a fixed balanced / skewed assignment. Ends a replay. */
    public void setRouting(RoutingMode mode) {
        this.routing = mode;
        this.replay = null;
        setFixedExperts(null, -1);
    }

    /**
     * Replays layer {@code layer} of a recorded trace instead of choosing experts (see
     * {@link RoutingTrace}: token (b, t) of a forward gets the experts recorded for sequence b at
     * position {@link #replayFrom} + t); null goes back to the routing mode. The trace must cover
     * this layer's experts and the current topK.
     */
    public void setReplay(RoutingTrace trace, int layer) {
        if (trace != null && (trace.experts() != experts || topK > trace.k() || layer < 0 || layer >= trace.layers())) {
            throw new IllegalArgumentException(trace.source() + ": cannot replay layer " + layer + " of a trace of "
                    + trace.layers() + " layers, " + trace.experts() + " experts, k=" + trace.k() + " on an MoE layer of "
                    + experts + " experts at topK=" + topK);
        }
        this.replay = trace;
        this.replayLayer = layer;
        setFixedExperts(null, -1);
    }

    /** The trace being replayed, or null. */
    public RoutingTrace replay() {
        return replay;
    }

    /** Sets the position of the next forward's first token (0 for a prefill, the KV length for a decode step). */
    public void replayFrom(int pos) {
        this.replayPos = pos;
    }

    /** While on, each forward keeps its chosen experts for {@link #recorded()}. */
    public void setRecording(boolean on) {
        this.recording = on;
        this.recorded = null;
    }

    /** The (N·k) experts the latest forward chose while recording, row-major (token, slot), most probable first; null if none. */
    public long[] recorded() {
        return recorded == null ? null : recorded.clone();
    }

    public RoutingMode routing() {
        return routing;
    }

    private void setFixedExperts(Tensor t, long tokens) {
        if (fixedExperts != null) {
            fixedExperts.releaseReference();
        }
        fixedExperts = t == null ? null : Ops.pinned(t);
        fixedTokens = tokens;
        fixedBatch = batchOfCall;
        fixedPos = replayPos;
    }

    /**
     * The (N, k) expert indices of a BALANCED or SKEWED routing, built once per token count, or of a
     * replayed trace, built once per (batch, position, tokens) window: a decode benchmark replays
     * the same window every step.
     */
    private Tensor fixedExperts(long n, Tensor like) {
        boolean stale = fixedTokens != n || (replay != null && (fixedBatch != batchOfCall || fixedPos != replayPos));
        if (stale) {
            long[] a;
            if (replay != null) {
                if (n % batchOfCall != 0) {
                    throw new IllegalStateException(n + " tokens do not split into " + batchOfCall + " sequences");
                }
                a = replay.window(replayLayer, (int) batchOfCall, replayPos, (int) (n / batchOfCall), topK);
            } else {
                a = routing.assign((int) n, topK, experts);
            }
            Tensor cpu = torch.empty(n, topK).to(torch.ScalarType.Long);
            cpu.data_ptr_long().put(a);
            setFixedExperts(cpu.to(like.device(), torch.ScalarType.Long), n);
        }
        return fixedExperts;
    }

    public int topK() {
        return topK;
    }

    /** Tokens routed to each expert by the latest {@link #forward} (a copy), or null before the first. */
    public long[] lastTokensPerExpert() {
        return lastTokensPerExpert == null ? null : lastTokensPerExpert.clone();
    }

    /** The same counts without a copy, for readers in this package that never modify them (each forward makes a new array). */
    long[] lastCounts() {
        return lastTokensPerExpert;
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor xf = x.reshape(-1, d);                                        // (N, d)
        batchOfCall = x.dim() == 3 ? x.size(0) : 1;
        Routing r = route(xf);
        if (recording) {
            recorded = new long[(int) (xf.size(0) * topK)];
            r.experts.contiguous().cpu().data_ptr_long().get(recorded);
        }
        Tensor tokenOfPair;
        long[] counts;
        Tensor w;
        try (Components.Span s = Components.span(Components.MOE_TOPK)) {
            Tensor flatExpert = r.experts.reshape(-1);                       // (N·k): pair p = n·k + j
            Tensor order = flatExpert.argsort(true, 0, false);               // pairs grouped by expert
            tokenOfPair = order.floor_divide(topKScalar);                    // (N·k) token of each sorted pair
            counts = tokensPerExpert(flatExpert);
            w = r.weights.reshape(-1).index_select(0, order);                // (N·k) routing weights
        }
        Tensor out = GradMode.is_enabled() ? forwardDifferentiable(xf, tokenOfPair, w, counts)
                : forwardInference(xf, tokenOfPair, w, counts);              // (N, d)
        lastTokensPerExpert = counts;
        return out.view(x.size(0), x.size(1), d);
    }

    /**
     * Differentiable path: gathers the tokens feature-major (tokens as columns), runs each expert
     * on its contiguous block of columns, concatenates, scales by the routing weights and scatters
     * back. Every intermediate is a new tensor, as autograd needs.
     */
    private Tensor forwardDifferentiable(Tensor xf, Tensor tokenOfPair, Tensor w, long[] counts) {
        Tensor xfT;
        Tensor xsT;
        try (Components.Span s = Components.span(Components.MOE_DISPATCH)) {
            xfT = xf.t().contiguous();                                       // (d, N)
            xsT = xfT.index_select(1, tokenOfPair);                          // (d, N·k) gathered tokens
        }
        TensorVector parts = new TensorVector();
        try (Components.Span s = Components.span(Components.MOE_EXPERTS)) {
            // Per-expert views from one unbind per call, not the cached select() views: the backward of
            // a select writes its slice into a zero tensor the size of all experts' weights, once per
            // expert (64 experts: 64 full-size gradients per matrix per layer, 36 s for one moe-cpu
            // step); unbind's backward stacks the experts' gradients once.
            TensorVector ups = wUp.unbind(0);
            TensorVector downs = wDown.unbind(0);
            long offset = 0;
            for (int e = 0; e < experts; e++) {
                long c = counts[e];
                if (c == 0) {
                    continue;
                }
                Tensor uT = Ops.linearT(CostModel.EXPERTS, ups.get(e), xsT.narrow(1, offset, c));   // (m·dFf, c)
                parts.push_back(Ops.linearT(CostModel.EXPERTS, downs.get(e), MlpFeedForward.hidden(activation, expertDFf, uT, 0)));        // (d, c)
                offset += c;
            }
        }
        Tensor sharedOut = sharedExperts(xf);                                // (N, d) or null
        try (Components.Span s = Components.span(Components.MOE_COMBINE)) {
            Tensor ysT = torch.cat(parts, 1).mul(w.unsqueeze(0));           // (d, N·k) weighted
            Tensor routed = xfT.new_zeros(d, xf.size(0)).index_add(1, tokenOfPair, ysT).t().contiguous();
            return sharedOut == null ? routed : routed.add(sharedOut);
        }
    }

    /**
     * Inference path (autograd off). The gathered tokens and the expert outputs, (N·k, d) each, live
     * token-major in a per-thread {@link Workspace} reused across calls and layers: fresh buffers
     * of that size (32 MiB at N·k = 16384, d = 512) come from {@code mmap} on every call and
     * page-fault on first touch, which costs more than the copies themselves (docs/performance.md).
     * Token-major storage makes the gather and the scatter whole-row copies; the experts still
     * compute feature-major, W·Xᵀ, on transposed views of their row blocks (BLAS reads and writes
     * them through the transpose flag and leading dimension, no copy). Each expert writes straight
     * into its block (no {@code cat}), and the routing weight scales the expert's small hidden
     * activation, W_down·(h·diag(w)) = (W_down·h)·diag(w), instead of a pass over the whole output.
     */
    private Tensor forwardInference(Tensor xf, Tensor tokenOfPair, Tensor w, long[] counts) {
        long nk = tokenOfPair.size(0);
        Workspace ws;
        try (Components.Span s = Components.span(Components.MOE_DISPATCH)) {
            ws = Workspace.get(nk, d, xf);
            torch.index_select_out(ws.xs, xf, 0, tokenOfPair);               // (N·k, d) gathered tokens
        }
        try (Components.Span s = Components.span(Components.MOE_EXPERTS)) {
            long offset = 0;
            for (int e = 0; e < experts; e++) {
                long c = counts[e];
                if (c == 0) {
                    continue;
                }
                Tensor uT = Ops.linearT(CostModel.EXPERTS, up[e], ws.xs.narrow(0, offset, c).t());  // (m·dFf, c)
                // the routing weight scales the small hidden activation here, not in the combine
                Tensor h = MlpFeedForward.hidden(activation, expertDFf, uT, 0).mul_(w.narrow(0, offset, c).unsqueeze(0));
                Ops.linearTOut(CostModel.EXPERTS, down[e], h, ws.ys.narrow(0, offset, c).t());  // (d, c) view of rows
                offset += c;
            }
        }
        Tensor sharedOut = sharedExperts(xf);                                // (N, d), a fresh tensor, or null
        try (Components.Span s = Components.span(Components.MOE_COMBINE)) {
            Tensor base = sharedOut == null ? xf.new_zeros(xf.size(0), d) : sharedOut;
            return base.index_add_(0, tokenOfPair, ws.ys);
        }
    }

    /**
     * The two (N·k, d) buffers of {@link #forwardInference}, one pair per thread, shared by every
     * MoE layer that thread runs (layers run one after another and each has consumed the buffers
     * before it returns). Reallocated when the shape, dtype or device changes; pinned, so no
     * benchmark's pointer scope frees them.
     */
    static final class Workspace {
        private static final ThreadLocal<Workspace> CURRENT = new ThreadLocal<>();
        final Tensor xs;
        final Tensor ys;
        private final long nk;
        private final long d;

        private Workspace(long nk, long d, Tensor like) {
            this.nk = nk;
            this.d = d;
            this.xs = Ops.pinned(like.new_empty(new long[] {nk, d}));
            this.ys = Ops.pinned(like.new_empty(new long[] {nk, d}));
        }

        /** This thread's workspace, or null (tests check that it is reused). */
        static Workspace current() {
            return CURRENT.get();
        }

        static Workspace get(long nk, long d, Tensor like) {
            Workspace ws = CURRENT.get();
            // Enums and Devices from native calls are fresh objects each time: compare interned enums and
            // the device's printed form, else the workspace would be reallocated on every call.
            if (ws != null && ws.nk == nk && ws.d == d && ws.xs.scalar_type().intern() == like.scalar_type().intern()
                    && sameDevice(ws.xs, like)) {
                return ws;
            }
            if (ws != null) {
                ws.release();
            }
            ws = new Workspace(nk, d, like);
            CURRENT.set(ws);
            return ws;
        }

        static boolean sameDevice(Tensor a, Tensor b) {
            try (PointerScope scope = new PointerScope()) {
                return a.device().str().getString().equals(b.device().str().getString());
            }
        }

        private void release() {
            xs.releaseReference();
            ys.releaseReference();
        }
    }

    /**
     * The shared experts' output for xf (N, d), gated when the config has a gate, inside a
     * {@link Components#MOE_EXPERTS} span; null without shared experts.
     */
    private Tensor sharedExperts(Tensor xf) {
        if (shared == null) {
            return null;
        }
        try (Components.Span s = Components.span(Components.MOE_EXPERTS)) {
            Tensor y = shared.apply(xf);                                     // (N, d)
            if (wSharedGate != null) {
                y = y.mul_(Ops.linear(CostModel.SHARED_EXPERTS, xf, wSharedGate).sigmoid_()); // × (N, 1)
            }
            return y;
        }
    }

    private Tensor expertHidden(int e, Tensor xe) {
        return MlpFeedForward.hidden(activation, expertDFf, Ops.linear(CostModel.EXPERTS, xe, up[e]));
    }

    private long[] tokensPerExpert(Tensor flatExpert) {
        Tensor counts = torch.bincount(flatExpert, Ops.NO_TENSOR, experts).cpu();
        long[] out = new long[experts];
        counts.data_ptr_long().get(out);
        return out;
    }

    /**
     * Chosen experts and their weights (renormalised when normTopkProb) for xf (N, d), in the
     * router's and top-k's spans: the routing of {@link #forward}, for callers that move the tokens
     * themselves (expert parallelism).
     */
    public Routing route(Tensor xf) {
        Tensor probs;
        try (Components.Span s = Components.span(Components.MOE_ROUTER)) {
            probs = Ops.linear(CostModel.ROUTER, xf, wRouter).softmax(-1);    // (N, E)
        }
        try (Components.Span s = Components.span(Components.MOE_TOPK)) {
            return select(probs, xf);
        }
    }

    /** Top-k (or fixed) experts of the router's probabilities, their weights renormalised when normTopkProb. */
    private Routing select(Tensor probs, Tensor xf) {
        Tensor weights;
        Tensor chosen;
        if (routing == RoutingMode.ROUTER && replay == null) {
            T_TensorTensor_T top = probs.topk(topK, -1, true, true);
            weights = top.get0();                                            // (N, k)
            chosen = top.get1();
        } else {
            chosen = fixedExperts(xf.size(0), xf);                           // (N, k): mode or trace
            weights = probs.gather(1, chosen);
        }
        if (normTopkProb) {
            weights = weights.div(weights.sum(new long[] {-1}, true, new org.bytedeco.pytorch.ScalarTypeOptional()));
        }
        return new Routing(weights, chosen);
    }

    /** Routing of N tokens: weights (N, k) (sum 1 per row when renormalised) and expert indices (N, k). */
    public record Routing(Tensor weights, Tensor experts) {
    }

    /** Expert {@code e} on rows xe (c, d): down(act(up·x)), unweighted, (c, d). No span of its own. */
    public Tensor expertForward(int e, Tensor xe) {
        if (e < 0 || e >= experts) {
            throw new IllegalArgumentException("expert " + e + " is not in 0.." + (experts - 1));
        }
        return Ops.linear(CostModel.EXPERTS, expertHidden(e, xe), down[e]);
    }

    /**
     * The (gated) shared experts' output for xf (N, d), in a {@link Components#MOE_EXPERTS} span, or
     * null when the layer has none.
     */
    public Tensor sharedOutput(Tensor xf) {
        return sharedExperts(xf);
    }

    /** The number of routed experts. */
    public int experts() {
        return experts;
    }

    /** The model width d. */
    public int dModel() {
        return d;
    }

    /**
     * Reference implementation: for every token and each of its k experts, run the expert on that
     * single token and accumulate the weighted result, then add the (gated) shared experts token by
     * token. Slow; for tests only.
     */
    public Tensor forwardNaive(Tensor x) {
        Tensor xf = x.reshape(-1, d);
        batchOfCall = x.dim() == 3 ? x.size(0) : 1;
        Routing r = route(xf);
        long n = xf.size(0);
        long[] idx = new long[(int) (n * topK)];
        r.experts.contiguous().data_ptr_long().get(idx);
        Tensor out = torch.zeros_like(xf);
        for (int i = 0; i < n; i++) {
            Tensor row = xf.narrow(0, i, 1);                                 // (1, d)
            for (int j = 0; j < topK; j++) {
                int e = (int) idx[i * topK + j];
                Tensor y = Ops.linear(CostModel.EXPERTS, expertHidden(e, row), down[e]);
                out.narrow(0, i, 1).add_(y.mul(r.weights.narrow(0, i, 1).narrow(1, j, 1)));
            }
            if (shared != null) {
                Tensor y = shared.apply(row);                                // (1, d)
                if (wSharedGate != null) {
                    y = y.mul(Ops.linear(CostModel.SHARED_EXPERTS, row, wSharedGate).sigmoid());
                }
                out.narrow(0, i, 1).add_(y);
            }
        }
        return out.view(x.size(0), x.size(1), d);
    }
}
