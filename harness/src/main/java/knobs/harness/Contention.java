package knobs.harness;

import knobs.harness.ContentionReader.CpuTicks;
import knobs.harness.ContentionReader.Reading;
import knobs.harness.ContentionReader.Sample;

/**
 * What other work did to one iteration, from two {@link ContentionReader} samples taken at its
 * start and end, and whether the iteration counts as <em>contended</em>.
 *
 * <p><b>Others' CPU.</b> Busy ticks of the counted CPUs minus this process's own ticks, over the
 * interval; clamped at zero, because /proc/stat is tick-sampled per CPU while a process's own time
 * is accounted more precisely, so over a short quiet interval the difference can dip below zero.
 * Ticks become cores by dividing by the interval's total ticks per CPU, so the clock-tick rate
 * (USER_HZ) need not be known; cores become milliseconds by multiplying with the wall time.
 *
 * <p><b>The contended rule.</b> Let M be the CPUs counted (those this process may run on, as
 * listed in /proc/stat) and N the cores the benchmark needs ({@link #coresNeeded}). Others use
 * O = othersCores + stealCores (steal counts as 0 where the kernel has no steal value). The
 * iteration is contended when
 * <pre>O &gt; (M − N) + {@value #SHARE} · N</pre>
 * that is: other work is assumed to fill the M − N cores the benchmark leaves idle first, and it is
 * contention once it takes more than a quarter of the cores the benchmark itself needs. On 2 CPUs
 * with BLAS on both (N = 2) one busy process (O ≈ 1) is contended (threshold 0.5); with one
 * benchmark thread (N = 1) it is not (threshold 1.25), which matches what was measured: one busy
 * process slowed dense-cpu 2.7–3.8× with BLAS on all cores, 1.0–1.6× with one thread.
 */
public final class Contention {
    /** Share of the needed cores that others may take before an iteration is contended. */
    public static final double SHARE = 0.25;

    private Contention() {
    }

    /**
     * One iteration's contention; {@code NaN} marks a value that could not be measured in this
     * iteration (a counter went backwards, was unreadable at one end, or no tick passed).
     *
     * @param wallMs        wall time between the samples, ms
     * @param othersCpuMs   CPU time of other processes, ms summed over CPUs
     * @param othersCores   othersCpuMs / wallMs
     * @param stealMs       steal time, ms summed over CPUs
     * @param runQueue      the larger, over the two samples, of runnable threads on the machine minus
     *                      this process's runnable threads
     * @param involuntaryCs involuntary context switches of the benchmark thread(s)
     * @param contended     1 or 0 by the rule in the class comment
     */
    public record Iteration(double wallMs, double othersCpuMs, double othersCores, double stealMs, double runQueue,
                            double involuntaryCs, double contended) {
        /** stealMs / wallMs: cores' worth of steal. */
        public double stealCores() {
            return stealMs / wallMs;
        }
    }

    /**
     * The cores a benchmark needs: its JMH threads times the larger of its two native pools (the
     * pools take turns — matmuls on BLAS, the other ops on intra-op — so their counts do not add),
     * at most the CPUs counted and the JVM's available processors, at least 1.
     */
    public static int coresNeeded(int cpus, int availableProcessors, int jmhThreads, Threads.Counts counts) {
        long want = (long) Math.max(1, jmhThreads) * Math.max(counts.intraOp(), counts.blas());
        return (int) Math.max(1, Math.min(want, Math.min(cpus, availableProcessors)));
    }

    /** The contended rule of the class comment. */
    public static boolean contended(double othersCores, double stealCores, int cpus, int coresNeeded) {
        return othersCores + stealCores > (cpus - coresNeeded) + SHARE * coresNeeded;
    }

    /**
     * The contention between two samples.
     *
     * @param coresNeeded N of the contended rule ({@link #coresNeeded}), for the CPUs counted
     */
    public static Iteration between(Sample start, Sample end, int coresNeeded) {
        double wallMs = (end.nanoTime() - start.nanoTime()) / 1e6;
        double othersCores = Double.NaN;
        double stealCores = Double.NaN;
        double contended = Double.NaN;
        if (start.cpu().present() && end.cpu().present() && wallMs > 0) {
            CpuTicks a = start.cpu().value();
            CpuTicks b = end.cpu().value();
            long total = b.total() - a.total();
            if (a.cpus() == b.cpus() && total > 0) {
                double ticksPerCpu = (double) total / a.cpus();
                long busy = b.busy() - a.busy();
                long own = delta(start.ownTicks(), end.ownTicks());
                if (busy >= 0 && own >= 0) {
                    othersCores = Math.max(0, busy - own) / ticksPerCpu;
                }
                long steal = delta(a.steal(), b.steal());
                if (steal >= 0) {
                    stealCores = steal / ticksPerCpu;
                }
                if (!Double.isNaN(othersCores) && (steal >= 0 || !a.steal().present() && !b.steal().present())) {
                    contended = contended(othersCores, steal >= 0 ? stealCores : 0, a.cpus(), coresNeeded) ? 1 : 0;
                }
            }
        }
        long cs = delta(start.involuntaryCs(), end.involuntaryCs());
        return new Iteration(wallMs, othersCores * wallMs, othersCores, stealCores * wallMs,
                Math.max(othersRunnable(start), othersRunnable(end)), cs >= 0 ? cs : Double.NaN, contended);
    }

    /** end − start, or −1 when either is absent or the counter went backwards. */
    private static long delta(Reading<Long> start, Reading<Long> end) {
        if (!start.present() || !end.present() || end.value() < start.value()) {
            return -1;
        }
        return end.value() - start.value();
    }

    /**
     * Runnable threads not of this process. Without the per-thread states only the sampling thread
     * (always running while it samples) is subtracted. NaN when the run queue was not read.
     */
    private static double othersRunnable(Sample s) {
        if (!s.procsRunning().present()) {
            return Double.NaN;
        }
        long own = s.ownRunning().present() ? s.ownRunning().value() : 1;
        return Math.max(0, s.procsRunning().value() - own);
    }
}
