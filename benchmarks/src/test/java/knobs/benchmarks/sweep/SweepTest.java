package knobs.benchmarks.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.runner.BenchmarkList;

/** The sweep runner end to end, with real JMH runs of the tiny presets and very short iterations. */
class SweepTest {
    private static final String TIMING = " promptLen=8 -wi 0 -i 1 -r 100ms -f 1";
    private static final String SHORT = " -wi 0 -i 1 -r 100ms -f 1";
    private static final String SWEEP = "MoeTopK model=tiny-moe topK=1,2 phase=prefill,decode" + TIMING + "\n";

    @TempDir
    Path tmp;

    /** Exit code and what the runner printed. */
    record Result(int code, String out, String err) {
    }

    static Result sweep(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = SweepMain.execute(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Expander expander() {
        return new Expander(BenchmarkList.defaultList().getAll(null, List.of()));
    }

    private Path file(String name, String text) throws Exception {
        Path f = tmp.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    static Set<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json") && !n.startsWith("."))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    /** A child JVM running the sweep runner, with its own JMH lock file (tests must not contend with other JMH runs). */
    private ProcessBuilder child(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"), SweepMain.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true);
    }

    @Test
    void badSweepFilesNameTheLine() {
        SweepException opt = assertThrows(SweepException.class,
                () -> SweepDefinition.parse("s.txt", "# header\nMoeTopK topK=1 -x 3"));
        assertTrue(opt.getMessage().startsWith("s.txt line 2: unknown option '-x'"), opt.getMessage());
        SweepException word = assertThrows(SweepException.class,
                () -> SweepDefinition.parse("s.txt", "MoeTopK topK"));
        assertTrue(word.getMessage().contains("line 1: 'topK' is not name=value"), word.getMessage());
        SweepException bench = assertThrows(SweepException.class,
                () -> expander().expand(SweepDefinition.parse("s.txt", "\n\nNoSuchKnob")));
        assertTrue(bench.getMessage().contains("line 3: unknown benchmark 'NoSuchKnob'; known: ") && bench.getMessage().contains("MoeTopK.forward"), bench.getMessage());
        SweepException param = assertThrows(SweepException.class,
                () -> expander().expand(SweepDefinition.parse("s.txt", "MoeTopK topk=1")));
        assertTrue(param.getMessage().contains("line 1: MoeTopK.forward has no param 'topk'"), param.getMessage());
        assertThrows(SweepException.class, () -> SweepDefinition.parse("s.txt", "# nothing\n"));
        assertThrows(SweepException.class, () -> SweepDefinition.preset("nightly"));
    }

    @Test
    void aLineMayNameProfilersWhichAreCheckedWhenTheFileIsRead() {
        SweepDefinition def = SweepDefinition.parse("s.txt", "ModelSize size=tiny pass=forward -prof knobs.harness.ComponentProfiler:perLayer=true"
                + " -prof knobs.harness.NoiseProfiler -i 2");
        List<Configuration> configs = expander().expand(def);
        assertEquals(1, configs.size());
        List<String> args = configs.get(0).jmhArgs();
        int at = args.indexOf("-prof");
        assertEquals("knobs.harness.ComponentProfiler:perLayer=true", args.get(at + 1), args.toString());
        assertEquals("knobs.harness.NoiseProfiler", args.get(args.lastIndexOf("-prof") + 1), args.toString());
        assertFalse(configs.get(0).id().equals(expander().expand(SweepDefinition.parse("s.txt", "ModelSize size=tiny pass=forward -i 2")).get(0).id()),
                "a profiled configuration is a different measurement: its own result file");

        SweepException bad = assertThrows(SweepException.class, () -> SweepDefinition.parse("s.txt", String.join("\n",
                "ModelSize -prof knobs.harness.ComponentProfiler:perLayer=maybe",
                "ModelSize -prof knobs.harness.NoSuchProfiler",
                "ModelSize -prof knobs.harness.ComponentProfiler -prof knobs.harness.ComponentProfiler:perLayer=true")));
        List<String> lines = bad.getMessage().lines().toList();
        assertEquals(3, lines.size(), bad.getMessage());
        assertTrue(lines.get(0).startsWith("s.txt line 1: -prof knobs.harness.ComponentProfiler:perLayer=maybe: ")
                && lines.get(0).contains("allowed: perLayer=true"), lines.get(0));
        assertTrue(lines.get(1).startsWith("s.txt line 2: -prof knobs.harness.NoSuchProfiler: "), lines.get(1));
        assertEquals("s.txt line 3: option -prof knobs.harness.ComponentProfiler:perLayer=true given twice", lines.get(2));
    }

    @Test
    void everyBadLineIsReportedBeforeAnythingRuns() {
        SweepException counts = assertThrows(SweepException.class, () -> SweepDefinition.parse("s.txt", String.join("\n",
                "MoeTopK -i 0", "MoeTopK -f 0", "MoeTopK -wi -1", "MoeTopK -r 0ms", "MoeTopK -w soon", "MoeTopK -i x",
                "set interleave 0", "set retry-noisy -1", "set colour blue", "MoeTopK -f 1 -f 2")));
        List<String> lines = counts.getMessage().lines().toList();
        assertEquals(List.of(
                "s.txt line 1: -i 0 is not allowed; allowed: 1 or more",
                "s.txt line 2: -f 0 is not allowed; allowed: 1 or more",
                "s.txt line 3: -wi -1 is not allowed; allowed: 0 or more",
                "s.txt line 4: -r 0ms: the time must be positive",
                "s.txt line 5: -w soon is not a time; allowed: a number and a unit, e.g. 500ms, 1s",
                "s.txt line 6: -i x is not a whole number; allowed: 1 or more",
                "s.txt line 7: set interleave 0 is not allowed; allowed: 1 or more",
                "s.txt line 8: set retry-noisy -1 is not allowed; allowed: 0 or more",
                "s.txt line 9: 'set colour blue' is not a setting; allowed: set interleave N (N >= 1), set retry-noisy K (K >= 0)",
                "s.txt line 10: option -f given twice"), lines);

        SweepException dup = assertThrows(SweepException.class, () -> expander().expand(SweepDefinition.parse("s.txt", String.join("\n",
                "MoeTopK topK=1,2 phase=prefill -i 3", "MoeTopK topK=2 phase=prefill -i 5", "NoSuchKnob", "MoeTopK topK=4,8 phase=decode"))));
        List<String> dl = dup.getMessage().lines().toList();
        assertEquals(2, dl.size(), dup.getMessage());
        assertTrue(dl.get(0).startsWith("s.txt line 2: MoeTopK.forward {") && dl.get(0).contains("topK=2")
                && dl.get(0).contains("is also on line 1 with other JMH options (-i 5 here, -i 3 there)"), dl.get(0));
        assertTrue(dl.get(1).startsWith("s.txt line 3: unknown benchmark 'NoSuchKnob'"), dl.get(1));

        // Lines that overlap with the same options name the configuration once.
        assertEquals(3, expander().expand(SweepDefinition.parse("s.txt", "MoeTopK topK=1,2 phase=prefill\nMoeTopK topK=2,4 phase=prefill")).size());
        SweepDefinition set = SweepDefinition.parse("s.txt", "set interleave 3\nset retry-noisy 2\nCalibration");
        assertEquals(3, set.interleave());
        assertEquals(2, set.retryNoisy());
    }

    @Test
    void expansionUsesDefaultsAndShardsPartitionExactly() {
        List<Configuration> all = expander().expand(SweepDefinition.preset("full"));
        long moe = all.stream().filter(c -> c.benchmark().endsWith("MoeTopK.forward")).count();
        assertEquals(6 * 2, moe, "MoeTopK defaults: 6 topK x 2 phases");
        assertEquals(all.size(), all.stream().map(Configuration::id).distinct().count(), "ids are unique");
        for (int n = 1; n <= 4; n++) {
            Set<String> union = new HashSet<>();
            int total = 0;
            for (int i = 1; i <= n; i++) {
                List<Configuration> s = Expander.shard(all, i, n);
                total += s.size();
                s.forEach(c -> union.add(c.id()));
            }
            assertEquals(all.size(), total, "no overlap for n=" + n);
            assertEquals(all.size(), union.size(), "none missing for n=" + n);
        }
        assertThrows(SweepException.class, () -> Expander.shard(all, 3, 2));
        assertEquals(30, expander().expand(SweepDefinition.preset("quick")).size(),
                "docs/running.md's estimate counts 29, and notes Calibration.read as the 30th");
    }

    @Test
    void aFailingConfigurationIsRecordedAndTheSweepGoesOn() throws Exception {
        // A failure only the run can see (its fork's JVM does not start); a bad knob value is refused before any run.
        Path def = file("sweep.txt", "MoeTopK model=tiny-moe topK=1 phase=prefill" + TIMING + "\n"
                + "MoeTopK model=tiny-moe topK=2 phase=prefill" + TIMING + " -jvmArgsAppend -XX:+KnobsNoSuchFlag\n");
        Path out = tmp.resolve("out");
        Result r = sweep("--sweep", def.toString(), "--out", out.toString(), "--no-report", "--quiet");
        assertEquals(1, r.code(), r.out() + r.err());
        assertEquals(1, names(out.resolve("results")).size(), "topK=1 is recorded");
        Set<String> failed = names(out.resolve("failed"));
        assertEquals(1, failed.size());
        JsonNode f = SweepStore.JSON.readTree(out.resolve("failed").resolve(failed.iterator().next()).toFile());
        assertEquals("2", f.at("/params/topK").asText());
        assertTrue(f.get("reason").asText().contains("Forked VM failed"), f.toString());
        assertTrue(r.out().contains("done: 2 run, 0 already recorded, 1 failed"), r.out());
    }

    @Test
    void aBadKnobValueIsRefusedWithItsLineBeforeAnythingRuns() throws Exception {
        Path def = file("sweep.txt", "# thread scaling\nMoeTopK model=tiny-moe topK=0,1 phase=prefill" + TIMING + "\n"
                + "SeqLenScaling model=tiny seqLen=16 -p blasThreads=1,zero" + SHORT + "\n"
                + "SeqLenScaling model=tiny seqLen=32 intraOpThreads=2" + SHORT + " -jvmArgsAppend -Dknobs.intraop.threads=1\n");
        Path out = tmp.resolve("out");
        Result r = sweep("--sweep", def.toString(), "--out", out.toString(), "--no-report", "--quiet");
        assertEquals(SweepException.USAGE, r.code(), r.out() + r.err());
        List<String> lines = r.err().lines().toList();
        assertEquals(3, lines.size(), r.err());
        assertTrue(lines.get(0).startsWith("sweep: " + def + " line 2: MoeTopK: topK=0 is not allowed for model 'tiny-moe'"), lines.get(0));
        assertTrue(lines.get(1).startsWith(def + " line 3: SeqLenScaling: blasThreads=zero is not allowed; allowed: auto, all or a whole number 1.."),
                lines.get(1));
        assertTrue(lines.get(2).startsWith(def + " line 4: -Dknobs.intraop.threads=1 and intraOpThreads=2 disagree"), lines.get(2));
        assertFalse(Files.exists(out.resolve("results")), "nothing ran");
    }

    @Test
    void aLinePassesJmhOptionsThroughAndRefusesTheRunnersOwn() {
        SweepDefinition def = SweepDefinition.parse("s.txt", "SeqLenScaling model=tiny seqLen=16 -p blasThreads=1,2 -t 1 -tu us -bm avgt"
                + " -jvmArgsAppend '-Dknobs.x=1 -Dknobs.y=2' -gc true -to 5m -prof knobs.harness.NoiseProfiler");
        List<String> options = def.entries().get(0).options();
        assertEquals(List.of("-t", "1", "-tu", "us", "-bm", "avgt", "-jvmArgsAppend", "-Dknobs.x=1 -Dknobs.y=2", "-gc", "true", "-to", "5m",
                "-prof", "knobs.harness.NoiseProfiler"), options);
        assertEquals(List.of("1", "2"), def.entries().get(0).params().get("blasThreads"), "-p name=values is a param");
        List<Configuration> configs = expander().expand(def);
        assertEquals(2, configs.size(), "blasThreads=1,2: two configurations");
        assertEquals(Set.of("1", "2"), configs.stream().map(c -> c.params().get("blasThreads")).collect(Collectors.toSet()));
        assertTrue(configs.get(0).jmhArgs().containsAll(options), configs.get(0).jmhArgs().toString());

        SweepException bad = assertThrows(SweepException.class, () -> SweepDefinition.parse("s.txt", String.join("\n",
                "MoeTopK -rf csv", "MoeTopK -rff x.json", "MoeTopK -o log.txt", "MoeTopK -foe false", "MoeTopK -bm all",
                "MoeTopK -tu fortnights", "MoeTopK -t x", "MoeTopK -jvmArgs 'unclosed", "MoeTopK -zz 1", "MoeTopK -p topK")));
        List<String> lines = bad.getMessage().lines().toList();
        assertEquals(10, lines.size(), bad.getMessage());
        assertEquals("s.txt line 1: option -rf is the runner's: the runner writes each run's JSON result to its own file", lines.get(0));
        assertEquals("s.txt line 2: option -rff is the runner's: the runner writes each run's JSON result to its own file", lines.get(1));
        assertEquals("s.txt line 3: option -o is the runner's: the runner keeps each run's output in logs/", lines.get(2));
        assertTrue(lines.get(3).startsWith("s.txt line 4: option -foe is the runner's: "), lines.get(3));
        assertTrue(lines.get(4).startsWith("s.txt line 5: -bm all names more than one mode; allowed: one of thrpt, avgt, sample, ss"), lines.get(4));
        assertTrue(lines.get(5).startsWith("s.txt line 6: JMH refuses the options -tu fortnights: "), lines.get(5));
        assertTrue(lines.get(6).startsWith("s.txt line 7: JMH refuses the options -t x: "), lines.get(6));
        assertEquals("s.txt line 8: unclosed ' quote", lines.get(7));
        assertTrue(lines.get(8).startsWith("s.txt line 9: unknown option '-zz'; allowed: -bm, -bs, -f, -gc, -i, -jvm, -jvmArgs,"), lines.get(8));
        assertEquals("s.txt line 10: 'topK' is not name=value[,value...]", lines.get(9));
    }

    @Test
    void optionsAfterDoubleDashJoinEveryLineAndTheStoredDefinition() throws Exception {
        SweepDefinition def = SweepDefinition.parse("s.txt", "set interleave 2\nSeqLenScaling model=tiny seqLen=16 -i 2  # short\n"
                + "MoeTopK model=tiny-moe topK=1 phase=prefill\n");
        SweepDefinition with = def.withOptions(List.of("-prof", "knobs.harness.NoiseProfiler", "-jvmArgsAppend", "-Dx=1 -Dy=2"));
        assertEquals("set interleave 2\nSeqLenScaling model=tiny seqLen=16 -i 2 -prof knobs.harness.NoiseProfiler -jvmArgsAppend"
                + " \"-Dx=1 -Dy=2\" # short\nMoeTopK model=tiny-moe topK=1 phase=prefill -prof knobs.harness.NoiseProfiler -jvmArgsAppend"
                + " \"-Dx=1 -Dy=2\"\n", with.text(), "the stored text holds the options, so --resume runs them");
        for (SweepDefinition.Entry e : with.entries()) {
            assertEquals(List.of("-prof", "knobs.harness.NoiseProfiler", "-jvmArgsAppend", "-Dx=1 -Dy=2"),
                    e.options().subList(e.options().size() - 4, e.options().size()));
        }
        SweepException stray = assertThrows(SweepException.class, () -> def.withOptions(List.of("foo")));
        assertTrue(stray.getMessage().startsWith("'foo' is not a JMH option; JMH options for every line go after --"), stray.getMessage());
        SweepException twice = assertThrows(SweepException.class, () -> def.withOptions(List.of("-i", "5")));
        assertEquals("s.txt line 2: option -i given twice", twice.getMessage());

        Path file = file("sweep.txt", "SeqLenScaling model=tiny seqLen=16,32\n");
        Result r = sweep("--sweep", file.toString(), "--list", "--", "-tu", "us", "-prof", "knobs.harness.NoiseProfiler");
        assertEquals(0, r.code(), r.out() + r.err());
        assertEquals(2, r.out().lines().filter(l -> l.endsWith("  -tu us -prof knobs.harness.NoiseProfiler")).count(), r.out());
        Result rf = sweep("--sweep", file.toString(), "--list", "--", "-rf", "csv");
        assertEquals(SweepException.USAGE, rf.code());
        assertTrue(rf.err().contains(file + " line 1: option -rf is the runner's"), rf.err());
    }

    @Test
    void jmhOptionsOfASweepLineReachTheRunAndThreadCountsAreKeys() throws Exception {
        Path def = file("sweep.txt", "SeqLenScaling model=tiny seqLen=16 -p blasThreads=1,2" + SHORT
                + " -prof knobs.harness.NoiseProfiler -jvmArgsAppend -Dknobs.sweepTest=1\n");
        Path out = tmp.resolve("out");
        Result r = sweep("--sweep", def.toString(), "--out", out.toString(), "--no-report", "--quiet");
        assertEquals(0, r.code(), r.out() + r.err());
        Set<String> results = names(out.resolve("results"));
        assertEquals(2, results.size(), results.toString());
        Set<String> blas = new TreeSet<>();
        for (String name : results) {
            JsonNode run = SweepStore.JSON.readTree(out.resolve("results").resolve(name).toFile()).get(0);
            assertTrue(run.get("jvmArgs").toString().contains("-Dknobs.sweepTest=1"), "the fork got -jvmArgsAppend: " + run.get("jvmArgs"));
            assertTrue(run.get("secondaryMetrics").has("noise.gcCount"), "the NoiseProfiler ran: " + run.get("secondaryMetrics").fieldNames());
            assertEquals("auto", run.at("/params/intraOpThreads").asText());
            blas.add(run.at("/params/blasThreads").asText());
        }
        assertEquals(Set.of("1", "2"), blas, "each result keyed by its BLAS threads");
    }

    @Test
    void aShardRunsItsShareOnly() throws Exception {
        // Expansion order: topK=1 (position 0: shard 1 of 2, and it fails: its fork's JVM refuses a flag), topK=2 (shard 2).
        Path def = file("sweep.txt", "MoeTopK model=tiny-moe topK=1 phase=prefill" + TIMING + " -jvmArgsAppend -XX:+KnobsNoSuchFlag\n"
                + "MoeTopK model=tiny-moe topK=2 phase=prefill" + TIMING + "\n");
        Path out = tmp.resolve("out");
        Result r = sweep("--sweep", def.toString(), "--out", out.toString(), "--shard", "1/2", "--no-report", "--quiet");
        assertEquals(1, r.code(), r.out() + r.err());
        Set<String> failed = names(out.resolve("failed"));
        assertEquals(1, failed.size(), "only shard 1's configuration ran");
        assertEquals("1", SweepStore.JSON.readTree(out.resolve("failed").resolve(failed.iterator().next()).toFile())
                .at("/params/topK").asText());
        assertTrue(!Files.isDirectory(out.resolve("results")) || names(out.resolve("results")).isEmpty());
        assertEquals("1/2", SweepStore.JSON.readTree(out.resolve("sweep.json").toFile()).at("/settings/shard").asText());
        assertTrue(r.out().contains("(shard 1/2 of 2)"), r.out());
    }

    @Test
    void anInterleavedSweepRecordsTheSameResultSetAsASequentialOne() throws Exception {
        Path def = file("sweep.txt", "MoeTopK model=tiny-moe topK=1,2 phase=prefill promptLen=8 -wi 0 -i 2 -r 100ms -f 2\n");
        Path sequential = tmp.resolve("sequential");
        Path interleaved = tmp.resolve("interleaved");
        Result s = sweep("--sweep", def.toString(), "--out", sequential.toString(), "--no-report", "--quiet");
        assertEquals(0, s.code(), s.out() + s.err());
        Result i = sweep("--sweep=" + def, "--out=" + interleaved, "--interleave=2", "--seed=7", "--no-report", "--quiet");
        assertEquals(0, i.code(), i.out() + i.err());
        assertTrue(i.out().contains("done: 4 run"), i.out());

        Set<String> files = names(sequential.resolve("results"));
        assertEquals(2, files.size());
        assertEquals(files, names(interleaved.resolve("results")), "same configurations (ids hash benchmark, params, options)");
        for (String n : files) {
            JsonNode a = SweepStore.JSON.readTree(sequential.resolve("results").resolve(n).toFile()).get(0);
            JsonNode b = SweepStore.JSON.readTree(interleaved.resolve("results").resolve(n).toFile()).get(0);
            assertEquals(a.get("params"), b.get("params"));
            assertEquals(a.get("benchmark"), b.get("benchmark"));
            assertEquals(a.get("forks"), b.get("forks"));
            assertEquals(shape(a.at("/primaryMetric/rawData")), shape(b.at("/primaryMetric/rawData")));
            assertEquals("[2, 2]", shape(b.at("/primaryMetric/rawData")), "2 forks x 2 iterations");
            List<String> metrics = new ArrayList<>();
            a.get("secondaryMetrics").fieldNames().forEachRemaining(metrics::add);
            List<String> merged = new ArrayList<>();
            b.get("secondaryMetrics").fieldNames().forEachRemaining(merged::add);
            assertEquals(metrics, merged);
            for (String m : metrics) {
                assertEquals(shape(a.at("/secondaryMetrics/" + m.replace("/", "~1") + "/rawData")),
                        shape(b.at("/secondaryMetrics/" + m.replace("/", "~1") + "/rawData")), m);
            }
            assertTrue(b.get("primaryMetric").get("score").isNumber());
        }
        JsonNode order = SweepStore.JSON.readTree(interleaved.resolve("order.json").toFile());
        assertEquals(7, order.get("seed").asLong());
        assertEquals(4, order.at("/passes/0/order").size());
    }

    private static String shape(JsonNode forks) {
        List<Integer> sizes = new ArrayList<>();
        for (Iterator<JsonNode> it = forks.elements(); it.hasNext(); ) {
            sizes.add(it.next().size());
        }
        return sizes.toString();
    }

    @Test
    void killedThenResumedWithTheDocumentedCommandEqualsUninterrupted() throws Exception {
        Path def = file("sweep.txt", SWEEP);
        Path straight = tmp.resolve("straight");
        Result r = sweep("--sweep", def.toString(), "--out", straight.toString(), "--no-report", "--quiet");
        assertEquals(0, r.code(), r.out() + r.err());

        Path killed = tmp.resolve("killed");
        Process p = child("--sweep", def.toString(), "--out", killed.toString(), "--no-report", "--quiet")
                .redirectOutput(tmp.resolve("killed.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline && p.isAlive()
                && (!Files.isDirectory(killed.resolve("results")) || names(killed.resolve("results")).isEmpty())) {
            Thread.sleep(100);
        }
        assertTrue(p.isAlive(), "the sweep finished before it could be killed: " + Files.readString(tmp.resolve("killed.log")));
        p.destroyForcibly().waitFor(); // SIGKILL: no shutdown hooks, like kill -9
        int partial = names(killed.resolve("results")).size();
        assertTrue(partial >= 1 && partial < 4, "killed mid-sweep with " + partial + " results");

        // docs/running.md: java -cp benchmarks/target/benchmarks.jar knobs.benchmarks.sweep.SweepMain --out DIR --resume
        Process resume = child("--out", killed.toString(), "--resume").start();
        String log = new String(resume.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, resume.waitFor(), log);
        assertTrue(log.contains("resuming: " + partial + " of 4"), log);
        assertEquals(names(straight.resolve("results")), names(killed.resolve("results")), "same configurations, no duplicates");
        for (String n : names(killed.resolve("results"))) {
            JsonNode res = SweepStore.JSON.readTree(killed.resolve("results").resolve(n).toFile());
            assertEquals(1, res.size(), n + " holds exactly one result");
        }
        assertFalse(names(killed.resolve("failed")).iterator().hasNext());
        try (Stream<Path> s = Files.walk(killed)) {
            assertEquals(List.of(), s.map(f -> f.getFileName().toString()).filter(n -> n.startsWith(".")).toList(), "no partial files left");
        }

        Result again = sweep("--sweep", def.toString(), "--out", killed.toString(), "--no-report");
        assertEquals(2, again.code());
        assertTrue(again.err().startsWith("sweep: " + killed + " already holds a sweep"), again.err());
        Path other = file("other.txt", SWEEP.replace("topK=1,2", "topK=1"));
        Result changed = sweep("--sweep", other.toString(), "--out", killed.toString(), "--resume", "--no-report");
        assertEquals(2, changed.code());
        assertTrue(changed.err().startsWith("sweep: cannot resume: " + killed + " holds sweep '" + def + "' with another definition:"
                + " stored line 1 is 'MoeTopK model=tiny-moe topK=1,2"), changed.err());
        assertTrue(changed.err().contains(other + " line 1 is 'MoeTopK model=tiny-moe topK=1 ")
                && changed.err().contains("(2 configurations only in the stored sweep, 0 only in " + other + ")"), changed.err());
        Result interleave = sweep("--out", killed.toString(), "--resume", "--interleave", "2", "--no-report");
        assertEquals(2, interleave.code());
        assertTrue(interleave.err().startsWith("sweep: cannot resume " + killed + " with --interleave 2 (the sweep runs without interleaving)"),
                interleave.err());
        Path setInterleave = file("set.txt", "set interleave 2\n" + SWEEP);
        Result viaFile = sweep("--sweep", setInterleave.toString(), "--out", killed.toString(), "--resume", "--no-report");
        assertEquals(2, viaFile.code());
        assertTrue(viaFile.err().startsWith("sweep: cannot resume " + killed + " with " + setInterleave
                + "'s `set interleave 2` (the sweep runs without interleaving)"), viaFile.err());
        Path commented = file("commented.txt", "# the same sweep, annotated\n" + SWEEP.replace(" -wi", "   -wi"));
        Result same = sweep("--sweep", commented.toString(), "--out", killed.toString(), "--resume", "--quiet");
        assertEquals(0, same.code(), same.err());
        assertTrue(same.out().contains("done: 0 run, 4 already recorded"), same.out());
    }
}
