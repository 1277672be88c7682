package knobs.kernels;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * AdamW (decoupled weight decay, bias-corrected moments) with libtorch's {@code torch::optim::AdamW}
 * arithmetic, op for op — {@code p·(1 − lr·wd)}; {@code m·β₁ + (1 − β₁)·g};
 * {@code v·β₂ + (1 − β₂)·g·g}; {@code denom = sqrt(v) / sqrt(1 − β₂ᵗ) + ε};
 * {@code p − (lr / (1 − β₁ᵗ))·m / denom} — but without allocating: libtorch's step makes two fresh
 * parameter-sized tensors per parameter and step ({@code sqrt(v)} and its quotient), which glibc hands
 * back to the kernel and takes again, so every step page-faults them in anew. Here the denominator is
 * written into one scratch buffer the size of the largest parameter ({@code sqrt_out}, then in-place
 * ops), reused by every parameter.
 *
 * <p>Measured (docs/performance.md, "Backward and train step"): on CS336 {@code small} (128.6 M
 * parameters) libtorch's step took ~0.9 s of a 3.3–4.1 s train step, and eager PyTorch's own
 * single-tensor AdamW 0.65–0.95 s with glibc's defaults against 0.23–0.24 s with trimming and
 * {@code mmap} turned off: the faults, not the arithmetic, were most of it.
 *
 * <p>Like libtorch's, parameters without a gradient (a masked block's) are skipped and their step
 * count does not advance; moments are {@code zeros_like} the parameter, made at its first step. The
 * state costs 2 parameter-sized moments per parameter plus the scratch (the largest parameter, once
 * per dtype and device). {@link InPlaceAdamWTest} checks every parameter against libtorch's
 * {@code AdamW} over several steps.
 */
public final class InPlaceAdamW implements AutoCloseable {
    private final List<Tensor> parameters;
    private final double lr;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final State[] states;
    private boolean closed;
    private final Map<String, Tensor> scratch = new HashMap<>();
    private final Scalar decay;
    private final Scalar beta1Scalar;
    private final Scalar oneMinusBeta1;
    private final Scalar beta2Scalar;
    private final Scalar oneMinusBeta2;
    private final Scalar epsScalar;

    private static final class State {
        final Tensor expAvg;
        final Tensor expAvgSq;
        final String scratchKey;
        long step;

        State(Tensor p) {
            expAvg = Ops.pinned(torch.zeros_like(p));
            expAvgSq = Ops.pinned(torch.zeros_like(p));
            scratchKey = scratchKey(p);
        }
    }

    /** AdamW with libtorch's defaults (betas 0.9 and 0.999, eps 1e-8, weight decay 0.01) and learning rate {@code lr}. */
    public InPlaceAdamW(List<Tensor> parameters, double lr) {
        this(parameters, lr, 0.9, 0.999, 1e-8, 1e-2);
    }

    public InPlaceAdamW(List<Tensor> parameters, double lr, double beta1, double beta2, double eps, double weightDecay) {
        if (!(lr >= 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps >= 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("invalid AdamW options: lr=" + lr + ", betas=(" + beta1 + ", " + beta2
                    + "), eps=" + eps + ", weight_decay=" + weightDecay + " (lr, eps, weight_decay >= 0; betas in [0, 1))");
        }
        // Owned copies (at::Tensor handles sharing each parameter's storage), pinned: the caller's
        // wrappers may be views into a TensorVector (Module.parameters()) that is freed when it is
        // collected, or belong to an open pointer scope.
        this.parameters = new ArrayList<>(parameters.size());
        for (Tensor p : parameters) {
            this.parameters.add(Ops.pinned(new Tensor(p)));
        }
        this.states = new State[this.parameters.size()];
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decay = Ops.pinned(new Scalar(1 - lr * weightDecay));
        this.beta1Scalar = Ops.pinned(new Scalar(beta1));
        this.oneMinusBeta1 = Ops.pinned(new Scalar(1 - beta1));
        this.beta2Scalar = Ops.pinned(new Scalar(beta2));
        this.oneMinusBeta2 = Ops.pinned(new Scalar(1 - beta2));
        this.epsScalar = Ops.pinned(new Scalar(eps));
    }

    /** One step over every parameter that has a gradient. */
    public void step() {
        if (closed) {
            throw new IllegalStateException("this AdamW is closed");
        }
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            for (int i = 0; i < states.length; i++) {
                Tensor p = parameters.get(i);
                Tensor g = p.grad();
                if (!g.defined()) {
                    continue;
                }
                if (states[i] == null) {
                    states[i] = new State(p);
                }
                State s = states[i];
                s.step++;
                double biasCorrection1 = 1 - Math.pow(beta1, s.step);
                double biasCorrection2 = 1 - Math.pow(beta2, s.step);
                if (weightDecay != 0) {
                    p.mul_(decay);
                }
                s.expAvg.mul_(beta1Scalar).add_(g, oneMinusBeta1);
                s.expAvgSq.mul_(beta2Scalar).addcmul_(g, g, oneMinusBeta2);
                Tensor denom = scratchFor(p, s.scratchKey);
                torch.sqrt_out(denom, s.expAvgSq);
                denom.div_(new Scalar(Math.sqrt(biasCorrection2))).add_(epsScalar);
                p.addcdiv_(s.expAvg, denom, new Scalar(-lr / biasCorrection1));
            }
        }
    }

    /** A view of the scratch buffer shaped like {@code p} (same dtype and device), grown to the largest parameter. */
    private Tensor scratchFor(Tensor p, String key) {
        long n = p.numel();
        Tensor buf = scratch.get(key);
        if (buf == null || buf.numel() < n) {
            long size = n;
            for (Tensor q : parameters) {
                if (q.scalar_type().intern() == p.scalar_type().intern()) {
                    size = Math.max(size, q.numel());
                }
            }
            if (buf != null) {
                buf.releaseReference();
            }
            buf = Ops.pinned(torch.empty(new long[] {size}, p.options(), new org.bytedeco.pytorch.MemoryFormatOptional()));
            scratch.put(key, buf);
        }
        return buf.narrow(0, 0, n).view(p.sizes());
    }

    /** The scratch a parameter shares: by dtype and device, worked out once per parameter (two JNI calls). */
    private static String scratchKey(Tensor p) {
        // enums and devices from native calls are fresh objects each time: compare names (MoeFeedForward.Workspace)
        return p.scalar_type().intern().name() + "@" + p.device().str().getString();
    }

    /** Bytes of optimizer state held now: the moments made so far and the scratch buffers. */
    public long stateBytes() {
        long bytes = 0;
        for (State s : states) {
            if (s != null) {
                bytes += 2 * s.expAvg.numel() * s.expAvg.element_size();
            }
        }
        for (Tensor t : scratch.values()) {
            bytes += t.numel() * t.element_size();
        }
        return bytes;
    }

    /** Frees the moments and the scratch. */
    @Override
    public void close() {
        for (int i = 0; i < states.length; i++) {
            if (states[i] != null) {
                states[i].expAvg.releaseReference();
                states[i].expAvgSq.releaseReference();
                states[i] = null;
            }
        }
        scratch.values().forEach(Tensor::releaseReference);
        scratch.clear();
        if (!closed) {
            closed = true;
            parameters.forEach(Tensor::releaseReference);
            for (Scalar c : new Scalar[] {decay, beta1Scalar, oneMinusBeta1, beta2Scalar, oneMinusBeta2, epsScalar}) {
                c.releaseReference();
            }
        }
    }
}
