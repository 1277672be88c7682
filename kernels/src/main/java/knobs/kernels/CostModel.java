package knobs.kernels;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Analytic FLOPs and minimal bytes of one forward of a {@link Gpt}, per FLOP category and per
 * model component, and of the three stages of a {@link VisionLanguageModel} (vision encoder,
 * projector, multimodal prefill).
 *
 * <p>FLOPs: matmuls only, 2 per multiply-add; attention's QKᵀ and AV counted over the full
 * Tq×Tk rectangle for every query head (causal masking not subtracted, like PyTorch's flop
 * counter; grouped-query attention does the same score work as multi-head); MoE counts the router,
 * the k active experts per token and the shared experts (with their gate's d→1 projection) only;
 * embeddings (gathers), norms, QK-norm, RoPE, biases, softmax and activations count 0. Dtype never
 * changes FLOPs.
 *
 * <p>Bytes: a lower bound on memory traffic — every weight that is used is read once (for MoE the
 * expected number of distinct experts hit under uniform routing), the token embedding rows and
 * (learned positions) the position rows, the RoPE cos/sin rows of the new positions once per step,
 * keys and values read over the whole KV length and written for the new tokens (kvHeads heads
 * wide), token ids read and logits written, and for MoE the gathered token rows (dispatch: N·k rows
 * read and written) and the expert outputs scattered back (combine: N·k rows read, N written).
 * Other intermediate activations are assumed to stay in cache.
 *
 * <p>Bytes per element come from the {@link Precision}, in two classes: <em>linear weights</em>
 * (attention QKV and output, MLP or router, experts and shared experts, LM head) at
 * {@link Precision#weightBytes()}, and everything else — embedding rows, norm weights, biases, RoPE
 * tables, K/V, MoE dispatch rows and logits — at {@link Precision#activationBytes()}. For
 * fp32/bf16/fp16 the two are equal (4, 2, 2). For int8 the linear weights are 1 byte but the rest
 * stays fp32 (4 bytes), so an int8 step moves more than a quarter of fp32's bytes, and where K/V or
 * logits dominate (long contexts, large batches) not much less than fp32; each int8 linear also
 * reads {@link Precision#bytesPerOutputFeature()} (column offset and bias, 8 bytes) per output
 * feature, which covers its bias if it has one. fbgemm's on-the-fly uint8 copy of the input is an
 * intermediate and not counted. Token ids are int64 in every precision.
 *
 * <p>Per component: {@link Cost#flopsByComponent()} and {@link Cost#bytesByComponent()} split the
 * same totals by the {@link Components} span the work runs in, and sum to them exactly:
 * {@code embedding} (ids, token and position rows), {@code norm} (every norm's weights, not QK-norm),
 * {@code attention.qkv} (QKV projection and bias, QK-norm weights, RoPE rows), {@code attention.kernel}
 * (scores; K/V reads and writes), {@code attention.out}, {@code mlp}, {@code moe.router},
 * {@code moe.topk} (0), {@code moe.dispatch} and {@code moe.combine} (bytes only),
 * {@code moe.experts} (routed and shared experts, shared-expert gate), {@code lm_head} (weight and
 * logits).
 */
public final class CostModel {
    /** QKV and output projections. */
    public static final String ATTN_PROJ = "attention_proj";
    /** QKᵀ and AV inside scaled-dot-product attention. */
    public static final String ATTN_SCORES = "attention_scores";
    /** Dense MLP matmuls. */
    public static final String MLP = "mlp";
    /** MoE router projection. */
    public static final String ROUTER = "router";
    /** MoE routed-expert matmuls. */
    public static final String EXPERTS = "experts";
    /** MoE shared-expert matmuls and the shared-expert gate's projection. */
    public static final String SHARED_EXPERTS = "shared_experts";
    /** Final vocabulary projection. */
    public static final String LM_HEAD = "lm_head";
    /**
     * Vision encoder's patch embedding. The encoder's blocks reuse {@link #ATTN_PROJ},
     * {@link #ATTN_SCORES} and {@link #MLP}: each stage is a {@link Cost} of its own, so names only
     * need to be unique within a stage.
     */
    public static final String PATCH_EMBED = "patch_embed";
    /** Vision-to-language projector MLP. */
    public static final String PROJECTOR = "projector";

    private CostModel() {
    }

    /**
     * FLOPs and bytes of one step.
     *
     * @param flops             total FLOPs
     * @param bytes             minimal bytes moved
     * @param flopsByCategory   FLOPs per category (the constants of this class), matching {@link FlopCounter}
     * @param flopsByComponent  FLOPs per {@link Components} name; sums to {@code flops}, or empty
     *                          when the split is not known
     * @param bytesByComponent  bytes per {@link Components} name; sums to {@code bytes}, or empty
     *                          when the split is not known
     */
    public record Cost(long flops, long bytes, Map<String, Long> flopsByCategory, Map<String, Long> flopsByComponent,
                       Map<String, Long> bytesByComponent) {
        public Cost {
            flopsByCategory = Collections.unmodifiableMap(new TreeMap<>(flopsByCategory));
            flopsByComponent = Collections.unmodifiableMap(new TreeMap<>(flopsByComponent));
            bytesByComponent = Collections.unmodifiableMap(new TreeMap<>(bytesByComponent));
            boolean split = !flopsByComponent.isEmpty() || !bytesByComponent.isEmpty();
            if (sum(flopsByCategory) != flops
                    || split && (sum(flopsByComponent) != flops || sum(bytesByComponent) != bytes)) {
                throw new IllegalArgumentException("cost parts do not add up: flops " + flops + " vs categories "
                        + flopsByCategory + " and components " + flopsByComponent + "; bytes " + bytes + " vs "
                        + bytesByComponent);
            }
        }

        /**
         * A cost without a per-component split (both component maps empty): for costs whose work
         * does not run in known {@link Components} spans. A sum it takes part in ({@link #plus})
         * has no split either.
         */
        public Cost(long flops, long bytes, Map<String, Long> flopsByCategory) {
            this(flops, bytes, flopsByCategory, Map.of(), Map.of());
        }

        /** True when {@link #flopsByComponent()} and {@link #bytesByComponent()} split the totals. */
        public boolean hasComponentSplit() {
            return !flopsByComponent.isEmpty() || !bytesByComponent.isEmpty();
        }

        /** A cost given by its parts: the totals are their sums. */
        static Cost of(Map<String, Long> flopsByCategory, Map<String, Long> flopsByComponent,
                       Map<String, Long> bytesByComponent) {
            return new Cost(sum(flopsByCategory), sum(bytesByComponent), flopsByCategory, flopsByComponent,
                    bytesByComponent);
        }
    }

    /**
     * One forward in precision {@code p} over {@code tokens} new tokens per sequence after
     * {@code past} cached ones, the first {@code activeBlocks} blocks run. FLOPs do not depend on
     * {@code p}; bytes do (see the class comment).
     */
    public static Cost forward(ModelConfig c, int batch, int tokens, int past, Precision p, int activeBlocks) {
        if (batch < 1 || tokens < 1 || past < 0 || activeBlocks < 1 || activeBlocks > c.layers()) {
            throw new IllegalArgumentException("invalid workload: batch=" + batch + " tokens=" + tokens + " past=" + past
                    + " activeBlocks=" + activeBlocks + " (layers=" + c.layers() + ")");
        }
        return new Count(c, p).forward(batch, tokens, past, activeBlocks);
    }

    /** As {@link #forward(ModelConfig, int, int, int, Precision, int)} with all blocks active. */
    public static Cost forward(ModelConfig c, int batch, int tokens, int past, Precision p) {
        return forward(c, batch, tokens, past, p, c.layers());
    }

    /** A prefill of {@code tokens} tokens, or one decode step after a prompt of {@code tokens} tokens, in precision {@code p}. */
    public static Cost of(ModelConfig c, Phase phase, int batch, int tokens, Precision p) {
        return phase == Phase.PREFILL
                ? forward(c, batch, tokens, 0, p)
                : forward(c, batch, 1, tokens, p);
    }

    /** The count of one forward, component by component (see the class comment). */
    private static final class Count {
        private final ModelConfig c;
        private final long weightBytes;
        private final long elementBytes;
        private final long outputBytes;
        private final Map<String, Long> category = new TreeMap<>();
        private final Map<String, Long> flops = new TreeMap<>();
        private final Map<String, Long> bytes = new TreeMap<>();

        Count(ModelConfig c, Precision p) {
            this.c = c;
            this.weightBytes = p.weightBytes();
            this.elementBytes = p.activationBytes();
            this.outputBytes = p.bytesPerOutputFeature();
        }

        /** Adds matmul FLOPs of {@code cat} run in span {@code component}. */
        private void flops(String component, String cat, long f) {
            category.merge(cat, f, Long::sum);
            flops.merge(component, f, Long::sum);
        }

        private void bytes(String component, long b) {
            bytes.merge(component, b, Long::sum);
            flops.merge(component, 0L, Long::sum); // every component with traffic appears in both maps
        }

        /**
         * Bytes of linear layers with {@code weights} weight elements and {@code outFeatures} output
         * features: the weights, the int8 per-output-feature extras, and (float) their biases.
         */
        private long linear(long weights, long outFeatures, boolean biased) {
            return weights * weightBytes + outFeatures * outputBytes
                    + (biased && outputBytes == 0 ? outFeatures * elementBytes : 0);
        }

        Cost forward(int batch, int tokens, int past, int activeBlocks) {
            long b = batch;
            long t = tokens;
            long kv = past + t;
            long n = b * t;
            long d = c.dModel();
            long layers = activeBlocks;
            long m = c.activation().matrices;
            long qkv = c.qkvDim();
            long kvDim = c.kvDim();
            boolean learned = c.positions() == ModelConfig.Positions.LEARNED;

            bytes(Components.EMBEDDING, n * Long.BYTES + (n * d + (learned ? t * d : 0)) * elementBytes);
            bytes(Components.NORM, (2 * layers + 1) * c.normParameters(d) * elementBytes);

            flops(Components.ATTN_QKV, ATTN_PROJ, layers * 2 * n * d * qkv);
            bytes(Components.ATTN_QKV, layers * linear(d * qkv, qkv, c.qkvBias())
                    + (layers * (c.qkNorm() ? d + kvDim : 0) + (learned ? 0 : 2 * t * c.headDim())) * elementBytes);
            flops(Components.ATTN_KERNEL, ATTN_SCORES, layers * 2 * 2 * n * kv * d);
            bytes(Components.ATTN_KERNEL, layers * b * 2 * kvDim * (kv + t) * elementBytes);
            flops(Components.ATTN_OUT, ATTN_PROJ, layers * 2 * n * d * d);
            bytes(Components.ATTN_OUT, layers * linear(d * d, d, c.outBias()));

            if (c.isMoe()) {
                long k = c.topK();
                long fe = c.expertDFf();
                flops(Components.MOE_ROUTER, ROUTER, layers * 2 * n * d * c.experts());
                bytes(Components.MOE_ROUTER, layers * linear((long) c.experts() * d, c.experts(), false));
                bytes(Components.MOE_TOPK, 0);
                bytes(Components.MOE_DISPATCH, layers * 2 * n * k * d * elementBytes);
                flops(Components.MOE_EXPERTS, EXPERTS, layers * 2 * n * k * d * fe * m);
                double hit = expectedExpertsHit(c.experts(), c.topK(), n);
                bytes(Components.MOE_EXPERTS, layers * (Math.round(hit * m * d * fe) * weightBytes
                        + Math.round(hit * ((m - 1) * fe + d)) * outputBytes));
                if (c.sharedExperts() > 0) {
                    long fs = c.sharedDFf();
                    long gate = c.sharedExpertGate() ? 1 : 0;
                    flops(Components.MOE_EXPERTS, SHARED_EXPERTS, layers * 2 * n * d * (fs * m + gate));
                    bytes(Components.MOE_EXPERTS, layers * (linear(m * d * fs, (m - 1) * fs + d, false)
                            + linear(gate * d, gate, false)));
                }
                bytes(Components.MOE_COMBINE, layers * (n * k * d + n * d) * elementBytes);
            } else {
                flops(Components.MLP, MLP, layers * 2 * n * d * c.dFf() * m);
                bytes(Components.MLP, layers * linear(m * d * c.dFf(), (m - 1) * c.dFf() + d, c.mlpBias()));
            }

            flops(Components.LM_HEAD, LM_HEAD, 2 * n * d * c.vocab());
            bytes(Components.LM_HEAD, linear((long) c.vocab() * d, c.vocab(), false) + n * c.vocab() * elementBytes);
            return Cost.of(category, flops, bytes);
        }
    }

    /**
     * Forced-length generation of {@code n} tokens after a prompt of {@code promptLen}: one prefill,
     * then n − 1 decode steps whose KV length grows by one each step. Categories are summed.
     */
    public static Cost generation(ModelConfig c, int batch, int promptLen, int n, Precision p) {
        Cost total = forward(c, batch, promptLen, 0, p);
        for (int i = 0; i < n - 1; i++) {
            total = plus(total, forward(c, batch, 1, promptLen + i, p));
        }
        return total;
    }

    /**
     * Forward plus backward: the backward costs 2× the forward's matmul FLOPs (gradients w.r.t.
     * inputs and weights), and reads the weights again and writes their gradients (bytes ≈ 3× the
     * forward's). Categories are scaled by 3; components keep the forward's values and add
     * {@link Components#BACKWARD} with 2× the forward's FLOPs and bytes, since the backward runs in
     * one span of its own.
     */
    public static Cost forwardBackward(Cost forward) {
        Map<String, Long> f = new TreeMap<>();
        forward.flopsByCategory().forEach((k, v) -> f.put(k, 3 * v));
        if (!forward.hasComponentSplit()) {
            return new Cost(3 * forward.flops(), 3 * forward.bytes(), f);
        }
        Map<String, Long> fc = new TreeMap<>(forward.flopsByComponent());
        Map<String, Long> bc = new TreeMap<>(forward.bytesByComponent());
        fc.merge(Components.BACKWARD, 2 * forward.flops(), Long::sum);
        bc.merge(Components.BACKWARD, 2 * forward.bytes(), Long::sum); // weights read twice more, gradients written
        return Cost.of(f, fc, bc);
    }

    /**
     * Sum of two costs, category by category and component by component (no component split unless
     * both have one).
     */
    public static Cost plus(Cost a, Cost b) {
        Map<String, Long> categories = merge(a.flopsByCategory(), b.flopsByCategory());
        if (!a.hasComponentSplit() || !b.hasComponentSplit()) {
            return new Cost(a.flops() + b.flops(), a.bytes() + b.bytes(), categories);
        }
        return Cost.of(categories, merge(a.flopsByComponent(), b.flopsByComponent()),
                merge(a.bytesByComponent(), b.bytesByComponent()));
    }

    private static Map<String, Long> merge(Map<String, Long> a, Map<String, Long> b) {
        Map<String, Long> out = new TreeMap<>(a);
        b.forEach((k, v) -> out.merge(k, v, Long::sum));
        return out;
    }

    /**
     * The vision encoder over {@code images} crops. FLOPs: patch embedding 2·N·P·(3p²)·dv, then per
     * block QKV and output projections, bidirectional attention over all P patches, GELU MLP.
     * Bytes: every weight once, the pixels read and the patch features written (no KV cache: keys
     * and values are intermediates).
     */
    public static Cost vision(VisionConfig v, int images, Precision p) {
        if (images < 1) {
            throw new IllegalArgumentException("invalid vision workload: images=" + images);
        }
        long rows = (long) images * v.patches();  // N·P patch rows through every matmul
        long d = v.dModel();
        long layers = v.layers();
        long w = p.weightBytes();
        Map<String, Long> f = new TreeMap<>();
        Map<String, Long> fc = new TreeMap<>();
        Map<String, Long> bc = new TreeMap<>();
        f.put(PATCH_EMBED, 2 * rows * v.patchDim() * d);
        f.put(ATTN_PROJ, layers * 2 * rows * d * (3 * d + d));
        f.put(ATTN_SCORES, layers * 2 * 2 * rows * v.patches() * d);
        f.put(MLP, layers * 2 * rows * d * v.dFf() * Activation.GELU.matrices);
        long activations = (long) images * VisionConfig.CHANNELS * v.imageSize() * v.imageSize() // pixels read
                + rows * d;                                                                    // features written
        // components: the encoder's own span holds the patch embedding and positions; its blocks' spans nest inside
        fc.put(Components.VISION, f.get(PATCH_EMBED));
        bc.put(Components.VISION, ((long) v.patchDim() * d + (long) v.patches() * d) * w + activations * p.activationBytes());
        fc.put(Components.NORM, 0L);
        bc.put(Components.NORM, (layers * 4 * d + 2 * d) * w);
        fc.put(Components.ATTN_QKV, layers * 2 * rows * d * 3 * d);
        bc.put(Components.ATTN_QKV, layers * 3 * d * d * w);
        fc.put(Components.ATTN_KERNEL, f.get(ATTN_SCORES));
        bc.put(Components.ATTN_KERNEL, 0L);
        fc.put(Components.ATTN_OUT, layers * 2 * rows * d * d);
        bc.put(Components.ATTN_OUT, layers * d * d * w);
        fc.put(Components.MLP, f.get(MLP));
        bc.put(Components.MLP, layers * 2 * d * v.dFf() * w);
        return Cost.of(f, fc, bc);
    }

    /**
     * The projector over the patch features of {@code images} crops: pooling (not counted, like
     * every non-matmul op) then two matmuls on tokensPerCrop rows per crop. Bytes: both weights,
     * the patch features read and the vision tokens written.
     */
    public static Cost projector(VisionConfig v, ModelConfig llm, int images, Precision p) {
        if (images < 1) {
            throw new IllegalArgumentException("invalid projector workload: images=" + images);
        }
        long rows = (long) images * v.tokensPerCrop();
        long dv = v.dModel();
        long d = llm.dModel();
        Map<String, Long> f = new TreeMap<>();
        f.put(PROJECTOR, 2 * rows * dv * d + 2 * rows * d * d);
        long weights = dv * d + d * d;
        long activations = (long) images * v.patches() * dv + rows * d;
        return Cost.of(f, Map.of(Components.PROJECTOR, f.get(PROJECTOR)),
                Map.of(Components.PROJECTOR, weights * p.weightBytes() + activations * p.activationBytes()));
    }

    /**
     * LLM prefill over {@code visionTokens} projected embeddings followed by {@code textTokens}
     * token ids per sequence. FLOPs equal a text prefill of the same total length (embedding
     * gathers count 0); bytes differ only in that vision positions carry no int64 token id: their
     * embeddings are read in place of the token-embedding rows they replace, same count.
     */
    public static Cost multimodalPrefill(ModelConfig c, int batch, int visionTokens, int textTokens, Precision p) {
        if (visionTokens < 0 || textTokens < 0) {
            throw new IllegalArgumentException("invalid multimodal prefill: visionTokens=" + visionTokens
                    + " textTokens=" + textTokens);
        }
        Cost all = forward(c, batch, visionTokens + textTokens, 0, p);
        Map<String, Long> bc = new TreeMap<>(all.bytesByComponent());
        bc.merge(Components.EMBEDDING, -(long) batch * visionTokens * Long.BYTES, Long::sum);
        return Cost.of(all.flopsByCategory(), all.flopsByComponent(), bc);
    }

    /** The three stages of one multimodal prefill, each with its own FLOPs and bytes. */
    public record Multimodal(Cost vision, Cost projector, Cost prefill) {
        /** FLOPs of all three stages. */
        public long flops() {
            return vision.flops() + projector.flops() + prefill.flops();
        }

        /** Bytes of all three stages. */
        public long bytes() {
            return vision.bytes() + projector.bytes() + prefill.bytes();
        }
    }

    /** A {@link VisionLanguageModel#forward}: {@code batch} sequences of {@code crops} crops and {@code textTokens} text tokens. */
    public static Multimodal multimodal(VisionConfig v, ModelConfig llm, int batch, int crops, int textTokens, Precision p) {
        VisionLanguageModel.checkWorkload(v, llm, batch, crops, textTokens);
        int images = batch * crops;
        return new Multimodal(vision(v, images, p), projector(v, llm, images, p),
                multimodalPrefill(llm, batch, crops * v.tokensPerCrop(), textTokens, p));
    }

    private static long sum(Map<String, Long> f) {
        return f.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * Expected number of distinct experts chosen by {@code tokens} tokens that each pick {@code k}
     * of {@code experts} uniformly: E·(1 − (1 − k/E)^N). Exact (= k) for a single token.
     */
    public static double expectedExpertsHit(int experts, int k, long tokens) {
        return experts * (1.0 - Math.pow(1.0 - (double) k / experts, tokens));
    }
}
