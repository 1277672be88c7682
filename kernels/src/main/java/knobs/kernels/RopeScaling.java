package knobs.kernels;

import java.util.Locale;

/**
 * How a model rescales its RoPE inverse frequencies for contexts longer than it was trained on
 * (Hugging Face's {@code rope_scaling}); {@link Rotary#inverseFrequencies} applies it. Only the
 * rotation angles change, never a shape or a FLOP count.
 *
 * <ul>
 *   <li>{@link Type#NONE}: plain RoPE, θ^(−2j/hs).
 *   <li>{@link Type#LINEAR} (position interpolation): every inverse frequency divided by
 *       {@code factor}, i.e. positions divided by it (transformers' {@code "linear"}).
 *   <li>{@link Type#LLAMA3} (Llama 3.1/3.2): with wavelength λ = 2π / f of each inverse frequency f,
 *       L = {@code originalMaxPositions}, low-frequency wavelength L / lowFreqFactor and high-frequency
 *       wavelength L / highFreqFactor: λ below the high-frequency wavelength keeps f; λ above the
 *       low-frequency wavelength uses f / factor; in between
 *       (1 − s)·f/factor + s·f with s = (L/λ − lowFreqFactor) / (highFreqFactor − lowFreqFactor)
 *       (transformers' {@code _compute_llama3_parameters}; its attention factor is 1, so cos/sin are
 *       not rescaled).
 * </ul>
 *
 * @param type                 kind of scaling
 * @param factor               how much longer the context is: ≥ 1 (1 for NONE)
 * @param lowFreqFactor        LLAMA3: > 0 (0 otherwise)
 * @param highFreqFactor       LLAMA3: > lowFreqFactor (0 otherwise)
 * @param originalMaxPositions LLAMA3: the pre-training context L, > 0 (0 otherwise)
 */
public record RopeScaling(Type type, double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {

    /** Plain RoPE. */
    public static final RopeScaling NONE = new RopeScaling(Type.NONE, 1, 0, 0, 0);

    /** Kinds of scaling, by their Hugging Face {@code rope_type}. */
    public enum Type {
        NONE("default"),
        LINEAR("linear"),
        LLAMA3("llama3");

        private final String hfName;

        Type(String hfName) {
            this.hfName = hfName;
        }

        /** The {@code rope_type} value in a Hugging Face config.json. */
        public String hfName() {
            return hfName;
        }
    }

    public RopeScaling {
        if (type == null) {
            throw new IllegalArgumentException("invalid rope scaling type=null: must be one of default, linear, llama3");
        }
        String what = type.hfName() + " rope scaling";
        if (type == Type.NONE) {
            check(factor == 1 && lowFreqFactor == 0 && highFreqFactor == 0 && originalMaxPositions == 0, what,
                    "factor/lowFreqFactor/highFreqFactor/originalMaxPositions",
                    factor + "/" + lowFreqFactor + "/" + highFreqFactor + "/" + originalMaxPositions, "1/0/0/0 (no scaling)");
        } else {
            check(factor >= 1 && Double.isFinite(factor), what, "factor", factor, "a finite number >= 1");
            if (type == Type.LINEAR) {
                check(lowFreqFactor == 0 && highFreqFactor == 0 && originalMaxPositions == 0, what,
                        "lowFreqFactor/highFreqFactor/originalMaxPositions",
                        lowFreqFactor + "/" + highFreqFactor + "/" + originalMaxPositions, "0/0/0 (llama3 only)");
            } else {
                check(lowFreqFactor > 0 && Double.isFinite(lowFreqFactor), what, "lowFreqFactor", lowFreqFactor, "> 0");
                check(highFreqFactor > lowFreqFactor && Double.isFinite(highFreqFactor), what, "highFreqFactor", highFreqFactor,
                        "> lowFreqFactor=" + lowFreqFactor);
                check(originalMaxPositions > 0, what, "originalMaxPositions", originalMaxPositions, "> 0");
            }
        }
    }

    private static void check(boolean ok, String what, String field, Object value, String allowed) {
        if (!ok) {
            throw new IllegalArgumentException("invalid " + what + " " + field + "=" + value + ": must be " + allowed);
        }
    }

    /** Position interpolation: positions divided by {@code factor} (≥ 1). */
    public static RopeScaling linear(double factor) {
        return new RopeScaling(Type.LINEAR, factor, 0, 0, 0);
    }

    /** Llama 3's frequency-dependent scaling (Llama 3.2: factor 32, low 1, high 4, original 8192). */
    public static RopeScaling llama3(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {
        return new RopeScaling(Type.LLAMA3, factor, lowFreqFactor, highFreqFactor, originalMaxPositions);
    }

    /** True unless this is plain RoPE. */
    public boolean scales() {
        return type != Type.NONE;
    }

    /** {@code f} (an unscaled inverse frequency, radians per position) after this scaling. */
    public double apply(double f) {
        return switch (type) {
            case NONE -> f;
            case LINEAR -> f / factor;
            case LLAMA3 -> {
                double wavelength = 2 * Math.PI / f;
                double highFreqWavelength = originalMaxPositions / highFreqFactor;
                double lowFreqWavelength = originalMaxPositions / lowFreqFactor;
                if (wavelength < highFreqWavelength) {
                    yield f;
                }
                if (wavelength > lowFreqWavelength) {
                    yield f / factor;
                }
                double s = (originalMaxPositions / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                yield (1 - s) * f / factor + s * f;
            }
        };
    }

    /** E.g. "llama3 scaling ×32 (low 1, high 4, original 8192)", "linear scaling ×4", "" for none. */
    public String describe() {
        return switch (type) {
            case NONE -> "";
            case LINEAR -> "linear scaling ×" + number(factor);
            case LLAMA3 -> "llama3 scaling ×" + number(factor) + " (low " + number(lowFreqFactor) + ", high "
                    + number(highFreqFactor) + ", original " + originalMaxPositions + ")";
        };
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%g", v);
    }
}
