package knobs.reports.format;

import knobs.reports.summary.ComponentMetrics;
import knobs.reports.summary.ParamValue;
import knobs.reports.summary.Report;
import knobs.reports.summary.Sample;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Writes {@code samples.csv}: one line per sample of {@code all_samples}, params as
 * {@code param.<name>} columns, the per-sample times under the seed scripts' names ({@code T_total_ms},
 * {@code T_vision_ms}, ...: {@link ComponentMetrics}) and raw secondary values as {@code secondary.<name>}
 * columns (union over samples, sorted, blank where a sample lacks one).
 */
public final class SamplesCsvWriter {

    /** The output file name. */
    public static final String FILE = "samples.csv";

    private SamplesCsvWriter() {
    }

    /** The whole file as UTF-8. */
    public static byte[] write(Report report) {
        SortedSet<String> params = new TreeSet<>();
        SortedSet<String> secondary = new TreeSet<>();
        // The seed scripts' time columns in the order samples list them (total, stages, components).
        Set<String> times = new TreeSet<>(ComponentMetrics.FIELD_ORDER);
        for (Sample s : report.samples()) {
            params.addAll(s.params().values().keySet());
            secondary.addAll(s.secondary().keySet());
            times.addAll(s.times().keySet());
        }
        List<String> header = new ArrayList<>();
        header.add("sample_id");
        header.add("benchmark");
        params.forEach(p -> header.add("param." + p));
        header.addAll(List.of("mode", "fork", "iteration", "value", "unit"));
        header.addAll(times);
        secondary.forEach(name -> header.add("secondary." + name));

        List<List<String>> lines = new ArrayList<>();
        for (Sample s : report.samples()) {
            List<String> line = new ArrayList<>();
            line.add(Integer.toString(s.sampleId()));
            line.add(s.benchmark());
            for (String p : params) {
                ParamValue v = s.params().values().get(p);
                line.add(v == null ? null : v.render());
            }
            line.add(s.mode());
            line.add(Integer.toString(s.fork()));
            line.add(Integer.toString(s.iteration()));
            line.add(Csv.number(s.value()));
            line.add(s.unit());
            for (String name : times) {
                line.add(Csv.number(s.times().get(name)));
            }
            for (String name : secondary) {
                line.add(Csv.number(s.secondary().get(name)));
            }
            lines.add(line);
        }
        return Csv.table(header, lines);
    }
}
