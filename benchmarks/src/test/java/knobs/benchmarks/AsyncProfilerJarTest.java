package knobs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code -prof async} from the shaded jar with nothing installed: a tiny configuration's flame graph
 * holds libtorch (ATen) and OpenBLAS frames, i.e. the profiler sees native time. Skipped, saying why,
 * where the profiler cannot attach (no bundled library for this platform, or the run reports it could
 * not start). Runs in the verify phase like {@link BenchmarksJarTest}.
 */
class AsyncProfilerJarTest {
    @TempDir
    Path dir;

    @Test
    void aTinyConfigurationsFlameGraphShowsLibtorchAndOpenBlasFrames() throws Exception {
        String path = System.getProperty("knobs.benchmarksJar");
        assumeTrue(path != null, "runs on the shaded jar in the verify phase (benchmarks/pom.xml, execution shaded-jar)");
        assumeTrue(AsyncProfilerLib.platform(System.getProperty("os.name"), System.getProperty("os.arch")) != null,
                "async-profiler's jar carries no library for " + System.getProperty("os.name") + "/" + System.getProperty("os.arch"));
        Path out = dir.resolve("out.txt");
        // ModelSize tiny, one 1 s iteration: enough samples at async-profiler's 10 ms interval to hold the matmuls.
        List<String> cmd = List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-Djmh.ignoreLock=true",
                "-D" + AsyncProfilerLib.CACHE_PROPERTY + "=" + dir.resolve("cache"), "-D" + ClassDataArchive.SWITCH_PROPERTY + "=off",
                "-jar", Paths.get(path).toString(),
                "ModelSize", "-p", "size=tiny", "-p", "pass=forward", "-p", "batchSize=1", "-p", "contextLength=64",
                "-f", "1", "-wi", "0", "-i", "1", "-r", "1s", "-prof", "async:output=flamegraph;direction=forward;dir=" + dir.resolve("prof"));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the profiled run did not end in 5 minutes");
        String text = Files.readString(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            // Only a profiler that cannot attach is a reason to skip; anything else fails the test.
            boolean cannotAttach = text.contains("AsyncProfiler") || text.contains("async-profiler") || text.contains("asyncProfiler");
            assumeTrue(!cannotAttach, "async-profiler could not attach here: " + text.lines().filter(l -> l.startsWith("knobs:")).toList());
        }
        assertEquals(0, p.exitValue(), text);
        Path graph;
        try (Stream<Path> s = Files.walk(dir.resolve("prof"))) {
            graph = s.filter(f -> f.getFileName().toString().equals("flame-cpu-forward.html")
                    || f.getFileName().toString().equals("flame-itimer-forward.html")).findFirst().orElse(null);
        }
        assertTrue(graph != null, "no flame graph under " + dir.resolve("prof") + ":\n" + text);
        assertTrue(graph.getParent().getFileName().toString().contains("size-tiny"), "one folder per configuration: " + graph);
        String html = Files.readString(graph, StandardCharsets.UTF_8);
        assertTrue(html.contains("at::"), "libtorch (ATen) frames in " + graph);
        assertTrue(html.contains("gemm") || html.contains("openblas") || html.contains("blas_thread"), "OpenBLAS frames in " + graph);
        assertTrue(html.contains("torch"), "libtorch frames in " + graph);
    }
}
