package knobs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Contention capture end to end: one tiny benchmark through benchmarks.jar's main, with no
 * {@code -prof}, while a thread of this (test) JVM spins. The benchmark runs in a JMH fork, so the
 * spinning thread is "another process" to it. Asserts presence and the spinner being seen, never
 * a time.
 */
class ContentionSmokeTest {
    private static final List<String> METRICS = List.of("contention.othersCpuMs", "contention.stealMs", "contention.wallMs",
            "contention.othersCores", "contention.runQueue", "contention.involuntaryCs", "contention.contended");
    private static final int ITERATIONS = 2;

    @TempDir
    Path dir;

    private volatile boolean spin = true;

    @Test
    void everyRunRecordsContentionAndSeesABusyNeighbour() throws Exception {
        Path result = dir.resolve("result.json");
        Thread busy = new Thread(() -> {
            long x = 0;
            while (spin) {
                x += System.nanoTime() & 1;
            }
            if (x == 42) {
                System.out.print(""); // keeps the loop from being optimised away
            }
        }, "busy-neighbour");
        busy.setDaemon(true);
        busy.start();
        try {
            assertEquals(0, Main.run(new String[]{"knobs.benchmarks.ModelSize.step", "-p", "size=tiny", "-p", "pass=forward",
                    "-p", "batchSize=1", "-p", "contextLength=16", "-wi", "0", "-i", Integer.toString(ITERATIONS), "-r", "400ms",
                    "-f", "1", "-foe", "true", "-jvmArgsAppend", "-Dknobs.env.dir=" + dir.resolve("knobs-env"),
                    "-rf", "json", "-rff", result.toString(), "-o", dir.resolve("jmh.log").toString()}, System.err));
        } finally {
            spin = false;
            busy.join();
        }
        JsonNode run = new ObjectMapper().readTree(result.toFile()).get(0);
        JsonNode secondary = run.get("secondaryMetrics");
        for (String m : METRICS) {
            JsonNode values = secondary.at("/" + m + "/rawData/0");
            assertEquals(ITERATIONS, values.size(), m + " must have one value per measurement iteration: " + secondary.fieldNames());
        }
        boolean seen = false;
        for (int i = 0; i < ITERATIONS; i++) {
            assertTrue(secondary.at("/contention.othersCpuMs/rawData/0/" + i).isNumber(), "a number in every iteration here");
            seen |= secondary.at("/contention.othersCpuMs/rawData/0/" + i).asDouble() > 0;
            double flag = secondary.at("/contention.contended/rawData/0/" + i).asDouble();
            assertTrue(flag == 0 || flag == 1, "contended is a 0/1 flag, was " + flag);
            assertTrue(secondary.at("/contention.involuntaryCs/rawData/0/" + i).asDouble() >= 0);
        }
        assertTrue(seen, "the spinning thread of the test JVM is other processes' CPU to the fork");

        Path sidecar;
        try (Stream<Path> s = Files.list(dir.resolve("knobs-env"))) {
            sidecar = s.filter(p -> p.getFileName().toString().startsWith("env-")).findFirst().orElseThrow();
        }
        JsonNode env = new ObjectMapper().readTree(sidecar.toFile());
        assertEquals("on", env.at("/contention/capture").asText(), env.toString());
        assertTrue(env.at("/contention/present").toString().contains("cpu_time"), env.toString());
        assertTrue(env.at("/fork_start/window_ms").isNumber(), "fork-start snapshot: " + env);
    }
}
