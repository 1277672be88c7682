package knobs.benchmarks.sweep;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.openjdk.jmh.runner.BenchmarkList;

/**
 * Resumable sweeps on top of JMH:
 * <pre>java -cp benchmarks/target/benchmarks.jar knobs.benchmarks.sweep.SweepMain --sweep quick --out results/run1</pre>
 * See docs/running.md. Exit codes: 0 all configurations recorded, 1 some failed, 2 bad usage or input.
 */
public final class SweepMain {
    static final String USAGE = String.join("\n",
            "usage: java -cp benchmarks.jar knobs.benchmarks.sweep.SweepMain --sweep NAME|FILE --out DIR [options]",
            "  --sweep NAME|FILE  a preset (quick, full, gpu) or a sweep file (one benchmark per line)",
            "  --out DIR          the sweep's folder (results/, failed/, logs/, report/)",
            "  --resume           continue a sweep in DIR: rerun only missing or failed configurations",
            "  --shard I/N        run only configurations I-1, I-1+N, ... (1 <= I <= N)",
            "  --timeout DUR      per configuration, e.g. 90s, 30m (default 30m)",
            "  --reports JAR      reports.jar for the final summary (default: beside benchmarks.jar's module)",
            "  --no-report        skip the final `reports summarize`",
            "  --list             print the configurations and exit",
            "  --quiet            one line per configuration (for CI logs)");

    private SweepMain() {
    }

    public static void main(String[] args) {
        int code;
        try {
            code = run(args, System.out);
        } catch (IllegalArgumentException e) {
            System.err.println("sweep: " + e.getMessage());
            System.err.println(USAGE);
            code = 2;
        } catch (IOException e) {
            System.err.println("sweep: " + e.getMessage());
            code = 2;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            code = 130;
        }
        System.exit(code);
    }

    static int run(String[] args, PrintStream out) throws IOException, InterruptedException {
        String sweep = null;
        Path dir = null;
        boolean resume = false;
        boolean quiet = false;
        boolean list = false;
        boolean report = true;
        Path reportsJar = null;
        int shardI = 1;
        int shardN = 1;
        Duration timeout = Duration.ofMinutes(30);
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--sweep" -> sweep = value(args, ++i, a);
                case "--out" -> dir = Paths.get(value(args, ++i, a));
                case "--resume" -> resume = true;
                case "--quiet" -> quiet = true;
                case "--list" -> list = true;
                case "--no-report" -> report = false;
                case "--reports" -> reportsJar = Paths.get(value(args, ++i, a));
                case "--timeout" -> timeout = duration(value(args, ++i, a));
                case "--shard" -> {
                    String v = value(args, ++i, a);
                    if (!v.matches("\\d+/\\d+")) {
                        throw new IllegalArgumentException("--shard " + v + " is not I/N");
                    }
                    shardI = Integer.parseInt(v.substring(0, v.indexOf('/')));
                    shardN = Integer.parseInt(v.substring(v.indexOf('/') + 1));
                }
                default -> throw new IllegalArgumentException("unknown argument '" + a + "'");
            }
        }
        if (sweep == null) {
            throw new IllegalArgumentException("--sweep is required");
        }
        SweepDefinition def = definition(sweep);
        List<Configuration> all = new Expander(BenchmarkList.defaultList().getAll(null, List.of())).expand(def);
        List<Configuration> mine = Expander.shard(all, shardI, shardN);
        if (list) {
            mine.forEach(c -> out.println(c.id() + "  " + c.label() + (c.options().isEmpty() ? "" : "  " + String.join(" ", c.options()))));
            return 0;
        }
        if (dir == null) {
            throw new IllegalArgumentException("--out is required");
        }
        Path jar = codeSource();
        if (report && reportsJar == null) {
            reportsJar = jar.getParent().resolve("../../reports/target/reports.jar").normalize();
        }
        if (report && !Files.isRegularFile(reportsJar)) {
            throw new IllegalArgumentException("reports jar not found at " + reportsJar + "; build it (mvn package) or pass --reports JAR / --no-report");
        }
        SweepStore store = new SweepStore(dir);
        store.open(def, codeVersion(jar), mine, resume);
        out.printf(Locale.ROOT, "sweep '%s': %d configurations%s -> %s%n", def.name(), mine.size(),
                shardN > 1 ? " (shard " + shardI + "/" + shardN + " of " + all.size() + ")" : "", dir);
        // Children run in results/, so every class path entry must be absolute.
        String classPath = java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .map(e -> Paths.get(e).toAbsolutePath().toString()).collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
        List<String> java = List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classPath, "org.openjdk.jmh.Main");
        SweepRunner.Outcome o = new SweepRunner(store, java, timeout, out, quiet).run(mine);
        out.printf(Locale.ROOT, "done: %d run, %d already recorded, %d failed%n", o.ran(), o.skipped(), o.failed().size());
        for (Configuration c : o.failed()) {
            out.println("  failed: " + c.label() + "  (see " + dir.resolve("failed").resolve(c.id() + ".json") + ")");
        }
        if (report) {
            summarize(reportsJar, store, out);
        }
        return o.failed().isEmpty() ? 0 : 1;
    }

    /** Runs {@code reports summarize} over every recorded result, listing the failure records in the report. */
    private static void summarize(Path reportsJar, SweepStore store, PrintStream out) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", reportsJar.toString(), "summarize"));
        try (var files = Files.list(store.results())) {
            files.filter(p -> p.getFileName().toString().endsWith(".json") && !p.getFileName().toString().startsWith("."))
                    .sorted().forEach(p -> cmd.add(p.toString()));
        }
        if (cmd.size() == 4) {
            out.println("no results recorded: no report");
            return;
        }
        cmd.addAll(List.of("--failed", store.dir().resolve("failed").toString(), "--out", store.dir().resolve("report").toString()));
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IOException("reports summarize failed (exit " + p.exitValue() + ")");
        }
        out.println("Report: " + store.dir().resolve("report").resolve("summary.json"));
    }

    private static SweepDefinition definition(String sweep) throws IOException {
        Path file = Paths.get(sweep);
        if (Files.isRegularFile(file)) {
            return SweepDefinition.parse(file.getFileName().toString(), Files.readString(file, StandardCharsets.UTF_8));
        }
        return SweepDefinition.preset(sweep);
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    static Duration duration(String v) {
        if (!v.matches("\\d+[smh]")) {
            throw new IllegalArgumentException("--timeout " + v + " is not a duration; allowed: N followed by s, m or h (e.g. 90s, 30m)");
        }
        long n = Long.parseLong(v.substring(0, v.length() - 1));
        return switch (v.charAt(v.length() - 1)) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }

    private static Path codeSource() {
        try {
            return Paths.get(SweepMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the benchmarks code", e);
        }
    }

    /**
     * The code a result was measured with: a hash of the benchmarks jar, or in a development class
     * folder of the generated benchmark list (which changes with every benchmark's definition).
     */
    static String codeVersion(Path source) {
        try {
            if (Files.isRegularFile(source)) {
                try (InputStream in = Files.newInputStream(source)) {
                    java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
                    byte[] buf = new byte[1 << 20];
                    for (int n; (n = in.read(buf)) > 0; ) {
                        md.update(buf, 0, n);
                    }
                    return "jar:" + java.util.HexFormat.of().formatHex(md.digest()).substring(0, 16);
                }
            }
            return "classes:" + SweepDefinition.sha256(Files.readString(source.resolve(BenchmarkList.BENCHMARK_LIST.substring(1)))).substring(0, 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot hash the benchmarks code at " + source, e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
