package knobs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the launcher completes {@code -prof async}: the bundled library as libPath, itimer where perf events are refused. */
class AsyncProfilerLibTest {
    @TempDir
    Path cache;

    private String withCache(java.util.function.Supplier<String> body) {
        String before = System.getProperty(AsyncProfilerLib.CACHE_PROPERTY);
        System.setProperty(AsyncProfilerLib.CACHE_PROPERTY, cache.toString());
        try {
            return body.get();
        } finally {
            if (before == null) {
                System.clearProperty(AsyncProfilerLib.CACHE_PROPERTY);
            } else {
                System.setProperty(AsyncProfilerLib.CACHE_PROPERTY, before);
            }
        }
    }

    @Test
    void platformsTheJarCarries() {
        assertEquals("linux-x64", AsyncProfilerLib.platform("Linux", "amd64"));
        assertEquals("linux-arm64", AsyncProfilerLib.platform("Linux", "aarch64"));
        assertEquals("macos", AsyncProfilerLib.platform("Mac OS X", "aarch64"));
        assertNull(AsyncProfilerLib.platform("Windows 11", "amd64"));
        assertNull(AsyncProfilerLib.platform("Linux", "riscv64"));
        assertTrue(AsyncProfilerLib.isAsync("async"));
        assertTrue(AsyncProfilerLib.isAsync("async:output=flamegraph"));
        assertTrue(AsyncProfilerLib.isAsync("org.openjdk.jmh.profile.AsyncProfiler:dir=x"));
        assertFalse(AsyncProfilerLib.isAsync("asyncx"));
        assertFalse(AsyncProfilerLib.isAsync("knobs.harness.ComponentProfiler"));
    }

    @Test
    void theBundledLibraryIsExtractedOnceAndGivenAsLibPath() throws Exception {
        assumeTrue(AsyncProfilerLib.platform(System.getProperty("os.name"), System.getProperty("os.arch")) != null,
                "the async-profiler jar carries no library for " + System.getProperty("os.name") + "/" + System.getProperty("os.arch"));
        List<String> notes = new ArrayList<>();
        String spec = withCache(() -> AsyncProfilerLib.complete("async:output=flamegraph;dir=prof", notes::add, lib -> null));
        assertTrue(spec.startsWith("async:libPath=" + cache.resolve("async-profiler")), spec);
        assertTrue(spec.endsWith(";output=flamegraph;dir=prof"), spec);
        Path lib = Path.of(spec.substring("async:libPath=".length(), spec.indexOf(';')));
        assertTrue(Files.size(lib) > 100_000, "the native library, not a stub: " + lib);
        long modified = Files.getLastModifiedTime(lib).toMillis();
        assertEquals(spec, withCache(() -> AsyncProfilerLib.complete("async:output=flamegraph;dir=prof", notes::add, l -> null)));
        assertEquals(modified, Files.getLastModifiedTime(lib).toMillis(), "extracted once, then reused");
        assertEquals(List.of(), notes, "perf events available: no note, event left to JMH's default (cpu)");
        assertFalse(spec.contains("event="), spec);

        // No options at all, and the other spellings of -prof on a command line.
        assertTrue(withCache(() -> AsyncProfilerLib.complete("async", notes::add, l -> null)).startsWith("async:libPath="));
        List<String> args = List.of(withCache(() -> String.join(" ", AsyncProfilerLib.complete(
                List.of("-prof", "async", "--prof=async:dir=d", "-prof", "knobs.harness.NoiseProfiler", "--", "-prof", "async"),
                notes::add))).split(" "));
        assertTrue(args.get(1).startsWith("async:libPath="), args.toString());
        assertTrue(args.get(2).startsWith("--prof=async:libPath=") && args.get(2).endsWith(";dir=d"), args.toString());
        assertEquals("knobs.harness.NoiseProfiler", args.get(4));
        assertEquals(List.of("--", "-prof", "async"), args.subList(5, 8), "after -- come benchmark patterns, left alone");
    }

    @Test
    void whereThePerfEventsAreRefusedItimerIsChosenWithANote() {
        assumeTrue(AsyncProfilerLib.platform(System.getProperty("os.name"), System.getProperty("os.arch")) != null, "no bundled library here");
        List<String> notes = new ArrayList<>();
        String spec = withCache(() -> AsyncProfilerLib.complete("async:output=flamegraph", notes::add, lib -> "Perf events unavailable"));
        assertTrue(spec.endsWith(";output=flamegraph;event=itimer"), spec);
        assertEquals(1, notes.size(), notes.toString());
        assertTrue(notes.get(0).startsWith("-prof async: perf events are not available to this process (Perf events unavailable;"
                + " kernel.perf_event_paranoid = ") && notes.get(0).contains("sampling with event=itimer"), notes.get(0));

        // The user's own choices are kept: their event, their library.
        notes.clear();
        assertEquals("async:libPath=/opt/ap/lib.so;event=wall", AsyncProfilerLib.complete("async:libPath=/opt/ap/lib.so;event=wall",
                notes::add, lib -> "Perf events unavailable"));
        assertEquals(List.of(), notes);
    }
}
