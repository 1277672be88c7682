package knobs.reports.regression;

import knobs.reports.summary.Knob;
import knobs.reports.ReportException;
import knobs.reports.format.Format;
import knobs.reports.input.FailedConfig;
import knobs.reports.input.RunData;
import knobs.reports.summary.Ceilings;
import knobs.reports.summary.Statistics;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Two runs compared configuration by configuration ({@link ChangeDetector} on each pair of samples),
 * with the configurations measured on one side only listed rather than dropped.
 *
 * <p>With {@link Normalize#CEILINGS} each time is first multiplied by its own run's ceiling — the
 * FLOP/s ceiling for a configuration that is compute-bound in the baseline, the bytes/s ceiling for
 * one that is memory-bound — which is dividing it by the time that run's calibration needs for the
 * same work. Two machines that differ only in peak speed then give equal values for equal code.
 * Calibration rows define the ceilings and are not compared in that mode. A run's ceiling here is
 * its best Calibration fork (per fork the median rate of its samples; the largest over forks and
 * param sets): a disturbed fork only ever shows less than the machine can do, so on a busy machine
 * the best fork is the better estimate of the machine, where the median over all samples (what
 * {@code summarize} reports) would move with the disturbance.
 *
 * @param baseline     the baseline run
 * @param current      the current run
 * @param threshold    effect size a change must exceed to be flagged
 * @param alpha        significance level
 * @param normalize    whether times were normalized by the runs' ceilings
 * @param baselineCeilings the baseline's ceilings used to normalize, or null without normalization
 * @param currentCeilings  likewise for the current run
 * @param entries      configurations in both runs, sorted
 * @param baselineOnly configurations only the baseline has
 * @param currentOnly  configurations only the current run has
 * @param skipped      configurations in both runs that were not compared, and why
 */
public record Comparison(RunData baseline, RunData current, double threshold, double alpha, Normalize normalize,
                         Normalization baselineCeilings, Normalization currentCeilings,
                         List<Entry> entries, List<OneSided> baselineOnly, List<OneSided> currentOnly,
                         List<Skipped> skipped) {

    /**
     * The ceilings a run's times are normalized by.
     *
     * @param ceilings   FLOP/s and bytes/s (either may be null)
     * @param forkSpread per kind ({@link #FLOPS}, {@link #BYTES}), the largest over the smallest fork median
     *                   rate of the Calibration row that set it; absent with one fork or recorded ceilings
     */
    public record Normalization(Ceilings ceilings, Map<String, Double> forkSpread) {

        public Normalization {
            // Sorted, not Map.copyOf: the outputs list the kinds, and their order must not vary between JVMs.
            forkSpread = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(forkSpread));
        }
    }

    /** How times are made comparable across runs. */
    public enum Normalize {
        /** Times as measured: both runs on the same machine. */
        NONE,
        /** Each time × its run's own ceiling: runs on (slightly) different machines. */
        CEILINGS,
        /**
         * Each iteration's time divided by the drift probe's speed index measured right after it (and
         * times the baseline's median index, to stay in seconds): the machine's speed at that moment,
         * so drift between minutes and JVMs, and between machines, cancels.
         */
        PROBE;

        /** The name used on the command line and in the outputs. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What {@link Normalize#PROBE} divides by, as named in the outputs. */
    public static final String PROBE_INDEX = "probe";

    /** Ceiling kinds, as named in the outputs. */
    public static final String FLOPS = "flops_per_s";
    public static final String BYTES = "bytes_per_s";

    /**
     * One configuration compared.
     *
     * @param key          benchmark, params, mode
     * @param baseline     the baseline's series
     * @param current      the current run's series
     * @param normalizedBy the ceiling the times were multiplied by ({@link #FLOPS} or {@link #BYTES}), or null
     * @param baselineValues the values tested: seconds per op, or normalized
     * @param currentValues  likewise for the current run
     * @param result       the verdict and its numbers
     */
    public record Entry(RunData.Key key, RunData.Series baseline, RunData.Series current, String normalizedBy,
                        double[] baselineValues, double[] currentValues, ChangeDetector.Result result) {

        public Entry {
            baselineValues = baselineValues.clone();
            currentValues = currentValues.clone();
        }

        @Override
        public double[] baselineValues() {
            return baselineValues.clone();
        }

        @Override
        public double[] currentValues() {
            return currentValues.clone();
        }
    }

    /**
     * A configuration measured in one run only.
     *
     * @param key  benchmark, params, mode
     * @param note why it is missing on the other side when known (a failure record there), else null
     */
    public record OneSided(RunData.Key key, String note) {
    }

    /**
     * A configuration in both runs that was not compared.
     *
     * @param key    benchmark, params, mode
     * @param reason why
     */
    public record Skipped(RunData.Key key, String reason) {
    }

    public Comparison {
        entries = List.copyOf(entries);
        baselineOnly = List.copyOf(baselineOnly);
        currentOnly = List.copyOf(currentOnly);
        skipped = List.copyOf(skipped);
    }

    /**
     * Compares two runs.
     *
     * @throws ReportException with {@link Normalize#CEILINGS}, when a run has no ceilings or the two runs
     *                         share no kind of ceiling
     */
    public static Comparison of(RunData baseline, RunData current, double threshold, double alpha, Normalize normalize)
            throws ReportException {
        Normalization nb = null;
        Normalization nc = null;
        if (normalize == Normalize.CEILINGS) {
            nb = normalization(baseline, "baseline");
            nc = normalization(current, "current");
            boolean flops = nb.ceilings().flopsPerS() != null && nc.ceilings().flopsPerS() != null;
            boolean bytes = nb.ceilings().bytesPerS() != null && nc.ceilings().bytesPerS() != null;
            if (!flops && !bytes) {
                throw new ReportException("--normalize ceilings: the runs share no kind of ceiling (baseline: "
                        + kinds(nb.ceilings()) + "; current: " + kinds(nc.ceilings())
                        + "); run Calibration (gemm and copy) in both");
            }
        }
        TreeSet<RunData.Key> keys = new TreeSet<>();
        baseline.series().forEach(s -> keys.add(s.key()));
        current.series().forEach(s -> keys.add(s.key()));
        List<Entry> entries = new ArrayList<>();
        List<OneSided> baselineOnly = new ArrayList<>();
        List<OneSided> currentOnly = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        for (RunData.Key key : keys) {
            RunData.Series b = baseline.get(key);
            RunData.Series c = current.get(key);
            if (c == null) {
                baselineOnly.add(new OneSided(key, failureNote(current, key, "the current run")));
            } else if (b == null) {
                currentOnly.add(new OneSided(key, failureNote(baseline, key, "the baseline")));
            } else if (normalize == Normalize.CEILINGS && Knob.isCalibration(key.benchmark())) {
                skipped.add(new Skipped(key, "defines the ceilings the times are normalized by"));
            } else if (normalize == Normalize.PROBE) {
                String missing = probeMissing(b, "the baseline");
                missing = missing != null ? missing : probeMissing(c, "the current run");
                if (missing != null) {
                    skipped.add(new Skipped(key, missing));
                    continue;
                }
                double reference = Statistics.median(b.probe());
                double[] bv = perProbe(b.seconds(), b.probe(), reference);
                double[] cv = perProbe(c.seconds(), c.probe(), reference);
                entries.add(new Entry(key, b, c, PROBE_INDEX, bv, cv, ChangeDetector.of(bv, b.forkSizes(), Contention.of(b.contended()),
                        cv, c.forkSizes(), Contention.of(c.contended()), threshold, alpha)));
            } else {
                String by = normalize == Normalize.CEILINGS ? ceilingFor(b, nb.ceilings(), nc.ceilings()) : null;
                double[] bv = scaled(b.seconds(), by == null ? 1 : ceiling(nb.ceilings(), by));
                double[] cv = scaled(c.seconds(), by == null ? 1 : ceiling(nc.ceilings(), by));
                entries.add(new Entry(key, b, c, by, bv, cv, ChangeDetector.of(bv, b.forkSizes(), Contention.of(b.contended()),
                        cv, c.forkSizes(), Contention.of(c.contended()), threshold, alpha)));
            }
        }
        return new Comparison(baseline, current, threshold, alpha, normalize, nb, nc, entries, baselineOnly, currentOnly,
                skipped);
    }

    /** Entries per verdict, every verdict present. */
    public Map<ChangeDetector.Verdict, Long> counts() {
        Map<ChangeDetector.Verdict, Long> counts = new EnumMap<>(ChangeDetector.Verdict.class);
        for (ChangeDetector.Verdict v : ChangeDetector.Verdict.values()) {
            counts.put(v, entries.stream().filter(e -> e.result().verdict() == v).count());
        }
        return counts;
    }

    /**
     * Notes on what the comparison cannot see, for every output: configurations measured in one fork on a
     * side, where the variation between forks (JIT decisions, memory layout, the machine's state while
     * the fork ran), which the test needs, is unknown; configurations withheld as contended; runs that did
     * not capture contention at all.
     */
    public List<String> notes() {
        List<String> notes = new ArrayList<>();
        long single = entries.stream().filter(e -> e.baseline().forks() < 2 || e.current().forks() < 2).count();
        if (single > 0) {
            notes.add(single + " of " + entries.size() + " configurations were measured in one fork on a side: the test"
                    + " compares forks, so they cannot be judged; measure with -f 3 or more");
        }
        long contended = entries.stream().filter(e -> e.result().verdict() == ChangeDetector.Verdict.UNRELIABLE).count();
        if (contended > 0) {
            notes.add(contended + " of " + entries.size() + " configurations ran mostly contended (other work took the"
                    + " cores they needed) in one run or both: no change is called from them; rerun on a quieter machine");
        }
        boolean baselineBlind = !entries.isEmpty() && entries.stream().allMatch(e -> e.baseline().contended() == null);
        boolean currentBlind = !entries.isEmpty() && entries.stream().allMatch(e -> e.current().contended() == null);
        if (baselineBlind || currentBlind) {
            notes.add((baselineBlind && currentBlind ? "neither run captured"
                    : (baselineBlind ? "the baseline" : "the current run") + " did not capture")
                    + " contention (an older run, or -Dknobs.contention=off): a busy machine cannot be told"
                    + " apart from a change there");
        }
        for (Map.Entry<String, Normalization> side : sides().entrySet()) {
            side.getValue().forkSpread().forEach((kind, spread) -> {
                if (spread > 1 + threshold) {
                    notes.add("the " + side.getKey() + "'s Calibration forks measured " + (kind.equals(FLOPS) ? "FLOP/s" : "bytes/s")
                            + " up to " + Format.percent(100 * (spread - 1)) + " apart: the machine was busy; its best fork"
                            + " is used, but times normalized by it are only as good as that fork");
                }
            });
        }
        return notes;
    }

    private Map<String, Normalization> sides() {
        Map<String, Normalization> sides = new java.util.LinkedHashMap<>();
        if (baselineCeilings != null) {
            sides.put("baseline", baselineCeilings);
        }
        if (currentCeilings != null) {
            sides.put("current run", currentCeilings);
        }
        return sides;
    }

    /** True when some configuration regressed: {@code compare} then exits with status 1. */
    public boolean anyRegression() {
        return entries.stream().anyMatch(e -> e.result().verdict() == ChangeDetector.Verdict.REGRESSION);
    }

    /**
     * The ceilings to normalize a run by: from its Calibration series (best fork, see the class comment),
     * else the ceilings the run recorded (a summary made with {@code --ceilings}).
     */
    static Normalization normalization(RunData run, String side) throws ReportException {
        Double flops = null;
        Double bytes = null;
        Map<String, Double> spread = new java.util.TreeMap<>();
        int rows = 0;
        for (RunData.Series s : run.series()) {
            boolean gemm = s.key().benchmark().equals(Knob.CALIBRATION_GEMM) && s.flops() != null && s.flops() > 0;
            boolean copy = s.key().benchmark().equals(Knob.CALIBRATION_COPY) && s.bytes() != null && s.bytes() > 0;
            if (!gemm && !copy) {
                continue;
            }
            rows++;
            double[] forkRates = forkMedianRates(s, gemm ? s.flops() : s.bytes());
            double best = java.util.Arrays.stream(forkRates).max().orElseThrow();
            double worst = java.util.Arrays.stream(forkRates).min().orElseThrow();
            String kind = gemm ? FLOPS : BYTES;
            if (gemm ? flops == null || best > flops : bytes == null || best > bytes) {
                if (forkRates.length > 1) {
                    spread.put(kind, best / worst);
                } else {
                    spread.remove(kind);
                }
                if (gemm) {
                    flops = best;
                } else {
                    bytes = best;
                }
            }
        }
        if (rows > 0) {
            return new Normalization(new Ceilings(flops, bytes, Knob.CALIBRATION + " (best fork)"), spread);
        }
        if (run.ceilings() != null) {
            return new Normalization(run.ceilings(), Map.of());
        }
        throw new ReportException(run.display() + ": --normalize ceilings needs the " + side + "'s own ceilings,"
                + " from Calibration.gemm / Calibration.copy results in the same run (or a summary.json that recorded"
                + " them); found none in " + String.join(", ", run.sources()));
    }

    /** Per fork, the median of (work per op / seconds per op) over its samples. */
    private static double[] forkMedianRates(RunData.Series s, double workPerOp) {
        double[] seconds = s.seconds();
        int[] sizes = s.forkSizes();
        double[] rates = new double[sizes.length];
        int start = 0;
        for (int f = 0; f < sizes.length; f++) {
            double[] r = new double[sizes[f]];
            for (int i = 0; i < sizes[f]; i++) {
                r[i] = workPerOp / seconds[start + i];
            }
            rates[f] = Statistics.median(r);
            start += sizes[f];
        }
        return rates;
    }

    private static String kinds(Ceilings c) {
        List<String> kinds = new ArrayList<>();
        if (c.flopsPerS() != null) {
            kinds.add("FLOP/s only");
        }
        if (c.bytesPerS() != null) {
            kinds.add("bytes/s only");
        }
        return String.join(", ", kinds);
    }

    /**
     * The ceiling that bounds a configuration in the baseline: the larger of flops/F and bytes/B (its
     * roofline bound). Without counters, the FLOP/s ceiling when both runs have one. The same kind is
     * used for both runs, so a change of bound between machines cannot masquerade as a speed change.
     */
    static String ceilingFor(RunData.Series b, Ceilings cb, Ceilings cc) {
        boolean flops = cb.flopsPerS() != null && cc.flopsPerS() != null;
        boolean bytes = cb.bytesPerS() != null && cc.bytesPerS() != null;
        boolean hasFlops = b.flops() != null && b.flops() > 0;
        boolean hasBytes = b.bytes() != null && b.bytes() > 0;
        if (flops && bytes && hasFlops && hasBytes) {
            return b.flops() / cb.flopsPerS() >= b.bytes() / cb.bytesPerS() ? FLOPS : BYTES;
        }
        if (bytes && hasBytes && !hasFlops) {
            return BYTES;
        }
        return flops ? FLOPS : BYTES;
    }

    private static double ceiling(Ceilings c, String kind) {
        return kind.equals(FLOPS) ? c.flopsPerS() : c.bytesPerS();
    }

    private static double[] scaled(double[] values, double factor) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i] * factor;
        }
        return out;
    }

    /** Why a side cannot be normalized by the probe, or null when every sample has a probe index. */
    private static String probeMissing(RunData.Series s, String side) {
        double[] p = s.probe();
        if (p == null) {
            return "--normalize probe: " + side + " has no drift probe (probe.gemmNs, probe.copyNs): a run from before"
                    + " the probe, or with -Dknobs.probe=off";
        }
        for (double v : p) {
            if (!(v > 0) || !Double.isFinite(v)) {
                return "--normalize probe: " + side + " lacks the probe in some iterations";
            }
        }
        return null;
    }

    /** seconds[i] × reference / probe[i]. */
    private static double[] perProbe(double[] seconds, double[] probe, double reference) {
        double[] out = new double[seconds.length];
        for (int i = 0; i < seconds.length; i++) {
            out[i] = seconds[i] * reference / probe[i];
        }
        return out;
    }

    private static String failureNote(RunData other, RunData.Key key, String side) {
        FailedConfig f = other.failure(key);
        return f == null ? null : "failed in " + side + ": " + f.reason();
    }
}
