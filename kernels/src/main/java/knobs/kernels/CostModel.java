package knobs.kernels;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Analytic FLOPs and minimal bytes of one forward of a {@link Gpt}, per component, and of the
 * three stages of a {@link VisionLanguageModel} (vision encoder, projector, multimodal prefill).
 *
 * <p>FLOPs: matmuls only, 2 per multiply-add; attention's QKᵀ and AV counted over the full
 * Tq×Tk rectangle (causal masking not subtracted, like PyTorch's flop counter); MoE counts the
 * router and the k active experts per token only; embeddings (gathers) count 0. Dtype never
 * changes FLOPs.
 *
 * <p>Bytes: a lower bound on memory traffic — every weight that is used is read once (for MoE the
 * expected number of distinct experts hit under uniform routing), the token and position embedding
 * rows, keys and values read over the whole KV length and written for the new tokens, token ids read
 * and logits written. Intermediate activations are assumed to stay in cache.
 *
 * <p>Bytes per element come from the {@link Precision}, in two classes: <em>linear weights</em>
 * (attention QKV and output, MLP or router and experts, LM head) at {@link Precision#weightBytes()},
 * and everything else — embedding rows, LayerNorm parameters, K/V and logits — at
 * {@link Precision#activationBytes()}. For fp32/bf16/fp16 the two are equal (4, 2, 2). For int8 the
 * linear weights are 1 byte but embeddings, LayerNorms, KV cache and logits stay fp32 (4 bytes), so
 * an int8 step moves more than a quarter of fp32's bytes, and where K/V or logits dominate (long
 * contexts, large batches) not much less than fp32; each int8 linear also reads
 * {@link Precision#bytesPerOutputFeature()} (column offset and bias, 8 bytes) per output feature.
 * fbgemm's on-the-fly uint8 copy of the input is an intermediate and not counted. Token ids are
 * int64 in every precision.
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
    /** MoE expert matmuls. */
    public static final String EXPERTS = "experts";
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
     * FLOPs and bytes of one forward step.
     *
     * @param flops          total FLOPs
     * @param bytes          minimal bytes moved
     * @param flopsByCategory FLOPs per category (the constants of this class), matching {@link FlopCounter}
     */
    public record Cost(long flops, long bytes, Map<String, Long> flopsByCategory) {
        public Cost {
            flopsByCategory = Collections.unmodifiableMap(new TreeMap<>(flopsByCategory));
        }
    }

    /**
     * One forward in precision {@code p} over {@code tokens} new tokens per sequence after
     * {@code past} cached ones, the first {@code activeBlocks} blocks run. FLOPs do not depend on
     * {@code p}; bytes do (see the class comment).
     */
    public static Cost forward(ModelConfig c, int batch, int tokens, int past, Precision p, int activeBlocks) {
        return compute(c, batch, tokens, past, p.weightBytes(), p.activationBytes(), p.bytesPerOutputFeature(), activeBlocks);
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

    /**
     * The count, with linear weights {@code weightBytes} and every other element {@code elementBytes}
     * wide, and {@code outputBytes} more per output feature of every linear layer used.
     */
    private static Cost compute(ModelConfig c, int batch, int tokens, int past, int weightBytes, int elementBytes,
                                int outputBytes, int activeBlocks) {
        if (batch < 1 || tokens < 1 || past < 0 || weightBytes < 1 || elementBytes < 1 || outputBytes < 0
                || activeBlocks < 1 || activeBlocks > c.layers()) {
            throw new IllegalArgumentException("invalid workload: batch=" + batch + " tokens=" + tokens + " past=" + past
                    + " weightBytes=" + weightBytes + " elementBytes=" + elementBytes + " activeBlocks=" + activeBlocks
                    + " (layers=" + c.layers() + ")");
        }
        long b = batch;
        long t = tokens;
        long kv = past + t;
        long n = b * t;
        long d = c.dModel();
        long layers = activeBlocks;
        long m = c.activation().matrices;

        Map<String, Long> f = new TreeMap<>();
        f.put(ATTN_PROJ, layers * 2 * n * d * (3 * d + d));
        f.put(ATTN_SCORES, layers * 2 * 2 * n * kv * d);
        long linear = layers * 4 * d * d;              // weight elements: QKV and output projections
        long outputs = layers * 4 * d;                 // output features of those layers
        if (c.isMoe()) {
            f.put(ROUTER, layers * 2 * n * d * c.experts());
            f.put(EXPERTS, layers * 2 * n * c.topK() * d * c.expertDFf() * m);
            double hit = expectedExpertsHit(c.experts(), c.topK(), n);
            linear += layers * ((long) c.experts() * d + Math.round(hit * m * d * c.expertDFf()));
            outputs += layers * ((long) c.experts() + Math.round(hit * ((m - 1) * c.expertDFf() + d)));
        } else {
            f.put(MLP, layers * 2 * n * d * c.dFf() * m);
            linear += layers * m * d * c.dFf();
            outputs += layers * ((m - 1) * c.dFf() + d);
        }
        f.put(LM_HEAD, 2 * n * d * c.vocab());
        linear += (long) c.vocab() * d;
        outputs += c.vocab();

        long elements = layers * 4 * d + 2 * d         // LayerNorm weights and biases (two per block, final)
                + n * d + t * d                        // token and position embedding rows
                + layers * b * 2 * d * (kv + t)        // K and V: read over the KV length, written for new tokens
                + n * c.vocab();                       // logits written
        long bytes = linear * weightBytes + outputs * outputBytes + elements * elementBytes
                + n * Long.BYTES;                      // token ids (int64)
        long total = f.values().stream().mapToLong(Long::longValue).sum();
        return new Cost(total, bytes, f);
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

    /** Forward plus backward: {@code plus(forward, backward(forward))}. */
    public static Cost forwardBackward(Cost forward) {
        return plus(forward, backward(forward));
    }

    /**
     * The backward of a forward whose every matmul needs both gradients. See
     * {@link #backward(Cost, Set)}.
     */
    public static Cost backward(Cost forward) {
        return backward(forward, Set.of());
    }

    /**
     * The backward of a forward of cost {@code forward}.
     *
     * <p>FLOPs: each matmul {@code Y = X·W} of the forward has two gradients of its own size,
     * {@code dX = dY·Wᵀ} and {@code dW = Xᵀ·dY}, so a category costs 2× its forward FLOPs; attention's
     * QKᵀ and AV likewise (dQ, dK, dV and dP: four matmuls of the forward's two sizes, PyTorch's flop
     * counter's convention; a flash kernel that recomputes the scores does more, uncounted). Except
     * in {@code weightGradientOnly}: categories whose input needs no gradient (a patch embedding
     * applied to pixels), where autograd computes dW alone: 1× the forward. Checked against the
     * autograd graph by {@link BackwardFlops}.
     *
     * <p>Bytes: 2× the forward's. The backward reads every weight the forward read once more (for dX)
     * and writes a gradient of the same size (dW), and it reads and writes a gradient of everything
     * the forward wrote (logits, K and V); under the forward's assumption that intermediate
     * activations stay in cache this is twice the forward's traffic.
     */
    public static Cost backward(Cost forward, Set<String> weightGradientOnly) {
        Map<String, Long> f = new TreeMap<>();
        forward.flopsByCategory().forEach((k, v) -> f.put(k, (weightGradientOnly.contains(k) ? 1 : 2) * v));
        return new Cost(sum(f), 2 * forward.bytes(), f);
    }

    /**
     * AdamW FLOPs per parameter element of one step, libtorch's unfused {@code AdamW::step} counted op
     * by op (every element-wise multiply, add, divide and square root is 1 FLOP): decoupled weight
     * decay {@code p·(1 − lr·wd)} 1; first moment {@code m·β₁ + (1 − β₁)·g} 3; second moment
     * {@code v·β₂ + (1 − β₂)·g·g} 4; denominator {@code sqrt(v)/sqrt(bc₂) + ε} 3; update
     * {@code p − step·m/denom} 3. The one element-wise count of this class: an optimizer step has no
     * matmul, and without it a train step's extra work would not show.
     */
    public static final long ADAMW_FLOPS_PER_PARAMETER = 14;

    /**
     * Elements AdamW must move per parameter at least (a fused kernel's traffic): parameter, gradient
     * and both moments read, parameter and both moments written. libtorch's unfused step makes
     * several passes and moves more; as for the forward, bytes are a lower bound.
     */
    public static final long ADAMW_ELEMENTS_PER_PARAMETER = 7;

    /** Category of the optimizer step's FLOPs. */
    public static final String OPTIMIZER = "optimizer";

    /**
     * One AdamW step over {@code parameters} parameter elements (those with a gradient: a masked
     * block's parameters get none and are skipped), in precision {@code p} (parameters, gradients
     * and moments all in its activation dtype, as libtorch's AdamW keeps them).
     */
    public static Cost optimizer(long parameters, Precision p) {
        if (parameters < 1) {
            throw new IllegalArgumentException("invalid optimizer workload: parameters=" + parameters);
        }
        return new Cost(ADAMW_FLOPS_PER_PARAMETER * parameters,
                ADAMW_ELEMENTS_PER_PARAMETER * parameters * p.activationBytes(),
                Map.of(OPTIMIZER, ADAMW_FLOPS_PER_PARAMETER * parameters));
    }

    /**
     * One step of {@code pass} for a forward of cost {@code forward}: the forward alone; forward +
     * backward; or forward + backward + an AdamW step over {@code trainedParameters} elements.
     *
     * @param weightGradientOnly forward categories whose input needs no gradient (see {@link #backward(Cost, Set)})
     */
    public static Cost step(Cost forward, Pass pass, long trainedParameters, Precision p, Set<String> weightGradientOnly) {
        return switch (pass) {
            case FORWARD -> forward;
            case FORWARD_BACKWARD -> plus(forward, backward(forward, weightGradientOnly));
            case TRAIN_STEP -> plus(plus(forward, backward(forward, weightGradientOnly)), optimizer(trainedParameters, p));
        };
    }

    /**
     * Parameter elements that get a gradient when only the first {@code activeBlocks} blocks run:
     * embeddings, those blocks, the final norm and the LM head (every parameter when all blocks run).
     */
    public static long trainedParameters(ModelConfig c, int activeBlocks) {
        return c.withLayers(activeBlocks).parameterCount();
    }

    /** Sum of two costs, category by category. */
    public static Cost plus(Cost a, Cost b) {
        Map<String, Long> f = new TreeMap<>(a.flopsByCategory());
        b.flopsByCategory().forEach((k, v) -> f.merge(k, v, Long::sum));
        return new Cost(a.flops() + b.flops(), a.bytes() + b.bytes(), f);
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
        Map<String, Long> f = new TreeMap<>();
        f.put(PATCH_EMBED, 2 * rows * v.patchDim() * d);
        f.put(ATTN_PROJ, layers * 2 * rows * d * (3 * d + d));
        f.put(ATTN_SCORES, layers * 2 * 2 * rows * v.patches() * d);
        f.put(MLP, layers * 2 * rows * d * v.dFf() * Activation.GELU.matrices);
        long activations = (long) images * VisionConfig.CHANNELS * v.imageSize() * v.imageSize() // pixels read
                + rows * d;                                                                    // features written
        return new Cost(sum(f), v.parameterCount() * p.weightBytes() + activations * p.activationBytes(), f);
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
        return new Cost(sum(f), weights * p.weightBytes() + activations * p.activationBytes(), f);
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
        return new Cost(all.flops(), all.bytes() - (long) batch * visionTokens * Long.BYTES, all.flopsByCategory());
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

        /** The three stages as one cost, categories of the same name summed (what one {@link FlopCounter} sees). */
        public Cost total() {
            return plus(plus(vision, projector), prefill);
        }

        /**
         * One step of {@code pass} over the whole pipeline (see {@link CostModel#step}): the backward
         * runs through the LLM, the projector and the vision encoder, where the patch embedding
         * computes its weight gradient only (its input, the pixels, needs none); a train step updates
         * {@code trainedParameters} elements ({@link #multimodalParameters}).
         */
        public Cost step(Pass pass, long trainedParameters, Precision p) {
            if (pass == Pass.FORWARD) {
                return total();
            }
            Cost backward = plus(plus(backward(vision, Set.of(PATCH_EMBED)), backward(projector)), backward(prefill));
            Cost both = plus(total(), backward);
            return pass == Pass.TRAIN_STEP ? plus(both, optimizer(trainedParameters, p)) : both;
        }
    }

    /** Parameters of a {@link VisionLanguageModel}: the encoder, the projector's two matrices and the LLM. */
    public static long multimodalParameters(VisionConfig v, ModelConfig llm) {
        long dv = v.dModel();
        long d = llm.dModel();
        return v.parameterCount() + dv * d + d * d + llm.parameterCount();
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
