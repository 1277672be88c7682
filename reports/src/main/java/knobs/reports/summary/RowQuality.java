package knobs.reports.summary;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Whether one summary row can be trusted, and if not, why. A row is <em>trustworthy</em> when none
 * of these holds:
 * <ul>
 *   <li>{@link Kind#FEW_SAMPLES}: fewer than {@link #MIN_SAMPLES} samples, too few to tell noise
 *       from signal;</li>
 *   <li>{@link Kind#NOISY}: IQR/median above {@link Statistics#NOISE_THRESHOLD};</li>
 *   <li>{@link Kind#CONTENDED}: more than {@link ContentionMetrics#CONTENDED_SHARE} of the
 *       iterations were contended by other processes;</li>
 *   <li>{@link Kind#DISTURBED}: more than half of the iterations spent over
 *       {@link NoiseMetrics#THRESHOLD} of their time in GC pauses and JIT compilation;</li>
 *   <li>{@link Kind#INCONSISTENT}: another benchmark that did the same work measured a different
 *       time (set by the analysis' consistency check, not here).</li>
 * </ul>
 * Analyses, findings and fits use trustworthy rows only; the others are listed as not analysed,
 * with these reasons.
 *
 * @param reasons    why the row is not trustworthy; empty when it is
 * @param contention how contended its samples were, or null when contention was not captured
 */
public record RowQuality(List<Reason> reasons, ContentionMetrics.Share contention) {

    /** Fewer samples than this cannot show whether a row is noisy. */
    public static final int MIN_SAMPLES = 3;

    /** Why a row is not trustworthy; {@link #id()} is what summary.json writes. */
    public enum Kind {
        FEW_SAMPLES("few_samples"), NOISY("noisy"), CONTENDED("contended"), DISTURBED("gc_jit"), INCONSISTENT("inconsistent");

        private final String id;

        Kind(String id) {
            this.id = id;
        }

        /** The name written in summary.json and findings. */
        public String id() {
            return id;
        }
    }

    /**
     * One reason.
     *
     * @param kind   what is wrong
     * @param detail the numbers, for people
     */
    public record Reason(Kind kind, String detail) {
    }

    public RowQuality {
        reasons = List.copyOf(reasons);
    }

    /** True when nothing speaks against the row. */
    public boolean trustworthy() {
        return reasons.isEmpty();
    }

    /** True when one of the reasons is {@code kind}. */
    public boolean has(Kind kind) {
        return reasons.stream().anyMatch(r -> r.kind() == kind);
    }

    /** This quality with one more reason. */
    public RowQuality with(Reason reason) {
        List<Reason> all = new ArrayList<>(reasons);
        all.add(reason);
        return new RowQuality(all, contention);
    }

    /** The reasons in one line: {@code noisy (IQR/median 23%); contended (4 of 5 iterations)}. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (Reason r : reasons) {
            sb.append(sb.length() == 0 ? "" : "; ").append(r.kind().id()).append(" (").append(r.detail()).append(')');
        }
        return sb.toString();
    }

    /**
     * Judges one row from its statistics and its own samples (the samples of other rows are ignored).
     *
     * @param row     the row
     * @param samples every sample of the report, or just the row's
     */
    public static RowQuality of(SummaryRow row, List<Sample> samples) {
        List<Sample> own = samples.stream().filter(s -> s.benchmark().equals(row.benchmark())
                && s.params().equals(row.params()) && s.mode().equals(row.mode())).toList();
        List<Reason> reasons = new ArrayList<>();
        Statistics st = row.stats();
        if (st.n() < MIN_SAMPLES) {
            reasons.add(new Reason(Kind.FEW_SAMPLES, "n = " + st.n() + " < " + MIN_SAMPLES));
        }
        if (st.noisy()) {
            reasons.add(new Reason(Kind.NOISY, String.format(Locale.ROOT, "IQR/median %.1f%% > %.0f%% over %d samples",
                    100 * st.iqr() / Math.abs(st.median()), 100 * Statistics.NOISE_THRESHOLD, st.n())));
        }
        ContentionMetrics.Share share = ContentionMetrics.share(own);
        if (share != null && share.mostlyContended()) {
            reasons.add(new Reason(Kind.CONTENDED, share.contended() + " of " + share.judged() + " iterations contended"
                    + (share.othersCores() == null ? "" : String.format(Locale.ROOT,
                    ", other processes used %.2f cores (median)", share.othersCores()))));
        }
        long disturbed = own.stream().filter(s -> s.noise() != null).count();
        if (!own.isEmpty() && disturbed > own.size() / 2) {
            reasons.add(new Reason(Kind.DISTURBED, disturbed + " of " + own.size()
                    + " iterations spent over " + Math.round(100 * NoiseMetrics.THRESHOLD) + "% of their time in GC or JIT"));
        }
        return new RowQuality(reasons, share);
    }
}
