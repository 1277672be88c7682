package knobs.harness;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import knobs.kernels.Components;
import knobs.kernels.CostModel;

/**
 * The analytic work of one step per component, under the {@link Components} names the
 * {@link ComponentProfiler} times, so that each component gets its own achieved FLOP/s (and, with
 * bytes, its own place on the roofline).
 *
 * <p>Mapped from {@link CostModel}'s categories: {@code attention_proj} splits into
 * {@code attention.qkv} (¾: the d×3d projection) and {@code attention.out} (¼: d×d);
 * {@code attention_scores} → {@code attention.kernel}; {@code mlp}; {@code router} →
 * {@code moe.router}; {@code experts} → {@code moe.experts}; {@code lm_head}. In a vision stage
 * the same categories carry the {@code vision.} prefix, and its {@code patch_embed} is the
 * {@code vision} span's own work; {@code projector} is the projector. Components without matmuls
 * (embedding, norms, top-k, dispatch, combine, loss, optimizer) do 0 FLOPs by CostModel's rule.
 * A forward-backward cost (3× the forward's matmuls, {@link CostModel#forwardBackward}) gives the
 * forward components a third of each category and {@link Components#BACKWARD} the other two thirds.
 *
 * <p>Bytes per component are not in today's CostModel (it counts a step's bytes as a whole), so
 * {@link #bytes()} is empty and the report places components on the roofline only once they are.
 *
 * @param flops FLOPs per component, in model order
 * @param bytes minimal bytes per component (empty while CostModel does not split them)
 */
public record ComponentWork(Map<String, Long> flops, Map<String, Long> bytes) {
    public ComponentWork {
        flops = Collections.unmodifiableMap(new LinkedHashMap<>(flops));
        bytes = Collections.unmodifiableMap(new LinkedHashMap<>(bytes));
    }

    /** One forward of a language model ({@link CostModel#forward} and the like). */
    public static ComponentWork forward(CostModel.Cost cost) {
        Map<String, Long> f = new LinkedHashMap<>();
        add(f, "", cost.flopsByCategory(), 1);
        return new ComponentWork(f, Map.of());
    }

    /**
     * A forward and its backward ({@link CostModel#forwardBackward} of a forward cost): the forward
     * components as in {@link #forward}, the backward twice the forward's FLOPs.
     *
     * @throws IllegalArgumentException when a category is not a multiple of 3, i.e. the cost is not a forward-backward one
     */
    public static ComponentWork forwardBackward(CostModel.Cost cost) {
        Map<String, Long> f = new LinkedHashMap<>();
        add(f, "", cost.flopsByCategory(), 3);
        long forward = f.values().stream().mapToLong(Long::longValue).sum();
        f.put(Components.BACKWARD, 2 * forward);
        return new ComponentWork(f, Map.of());
    }

    /** A multimodal prefill: the vision encoder (as {@code vision.*}), the projector and the LLM prefill. */
    public static ComponentWork multimodal(CostModel.Multimodal cost) {
        Map<String, Long> f = new LinkedHashMap<>();
        add(f, ComponentTimes.VISION_PREFIX, cost.vision().flopsByCategory(), 1);
        add(f, "", cost.projector().flopsByCategory(), 1);
        add(f, "", cost.prefill().flopsByCategory(), 1);
        return new ComponentWork(f, Map.of());
    }

    /** Total FLOPs over the components. */
    public long totalFlops() {
        return flops.values().stream().mapToLong(Long::longValue).sum();
    }

    private static void add(Map<String, Long> into, String prefix, Map<String, Long> categories, int divisor) {
        for (Map.Entry<String, Long> e : categories.entrySet()) {
            long v = e.getValue();
            if (v % divisor != 0) {
                throw new IllegalArgumentException("category '" + e.getKey() + "' has " + v + " FLOPs, not a multiple of "
                        + divisor + ": not a forward-backward cost");
            }
            v /= divisor;
            switch (e.getKey()) {
                case CostModel.ATTN_PROJ -> {
                    if (v % 4 != 0) {
                        throw new IllegalArgumentException("attention projections of " + v
                                + " FLOPs do not split 3:1 into QKV and output (a d×3d and a d×d matmul)");
                    }
                    into.merge(prefix + Components.ATTN_QKV, v / 4 * 3, Long::sum);
                    into.merge(prefix + Components.ATTN_OUT, v / 4, Long::sum);
                }
                case CostModel.ATTN_SCORES -> into.merge(prefix + Components.ATTN_KERNEL, v, Long::sum);
                case CostModel.MLP -> into.merge(prefix + Components.MLP, v, Long::sum);
                case CostModel.ROUTER -> into.merge(prefix + Components.MOE_ROUTER, v, Long::sum);
                case CostModel.EXPERTS -> into.merge(prefix + Components.MOE_EXPERTS, v, Long::sum);
                case CostModel.LM_HEAD -> into.merge(prefix + Components.LM_HEAD, v, Long::sum);
                case CostModel.PATCH_EMBED -> into.merge(Components.VISION, v, Long::sum);
                case CostModel.PROJECTOR -> into.merge(Components.PROJECTOR, v, Long::sum);
                default -> throw new IllegalArgumentException("CostModel category '" + e.getKey()
                        + "' has no component; known: " + String.join(", ", CostModel.ATTN_PROJ, CostModel.ATTN_SCORES,
                        CostModel.MLP, CostModel.ROUTER, CostModel.EXPERTS, CostModel.LM_HEAD, CostModel.PATCH_EMBED,
                        CostModel.PROJECTOR));
            }
        }
    }
}
