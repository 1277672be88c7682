package knobs.reports.analysis;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import knobs.reports.input.RetriesFile;
import knobs.reports.summary.Environment;
import knobs.reports.summary.Knob;
import knobs.reports.summary.Report;
import knobs.reports.summary.RowQuality;
import knobs.reports.summary.Sample;
import knobs.reports.summary.Summarizer;
import knobs.reports.summary.SummaryRow;

/**
 * What the report knows and what it does not: each row's {@link RowQuality} (few samples, noisy,
 * contended, disturbed by GC/JIT), then the {@link Consistency} check over the rows that passed,
 * which marks both rows of a disagreeing pair inconsistent. Every analysis after this one sees the
 * trustworthy rows only ({@link #trusted()}); the rest are listed as not analysed, with the reasons.
 *
 * <p>Rows the sweep runner re-ran because they were noisy or contended ({@code --retry-noisy},
 * its {@code retries.json}) carry that history: the row itself is judged on its latest attempt,
 * like any other; {@link #retries()} says which rows needed a re-run and whether they settled.
 *
 * @param rows        every row of the report with its quality, in summary order
 * @param consistency the consistency check
 * @param trusted     the report restricted to trustworthy rows and their samples
 * <p>Ceilings measured by this run's own Calibration rows are trusted only when those rows are:
 * otherwise the trusted report carries no ceilings, and roofline, the performance model and the
 * ceiling rules say they could not judge, rather than judge against a noisy ceiling.
 *
 * @param retries     the re-runs of rows of this report, in summary order (empty without a retries file)
 * @param ceilingsDropped true when the run's own ceilings were left out because a Calibration row is untrustworthy
 */
public record DataQuality(List<Judged> rows, Consistency consistency, Report trusted, List<Rerun> retries,
                          boolean ceilingsDropped) {

    /**
     * A row the sweep runner re-ran.
     *
     * @param row      the summary row (its latest attempt)
     * @param retry    what the retries file says
     */
    public record Rerun(SummaryRow row, RetriesFile.Retry retry) {
    }

    /**
     * One row and its quality.
     *
     * @param row     the summary row
     * @param quality its quality
     */
    public record Judged(SummaryRow row, RowQuality quality) {
    }

    public DataQuality {
        rows = List.copyOf(rows);
        retries = List.copyOf(retries);
    }

    /** Judges every row of {@code report}, without a retries file. */
    public static DataQuality of(Report report) {
        return of(report, List.of());
    }

    /** Judges every row of {@code report}; {@code retries} from the sweep's retries file (may be empty). */
    public static DataQuality of(Report report, List<RetriesFile.Retry> retries) {
        Map<SummaryRow, RowQuality> quality = new IdentityHashMap<>();
        for (SummaryRow row : report.summary()) {
            quality.put(row, RowQuality.of(row, report.samples()));
        }
        Consistency consistency = Consistency.of(report.summary(), r -> quality.get(r).trustworthy());
        for (Consistency.Pair p : consistency.inconsistent()) {
            String ratio = String.format(Locale.ROOT, "%.2f×", p.ratio());
            quality.put(p.faster(), quality.get(p.faster()).with(new RowQuality.Reason(RowQuality.Kind.INCONSISTENT,
                    ratio + " faster than " + p.slower().describe() + ", which does the same work")));
            quality.put(p.slower(), quality.get(p.slower()).with(new RowQuality.Reason(RowQuality.Kind.INCONSISTENT,
                    ratio + " slower than " + p.faster().describe() + ", which does the same work")));
        }
        List<Judged> judged = new ArrayList<>();
        List<SummaryRow> kept = new ArrayList<>();
        for (SummaryRow row : report.summary()) {
            RowQuality q = quality.get(row);
            judged.add(new Judged(row, q));
            if (q.trustworthy()) {
                kept.add(row);
            }
        }
        Set<String> keys = kept.stream().map(DataQuality::key).collect(Collectors.toSet());
        List<Sample> samples = report.samples().stream()
                .filter(s -> keys.contains(key(s.benchmark(), s.params().toString(), s.mode()))).toList();
        List<Rerun> reruns = new ArrayList<>();
        for (SummaryRow row : report.summary()) {
            for (RetriesFile.Retry r : retries) {
                if (r.retried() > 0 && r.benchmark().equals(row.benchmark()) && r.params().equals(row.params())) {
                    reruns.add(new Rerun(row, r));
                }
            }
        }
        Environment env = report.environment();
        boolean dropCeilings = env != null && env.ceilings() != null && Summarizer.SAME_RUN.equals(env.ceilings().source())
                && judged.stream().anyMatch(j -> Knob.isCalibration(j.row().benchmark()) && !j.quality().trustworthy());
        if (dropCeilings) {
            env = new Environment(env.fields(), env.varies(), env.sidecar(), null, env.sources());
        }
        return new DataQuality(judged, consistency, new Report(env, kept, samples, report.failed()), reruns, dropCeilings);
    }

    /** The re-run of {@code row}, or null when it was not re-run. */
    public Rerun rerun(SummaryRow row) {
        return retries.stream().filter(r -> r.row() == row).findFirst().orElse(null);
    }

    private static String key(SummaryRow r) {
        return key(r.benchmark(), r.params().toString(), r.mode());
    }

    private static String key(String benchmark, String params, String mode) {
        return benchmark + '\u0000' + params + '\u0000' + mode;
    }

    /** Rows that are not analysed, with their quality. */
    public List<Judged> notAnalysed() {
        return rows.stream().filter(j -> !j.quality().trustworthy()).toList();
    }

    /** Number of trustworthy rows. */
    public int trustworthyCount() {
        return rows.size() - notAnalysed().size();
    }

    /** The quality of {@code row} (a row of this report), or null for a row it does not hold. */
    public RowQuality of(SummaryRow row) {
        for (Judged j : rows) {
            if (j.row() == row) {
                return j.quality();
            }
        }
        return null;
    }

    /**
     * The banner line: {@code "12 of 29 rows trustworthy; 17 not analysed: 15 noisy, 9 contended"}
     * (a row can have several reasons), or {@code "all 29 rows trustworthy"}.
     */
    public String headline() {
        int n = rows.size();
        int bad = notAnalysed().size();
        if (n == 0) {
            return "no rows";
        }
        if (bad == 0) {
            return "all " + n + " rows trustworthy" + suffix();
        }
        StringBuilder sb = new StringBuilder();
        sb.append(n - bad).append(" of ").append(n).append(" rows trustworthy; ").append(bad)
                .append(" not analysed:");
        String sep = " ";
        for (RowQuality.Kind kind : RowQuality.Kind.values()) {
            long count = rows.stream().filter(j -> j.quality().has(kind)).count();
            if (count > 0) {
                sb.append(sep).append(count).append(' ').append(kind.id().replace('_', ' '));
                sep = ", ";
            }
        }
        return sb.append(suffix()).toString();
    }

    /** {@code "; 3 re-run as noisy or contended, 2 of them settled"} (and the dropped ceilings), or empty. */
    private String suffix() {
        String ceilings = ceilingsDropped ? "; this run's ceilings not used: a Calibration row is untrustworthy" : "";
        if (retries.isEmpty()) {
            return ceilings;
        }
        long settled = retries.stream().filter(r -> r.retry().settled()).count();
        return "; " + retries.size() + " re-run as noisy or contended, " + settled + " of them settled" + ceilings;
    }
}
