package knobs.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.profile.ProfilerException;
import org.openjdk.jmh.profile.ProfilerFactory;
import org.openjdk.jmh.results.ScalarResult;
import org.openjdk.jmh.runner.options.ProfilerConfig;

/** The metrics {@link ContentionProfiler} emits, its options and the on/off switch. */
class ContentionProfilerTest {
    private static final Contention.Iteration IT = new Contention.Iteration(1000, 500, 0.5, 100, 3, 15, 1);

    private static Map<String, String> allPresent() {
        Map<String, String> a = new LinkedHashMap<>();
        for (String c : List.of(ContentionReader.CPU_TIME, ContentionReader.STEAL, ContentionReader.OWN_CPU_TIME,
                ContentionReader.RUN_QUEUE, ContentionReader.OWN_RUNNING_THREADS, ContentionReader.INVOLUNTARY_CS,
                ContentionReader.CPU_AFFINITY)) {
            a.put(c, null);
        }
        return a;
    }

    private static Map<String, Double> byName(List<ScalarResult> results) {
        return results.stream().collect(Collectors.toMap(ScalarResult::getLabel, ScalarResult::getScore, (x, y) -> x, LinkedHashMap::new));
    }

    @Test
    void everyMetricUnderItsDocumentedName() {
        List<ScalarResult> r = ContentionProfiler.results(IT, allPresent());
        assertEquals(List.of("contention.othersCpuMs", "contention.stealMs", "contention.wallMs", "contention.othersCores",
                "contention.runQueue", "contention.involuntaryCs", "contention.contended"),
                r.stream().map(ScalarResult::getLabel).collect(Collectors.toList()));
        Map<String, Double> m = byName(r);
        assertEquals(500.0, m.get(ContentionProfiler.OTHERS_CPU_MS));
        assertEquals(1.0, m.get(ContentionProfiler.CONTENDED));
        assertEquals("cores", r.get(3).getScoreUnit());
    }

    @Test
    void absentCountersAreNotEmittedAtAll() {
        Map<String, String> a = allPresent();
        a.put(ContentionReader.OWN_CPU_TIME, "/proc/self/stat does not exist (Linux /proc)");
        a.put(ContentionReader.INVOLUNTARY_CS, "cannot identify the benchmark thread");
        Map<String, Double> m = byName(ContentionProfiler.results(IT, a));
        assertEquals(List.of("contention.stealMs", "contention.wallMs", "contention.runQueue"), List.copyOf(m.keySet()),
                "no others' CPU (and so no contended flag) without this process's own CPU time");
    }

    @Test
    void anIterationGapIsNaNNotAMissingValue() {
        Contention.Iteration gap = new Contention.Iteration(1000, Double.NaN, Double.NaN, 100, 3, Double.NaN, Double.NaN);
        Map<String, Double> m = byName(ContentionProfiler.results(gap, allPresent()));
        assertEquals(7, m.size(), "JMH aligns values by position: every iteration carries every available metric");
        assertTrue(m.get(ContentionProfiler.OTHERS_CPU_MS).isNaN() && m.get(ContentionProfiler.CONTENDED).isNaN());
    }

    @Test
    void profilerOnAFakeProcListsWhatIsAbsent(@TempDir Path dir) throws ProfilerException {
        new FakeProc(dir).stat(1, 1, 1, 1, 0).loadavg(1); // no /proc/self/stat
        ContentionProfiler p = new ContentionProfiler("root=" + dir);
        assertTrue(ContentionProfiler.activeInThisJvm());
        assertInstanceOf(ContentionProfiler.class, ProfilerFactory.getProfilerOrException(
                new ProfilerConfig("knobs.harness.ContentionProfiler", "root=" + dir.resolve("missing"))),
                "a /proc without counters is not an error: they are absent");
        assertFalse(p.getDescription().isEmpty());
    }

    @Test
    void badOptionsNameWhatIsAllowed() {
        ProfilerException e = assertThrows(ProfilerException.class, () -> new ContentionProfiler("proc=/x"));
        assertTrue(e.getMessage().contains("bad option 'proc=/x'") && e.getMessage().contains("root=DIR"), e.getMessage());
        assertThrows(ProfilerException.class, () -> new ContentionProfiler("root="));
        assertThrows(IllegalStateException.class, () -> new ContentionProfiler().beforeIteration(null, null));
    }

    @Test
    void theSwitchTakesOnOrOffOnly() {
        assertTrue(ContentionProfiler.enabledByDefault(null));
        assertTrue(ContentionProfiler.enabledByDefault("on"));
        assertTrue(ContentionProfiler.enabledByDefault(" ON "));
        assertFalse(ContentionProfiler.enabledByDefault("off"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ContentionProfiler.enabledByDefault("no"));
        assertTrue(e.getMessage().contains("-Dknobs.contention=no") && e.getMessage().contains("allowed: on")
                && e.getMessage().contains("off"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ContentionProfiler.enabledByDefault(""));
    }
}
