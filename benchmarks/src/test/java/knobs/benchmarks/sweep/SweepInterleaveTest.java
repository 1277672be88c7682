package knobs.benchmarks.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runner's interleaving, merging, re-runs, resume and time-outs, against {@link FakeJmh}
 * (JMH-shaped output in a fraction of a second, behaviour planted through params).
 */
class SweepInterleaveTest {
    @TempDir
    Path tmp;

    private static final List<String> FAKE = List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"), FakeJmh.class.getName());

    private Configuration config(String name, String... extra) {
        Map<String, String> p = new TreeMap<>();
        p.put("name", name);
        p.put("log", tmp.resolve("calls.log").toString());
        for (int i = 0; i < extra.length; i += 2) {
            p.put(extra[i], extra[i + 1]);
        }
        return new Configuration("knobs.benchmarks.Fake.run", new TreeMap<>(p), List.of("-i", "4", "-f", "1"));
    }

    private record Run(int code, SweepStore store, String log) {
    }

    private SweepRunner.Outcome run(SweepStore store, List<Configuration> configs, Integer interleave, int retries, Duration timeout,
                                    ByteArrayOutputStream log) throws Exception {
        SweepSettings s = new SweepSettings(1, 1, interleave, interleave == null ? null : 42L, retries, timeout, false);
        List<Configuration> cs = interleave == null ? configs : configs.stream().map(c -> c.withForks(interleave)).toList();
        return new SweepRunner(store, FAKE, s, new PrintStream(log, true, StandardCharsets.UTF_8), true).run(cs);
    }

    private SweepStore store(String name) throws Exception {
        SweepStore store = new SweepStore(tmp.resolve(name));
        for (String f : List.of("results", "repetitions", "attempts", "failed", "logs")) {
            Files.createDirectories(store.dir().resolve(f));
        }
        return store;
    }

    private List<String> calls() throws Exception {
        return Files.readAllLines(tmp.resolve("calls.log")).stream().map(l -> l.split(" ")[0]).toList();
    }

    private static JsonNode read(Path p) throws Exception {
        return SweepStore.JSON.readTree(p.toFile());
    }

    private static List<String> hidden(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
        }
    }

    @Test
    void interleavedRoundsFollowTheRecordedOrderAndMergeIntoOneResultPerConfiguration() throws Exception {
        SweepStore store = store("out");
        List<Configuration> configs = List.of(config("a"), config("b"), config("c"));
        SweepRunner.Outcome o = run(store, configs, 3, 0, Duration.ofMinutes(1), new ByteArrayOutputStream());
        assertEquals(9, o.ran());
        assertEquals(List.of(), o.failed());

        JsonNode order = read(store.orderFile());
        assertEquals(42, order.get("seed").asLong());
        JsonNode units = order.at("/passes/0/order");
        assertEquals(9, units.size());
        List<String> planned = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            assertEquals(i / 3 + 1, units.get(i).get("repetition").asInt(), "round r holds repetition r of every configuration");
            String id = units.get(i).get("id").asText();
            planned.add(configs.stream().filter(c -> c.withForks(3).id().equals(id))
                    .findFirst().orElseThrow().params().get("name"));
        }
        assertEquals(planned, calls(), "runs happened in the recorded order");
        assertTrue(Files.readAllLines(tmp.resolve("calls.log")).stream().allMatch(l -> l.endsWith(" 1")), "every run is one fork");

        for (Configuration c : configs) {
            Configuration c3 = c.withForks(3);
            JsonNode r = read(store.result(c3));
            assertEquals(1, r.size());
            JsonNode run = r.get(0);
            assertEquals(3, run.get("forks").asInt());
            assertEquals(3, run.at("/primaryMetric/rawData").size());
            assertEquals(4, run.at("/primaryMetric/rawData/0").size());
            assertEquals(3, run.at("/secondaryMetrics/tokens/rawData").size());
            assertEquals(64.0 * 12, run.at("/secondaryMetrics/tokens/score").asDouble(), 1e-9, "a summed metric stays a sum");
            assertEquals("sum", run.at("/knobsMerge/secondaryAggregation/tokens").asText());
            assertEquals(c.params().get("name"), run.at("/params/name").asText());
            for (int rep = 1; rep <= 3; rep++) {
                assertTrue(Files.exists(store.repetition(c3, 1, rep)), "repetition " + rep + " is kept");
            }
        }
        assertEquals(List.of(), hidden(store.dir()), "no temporary files");
        assertEquals(0, read(store.retriesFile()).get("configurations").size(), "nothing noisy, nothing re-run");
    }

    @Test
    void aFailedRepetitionFailsItsConfigurationOnlyAndResumeReplaysTheOrder() throws Exception {
        SweepStore store = store("out");
        List<Configuration> configs = List.of(config("a"), config("b", "failOnce", "1"), config("c"));
        SweepRunner.Outcome first = run(store, configs, 2, 0, Duration.ofMinutes(1), new ByteArrayOutputStream());
        Configuration b = configs.get(1).withForks(2);
        assertEquals(List.of(b), first.failed());
        assertEquals(5, first.ran(), "b's second repetition is skipped once its first failed");
        assertTrue(Files.exists(store.failure(b)));
        assertEquals("1", read(store.failure(b)).get("repetition").asText());
        assertFalse(store.done(b));
        String orderBefore = Files.readString(store.orderFile());

        Files.delete(tmp.resolve("calls.log"));
        SweepRunner.Outcome second = run(store, configs, 2, 0, Duration.ofMinutes(1), new ByteArrayOutputStream());
        assertEquals(List.of(), second.failed());
        assertEquals(2, second.skipped());
        assertEquals(List.of("b", "b"), calls(), "only b's repetitions run again");
        assertEquals(orderBefore, Files.readString(store.orderFile()), "the recorded order is replayed, not redrawn");
        assertTrue(store.done(b));
        assertFalse(Files.exists(store.failure(b)), "the failure record goes once the configuration succeeds");
    }

    @Test
    void noisyOrContendedConfigurationsAreReRunAndRetriesJsonSaysWhetherTheySettled() throws Exception {
        for (Integer interleave : new Integer[] {null, 2}) {
            SweepStore store = store("out-" + interleave);
            Files.deleteIfExists(tmp.resolve("calls.log"));
            try (Stream<Path> s = Files.list(tmp)) {
                for (Path p : s.filter(p -> p.getFileName().toString().startsWith("calls-")).toList()) {
                    Files.delete(p);
                }
            }
            int reps = interleave == null ? 1 : interleave;
            List<Configuration> configs = List.of(config("clean"), config("settles", "noisyRuns", Integer.toString(reps)),
                    config("never", "noisyRuns", "99"), config("busy", "contended", "1"));
            SweepRunner.Outcome o = run(store, configs, interleave, 2, Duration.ofMinutes(1), new ByteArrayOutputStream());
            assertEquals(3, o.retried(), "interleave " + interleave);
            assertEquals(2, o.unsettled().size());
            Map<String, JsonNode> byName = new HashMap<>();
            read(store.retriesFile()).get("configurations").forEach(e -> byName.put(e.at("/params/name").asText(), e));
            assertEquals(List.of("busy", "never", "settles"), byName.keySet().stream().sorted().toList());
            assertEquals(1, byName.get("settles").get("retried").asInt());
            assertTrue(byName.get("settles").get("settled").asBoolean());
            assertTrue(byName.get("settles").at("/attempts/0/reasons/0").asText().startsWith("noisy: IQR/median"));
            assertEquals(2, byName.get("never").get("retried").asInt());
            assertFalse(byName.get("never").get("settled").asBoolean());
            assertEquals(3, byName.get("never").get("attempts").size());
            assertTrue(byName.get("busy").at("/attempts/0/contended").asBoolean());
            assertTrue(byName.get("busy").at("/attempts/0/reasons/0").asText().equals("contended: " + 4 * reps + " of " + 4 * reps + " iterations"), byName.get("busy").toString());
            Configuration never = interleave == null ? configs.get(2) : configs.get(2).withForks(interleave);
            for (int a = 1; a <= 3; a++) {
                assertTrue(Files.exists(store.attempt(never, a)), "attempt " + a + " is kept");
            }
            assertEquals(Files.readString(store.attempt(never, 3)), Files.readString(store.result(never)), "results/ holds the latest attempt");
            Configuration clean = interleave == null ? configs.get(0) : configs.get(0).withForks(interleave);
            assertFalse(Files.exists(store.attempt(clean, 1)), "a clean configuration is run once");
            assertEquals(List.of(), hidden(store.dir()));
        }
    }

    @Test
    void aTimedOutRunLeavesNoPartialFile() throws Exception {
        SweepStore store = store("out");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        SweepRunner.Outcome o = run(store, List.of(config("slow", "sleep", "60")), null, 0, Duration.ofSeconds(3), log);
        assertEquals(1, o.failed().size());
        JsonNode f = read(store.failure(o.failed().get(0)));
        assertTrue(f.get("reason").asText().startsWith("timed out after 3s"), f.toString());
        assertEquals(List.of(), hidden(store.dir()), "no .part file left behind");
        assertTrue(Files.exists(store.dir().resolve(f.get("log").asText())), "its log is kept");
    }
}
