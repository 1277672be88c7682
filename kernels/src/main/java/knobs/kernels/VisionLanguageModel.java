package knobs.kernels;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * LLaVA-style multimodal model with random weights: a {@link VisionEncoder} over every image crop,
 * a {@link Projector} to the LLM width, then a {@link Gpt} prefill over the vision tokens followed by
 * the text tokens. Crops of one sequence are laid out one after another, each contributing
 * {@link VisionConfig#tokensPerCrop()} tokens.
 *
 * <p>The three stages are separate methods so that a benchmark can time each one; {@link #forward}
 * runs them in order.
 */
public final class VisionLanguageModel {
    private final VisionEncoder vision;
    private final Projector projector;
    private final Gpt llm;

    private VisionLanguageModel(VisionEncoder vision, Projector projector, Gpt llm) {
        this.vision = vision;
        this.projector = projector;
        this.llm = llm;
    }

    /**
     * Builds the model on the CPU. The LLM's weights equal those of {@code Gpt.create(llm, seed)}
     * (the same decoder a text-only knob builds); the encoder and projector draw from {@code seed + 1}.
     */
    public static VisionLanguageModel create(VisionConfig v, ModelConfig llm, long seed) {
        torch.manual_seed(seed + 1);
        VisionEncoder encoder = new VisionEncoder(v);
        Projector projector = new Projector(v, llm);
        return new VisionLanguageModel(encoder, projector, Gpt.create(llm, seed));
    }

    /**
     * As {@link #create(VisionConfig, ModelConfig, long)} with the LLM of a resolved {@code model}
     * knob ({@link Models#resolve}): a preset's weights as there, a checkpoint's read from its files.
     */
    public static VisionLanguageModel create(VisionConfig v, ModelSource llm, long seed) {
        torch.manual_seed(seed + 1);
        VisionEncoder encoder = new VisionEncoder(v);
        Projector projector = new Projector(v, llm.config());
        return new VisionLanguageModel(encoder, projector, llm.build(new Device(torch.DeviceType.CPU), Precision.FP32, seed));
    }

    /** Moves every parameter to {@code device}. */
    public VisionLanguageModel toDevice(Device device) {
        vision.to(device, false);
        projector.to(device, false);
        llm.toDevice(device);
        return this;
    }

    public VisionConfig visionConfig() {
        return vision.config();
    }

    public ModelConfig llmConfig() {
        return llm.config();
    }

    /** The language model, e.g. to embed text or compare with a text-only prefill. */
    public Gpt llm() {
        return llm;
    }

    /** Vision encoder: crops (B·crops, 3, H, W) → patch features (B·crops, P, dv). */
    public Tensor encode(Tensor images) {
        return vision.forward(images);
    }

    /** Projector: patch features (B·crops, P, dv) → vision tokens (B, crops·tpc, d), crops in order. */
    public Tensor project(Tensor features, long batch) {
        if (features.size(0) % batch != 0) {
            throw new IllegalArgumentException(features.size(0) + " crops cannot be split into batch=" + batch + " sequences");
        }
        Tensor tokens = projector.forward(features);                           // (B·crops, tpc, d)
        return tokens.reshape(batch, -1, tokens.size(2));                      // (B, crops·tpc, d)
    }

    /** LLM prefill over vision tokens (B, Tv, d) then text ids (B, Tt): logits (B, Tv + Tt, V). */
    public Tensor prefill(Tensor visionTokens, Tensor ids) {
        Tensor x = torch.cat(new TensorVector(visionTokens, llm.embed(ids)), 1); // (B, Tv + Tt, d)
        return llm.forwardEmbeddings(x, null);
    }

    /** All three stages: images (B·crops, 3, H, W) and ids (B, Tt) → logits (B, crops·tpc + Tt, V). */
    public Tensor forward(Tensor images, Tensor ids) {
        return prefill(project(encode(images), ids.size(0)), ids);
    }

    /**
     * Rejects a workload the model cannot run, naming the bad value and what is allowed: batch,
     * crops and text tokens must be at least 1, and the vision plus text tokens of one sequence
     * must fit the LLM's maxSeq.
     */
    public static void checkWorkload(VisionConfig v, ModelConfig llm, int batch, int crops, int textTokens) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch=" + batch + " is not allowed: must be >= 1");
        }
        if (crops < 1) {
            throw new IllegalArgumentException("crops=" + crops + " is not allowed: must be >= 1 (image crops per sequence)");
        }
        if (textTokens < 1) {
            throw new IllegalArgumentException("textTokens=" + textTokens + " is not allowed: must be >= 1");
        }
        long total = (long) crops * v.tokensPerCrop() + textTokens;
        if (total > llm.maxSeq()) {
            long maxCrops = (llm.maxSeq() - textTokens) / v.tokensPerCrop();
            int maxText = llm.maxSeq() - v.tokensPerCrop();
            String allowed = maxCrops >= 1 ? "crops in 1.." + maxCrops + " at this textTokens"
                    : maxText >= 1 ? "no crop at this textTokens; one crop needs textTokens <= " + maxText
                    : "no crop with this model; pick a model whose maxSeq exceeds " + v.tokensPerCrop();
            throw new IllegalArgumentException("crops=" + crops + " with vision preset '" + v.name() + "' ("
                    + v.tokensPerCrop() + " tokens per crop) and textTokens=" + textTokens + " make " + total
                    + " tokens, beyond maxSeq=" + llm.maxSeq() + " of model '" + llm.name() + "'; allowed: " + allowed);
        }
    }
}
