package knobs.reports.regression;

import knobs.reports.summary.ContentionMetrics;
import knobs.reports.ReportException;
import knobs.reports.format.Format;
import knobs.reports.input.JmhJsonReader;
import knobs.reports.input.JmhRun;
import knobs.reports.input.JsonFields;
import knobs.reports.input.Metric;
import knobs.reports.input.RunData;
import knobs.reports.input.RunLoader;
import knobs.reports.summary.Units;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * How often does {@link ChangeDetector} flag the same code (false alarms), and how often does it find a
 * planted change (power), at a given number of forks and iterations — measured on real recordings of
 * this machine rather than assumed. Used to choose the CI sweep's setting (docs/regressions.md, "Power
 * and false alarms").
 *
 * <p>A <b>recording</b> is one or more JMH JSON files of the same configurations, each holding one or more
 * forks; the forks of all its files are pooled per configuration (the files are typically interleaved
 * single-fork repetitions). For a setting of k forks × i iterations, each trial draws k forks for each side
 * without replacement and keeps each fork's first i iterations:
 * <ul>
 *   <li><b>A/A within</b>: both sides from one recording, disjoint forks (needs 2k forks);</li>
 *   <li><b>A/A across</b>: the baseline from one recording, the current run from another (every ordered
 *       pair of recordings in turn): what a CI comparison with an earlier run sees, drift between the
 *       recordings included;</li>
 *   <li><b>planted</b>: the across draws (within with one recording) with the current side's times
 *       multiplied by 1 + change: the share called a regression.</li>
 *   <li><b>real pairs</b>: no resampling: consecutive blocks of k forks of one recording against the
 *       same blocks of the next, as separate runs would give.</li>
 * </ul>
 * Draws of one pool overlap, so the trials are not independent: a rate is this pool's rate, not a
 * binomial estimate; the table gives the forks in the smallest pool, which bounds how many distinct sets
 * there are. Every draw is judged as {@code compare} judges it, contention rule included: a side whose
 * drawn iterations are mostly contended is withheld ({@code unreliable}), neither a false alarm nor a
 * detection, and the share of planted draws withheld is reported beside the detection rate.
 *
 * <pre>java -cp reports.jar knobs.reports.regression.PowerAnalysis [--forks 2,3,4] [--iterations 3,5]
 *     [--trials 2000] [--change 0.2] [--threshold 0.1] [--alpha 0.01] [--seed 1] [--ignore-contention true]
 *     [--normalize probe] RECORDING...</pre>
 * ({@code --normalize probe}: every iteration's time divided by the drift probe measured after it, as
 * {@code compare --normalize probe} does.)
 * ({@code --ignore-contention true}: the test alone, every draw judged as if contention had not been captured).
 * where each RECORDING is a JMH JSON file or a folder of them.
 */
public final class PowerAnalysis {

    /**
     * One configuration's forks in one recording: seconds per op, {@code forks[f][i]}.
     *
     * @param key       benchmark, params, mode
     * @param forks     per fork, per iteration, seconds per op
     * @param contended per fork, per iteration, the contention flag (NaN unknown), or null when not captured
     */
    public record Pool(RunData.Key key, double[][] forks, double[][] contended) {
    }

    /**
     * The rates of one configuration at one setting.
     *
     * @param key         the configuration
     * @param forks       forks per side
     * @param iterations  iterations per fork
     * @param aaWithin    share of A/A draws within one recording flagged (regression or improvement); null when the pool is too small
     * @param aaAcross    likewise across recordings; null with one recording
     * @param detected    share of planted draws called a regression
     * @param withheld    share of planted draws withheld as {@code unreliable (contended)}
     * @param trials      draws per rate
     * @param realPairs   real (not resampled) A/A pairs across consecutive recordings
     * @param realFlagged of those, how many were flagged
     * @param contended   contended share of the configuration's iterations over all recordings, or null when not captured
     * @param smallestPool the fewest forks any recording of it holds
     */
    public record Rate(RunData.Key key, int forks, int iterations, Double aaWithin, Double aaAcross, double detected,
                      double withheld, int trials, int realPairs, int realFlagged, Double contended, int smallestPool) {
    }

    private PowerAnalysis() {
    }

    /**
     * Reads recordings: each a JMH JSON file or a folder of them, forks pooled per configuration.
     *
     * @return per recording, per configuration, its pool
     */
    public static List<Map<RunData.Key, Pool>> read(List<Path> recordings) throws ReportException {
        return read(recordings, false);
    }

    /**
     * Reads recordings as {@link #read(List)}; with {@code probe}, every iteration's time is divided by the
     * drift probe's speed index measured right after it, as {@code compare --normalize probe} does (the test
     * is scale-free, so the constant factor compare applies does not matter).
     *
     * @throws ReportException with {@code probe}, naming a run without the probe in every iteration
     */
    public static List<Map<RunData.Key, Pool>> read(List<Path> recordings, boolean probe) throws ReportException {
        List<Map<RunData.Key, Pool>> all = new ArrayList<>();
        for (Path recording : recordings) {
            List<Path> files = Files.isDirectory(recording) ? JsonFields.files(recording, "*.json", recording.toString())
                    : List.of(recording);
            if (!Files.exists(recording) || files.isEmpty()) {
                throw new ReportException(recording + ": no JMH JSON file there");
            }
            Map<RunData.Key, List<double[]>> forks = new TreeMap<>();
            Map<RunData.Key, List<double[]>> flags = new TreeMap<>();
            for (Path file : files) {
                for (JmhRun run : JmhJsonReader.read(file, file.toString())) {
                    RunData.Key key = RunData.Key.of(run.benchmark(), run.params(), run.mode());
                    Metric flag = run.secondary().get(ContentionMetrics.CONTENDED);
                    boolean aligned = flag != null && flag.alignedWith(run.primary());
                    double[] index = probe ? RunLoader.probe(run) : null;
                    if (probe && (index == null || java.util.Arrays.stream(index).anyMatch(x -> !(x > 0) || !Double.isFinite(x)))) {
                        throw new ReportException(file + ": " + key.describe() + " has no drift probe (probe.gemmNs,"
                                + " probe.copyNs) in every iteration; --normalize probe needs it");
                    }
                    int at = 0;
                    for (int f = 0; f < run.primary().values().size(); f++) {
                        List<Double> v = run.primary().values().get(f);
                        double[] seconds = new double[v.size()];
                        for (int i = 0; i < seconds.length; i++) {
                            seconds[i] = Units.secondsPerOp(v.get(i), run.primary().unit()) / (index == null ? 1 : index[at++]);
                            if (!(seconds[i] > 0) || !Double.isFinite(seconds[i])) {
                                throw new ReportException(file + ": " + key.describe() + ": sample " + v.get(i) + " "
                                        + run.primary().unit() + " is not a positive, finite time per operation");
                            }
                        }
                        forks.computeIfAbsent(key, k -> new ArrayList<>()).add(seconds);
                        flags.computeIfAbsent(key, k -> new ArrayList<>()).add(aligned
                                ? flag.values().get(f).stream().mapToDouble(Double::doubleValue).toArray() : null);
                    }
                }
            }
            Map<RunData.Key, Pool> pools = new TreeMap<>();
            forks.forEach((key, list) -> {
                List<double[]> fl = flags.get(key);
                pools.put(key, new Pool(key, list.toArray(double[][]::new),
                        fl.contains(null) ? null : fl.toArray(double[][]::new)));
            });
            all.add(pools);
        }
        return all;
    }

    /**
     * The rates for every configuration present in all recordings, at every setting.
     *
     * @param recordings per recording, per configuration, its pool ({@link #read})
     * @param forks      forks per side to try
     * @param iterations iterations per fork to try (each fork's first i)
     * @param trials     draws per rate
     * @param change     the planted change, e.g. 0.2 for +20 %
     */
    public static List<Rate> analyse(List<Map<RunData.Key, Pool>> recordings, int[] forks, int[] iterations, int trials,
                                     double change, double threshold, double alpha, long seed) {
        Set<RunData.Key> keys = new LinkedHashSet<>(recordings.get(0).keySet());
        recordings.forEach(r -> keys.retainAll(r.keySet()));
        List<Rate> rates = new ArrayList<>();
        for (RunData.Key key : keys) {
            List<Pool> pools = recordings.stream().map(r -> r.get(key)).toList();
            int smallest = pools.stream().mapToInt(p -> p.forks().length).min().orElseThrow();
            int shortest = pools.stream().flatMap(p -> Arrays.stream(p.forks())).mapToInt(f -> f.length).min().orElseThrow();
            for (int k : forks) {
                for (int i : iterations) {
                    if (k > smallest || i > shortest) {
                        continue;
                    }
                    // One seed per configuration and setting: a rate does not depend on which others were asked for.
                    Random random = new Random(seed ^ (31L * key.hashCode() + 1009L * k + i));
                    rates.add(rate(key, pools, k, i, trials, change, threshold, alpha, random, smallest));
                }
            }
        }
        return rates;
    }

    private static Rate rate(RunData.Key key, List<Pool> pools, int k, int i, int trials, double change, double threshold,
                             double alpha, Random random, int smallest) {
        Double within = null;
        if (2 * k <= smallest) {
            int flagged = 0;
            for (int t = 0; t < trials; t++) {
                Pool p = pools.get(t % pools.size());
                int[] order = shuffled(p.forks().length, random);
                if (flags(draw(p, order, 0, k, i, 1), draw(p, order, k, k, i, 1), threshold, alpha)) {
                    flagged++;
                }
            }
            within = (double) flagged / trials;
        }
        Double across = null;
        int detected = 0;
        int withheld = 0;
        int across0 = 0;
        for (int t = 0; t < trials; t++) {
            Draw bv;
            Draw planted;
            if (pools.size() > 1) {
                int x = t % pools.size();
                int y = (x + 1 + (t / pools.size()) % (pools.size() - 1)) % pools.size();
                Pool b = pools.get(x);
                Pool c = pools.get(y);
                bv = draw(b, shuffled(b.forks().length, random), 0, k, i, 1);
                int[] co = shuffled(c.forks().length, random);
                planted = draw(c, co, 0, k, i, 1 + change);
                if (flags(bv, draw(c, co, 0, k, i, 1), threshold, alpha)) {
                    across0++;
                }
            } else {
                Pool b = pools.get(0);
                if (2 * k > b.forks().length) {
                    continue;
                }
                int[] order = shuffled(b.forks().length, random);
                bv = draw(b, order, 0, k, i, 1);
                planted = draw(b, order, k, k, i, 1 + change);
            }
            ChangeDetector.Verdict v = verdict(bv, planted, threshold, alpha);
            if (v == ChangeDetector.Verdict.REGRESSION) {
                detected++;
            } else if (v == ChangeDetector.Verdict.UNRELIABLE) {
                withheld++;
            }
        }
        if (pools.size() > 1) {
            across = (double) across0 / trials;
        }
        int drawn = pools.size() > 1 || 2 * k <= smallest ? trials : 0;
        int pairs = 0;
        int realFlagged = 0;
        for (int r = 0; r + 1 < pools.size(); r++) {
            Pool b = pools.get(r);
            Pool c = pools.get(r + 1);
            int[] identity = java.util.stream.IntStream.range(0, smallest).toArray();
            for (int block = 0; (block + 1) * k <= smallest; block++) {
                pairs++;
                if (flags(draw(b, identity, block * k, k, i, 1), draw(c, identity, block * k, k, i, 1), threshold, alpha)) {
                    realFlagged++;
                }
            }
        }
        return new Rate(key, k, i, within, across, drawn == 0 ? Double.NaN : (double) detected / drawn,
                drawn == 0 ? Double.NaN : (double) withheld / drawn, trials, pairs, realFlagged, contendedShare(pools), smallest);
    }

    /** One side of a comparison: times fork by fork, its fork sizes, its contended iterations (or null). */
    private record Draw(double[] values, int[] sizes, Contention contention) {
    }

    private static boolean flags(Draw b, Draw c, double threshold, double alpha) {
        ChangeDetector.Verdict v = verdict(b, c, threshold, alpha);
        return v == ChangeDetector.Verdict.REGRESSION || v == ChangeDetector.Verdict.IMPROVEMENT;
    }

    /** The verdict {@code compare} would give, contention rule included. */
    private static ChangeDetector.Verdict verdict(Draw b, Draw c, double threshold, double alpha) {
        return ChangeDetector.of(b.values(), b.sizes(), b.contention(), c.values(), c.sizes(), c.contention(), threshold, alpha)
                .verdict();
    }

    /** Forks order[from .. from + k) of a pool, each its first i iterations, times × factor, fork by fork. */
    private static Draw draw(Pool p, int[] order, int from, int k, int i, double factor) {
        double[] v = new double[k * i];
        double[] flags = p.contended() == null ? null : new double[k * i];
        for (int f = 0; f < k; f++) {
            double[] fork = p.forks()[order[from + f]];
            for (int j = 0; j < i; j++) {
                v[f * i + j] = fork[j] * factor;
                if (flags != null) {
                    double[] ff = p.contended()[order[from + f]];
                    flags[f * i + j] = j < ff.length ? ff[j] : Double.NaN;
                }
            }
        }
        int[] sizes = new int[k];
        Arrays.fill(sizes, i);
        return new Draw(v, sizes, Contention.of(flags));
    }

    private static int[] shuffled(int n, Random random) {
        int[] order = java.util.stream.IntStream.range(0, n).toArray();
        for (int j = n - 1; j > 0; j--) {
            int s = random.nextInt(j + 1);
            int tmp = order[j];
            order[j] = order[s];
            order[s] = tmp;
        }
        return order;
    }

    private static Double contendedShare(List<Pool> pools) {
        int known = 0;
        int contended = 0;
        for (Pool p : pools) {
            if (p.contended() == null) {
                return null;
            }
            for (double[] fork : p.contended()) {
                Contention c = Contention.of(fork);
                known += c.known();
                contended += c.contended();
            }
        }
        return known == 0 ? null : (double) contended / known;
    }

    /** The rates as a Markdown table, one row per configuration and setting. */
    public static String table(List<Rate> rates, double change) {
        StringBuilder md = new StringBuilder();
        md.append("| configuration | forks × iterations | A/A within | A/A across | +").append(Format.sig(100 * change))
                .append("% detected | withheld (contended) | real A/A pairs flagged | contended | forks in pool |\n");
        md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Rate r : rates) {
            md.append("| ").append(r.key().describe()).append(" | ").append(r.forks()).append(" × ").append(r.iterations())
                    .append(" | ").append(percent(r.aaWithin())).append(" | ").append(percent(r.aaAcross()))
                    .append(" | ").append(percent(nan(r.detected()))).append(" | ").append(percent(nan(r.withheld())))
                    .append(" | ").append(r.realFlagged()).append(" of ").append(r.realPairs())
                    .append(" | ").append(percent(r.contended())).append(" | ").append(r.smallestPool()).append(" |\n");
        }
        return md.toString();
    }

    private static Double nan(double v) {
        return Double.isNaN(v) ? null : v;
    }

    private static String percent(Double share) {
        return share == null ? "—" : String.format(Locale.ROOT, "%.2f%%", 100 * share);
    }

    /** Command line: see the class comment. Exit 2 on bad usage or input, with one line saying why. */
    public static void main(String[] args) {
        try {
            System.out.print(run(args));
        } catch (ReportException | IllegalArgumentException e) {
            System.err.println("power: " + e.getMessage());
            System.exit(2);
        }
    }

    static String run(String[] args) throws ReportException {
        int[] forks = {2, 3, 4, 5};
        int[] iterations = {5};
        int trials = 2000;
        double change = 0.20;
        double threshold = ChangeDetector.DEFAULT_THRESHOLD;
        double alpha = ChangeDetector.DEFAULT_ALPHA;
        long seed = 1;
        boolean ignore = false;
        boolean probe = false;
        List<Path> recordings = new ArrayList<>();
        for (int a = 0; a < args.length; a++) {
            String arg = args[a];
            if (arg.startsWith("--")) {
                if (a + 1 >= args.length) {
                    throw new IllegalArgumentException(arg + " needs a value");
                }
                String v = args[++a];
                switch (arg) {
                    case "--forks" -> forks = counts(arg, v, 2);
                    case "--iterations" -> iterations = counts(arg, v, 1);
                    case "--trials" -> trials = counts(arg, v, 1)[0];
                    case "--change" -> change = number(arg, v);
                    case "--threshold" -> threshold = number(arg, v);
                    case "--alpha" -> alpha = number(arg, v);
                    case "--seed" -> seed = Long.parseLong(v);
                    case "--ignore-contention" -> ignore = Boolean.parseBoolean(v);
                    case "--normalize" -> {
                        if (!v.equals("probe") && !v.equals("none")) {
                            throw new IllegalArgumentException("--normalize '" + v + "' is unknown; allowed: none, probe");
                        }
                        probe = v.equals("probe");
                    }
                    default -> throw new IllegalArgumentException("unknown option " + arg
                            + "; allowed: --forks, --iterations, --trials, --change, --threshold, --alpha, --seed,"
                            + " --ignore-contention true|false, --normalize none|probe");
                }
            } else {
                recordings.add(Path.of(arg));
            }
        }
        if (recordings.isEmpty()) {
            throw new IllegalArgumentException("no recording given; usage: PowerAnalysis [--forks 2,3,4] [--iterations 3,5]"
                    + " [--trials 2000] [--change 0.2] [--seed 1] RECORDING...");
        }
        List<Map<RunData.Key, Pool>> pools = read(recordings, probe);
        if (ignore) {
            pools = pools.stream().map(PowerAnalysis::withoutContention).toList();
        }
        List<Rate> rates = analyse(pools, forks, iterations, trials, change, threshold, alpha, seed);
        return table(rates, change) + "\n" + summary(rates);
    }

    /** The pools without their contention flags: the test alone, as if contention had not been captured. */
    static Map<RunData.Key, Pool> withoutContention(Map<RunData.Key, Pool> pools) {
        Map<RunData.Key, Pool> out = new TreeMap<>();
        pools.forEach((key, p) -> out.put(key, new Pool(key, p.forks(), null)));
        return out;
    }

    /** Per setting, the worst configuration's false-alarm rate and the least detection. */
    static String summary(List<Rate> rates) {
        Map<String, double[]> worst = new TreeMap<>();
        Map<String, int[]> real = new TreeMap<>();
        for (Rate r : rates) {
            String setting = r.forks() + " × " + r.iterations();
            // NaN until a configuration has the rate (too few forks, or one recording).
            double[] w = worst.computeIfAbsent(setting, s -> new double[] {Double.NaN, Double.NaN, Double.NaN});
            w[0] = r.aaWithin() == null ? w[0] : Double.isNaN(w[0]) ? r.aaWithin() : Math.max(w[0], r.aaWithin());
            w[1] = r.aaAcross() == null ? w[1] : Double.isNaN(w[1]) ? r.aaAcross() : Math.max(w[1], r.aaAcross());
            w[2] = Double.isNaN(r.detected()) ? w[2] : Double.isNaN(w[2]) ? r.detected() : Math.min(w[2], r.detected());
            int[] p = real.computeIfAbsent(setting, s -> new int[2]);
            p[0] += r.realFlagged();
            p[1] += r.realPairs();
        }
        StringBuilder sb = new StringBuilder("| setting | worst A/A within | worst A/A across | least detected | real A/A pairs flagged |\n"
                + "|---|---:|---:|---:|---:|\n");
        worst.forEach((setting, w) -> sb.append("| ").append(setting).append(" | ").append(percent(nan(w[0])))
                .append(" | ").append(percent(nan(w[1]))).append(" | ").append(percent(nan(w[2]))).append(" | ")
                .append(real.get(setting)[0]).append(" of ").append(real.get(setting)[1]).append(" |\n"));
        return sb.toString();
    }

    private static int[] counts(String option, String value, int min) {
        try {
            int[] v = Arrays.stream(value.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
            if (v.length == 0 || Arrays.stream(v).anyMatch(x -> x < min)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " '" + value + "' is not a comma-separated list of whole numbers ≥ " + min);
        }
    }

    private static double number(String option, String value) {
        try {
            double v = Double.parseDouble(value);
            if (!(v > 0 && v < 1)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " '" + value + "' is not a number between 0 and 1");
        }
    }
}
