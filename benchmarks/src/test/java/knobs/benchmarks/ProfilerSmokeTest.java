package knobs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import knobs.harness.ComponentProfiler;
import knobs.harness.EnergyProfiler;
import knobs.harness.MemoryProfiler;
import knobs.harness.NoiseProfiler;
import knobs.kernels.CostModel;
import knobs.kernels.MemoryEstimate;
import knobs.kernels.Pass;
import knobs.kernels.Precision;
import knobs.kernels.Presets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.TimeValue;

/** The Knobs profilers through real JMH runs on {@code tiny}: their metrics land in JMH's JSON. */
class ProfilerSmokeTest {
    @TempDir
    Path dir;

    private JmhRuns jmh;

    @BeforeEach
    void runner() {
        jmh = new JmhRuns(dir);
    }

    @Test
    void memoryAndNoiseProfilersAndDeviceTimeLandInTheJson() throws Exception {
        JsonNode run = jmh.run(jmh.options("knobs.benchmarks.ModelSize.step").param("size", "tiny").param("pass", "forward")
                .param("batchSize", "1").param("contextLength", "16")
                .addProfiler(MemoryProfiler.class).addProfiler(NoiseProfiler.class)).get(0);
        long params = Presets.get("tiny").parameterCount() * Float.BYTES;
        assertEquals(params, metric(run, "mem.paramBytes", "bytes"), 0.0);
        double peak = metric(run, "mem.peakRss", "bytes");
        assertTrue(peak > params, "peak RSS " + peak + " must hold at least the parameters, " + params);
        double aboveBaseline = metric(run, "mem.peakRssAboveBaseline", "bytes");
        assertTrue(aboveBaseline > 0 && aboveBaseline < peak, "above baseline: " + aboveBaseline);
        MemoryEstimate estimate = MemoryEstimate.of(Presets.get("tiny"), Pass.FORWARD, 1, 16, Float.BYTES);
        assertEquals(estimate.total(), metric(run, "mem.estimate", "bytes"), 0.0);
        assertEquals(estimate.weights(), metric(run, "mem.estimateWeights", "bytes"), 0.0);
        assertTrue(metric(run, "mem.javacppPhysicalBytes", "bytes") > params);
        assertTrue(metric(run, "mem.javacppTotalBytes", "bytes") >= 0);
        assertTrue(run.at("/secondaryMetrics/mem.cudaPeakAllocated").isMissingNode(), "no CUDA metrics on the CPU");

        assertTrue(metric(run, "noise.gcCount", "count") >= 0);
        assertTrue(metric(run, "noise.gcMs", "ms") >= 0);
        assertTrue(metric(run, "noise.jitMs", "ms") >= 0);

        double deviceMsPerOp = JmhRuns.perOp(run, "deviceNs") / 1e6;
        double wallMsPerOp = run.at("/primaryMetric/rawData/0/0").asDouble();
        assertTrue(deviceMsPerOp > 0 && deviceMsPerOp <= wallMsPerOp, "device " + deviceMsPerOp + " ms/op, wall " + wallMsPerOp);
        assertEquals(CostModel.forward(Presets.get("tiny"), 1, 16, 0, Precision.FP32).flops(), JmhRuns.perOp(run, "flops"), 0.0);
    }

    @Test
    void energyProfilerReadsAFakePowercapTreeInTheFork() throws Exception {
        Path root = Files.createDirectories(dir.resolve("powercap"));
        long range = 262_143_328_850L;
        try (FakeCounter pkg = new FakeCounter(root, "intel-rapl:0", "package-0", 30.0, range);
             FakeCounter dram = new FakeCounter(root, "intel-rapl:0:0", "dram", 6.0, range)) {
            JsonNode run = jmh.run(jmh.options("knobs.benchmarks.ModelSize.step").param("size", "tiny").param("pass", "forward")
                    .param("batchSize", "1").param("contextLength", "16")
                    .addProfiler(EnergyProfiler.class, "root=" + root + ";nvml=off")).get(0);
            double pkgJ = metric(run, "energy.package-0", "J");
            double dramJ = metric(run, "energy.dram", "J");
            double total = metric(run, "energy.total", "J");
            assertEquals(pkgJ + dramJ, total, 1e-9);
            assertEquals(36.0, metric(run, "energy.watts", "W"), 12.0, "the fake counters run at 30 W + 6 W");
            double flops = run.at("/secondaryMetrics/flops/rawData/0/0").asDouble();
            assertEquals(flops / total, metric(run, "energy.flopsPerJoule", "FLOPs/J"), flops / total * 1e-9);
            double ops = run.at("/secondaryMetrics/ops/rawData/0/0").asDouble();
            assertEquals(total / ops, metric(run, "energy.joulesPerOp", "J/op"), total / ops * 0.01,
                    "one thread: every invocation of the iteration is counted by the ops counter too");
        }
    }

    @Test
    void energyProfilerWithoutCountersStopsTheRunBeforeAnyFork() {
        Path missing = dir.resolve("no-powercap");
        RunnerException e = assertThrows(RunnerException.class, () -> new Runner(jmh.options("knobs.benchmarks.ModelSize.step")
                .param("size", "tiny").param("pass", "forward").addProfiler(EnergyProfiler.class, "root=" + missing + ";nvml=off")
                .build()).run());
        assertEquals("Profilers failed to initialize, exiting.", e.getMessage());
        String cause = String.valueOf(e.getCause());
        assertTrue(cause.contains(missing + "/intel-rapl:*/{name,energy_uj,max_energy_range_uj}"), cause);
        assertTrue(Files.notExists(dir.resolve("result.json")), "nothing ran");
    }

    @Test
    void componentProfilerSplitsTheStepIntoComponentsThatAddUpToIt() throws Exception {
        JsonNode run = jmh.run(jmh.options("knobs.benchmarks.ModelSize.step").param("size", "tiny").param("pass", "forward")
                .param("batchSize", "1").param("contextLength", "16")
                .warmupIterations(1).warmupTime(TimeValue.milliseconds(100))
                .addProfiler(ComponentProfiler.class, "perLayer=true")).get(0);
        Map<String, Double> components = prefixed(run, "component.", "ns/op");
        for (String name : new String[] {"embedding", "norm", "attention.qkv", "attention.kernel", "attention.out", "mlp",
                "lm_head", "other", "L0.mlp", "L1.mlp", "L1.attention.qkv"}) {
            assertTrue(components.containsKey(name), name + " missing from " + components.keySet());
        }
        double stepNs = run.at("/primaryMetric/rawData/0/0").asDouble() * 1e6; // ms/op
        double sum = components.entrySet().stream().filter(e -> !e.getKey().startsWith("L"))
                .mapToDouble(Map.Entry::getValue).sum();
        assertEquals(stepNs, sum, stepNs * 1e-9, "the components and other add up to JMH's time per op: " + components);
        // A loose bound: this is one short iteration on a shared machine (ComponentSumTest bounds the rest
        // on the median of real steps); it catches a wrong divisor (per iteration instead of per op, ns as ms).
        double spans = sum - components.get("other");
        assertTrue(spans > 0.1 * stepNs && spans < 1.5 * stepNs, "spans " + spans + " ns of a " + stepNs + " ns step");
        double layers = components.entrySet().stream().filter(e -> e.getKey().startsWith("L"))
                .mapToDouble(Map.Entry::getValue).sum();
        double inBlocks = components.get("norm") + components.get("attention.qkv") + components.get("attention.kernel")
                + components.get("attention.out") + components.get("mlp");
        assertTrue(layers <= inBlocks * (1 + 1e-9) && layers >= components.get("mlp"),
                "per-layer times " + layers + " are the blocks' part of the totals " + inBlocks);

        Map<String, Double> flops = prefixed(run, "componentFlops.", "flops/op");
        assertEquals(JmhRuns.perOp(run, "flops"), flops.values().stream().mapToDouble(Double::doubleValue).sum(), 0.0,
                "the components' FLOPs are the step's: " + flops);
        Map<String, Double> bytes = prefixed(run, "componentBytes.", "bytes/op");
        assertEquals(JmhRuns.perOp(run, "bytes"), bytes.values().stream().mapToDouble(Double::doubleValue).sum(), 0.0,
                "the components' bytes are the step's: " + bytes);
        List<String> timed = new ArrayList<>(components.keySet());
        assertTrue(timed.containsAll(flops.keySet()), "every component with work is timed: " + flops.keySet() + " vs " + timed);
    }

    @Test
    void withoutWarmupTheFirstIterationHoldsTheSetupAndItsComponentsAreNaN() throws Exception {
        JsonNode run = jmh.run(jmh.options("knobs.benchmarks.ModelSize.step").param("size", "tiny").param("pass", "forward")
                .param("batchSize", "1").param("contextLength", "16").measurementIterations(2)
                .addProfiler(ComponentProfiler.class)).get(0);
        JsonNode mlp = run.at("/secondaryMetrics/component.mlp/rawData/0");
        assertEquals("NaN", mlp.get(0).asText(), "iteration 1 ran the trial setup: " + mlp);
        assertTrue(mlp.get(1).asDouble() > 0, "iteration 2 is a step's: " + mlp);
    }

    /** Secondary metrics named {@code prefix...} (first fork, last iteration), by the rest of the name, checking the unit. */
    private static Map<String, Double> prefixed(JsonNode run, String prefix, String unit) {
        Map<String, Double> out = new TreeMap<>();
        run.get("secondaryMetrics").fields().forEachRemaining(e -> {
            if (e.getKey().startsWith(prefix)) {
                assertEquals(unit, e.getValue().get("scoreUnit").asText(), e.getKey());
                JsonNode iterations = e.getValue().at("/rawData/0");
                out.put(e.getKey().substring(prefix.length()), iterations.get(iterations.size() - 1).asDouble());
            }
        });
        return out;
    }

    /** A secondary metric's value in the first iteration of the first fork, checking its unit. */
    private static double metric(JsonNode run, String name, String unit) {
        JsonNode m = run.at("/secondaryMetrics/" + name);
        assertTrue(!m.isMissingNode(), name + " missing from " + run.get("secondaryMetrics").fieldNames());
        assertEquals(unit, m.get("scoreUnit").asText(), name);
        return m.at("/rawData/0/0").asDouble();
    }

    /**
     * A powercap zone whose energy_uj a background thread advances at a fixed power, following the
     * elapsed time (so readings measure the power however the thread is scheduled). Writes go
     * through a rename, so the fork never reads half a file.
     */
    private static final class FakeCounter implements AutoCloseable {
        private final Thread thread;
        private volatile boolean running = true;

        FakeCounter(Path root, String id, String name, double watts, long rangeUj) throws IOException {
            Path zone = Files.createDirectories(root.resolve(id));
            Files.writeString(zone.resolve("name"), name + "\n", StandardCharsets.US_ASCII);
            Files.writeString(zone.resolve("max_energy_range_uj"), rangeUj + "\n", StandardCharsets.US_ASCII);
            Path file = zone.resolve("energy_uj");
            Path tmp = zone.resolve(".energy_uj.tmp");
            long t0 = System.nanoTime();
            Files.writeString(file, "0\n", StandardCharsets.US_ASCII);
            thread = new Thread(() -> {
                while (running) {
                    long uj = (long) ((System.nanoTime() - t0) * 1e-3 * watts) % (rangeUj + 1);
                    try {
                        Files.writeString(tmp, uj + "\n", StandardCharsets.US_ASCII);
                        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                        Thread.sleep(2);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "fake-rapl-" + name);
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join();
        }
    }
}
