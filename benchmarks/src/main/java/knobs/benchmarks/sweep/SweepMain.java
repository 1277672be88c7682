package knobs.benchmarks.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.zip.ZipFile;
import knobs.benchmarks.ClassDataArchive;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.util.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Resumable sweeps on top of JMH:
 * <pre>java -cp benchmarks/target/benchmarks.jar knobs.benchmarks.sweep.SweepMain --sweep quick --out results/run1</pre>
 * See docs/running.md. Exit codes: 0 all configurations recorded, 1 some failed, 2 bad usage or
 * input, 3 internal error, 4 JMH's lock held by another run, 130 interrupted.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true, versionProvider = SweepMain.VersionProvider.class,
        usageHelpWidth = 110, synopsisHeading = "", sortOptions = false,
        customSynopsis = {
                "Usage: java -cp benchmarks.jar knobs.benchmarks.sweep.SweepMain --sweep NAME|FILE --out DIR [OPTIONS]",
                "       java -cp benchmarks.jar knobs.benchmarks.sweep.SweepMain --out DIR --resume [OPTIONS]"},
        description = {"Runs a sweep of benchmark configurations, each in its own JMH child JVM, records every result",
                "as soon as it ends (so a killed sweep resumes where it stopped), then makes the report.",
                "See docs/running.md.", ""},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:every configuration recorded",
                "1:some configurations failed (the others were recorded, the report made)",
                "2:bad usage or input: an option, the sweep file, an --out that cannot be written or resumed",
                "3:internal error (a bug, or the report tool failed): message and stack trace",
                "4:another JMH run holds JMH's lock (java.io.tmpdir/jmh.lock); see --lock-wait",
                "130:interrupted"})
public final class SweepMain implements Callable<Integer> {
    /**
     * What each configuration's child JVM runs: benchmarks.jar's own launcher, so children get the
     * always-on contention profiler exactly as {@code java -jar benchmarks.jar} does.
     */
    static final String LAUNCHER = "knobs.benchmarks.Main";


    @Option(names = "--sweep", paramLabel = "NAME|FILE",
            description = "a preset (quick, full, gpu) or a sweep file (one benchmark per line); on --resume, the stored one")
    String sweep;

    @Option(names = "--out", paramLabel = "DIR", description = "the sweep's folder (results/, failed/, logs/, report/, ...)")
    Path out;

    @Option(names = "--resume", description = "continue the sweep in DIR with its stored definition and settings:"
            + " run only what is missing or failed")
    boolean resume;

    @Option(names = "--shard", paramLabel = "I/N", converter = ShardConverter.class,
            description = "run only configurations I-1, I-1+N, ... (1 <= I <= N)")
    Shard shard;

    @Option(names = "--interleave", paramLabel = "N", description = "run every configuration as N single-fork repetitions"
            + " (its -f becomes N), all in a seeded random interleaved order (default: the sweep file's `set interleave`,"
            + " else off)")
    Integer interleave;

    @Option(names = "--seed", paramLabel = "SEED", description = "seed of the interleaved order (default: random; recorded)")
    Long seed;

    @Option(names = "--retry-noisy", paramLabel = "K", description = "re-run a configuration whose samples are noisy"
            + " (IQR/median > 10 %%) or mostly contended up to K times (default: the sweep file's `set retry-noisy`, else 0)")
    Integer retryNoisy;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "per JMH run, e.g. 90s, 30m (default 30m)")
    Duration timeout;

    @Option(names = "--lock-wait", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "0s",
            description = "how long to wait for JMH's lock when another JMH run holds it (default ${DEFAULT-VALUE}: fail at once)")
    Duration lockWait;

    @Option(names = "--reports", paramLabel = "JAR", description = "reports.jar for the final summary (default: beside benchmarks.jar's module)")
    Path reportsJar;

    @Option(names = "--no-report", description = "skip the final `reports summarize`")
    boolean noReport;

    @Option(names = "--list", description = "print the configurations and exit")
    boolean list;

    @Option(names = "--quiet", description = "one line per finished run (for CI logs)")
    boolean quiet;

    @Parameters(paramLabel = "JMH_OPTION", description = "after --: JMH options added to every line of the sweep, as if written"
            + " there (e.g. -- -prof knobs.harness.NoiseProfiler -jvmArgsAppend -Dx=1); kept in the stored definition")
    List<String> jmhOptions;

    @Spec
    CommandSpec spec;

    private PrintStream stdout = System.out;

    public static void main(String[] args) {
        System.exit(execute(args, System.out, System.err));
    }

    /** Runs the command line; returns the exit code (see the class comment). */
    static int execute(String[] args, PrintStream out, PrintStream err) {
        SweepMain main = new SweepMain();
        main.stdout = out;
        CommandLine cl = new CommandLine(main);
        cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        cl.setParameterExceptionHandler((ex, a) -> {
            PrintWriter w = ex.getCommandLine().getErr();
            w.println("sweep: " + ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, w);
            w.println("Usage: java -cp benchmarks.jar knobs.benchmarks.sweep.SweepMain --sweep NAME|FILE --out DIR [OPTIONS]");
            w.println("Try '--help' for more information.");
            w.flush();
            return SweepException.USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            PrintWriter w = c.getErr();
            if (ex instanceof SweepException s) {
                w.println("sweep: " + s.getMessage());
                w.flush();
                return s.exitCode();
            }
            if (ex instanceof InterruptedException) {
                Thread.currentThread().interrupt();
                w.println("sweep: interrupted");
                w.flush();
                return 130;
            }
            w.println("sweep: internal error: " + ex);
            ex.printStackTrace(w);
            w.flush();
            return SweepException.INTERNAL;
        });
        return cl.execute(args);
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (interleave != null && interleave < 1) {
            throw usage("--interleave " + interleave + " is not allowed; allowed: 1 or more repetitions per configuration");
        }
        if (retryNoisy != null && retryNoisy < 0) {
            throw usage("--retry-noisy " + retryNoisy + " is not allowed; allowed: 0 or more re-runs");
        }
        if (timeout != null && timeout.isZero()) {
            throw usage("--timeout 0s is not allowed; allowed: a positive duration (e.g. 90s, 30m)");
        }
        if (resume && out == null) {
            throw usage("--resume needs --out DIR (the sweep to continue)");
        }
        if (!resume && sweep == null) {
            throw usage("--sweep NAME|FILE is required (or --out DIR --resume to continue a sweep)");
        }
        if (!list && out == null) {
            throw usage("--out DIR is required");
        }
        if (noReport && reportsJar != null) {
            throw usage("--no-report and --reports exclude each other");
        }
        SweepStore store = out == null ? null : new SweepStore(out);
        JsonNode state = store == null ? null : store.readState();
        if (resume && state == null) {
            throw new SweepException(SweepException.USAGE, "cannot resume: " + out + " holds no sweep (no sweep.json);"
                    + " start one with --sweep NAME|FILE --out " + out);
        }
        if (!resume && state != null && !list) {
            throw new SweepException(SweepException.USAGE, out + " already holds a sweep ('" + state.path("name").asText()
                    + "'); pass --resume to continue it, or choose another --out");
        }
        if (resume && jmhOptions != null && !jmhOptions.isEmpty()) {
            throw usage("JMH options after -- are not allowed with --resume: the stored definition holds the sweep's options");
        }
        SweepDefinition def = sweep != null ? definition(sweep).withOptions(jmhOptions == null ? List.of() : jmhOptions)
                : SweepDefinition.parse(state.path("name").asText(), state.path("definition").asText());
        SweepSettings settings = resume ? resumedSettings(SweepSettings.fromJson(state.path("settings"))) : newSettings(def);

        List<Configuration> all = new Expander(BenchmarkList.defaultList().getAll(null, List.of()), knobs.benchmarks.Main::problems).expand(def);
        if (settings.interleave() != null) {
            all = all.stream().map(c -> c.withForks(settings.interleave())).toList();
        }
        List<Configuration> mine = Expander.shard(all, settings.shardI(), settings.shardN());
        if (resume && sweep != null) {
            checkSameDefinition(state, def, mine, settings);
        }
        if (list) {
            mine.forEach(c -> stdout.println(c.id() + "  " + c.label() + (c.options().isEmpty() ? "" : "  " + String.join(" ", c.options()))));
            return SweepException.OK;
        }
        Path jar = codeSource();
        Path reports = null;
        if (settings.report()) {
            reports = reportsJar != null ? reportsJar : jar.getParent().resolve("../../reports/target/reports.jar").normalize();
            if (!Files.isRegularFile(reports)) {
                throw new SweepException(SweepException.USAGE, "reports jar not found at " + reports
                        + "; build it (mvn package) or pass --reports JAR / --no-report");
            }
        }
        String code = codeVersion(jar);
        if (resume && !state.path("code_version").asText().equals(code)) {
            throw new SweepException(SweepException.USAGE, "cannot resume: " + out + " was recorded by code version "
                    + state.path("code_version").asText() + ", this is " + code
                    + "; results of different code must not be mixed — use another --out");
        }
        if (resume) {
            store.reopen(); // before the lock: an orphan of an older runner may hold it
        } else {
            store.checkWritable();
        }
        try (JmhLock lock = JmhLock.ignored() ? null : JmhLock.acquire(JmhLock.path(), lockWait, stdout)) {
            if (!resume) {
                store.create(def, code, settings, mine);
            }
            stdout.printf(Locale.ROOT, "sweep '%s': %d configurations%s%s -> %s%n", def.name(), mine.size(),
                    settings.shardN() > 1 ? " (shard " + settings.shardI() + "/" + settings.shardN() + " of " + all.size() + ")" : "",
                    settings.interleave() == null ? "" : ", interleaved: " + settings.interleave() + " repetitions each (seed " + settings.seed() + ")",
                    out);
            List<String> java = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                    // The sweep holds JMH's lock for all its runs (see JmhLock).
                    "-Djmh.ignoreLock=true",
                    // Children run in results/: paths in knob values stay relative to where the user started.
                    "-D" + knobs.kernels.UserPaths.BASE_DIR + "=" + Paths.get("").toAbsolutePath()));
            for (String p : List.of(ClassDataArchive.SWITCH_PROPERTY, ClassDataArchive.CACHE_PROPERTY)) { // the forks' archive, as asked
                if (System.getProperty(p) != null) {
                    java.add("-D" + p + "=" + System.getProperty(p));
                }
            }
            java.addAll(List.of("-cp", absoluteClassPath(), LAUNCHER));
            SweepRunner.Outcome o;
            try {
                o = new SweepRunner(store, java, settings, stdout, quiet).run(mine);
            } catch (IOException e) {
                throw store.cannotWrite(e);
            }
            stdout.printf(Locale.ROOT, "done: %d run, %d already recorded, %d failed%s%n", o.ran(), o.skipped(), o.failed().size(),
                    settings.retryNoisy() > 0 || o.retried() > 0 ? ", " + o.retried() + " re-run, " + o.unsettled().size() + " still noisy or contended" : "");
            for (Configuration c : o.failed()) {
                stdout.println("  failed: " + c.label() + "  (see " + store.failure(c) + ")");
            }
            if (!o.unsettled().isEmpty()) {
                stdout.println("  noisy or contended: see " + store.retriesFile());
            }
            if (reports != null) {
                summarize(reports, store);
            }
            return o.failed().isEmpty() ? SweepException.OK : SweepException.FAILED;
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private SweepSettings newSettings(SweepDefinition def) {
        Integer n = interleave != null ? interleave : def.interleave();
        if (seed != null && n == null) {
            throw usage("--seed orders interleaved repetitions; give --interleave N too (or `set interleave N` in the sweep file)");
        }
        Long s = n == null ? null : seed != null ? seed : new SecureRandom().nextLong() >>> 1;
        int k = retryNoisy != null ? retryNoisy : def.retryNoisy() != null ? def.retryNoisy() : 0;
        return new SweepSettings(shard == null ? 1 : shard.i(), shard == null ? 1 : shard.n(), n, s, k,
                timeout != null ? timeout : Duration.ofMinutes(30), !noReport);
    }

    /**
     * The stored settings; what changes the results (shard, interleaving, seed) must not be given
     * differently, what does not (time-out, re-runs, report) may be changed for this run.
     */
    private SweepSettings resumedSettings(SweepSettings stored) {
        List<String> differ = new ArrayList<>();
        if (shard != null && (shard.i() != stored.shardI() || shard.n() != stored.shardN())) {
            differ.add("--shard " + shard.i() + "/" + shard.n() + " (the sweep runs shard " + stored.shardI() + "/" + stored.shardN() + ")");
        }
        if (interleave != null && !interleave.equals(stored.interleave())) {
            differ.add("--interleave " + interleave + " (the sweep runs " + (stored.interleave() == null ? "without interleaving"
                    : "--interleave " + stored.interleave()) + ")");
        }
        if (seed != null && !seed.equals(stored.seed())) {
            differ.add("--seed " + seed + " (" + (stored.seed() == null ? "the sweep is not interleaved" : "the sweep's seed is " + stored.seed()) + ")");
        }
        if (!differ.isEmpty()) {
            throw new SweepException(SweepException.USAGE, "cannot resume " + out + " with " + String.join(", ", differ)
                    + "; resume without these options to continue it as recorded, or choose another --out");
        }
        return new SweepSettings(stored.shardI(), stored.shardN(), stored.interleave(), stored.seed(),
                retryNoisy != null ? retryNoisy : stored.retryNoisy(), timeout != null ? timeout : stored.timeout(),
                reportsJar != null || (!noReport && stored.report()));
    }

    /** A --sweep given on resume must name the stored sweep; if not, the first difference is named. */
    private void checkSameDefinition(JsonNode state, SweepDefinition given, List<Configuration> mine, SweepSettings settings) {
        if (interleave == null && given.interleave() != null && !given.interleave().equals(settings.interleave())) {
            throw new SweepException(SweepException.USAGE, "cannot resume " + out + " with " + sweep + "'s `set interleave "
                    + given.interleave() + "` (the sweep runs " + (settings.interleave() == null ? "without interleaving"
                    : "--interleave " + settings.interleave()) + "); resume without --sweep to continue it as recorded, or choose another --out");
        }
        Set<String> stored = new HashSet<>();
        state.path("configurations").forEach(c -> stored.add(c.path("id").asText()));
        Set<String> now = mine.stream().map(Configuration::id).collect(Collectors.toSet());
        if (stored.equals(now)) {
            return; // the same configurations (the text may differ in comments or spacing)
        }
        List<String[]> a = lines(state.path("definition").asText());
        List<String[]> b = lines(given.text());
        String first = "";
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            String[] x = i < a.size() ? a.get(i) : null;
            String[] y = i < b.size() ? b.get(i) : null;
            if (x == null || y == null || !x[1].equals(y[1])) {
                first = ": stored " + (x == null ? "has no line there" : "line " + x[0] + " is '" + x[1] + "'")
                        + ", " + sweep + (y == null ? " has no line there" : " line " + y[0] + " is '" + y[1] + "'");
                break;
            }
        }
        long onlyStored = stored.stream().filter(id -> !now.contains(id)).count();
        long onlyGiven = now.stream().filter(id -> !stored.contains(id)).count();
        throw new SweepException(SweepException.USAGE, "cannot resume: " + out + " holds sweep '" + state.path("name").asText()
                + "' with another definition" + first + " (" + onlyStored + " configurations only in the stored sweep, "
                + onlyGiven + " only in " + sweep + "); resume without --sweep to continue the stored one, or choose another --out");
    }

    /** Non-comment lines as [line number, text]. */
    private static List<String[]> lines(String text) {
        List<String[]> out = new ArrayList<>();
        String[] all = text.split("\r?\n", -1);
        for (int i = 0; i < all.length; i++) {
            String l = all[i].replaceAll("#.*", "").trim().replaceAll("\\s+", " ");
            if (!l.isEmpty()) {
                out.add(new String[] {Integer.toString(i + 1), l});
            }
        }
        return out;
    }

    /** Runs {@code reports summarize} over every recorded result, listing the failure records in the report. */
    private void summarize(Path reportsJar, SweepStore store) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", reportsJar.toString(), "summarize"));
        try (var files = Files.list(store.results())) {
            files.filter(p -> p.getFileName().toString().endsWith(".json") && !p.getFileName().toString().startsWith("."))
                    .sorted().forEach(p -> cmd.add(p.toString()));
        }
        if (cmd.size() == 4) {
            stdout.println("no results recorded: no report");
            return;
        }
        cmd.addAll(List.of("--failed", store.dir().resolve("failed").toString(), "--out", store.dir().resolve("report").toString()));
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new SweepException(SweepException.INTERNAL, "reports summarize failed (exit " + p.exitValue()
                    + "); the results are recorded in " + store.results() + "; rerun: " + String.join(" ", cmd.subList(1, 4))
                    + " " + store.results() + "/*.json --out " + store.dir().resolve("report"));
        }
        stdout.println("Report: " + store.dir().resolve("report").resolve("summary.json"));
    }

    private static SweepDefinition definition(String sweep) throws IOException {
        Path file = Paths.get(sweep);
        if (Files.isRegularFile(file)) {
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new SweepException(SweepException.USAGE, "cannot read " + sweep + ": " + SweepStore.reason(e));
            }
            return SweepDefinition.parse(sweep, text);
        }
        if (sweep.contains("/") || sweep.contains(File.separator) || sweep.endsWith(".txt")) {
            throw new SweepException(SweepException.USAGE, "sweep file " + sweep + " not found"
                    + (Files.exists(file) ? " (it is a folder)" : "") + "; presets: quick, full, gpu");
        }
        return SweepDefinition.preset(sweep);
    }

    /** Children run in results/, so every class path entry must be absolute. */
    private static String absoluteClassPath() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(e -> Paths.get(e).toAbsolutePath().toString()).collect(Collectors.joining(File.pathSeparator));
    }

    /** "90s", "30m", "2h" (and "0s"). */
    static Duration duration(String v) {
        if (!v.matches("\\d+[smh]")) {
            throw new IllegalArgumentException("'" + v + "' is not a duration; allowed: a whole number followed by s, m or h (e.g. 90s, 30m)");
        }
        long n = Long.parseLong(v.substring(0, v.length() - 1));
        return switch (v.charAt(v.length() - 1)) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }

    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return duration(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** {@code --shard I/N}. (A record, not an {@code int[]}: picocli converts an array option element by element.) */
    record Shard(int i, int n) {
    }

    static final class ShardConverter implements CommandLine.ITypeConverter<Shard> {
        @Override
        public Shard convert(String value) {
            if (!value.matches("\\d{1,6}/\\d{1,6}")) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not I/N (e.g. 2/4)");
            }
            int i = Integer.parseInt(value.substring(0, value.indexOf('/')));
            int n = Integer.parseInt(value.substring(value.indexOf('/') + 1));
            if (n < 1 || i < 1 || i > n) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not allowed; need 1 <= I <= N");
            }
            return new Shard(i, n);
        }
    }

    /** "knobs sweep 0.1.0-SNAPSHOT (JMH 1.37)", from the jar's Maven properties. */
    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = SweepMain.class.getResourceAsStream("/META-INF/maven/io.knobs/benchmarks/pom.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"knobs sweep " + p.getProperty("version", "(development build: class folders)")
                    + " (JMH " + Version.getPlainVersion() + ", Java " + System.getProperty("java.version") + ")"};
        }
    }

    private static Path codeSource() {
        try {
            return Paths.get(SweepMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the benchmarks code", e);
        }
    }

    /**
     * The code a result was measured with: a hash of the benchmarks jar's entries (names, sizes and
     * CRCs from its central directory — not the file's bytes, whose entry times change with every
     * rebuild of the same code), or in a development class folder of the generated benchmark list
     * (which changes with every benchmark's definition).
     */
    static String codeVersion(Path source) {
        try {
            if (Files.isRegularFile(source)) {
                List<String> entries = new ArrayList<>();
                try (ZipFile zip = new ZipFile(source.toFile())) {
                    zip.stream().filter(e -> !e.isDirectory())
                            .forEach(e -> entries.add(e.getName() + " " + e.getSize() + " " + Long.toHexString(e.getCrc())));
                }
                entries.sort(null);
                return "jar:" + SweepDefinition.sha256(String.join("\n", entries)).substring(0, 16);
            }
            return "classes:" + SweepDefinition.sha256(Files.readString(source.resolve(BenchmarkList.BENCHMARK_LIST.substring(1)))).substring(0, 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot hash the benchmarks code at " + source, e);
        }
    }
}
