package knobs.harness;

import java.util.List;
import java.util.Set;
import knobs.kernels.CostModel;
import knobs.kernels.Gpt;
import knobs.kernels.Inputs;
import knobs.kernels.KvCache;
import knobs.kernels.MemoryEstimate;
import knobs.kernels.ModelConfig;
import knobs.kernels.ModelSource;
import knobs.kernels.Models;
import knobs.kernels.Pass;
import knobs.kernels.PassRunner;
import knobs.kernels.Phase;
import knobs.kernels.Precision;
import knobs.kernels.Quality;
import knobs.kernels.Training;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A model and its inputs, ready to time one step: a prefill of the prompt, or one decode step
 * after the prompt has been prefilled into a KV cache, in one {@link Pass}: the forward alone
 * (autograd off), forward + loss + backward, or a full AdamW training step ({@link PassRunner},
 * the same code for every knob). Plain class (no JMH annotations) so every knob's benchmark can
 * hold one.
 *
 * <p>A decode step appends one token at position {@code promptLen} and then rewinds the cache, so
 * every invocation decodes over exactly the same KV length. A backward pass needs a loss over a
 * whole sequence, so it runs on prefill only (the loss: cross-entropy of every position against
 * random targets). The caller owns the pointer scope of {@link #run()} and its autograd mode (an
 * int8 model needs autograd off); {@link #measure} does both.
 */
public final class ModelStep implements AutoCloseable {
    /** Seed of every model's weights; inputs use the next seeds. Fixed so runs are comparable. */
    public static final long SEED = 42;

    private final Gpt model;
    private final Phase phase;
    private final Pass pass;
    private final PassRunner runner;
    private final Tensor targets; // (B, promptLen) for a backward pass, else null
    private final Precision precision;
    private final int promptLen;
    private final int batch;
    private final Tensor prompt; // (B, promptLen)
    private final Tensor next;   // (B, 1)
    private final KvCache cache;
    private final CostModel.Cost cost;
    private final ComputeDevice device;
    private final DeviceTimer timer;

    /** An fp32 forward step; see {@link #ModelStep(ModelSource, Phase, Pass, int, int, ComputeDevice, Precision, java.util.function.Consumer, TokenFile)}. */
    public ModelStep(ModelConfig config, Phase phase, int batch, int promptLen, ComputeDevice device) {
        this(config, phase, batch, promptLen, device, Precision.FP32, m -> { });
    }

    /** An fp32 forward step with {@code configure} applied to the model (see the full constructor). */
    public ModelStep(ModelConfig config, Phase phase, int batch, int promptLen, ComputeDevice device,
                     java.util.function.Consumer<Gpt> configure) {
        this(config, phase, batch, promptLen, device, Precision.FP32, configure);
    }

    /** A forward step in {@code precision} (see the full constructor). */
    public ModelStep(ModelConfig config, Phase phase, int batch, int promptLen, ComputeDevice device, Precision precision) {
        this(config, phase, batch, promptLen, device, precision, m -> { });
    }

    /** A forward step of a preset's config in {@code precision} with {@code configure} applied (see the full constructor). */
    public ModelStep(ModelConfig config, Phase phase, int batch, int promptLen, ComputeDevice device, Precision precision,
                     java.util.function.Consumer<Gpt> configure) {
        this(ModelSource.of(config), phase, Pass.FORWARD, batch, promptLen, device, precision, configure, null);
    }

    /** A forward step of a preset's config with its prompt from {@code tokens} (see the full constructor). */
    public ModelStep(ModelConfig config, Phase phase, int batch, int promptLen, ComputeDevice device, Precision precision,
                     java.util.function.Consumer<Gpt> configure, TokenFile tokens) {
        this(ModelSource.of(config), phase, Pass.FORWARD, batch, promptLen, device, precision, configure, tokens);
    }

    /** A step of {@code pass} of a preset's config (random weights from {@link #SEED}; see the full constructor). */
    public ModelStep(ModelConfig config, Phase phase, Pass pass, int batch, int promptLen, ComputeDevice device,
                     Precision precision, java.util.function.Consumer<Gpt> configure) {
        this(ModelSource.of(config), phase, pass, batch, promptLen, device, precision, configure, null);
    }

    /** An fp32 forward step of a resolved {@code model} knob (a preset or a checkpoint, see {@link Models#resolve}). */
    public ModelStep(ModelSource source, Phase phase, int batch, int promptLen, ComputeDevice device) {
        this(source, phase, Pass.FORWARD, batch, promptLen, device, Precision.FP32, m -> { }, null);
    }

    /** An fp32 forward step of a resolved {@code model} knob with {@code configure} applied to the model. */
    public ModelStep(ModelSource source, Phase phase, int batch, int promptLen, ComputeDevice device,
                     java.util.function.Consumer<Gpt> configure) {
        this(source, phase, Pass.FORWARD, batch, promptLen, device, Precision.FP32, configure, null);
    }

    /** A forward step of a resolved {@code model} knob with random prompt ids (see the full constructor). */
    public ModelStep(ModelSource source, Phase phase, int batch, int promptLen, ComputeDevice device, Precision precision,
                     java.util.function.Consumer<Gpt> configure) {
        this(source, phase, Pass.FORWARD, batch, promptLen, device, precision, configure, null);
    }

    /** A forward step of a resolved {@code model} knob with its prompt from {@code tokens} (see the full constructor). */
    public ModelStep(ModelSource source, Phase phase, int batch, int promptLen, ComputeDevice device, Precision precision,
                     java.util.function.Consumer<Gpt> configure, TokenFile tokens) {
        this(source, phase, Pass.FORWARD, batch, promptLen, device, precision, configure, tokens);
    }

    /**
     * Builds the model of a resolved {@code model} knob on {@code device} in {@code precision} — a
     * preset's weights random from {@link #SEED}, a checkpoint's read from its files after the memory
     * check (see {@code Gpt.toPrecision}: int8 is dense-only, CPU-only and forward-only, and fails
     * here, before any timing, otherwise) — applies {@code configure} (e.g. to mask blocks or change
     * the MoE routing), makes its inputs, for decode a KV cache in the precision's activation dtype
     * filled with the prompt, for a backward pass the targets of its loss, and for a train step the
     * AdamW optimizer. The cost follows the model's active blocks and the pass ({@link CostModel#step}).
     * The model and its memory estimate are registered with {@link MemoryRegistry} for
     * {@link MemoryProfiler}.
     *
     * <p>The prompt comes from {@code tokens} (null: random ids from a fixed seed): row b is the first
     * {@code promptLen} ids of the file's sequence b, and a decode step decodes its next id. The file
     * must have been checked for this model, batch and length ({@link TokenFile#check}); a prefill
     * with no id after the prompt decodes a random one (unused). A backward pass's targets are the
     * file's next ids (ids 1..promptLen of each sequence), or random ids from a fixed seed without a file.
     */
    public ModelStep(ModelSource source, Phase phase, Pass pass, int batch, int promptLen, ComputeDevice device,
                     Precision precision, java.util.function.Consumer<Gpt> configure, TokenFile tokens) {
        ModelConfig config = source.config();
        MemoryEstimate estimate = check(config, phase, pass, precision, "batch", batch, "promptLen", promptLen);
        this.phase = phase;
        this.pass = pass;
        this.device = device;
        this.precision = precision;
        this.promptLen = promptLen;
        this.batch = batch;
        this.model = source.build(device.torchDevice(), precision, SEED);
        configure.accept(model);
        MemoryRegistry.register(model, estimate, device);
        checkTokens(tokens, config, phase, pass, batch, "promptLen", promptLen);
        this.prompt = (tokens == null ? Inputs.tokens(SEED + 1, config.vocab(), batch, promptLen) : tokens.ids(batch, 0, promptLen))
                .to(device.torchDevice(), torch.ScalarType.Long);
        boolean nextFromFile = tokens != null && tokens.shortestOf(batch) > promptLen;
        this.next = (nextFromFile ? tokens.ids(batch, promptLen, 1) : Inputs.tokens(SEED + 2, config.vocab(), batch, 1))
                .to(device.torchDevice(), torch.ScalarType.Long);
        // A backward's targets: the file's next ids (checked to be there), else random ids.
        this.targets = !pass.backward() ? null
                : (tokens == null ? Inputs.tokens(SEED + 3, config.vocab(), batch, promptLen) : tokens.ids(batch, 1, promptLen))
                        .to(device.torchDevice(), torch.ScalarType.Long);
        if (phase == Phase.DECODE) {
            cache = model.newKvCache(batch, promptLen + 1); // not maxSeq: a checkpoint's can be 131072
            fillCache();
        } else {
            cache = null;
        }
        this.runner = new PassRunner(pass, List.of(model));
        this.timer = device.newTimer();
        CostModel.Cost forward = phase == Phase.PREFILL
                ? CostModel.forward(config, batch, promptLen, 0, precision, model.activeBlocks())
                : CostModel.forward(config, batch, 1, promptLen, precision, model.activeBlocks());
        this.cost = CostModel.step(forward, pass, CostModel.trainedParameters(config, model.activeBlocks()), precision, Set.of());
    }

    /** {@link #check(ModelConfig, Phase, Pass, Precision, String, int, String, int)} of a forward step. */
    public static MemoryEstimate check(ModelConfig config, Phase phase, Precision precision,
                                       String batchKnob, int batch, String lengthKnob, int promptLen) {
        return check(config, phase, Pass.FORWARD, precision, batchKnob, batch, lengthKnob, promptLen);
    }

    /**
     * The checks the constructor makes before it builds anything, with no native library loaded,
     * so that {@code benchmarks.jar} can run them on every configuration before it starts a fork:
     * the batch, the pass against the phase (a backward runs on prefill only) and the precision
     * (int8 is forward-only), the prompt against the model's {@code maxSeq} (a decode step needs
     * one more position), the precision against the model, and the step's memory estimate for its
     * pass against {@link MemoryBudget}. Messages name the values by the caller's knobs
     * ({@code batchKnob}, {@code lengthKnob}, e.g. {@code seqLen}).
     *
     * @return the memory estimate of the step
     * @throws IllegalArgumentException naming the bad value and what is allowed
     */
    public static MemoryEstimate check(ModelConfig config, Phase phase, Pass pass, Precision precision,
                                       String batchKnob, int batch, String lengthKnob, int promptLen) {
        if (batch < 1) {
            throw new IllegalArgumentException(batchKnob + "=" + batch + " is not allowed: must be >= 1");
        }
        requirePass(phase, pass);
        precision.requireModel(config);
        if (pass.backward()) {
            precision.requireBackward(pass.label());
        }
        int max = config.maxSeq() - (phase == Phase.DECODE ? 1 : 0);
        if (promptLen < 1 || promptLen > max) {
            throw new IllegalArgumentException(lengthKnob + "=" + promptLen + " is not allowed for model '" + config.name()
                    + "': must be in 1.." + max + " (its maxSeq=" + config.maxSeq()
                    + (phase == Phase.DECODE ? ", less the decoded token)" : ")"));
        }
        MemoryEstimate estimate = MemoryEstimate.of(config, pass, batch, promptLen + (phase == Phase.DECODE ? 1 : 0),
                precision.weightBytes());
        MemoryBudget.require(estimate, "model '" + config.name() + "' pass=" + pass.label() + " precision="
                + precision.label() + " " + batchKnob + "=" + batch + " " + lengthKnob + "=" + promptLen);
        return estimate;
    }

    /**
     * Rejects a backward pass of a decode step: the allowed combinations are a prefill with any
     * pass, and a decode step with {@code pass=forward} (a training step has no KV cache to decode
     * from, and one token's loss is not a training step).
     */
    public static void requirePass(Phase phase, Pass pass) {
        if (phase == Phase.DECODE && pass.backward()) {
            throw new IllegalArgumentException("pass=" + pass.label() + " is not allowed with phase=decode: a backward"
                    + " runs on a whole sequence, never on a KV-cache decode step; allowed: phase=prefill with pass=forward,"
                    + " forward_backward or train_step, or phase=decode with pass=forward");
        }
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

    /** {@link #checkTokens(TokenFile, ModelConfig, Phase, Pass, int, String, int)} of a forward step. */
    public static void checkTokens(TokenFile tokens, ModelConfig config, Phase phase, int batch, String lengthKnob, int promptLen) {
        checkTokens(tokens, config, phase, Pass.FORWARD, batch, lengthKnob, promptLen);
    }

    /**
     * Checks, with no native code, that {@code tokens} (null: random ids, always fine) can feed a step
     * of {@code batch} sequences with a prompt of {@code promptLen} ids to {@code config} — and the id
     * after it: the decoded one of a decode step, the last target of a backward pass — enough
     * sequences, enough ids each, every id in the vocabulary.
     *
     * @throws IllegalArgumentException naming the file, the sequence and what is allowed
     */
    public static void checkTokens(TokenFile tokens, ModelConfig config, Phase phase, Pass pass, int batch, String lengthKnob,
                                   int promptLen) {
        if (tokens != null) {
            boolean decode = phase == Phase.DECODE;
            boolean next = decode || pass.backward();
            tokens.check(config, batch, promptLen + (next ? 1 : 0), lengthKnob + "=" + promptLen
                    + (decode ? " with phase=decode (the prompt, then the decoded token)"
                    : pass.backward() ? " with pass=" + pass.label() + " (the inputs, then the last target)" : ""));
        }
    }

    /** Runs the forward of one step under the caller's autograd mode; returns its logits: (B, promptLen, V) for prefill, (B, 1, V) for decode. */
    public Tensor run() {
        if (phase == Phase.PREFILL) {
            return model.forward(prompt, null);
        }
        Tensor logits = model.forward(next, cache);
        cache.truncate(promptLen);
        return logits;
    }

    /**
     * One step of this step's pass, in the caller's pointer scope: the forward with autograd off
     * (returns the logits), or forward, loss and backward (and the AdamW step) with autograd on
     * (returns the loss). Not timed; {@link #measure} times it.
     */
    public Tensor runPass() {
        return runner.run(this::run, logits -> Training.loss(logits, targets));
    }

    /**
     * The timed body every step benchmark shares: one {@link #runPass()} in its own pointer scope,
     * timed on the device's own clock (CUDA events on a GPU, see {@link DeviceTimer}) into
     * {@code time}, ending with a device sync so queued GPU work is inside the measurement, and the
     * step's work added to {@code work}. Returns the logits (forward) or the loss for JMH to consume.
     */
    public Tensor measure(WorkCounters work, DeviceTimeCounters time) {
        try (PointerScope scope = new PointerScope()) {
            timer.start();
            Tensor out = runPass();
            time.deviceNs += timer.stopAndSync(); // the stop is the in-region sync
            work.add(cost, tokens());
            return out;
        }
    }

    /** Analytic FLOPs and bytes of one {@link #runPass()}: the forward, its backward and the optimizer step as the pass has them. */
    public CostModel.Cost cost() {
        return cost;
    }

    /** Tokens one step processes: B·promptLen for prefill (whatever the pass), B for decode. */
    public long tokens() {
        return phase == Phase.PREFILL ? (long) batch * promptLen : batch;
    }

    public Pass pass() {
        return pass;
    }

    public Precision precision() {
        return precision;
    }

    public Gpt model() {
        return model;
    }

    /** Waits for queued device work, then frees the timer, the optimizer, the cache and the inputs. */
    @Override
    public void close() {
        device.sync();
        timer.close();
        runner.close();
        if (targets != null) {
            targets.close();
        }
        if (cache != null) {
            cache.close();
        }
        prompt.close();
        next.close();
    }
}
