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
import knobs.kernels.Quality;
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
        this(ModelSource.of(config), phase, batch, promptLen, device, precision, configure, null);
    }

    /**
     * As the constructor above, with the prompt taken from {@code tokens} (null: random ids from a
     * fixed seed): row b is the first {@code promptLen} ids of the file's sequence b, and a decode
     * step decodes its next id. The file must have been checked for this model, batch and length
     * ({@link TokenFile#check}); a prefill with no id after the prompt decodes a random one (unused).
     */
    public ModelStep(ModelConfig config, Phase phase, int batch, int promptLen, ComputeDevice device, Precision precision,
                     java.util.function.Consumer<Gpt> configure, TokenFile tokens) {
        this(ModelSource.of(config), phase, batch, promptLen, device, precision, configure, tokens);
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

    /** A step of a resolved {@code model} knob with random prompt ids (see the full constructor). */
    public ModelStep(ModelSource source, Phase phase, int batch, int promptLen, ComputeDevice device, Precision precision,
                     java.util.function.Consumer<Gpt> configure) {
        this(source, phase, batch, promptLen, device, precision, configure, null);
    }

    /**
     * As {@link #ModelStep(ModelConfig, Phase, int, int, ComputeDevice, Precision, java.util.function.Consumer, TokenFile)}
     * for a resolved {@code model} knob: a preset's weights are random from {@link #SEED}, a
     * checkpoint's are read from its files (after the memory check, converted to {@code precision}).
     */
    public ModelStep(ModelSource source, Phase phase, int batch, int promptLen, ComputeDevice device, Precision precision,
                     java.util.function.Consumer<Gpt> configure, TokenFile tokens) {
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
        checkTokens(tokens, config, phase, batch, "promptLen", promptLen);
        this.prompt = (tokens == null ? Inputs.tokens(SEED + 1, config.vocab(), batch, promptLen) : tokens.ids(batch, 0, promptLen))
                .to(device.torchDevice(), torch.ScalarType.Long);
        boolean nextFromFile = tokens != null && tokens.shortestOf(batch) > promptLen;
        this.next = (nextFromFile ? tokens.ids(batch, promptLen, 1) : Inputs.tokens(SEED + 2, config.vocab(), batch, 1))
                .to(device.torchDevice(), torch.ScalarType.Long);
        if (phase == Phase.DECODE) {
            cache = model.newKvCache(batch, promptLen + 1); // not maxSeq: a checkpoint's can be 131072
            fillCache();
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

    /** Prefills the prompt into the (empty or rewound) KV cache under the model's current configuration. */
    private void fillCache() {
        cache.truncate(0);
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            model.forward(prompt, cache);
            device.sync();
        }
    }

    /**
     * What a knob costs in output quality, measured outside any timed region: the logits of one
     * {@link #run()} with the model configured by {@code reference} (the unmodified model: its own
     * top-k, router, every block) against those with {@code modified} (the benchmark's knob; it must
     * leave the model as the constructor's {@code configure} did, since the step is timed that way
     * afterwards). A decode step prefills its KV cache again under each configuration, so each is
     * compared over its own history. See {@link Quality}.
     */
    public Quality quality(java.util.function.Consumer<Gpt> reference, java.util.function.Consumer<Gpt> modified) {
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            reference.accept(model);
            Tensor ref = qualityLogits();
            modified.accept(model);
            Tensor mod = qualityLogits();
            Quality q = Quality.compare(ref, mod);
            device.sync();
            return q;
        }
    }

    private Tensor qualityLogits() {
        if (phase == Phase.DECODE) {
            fillCache();
        }
        return run().clone(); // kept past the next run: a copy, should a model ever write logits into a reused buffer
    }

    /**
     * Checks, with no native code, that {@code tokens} (null: random ids, always fine) can feed a step
     * of {@code batch} sequences with a prompt of {@code promptLen} ids (and the decoded id after it
     * for a decode step) to {@code config}: enough sequences, enough ids each, every id in the vocabulary.
     *
     * @throws IllegalArgumentException naming the file, the sequence and what is allowed
     */
    public static void checkTokens(TokenFile tokens, ModelConfig config, Phase phase, int batch, String lengthKnob, int promptLen) {
        if (tokens != null) {
            boolean decode = phase == Phase.DECODE;
            tokens.check(config, batch, promptLen + (decode ? 1 : 0), lengthKnob + "=" + promptLen
                    + (decode ? " with phase=decode (the prompt, then the decoded token)" : ""));
        }
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
