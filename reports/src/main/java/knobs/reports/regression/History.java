package knobs.reports.regression;

import knobs.reports.input.RunData;
import knobs.reports.summary.Statistics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The trend of every configuration across the runs of a {@link HistoryStore}, with change points: a
 * run is marked where {@link ChangeDetector} flags its samples against those of the previous run that
 * measured the same configuration (the same rule as {@code compare}, contention included, so a marked
 * point is exactly what {@code compare previous current} would have flagged). Where either run was
 * mostly contended the comparison is withheld ({@code unreliable (contended)}), never a change. Written by
 * {@link knobs.reports.format.HistoryJsonWriter} and {@link knobs.reports.format.html.HistoryHtmlWriter}.
 *
 * @param store     the store as given
 * @param runs      the entries, oldest first (run number = position + 1)
 * @param corrupt   store files that were skipped, with the reason
 * @param trends    one per configuration, sorted by key
 * @param threshold the effect-size threshold of the change test
 * @param alpha     its significance level
 */
public record History(String store, List<HistoryStore.Entry> runs, List<HistoryStore.Corrupt> corrupt,
                            List<Trend> trends, double threshold, double alpha) {

    /**
     * One configuration over the runs.
     *
     * @param key    benchmark, params, mode
     * @param points one per run that measured it, oldest first
     */
    public record Trend(RunData.Key key, List<TrendPoint> points) {

        public Trend {
            points = List.copyOf(points);
        }

        /** Points where a change was detected. */
        public List<TrendPoint> changes() {
            return points.stream().filter(p -> p.change() != null).toList();
        }
    }

    /**
     * One run of one configuration.
     *
     * @param run     run number, 1 = oldest
     * @param entry   the run
     * @param stats   statistics of its samples, seconds per op
     * @param change  the change against the previous point when flagged (regression or improvement), else null
     * @param against the run number it was compared with, or 0 for the first point
     * @param contention its contended iterations, or null when the run did not record them
     * @param withheld  when the comparison with the previous point was {@code unreliable (contended)}: its
     *                  result (the change it would have shown and why none is called), else null
     */
    public record TrendPoint(int run, HistoryStore.Entry entry, Statistics stats, ChangeDetector.Result change, int against,
                             Contention contention, ChangeDetector.Result withheld) {
    }

    public History {
        runs = List.copyOf(runs);
        corrupt = List.copyOf(corrupt);
        trends = List.copyOf(trends);
    }

    /** Builds the trends of a store's contents. */
    public static History of(String store, HistoryStore.Contents contents, double threshold, double alpha) {
        Map<RunData.Key, List<TrendPoint>> byKey = new TreeMap<>();
        Map<RunData.Key, HistoryStore.Point> previous = new TreeMap<>();
        Map<RunData.Key, Integer> previousRun = new TreeMap<>();
        List<HistoryStore.Entry> runs = contents.entries();
        for (int i = 0; i < runs.size(); i++) {
            HistoryStore.Entry e = runs.get(i);
            for (HistoryStore.Point p : e.series()) {
                double[] seconds = p.seconds();
                HistoryStore.Point before = previous.get(p.key());
                ChangeDetector.Result change = null;
                ChangeDetector.Result withheld = null;
                if (before != null) {
                    ChangeDetector.Result r = ChangeDetector.of(before.seconds(), before.forkSizes(), before.contention(),
                            seconds, p.forkSizes(), p.contention(), threshold, alpha);
                    if (r.verdict() == ChangeDetector.Verdict.REGRESSION || r.verdict() == ChangeDetector.Verdict.IMPROVEMENT) {
                        change = r;
                    } else if (r.verdict() == ChangeDetector.Verdict.UNRELIABLE) {
                        withheld = r;
                    }
                }
                byKey.computeIfAbsent(p.key(), k -> new ArrayList<>()).add(new TrendPoint(i + 1, e, Statistics.of(seconds),
                        change, before == null ? 0 : previousRun.get(p.key()), p.contention(), withheld));
                previous.put(p.key(), p);
                previousRun.put(p.key(), i + 1);
            }
        }
        List<Trend> trends = new ArrayList<>();
        byKey.forEach((key, points) -> trends.add(new Trend(key, points)));
        return new History(store, runs, contents.corrupt(), trends, threshold, alpha);
    }
}
