package knobs.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import knobs.kernels.MemoryEstimate;
import knobs.kernels.Natives;
import knobs.kernels.Pass;
import knobs.kernels.Phase;
import knobs.kernels.Presets;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.profile.ProfilerException;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

class MemoryProfilerTest {
    private static final long MIB = 1L << 20;

    @BeforeAll
    static void load() {
        Natives.load();
    }

    @Test
    void statusFieldsAreParsedInBytesOrRejected() {
        List<String> status = List.of("Name:\tjava", "VmPeak:\t 9000 kB", "VmHWM:\t    2136 kB", "VmRSS:\t    2100 kB");
        assertEquals(2136 * 1024L, ProcMemory.field(status, "VmHWM"));
        assertEquals(2100 * 1024L, ProcMemory.field(status, "VmRSS"));
        IllegalStateException missing = assertThrows(IllegalStateException.class, () -> ProcMemory.field(status, "VmSwap"));
        assertTrue(missing.getMessage().contains("has no VmSwap: line"), missing.getMessage());
        IllegalStateException unit = assertThrows(IllegalStateException.class,
                () -> ProcMemory.field(List.of("VmHWM:\t 12 MB"), "VmHWM"));
        assertTrue(unit.getMessage().contains("cannot parse 'VmHWM:\t 12 MB'"), unit.getMessage());
        assertThrows(IllegalStateException.class, () -> ProcMemory.field(List.of("VmHWM:\t kB"), "VmHWM"));
    }

    @Test
    void peakRssFollowsANativeAllocationAndResets() {
        assertNull(ProcMemory.unavailableReason(), "this test runs on Linux");
        ProcMemory.resetPeakRss();
        long before = ProcMemory.rss();
        assertTrue(ProcMemory.peakRss() - before < 16 * MIB, "a reset peak starts at the current RSS");
        try (BytePointer p = new BytePointer(128 * MIB)) {
            p.fill(1); // touch every page, so they become resident
        }
        long peak = ProcMemory.peakRss();
        assertTrue(peak - before >= 120 * MIB, "peak " + peak + " vs before " + before);
        ProcMemory.resetPeakRss();
        assertTrue(ProcMemory.peakRss() < peak - 64 * MIB, "the freed 128 MiB are no longer in the peak after a reset");
    }

    @Test
    void resultsCarryUnitsAndLeaveOutWhatIsUnknown() {
        MemoryEstimate estimate = MemoryEstimate.of(Presets.get("tiny"), Pass.FORWARD, 1, 9, 4);
        MemoryRegistry.Model model = new MemoryRegistry.Model("tiny", 1234, estimate, ComputeDevice.parse("cpu"));
        Map<String, ScalarResult> r = byLabel(MemoryProfiler.results(900 * MIB, 700 * MIB, 64, 800 * MIB, model));
        assertEquals(900.0 * MIB, r.get("mem.peakRss").getScore());
        assertEquals(200.0 * MIB, r.get("mem.peakRssAboveBaseline").getScore());
        assertEquals(64.0, r.get("mem.javacppTotalBytes").getScore());
        assertEquals(800.0 * MIB, r.get("mem.javacppPhysicalBytes").getScore());
        assertEquals(1234.0, r.get("mem.paramBytes").getScore());
        assertEquals((double) estimate.total(), r.get("mem.estimate").getScore());
        assertEquals((double) estimate.weights(), r.get("mem.estimateWeights").getScore());
        r.values().forEach(s -> assertEquals("bytes", s.getScoreUnit(), s.getLabel()));
        assertEquals(7, r.size(), "no CUDA metrics for a CPU model: " + r.keySet());

        Map<String, ScalarResult> bare = byLabel(MemoryProfiler.results(900 * MIB, -1, 64, 800 * MIB, null));
        assertEquals(List.of("mem.javacppPhysicalBytes", "mem.javacppTotalBytes", "mem.peakRss"),
                bare.keySet().stream().sorted().collect(Collectors.toList()), "nothing reported as zero when unknown");
    }

    @Test
    void optionsAreRejected() {
        ProfilerException e = assertThrows(ProfilerException.class, () -> new MemoryProfiler("verbose"));
        assertTrue(e.getMessage().contains("takes no options; got 'verbose'"), e.getMessage());
    }

    @Test
    void iterationHooksMeasureTheRegisteredModelOfThisTrialOnly() throws Exception {
        ComputeDevice cpu = ComputeDevice.parse("cpu");
        try (ModelStep earlier = new ModelStep(Presets.get("tiny-moe"), Phase.PREFILL, 1, 8, cpu)) {
            assertEquals("tiny-moe", MemoryRegistry.model().name(), "an earlier trial in this JVM registered its model");
        }
        MemoryProfiler prof = new MemoryProfiler("");
        prof.beforeIteration(null, null);
        assertNull(MemoryRegistry.model(), "the first iteration of a trial forgets earlier registrations");
        MemoryRegistry.recordBaseline(); // as Harness.setUp does in trial setup
        try (ModelStep step = new ModelStep(Presets.get("tiny"), Phase.PREFILL, 2, 32, cpu)) {
            MemoryRegistry.Model m = MemoryRegistry.model();
            assertEquals("tiny", m.name());
            assertEquals(Presets.get("tiny").parameterCount() * Float.BYTES, m.parameterBytes());
            assertEquals(m.estimate().weights(), m.parameterBytes(), "fp32 weights: the estimate's weights are the parameters");
            try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                step.run();
            }
            Map<String, ScalarResult> r = byLabel(results(prof));
            assertTrue(r.get("mem.peakRss").getScore() > m.parameterBytes(), r.toString());
            assertTrue(r.get("mem.peakRssAboveBaseline").getScore() > 0, "the model was built after the baseline: " + r);
            assertEquals((double) m.parameterBytes(), r.get("mem.paramBytes").getScore());
            assertEquals((double) m.estimate().total(), r.get("mem.estimate").getScore());
            prof.beforeIteration(null, null);
            assertEquals("tiny", MemoryRegistry.model().name(), "later iterations keep the trial's model");
            assertTrue(byLabel(results(prof)).containsKey("mem.paramBytes"));
        }
    }

    @SuppressWarnings("unchecked")
    private static List<ScalarResult> results(MemoryProfiler prof) {
        return (List<ScalarResult>) prof.afterIteration(null, null, null);
    }

    private static Map<String, ScalarResult> byLabel(List<ScalarResult> results) {
        return results.stream().collect(Collectors.toMap(Result::getLabel, r -> r));
    }
}
