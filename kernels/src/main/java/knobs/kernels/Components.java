package knobs.kernels;

/**
 * Named spans around the components of a model step, for an opt-in component profiler (see
 * {@code knobs.harness.ComponentProfiler}). With no {@link Listener} installed, the default, a span
 * costs one volatile read and allocates nothing, so the main timing is unperturbed.
 *
 * <p>Use: {@code try (Components.Span s = Components.span(Components.ATTN_QKV)) { ... }}. Spans may
 * nest (a {@link #VISION} span contains the vision encoder's own attention spans); a listener
 * that wants exclusive times attributes a nested span's time to the innermost one. The block
 * index of a span is set by the model's layer loop with {@link #layer(int)} ({@code -1} outside
 * the blocks) and passed to {@link Listener#begin}.
 *
 * <p>Component names are the metric names of docs/metrics.md; every model code path that does
 * work of one of these kinds opens a span with its name.
 */
public final class Components {
    /** Token (and position) embedding lookup. */
    public static final String EMBEDDING = "embedding";
    /** LayerNorm / RMSNorm (every norm of the model, including the final one). */
    public static final String NORM = "norm";
    /** Query/key/value projections (and rotary embeddings / QK-norm applied to them). */
    public static final String ATTN_QKV = "attention.qkv";
    /** Scaled-dot-product attention, including KV-cache appends. */
    public static final String ATTN_KERNEL = "attention.kernel";
    /** Attention output projection. */
    public static final String ATTN_OUT = "attention.out";
    /** Dense feed-forward (GELU MLP or SwiGLU). */
    public static final String MLP = "mlp";
    /** MoE router projection and its softmax. */
    public static final String MOE_ROUTER = "moe.router";
    /** Top-k selection of experts, sorting of (token, expert) pairs by expert, per-expert counts. */
    public static final String MOE_TOPK = "moe.topk";
    /** Gathering the routed tokens into per-expert blocks. */
    public static final String MOE_DISPATCH = "moe.dispatch";
    /** The routed experts' GEMMs, then (in a second span) the shared experts' GEMMs and their sigmoid gate. */
    public static final String MOE_EXPERTS = "moe.experts";
    /** Weighting the expert outputs and scattering them back to their tokens. */
    public static final String MOE_COMBINE = "moe.combine";
    /** Final vocabulary projection. */
    public static final String LM_HEAD = "lm_head";
    /** Cross-entropy loss of a training pass. */
    public static final String LOSS = "loss";
    /** Autograd backward of a training pass (not split further). */
    public static final String BACKWARD = "backward";
    /** Optimizer step (AdamW) and gradient zeroing. */
    public static final String OPTIMIZER = "optimizer";
    /** Vision encoder of a multimodal prefill (its blocks' spans nest inside). */
    public static final String VISION = "vision";
    /** Vision-to-language projector. */
    public static final String PROJECTOR = "projector";

    /** Receives span boundaries; implementations decide how to time them (host clock, CUDA events). */
    public interface Listener {
        /** A span named {@code component} starts, in block {@code layer} ({@code -1} outside the blocks). */
        void begin(String component, int layer);

        /** The innermost open span ends. */
        void end();
    }

    /** A span to close; one shared instance, since a span carries no state of its own. */
    public static final class Span implements AutoCloseable {
        private final boolean active;

        private Span(boolean active) {
            this.active = active;
        }

        @Override
        public void close() {
            if (active) {
                Listener l = listener;
                if (l != null) {
                    l.end();
                }
            }
        }
    }

    private static final Span NOOP = new Span(false);
    private static final Span ACTIVE = new Span(true);
    private static volatile Listener listener;
    private static final ThreadLocal<int[]> LAYER = ThreadLocal.withInitial(() -> new int[] {-1});

    private Components() {
    }

    /** Installs {@code l} (replacing any other); {@code null} turns the spans off. */
    public static void install(Listener l) {
        listener = l;
    }

    /** The installed listener, or null. */
    public static Listener installed() {
        return listener;
    }

    /** Opens a span named {@code component}; a no-op unless a listener is installed. */
    public static Span span(String component) {
        Listener l = listener;
        if (l == null) {
            return NOOP;
        }
        l.begin(component, LAYER.get()[0]);
        return ACTIVE;
    }

    /** Sets the block index that following spans of this thread report ({@code -1}: outside the blocks). */
    public static void layer(int index) {
        LAYER.get()[0] = index;
    }
}
