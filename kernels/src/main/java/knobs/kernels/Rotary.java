package knobs.kernels;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Rotary position embeddings (RoFormer; Llama's and Hugging Face's rotate-half layout): channel j
 * of a head pairs with channel j + hs/2 and the pair is rotated by the angle pos·f_j, where
 * f_j = θ^(−2j/hs) is rescaled by the model's {@link RopeScaling} (linear or llama3) if it has one,
 * <pre>
 *   out[j]        = x[j]·cos − x[j+hs/2]·sin
 *   out[j + hs/2] = x[j+hs/2]·cos + x[j]·sin        (0 ≤ j &lt; hs/2)
 * </pre>
 * One instance per model, shared by every block; its tables are buffers {@code cos} and
 * {@code sin} (maxSeq, hs), made once in double precision and stored in the model's dtype
 * ({@code Module.to} converts them with the parameters). {@code sin}'s first half is stored
 * negated, so the rotation is one multiply and two fused multiply-adds on half-width views, with no
 * {@code rotate_half} copy.
 */
public final class Rotary extends Module {
    private final int half;
    private final Tensor cos;       // (maxSeq, hs): cos of each pair's angle, repeated for both halves
    private final Tensor sinSigned; // (maxSeq, hs): −sin for the first half, +sin for the second

    public Rotary(ModelConfig c) {
        super("Rotary");
        int hs = c.headDim();
        this.half = hs / 2;
        float[] cs = new float[c.maxSeq() * hs];
        float[] sn = new float[c.maxSeq() * hs];
        double[] invFreq = inverseFrequencies(c);
        for (int p = 0; p < c.maxSeq(); p++) {
            for (int j = 0; j < half; j++) {
                double angle = p * invFreq[j];
                double co = Math.cos(angle);
                double si = Math.sin(angle);
                cs[p * hs + j] = (float) co;
                cs[p * hs + j + half] = (float) co;
                sn[p * hs + j] = (float) -si;
                sn[p * hs + j + half] = (float) si;
            }
        }
        this.cos = buffer("cos", cs, c.maxSeq(), hs);
        this.sinSigned = buffer("sin", sn, c.maxSeq(), hs);
    }

    /**
     * The inverse frequency f_j (radians per position) of each of the hs/2 channel pairs:
     * θ^(−2j/hs), then {@link RopeScaling#apply} of the config's rope scaling. Double precision.
     */
    public static double[] inverseFrequencies(ModelConfig c) {
        if (c.positions() != ModelConfig.Positions.ROPE) {
            throw new IllegalArgumentException("model '" + c.name() + "' has learned positions: no rotary frequencies");
        }
        int hs = c.headDim();
        double[] invFreq = new double[hs / 2];
        for (int j = 0; j < invFreq.length; j++) {
            invFreq[j] = c.ropeScaling().apply(Math.pow(c.ropeTheta(), -2.0 * j / hs));
        }
        return invFreq;
    }

    private Tensor buffer(String name, float[] values, long rows, long cols) {
        Tensor t = torch.empty(rows, cols);
        t.data_ptr_float().put(values);
        register_buffer(name, t); // returns a reference into the module's dict: keep our own (see Init.param)
        return t;
    }

    /**
     * Rotates x (B, T, H, hs) at positions [pos, pos + T); returns a new (B, T, H, hs) tensor.
     * Works on strided views (a slice of the fused QKV projection).
     */
    public Tensor apply(Tensor x, int pos) {
        long t = x.size(1);
        Tensor c = cos.narrow(0, pos, t).unsqueeze(1);                   // (T, 1, hs), broadcast over B and H
        Tensor s = sinSigned.narrow(0, pos, t).unsqueeze(1);
        Tensor out = x.mul(c);                                           // (B, T, H, hs)
        out.narrow(3, 0, half).addcmul_(x.narrow(3, half, half), s.narrow(2, 0, half));
        out.narrow(3, half, half).addcmul_(x.narrow(3, 0, half), s.narrow(2, half, half));
        return out;
    }
}
