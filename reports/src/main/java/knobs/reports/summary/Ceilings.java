package knobs.reports.summary;

/**
 * The machine's measured limits that achieved rates are compared with.
 *
 * @param flopsPerS peak FLOP/s, or null when unknown
 * @param bytesPerS peak memory bandwidth in bytes/s, or null when unknown
 * @param source    where the numbers come from, e.g. {@code Calibration (same run)}
 */
public record Ceilings(Double flopsPerS, Double bytesPerS, String source) {

    /** Per cent of a ceiling, or null when either side is unknown. */
    static Double percentOf(Double achieved, Double ceiling) {
        return achieved == null || ceiling == null ? null : 100.0 * achieved / ceiling;
    }
}
