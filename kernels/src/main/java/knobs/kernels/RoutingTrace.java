package knobs.kernels;

import java.util.Arrays;

/**
 * Recorded expert choices of an MoE model, replayed instead of its router ({@link Gpt#setRoutingTrace}).
 *
 * <p>For every MoE layer, every recorded sequence and every position of it, the {@code k} experts
 * its router chose, most probable first (the order of {@code topk(sorted=true)}). A replay at
 * {@code topK <= k} takes the first {@code topK} of them, which is what the router itself picks at
 * that top-k in the first MoE layer (deeper layers were recorded on hidden states computed at the
 * recording's k, so there it may differ: record at the k you replay when that matters). A forward over batch B at positions {@code pos .. pos+T-1} (a prefill from 0, or a
 * decode step after a KV cache of length pos) routes token (b, t) to the experts recorded for
 * sequence b at position pos + t; the routing weights are the router's probabilities of those
 * experts, renormalised, as for the synthetic {@link RoutingMode}s. So a trace recorded from a
 * model on some tokens, replayed on the same model and tokens at the same top-k, reproduces its
 * outputs exactly, and a trace recorded from a trained checkpoint gives a random-weight model that
 * checkpoint's real load per expert.
 *
 * <p>Pure data, no native code: {@code benchmarks.jar} checks a trace against the knobs before it
 * starts a fork. The file format (JSON lines) is read and written by {@code knobs.harness.RoutingTraceFile}.
 */
public final class RoutingTrace {
    private final String source;
    private final int experts;
    private final int k;
    private final int sequences;
    private final int positions;
    private final int[][] choices; // [layer][((s·positions) + p)·k + j]

    /**
     * @param source    where the trace came from (its file), for messages
     * @param experts   experts per MoE layer of the model it was recorded from
     * @param k         experts recorded per token
     * @param sequences recorded sequences
     * @param positions recorded positions per sequence
     * @param choices   per MoE layer, {@code sequences·positions·k} expert ids, row-major (sequence, position, slot)
     * @throws IllegalArgumentException naming the first bad value: a count below 1, a layer of the wrong length, an
     *                                  expert id outside 0..experts-1, or an expert chosen twice for one token
     */
    public RoutingTrace(String source, int experts, int k, int sequences, int positions, int[][] choices) {
        this.source = source;
        if (experts < 1 || k < 1 || k > experts || sequences < 1 || positions < 1 || choices.length < 1) {
            throw new IllegalArgumentException(source + ": needs experts >= 1, 1 <= k <= experts, sequences >= 1,"
                    + " positions >= 1 and at least one layer; has experts=" + experts + ", k=" + k + ", sequences="
                    + sequences + ", positions=" + positions + ", layers=" + choices.length);
        }
        long rows = (long) sequences * positions;
        for (int l = 0; l < choices.length; l++) {
            int[] layer = choices[l];
            if (layer.length != rows * k) {
                throw new IllegalArgumentException(source + ": layer " + l + " holds " + layer.length / Math.max(1, k)
                        + " tokens (" + layer.length + " expert ids); the header says " + sequences + " sequences × "
                        + positions + " positions = " + rows + " tokens of k=" + k);
            }
            for (int row = 0; row < rows; row++) {
                for (int j = 0; j < k; j++) {
                    int e = layer[row * k + j];
                    if (e < 0 || e >= experts) {
                        throw new IllegalArgumentException(source + ": layer " + l + ", " + token(row, positions)
                                + ": expert id " + e + " is not allowed: must be in 0.." + (experts - 1)
                                + " (the trace's experts=" + experts + ")");
                    }
                    for (int i = 0; i < j; i++) {
                        if (layer[row * k + i] == e) {
                            throw new IllegalArgumentException(source + ": layer " + l + ", " + token(row, positions)
                                    + ": expert " + e + " is chosen twice; a token's k experts must be distinct");
                        }
                    }
                }
            }
        }
        this.experts = experts;
        this.k = k;
        this.sequences = sequences;
        this.positions = positions;
        this.choices = new int[choices.length][];
        for (int l = 0; l < choices.length; l++) {
            this.choices[l] = choices[l].clone();
        }
    }

    private static String token(int row, int positions) {
        return "sequence " + row / positions + ", position " + row % positions;
    }

    public String source() {
        return source;
    }

    /** MoE layers recorded. */
    public int layers() {
        return choices.length;
    }

    public int experts() {
        return experts;
    }

    /** Experts recorded per token. */
    public int k() {
        return k;
    }

    public int sequences() {
        return sequences;
    }

    public int positions() {
        return positions;
    }

    /** The k recorded experts of one token, most probable first (a copy). */
    public int[] experts(int layer, int sequence, int position) {
        int from = (sequence * positions + position) * k;
        return Arrays.copyOfRange(choices[layer], from, from + k);
    }

    /** Tokens routed to each expert over every recorded token of {@code layer}, with the first {@code topK} choices of each. */
    public long[] tokensPerExpert(int layer, int topK) {
        long[] counts = new long[experts];
        int[] c = choices[layer];
        for (int row = 0; row < c.length / k; row++) {
            for (int j = 0; j < topK; j++) {
                counts[c[row * k + j]]++;
            }
        }
        return counts;
    }

    /**
     * Checks that this trace can stand in for the router of {@code model} in a step of {@code batch}
     * sequences over {@code positionsNeeded} positions (a prefill of T tokens needs T; a decode step
     * after T needs T + 1) at {@code topK} experts per token, with no native code.
     *
     * @param knob how the caller names the trace in messages, e.g. {@code routing=trace:moe.jsonl}
     * @throws IllegalArgumentException naming the mismatch and what would be allowed
     */
    public void check(ModelConfig model, String knob, int topK, int batch, int positionsNeeded) {
        if (!model.isMoe()) {
            throw new IllegalArgumentException(knob + ": model '" + model.name() + "' is dense; a routing trace needs an MoE model");
        }
        int moeLayers = model.layers();
        if (layers() != moeLayers) {
            throw new IllegalArgumentException(knob + ": the trace has " + layers() + " MoE layers; model '" + model.name()
                    + "' has " + moeLayers + " (record the trace from this model: Inspect --model " + model.name()
                    + " --record-routing FILE --tokens FILE)");
        }
        if (experts != model.experts()) {
            throw new IllegalArgumentException(knob + ": the trace routes over " + experts + " experts; model '" + model.name()
                    + "' has " + model.experts());
        }
        if (topK > k) {
            throw new IllegalArgumentException(knob + ": topK=" + topK + " is above the trace's k=" + k
                    + " (experts recorded per token); allowed: topK in 1.." + k + ", or record the trace with --topk " + topK);
        }
        if (batch > sequences) {
            throw new IllegalArgumentException(knob + ": batch=" + batch + " needs " + batch + " recorded sequences; the trace has "
                    + sequences + " (allowed: batch in 1.." + sequences + ")");
        }
        if (positionsNeeded > positions) {
            throw new IllegalArgumentException(knob + ": the step needs " + positionsNeeded + " positions per sequence; the trace has "
                    + positions + " (too few tokens: record it over at least " + positionsNeeded + " tokens per sequence)");
        }
    }

    /**
     * The expert ids of a forward over {@code batch} sequences at positions {@code pos .. pos+t-1},
     * first {@code topK} of each token: (batch·t·topK) values, row-major (sequence, position, slot),
     * as {@link MoeFeedForward}'s (N, k) choices are laid out.
     */
    long[] window(int layer, int batch, int pos, int t, int topK) {
        if (batch > sequences || pos + t > positions || topK > k) {
            throw new IllegalArgumentException(source + ": a forward of batch " + batch + " at positions " + pos + ".."
                    + (pos + t - 1) + " with topK=" + topK + " is outside the trace (" + sequences + " sequences × "
                    + positions + " positions, k=" + k + ")");
        }
        long[] out = new long[batch * t * topK];
        int[] c = choices[layer];
        int i = 0;
        for (int b = 0; b < batch; b++) {
            for (int p = pos; p < pos + t; p++) {
                int from = (b * positions + p) * k;
                for (int j = 0; j < topK; j++) {
                    out[i++] = c[from + j];
                }
            }
        }
        return out;
    }
}
