package knobs.reports.analysis;

import knobs.reports.ReportException;
import knobs.reports.format.Format;
import knobs.reports.summary.Knob;
import knobs.reports.summary.ParamValue;
import knobs.reports.summary.RowQuality;
import knobs.reports.summary.SecondaryStat;
import knobs.reports.summary.SummaryRow;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Distributed runs (docs/distributed.md): bandwidth against message size for every collective of
 * {@code Collectives} (nccl-tests' algbw and busbw), the same against world size, and the share of
 * a step spent communicating for benchmarks that count it.
 *
 * <p>Bandwidth: algbw = S / t and busbw = S × factor / t, from the counters {@code algBytes} and
 * {@code busBytes} per op (S and S × nccl-tests' bus factor, written by the benchmark), over t, the
 * slowest rank's own time per op ({@code slowestRankNs}): the collective alone, as nccl-tests times
 * it. Without that counter, t is the step time (the collective plus the closing barrier), and the
 * point says so. Per-rank times ({@code rank.<r>}, from {@code -prof knobs.harness.dist.RankTimesProfiler})
 * are carried when present.
 *
 * <p>Communication share: for any row with a {@code commNs} counter (communication time per op),
 * {@code commNs / step time}; with {@code exposedCommNs}, the part not hidden behind compute too.
 *
 * <p>Only trustworthy rows ({@link DataQuality}) are analysed; the others are listed in
 * {@link #notAnalysed()} with why.
 *
 * @param bandwidth     one curve per (collective, worldSize, other params), points by message size
 * @param worldScaling  one per (collective, bytes, other params) measured at two or more world sizes
 * @param communication one per row with a {@code commNs} counter, in summary order
 * @param notAnalysed   untrustworthy rows of those benchmarks, with their reasons
 */
public record Distributed(List<Curve> bandwidth, List<Curve> worldScaling, List<Share> communication,
                          List<Passes.NotAnalysed> notAnalysed) {

    /** The benchmark class of the collectives. */
    public static final String COLLECTIVES = "Collectives";
    /** Its params. */
    public static final String COLLECTIVE = "collective";
    public static final String BYTES = "bytes";
    public static final String WORLD_SIZE = "worldSize";
    /** Its counters (per op after reports' division by {@code ops}). */
    public static final String ALG_BYTES = "algBytes";
    public static final String BUS_BYTES = "busBytes";
    public static final String SLOWEST_RANK_NS = "slowestRankNs";
    public static final String FASTEST_RANK_NS = "fastestRankNs";
    /** Per-rank time metrics' prefix (RankTimesProfiler). */
    public static final String RANK_PREFIX = "rank.";
    /** Communication counters of the parallel benchmarks (ns per op). */
    public static final String COMM_NS = "commNs";
    public static final String EXPOSED_COMM_NS = "exposedCommNs";

    /** Where a bandwidth's time came from. */
    public enum Basis {
        /** The slowest rank's own time: the collective alone (nccl-tests' measure). */
        SLOWEST_RANK,
        /** JMH's step time: the collective plus the closing barrier. */
        STEP
    }

    /**
     * One configuration.
     *
     * @param row             its summary row
     * @param x               the varied value (bytes, or world size)
     * @param stepSeconds     the step time (JMH's median)
     * @param slowestSeconds  the slowest rank's own time per op, or null
     * @param fastestSeconds  the fastest rank's own time per op, or null
     * @param algBytesPerS    algbw, or null without an {@code algBytes} counter
     * @param busBytesPerS    busbw, or null without a {@code busBytes} counter
     * @param basis           the time the bandwidths are over
     * @param rankSeconds     each rank's own time per op (rank → seconds), empty when not profiled
     */
    public record Point(SummaryRow row, double x, double stepSeconds, Double slowestSeconds, Double fastestSeconds,
                        Double algBytesPerS, Double busBytesPerS, Basis basis, Map<Integer, Double> rankSeconds) {
        public Point {
            rankSeconds = java.util.Collections.unmodifiableMap(new TreeMap<>(rankSeconds));
        }
    }

    /**
     * A curve: rows of one collective that differ only in {@code varied}.
     *
     * @param group  the rows (varied: {@code bytes} or {@code worldSize})
     * @param points trustworthy rows, by increasing x
     */
    public record Curve(RowGroup group, List<Point> points) {
        public Curve {
            points = List.copyOf(points);
        }

        /** The collective's name, from the group's params. */
        public String collective() {
            ParamValue v = group.fixed().values().get(COLLECTIVE);
            return v == null ? "?" : v.text();
        }
    }

    /**
     * A step's communication share.
     *
     * @param row             the row
     * @param commFraction    communication time over step time
     * @param exposedFraction exposed (not overlapped) communication over step time, or null
     */
    public record Share(SummaryRow row, double commFraction, Double exposedFraction) {
    }

    public Distributed {
        bandwidth = List.copyOf(bandwidth);
        worldScaling = List.copyOf(worldScaling);
        communication = List.copyOf(communication);
        notAnalysed = List.copyOf(notAnalysed);
    }

    /** Whether there is anything to show. */
    public boolean isEmpty() {
        return bandwidth.isEmpty() && worldScaling.isEmpty() && communication.isEmpty() && notAnalysed.isEmpty();
    }

    static boolean isCollectives(SummaryRow r) {
        return Knob.benchmarkClass(r.benchmark()).equals(COLLECTIVES);
    }

    /**
     * The params the analysis gives a meaning must have it: {@code bytes} a positive integer,
     * {@code worldSize} an integer of at least 2; the counters non-negative.
     */
    static void check(SummaryRow row, String where) throws ReportException {
        if (!isCollectives(row)) {
            return;
        }
        ParamValue bytes = row.params().values().get(BYTES);
        if (bytes != null && (bytes.kind() != ParamValue.Kind.INTEGER || bytes.asLong() < 1)) {
            throw new ReportException(where + ": param '" + BYTES + "' is '" + bytes.text() + "'; expected a message size in bytes,"
                    + " a positive integer");
        }
        ParamValue world = row.params().values().get(WORLD_SIZE);
        if (world != null && (world.kind() != ParamValue.Kind.INTEGER || world.asLong() < 2)) {
            throw new ReportException(where + ": param '" + WORLD_SIZE + "' is '" + world.text() + "'; expected a number of ranks,"
                    + " an integer of at least 2");
        }
        for (String c : List.of(ALG_BYTES, BUS_BYTES, SLOWEST_RANK_NS, FASTEST_RANK_NS)) {
            SecondaryStat s = row.secondary().get(c);
            if (s != null && !(s.median() >= 0)) {
                throw new ReportException(where + ": counter '" + c + "' is " + s.median() + " per op; expected 0 or more");
            }
        }
    }

    /** The analysis over the rows of {@code quality}, each judged as it says. */
    public static Distributed of(DataQuality quality) {
        List<SummaryRow> collectives = new ArrayList<>();
        List<Share> shares = new ArrayList<>();
        List<Passes.NotAnalysed> left = new ArrayList<>();
        for (DataQuality.Judged j : quality.rows()) {
            SummaryRow r = j.row();
            boolean relevant = isCollectives(r) || r.secondary().containsKey(COMM_NS);
            if (!relevant) {
                continue;
            }
            RowQuality q = j.quality();
            if (!q.trustworthy()) {
                left.add(new Passes.NotAnalysed(r, q.describe()));
                continue;
            }
            if (isCollectives(r)) {
                collectives.add(r);
            }
            SecondaryStat comm = r.secondary().get(COMM_NS);
            if (comm != null && r.secondsPerOp() > 0) {
                SecondaryStat exposed = r.secondary().get(EXPOSED_COMM_NS);
                shares.add(new Share(r, comm.median() * 1e-9 / r.secondsPerOp(),
                        exposed == null ? null : exposed.median() * 1e-9 / r.secondsPerOp()));
            }
        }
        List<Curve> bandwidth = curves(collectives, BYTES, 1);
        List<Curve> scaling = curves(collectives, WORLD_SIZE, 2);
        return new Distributed(bandwidth, scaling, shares, left);
    }

    private static List<Curve> curves(List<SummaryRow> rows, String varied, int minPoints) {
        List<Curve> out = new ArrayList<>();
        for (RowGroup g : RowGroup.of(rows.stream().filter(r -> r.params().values().containsKey(varied)).toList(), r -> varied)) {
            List<Point> points = new ArrayList<>();
            for (SummaryRow r : g.rows()) {
                points.add(point(r, r.params().values().get(varied).asDouble()));
            }
            points.sort(Comparator.comparingDouble(Point::x));
            if (points.size() >= minPoints) {
                out.add(new Curve(g, points));
            }
        }
        return out;
    }

    static Point point(SummaryRow r, double x) {
        Double slowest = perOpSeconds(r, SLOWEST_RANK_NS);
        Double fastest = perOpSeconds(r, FASTEST_RANK_NS);
        Basis basis = slowest != null && slowest > 0 ? Basis.SLOWEST_RANK : Basis.STEP;
        double t = basis == Basis.SLOWEST_RANK ? slowest : r.secondsPerOp();
        Map<Integer, Double> ranks = new LinkedHashMap<>();
        for (Map.Entry<String, SecondaryStat> e : r.secondary().entrySet()) {
            String name = e.getKey();
            if (name.startsWith(RANK_PREFIX) && name.substring(RANK_PREFIX.length()).matches("\\d{1,6}")
                    && "ns/op".equals(e.getValue().unit())) {
                ranks.put(Integer.parseInt(name.substring(RANK_PREFIX.length())), e.getValue().median() * 1e-9);
            }
        }
        return new Point(r, x, r.secondsPerOp(), slowest, fastest, rate(r, ALG_BYTES, t), rate(r, BUS_BYTES, t), basis, ranks);
    }

    private static Double perOpSeconds(SummaryRow r, String counter) {
        SecondaryStat s = r.secondary().get(counter);
        return s == null ? null : s.median() * 1e-9;
    }

    private static Double rate(SummaryRow r, String counter, double seconds) {
        SecondaryStat s = r.secondary().get(counter);
        return s == null || !(seconds > 0) ? null : s.median() / seconds;
    }

    /** {@code 1.2 GB/s} style, for tables. */
    public static String bandwidth(Double bytesPerS) {
        return bytesPerS == null ? "—" : Format.si(bytesPerS, "B/s");
    }

    /** A message size: {@code 1 KiB}, {@code 16 MiB}, else bytes. */
    public static String size(double bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int i = 0;
        while (v >= 1024 && v % 1024 == 0 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return Format.plain(v) + " " + units[i];
    }
}
