package knobs.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.profile.ProfilerException;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

class NoiseProfilerTest {
    /** A collector whose counts the test sets. */
    static final class FakeCollector implements GarbageCollectorMXBean {
        long count;
        long ms;
        private final String name;

        FakeCollector(String name, long count, long ms) {
            this.name = name;
            this.count = count;
            this.ms = ms;
        }

        @Override public long getCollectionCount() { return count; }
        @Override public long getCollectionTime() { return ms; }
        @Override public String getName() { return name; }
        @Override public boolean isValid() { return true; }
        @Override public String[] getMemoryPoolNames() { return new String[0]; }
        @Override public ObjectName getObjectName() { return null; }
    }

    /** A JIT whose total compilation time the test sets. */
    static final class FakeCompiler implements CompilationMXBean {
        long ms;
        boolean supported = true;

        @Override public String getName() { return "fake JIT"; }
        @Override public boolean isCompilationTimeMonitoringSupported() { return supported; }
        @Override public long getTotalCompilationTime() { return ms; }
        @Override public ObjectName getObjectName() { return null; }
    }

    @Test
    void reportsTheDifferencesSummedOverCollectors() throws Exception {
        FakeCollector young = new FakeCollector("young", 5, 100);
        FakeCollector old = new FakeCollector("old", 1, 40);
        FakeCompiler jit = new FakeCompiler();
        jit.ms = 1000;
        NoiseProfiler prof = new NoiseProfiler("", List.of(young, old), jit);
        prof.beforeIteration(null, null);
        young.count += 2;
        young.ms += 12;
        old.count += 1;
        old.ms += 18;
        jit.ms += 250;
        Map<String, ScalarResult> r = byLabel(prof.afterIteration(null, null, null));
        assertEquals(3.0, r.get("noise.gcCount").getScore());
        assertEquals(30.0, r.get("noise.gcMs").getScore());
        assertEquals(250.0, r.get("noise.jitMs").getScore());
        assertEquals("count", r.get("noise.gcCount").getScoreUnit());
        assertEquals("ms", r.get("noise.gcMs").getScoreUnit());
        assertEquals("ms", r.get("noise.jitMs").getScoreUnit());
        prof.beforeIteration(null, null);
        Map<String, ScalarResult> quiet = byLabel(prof.afterIteration(null, null, null));
        assertEquals(0.0, quiet.get("noise.gcCount").getScore() + quiet.get("noise.gcMs").getScore() + quiet.get("noise.jitMs").getScore(),
                "an iteration without GC or compilation reports none");
    }

    @Test
    void refusesJvmsThatCannotReportTheTimes() {
        FakeCompiler noTiming = new FakeCompiler();
        noTiming.supported = false;
        ProfilerException jit = assertThrows(ProfilerException.class, () -> new NoiseProfiler("", List.of(), noTiming));
        assertTrue(jit.getMessage().contains("does not report JIT compilation time"), jit.getMessage());
        ProfilerException gc = assertThrows(ProfilerException.class,
                () -> new NoiseProfiler("", List.of(new FakeCollector("epsilon", -1, -1)), new FakeCompiler()));
        assertTrue(gc.getMessage().contains("collector 'epsilon' does not report"), gc.getMessage());
        assertThrows(ProfilerException.class, () -> new NoiseProfiler("x"));
    }

    @Test
    void seesARealCollection() throws Exception {
        NoiseProfiler prof = new NoiseProfiler("");
        prof.beforeIteration(null, null);
        System.gc(); // a full collection on every HotSpot collector unless -XX:+DisableExplicitGC
        Map<String, ScalarResult> r = byLabel(prof.afterIteration(null, null, null));
        assertTrue(r.get("noise.gcCount").getScore() >= 1, r.toString());
        assertTrue(r.get("noise.gcMs").getScore() >= 0 && r.get("noise.jitMs").getScore() >= 0, r.toString());
    }

    private static Map<String, ScalarResult> byLabel(java.util.Collection<? extends Result> results) {
        return results.stream().map(r -> (ScalarResult) r).collect(Collectors.toMap(Result::getLabel, r -> r));
    }
}
