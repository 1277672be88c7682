package knobs.kernels;

/** What one timed step does: a prefill of the whole prompt, or one decode step over a filled KV cache. */
public enum Phase {
    PREFILL, DECODE;

    /** Parses {@code prefill} / {@code decode}, naming the allowed values on error. */
    public static Phase parse(String s) {
        for (Phase p : values()) {
            if (p.name().equalsIgnoreCase(s)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown phase '" + s + "'; allowed: prefill, decode");
    }
}
