package knobs.benchmarks.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Runs configurations one at a time, each as its own JMH invocation in a child JVM (JMH's
 * command-line API, one fork per configuration): a native crash, an out-of-memory kill or a hang
 * of one configuration cannot take the sweep down, and a time-out can actually stop it — an
 * in-process JMH host cannot interrupt native code. Results are recorded as soon as each ends.
 */
public final class SweepRunner {
    private final SweepStore store;
    private final List<String> javaCommand;
    private final Duration timeout;
    private final PrintStream out;
    private final boolean quiet;

    /**
     * @param javaCommand the command that starts JMH's main with the benchmarks on the class path,
     *                    e.g. {@code [java, -cp, benchmarks.jar, org.openjdk.jmh.Main]}
     */
    public SweepRunner(SweepStore store, List<String> javaCommand, Duration timeout, PrintStream out, boolean quiet) {
        this.store = store;
        this.javaCommand = List.copyOf(javaCommand);
        this.timeout = timeout;
        this.out = out;
        this.quiet = quiet;
    }

    /** Outcome of a sweep run: configurations run now, skipped as already recorded, and failed. */
    public record Outcome(int ran, int skipped, List<Configuration> failed) {
    }

    public Outcome run(List<Configuration> configs) throws IOException, InterruptedException {
        List<Configuration> todo = new ArrayList<>();
        for (Configuration c : configs) {
            if (!store.done(c)) {
                todo.add(c);
            }
        }
        int skipped = configs.size() - todo.size();
        if (skipped > 0) {
            out.printf(Locale.ROOT, "resuming: %d of %d configurations already recorded%n", skipped, configs.size());
        }
        long start = System.nanoTime();
        List<Configuration> failed = new ArrayList<>();
        for (int i = 0; i < todo.size(); i++) {
            Configuration c = todo.get(i);
            int position = skipped + i + 1;
            if (!quiet) {
                out.printf(Locale.ROOT, "[%d/%d] %s  elapsed %s%s%n", position, configs.size(), c.label(),
                        format(System.nanoTime() - start), i == 0 ? "" : ", ETA " + format((System.nanoTime() - start) / i * (todo.size() - i)));
            }
            long t0 = System.nanoTime();
            String failure = runOne(c);
            String took = format(System.nanoTime() - t0);
            if (failure == null) {
                out.printf(Locale.ROOT, "[%d/%d] ok     %s (%s)%n", position, configs.size(), c.label(), took);
            } else {
                failed.add(c);
                store.recordFailure(c, failure);
                out.printf(Locale.ROOT, "[%d/%d] FAILED %s (%s): %s%n", position, configs.size(), c.label(), took, failure);
            }
        }
        return new Outcome(todo.size(), skipped, failed);
    }

    /** Runs one configuration; null on success, else the reason it failed. */
    private String runOne(Configuration c) throws IOException, InterruptedException {
        Path tmp = store.results().resolve("." + c.id() + "." + ProcessHandle.current().pid() + ".part");
        Files.deleteIfExists(tmp);
        List<String> cmd = new ArrayList<>(javaCommand);
        cmd.addAll(c.jmhArgs());
        cmd.addAll(List.of("-foe", "true", "-rf", "json", "-rff", tmp.toAbsolutePath().toString()));
        Path log = store.log(c);
        // cwd = results/: forks write their environment sidecars to ./knobs-env, beside the results.
        Process p = new ProcessBuilder(cmd).directory(store.results().toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor();
                return "timed out after " + format(timeout.toNanos()) + " (see " + store.dir().relativize(log) + ")";
            }
        } finally {
            if (p.isAlive()) { // interrupted: do not leave the child running
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        }
        if (p.exitValue() != 0 || !Files.exists(tmp)) {
            Files.deleteIfExists(tmp);
            return "exit code " + p.exitValue() + ": " + lastError(log);
        }
        JsonNode runs = SweepStore.JSON.readTree(tmp.toFile());
        if (runs.size() != 1 || !runs.get(0).at("/primaryMetric/score").isNumber()) {
            Files.deleteIfExists(tmp);
            return "expected one result with a numeric score, got " + runs.size() + " (see " + store.dir().relativize(log) + ")";
        }
        store.recordResult(c, tmp);
        return null;
    }

    /** The most telling line of a JMH log: the first exception message, else its last line. */
    static String lastError(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        for (String l : lines) {
            String t = l.trim();
            if (t.matches("^([a-z]+\\.)+[A-Za-z]*(Exception|Error)(: .*)?$")) {
                return t;
            }
        }
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (!lines.get(i).isBlank()) {
                return lines.get(i).trim();
            }
        }
        return "no output";
    }

    static String format(long nanos) {
        long s = Math.round(nanos / 1e9);
        return s < 60 ? s + "s" : (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s";
    }
}
