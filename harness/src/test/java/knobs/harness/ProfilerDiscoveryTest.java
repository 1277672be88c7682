package knobs.harness;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.profile.Profiler;
import org.openjdk.jmh.profile.ProfilerException;
import org.openjdk.jmh.profile.ProfilerFactory;
import org.openjdk.jmh.runner.options.ProfilerConfig;

/** How JMH finds the profilers: by class name for -prof, through META-INF/services for -lprof. */
class ProfilerDiscoveryTest {
    @Test
    void jmhListsTheProfilersWithoutRunningTheirChecks() {
        Set<String> found = ServiceLoader.load(Profiler.class).stream().map(p -> p.type().getName()).collect(Collectors.toSet());
        assertTrue(found.containsAll(Set.of("knobs.harness.MemoryProfiler", "knobs.harness.EnergyProfiler",
                "knobs.harness.NoiseProfiler", "knobs.harness.ContentionProfiler", "knobs.harness.ComponentProfiler")), found.toString());
        // ServiceLoader instantiates through the no-argument constructors, which must not throw
        ServiceLoader.load(Profiler.class).forEach(p -> assertTrue(!p.getDescription().isEmpty()));
        assertThrows(IllegalStateException.class, () -> new MemoryProfiler().beforeIteration(null, null));
        assertThrows(IllegalStateException.class, () -> new NoiseProfiler().beforeIteration(null, null));
    }

    @Test
    void profNamesAreTheClassNames() throws ProfilerException {
        assertInstanceOf(MemoryProfiler.class, ProfilerFactory.getProfilerOrException(new ProfilerConfig("knobs.harness.MemoryProfiler", "")));
        assertInstanceOf(NoiseProfiler.class, ProfilerFactory.getProfilerOrException(new ProfilerConfig("knobs.harness.NoiseProfiler", "")));
        assertInstanceOf(ComponentProfiler.class, ProfilerFactory.getProfilerOrException(
                new ProfilerConfig("knobs.harness.ComponentProfiler", "perLayer=true")));
        ProfilerException bad = assertThrows(ProfilerException.class, () -> ProfilerFactory.getProfilerOrException(
                new ProfilerConfig("knobs.harness.ComponentProfiler", "perLayer=maybe")));
        assertTrue(bad.getMessage().contains("allowed: perLayer=true"), bad.getMessage());
        // JMH hands the text after the colon to the String constructor; its checks surface as ProfilerException
        ProfilerException e = assertThrows(ProfilerException.class,
                () -> ProfilerFactory.getProfilerOrException(new ProfilerConfig("knobs.harness.EnergyProfiler", "root=/nonexistent;nvml=off")));
        assertTrue(e.getMessage().contains("/nonexistent does not exist"), e.getMessage());
        assertThrows(ProfilerException.class, () -> ProfilerFactory.getProfilerOrException(new ProfilerConfig("MemoryProfiler", "")),
                "JMH has short names for its own profilers only");
    }
}
