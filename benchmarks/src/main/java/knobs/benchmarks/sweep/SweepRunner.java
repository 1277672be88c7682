package knobs.benchmarks.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Runs configurations one JMH invocation at a time, each in a child JVM (JMH's command-line API):
 * a native crash, an out-of-memory kill or a hang of one configuration cannot take the sweep
 * down, and a time-out can actually stop it — an in-process JMH host cannot interrupt native code.
 *
 * <p>Sequential (the default): each configuration is one invocation with its own fork count.
 * Interleaved ({@code --interleave N}): each configuration is N single-fork repetitions, run in
 * rounds — round r runs repetition r of every configuration in a freshly shuffled order (seeded,
 * recorded in {@code order.json}) — so a burst of load lands on one repetition of many
 * configurations instead of all of one; a configuration's repetitions are merged into one JMH
 * result ({@link JmhMerge}) once all have run. Every run is recorded as soon as it ends.
 *
 * <p>After that first pass, a configuration that is noisy or mostly contended ({@link Noise}) is
 * re-run up to {@code --retry-noisy} times, in passes of the same shape; every attempt stays in
 * {@code attempts/}, the latest in {@code results/}, and {@code retries.json} says who was re-run,
 * why, and whether the latest attempt settled.
 */
public final class SweepRunner {
    private final SweepStore store;
    private final List<String> javaCommand;
    private final SweepSettings settings;
    private final PrintStream out;
    private final boolean quiet;

    /**
     * @param javaCommand the command that starts JMH's main with the benchmarks on the class path,
     *                    e.g. {@code [java, -Djmh.ignoreLock=true, -cp, benchmarks.jar, knobs.benchmarks.Main]}
     */
    public SweepRunner(SweepStore store, List<String> javaCommand, SweepSettings settings, PrintStream out, boolean quiet) {
        this.store = store;
        this.javaCommand = List.copyOf(javaCommand);
        this.settings = settings;
        this.out = out;
        this.quiet = quiet;
    }

    /**
     * Outcome of a sweep run: JMH invocations run now, configurations already recorded before,
     * configurations that failed, configurations re-run, and those whose latest attempt is still
     * noisy or contended.
     */
    public record Outcome(int ran, int skipped, List<Configuration> failed, int retried, List<Configuration> unsettled) {
    }

    /** One JMH invocation: a configuration's attempt, whole (repetition 0) or one of its repetitions. */
    record Unit(Configuration config, int attempt, int repetition) {
    }

    public Outcome run(List<Configuration> configs) throws IOException, InterruptedException {
        int skipped = (int) configs.stream().filter(store::done).count();
        if (skipped > 0) {
            out.printf(Locale.ROOT, "resuming: %d of %d configurations already recorded%n", skipped, configs.size());
        }
        Set<Configuration> failed = new HashSet<>();
        int ran = runPass(1, configs.stream().filter(c -> !store.done(c)).toList(), configs, failed);
        Set<Configuration> retried = new HashSet<>();
        for (int attempt = 2; attempt <= settings.retryNoisy() + 1; attempt++) {
            int a = attempt;
            List<Configuration> candidates = configs.stream()
                    .filter(c -> !failed.contains(c) && store.done(c) && store.attemptsMade(c) == a - 1 && !latest(c).settled())
                    .toList();
            if (candidates.isEmpty()) {
                break;
            }
            out.printf(Locale.ROOT, "re-running %d noisy or contended configuration%s (attempt %d of at most %d)%n",
                    candidates.size(), candidates.size() == 1 ? "" : "s", a, settings.retryNoisy() + 1);
            retried.addAll(candidates);
            Set<Configuration> retryFailed = new HashSet<>();
            ran += runPass(a, candidates, configs, retryFailed);
            writeRetries(configs);
        }
        configs.stream().filter(c -> store.attemptsMade(c) > 1).forEach(retried::add);
        writeRetries(configs);
        List<Configuration> unsettled = configs.stream().filter(c -> store.done(c) && !latest(c).settled()).toList();
        return new Outcome(ran, skipped, configs.stream().filter(failed::contains).toList(), retried.size(), unsettled);
    }

    /** Runs one pass (attempt) over {@code todo}; returns the JMH invocations made. */
    private int runPass(int attempt, List<Configuration> todo, List<Configuration> all, Set<Configuration> failed)
            throws IOException, InterruptedException {
        List<Unit> units = new ArrayList<>();
        if (settings.interleave() == null) {
            todo.forEach(c -> units.add(new Unit(c, attempt, 0)));
        } else {
            units.addAll(order(attempt, todo, all));
        }
        List<Unit> pending = units.stream().filter(u -> !done(u)).toList();
        long start = System.nanoTime();
        int ran = 0;
        for (int i = 0; i < pending.size(); i++) {
            Unit u = pending.get(i);
            Configuration c = u.config();
            if (failed.contains(c)) {
                continue; // one repetition failed: the others of this configuration would too, or not merge
            }
            String label = c.label() + (u.repetition() > 0 ? " rep " + u.repetition() + "/" + settings.interleave() : "")
                    + (attempt > 1 ? " (attempt " + attempt + ")" : "");
            String position = "[" + (units.size() - pending.size() + i + 1) + "/" + units.size() + "]";
            if (!quiet) {
                out.printf(Locale.ROOT, "%s %s  elapsed %s%s%n", position, label, format(System.nanoTime() - start),
                        i == 0 ? "" : ", ETA " + format((System.nanoTime() - start) / i * (pending.size() - i)));
            }
            long t0 = System.nanoTime();
            String failure = runOne(u);
            ran++;
            String took = format(System.nanoTime() - t0);
            if (failure == null) {
                out.printf(Locale.ROOT, "%s ok     %s (%s)%n", position, label, took);
            } else {
                failed.add(c);
                store.recordFailure(c, attempt, u.repetition(), failure);
                out.printf(Locale.ROOT, "%s FAILED %s (%s): %s%n", position, label, took, failure);
            }
        }
        return ran;
    }

    private boolean done(Unit u) {
        Configuration c = u.config();
        if (u.attempt() == 1 ? store.done(c) : store.attemptsMade(c) >= u.attempt()) {
            return true;
        }
        return u.repetition() > 0 && Files.exists(store.repetition(c, u.attempt(), u.repetition()));
    }

    /**
     * The interleaved order of a pass: the recorded one, extended (and recorded) for
     * configurations it does not hold yet — all of them on a fresh sweep. Round r holds repetition
     * r of every configuration, shuffled with a generator seeded from the sweep's seed and the pass.
     */
    private List<Unit> order(int attempt, List<Configuration> todo, List<Configuration> all) throws IOException {
        Map<String, Configuration> byId = new LinkedHashMap<>();
        all.forEach(c -> byId.put(c.id(), c));
        ArrayNode passes = store.passes();
        if (passes == null) {
            passes = SweepStore.JSON.createArrayNode();
        }
        ObjectNode pass = null;
        for (JsonNode p : passes) {
            if (p.path("attempt").asInt() == attempt) {
                pass = (ObjectNode) p;
            }
        }
        if (pass == null) {
            pass = passes.addObject().put("attempt", attempt);
            pass.putArray("order");
        }
        ArrayNode recorded = (ArrayNode) pass.get("order");
        Set<String> planned = new HashSet<>();
        recorded.forEach(u -> planned.add(u.path("id").asText()));
        List<Configuration> missing = new ArrayList<>(todo.stream().filter(c -> !planned.contains(c.id())).toList());
        if (!missing.isEmpty()) {
            Random random = new Random(settings.seed() * 31 + attempt * 1_000_003L + recorded.size());
            for (int r = 1; r <= settings.interleave(); r++) {
                Collections.shuffle(missing, random);
                for (Configuration c : missing) {
                    recorded.addObject().put("id", c.id()).put("repetition", r).put("label", c.label());
                }
            }
            store.recordOrder(settings.seed(), settings.interleave(), passes);
        }
        Set<String> wanted = new HashSet<>();
        todo.forEach(c -> wanted.add(c.id()));
        List<Unit> units = new ArrayList<>();
        for (JsonNode u : recorded) {
            Configuration c = byId.get(u.path("id").asText());
            if (c != null && wanted.contains(c.id())) {
                units.add(new Unit(c, attempt, u.path("repetition").asInt()));
            }
        }
        return units;
    }

    /** Runs one unit and records it; null on success, else the reason it failed. */
    private String runOne(Unit u) throws IOException, InterruptedException {
        Configuration c = u.config();
        Path tmp = store.part(c, u.attempt(), u.repetition());
        Files.deleteIfExists(tmp);
        List<String> cmd = new ArrayList<>(javaCommand);
        cmd.addAll(u.repetition() > 0 ? c.repetitionArgs() : c.jmhArgs());
        cmd.addAll(List.of("-foe", "true", "-rf", "json", "-rff", tmp.toAbsolutePath().toString()));
        Path log = store.log(c, u.attempt(), u.repetition());
        // cwd = results/: forks write their environment sidecars to ./knobs-env, beside the results.
        Process p = new ProcessBuilder(cmd).directory(store.results().toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!p.waitFor(settings.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                stop(p);
                Files.deleteIfExists(tmp);
                return "timed out after " + format(settings.timeout().toNanos()) + " (see " + store.dir().relativize(log) + ")";
            }
        } finally {
            if (p.isAlive()) { // interrupted: do not leave the child running
                stop(p);
                Files.deleteIfExists(tmp);
            }
        }
        if (p.exitValue() != 0 || !Files.exists(tmp)) {
            Files.deleteIfExists(tmp);
            return "exit code " + p.exitValue() + ": " + lastError(log);
        }
        JsonNode runs;
        try {
            runs = SweepStore.JSON.readTree(tmp.toFile());
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            return "JMH wrote no readable JSON: " + e.getMessage() + " (see " + store.dir().relativize(log) + ")";
        }
        if (runs == null || runs.size() != 1 || !runs.get(0).at("/primaryMetric/score").isNumber()) {
            Files.deleteIfExists(tmp);
            return "expected one result with a numeric score, got " + (runs == null ? 0 : runs.size())
                    + " (see " + store.dir().relativize(log) + ")";
        }
        if (u.repetition() == 0) {
            if (u.attempt() == 1) {
                store.recordResult(c, tmp);
            } else {
                store.recordAttempt(c, u.attempt(), Files.readAllBytes(tmp));
                Files.delete(tmp);
            }
            return null;
        }
        store.recordRepetition(c, u.attempt(), u.repetition(), tmp);
        return mergeIfComplete(c, u.attempt());
    }

    /** Merges a configuration's repetitions of one attempt once all are recorded; null, or why they cannot be merged. */
    private String mergeIfComplete(Configuration c, int attempt) throws IOException {
        List<JsonNode> reps = new ArrayList<>();
        List<String> sources = new ArrayList<>();
        for (int r = 1; r <= settings.interleave(); r++) {
            Path f = store.repetition(c, attempt, r);
            if (!Files.exists(f)) {
                return null;
            }
            reps.add(SweepStore.JSON.readTree(f.toFile()));
            sources.add(store.dir().relativize(f).toString());
        }
        try {
            store.recordAttempt(c, attempt, SweepStore.JSON.writeValueAsBytes(JmhMerge.merge(reps, sources)));
        } catch (IllegalArgumentException e) {
            return "cannot merge the repetitions: " + e.getMessage();
        }
        return null;
    }

    private static void stop(Process p) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor();
    }

    private Noise.Verdict latest(Configuration c) {
        try {
            return Noise.judge(SweepStore.JSON.readTree(store.result(c).toFile()).get(0));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + store.result(c), e);
        }
    }

    /**
     * Writes {@code retries.json}: every configuration that was re-run or whose latest attempt is
     * noisy or contended, with each attempt's judgement (see docs/running.md for the format).
     */
    void writeRetries(List<Configuration> configs) throws IOException {
        ObjectNode root = SweepStore.JSON.createObjectNode();
        root.put("schema", "knobs-retries/1");
        root.put("retry_noisy", settings.retryNoisy());
        root.put("noise_threshold", Noise.THRESHOLD);
        root.put("rule", "noisy: IQR/median of the primary metric over all forks' iterations > noise_threshold;"
                + " contended: more than half of the iterations have " + Noise.CONTENDED + " = 1 (judged by noise alone when absent);"
                + " settled: the latest attempt is neither");
        ArrayNode list = root.putArray("configurations");
        for (Configuration c : configs) {
            int made = store.attemptsMade(c);
            if (made == 0) {
                continue;
            }
            Noise.Verdict last = latest(c);
            if (made == 1 && last.settled()) {
                continue;
            }
            ObjectNode e = list.addObject();
            e.put("id", c.id());
            e.put("benchmark", c.benchmark());
            e.set("params", SweepStore.JSON.valueToTree(c.params()));
            e.put("retried", made - 1);
            e.put("settled", last.settled());
            e.put("result", store.dir().relativize(store.result(c)).toString());
            ArrayNode attempts = e.putArray("attempts");
            for (int a = 1; a <= made; a++) {
                Path file = made == 1 ? store.result(c) : store.attempt(c, a);
                ObjectNode at = attempts.addObject().put("attempt", a);
                if (Files.exists(file)) {
                    Noise.Verdict v = Noise.judge(SweepStore.JSON.readTree(file.toFile()).get(0));
                    at.put("file", store.dir().relativize(file).toString());
                    at.put("iqr_over_median", v.iqrOverMedian());
                    at.put("noisy", v.noisy());
                    at.put("iterations", v.iterations());
                    if (v.contendedIterations() == null) {
                        at.putNull("contended_iterations");
                        at.putNull("contended");
                    } else {
                        at.put("contended_iterations", v.contendedIterations());
                        at.put("contended", v.contended());
                    }
                    at.put("settled", v.settled());
                    ArrayNode reasons = at.putArray("reasons");
                    v.reasons().forEach(reasons::add);
                } else if (Files.exists(store.attemptFailure(c, a))) {
                    at.put("failed", SweepStore.JSON.readTree(store.attemptFailure(c, a).toFile()).path("reason").asText());
                }
            }
        }
        SweepStore.write(store.retriesFile(), SweepStore.JSON.writeValueAsBytes(root));
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
