package knobs.reports.summary;

/**
 * The machine's measured limits that achieved rates are compared with.
 *
 * @param flopsPerS     peak FLOP/s, or null when unknown
 * @param bytesPerS     peak memory bandwidth of a copy (bytes read + written per second), or null when unknown
 * @param readBytesPerS peak read bandwidth (bytes read per second by a read-only reduction), or null when unknown
 * @param source        where the numbers come from, e.g. {@code Calibration (same run)}
 */
public record Ceilings(Double flopsPerS, Double bytesPerS, Double readBytesPerS, String source) {

    /** Ceilings without a read bandwidth (runs and files from before {@code Calibration.read}). */
    public Ceilings(Double flopsPerS, Double bytesPerS, String source) {
        this(flopsPerS, bytesPerS, null, source);
    }

    /**
     * The roofline's memory ceiling: the faster of the copy and the read bandwidth, or the one that
     * is known, or null. A bound must not be beatable by a measured rate, so the roof takes the best
     * rate at which this machine was seen to move bytes (a read-only stream normally beats a copy).
     */
    public Double memoryBytesPerS() {
        if (bytesPerS == null || readBytesPerS == null) {
            return bytesPerS != null ? bytesPerS : readBytesPerS;
        }
        return Math.max(bytesPerS, readBytesPerS);
    }

    /** Which measurement {@link #memoryBytesPerS()} is: {@code read} or {@code copy}, or null when neither is known. */
    public String memoryCeilingName() {
        Double m = memoryBytesPerS();
        return m == null ? null : m.equals(readBytesPerS) ? "read" : "copy";
    }

    /**
     * The roofline bound of one operation, the least time the ceilings allow: max(flops / F,
     * bytes / B) with B = {@link #memoryBytesPerS()}; null when a count or a ceiling is unknown.
     */
    public Double boundSeconds(Double flops, Double bytes) {
        Double b = memoryBytesPerS();
        if (flops == null || bytes == null || flopsPerS == null || b == null) {
            return null;
        }
        return Math.max(flops / flopsPerS, bytes / b);
    }

    /** {@code compute} when flops / F is the larger side of {@link #boundSeconds}, else {@code memory}; null when unknown. */
    public String boundSide(Double flops, Double bytes) {
        if (boundSeconds(flops, bytes) == null) {
            return null;
        }
        return flops / flopsPerS >= bytes / memoryBytesPerS() ? "compute" : "memory";
    }

    /** Per cent of a ceiling, or null when either side is unknown. */
    static Double percentOf(Double achieved, Double ceiling) {
        return achieved == null || ceiling == null ? null : 100.0 * achieved / ceiling;
    }
}
