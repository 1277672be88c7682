package knobs.reports.input;

import knobs.reports.ReportException;
import knobs.reports.summary.Ceilings;
import knobs.reports.summary.Knob;
import knobs.reports.summary.ParamValue;
import knobs.reports.summary.Params;
import knobs.reports.summary.SecondaryStat;
import knobs.reports.summary.Statistics;
import knobs.reports.summary.Units;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One run as {@code compare}, {@code history} and {@code export} see it: per configuration, the
 * per-iteration samples as times per operation, whichever file kind they came from (JMH JSON,
 * a unified {@code summary.json}, or a sweep folder).
 *
 * @param display     the run as given on the command line
 * @param sources     the files read, as shown in messages
 * @param environment the run's environment as {@code summary.json} writes it
 * @param ceilings    the run's ceilings (its Calibration rows, or those its summary recorded), or null
 * @param series      one entry per configuration, sorted by {@link Key}
 * @param failed      configurations recorded as failed alongside the run (sweep folders, summaries
 *                    made with {@code --failed}); empty when none are known
 */
public record RunData(String display, List<String> sources, ObjectNode environment, Ceilings ceilings,
                      List<Series> series, List<FailedConfig> failed) {

    public RunData {
        sources = List.copyOf(sources);
        series = List.copyOf(series);
        failed = List.copyOf(failed);
    }

    /**
     * What identifies a configuration across runs. Params are in canonical form
     * ({@link ParamValue#render()} re-typed), so that {@code 1e-3} in a JMH file and {@code 0.001} in
     * a summary name the same configuration.
     */
    public record Key(String benchmark, Params params, String mode) implements Comparable<Key> {

        private static final Comparator<Key> ORDER = Comparator.comparing(Key::benchmark)
                .thenComparing(Key::params).thenComparing(Key::mode);

        /**
         * The key with params in canonical form, as {@link Knob#keyParams} identifies a configuration:
         * a param a result lacks is at its default (the thread params at {@code auto} are left out, so
         * results from before they were params match results at {@code auto}).
         */
        public static Key of(String benchmark, Params params, String mode) {
            Map<String, String> rendered = new LinkedHashMap<>();
            params.values().forEach((name, v) -> rendered.put(name, v.render()));
            SortedMap<String, ParamValue> canonical = new TreeMap<>();
            Knob.keyParams(rendered).forEach((name, v) -> canonical.put(name, ParamValue.of(v)));
            return new Key(benchmark, new Params(canonical), mode);
        }

        @Override
        public int compareTo(Key other) {
            return ORDER.compare(this, other);
        }

        /** For messages and tables: {@code MoeTopK.forward {topK=1} (avgt)}. */
        public String describe() {
            return benchmark + (params.values().isEmpty() ? "" : " " + params) + " (" + mode + ")";
        }

        /** The params without braces, for tables: {@code phase=decode, topK=8}, or an empty string. */
        public String paramsText() {
            String text = params.toString();
            return text.substring(1, text.length() - 1);
        }
    }

    /**
     * One configuration's measurement.
     *
     * @param key       benchmark, params, mode
     * @param unit      the primary metric's unit as recorded
     * @param values    the samples in {@code unit}, fork by fork, iteration by iteration
     * @param seconds   the same samples as seconds per operation (throughput inverted); all positive
     * @param stats     statistics of {@code values}
     * @param forkSizes samples per fork, in order (they add up to the number of samples)
     * @param flops     median per-op FLOPs, or null
     * @param bytes     median per-op bytes, or null
     * @param tokens    median per-op tokens (batch·promptLen for a prefill, batch for a decode step), or null
     * @param secondary the summary's secondary metrics (per-op counter medians, raw medians with units)
     * @param source    the file it came from
     * @param contended per sample, the {@code contention.contended} flag (1 contended, 0 not, NaN unknown in
     *                  that iteration); null when the run did not capture contention
     * @param probe     per sample, the drift probe's speed index after that iteration ({@link
     *                  knobs.reports.summary.ProbeMetrics#index}, ns; NaN unknown); null when the run has no probe
     */
    public record Series(Key key, String unit, double[] values, double[] seconds, Statistics stats, int[] forkSizes,
                         Double flops, Double bytes, Double tokens, SortedMap<String, SecondaryStat> secondary, String source,
                         double[] contended, double[] probe) {

        public Series {
            values = values.clone();
            seconds = seconds.clone();
            forkSizes = forkSizes.clone();
            secondary = Collections.unmodifiableSortedMap(new TreeMap<>(secondary));
            if (contended != null && contended.length != values.length) {
                throw new IllegalArgumentException(contended.length + " contention flags for " + values.length + " samples");
            }
            contended = contended == null ? null : contended.clone();
            if (probe != null && probe.length != values.length) {
                throw new IllegalArgumentException(probe.length + " probe values for " + values.length + " samples");
            }
            probe = probe == null ? null : probe.clone();
        }

        @Override
        public double[] probe() {
            return probe == null ? null : probe.clone();
        }

        @Override
        public double[] contended() {
            return contended == null ? null : contended.clone();
        }

        /** Number of forks. */
        public int forks() {
            return forkSizes.length;
        }

        @Override
        public int[] forkSizes() {
            return forkSizes.clone();
        }

        @Override
        public double[] values() {
            return values.clone();
        }

        @Override
        public double[] seconds() {
            return seconds.clone();
        }
    }

    /** The series of a configuration, or null. */
    public Series get(Key key) {
        for (Series s : series) {
            if (s.key().equals(key)) {
                return s;
            }
        }
        return null;
    }

    /** The failure record of a configuration (any mode), or null. */
    public FailedConfig failure(Key key) {
        for (FailedConfig f : failed) {
            if (f.benchmark().equals(key.benchmark()) && Key.of(f.benchmark(), f.params(), key.mode()).equals(key)) {
                return f;
            }
        }
        return null;
    }

    /** Samples per fork from the fork index of each sample (samples come fork by fork). */
    static int[] forkSizes(List<Integer> forks) {
        Map<Integer, Integer> sizes = new LinkedHashMap<>();
        forks.forEach(f -> sizes.merge(f, 1, Integer::sum));
        return sizes.values().stream().mapToInt(Integer::intValue).toArray();
    }

    /** Samples as seconds per op; comparisons take logs, so each must be positive. */
    static double[] seconds(double[] values, String unit, String file, RunData.Key key) throws ReportException {
        double[] s = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            s[i] = Units.secondsPerOp(values[i], unit);
            if (!(s[i] > 0) || !Double.isFinite(s[i])) {
                throw new ReportException(file + ": " + key.describe() + ": sample " + i + " is " + values[i] + " " + unit
                        + "; a time per operation must be positive and finite");
            }
        }
        return s;
    }
}
