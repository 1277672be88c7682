package knobs.reports.summary;

/**
 * The drift probe's metrics ({@code knobs.harness.DriftProbe}, docs/metrics.md): after every
 * measurement iteration, outside the timed region, the fork times a fixed 256³ GEMM and an 8 MiB copy
 * ({@code probe.gemmNs}, {@code probe.copyNs}). Their geometric mean is the machine's speed index at
 * that moment: {@code compare --normalize probe} divides each iteration's time by it, which removes
 * the drift of this VM's speed between minutes and JVMs that the test would otherwise see as noise
 * (docs/regressions.md, "Drift probe"). The names live here only.
 */
public final class ProbeMetrics {
    /** The probe GEMM's median time after the iteration, ns. */
    public static final String GEMM = "probe.gemmNs";
    /** The probe copy's median time after the iteration, ns. */
    public static final String COPY = "probe.copyNs";

    private ProbeMetrics() {
    }

    /** The speed index of one iteration: sqrt(gemmNs · copyNs), or NaN when either is not a positive, finite time. */
    public static double index(double gemmNs, double copyNs) {
        if (!(gemmNs > 0) || !(copyNs > 0) || !Double.isFinite(gemmNs) || !Double.isFinite(copyNs)) {
            return Double.NaN;
        }
        return Math.sqrt(gemmNs * copyNs);
    }
}
