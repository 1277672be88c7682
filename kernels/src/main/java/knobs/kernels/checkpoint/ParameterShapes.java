package knobs.kernels.checkpoint;

import java.util.LinkedHashMap;
import java.util.Map;
import knobs.kernels.ModelConfig;

/**
 * The names and shapes of the parameters {@link knobs.kernels.Gpt} registers for a config (the table
 * in its class comment), computed without building the model or loading natives, so that a
 * checkpoint can be checked against them before anything is allocated. A test holds this to the
 * model's own {@code named_parameters()} for every family.
 */
public final class ParameterShapes {
    private ParameterShapes() {
    }

    /** Every parameter of the model built from {@code c} (iteration order: the table's, not necessarily the model's). */
    public static Map<String, long[]> of(ModelConfig c) {
        long d = c.dModel();
        long m = c.activation().matrices - 1; // up-projection matrices: gate and up for SwiGLU, up for GELU
        boolean layerNorm = c.norm() == ModelConfig.Norm.LAYER_NORM;
        Map<String, long[]> p = new LinkedHashMap<>();
        p.put("wte", new long[] {c.vocab(), d});
        if (c.positions() == ModelConfig.Positions.LEARNED) {
            p.put("wpe", new long[] {c.maxSeq(), d});
        }
        for (int i = 0; i < c.layers(); i++) {
            String h = "h" + i + ".";
            norm(p, h + "ln_1", d, layerNorm);
            p.put(h + "attn.c_attn", new long[] {c.qkvDim(), d});
            if (c.qkvBias()) {
                p.put(h + "attn.c_attn_bias", new long[] {c.qkvDim()});
            }
            if (c.qkNorm()) {
                p.put(h + "attn.q_norm.weight", new long[] {d});
                p.put(h + "attn.k_norm.weight", new long[] {c.kvDim()});
            }
            p.put(h + "attn.c_proj", new long[] {d, d});
            if (c.outBias()) {
                p.put(h + "attn.c_proj_bias", new long[] {d});
            }
            norm(p, h + "ln_2", d, layerNorm);
            if (c.isMoe()) {
                p.put(h + "moe.router", new long[] {c.experts(), d});
                p.put(h + "moe.experts_up", new long[] {c.experts(), m * c.expertDFf(), d});
                p.put(h + "moe.experts_down", new long[] {c.experts(), d, c.expertDFf()});
                if (c.sharedExperts() > 0) {
                    p.put(h + "moe.shared_expert.c_fc", new long[] {m * c.sharedDFf(), d});
                    p.put(h + "moe.shared_expert.c_proj", new long[] {d, c.sharedDFf()});
                    if (c.sharedExpertGate()) {
                        p.put(h + "moe.shared_expert_gate", new long[] {1, d});
                    }
                }
            } else {
                p.put(h + "mlp.c_fc", new long[] {m * c.dFf(), d});
                if (c.mlpBias()) {
                    p.put(h + "mlp.c_fc_bias", new long[] {m * c.dFf()});
                }
                p.put(h + "mlp.c_proj", new long[] {d, c.dFf()});
                if (c.mlpBias()) {
                    p.put(h + "mlp.c_proj_bias", new long[] {d});
                }
            }
        }
        norm(p, "ln_f", d, layerNorm);
        if (!c.tiedEmbeddings()) {
            p.put("lm_head", new long[] {c.vocab(), d});
        }
        return p;
    }

    private static void norm(Map<String, long[]> p, String name, long d, boolean withBias) {
        p.put(name + ".weight", new long[] {d});
        if (withBias) {
            p.put(name + ".bias", new long[] {d});
        }
    }
}
