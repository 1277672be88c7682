package knobs.kernels;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.bytedeco.pytorch.global.torch;

/**
 * Numeric precision a {@link Gpt} runs its forward in ({@link Gpt#toPrecision}).
 *
 * <p>{@code bf16} and {@code fp16} hold every parameter, activation, KV-cache entry and logit in
 * that 2-byte type. {@code int8} is dynamic quantization of the linear layers only: their weights
 * are int8 (one scale and zero point per matrix), activations are quantized on the fly inside
 * fbgemm's kernel, and everything else — embeddings, norms, biases, RoPE tables, activations, KV
 * cache, logits — stays fp32. int8 has no backward.
 *
 * <p>Precision changes bytes, never FLOPs (see {@link CostModel}).
 */
public enum Precision {
    /** 32-bit float throughout: the reference. */
    FP32(torch.ScalarType.Float, 4, 4, 0, true),
    /** bfloat16 throughout (8-bit mantissa, fp32's exponent range). */
    BF16(torch.ScalarType.BFloat16, 2, 2, 0, true),
    /** IEEE half throughout (10-bit mantissa, max ~65504). */
    FP16(torch.ScalarType.Half, 2, 2, 0, true),
    /** int8 linear weights with fp32 activations (fbgemm dynamic quantization); forward only. */
    INT8(torch.ScalarType.Float, 1, 4, Integer.BYTES + Float.BYTES, false);

    private final torch.ScalarType activationType;
    private final int weightBytes;
    private final int activationBytes;
    private final int bytesPerOutputFeature;
    private final boolean backward;

    Precision(torch.ScalarType activationType, int weightBytes, int activationBytes, int bytesPerOutputFeature,
              boolean backward) {
        this.activationType = activationType;
        this.weightBytes = weightBytes;
        this.activationBytes = activationBytes;
        this.bytesPerOutputFeature = bytesPerOutputFeature;
        this.backward = backward;
    }

    /**
     * Parses {@code fp32}, {@code bf16}, {@code fp16} or {@code int8} (case-insensitive, surrounding
     * blanks ignored); anything else is an error naming the value and the allowed ones.
     */
    public static Precision parse(String s) {
        String key = s == null ? "" : s.trim();
        for (Precision p : values()) {
            if (p.name().equalsIgnoreCase(key)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown precision '" + s + "'; allowed: "
                + Arrays.stream(values()).map(Precision::label).collect(Collectors.joining(", ")));
    }

    /** The lower-case name used in {@code @Param} values and results: {@code fp32}, {@code bf16}, ... */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Dtype of the activations, KV cache and logits — and of the parameters that are not linear
     * weights (embeddings, norms, biases, RoPE tables). {@code Float} for int8: only the linear weights are int8.
     */
    public torch.ScalarType activationType() {
        return activationType;
    }

    /** Bytes per element of a linear layer's weight (attention, MLP, MoE, LM head): 4, 2, 2, 1. */
    public int weightBytes() {
        return weightBytes;
    }

    /** Bytes per element of {@link #activationType()}: 4, 2, 2 and 4 (int8 keeps fp32 activations). */
    public int activationBytes() {
        return activationBytes;
    }

    /**
     * Bytes a linear layer reads per output feature besides its weight matrix: 8 for int8
     * (fbgemm's int32 column offset and its fp32 bias, which it requires), 0 for the bias-free
     * float layers.
     */
    public int bytesPerOutputFeature() {
        return bytesPerOutputFeature;
    }

    /** False for int8: fbgemm's quantized linear has no gradient, so only forward passes are allowed. */
    public boolean supportsBackward() {
        return backward;
    }

    /**
     * Throws unless {@code c} can run in this precision: int8 has no path for a mixture of experts.
     * Needs no natives, so a benchmark can check it before building anything.
     */
    public void requireModel(ModelConfig c) {
        if (this == INT8 && c.isMoe()) {
            throw new IllegalArgumentException("precision int8 is supported for dense models only; '" + c.name()
                    + "' is a mixture of experts, whose expert matmuls have no int8 path here: use fp32, bf16 or fp16");
        }
    }

    /**
     * Throws unless this precision can run a backward pass; call before timing a forward-backward or
     * training step so that an unsupported combination fails before any measurement.
     *
     * @param pass the pass that needs the backward, named in the message (e.g. {@code forward_backward})
     */
    public void requireBackward(String pass) {
        if (!backward) {
            throw new IllegalArgumentException("precision " + label() + " is forward-only: pass '" + pass
                    + "' needs a backward, which " + label() + " (fbgemm dynamically quantized linear) does not have;"
                    + " use pass=forward, or precision fp32, bf16 or fp16");
        }
    }
}
