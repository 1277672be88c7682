package knobs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar benchmarks.jar ...} as a script or CI runs it: the shaded jar in a child
 * process, with the cases of issue 15. A bad configuration is exit status 2 and one line on stderr
 * naming the value, nothing on stdout, no stack trace, and no result file (an older one left as it
 * was); it is found before any fork, so each case costs a JVM start, not a libtorch load. A failure
 * only a fork can see is status 1 and one line; a good run writes its results.
 *
 * <p>Runs in the {@code verify} phase, after the jar is shaded (the {@code shaded-jar} execution of
 * benchmarks/pom.xml passes its path as {@code knobs.benchmarksJar}); skipped elsewhere.
 * {@code mvn -o -B -pl benchmarks -am -Dtest=BenchmarksJarTest -Dsurefire.failIfNoSpecifiedTests=false verify}
 */
class BenchmarksJarTest {
    private static final String JAR_PROPERTY = "knobs.benchmarksJar";
    private static final String FAST = "-f 1 -wi 0 -i 1 -r 100ms";
    /** These cases are about the launcher's messages, not start-up: ClassDataArchiveJarTest makes and checks the archive. */
    private static final String CDS_OFF = "-D" + ClassDataArchive.SWITCH_PROPERTY + "=off";

    /** Command line (before the timing and result options), and the start of the one line on stderr. */
    private static final String[][] INVALID = {
        {"MoeTopK -p topK=0", "knobs: MoeTopK: topK=0 is not allowed for model 'moe-cpu': must be in 1..64 (the number of experts)"},
        {"MoeTopK -p topK=65", "knobs: MoeTopK: topK=65 is not allowed for model 'moe-cpu': must be in 1..64"},
        {"MoeTopK -p topK=abc", "knobs: MoeTopK: topK=abc is not an integer"},
        {"MoeTopK -p model=nosuch", "knobs: MoeTopK: unknown model preset 'nosuch'; known presets: tiny, decode-tiny, tiny-moe"},
        {"MoeTopK -p model=dense-cpu", "knobs: MoeTopK: model 'dense-cpu' is dense (no experts); allowed: an MoE preset: tiny-moe"},
        {"MoeTopK -p model=/nonexistent/knobs-model", "knobs: MoeTopK: /nonexistent/knobs-model: no such directory"},
        {"ModelSize -p size=./no-such-folder", "knobs: ModelSize: ./no-such-folder: no such directory"},
        {"MoeTopK -p phase=sideways", "knobs: MoeTopK: unknown phase 'sideways'; allowed: prefill, decode"},
        {"MoeTopK -p routing=weird", "knobs: MoeTopK: unknown routing 'weird'; allowed: router, balanced, skewed"},
        {"MoeTopK -p device=cuda", "knobs: MoeTopK: device 'cuda' requested but no CUDA device is available: this build has CPU-only natives"},
        {"BlocksMask -p activeBlocks=99", "knobs: BlocksMask: activeBlocks=99 is not allowed for model 'dense-cpu': must be in 1..8"},
        {"ModelSize -p size=2.7B -p pass=train_step -jvmArgsAppend -Dknobs.memory.limit=8g",
            "knobs: ModelSize: size=2.7B pass=train_step precision=fp32 batchSize=4 contextLength=128 needs about 60.54 GB"},
        {"MoeTopK -p pass=forward_backward", "knobs: MoeTopK: pass=forward_backward is not allowed with phase=decode: a backward"
            + " runs on a whole sequence, never on a KV-cache decode step; allowed: phase=prefill with pass=forward,"
            + " forward_backward or train_step, or phase=decode with pass=forward"},
        {"ModelSize -p precision=int4", "knobs: ModelSize: unknown precision 'int4'; allowed: fp32, bf16, fp16, int8"},
        {"ContextScaling -p crops=500", "knobs: ContextScaling: crops=500 with vision preset 'vit-cpu' (16 tokens per crop)"},
        {"OutputTokens -p maxNewTokens=-1", "knobs: OutputTokens: maxNewTokens=-1 with promptLen=32 is not allowed for model 'dense-cpu'"},
        {"SeqLenScaling -p seqLen=100000", "knobs: SeqLenScaling: seqLen=100000 is not allowed for model 'dense-cpu': must be in 1..2048"},
        {"MoeTopK -p topk=1", "knobs: -p topk: no selected benchmark has this parameter; they have: batch, blasThreads, device, intraOpThreads, model"},
        {"MoeTopK -p blasThreads=zero", "knobs: MoeTopK: blasThreads=zero is not allowed; allowed: auto, all or a whole number 1.."},
        {"MoeTopK -p intraOpThreads=0", "knobs: MoeTopK: intraOpThreads=0 is out of range; allowed: auto, all or 1.."},
        {"MoeTopK -jvmArgsAppend -Dknobs.threads=zero", "knobs: -Dknobs.threads=zero is not allowed; allowed: auto, all or a whole number 1.."},
        {"MoeTopK -p intraOpThreads=1,2 -jvmArgsAppend -Dknobs.intraop.threads=2",
            "knobs: -Dknobs.intraop.threads=2 and intraOpThreads=1 disagree: the property is an alias of the param's default"},
        {"Collectives -p worldSize=1", "knobs: Collectives: worldSize=1 is not allowed: must be in 2..256"},
        {"Collectives -p collective=allreduce", "knobs: Collectives: unknown collective 'allreduce'; allowed: all_reduce, all_gather,"
            + " reduce_scatter, all_to_all, broadcast"},
        {"Collectives -p worldSize=3 -p collective=all_gather -p bytes=1024", "knobs: Collectives: bytes=1024 is not allowed for"
            + " collective=all_gather with worldSize=3: must be a positive multiple of 12"},
        {"Collectives -p bytes=6 -p collective=all_reduce", "knobs: Collectives: bytes=6 is not allowed for collective=all_reduce"
            + " with worldSize=2: must be a positive multiple of 4"},
        {"Collectives -p collective=all_reduce -p bytes=1073741824 -jvmArgsAppend -Dknobs.memory.limit=4g",
            "knobs: Collectives: collective=all_reduce bytes=1073741824 worldSize=2 needs about 9.43 GB on this machine (2 rank(s)"},
        {"Collectives -p device=cuda", "knobs: Collectives: device 'cuda' requested but no CUDA device is available"},
        {"NoSuchBenchmark", "knobs: no benchmark matches NoSuchBenchmark (list them with -l)"},
        {"MoeTopK -notAnOption", "knobs: invalid command line: "},
    };

    private static Path jar;

    @TempDir
    Path dir;

    @BeforeAll
    static void shadedJar() {
        String path = System.getProperty(JAR_PROPERTY);
        assumeTrue(path != null, "runs on the shaded jar in the verify phase (benchmarks/pom.xml, execution shaded-jar)");
        jar = Paths.get(path);
        assertTrue(Files.isRegularFile(jar), jar + " is missing");
    }

    /** What one child run left: its exit status, stdout, stderr. */
    private record Run(int status, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }
    }

    private Run run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djmh.ignoreLock=true", CDS_OFF, "-jar", jar.toString())); // the lock: other JMH runs may share this machine
        cmd.addAll(List.of(args));
        Path out = dir.resolve("stdout.txt");
        Path err = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor();
            throw new AssertionError("benchmarks.jar " + String.join(" ", args) + " did not end in 5 minutes");
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    private static String[] args(String line) {
        return line.split(" ");
    }

    private void assertNoStackTrace(Run r, String what) {
        assertTrue(r.errLines().stream().allMatch(l -> l.startsWith("knobs: ")) && !r.err.contains("\tat "),
                what + ": no stack trace on stderr, only knobs' lines:\n" + r.err);
        assertFalse(r.out.contains("\tat "), what + ": no stack trace on stdout either:\n" + r.out);
    }

    /** Temporary result files ({@code .x.json.PID.part}) left in the folder. */
    private List<String> parts() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".part")).toList();
        }
    }

    @Test
    void everyInvalidConfigurationIsOneLineStatusTwoAndNoResultFile() throws Exception {
        for (String[] c : INVALID) {
            String what = c[0];
            Path result = dir.resolve("x.json");
            Files.deleteIfExists(result);
            Run r = run(args(c[0] + " " + FAST + " -rf json -rff x.json"));
            assertEquals(2, r.status, what + ": exit status\n" + r.err);
            assertEquals(1, r.errLines().size(), what + ": one line on stderr:\n" + r.err);
            assertTrue(r.errLines().get(0).startsWith(c[1]), what + ":\n  expected " + c[1] + "\n  got      " + r.err);
            assertEquals("", r.out, what + ": nothing ran, so JMH printed nothing");
            assertNoStackTrace(r, what);
            assertFalse(Files.exists(result), what + ": no result file");
            assertEquals(List.of(), parts(), what + ": no temporary result file");
        }
    }

    @Test
    void anOlderResultFileIsLeftAsItWas() throws Exception {
        Path result = Files.writeString(dir.resolve("old.json"), "[ {\"kept\": true} ]");
        Run r = run(args("MoeTopK -p topK=0 " + FAST + " -rf json -rff old.json"));
        assertEquals(2, r.status);
        assertEquals("[ {\"kept\": true} ]", Files.readString(result), "a failed run does not touch an earlier result");
    }

    @Test
    void anUnwritableResultFileIsOneLineAndStatusTwo() throws Exception {
        Files.writeString(dir.resolve("plain-file"), "");
        Run r = run(args("MoeTopK -p topK=1 " + FAST + " -rf json -rff plain-file/x.json"));
        assertEquals(2, r.status, r.err);
        assertEquals(List.of("knobs: cannot write plain-file/x.json: not a directory"), r.errLines());
        Run missing = run(args("MoeTopK -p topK=1 " + FAST + " -rf json -rff no-such-folder/x.json"));
        assertEquals(2, missing.status, missing.err);
        assertTrue(missing.err.startsWith("knobs: cannot write no-such-folder/x.json: folder ")
                && missing.err.contains("no-such-folder does not exist"), missing.err);
    }

    @Test
    void aFailureOnlyTheForkCanSeeIsOneLineStatusOneAndNoResultFile() throws Exception {
        // The environment sidecar's folder is only written by the fork (after the natives load): the launcher cannot check it.
        String bad = "MoeTopK -p model=tiny-moe -p topK=1 -p phase=prefill -p promptLen=8 " + FAST
                + " -rf json -rff x.json -jvmArgsAppend -Dknobs.env.dir=/proc/knobs-no-such-folder";
        Run r = run(args(bad));
        assertEquals(1, r.status, r.err);
        assertEquals(1, r.errLines().size(), r.err);
        assertTrue(r.err.startsWith("knobs: MoeTopK.forward: UncheckedIOException: cannot write the environment sidecar into"
                + " /proc/knobs-no-such-folder"), r.err);
        assertNoStackTrace(r, bad);
        assertTrue(r.out.contains("stack trace left out"), "JMH's output says where the trace went:\n" + r.out);
        assertFalse(Files.exists(dir.resolve("x.json")), "no result file after a failed fork");
        assertEquals(List.of(), parts());
        Run jvm = run(args("MoeTopK -p model=tiny-moe -p topK=1 -p phase=prefill -p promptLen=8 " + FAST
                + " -rf json -rff x.json -jvmArgsAppend -XX:+KnobsNoSuchFlag")); // a JVM flag the fork's JVM refuses
        assertEquals(1, jvm.status, jvm.err);
        assertEquals(List.of("knobs: MoeTopK.forward: IllegalStateException: Forked VM failed with exit code 1"), jvm.errLines());

        Run anyway = run(args(bad + " -foe false")); // the user's own -foe false: the others would still run
        assertEquals(1, anyway.status, anyway.err);
        assertEquals(1, anyway.errLines().size(), anyway.err);
        assertTrue(anyway.err.startsWith("knobs: 1 configuration failed; first MoeTopK.forward (batch=1, blasThreads=auto, device=cpu,")
                && anyway.err.contains("topK=1): UncheckedIOException: cannot write the environment sidecar"), anyway.err);
        assertFalse(Files.exists(dir.resolve("x.json")), "no result file holding [ ] when nothing succeeded");
        assertEquals(List.of(), parts());
    }

    @Test
    void aGoodRunWritesItsResultsAndJmhsOwnOptionsStillWork() throws Exception {
        Run r = run(args("MoeTopK -p model=tiny-moe -p topK=1 -p phase=prefill -p promptLen=8 " + FAST + " -rf json -rff x.json"));
        assertEquals(0, r.status, r.err + r.out);
        assertEquals("", r.err);
        JsonNode results = new ObjectMapper().readTree(dir.resolve("x.json").toFile());
        assertEquals(1, results.size());
        assertEquals("knobs.benchmarks.MoeTopK.forward", results.get(0).get("benchmark").asText());
        assertTrue(r.out.contains("Benchmark result is saved to x.json"), "shown under its own name, not the temporary one:\n" + r.out);
        assertEquals(List.of(), parts());
        assertEquals("auto", results.get(0).at("/params/blasThreads").asText(), "the thread params are in every result's key");
        assertEquals("auto", results.get(0).at("/params/intraOpThreads").asText());

        // The -D aliases become the params the forks apply, so the key says what ran.
        Run alias = run(args("MoeTopK -p model=tiny-moe -p topK=1 -p phase=prefill -p promptLen=8 " + FAST
                + " -rf json -rff y.json -jvmArgsAppend -Dknobs.threads=1"));
        assertEquals(0, alias.status, alias.err + alias.out);
        JsonNode aliased = new ObjectMapper().readTree(dir.resolve("y.json").toFile()).get(0);
        assertEquals("1", aliased.at("/params/blasThreads").asText());
        assertEquals("auto", aliased.at("/params/intraOpThreads").asText());

        Run list = run("-l", "MoeTopK");
        assertEquals(0, list.status, list.err);
        assertTrue(list.out.contains("knobs.benchmarks.MoeTopK.forward"), list.out);
        Run params = run("-lp", "SeqLenScaling");
        assertEquals(0, params.status, params.err);
        assertTrue(params.out.contains("param \"seqLen\" = {64, 128, 256, 512}"), params.out);
        Run help = run("-h");
        assertEquals(0, help.status, help.err);
        assertTrue(help.out.contains("-foe <bool>"), help.out);
    }

    @Test
    void theComponentProfilerRunsFromTheJarAndItsBadOptionIsOneLine() throws Exception {
        Run r = run(args("ModelSize -p size=tiny -p pass=forward -p batchSize=1 -p contextLength=16 -f 1 -wi 1 -w 100ms -i 1 -r 100ms"
                + " -prof knobs.harness.ComponentProfiler:perLayer=true -rf json -rff x.json"));
        assertEquals(0, r.status, r.err + r.out);
        JsonNode metrics = new ObjectMapper().readTree(dir.resolve("x.json").toFile()).get(0).get("secondaryMetrics");
        for (String name : new String[] {"component.mlp", "component.other", "component.L1.mlp", "componentFlops.mlp"}) {
            assertTrue(metrics.has(name), name + " missing: " + metrics.fieldNames().next() + " ...");
        }
        assertTrue(metrics.has("contention.wallMs"), "the default contention profiler still runs beside it");

        Run bad = run(args("ModelSize -p size=tiny " + FAST + " -prof knobs.harness.ComponentProfiler:perLayer=maybe -rf json -rff y.json"));
        assertEquals(2, bad.status, bad.err);
        assertTrue(bad.err.contains("knobs: ComponentProfiler: bad option 'perLayer=maybe'; allowed: perLayer=true"), bad.err);
        assertNoStackTrace(bad, "bad profiler option");
        assertFalse(Files.exists(dir.resolve("y.json")));
    }

    @Test
    void theDebugSwitchShowsTheTraceAndTheCheckLoadsNoNatives() throws Exception {
        List<String> cmd = List.of("-Dknobs.debug=true", "-Dorg.bytedeco.javacpp.logger.debug=true", CDS_OFF);
        Path out = dir.resolve("debug.txt");
        List<String> full = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString()));
        full.addAll(cmd);
        full.addAll(List.of("-jar", jar.toString(), "MoeTopK", "-p", "topK=0"));
        Process p = new ProcessBuilder(full).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        String text = Files.readString(out);
        assertEquals(2, p.exitValue(), text);
        assertTrue(text.contains("\tat knobs.kernels.ModelConfig.<init>"), "the trace, on request:\n" + text);
        assertTrue(text.contains("knobs: MoeTopK: topK=0 is not allowed"), text);
        assertFalse(text.contains("Loading") || text.contains("libjnitorch"), "JavaCPP loaded natives in the launcher:\n" + text);
    }

    /** Child JVMs of this test's runs that run a rank ({@code knobs.harness.dist.RankMain}). */
    private static List<ProcessHandle> rankProcesses() {
        return ProcessHandle.current().descendants()
                .filter(h -> h.info().commandLine().orElse("").contains("knobs.harness.dist.RankMain")).toList();
    }

    /**
     * {@code java -jar benchmarks.jar Collectives -p worldSize=2} just works: the fork starts rank 1,
     * both verify the collective, the counters give algBytes and busBytes per op with nccl-tests'
     * factor and both ranks' times, and no rank process is left.
     */
    @Test
    void collectivesRunsTwoRanksFromTheJarAndLeavesNoProcess() throws Exception {
        Run r = run(args("Collectives -p worldSize=2 -p collective=all_to_all -p bytes=4096 " + FAST
                + " -prof knobs.harness.dist.RankTimesProfiler -rf json -rff x.json"));
        assertEquals(0, r.status, r.err + r.out);
        JsonNode row = new ObjectMapper().readTree(dir.resolve("x.json").toFile()).get(0);
        assertEquals("2", row.at("/params/worldSize").asText());
        JsonNode m = row.get("secondaryMetrics");
        double ops = m.at("/ops/score").asDouble();
        assertTrue(ops >= 1, "steps counted: " + m);
        assertEquals(4096.0, m.at("/algBytes/score").asDouble() / ops, 1e-9);
        assertEquals(2048.0, m.at("/busBytes/score").asDouble() / ops, 1e-9, "all_to_all on 2 ranks: (n-1)/n");
        assertTrue(m.at("/slowestRankNs/score").asDouble() >= m.at("/fastestRankNs/score").asDouble());
        assertTrue(m.at("/rank.0/score").asDouble() > 0 && m.at("/rank.1/score").asDouble() > 0, "per-rank times: " + m);
        assertEquals(List.of(), rankProcesses());
    }

    /**
     * A rank killed mid-trial: the run ends with status 1 and one line naming the rank, its pid
     * and the signal, within the timeout, and no rank process is left.
     */
    @Test
    void aRankKilledMidTrialIsOneLineNamingItAndNoProcessIsLeft() throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djmh.ignoreLock=true", CDS_OFF, "-jar", jar.toString()));
        cmd.addAll(List.of(args("Collectives -p worldSize=2 -p collective=all_reduce -p bytes=1024 -f 1 -wi 0 -i 1 -r 60s"
                + " -rf json -rff x.json -jvmArgsAppend")));
        cmd.add("-Djava.io.tmpdir=" + tmp + " -Dknobs.dist.timeout=20"); // one value: JMH splits it
        assertTrue(!tmp.toString().contains(" "), "a temporary folder without spaces: " + tmp);
        Process p = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectOutput(dir.resolve("stdout.txt").toFile()).redirectError(dir.resolve("stderr.txt").toFile()).start();
        try {
            ProcessHandle victim = null;
            long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (victim == null && System.nanoTime() < end && p.isAlive()) {
                Thread.sleep(200);
                if (joined(tmp)) { // rank 1 is in the group: the trial is under way
                    List<ProcessHandle> ranks = rankProcesses();
                    victim = ranks.isEmpty() ? null : ranks.get(0);
                }
            }
            assertTrue(victim != null, "rank 1 never joined:\n" + Files.readString(dir.resolve("stdout.txt"))
                    + Files.readString(dir.resolve("stderr.txt")));
            Thread.sleep(1000);
            long pid = victim.pid();
            victim.destroyForcibly();
            long killed = System.nanoTime();
            assertTrue(p.waitFor(2, TimeUnit.MINUTES), "the run ended");
            double s = (System.nanoTime() - killed) / 1e9;
            String err = Files.readString(dir.resolve("stderr.txt"), StandardCharsets.UTF_8);
            assertEquals(1, p.exitValue(), err);
            assertEquals(1, err.lines().count(), err);
            assertTrue(err.startsWith("knobs: Collectives.step: ") && err.contains("rank 1 (pid " + pid
                    + ") exited with status 137 (killed by signal 9)"), err);
            assertTrue(s < 60, "failed within the timeout (20 s) and the fork's exit, not after: " + s + " s");
            assertFalse(Files.exists(dir.resolve("x.json")));
            assertEquals(List.of(), rankProcesses());
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    /** Whether a rank's log under the fork's temporary folder shows it connected to the group. */
    private static boolean joined(Path tmp) throws IOException {
        try (Stream<Path> s = Files.walk(tmp)) {
            for (Path f : s.filter(f -> f.getFileName().toString().equals("rank-1.log")).toList()) {
                if (Files.readString(f, StandardCharsets.UTF_8).contains("is connected to")) {
                    return true;
                }
            }
        }
        return false;
    }
}
