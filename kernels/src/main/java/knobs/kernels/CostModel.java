package knobs.kernels;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Analytic FLOPs and minimal bytes of one forward of a {@link Gpt}, per component.
 *
 * <p>FLOPs: matmuls only, 2 per multiply-add; attention's QKᵀ and AV counted over the full
 * Tq×Tk rectangle (causal masking not subtracted, like PyTorch's flop counter); MoE counts the
 * router and the k active experts per token only; embeddings (gathers) count 0. Dtype never
 * changes FLOPs.
 *
 * <p>Bytes: a lower bound on memory traffic — every weight that is used is read once (for MoE the
 * expected number of distinct experts hit under uniform routing), the token and position embedding
 * rows, keys and values read over the whole KV length and written for the new tokens, token ids read
 * and logits written. Intermediate activations are assumed to stay in cache. Scales with the dtype.
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
     * One forward over {@code tokens} new tokens per sequence after {@code past} cached ones, all
     * blocks active.
     */
    public static Cost forward(ModelConfig c, int batch, int tokens, int past, int dtypeBytes) {
        return forward(c, batch, tokens, past, dtypeBytes, c.layers());
    }

    /** A prefill of {@code tokens} tokens, or one decode step after a prompt of {@code tokens} tokens. */
    public static Cost of(ModelConfig c, Phase phase, int batch, int tokens, int dtypeBytes) {
        return phase == Phase.PREFILL
                ? forward(c, batch, tokens, 0, dtypeBytes)
                : forward(c, batch, 1, tokens, dtypeBytes);
    }

    /** As {@link #forward(ModelConfig, int, int, int, int)} with only the first {@code activeBlocks} blocks run. */
    public static Cost forward(ModelConfig c, int batch, int tokens, int past, int dtypeBytes, int activeBlocks) {
        if (batch < 1 || tokens < 1 || past < 0 || dtypeBytes < 1 || activeBlocks < 1 || activeBlocks > c.layers()) {
            throw new IllegalArgumentException("invalid workload: batch=" + batch + " tokens=" + tokens + " past=" + past
                    + " dtypeBytes=" + dtypeBytes + " activeBlocks=" + activeBlocks + " (layers=" + c.layers() + ")");
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
        long weights = layers * (4 * d * d + 4 * d); // projections and the two LayerNorms
        if (c.isMoe()) {
            f.put(ROUTER, layers * 2 * n * d * c.experts());
            f.put(EXPERTS, layers * 2 * n * c.topK() * d * c.expertDFf() * m);
            double hit = expectedExpertsHit(c.experts(), c.topK(), n);
            weights += layers * ((long) c.experts() * d + Math.round(hit * m * d * c.expertDFf()));
        } else {
            f.put(MLP, layers * 2 * n * d * c.dFf() * m);
            weights += layers * m * d * c.dFf();
        }
        f.put(LM_HEAD, 2 * n * d * c.vocab());
        weights += 2 * d + (long) c.vocab() * d;

        long elements = weights
                + n * d + t * d                        // token and position embedding rows
                + layers * b * 2 * d * (kv + t)        // K and V: read over the KV length, written for new tokens
                + n * c.vocab();                       // logits written
        long bytes = elements * dtypeBytes + n * Long.BYTES; // + token ids (int64)
        long total = f.values().stream().mapToLong(Long::longValue).sum();
        return new Cost(total, bytes, f);
    }

    /**
     * Forced-length generation of {@code n} tokens after a prompt of {@code promptLen}: one prefill,
     * then n − 1 decode steps whose KV length grows by one each step. Categories are summed.
     */
    public static Cost generation(ModelConfig c, int batch, int promptLen, int n, int dtypeBytes) {
        Cost total = forward(c, batch, promptLen, 0, dtypeBytes);
        for (int i = 0; i < n - 1; i++) {
            total = plus(total, forward(c, batch, 1, promptLen + i, dtypeBytes));
        }
        return total;
    }

    /** Forward plus backward: the backward costs 2× the forward's matmul FLOPs (gradients w.r.t. inputs and weights), and reads the weights again and writes their gradients (bytes ≈ 3× the forward's). */
    public static Cost forwardBackward(Cost forward) {
        Map<String, Long> f = new TreeMap<>();
        forward.flopsByCategory().forEach((k, v) -> f.put(k, 3 * v));
        return new Cost(3 * forward.flops(), 3 * forward.bytes(), f); // weights read twice more, gradients written
    }

    /** Sum of two costs, category by category. */
    public static Cost plus(Cost a, Cost b) {
        Map<String, Long> f = new TreeMap<>(a.flopsByCategory());
        b.flopsByCategory().forEach((k, v) -> f.merge(k, v, Long::sum));
        return new Cost(a.flops() + b.flops(), a.bytes() + b.bytes(), f);
    }

    /**
     * Expected number of distinct experts chosen by {@code tokens} tokens that each pick {@code k}
     * of {@code experts} uniformly: E·(1 − (1 − k/E)^N). Exact (= k) for a single token.
     */
    public static double expectedExpertsHit(int experts, int k, long tokens) {
        return experts * (1.0 - Math.pow(1.0 - (double) k / experts, tokens));
    }
}
