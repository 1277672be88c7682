package knobs.reports.format;

import knobs.reports.summary.ParamValue;
import knobs.reports.analysis.DataQuality;
import knobs.reports.summary.Report;
import knobs.reports.summary.RowQuality;
import knobs.reports.summary.SecondaryStat;
import knobs.reports.summary.Statistics;
import knobs.reports.summary.SummaryRow;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Writes {@code summary.csv}: one line per summary row, the same fields as {@code summary.json}
 * flattened. Params become {@code param.<name>} columns and secondary metrics
 * {@code secondary.<name>} columns (union over rows, sorted, blank where a row lacks one);
 * {@code ci99} becomes {@code ci99_low} and {@code ci99_high}; {@code quality_reasons} is one line
 * ({@link RowQuality#describe()}).
 */
public final class SummaryCsvWriter {

    /** The output file name. */
    public static final String FILE = "summary.csv";

    private static final List<String> FIXED = List.of("mode", "unit", "mean", "std", "median", "p90", "p99",
            "q1", "q3", "iqr", "ci99_low", "ci99_high", "ci_coverage", "n", "forks", "noisy", "trustworthy",
            "quality_reasons", "seconds_per_op",
            "flops", "bytes", "tokens", "achieved_flops_per_s", "achieved_bytes_per_s", "tokens_per_s",
            "percent_of_flops_ceiling", "percent_of_bytes_ceiling",
            "roofline_seconds", "roofline_bound", "percent_of_roofline_bound");

    private SummaryCsvWriter() {
    }

    /** The whole file as UTF-8. */
    public static byte[] write(Report report, DataQuality quality) {
        SortedSet<String> params = new TreeSet<>();
        SortedSet<String> secondary = new TreeSet<>();
        for (SummaryRow row : report.summary()) {
            params.addAll(row.params().values().keySet());
            row.secondary().forEach((name, stat) -> {
                secondary.add(name);
                if (stat.unit() != null) {
                    secondary.add(name + ".unit");
                }
            });
        }
        List<String> header = new ArrayList<>();
        header.add("benchmark");
        params.forEach(p -> header.add("param." + p));
        header.addAll(FIXED);
        secondary.forEach(s -> header.add("secondary." + s));
        header.add("source");

        List<List<String>> lines = new ArrayList<>();
        for (SummaryRow r : report.summary()) {
            Statistics s = r.stats();
            List<String> line = new ArrayList<>();
            line.add(r.benchmark());
            for (String p : params) {
                ParamValue v = r.params().values().get(p);
                line.add(v == null ? null : v.render());
            }
            line.add(r.mode());
            line.add(r.unit());
            for (double v : new double[] {s.mean(), s.std(), s.median(), s.p90(), s.p99(), s.q1(), s.q3(),
                    s.iqr(), s.ci99Low(), s.ci99High(), s.ciCoverage()}) {
                line.add(Csv.number(v));
            }
            line.add(Integer.toString(s.n()));
            line.add(Integer.toString(r.forks()));
            line.add(Boolean.toString(s.noisy()));
            RowQuality q = quality.of(r);
            line.add(Boolean.toString(q.trustworthy()));
            line.add(q.describe());
            for (Double v : new Double[] {r.secondsPerOp(), r.flops(), r.bytes(), r.tokens(),
                    r.achievedFlopsPerS(), r.achievedBytesPerS(), r.tokensPerS(),
                    r.percentOfFlopsCeiling(), r.percentOfBytesCeiling(), r.rooflineSeconds()}) {
                line.add(Csv.number(v));
            }
            line.add(r.rooflineBound());
            line.add(Csv.number(r.percentOfRooflineBound()));
            for (String column : secondary) {
                line.add(secondaryCell(r, column));
            }
            line.add(r.source());
            lines.add(line);
        }
        return Csv.table(header, lines);
    }

    /** A {@code <name>} column holds the median, a {@code <name>.unit} column the raw metric's unit. */
    private static String secondaryCell(SummaryRow r, String column) {
        SecondaryStat stat = r.secondary().get(column);
        if (stat != null) {
            return Csv.number(stat.median());
        }
        if (column.endsWith(".unit")) {
            SecondaryStat owner = r.secondary().get(column.substring(0, column.length() - ".unit".length()));
            return owner == null ? null : owner.unit();
        }
        return null;
    }
}
