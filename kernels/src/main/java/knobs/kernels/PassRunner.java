package knobs.kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.bytedeco.pytorch.AutoGradMode;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * One step of a model in a {@link Pass}, the same code for every knob:
 *
 * <ul>
 *   <li>{@code forward}: the forward with autograd off (the inference path of every module);</li>
 *   <li>{@code forward_backward}: gradients released, forward with autograd on, loss, backward;</li>
 *   <li>{@code train_step}: the optimizer's {@code zero_grad}, forward, loss, backward, AdamW step.</li>
 * </ul>
 *
 * Gradients are released to "none" ({@code zero_grad(set_to_none)}, PyTorch's default since 2.0), so
 * every backward writes fresh gradients instead of adding to the previous step's, and a parameter
 * that takes no part in the step (a masked block) gets none and is skipped by AdamW. The backward
 * runs inside a {@link Components#BACKWARD} span, gradient release and the optimizer step inside
 * {@link Components#OPTIMIZER} spans; the loss opens its own {@link Components#LOSS} span
 * ({@link Training#loss}). The caller owns the pointer scope of {@link #run}.
 *
 * <p>AdamW is {@link InPlaceAdamW}: libtorch's {@code torch::optim::AdamW} arithmetic op for op, without
 * its two fresh parameter-sized temporaries per parameter and step (checked against libtorch's
 * AdamW in InPlaceAdamWTest), with learning rate {@link #LEARNING_RATE} and libtorch's defaults
 * otherwise (betas 0.9 and 0.999, eps 1e-8, weight decay 0.01); its moments take the parameters'
 * dtype.
 */
public final class PassRunner implements AutoCloseable {
    /** AdamW's learning rate: small, so that repeated steps keep the random model's activations finite. */
    public static final double LEARNING_RATE = 1e-4;

    private final Pass pass;
    private final List<Module> modules;
    private final InPlaceAdamW optimizer;
    private final Runnable afterBackward;

    /**
     * @param pass    what {@link #run} does
     * @param modules the modules whose parameters are trained (their gradients released before each
     *                backward; for {@code train_step}, AdamW over all their parameters)
     */
    public PassRunner(Pass pass, List<? extends Module> modules) {
        this(pass, modules, () -> { });
    }

    /**
     * A runner that calls {@code afterBackward} between the backward and the optimizer step (outside
     * their spans): data parallelism waits there for its gradient all-reduces and averages them.
     */
    public PassRunner(Pass pass, List<? extends Module> modules, Runnable afterBackward) {
        this.afterBackward = afterBackward;
        if (modules.isEmpty()) {
            throw new IllegalArgumentException("a pass needs at least one module");
        }
        this.pass = pass;
        this.modules = List.copyOf(modules);
        if (pass == Pass.TRAIN_STEP) {
            List<Tensor> parameters = new ArrayList<>();
            for (Module m : this.modules) {
                for (Tensor p : m.parameters().get()) {
                    parameters.add(p);
                }
            }
            optimizer = new InPlaceAdamW(parameters, LEARNING_RATE);
        } else {
            optimizer = null;
        }
    }

    public Pass pass() {
        return pass;
    }

    /**
     * Runs one step.
     *
     * @param forward the model's forward, returning its output (logits)
     * @param loss    the loss of that output (a backward pass only; see {@link Training#loss})
     * @return the forward's output for {@code forward}, else the loss (a scalar)
     */
    public Tensor run(Supplier<Tensor> forward, Function<Tensor, Tensor> loss) {
        if (pass == Pass.FORWARD) {
            try (NoGradGuard noGrad = new NoGradGuard()) {
                return forward.get();
            }
        }
        // Autograd on whatever the caller's mode: a backward of a no-grad forward would fail.
        try (AutoGradMode grad = new AutoGradMode(true)) {
            return backward(forward, loss);
        }
    }

    private Tensor backward(Supplier<Tensor> forward, Function<Tensor, Tensor> loss) {
        try (Components.Span s = Components.span(Components.OPTIMIZER)) {
            for (Module m : modules) {
                m.zero_grad(true);
            }
        }
        Tensor l = loss.apply(forward.get());
        try (Components.Span s = Components.span(Components.BACKWARD)) {
            l.backward();
        }
        afterBackward.run();
        if (optimizer != null) {
            try (Components.Span s = Components.span(Components.OPTIMIZER)) {
                optimizer.step();
            }
        }
        return l;
    }

    /** Frees the optimizer and its moments (a no-op for passes without one). */
    @Override
    public void close() {
        if (optimizer != null) {
            optimizer.close();
        }
    }
}
