package knobs.harness;

import knobs.kernels.UserPaths;
import knobs.kernels.Gpt;
import knobs.kernels.ModelConfig;
import knobs.kernels.RoutingMode;
import knobs.kernels.RoutingTrace;

/**
 * The value of a {@code routing} knob: one of the {@link RoutingMode}s ({@code router},
 * {@code balanced}, {@code skewed}) or {@code trace:FILE}, a recorded trace replayed instead of the
 * router ({@link RoutingTrace}, file format in {@link RoutingTraceFile}).
 *
 * @param knob  the value as given, for messages
 * @param mode  the routing mode; {@link RoutingMode#ROUTER} under a trace (ignored while it replays)
 * @param trace the trace, or null
 */
public record RoutingSource(String knob, RoutingMode mode, RoutingTrace trace) {
    /** The prefix of a trace value. */
    public static final String TRACE = "trace:";

    /**
     * Parses a {@code routing} value, reading and validating the trace file of {@code trace:FILE}.
     *
     * @throws IllegalArgumentException for an unknown mode (naming the allowed values) or a bad trace file
     */
    public static RoutingSource parse(String value) {
        if (value.startsWith(TRACE)) {
            String file = value.substring(TRACE.length());
            if (file.isBlank()) {
                throw new IllegalArgumentException("routing=" + value + ": name the trace file, routing=trace:FILE");
            }
            java.nio.file.Path path;
            try {
                path = UserPaths.resolve(file);
            } catch (java.nio.file.InvalidPathException e) {
                throw new IllegalArgumentException("routing=" + value + ": not a valid path: " + e.getMessage(), e);
            }
            return new RoutingSource(value, RoutingMode.ROUTER, RoutingTraceFile.read(path, "routing=" + value));
        }
        try {
            return new RoutingSource(value, RoutingMode.parse(value), null);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + ", " + TRACE + "FILE (a recorded routing trace)");
        }
    }

    /**
     * Checks, with no native code, that this routing can run {@code model} at {@code topK} for
     * {@code batch} sequences over {@code positions} positions (a trace must cover them).
     */
    public void check(ModelConfig model, int topK, int batch, int positions) {
        if (trace != null) {
            trace.check(model, "routing=" + knob, topK, batch, positions);
        }
    }

    /** Sets this routing on every MoE block of {@code model}. */
    public void apply(Gpt model) {
        if (trace != null) {
            model.setRoutingTrace(trace);
        } else {
            model.setRouting(mode);
        }
    }
}
