package knobs.kernels;

import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.T_TensorTensorDoubleLong_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * The weight (and optional bias) of one linear layer, {@code y = x Wᵀ + b} with W (out, in), as
 * the modules hold it: the float weight registered as a module parameter and, once
 * {@link #quantize()}d, its int8 form packed for fbgemm. {@link Ops#linear(String, Tensor, Linear)} picks the path, so the FLOPs
 * {@link FlopCounter} records do not depend on the precision.
 *
 * <p>int8 is libtorch's dynamic quantization: the weight gets one scale and zero point for the
 * whole matrix; fbgemm quantizes each input on the fly (per tensor, from its min and max),
 * multiplies in int8 with int32 accumulation, and returns fp32. libtorch marks these fbgemm entry
 * points deprecated and prints one warning per process for each; they are the ones the presets map
 * directly, and they work in 2.10.
 */
public final class Linear {
    private final Tensor weight; // (out, in); the module parameter, so Module.to(...) converts it in place
    private final Tensor bias;   // (out) module parameter, or null
    private final boolean ownsWeight;
    private final long out;
    private final long in;
    private Int8 int8;

    private Linear(Tensor weight, Tensor bias, boolean ownsWeight) {
        this.weight = weight;
        this.bias = bias;
        this.ownsWeight = ownsWeight;
        this.out = weight.size(0);
        this.in = weight.size(1);
    }

    /** Registers {@code w} (out, in) as parameter {@code name} of {@code m} (see {@link Init#param}) and wraps it. */
    static Linear param(Module m, String name, Tensor w) {
        return new Linear(Init.param(m, name, w), null, true);
    }

    /**
     * As {@link #param(Module, String, Tensor)}, with a bias: {@code b} (out) registered as
     * {@code name + "_bias"} (libtorch forbids dots in a parameter name), or none when {@code b} is null.
     */
    static Linear param(Module m, String name, Tensor w, Tensor b) {
        return new Linear(Init.param(m, name, w), b == null ? null : Init.param(m, name + "_bias", b), true);
    }

    /**
     * A bias-free layer over a weight another module owns and uses too (a tied LM head over the token
     * embedding): nothing is registered, and {@link #quantize()} keeps the float weight, which its
     * owner still reads.
     */
    static Linear shared(Tensor w) {
        return new Linear(w, null, false);
    }

    /**
     * The float weight (out, in). After {@link #quantize()} its storage has been released and it has
     * no elements: the layer then exists only in its int8 form.
     */
    public Tensor weight() {
        return weight;
    }

    /** The bias (out), or null for a bias-free layer. */
    public Tensor bias() {
        return bias;
    }

    /** Output features (rows of the weight). */
    public long outFeatures() {
        return out;
    }

    /** Input features (columns of the weight). */
    public long inFeatures() {
        return in;
    }

    /** True once {@link #quantize()} has run: {@link Ops#linear(String, Tensor, Linear)} then takes the int8 path. */
    public boolean isQuantized() {
        return int8 != null;
    }

    /**
     * Quantizes the fp32 CPU weight to int8 and packs it for fbgemm, then releases the float
     * weight's storage so that the model holds int8 weights only (its memory is that of an int8
     * model, and a stray float path fails instead of silently using stale weights). Irreversible.
     * A {@link #shared} weight (tied embeddings) keeps its float storage: the embedding lookup
     * still reads it. A bias stays fp32 and is fbgemm's bias. Run with autograd off.
     */
    void quantize() {
        if (int8 != null) {
            throw new IllegalStateException("linear layer (" + out + "×" + in + ") is already quantized to int8");
        }
        if (weight.scalar_type().intern() != torch.ScalarType.Float || !weight.is_cpu()) {
            throw new IllegalArgumentException("int8 quantization needs an fp32 weight on the CPU (fbgemm is CPU-only); got "
                    + weight.scalar_type() + " on " + weight.device().str().getString());
        }
        T_TensorTensorDoubleLong_T q = torch.fbgemm_linear_quantize_weight(weight);
        // The tuple's getters return references into the tuple: copy out what outlives it.
        Tensor packed = torch.fbgemm_pack_quantized_matrix(q.get0()); // fbgemm's own copy of the int8 matrix
        Tensor colOffsets = q.get1().clone();                          // (out) int32
        Scalar scale = new Scalar(q.get2());
        Scalar zeroPoint = new Scalar(q.get3());
        // fbgemm's linear reads only the packed copy and takes the int8 matrix for its shape alone
        // (checked in libtorch's QuantizedLinear.cpp), so a one-element stand-in of that shape
        // replaces it: the model then holds one byte per weight, as an int8 model should.
        Tensor shape = torch.zeros(new long[] {1, 1}, new TensorOptions(torch.ScalarType.Char)).expand(out, in);
        // The model may outlive the PointerScope this runs in (a benchmark's setup scope): keep these
        // past it. Java references from this object keep them reachable; GC frees them with the model.
        int8 = new Int8(retain(shape), retain(packed), retain(colOffsets), retain(scale), retain(zeroPoint),
                bias != null ? bias : retain(torch.zeros(out)));
        // Free the int8 matrix (held by the tuple) and the float weight now, not at some later GC:
        // JavaCPP's GC does not see native sizes.
        q.close();
        if (ownsWeight) {
            weight.set_();
        }
    }

    /**
     * {@code x (..., in)} fp32 → {@code (..., out)} fp32 through fbgemm's int8 kernel. Refuses to
     * run with autograd on: the op has no gradient, so a backward would silently skip every linear
     * weight and return wrong gradients for the rest of the model.
     */
    Tensor forwardInt8(Tensor x) {
        if (GradMode.is_enabled()) {
            throw new IllegalStateException("int8 models are forward-only: a quantized linear layer (" + out + "×" + in
                    + ") ran with autograd on, and fbgemm's int8 linear has no gradient, so a backward would be wrong."
                    + " Run the forward under NoGradGuard or InferenceMode; use fp32, bf16 or fp16 for backward passes");
        }
        Int8 q = int8;
        if (x.dim() == 1) {
            // fbgemm wants at least (rows, in)
            return forwardInt8(x.unsqueeze(0)).squeeze(0);
        }
        return torch.fbgemm_linear_int8_weight_fp32_activation(x, q.shape, q.packed, q.colOffsets, q.scale,
                q.zeroPoint, q.bias);
    }

    private static <T extends org.bytedeco.javacpp.Pointer> T retain(T p) {
        p.retainReference();
        return p;
    }

    /**
     * The int8 form: fbgemm's packed matrix (what the kernel reads), a zero-stride stand-in carrying
     * the (out, in) shape, the column offsets (per-output sums of the int8 weight, which correct for
     * the zero points), the weight's scale and zero point, and the layer's fp32 bias or a zero bias
     * (fbgemm requires one).
     */
    private record Int8(Tensor shape, Tensor packed, Tensor colOffsets, Scalar scale, Scalar zeroPoint, Tensor bias) {
    }
}
