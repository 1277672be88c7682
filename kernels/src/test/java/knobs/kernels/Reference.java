package knobs.kernels;

import java.util.HashMap;
import java.util.Map;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.StringTensorDictItemVector;

/**
 * An independent reference: the transformer of a {@link ModelConfig} written out in plain Java
 * double arithmetic, one token and one head at a time, reading the weights of a built model by
 * the parameter names documented in {@link Gpt}. Shares no code with the kernels (no libtorch op
 * runs here), so a wrong layout, a missing bias, a rotation of the wrong pairs or a misplaced norm
 * shows up as a mismatch.
 */
final class Reference {
    private final ModelConfig c;
    private final Map<String, float[]> p = new HashMap<>();

    /** Reads every parameter of {@code model} (fp32). */
    Reference(Module model, ModelConfig c) {
        this.c = c;
        StringTensorDictItemVector items = model.named_parameters(true).items();
        for (long i = 0; i < items.size(); i++) {
            p.put(items.get(i).key().getString(), TestTensors.floats(items.get(i).value()));
        }
    }

    float[] param(String name) {
        float[] w = p.get(name);
        if (w == null) {
            throw new AssertionError("model has no parameter '" + name + "'; it has " + new java.util.TreeSet<>(p.keySet()));
        }
        return w;
    }

    boolean has(String name) {
        return p.containsKey(name);
    }

    /** Logits [B][T][V] of token ids [B][T], every position, no cache. */
    double[][][] logits(long[][] ids) {
        double[][][] out = new double[ids.length][][];
        for (int b = 0; b < ids.length; b++) {
            out[b] = sequence(ids[b]);
        }
        return out;
    }

    private double[][] sequence(long[] ids) {
        int t = ids.length;
        int d = c.dModel();
        double[][] x = new double[t][d];
        float[] wte = param("wte");
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < d; j++) {
                x[i][j] = wte[(int) ids[i] * d + j];
            }
            if (c.positions() == ModelConfig.Positions.LEARNED) {
                float[] wpe = param("wpe");
                for (int j = 0; j < d; j++) {
                    x[i][j] += wpe[i * d + j];
                }
            }
        }
        for (int l = 0; l < c.layers(); l++) {
            String h = "h" + l + ".";
            add(x, attention(norm(x, h + "ln_1"), h + "attn."));
            double[][] n = norm(x, h + "ln_2");
            double[][] f = new double[t][];
            for (int i = 0; i < t; i++) {
                f[i] = c.isMoe() ? moe(n[i], h + "moe.") : mlp(n[i], h + "mlp.", c.dFf(), c.mlpBias());
            }
            add(x, f);
        }
        double[][] n = norm(x, "ln_f");
        float[] head = param(c.tiedEmbeddings() ? "wte" : "lm_head");
        double[][] logits = new double[t][];
        for (int i = 0; i < t; i++) {
            logits[i] = linear(n[i], head, null, c.vocab());
        }
        return logits;
    }

    private static void add(double[][] x, double[][] y) {
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[i].length; j++) {
                x[i][j] += y[i][j];
            }
        }
    }

    private double[][] norm(double[][] x, String prefix) {
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            out[i] = c.norm() == ModelConfig.Norm.RMS_NORM
                    ? rmsNorm(x[i], param(prefix + ".weight"), c.normEps())
                    : layerNorm(x[i], param(prefix + ".weight"), param(prefix + ".bias"), c.normEps());
        }
        return out;
    }

    static double[] rmsNorm(double[] x, float[] w, double eps) {
        double ms = 0;
        for (double v : x) {
            ms += v * v;
        }
        double r = 1 / Math.sqrt(ms / x.length + eps);
        double[] out = new double[x.length];
        for (int j = 0; j < x.length; j++) {
            out[j] = x[j] * r * w[j];
        }
        return out;
    }

    static double[] layerNorm(double[] x, float[] w, float[] b, double eps) {
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= x.length;
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean);
        }
        double r = 1 / Math.sqrt(var / x.length + eps);
        double[] out = new double[x.length];
        for (int j = 0; j < x.length; j++) {
            out[j] = (x[j] - mean) * r * w[j] + b[j];
        }
        return out;
    }

    /** W (out, in) row-major, starting at element {@code offset}, times x, plus b when not null. */
    static double[] linear(double[] x, float[] w, float[] b, int out, int offset) {
        int in = x.length;
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = b == null ? 0 : b[o];
            for (int i = 0; i < in; i++) {
                s += w[offset + o * in + i] * x[i];
            }
            y[o] = s;
        }
        return y;
    }

    static double[] linear(double[] x, float[] w, float[] b, int out) {
        return linear(x, w, b, out, 0);
    }

    /** Rotates each hs-wide head of {@code x} (heads·hs) at position {@code pos}: pair (j, j + hs/2) by pos·θ^(−2j/hs). */
    static double[] rope(double[] x, int headDim, int pos, double theta) {
        double[] out = x.clone();
        int half = headDim / 2;
        for (int h = 0; h < x.length / headDim; h++) {
            for (int j = 0; j < half; j++) {
                double angle = pos * Math.pow(theta, -2.0 * j / headDim);
                double a = x[h * headDim + j];
                double b = x[h * headDim + j + half];
                out[h * headDim + j] = a * Math.cos(angle) - b * Math.sin(angle);
                out[h * headDim + j + half] = b * Math.cos(angle) + a * Math.sin(angle);
            }
        }
        return out;
    }

    private double[][] attention(double[][] x, String prefix) {
        int t = x.length;
        int d = c.dModel();
        int kvDim = c.kvDim();
        int hs = c.headDim();
        float[] w = param(prefix + "c_attn");
        float[] bias = c.qkvBias() ? param(prefix + "c_attn_bias") : null;
        double[][] q = new double[t][];
        double[][] k = new double[t][];
        double[][] v = new double[t][];
        for (int i = 0; i < t; i++) {
            double[] qkv = linear(x[i], w, bias, c.qkvDim());
            q[i] = java.util.Arrays.copyOfRange(qkv, 0, d);
            k[i] = java.util.Arrays.copyOfRange(qkv, d, d + kvDim);
            v[i] = java.util.Arrays.copyOfRange(qkv, d + kvDim, d + 2 * kvDim);
            if (c.qkNorm()) {
                q[i] = rmsNorm(q[i], param(prefix + "q_norm.weight"), c.normEps());
                k[i] = rmsNorm(k[i], param(prefix + "k_norm.weight"), c.normEps());
            }
            if (c.ropeScaling().scales()) { // this reference has plain RoPE only: scaled RoPE is checked by GoldenLogitsTest
                throw new IllegalArgumentException("Reference has no rope scaling; model '" + c.name() + "' uses "
                        + c.ropeScaling().describe());
            }
            if (c.positions() == ModelConfig.Positions.ROPE) {
                q[i] = rope(q[i], hs, i, c.ropeTheta());
                k[i] = rope(k[i], hs, i, c.ropeTheta());
            }
        }
        int group = c.heads() / c.kvHeads();
        double[][] out = new double[t][];
        for (int i = 0; i < t; i++) {
            double[] y = new double[d];
            for (int h = 0; h < c.heads(); h++) {
                int g = h / group; // the key/value head query head h shares
                double[] s = new double[i + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int u = 0; u <= i; u++) {
                    double dot = 0;
                    for (int j = 0; j < hs; j++) {
                        dot += q[i][h * hs + j] * k[u][g * hs + j];
                    }
                    s[u] = dot / Math.sqrt(hs);
                    max = Math.max(max, s[u]);
                }
                double z = 0;
                for (int u = 0; u <= i; u++) {
                    s[u] = Math.exp(s[u] - max);
                    z += s[u];
                }
                for (int u = 0; u <= i; u++) {
                    for (int j = 0; j < hs; j++) {
                        y[h * hs + j] += s[u] / z * v[u][g * hs + j];
                    }
                }
            }
            out[i] = linear(y, param(prefix + "c_proj"), c.outBias() ? param(prefix + "c_proj_bias") : null, d);
        }
        return out;
    }

    /** A dense MLP over the parameters {@code prefix}c_fc and c_proj of hidden width f. */
    double[] mlp(double[] x, String prefix, int f, boolean bias) {
        double[] u = linear(x, param(prefix + "c_fc"), bias ? param(prefix + "c_fc_bias") : null,
                (c.activation().matrices - 1) * f);
        return linear(activate(u, f), param(prefix + "c_proj"), bias ? param(prefix + "c_proj_bias") : null, c.dModel());
    }

    /** GELU(u), or SwiGLU: silu(gate) · up with gate = u[0, f), up = u[f, 2f). */
    private double[] activate(double[] u, int f) {
        double[] h = new double[f];
        for (int j = 0; j < f; j++) {
            h[j] = c.activation() == Activation.GELU ? gelu(u[j]) : silu(u[j]) * u[f + j];
        }
        return h;
    }

    static double silu(double v) {
        return v / (1 + Math.exp(-v));
    }

    static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    /** Exact (erf) GELU, torch.gelu's default. */
    static double gelu(double v) {
        return 0.5 * v * (1 + erf(v / Math.sqrt(2)));
    }

    /** erf to ~1e-7 (Abramowitz and Stegun 7.1.26). */
    static double erf(double x) {
        double s = Math.signum(x);
        double a = Math.abs(x);
        double t = 1 / (1 + 0.3275911 * a);
        double y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t
                * Math.exp(-a * a);
        return s * y;
    }

    /** Routing of one token: the top-k experts by softmax probability (descending) and their weights. */
    record Route(int[] experts, double[] weights) {
    }

    Route route(double[] x, String prefix) {
        int e = c.experts();
        double[] logits = linear(x, param(prefix + "router"), null, e);
        double max = Double.NEGATIVE_INFINITY;
        for (double v : logits) {
            max = Math.max(max, v);
        }
        double z = 0;
        double[] prob = new double[e];
        for (int i = 0; i < e; i++) {
            prob[i] = Math.exp(logits[i] - max);
            z += prob[i];
        }
        boolean[] taken = new boolean[e];
        int[] idx = new int[c.topK()];
        double[] w = new double[c.topK()];
        double sum = 0;
        for (int j = 0; j < c.topK(); j++) {
            int best = -1;
            for (int i = 0; i < e; i++) {
                if (!taken[i] && (best < 0 || prob[i] > prob[best])) {
                    best = i;
                }
            }
            taken[best] = true;
            idx[j] = best;
            w[j] = prob[best] / z;
            sum += w[j];
        }
        if (c.normTopkProb()) {
            for (int j = 0; j < w.length; j++) {
                w[j] /= sum;
            }
        }
        return new Route(idx, w);
    }

    /** Σ_j w_j · expert_j(x) over the token's top-k experts, plus the (gated) shared experts. */
    double[] moe(double[] x, String prefix) {
        int d = c.dModel();
        int fe = c.expertDFf();
        int m = c.activation().matrices - 1;
        Route r = route(x, prefix);
        double[] out = new double[d];
        for (int j = 0; j < r.experts().length; j++) {
            int e = r.experts()[j];
            double[] u = linear(x, param(prefix + "experts_up"), null, m * fe, e * m * fe * d);
            double[] y = linear(activate(u, fe), param(prefix + "experts_down"), null, d, e * d * fe);
            for (int i = 0; i < d; i++) {
                out[i] += r.weights()[j] * y[i];
            }
        }
        if (c.sharedExperts() > 0) {
            double[] s = mlp(x, prefix + "shared_expert.", c.sharedDFf(), false);
            double g = c.sharedExpertGate() ? sigmoid(linear(x, param(prefix + "shared_expert_gate"), null, 1)[0]) : 1;
            for (int i = 0; i < d; i++) {
                out[i] += g * s[i];
            }
        }
        return out;
    }
}
