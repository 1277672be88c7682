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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.runner.BenchmarkList;

class SweepTest {
    private static final String TIMING = " promptLen=8 -wi 0 -i 1 -r 100ms -f 1";
    private static final String SWEEP = "MoeTopK model=tiny-moe topK=1,2 phase=prefill,decode" + TIMING + "\n";

    @TempDir
    Path tmp;

    private static Expander expander() {
        return new Expander(BenchmarkList.defaultList().getAll(null, List.of()));
    }

    private Path file(String name, String text) throws Exception {
        Path f = tmp.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    private static Set<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json") && !n.startsWith("."))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void badSweepFilesNameTheLine() {
        IllegalArgumentException opt = assertThrows(IllegalArgumentException.class,
                () -> SweepDefinition.parse("s.txt", "# header\nMoeTopK topK=1 -x 3"));
        assertTrue(opt.getMessage().startsWith("s.txt line 2: unknown option '-x'"), opt.getMessage());
        IllegalArgumentException word = assertThrows(IllegalArgumentException.class,
                () -> SweepDefinition.parse("s.txt", "MoeTopK topK"));
        assertTrue(word.getMessage().contains("line 1: 'topK' is not name=value"), word.getMessage());
        IllegalArgumentException bench = assertThrows(IllegalArgumentException.class,
                () -> expander().expand(SweepDefinition.parse("s.txt", "\n\nNoSuchKnob")));
        assertTrue(bench.getMessage().contains("line 3: unknown benchmark 'NoSuchKnob'; known: ") && bench.getMessage().contains("MoeTopK.forward"), bench.getMessage());
        IllegalArgumentException param = assertThrows(IllegalArgumentException.class,
                () -> expander().expand(SweepDefinition.parse("s.txt", "MoeTopK topk=1")));
        assertTrue(param.getMessage().contains("line 1: MoeTopK.forward has no param 'topk'"), param.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SweepDefinition.parse("s.txt", "# nothing\n"));
        assertThrows(IllegalArgumentException.class, () -> SweepDefinition.preset("nightly"));
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
        assertThrows(IllegalArgumentException.class, () -> Expander.shard(all, 3, 2));
    }

    @Test
    void aFailingConfigurationIsRecordedAndTheSweepGoesOn() throws Exception {
        Path def = file("sweep.txt", "MoeTopK model=tiny-moe topK=0,1 phase=prefill" + TIMING + "\n");
        Path out = tmp.resolve("out");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        int code = SweepMain.run(new String[] {"--sweep", def.toString(), "--out", out.toString(), "--no-report", "--quiet"},
                new PrintStream(log, true, StandardCharsets.UTF_8));
        assertEquals(1, code, log.toString(StandardCharsets.UTF_8));
        assertEquals(1, names(out.resolve("results")).size(), "topK=1 is recorded");
        Set<String> failed = names(out.resolve("failed"));
        assertEquals(1, failed.size());
        JsonNode f = SweepStore.JSON.readTree(out.resolve("failed").resolve(failed.iterator().next()).toFile());
        assertEquals("0", f.at("/params/topK").asText());
        assertTrue(f.get("reason").asText().contains("topK=0 is not allowed"), f.toString());
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("done: 2 run, 0 already recorded, 1 failed"));
    }

    @Test
    void killedThenResumedEqualsUninterrupted() throws Exception {
        Path def = file("sweep.txt", SWEEP);
        Path straight = tmp.resolve("straight");
        assertEquals(0, SweepMain.run(new String[] {"--sweep", def.toString(), "--out", straight.toString(), "--no-report", "--quiet"},
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)));

        Path killed = tmp.resolve("killed");
        List<String> cmd = List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), SweepMain.class.getName(),
                "--sweep", def.toString(), "--out", killed.toString(), "--no-report", "--quiet");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("killed.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline && p.isAlive()
                && (!Files.isDirectory(killed.resolve("results")) || names(killed.resolve("results")).isEmpty())) {
            Thread.sleep(100);
        }
        assertTrue(p.isAlive(), "the sweep finished before it could be killed: " + Files.readString(tmp.resolve("killed.log")));
        p.destroyForcibly().waitFor(); // SIGKILL: no shutdown hooks, like kill -9
        int partial = names(killed.resolve("results")).size();
        assertTrue(partial >= 1 && partial < 4, "killed mid-sweep with " + partial + " results");

        ByteArrayOutputStream log = new ByteArrayOutputStream();
        int code = SweepMain.run(new String[] {"--sweep", def.toString(), "--out", killed.toString(), "--resume", "--no-report", "--quiet"},
                new PrintStream(log, true, StandardCharsets.UTF_8));
        assertEquals(0, code, log.toString(StandardCharsets.UTF_8));
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("resuming: " + partial + " of 4"), log.toString(StandardCharsets.UTF_8));
        assertEquals(names(straight.resolve("results")), names(killed.resolve("results")), "same configurations, no duplicates");
        for (String n : names(killed.resolve("results"))) {
            JsonNode r = SweepStore.JSON.readTree(killed.resolve("results").resolve(n).toFile());
            assertEquals(1, r.size(), n + " holds exactly one result");
        }
        assertFalse(names(killed.resolve("failed")).iterator().hasNext());
        try (Stream<Path> s = Files.list(killed.resolve("results"))) {
            assertEquals(List.of(), s.map(f -> f.getFileName().toString()).filter(n -> n.startsWith(".")).toList(), "no partial files left");
        }

        IllegalArgumentException again = assertThrows(IllegalArgumentException.class, () -> SweepMain.run(
                new String[] {"--sweep", def.toString(), "--out", killed.toString(), "--no-report"}, System.out));
        assertTrue(again.getMessage().contains("already holds a sweep"), again.getMessage());
        Path other = file("other.txt", SWEEP.replace("topK=1,2", "topK=1"));
        IllegalArgumentException changed = assertThrows(IllegalArgumentException.class, () -> SweepMain.run(
                new String[] {"--sweep", other.toString(), "--out", killed.toString(), "--resume", "--no-report"}, System.out));
        assertTrue(changed.getMessage().contains("another definition"), changed.getMessage());
    }
}
