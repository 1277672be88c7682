package knobs.harness;

import knobs.kernels.CostModel;
import knobs.kernels.Gpt;
import knobs.kernels.Inputs;
import knobs.kernels.KvCache;
import knobs.kernels.MemoryEstimate;
import knobs.kernels.ModelConfig;
import knobs.kernels.ModelSource;
import knobs.kernels.Models;
import knobs.kernels.Pass;
import knobs.kernels.Phase;
import knobs.kernels.Precision;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A model and its inputs, ready to time one step: a prefill of the prompt, or one decode step
 * after the prompt has been prefilled into a KV cache. Plain class (no JMH annotations) so every
 * knob's benchmark can hold one.
 *
 * <p>A decode step appends one token at position {@code promptLen} and then rewinds the cache, so
 * every invocation decodes over exactly the same KV length. The caller owns the pointer scope and
 * the autograd mode of {@link #run()} (an int8 model needs autograd off).
 */
public final class ModelStep implements AutoCloseable {
    /** Seed of every model's weights; inputs use the next seeds. Fixed so runs are comparable. */
    public static final long SEED = 42;

    private final Gpt model;
    private final Phase phase;
    private final Precision precision;
    private final int promptLen;
    private final int batch;
    private final Tensor prompt; // (B, promptLen)
    private final Tensor next;   // (B, 1)
    private final KvCache cache;
    private final CostModel.Cost cost;
    private final ComputeDevice device;
    private final DeviceTimer timer;

    /** An fp32 step; see {@link #ModelStep(ModelConfig, Phase, int, int, ComputeDevice, Precision)}. */
    public ModelStep(ModelConfig config, Phase phase, int batch, int promptLen, ComputeDevice device) {
        this(config, phase, batch, promptLen, device, Precision.FP32, m -> { });
    }

    /** An fp32 step with {@code configure} applied to the model (see the full constructor). */
    public ModelStep(ModelConfig config, Phase phase, int batch, int promptLen, ComputeDevice device,
                     java.util.function.Consumer<Gpt> configure) {
        this(config, phase, batch, promptLen, device, Precision.FP32, configure);
    }

    /** A step in {@code precision} (see the full constructor). */
    public ModelStep(ModelConfig config, Phase phase, int batch, int promptLen, ComputeDevice device, Precision precision) {
        this(config, phase, batch, promptLen, device, precision, m -> { });
    }

    /**
     * Builds the model on {@code device} in {@code precision} (see {@code Gpt.toPrecision}: int8 is
     * dense-only and CPU-only, and fails here, before any timing, otherwise), applies
     * {@code configure} (e.g. to mask blocks or change the MoE routing), makes its inputs, and for
     * decode a KV cache in the precision's activation dtype filled with the prompt. The cost
     * follows the model's active blocks. The model and its memory estimate are registered with
     * {@link MemoryRegistry} for {@link MemoryProfiler}.
     */
    public ModelStep(ModelConfig config, Phase phase, int batch, int promptLen, ComputeDevice device, Precision precision,
                     java.util.function.Consumer<Gpt> configure) {
        this(ModelSource.of(config), phase, batch, promptLen, device, precision, configure);
    }

    /** An fp32 step of a resolved {@code model} knob (a preset or a checkpoint, see {@link Models#resolve}). */
    public ModelStep(ModelSource source, Phase phase, int batch, int promptLen, ComputeDevice device) {
        this(source, phase, batch, promptLen, device, Precision.FP32, m -> { });
    }

    /** An fp32 step of a resolved {@code model} knob with {@code configure} applied to the model. */
    public ModelStep(ModelSource source, Phase phase, int batch, int promptLen, ComputeDevice device,
                     java.util.function.Consumer<Gpt> configure) {
        this(source, phase, batch, promptLen, device, Precision.FP32, configure);
    }

    /**
     * As {@link #ModelStep(ModelConfig, Phase, int, int, ComputeDevice, Precision, java.util.function.Consumer)}
     * for a resolved {@code model} knob: a preset's weights are random from {@link #SEED}, a
     * checkpoint's are read from its files (after the memory check, converted to {@code precision}).
     */
    public ModelStep(ModelSource source, Phase phase, int batch, int promptLen, ComputeDevice device, Precision precision,
                     java.util.function.Consumer<Gpt> configure) {
        ModelConfig config = source.config();
        MemoryEstimate estimate = check(config, phase, precision, "batch", batch, "promptLen", promptLen);
        this.phase = phase;
        this.device = device;
        this.precision = precision;
        this.promptLen = promptLen;
        this.batch = batch;
        this.model = source.build(device.torchDevice(), precision, SEED);
        configure.accept(model);
        MemoryRegistry.register(model, estimate, device);
        this.prompt = Inputs.tokens(SEED + 1, config.vocab(), batch, promptLen).to(device.torchDevice(), torch.ScalarType.Long);
        this.next = Inputs.tokens(SEED + 2, config.vocab(), batch, 1).to(device.torchDevice(), torch.ScalarType.Long);
        if (phase == Phase.DECODE) {
            cache = model.newKvCache(batch, promptLen + 1); // not maxSeq: a checkpoint's can be 131072
            try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
                model.forward(prompt, cache);
                device.sync();
            }
        } else {
            cache = null;
        }
        this.timer = device.newTimer();
        this.cost = phase == Phase.PREFILL
                ? CostModel.forward(config, batch, promptLen, 0, precision, model.activeBlocks())
                : CostModel.forward(config, batch, 1, promptLen, precision, model.activeBlocks());
    }

    /**
     * The checks the constructor makes before it builds anything, with no native library loaded,
     * so that {@code benchmarks.jar} can run them on every configuration before it starts a fork:
     * the batch and the prompt against the model's {@code maxSeq} (a decode step needs one more
     * position), the precision against the model, and the step's memory estimate against
     * {@link MemoryBudget}. Messages name the values by the caller's knobs ({@code batchKnob},
     * {@code lengthKnob}, e.g. {@code seqLen}).
     *
     * @return the memory estimate of the step
     * @throws IllegalArgumentException naming the bad value and what is allowed
     */
    public static MemoryEstimate check(ModelConfig config, Phase phase, Precision precision,
                                       String batchKnob, int batch, String lengthKnob, int promptLen) {
        if (batch < 1) {
            throw new IllegalArgumentException(batchKnob + "=" + batch + " is not allowed: must be >= 1");
        }
        precision.requireModel(config);
        int max = config.maxSeq() - (phase == Phase.DECODE ? 1 : 0);
        if (promptLen < 1 || promptLen > max) {
            throw new IllegalArgumentException(lengthKnob + "=" + promptLen + " is not allowed for model '" + config.name()
                    + "': must be in 1.." + max + " (its maxSeq=" + config.maxSeq()
                    + (phase == Phase.DECODE ? ", less the decoded token)" : ")"));
        }
        MemoryEstimate estimate = MemoryEstimate.of(config, Pass.FORWARD, batch, promptLen + 1, precision.weightBytes());
        MemoryBudget.require(estimate, "model '" + config.name() + "' with " + batchKnob + "=" + batch + " "
                + lengthKnob + "=" + promptLen);
        return estimate;
    }

    /** Runs one step and returns its logits: (B, promptLen, V) for prefill, (B, 1, V) for decode. */
    public Tensor run() {
        if (phase == Phase.PREFILL) {
            return model.forward(prompt, null);
        }
        Tensor logits = model.forward(next, cache);
        cache.truncate(promptLen);
        return logits;
    }

    /**
     * The timed body every step benchmark shares: one {@link #run()} in its own pointer scope with
     * autograd off, timed on the device's own clock (CUDA events on a GPU, see {@link DeviceTimer})
     * into {@code time}, ending with a device sync so queued GPU work is inside the measurement, and
     * the step's work added to {@code work}. Returns the logits for JMH to consume.
     */
    public Tensor measure(WorkCounters work, DeviceTimeCounters time) {
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            timer.start();
            Tensor logits = run();
            time.deviceNs += timer.stopAndSync(); // the stop is the in-region sync
            work.add(cost, tokens());
            return logits;
        }
    }

    /** Analytic FLOPs and bytes of one {@link #run()}. */
    public CostModel.Cost cost() {
        return cost;
    }

    /** Tokens one {@link #run()} processes: B·promptLen for prefill, B for decode. */
    public long tokens() {
        return phase == Phase.PREFILL ? (long) batch * promptLen : batch;
    }

    public Precision precision() {
        return precision;
    }

    public Gpt model() {
        return model;
    }

    /** Waits for queued device work, then frees the timer, the cache and the inputs. */
    @Override
    public void close() {
        device.sync();
        timer.close();
        if (cache != null) {
            cache.close();
        }
        prompt.close();
        next.close();
    }
}
