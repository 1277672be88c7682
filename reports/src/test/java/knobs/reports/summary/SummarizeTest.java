package knobs.reports.summary;

import knobs.reports.fixtures.Cli;
import knobs.reports.fixtures.JmhFixture;
import knobs.reports.fixtures.OutputFolder;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static knobs.reports.fixtures.JmhFixture.file;
import static knobs.reports.fixtures.JmhFixture.run;
import static knobs.reports.fixtures.JmhFixture.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Behaviour of {@code summarize} on small hand-made inputs whose results are known. */
class SummarizeTest {

    @TempDir
    Path dir;

    private static final double[][] TEN_MS = {{10, 10, 10}};

    private JsonNode summarize(String... args) throws IOException {
        Cli cli = cli(args);
        assertEquals(0, cli.exit(), cli.err());
        return JmhFixture.MAPPER.readTree(dir.resolve("out/summary.json").toFile());
    }

    private Cli cli(String... args) {
        List<String> all = new ArrayList<>(List.of("summarize"));
        all.addAll(Arrays.asList(args));
        // Figures are tested in ReportPageTest; here only the data files matter.
        all.addAll(List.of("--out", "out", "--no-plots"));
        return Cli.run(dir, all.toArray(String[]::new));
    }

    private void sidecars(JsonNode... sidecars) {
        for (int i = 0; i < sidecars.length; i++) {
            write(dir.resolve("knobs-env/env-" + i + ".json"), sidecars[i]);
        }
    }

    @Test
    void paramsKeepTheirTypes() throws IOException {
        write(dir.resolve("a.json"), file(run("p.MoeTopK.forward", "avgt", "ms/op")
                .params("topK", "8", "ratio", "0.25", "phase", "prefill", "id", "007").primary(TEN_MS)));
        JsonNode out = summarize("a.json");
        JsonNode params = out.at("/summary/0/params");
        assertTrue(params.get("topK").isIntegralNumber());
        assertEquals(8, params.get("topK").asInt());
        assertTrue(params.get("ratio").isFloatingPointNumber());
        assertEquals(0.25, params.get("ratio").asDouble());
        assertTrue(params.get("phase").isTextual());
        assertEquals("007", params.get("id").asText());
        assertEquals(params, out.at("/all_samples/2/params"));
        assertEquals("MoeTopK.forward", out.at("/summary/0/benchmark").asText());
        String csv = Files.readString(dir.resolve("out/summary.csv"));
        assertTrue(csv.startsWith("benchmark,param.id,param.phase,param.ratio,param.topK,mode,"), csv);
        assertTrue(csv.contains("\nMoeTopK.forward,007,prefill,0.25,8,avgt,ms/op,10.0,"), csv);
    }

    @Test
    void throughputIsInvertedToSecondsPerOp() throws IOException {
        double[][] ops = {{2000, 2000, 4000}};
        write(dir.resolve("a.json"), file(run("p.Seq.prefill", "thrpt", "ops/ms").primary(new double[][] {{2, 2, 4}})
                .counter("ops", ops).counter("flops", JmhFixture.scaled(ops, 1e6))));
        JsonNode row = summarize("a.json").at("/summary/0");
        assertEquals(2.0, row.get("median").asDouble());
        assertEquals(5e-4, row.get("seconds_per_op").asDouble(), 1e-18);
        assertEquals(1e6, row.get("flops").asDouble());
        assertEquals(2e9, row.get("achieved_flops_per_s").asDouble(), 1e-3);
    }

    @Test
    void countersBecomePerOpMediansAndOtherMetricsKeepTheirUnit() throws IOException {
        double[][] ops = {{100, 50}, {200, 100}};
        write(dir.resolve("a.json"), file(run("p.MoeTopK.forward", "avgt", "ms/op")
                .primary(new double[][] {{10, 20}, {5, 10}})
                .counter("ops", ops)
                .counter("flops", JmhFixture.scaled(ops, 3e6))
                .counter("tokens", JmhFixture.scaled(ops, 4))
                .counter("bytes", new double[][] {{100 * 1, 50 * 2}, {200 * 3, 100 * 4}})
                .counter("prefillNs", new double[][] {{100 * 7e6, 50 * 9e6}, {200 * 8e6, 100 * 6e6}})
                .metric("·gc.alloc.rate", "MB/sec", new double[][] {{1, 2}, {3, 40}})));
        JsonNode out = summarize("a.json");
        JsonNode row = out.at("/summary/0");
        assertEquals(3e6, row.get("flops").asDouble());
        assertEquals(4.0, row.get("tokens").asDouble());
        assertEquals(2.5, row.get("bytes").asDouble(), "median of per-op bytes 1, 2, 3, 4");
        assertEquals(0.010, row.get("seconds_per_op").asDouble(), 1e-15);
        assertEquals(3e8, row.get("achieved_flops_per_s").asDouble(), 1e-6);
        assertEquals(250.0, row.get("achieved_bytes_per_s").asDouble(), 1e-9);
        assertEquals(400.0, row.get("tokens_per_s").asDouble(), 1e-9);
        JsonNode secondary = row.get("secondary");
        assertEquals(List.of("prefillNs", "·gc.alloc.rate", "·gc.alloc.rate.unit"), names(secondary));
        assertEquals(7.5e6, secondary.get("prefillNs").asDouble());
        assertEquals(2.5, secondary.get("·gc.alloc.rate").asDouble());
        assertEquals("MB/sec", secondary.get("·gc.alloc.rate.unit").asText());
        // Samples keep the raw iteration totals, so per-op values can be recomputed from them.
        JsonNode sample = out.at("/all_samples/3");
        assertEquals(1, sample.get("fork").asInt());
        assertEquals(1, sample.get("iteration").asInt());
        assertEquals(10.0, sample.get("value").asDouble());
        assertEquals(100.0, sample.at("/secondary/ops").asDouble());
        assertEquals(400.0, sample.at("/secondary/bytes").asDouble());
        assertEquals(40.0, sample.at("/secondary/·gc.alloc.rate").asDouble());
        String samplesCsv = Files.readString(dir.resolve("out/samples.csv"));
        // The seed scripts' names: this sample's time and its prefill stage in ms per op (6e6 ns in each of 100 ops).
        assertEquals(10.0, sample.get("T_total_ms").asDouble());
        assertEquals(6.0, sample.get("T_LLM_prefill_ms").asDouble(), 1e-12);
        assertTrue(samplesCsv.startsWith("sample_id,benchmark,mode,fork,iteration,value,unit,T_total_ms,T_LLM_prefill_ms,secondary.bytes,"
                + "secondary.flops,secondary.ops,secondary.prefillNs,secondary.tokens,secondary.·gc.alloc.rate\n"), samplesCsv);
    }

    @Test
    void missingCountersGiveNullsNotZeros() throws IOException {
        write(dir.resolve("a.json"), file(run("p.A.b", "avgt", "us/op").primary(TEN_MS)));
        JsonNode row = summarize("a.json").at("/summary/0");
        for (String field : List.of("flops", "bytes", "tokens", "achieved_flops_per_s", "achieved_bytes_per_s",
                "tokens_per_s", "percent_of_flops_ceiling", "percent_of_bytes_ceiling")) {
            assertTrue(row.get(field).isNull(), field);
        }
        assertEquals(1e-5, row.get("seconds_per_op").asDouble(), 1e-20);
    }

    /** Calibration.gemm at 1 ms and 2 ms for 1e9 FLOPs: ceilings are the faster, 1e12 FLOP/s. */
    private void calibrationAndModel() {
        double[][] ops = {{1000, 1000, 1000}};
        write(dir.resolve("cal.json"), file(
                run("k.Calibration.gemm", "avgt", "ms/op").params("n", "1").primary(new double[][] {{1, 1, 1}})
                        .counter("ops", ops).counter("flops", JmhFixture.scaled(ops, 1e9)),
                run("k.Calibration.gemm", "avgt", "ms/op").params("n", "2").primary(new double[][] {{2, 2, 2}})
                        .counter("ops", ops).counter("flops", JmhFixture.scaled(ops, 1e9)),
                run("k.Calibration.copy", "avgt", "ms/op").primary(new double[][] {{4, 4, 4}})
                        .counter("ops", ops).counter("bytes", JmhFixture.scaled(ops, 4e9))));
        double[][] modelOps = {{100, 100, 100}};
        write(dir.resolve("model.json"), file(run("k.MoeTopK.forward", "avgt", "ms/op").primary(TEN_MS)
                .counter("ops", modelOps).counter("flops", JmhFixture.scaled(modelOps, 1e9))
                .counter("bytes", JmhFixture.scaled(modelOps, 1e9))));
    }

    @Test
    void ceilingsComeFromCalibrationInTheSameRun() throws IOException {
        calibrationAndModel();
        JsonNode out = summarize("model.json", "cal.json");
        JsonNode ceilings = out.at("/environment/ceilings");
        assertEquals(1e12, ceilings.get("flops_per_s").asDouble(), 1);
        assertEquals(1e12, ceilings.get("bytes_per_s").asDouble(), 1);
        assertEquals("Calibration (same run)", ceilings.get("source").asText());
        JsonNode model = out.at("/summary/3");
        assertEquals("MoeTopK.forward", model.get("benchmark").asText());
        assertEquals(10.0, model.get("percent_of_flops_ceiling").asDouble(), 1e-9);
        assertEquals(10.0, model.get("percent_of_bytes_ceiling").asDouble(), 1e-9);
        assertTrue(ceilings.get("read_bytes_per_s").isNull(), "no Calibration.read among the inputs");
        // Without a read ceiling the roofline's memory side is the copy's: max(1e9 / 1e12, 1e9 / 1e12) s.
        assertEquals(1e-3, model.get("roofline_seconds").asDouble(), 1e-15);
        assertEquals("compute", model.get("roofline_bound").asText(), "a tie counts as compute, as the roofline's ridge does");
        assertEquals(10.0, model.get("percent_of_roofline_bound").asDouble(), 1e-9);
        // Calibration rows stay in the summary.
        assertEquals("Calibration.copy", out.at("/summary/0/benchmark").asText());
        assertEquals(50.0, out.at("/summary/2/percent_of_flops_ceiling").asDouble(), 1e-9);
    }

    /**
     * Calibration.read at 2 ms for 4e9 bytes read: a 2e12 B/s read ceiling, twice the copy's. A row of
     * 1e9 FLOPs and 4e9 bytes at 10 ms is bound by max(1e9 / 1e12, 4e9 / 2e12) = 2 ms on the memory
     * side: 20 % of its bound, while its percent of the (copy) bytes/s ceiling stays 40 %.
     */
    @Test
    void theRooflineBoundUsesTheReadCeilingWhenItIsFaster() throws IOException {
        calibrationAndModel();
        double[][] ops = {{1000, 1000, 1000}};
        write(dir.resolve("read.json"), file(run("k.Calibration.read", "avgt", "ms/op").params("readMiB", "256")
                .primary(new double[][] {{2, 2, 2}}).counter("ops", ops).counter("flops", JmhFixture.scaled(ops, 1e9))
                .counter("bytes", JmhFixture.scaled(ops, 4e9))));
        double[][] modelOps = {{100, 100, 100}};
        write(dir.resolve("moe.json"), file(run("k.MoeDispatch.moe", "avgt", "ms/op").primary(TEN_MS)
                .counter("ops", modelOps).counter("flops", JmhFixture.scaled(modelOps, 1e9))
                .counter("bytes", JmhFixture.scaled(modelOps, 4e9))));
        Cli cli = cli("moe.json", "cal.json", "read.json");
        assertEquals(0, cli.exit(), cli.err());
        JsonNode out = JmhFixture.MAPPER.readTree(dir.resolve("out/summary.json").toFile());
        JsonNode ceilings = out.at("/environment/ceilings");
        assertEquals(2e12, ceilings.get("read_bytes_per_s").asDouble(), 1);
        assertEquals(1e12, ceilings.get("bytes_per_s").asDouble(), 1);
        JsonNode moe = out.at("/summary/4");
        assertEquals("MoeDispatch.moe", moe.get("benchmark").asText());
        assertEquals(2e-3, moe.get("roofline_seconds").asDouble(), 1e-15);
        assertEquals("memory", moe.get("roofline_bound").asText());
        assertEquals(20.0, moe.get("percent_of_roofline_bound").asDouble(), 1e-9);
        assertEquals(40.0, moe.get("percent_of_bytes_ceiling").asDouble(), 1e-9, "the copy ceiling's percentage is unchanged");
        // The analyses put the row under the same roof: roofline.json's bound and fraction agree with the row's.
        JsonNode roofline = JmhFixture.MAPPER.readTree(dir.resolve("out/roofline.json").toFile());
        assertEquals(0.5, roofline.at("/ceilings/ridge_flops_per_byte").asDouble(), 1e-12);
        int found = 0;
        for (JsonNode p : roofline.get("points")) {
            if (p.get("benchmark").asText().equals("MoeDispatch.moe")) {
                assertEquals(2e-3, p.get("roofline_seconds").asDouble(), 1e-15);
                assertEquals(0.2, p.get("fraction_of_bound").asDouble(), 1e-12);
                found++;
            }
        }
        assertEquals(1, found, roofline.toString());
        String csv = Files.readString(dir.resolve("out/summary.csv"));
        assertTrue(csv.lines().findFirst().orElseThrow().contains(",roofline_seconds,roofline_bound,percent_of_roofline_bound,"), csv);
        List<String> header = List.of(csv.lines().findFirst().orElseThrow().split(","));
        String[] line = csv.lines().filter(l -> l.startsWith("MoeDispatch.moe,")).findFirst().orElseThrow().split(",");
        assertEquals("memory", line[header.indexOf("roofline_bound")]);
        assertEquals(20.0, Double.parseDouble(line[header.indexOf("percent_of_roofline_bound")]), 1e-9);
    }

    @Test
    void aCeilingsFileMayGiveTheReadBandwidthAlone() throws IOException {
        calibrationAndModel();
        write(dir.resolve("ceil.json"), "{\"read_bytes_per_s\": 5e11}");
        JsonNode out = summarize("model.json", "--ceilings", "ceil.json");
        assertEquals(5e11, out.at("/environment/ceilings/read_bytes_per_s").asDouble());
        assertTrue(out.at("/summary/0/percent_of_bytes_ceiling").isNull(), "no copy ceiling");
        assertTrue(out.at("/summary/0/percent_of_roofline_bound").isNull(), "no FLOP/s ceiling: no bound is guessed");
        assertTrue(out.at("/summary/0/roofline_bound").isNull());
        write(dir.resolve("ceil.json"), "{\"flops_per_s\": 1e12, \"read_bytes_per_s\": 5e11}");
        out = summarize("model.json", "--ceilings", "ceil.json");
        assertEquals(2e-3, out.at("/summary/0/roofline_seconds").asDouble(), 1e-15); // 1e9 bytes / 5e11
        assertEquals(20.0, out.at("/summary/0/percent_of_roofline_bound").asDouble(), 1e-9);
    }

    @Test
    void aRowFasterThanItsRooflineBoundIsWarnedAbout() throws IOException {
        calibrationAndModel();
        write(dir.resolve("ceil.json"), "{\"flops_per_s\": 1e12, \"read_bytes_per_s\": 5e10}");
        Cli cli = cli("model.json", "--ceilings", "ceil.json");
        assertEquals(0, cli.exit(), cli.err());
        // bound 1e9 bytes / 5e10 B/s = 20 ms against 10 ms measured
        assertTrue(cli.err().contains("MoeTopK.forward (avgt) from model.json reaches 200.0% of its roofline bound"), cli.err());
    }

    @Test
    void noCalibrationMeansNoCeilingsAndNoPercentages() throws IOException {
        calibrationAndModel();
        JsonNode out = summarize("model.json");
        assertTrue(out.at("/environment/ceilings").isNull());
        assertTrue(out.at("/summary/0/percent_of_flops_ceiling").isNull());
        assertEquals(1e11, out.at("/summary/0/achieved_flops_per_s").asDouble(), 1);
    }

    @Test
    void ceilingsFileOverridesCalibration() throws IOException {
        calibrationAndModel();
        write(dir.resolve("ceil.json"), "{\"flops_per_s\": 2e11}");
        JsonNode out = summarize("model.json", "cal.json", "--ceilings", "ceil.json");
        assertEquals(2e11, out.at("/environment/ceilings/flops_per_s").asDouble());
        assertTrue(out.at("/environment/ceilings/bytes_per_s").isNull());
        assertEquals("ceil.json", out.at("/environment/ceilings/source").asText());
        assertEquals(50.0, out.at("/summary/3/percent_of_flops_ceiling").asDouble(), 1e-9);
        assertTrue(out.at("/summary/3/percent_of_bytes_ceiling").isNull());
        assertEquals("[\"model.json\",\"cal.json\",\"ceil.json\"]", out.at("/environment/sources").toString());
    }

    @Test
    void rateAboveTheCeilingIsWarnedAbout() throws IOException {
        calibrationAndModel();
        write(dir.resolve("ceil.json"), "{\"flops_per_s\": 5e10}");
        Cli cli = cli("model.json", "--ceilings", "ceil.json");
        assertEquals(0, cli.exit(), cli.err());
        assertTrue(cli.err().contains("MoeTopK.forward (avgt) from model.json achieves 200.0% of the FLOP/s ceiling"), cli.err());
    }

    @Test
    void sidecarsMergeAndDifferingFieldsAreReportedUnderVaries() throws IOException {
        write(dir.resolve("a.json"), file(run("p.A.b", "avgt", "ms/op").primary(TEN_MS)));
        var first = JmhFixture.sidecar("2026-11-23T12:00:00Z").put("hostname", "node-a");
        var second = JmhFixture.sidecar("2026-11-23T12:01:00Z").put("hostname", "node-b");
        second.remove("cores");
        sidecars(first, second);
        Cli cli = cli("a.json");
        assertEquals(0, cli.exit(), cli.err());
        JsonNode env = JmhFixture.MAPPER.readTree(dir.resolve("out/summary.json").toFile()).get("environment");
        assertEquals("2.10.0", env.get("libtorch").asText());
        assertEquals("cpu", env.get("device").asText());
        assertEquals(2, env.get("intraop_threads").asInt());
        assertEquals("1.37", env.get("jmh").asText());
        assertEquals(1, env.get("threads").asInt());
        assertEquals(JmhFixture.JVM_NAME + " " + JmhFixture.JVM_VERSION, env.get("jvm").asText());
        assertFalse(env.has("hostname"));
        assertFalse(env.has("schema"));
        assertFalse(env.has("captured_at"));
        assertEquals("[\"node-a\",\"node-b\"]", env.at("/varies/hostname").toString());
        assertEquals("[2,null]", env.at("/varies/cores").toString());
        assertEquals(2, env.at("/sidecar/files").asInt());
        assertEquals("2026-11-23T12:00:00Z", env.at("/sidecar/first_captured_at").asText());
        assertEquals("2026-11-23T12:01:00Z", env.at("/sidecar/last_captured_at").asText());
        assertEquals("[\"a.json\",\"knobs-env/env-0.json\",\"knobs-env/env-1.json\"]", env.get("sources").toString());
        assertTrue(cli.err().contains("environment field 'hostname' differs between sources: [\"node-a\", \"node-b\"]"), cli.err());
        assertTrue(cli.err().contains("environment field 'cores' differs"), cli.err());
    }

    @Test
    void theClassDataArchivesPathIsNotAVaryingEnvironmentButOtherJvmArgsAre() throws IOException {
        String archiveA = "-XX:SharedArchiveFile=/home/u/.cache/knobs/cds/benchmarks-1a2b.jsa";
        String archiveB = "-XX:SharedArchiveFile=/home/u/.cache/knobs/cds/benchmarks-9f8e.jsa";
        write(dir.resolve("a.json"), file(run("p.A.b", "avgt", "ms/op").primary(TEN_MS).jvmArgs("-Xmx2g", archiveA, "-Xshare:auto")));
        write(dir.resolve("b.json"), file(run("p.A.c", "avgt", "ms/op").primary(TEN_MS).jvmArgs("-Xmx2g", archiveB, "-Xshare:auto")));
        sidecars(JmhFixture.sidecar("2026-11-23T12:00:00Z"));
        Cli cli = cli("a.json", "b.json");
        assertEquals(0, cli.exit(), cli.err());
        JsonNode env = JmhFixture.MAPPER.readTree(dir.resolve("out/summary.json").toFile()).get("environment");
        assertEquals("[\"-Xmx2g\",\"-XX:SharedArchiveFile=<class-data archive>\",\"-Xshare:auto\"]", env.get("jvm_args").toString());
        assertFalse(env.get("varies").has("jvm_args"), env.toString());
        assertFalse(cli.err().contains("jvm_args"), cli.err());

        write(dir.resolve("c.json"), file(run("p.A.d", "avgt", "ms/op").primary(TEN_MS).jvmArgs("-Xmx4g", archiveB, "-Xshare:auto")));
        Cli varying = cli("a.json", "c.json");
        assertEquals(0, varying.exit(), varying.err());
        assertTrue(varying.err().contains("environment field 'jvm_args' differs"), varying.err());
    }

    @Test
    void eachForksStartIsSummarizedByTheBusiestNotReportedAsVarying() throws IOException {
        write(dir.resolve("a.json"), file(run("p.A.b", "avgt", "ms/op").primary(TEN_MS)));
        var first = JmhFixture.sidecar("2026-11-23T12:00:00Z");
        first.putObject("fork_start").put("window_ms", 812.5).put("others_cores", 0.04).put("run_queue", 1);
        var second = JmhFixture.sidecar("2026-11-23T12:01:00Z");
        second.putObject("fork_start").put("window_ms", 790.0).put("others_cores", 1.02).put("run_queue", 3);
        sidecars(first, second);
        Cli cli = cli("a.json");
        assertEquals(0, cli.exit(), cli.err());
        JsonNode env = JmhFixture.MAPPER.readTree(dir.resolve("out/summary.json").toFile()).get("environment");
        assertEquals("{\"sidecars\":2,\"others_cores_max\":1.02,\"run_queue_max\":3.0,\"window_ms_max\":812.5}",
                env.get("fork_start").toString());
        assertFalse(env.get("varies").has("fork_start"));
        assertFalse(cli.err().contains("fork_start"), cli.err());
    }

    @Test
    void noSidecarIsAWarningAndANullSidecar() throws IOException {
        write(dir.resolve("results/a.json"), file(run("p.A.b", "avgt", "ms/op").primary(TEN_MS)));
        Cli cli = cli("results/a.json");
        assertEquals(0, cli.exit(), cli.err());
        JsonNode env = JmhFixture.MAPPER.readTree(dir.resolve("out/summary.json").toFile()).get("environment");
        assertTrue(env.get("sidecar").isNull());
        assertFalse(env.has("libtorch"));
        assertTrue(cli.err().contains("no environment sidecar (env-*.json) found; looked in results/knobs-env, knobs-env"), cli.err());
    }

    @Test
    void sidecarsAreLookedForBesideTheInputFirst() throws IOException {
        write(dir.resolve("results/a.json"), file(run("p.A.b", "avgt", "ms/op").primary(TEN_MS)));
        write(dir.resolve("results/knobs-env/env-7.json"), JmhFixture.sidecar("t").put("device", "cuda"));
        sidecars(JmhFixture.sidecar("t").put("device", "cpu"));
        JsonNode env = summarize("results/a.json").get("environment");
        assertEquals("cuda", env.get("device").asText());
        assertEquals("[\"results/a.json\",\"results/knobs-env/env-7.json\"]", env.get("sources").toString());
    }

    @Test
    void envOptionTakesAFileOrAFolder() throws IOException {
        write(dir.resolve("a.json"), file(run("p.A.b", "avgt", "ms/op").primary(TEN_MS)));
        write(dir.resolve("elsewhere/mine.json"), JmhFixture.sidecar("t").put("device", "cuda"));
        write(dir.resolve("elsewhere/env-1.json"), JmhFixture.sidecar("t").put("device", "mps"));
        assertEquals("cuda", summarize("a.json", "--env", "elsewhere/mine.json").at("/environment/device").asText());
        assertEquals("mps", summarize("a.json", "--env", "elsewhere").at("/environment/device").asText());
    }

    @Test
    void sampleModeUsesTheCountWeightedMeanOfEachIteration() throws IOException {
        write(dir.resolve("a.json"), file(run("p.A.b", "sample", "ms/op").histogram(new double[][][][] {
                {{{1.0, 3}, {2.0, 1}}, {{4.0, 2}}}})));
        JsonNode out = summarize("a.json");
        assertEquals(1.25, out.at("/all_samples/0/value").asDouble());
        assertEquals(4.0, out.at("/all_samples/1/value").asDouble());
        assertEquals(2.625, out.at("/summary/0/median").asDouble());
        assertEquals(2, out.at("/summary/0/n").asInt());
    }

    @Test
    void profilerMetricsMissingInSomeIterationsOrNaNAreLeftOutWithAWarning() throws IOException {
        var nan = JmhFixture.MAPPER.createArrayNode();
        nan.addArray().add("NaN").add(1.0).add(1.0);
        write(dir.resolve("a.json"), file(run("p.A.b", "avgt", "ms/op").primary(TEN_MS)
                .metric("·gc.time", "ms", new double[][] {{5}})
                .metricRaw("·gc.alloc.rate", "MB/sec", nan)
                .metric("·gc.count", "counts", new double[][] {{0, 1, 0}})));
        Cli cli = cli("a.json");
        assertEquals(0, cli.exit(), cli.err());
        JsonNode out = JmhFixture.MAPPER.readTree(dir.resolve("out/summary.json").toFile());
        assertEquals(List.of("·gc.count", "·gc.count.unit"), names(out.at("/summary/0/secondary")));
        assertEquals(List.of("·gc.count"), names(out.at("/all_samples/0/secondary")));
        assertTrue(cli.err().contains("secondary metric '·gc.time' is missing in some iterations; left out"), cli.err());
        assertTrue(cli.err().contains("secondary metric '·gc.alloc.rate' has NaN or infinite values; left out"), cli.err());
    }

    @Test
    void oneBenchmarkInTwoModesGivesTwoRows() throws IOException {
        write(dir.resolve("a.json"), file(run("p.A.b", "avgt", "ms/op").primary(TEN_MS),
                run("p.A.b", "thrpt", "ops/ms").primary(new double[][] {{0.1, 0.1, 0.1}})));
        JsonNode out = summarize("a.json");
        assertEquals("avgt", out.at("/summary/0/mode").asText());
        assertEquals("thrpt", out.at("/summary/1/mode").asText());
        assertEquals(out.at("/summary/0/seconds_per_op").asDouble(), out.at("/summary/1/seconds_per_op").asDouble(), 1e-15);
        assertEquals("thrpt", out.at("/all_samples/3/mode").asText());
    }

    @Test
    void rowsSortByBenchmarkThenNumericParams() throws IOException {
        write(dir.resolve("a.json"), file(
                run("p.B.x", "avgt", "ms/op").params("topK", "16").primary(TEN_MS),
                run("p.B.x", "avgt", "ms/op").params("topK", "2").primary(TEN_MS),
                run("p.A.x", "avgt", "ms/op").params("topK", "4").primary(TEN_MS)));
        JsonNode out = summarize("a.json");
        List<String> order = new ArrayList<>();
        out.get("summary").forEach(r -> order.add(r.get("benchmark").asText() + r.get("params")));
        assertEquals(List.of("A.x{\"topK\":4}", "B.x{\"topK\":2}", "B.x{\"topK\":16}"), order);
        for (int i = 0; i < 9; i++) {
            assertEquals(i, out.at("/all_samples/" + i + "/sample_id").asInt());
        }
    }

    @Test
    void csvQuotesAwkwardParamValues() throws IOException {
        write(dir.resolve("a.json"), file(run("p.A.b", "avgt", "ms/op").params("shape", "2,\"3\"").primary(TEN_MS)));
        summarize("a.json");
        assertTrue(Files.readString(dir.resolve("out/summary.csv")).contains("\nA.b,\"2,\"\"3\"\"\",avgt,"));
    }

    @Test
    void rerunReplacesOutputsAndLeavesNoTemporaries() throws IOException {
        write(dir.resolve("a.json"), file(run("p.A.b", "avgt", "ms/op").primary(TEN_MS)));
        summarize("a.json");
        write(dir.resolve("out/unrelated.txt"), "keep");
        summarize("a.json");
        assertEquals(List.of("breakdowns.json", "component_roofline.json", "findings.json", "flops_scaling.json", "index.html",
                "model.json", "passes.json", "quality.json", "roofline.json", "samples.csv", "scaling.json", "summary.csv", "summary.json",
                "unrelated.txt", "warmup.json"),
                OutputFolder.listing(dir.resolve("out")));
    }

    /**
     * The contract of the unified format: every derived number of a summary row can be recomputed
     * from {@code all_samples} and {@code environment} alone. Recomputed here independently.
     */
    @Test
    void summaryCanBeRecomputedFromSamplesAndEnvironment() throws IOException {
        JmhFixture.writeGoldenInputs(dir);
        JsonNode out = summarize("moe.json", "seqlen.json", "calibration.json");
        JsonNode ceilings = out.at("/environment/ceilings");
        double gemmCeiling = 0;
        for (JsonNode row : out.get("summary")) {
            List<JsonNode> samples = new ArrayList<>();
            out.get("all_samples").forEach(s -> {
                if (s.get("benchmark").equals(row.get("benchmark")) && s.get("params").equals(row.get("params"))
                        && s.get("mode").equals(row.get("mode"))) {
                    samples.add(s);
                }
            });
            assertEquals(row.get("n").asInt(), samples.size());
            double[] values = samples.stream().mapToDouble(s -> s.get("value").asDouble()).toArray();
            double median = median(values);
            assertClose(median, row.get("median").asDouble());
            String unit = row.get("unit").asText();
            double seconds = switch (unit) {
                case "ms/op" -> median / 1e3;
                case "ops/ms" -> 1 / (median * 1e3);
                default -> throw new AssertionError(unit);
            };
            assertClose(seconds, row.get("seconds_per_op").asDouble());
            if (!row.get("flops").isNull()) {
                double flops = median(samples.stream()
                        .mapToDouble(s -> s.at("/secondary/flops").asDouble() / s.at("/secondary/ops").asDouble()).toArray());
                assertClose(flops, row.get("flops").asDouble());
                assertClose(flops / seconds, row.get("achieved_flops_per_s").asDouble());
                assertClose(100 * flops / seconds / ceilings.get("flops_per_s").asDouble(),
                        row.get("percent_of_flops_ceiling").asDouble());
                if (!row.get("bytes").isNull()) {
                    double bytes = row.get("bytes").asDouble();
                    double memory = ceilings.get("read_bytes_per_s").isNull() ? ceilings.get("bytes_per_s").asDouble()
                            : Math.max(ceilings.get("bytes_per_s").asDouble(), ceilings.get("read_bytes_per_s").asDouble());
                    double bound = Math.max(flops / ceilings.get("flops_per_s").asDouble(), bytes / memory);
                    assertClose(bound, row.get("roofline_seconds").asDouble());
                    assertClose(100 * bound / seconds, row.get("percent_of_roofline_bound").asDouble());
                }
                if (row.get("benchmark").asText().equals("Calibration.gemm")) {
                    double[] rates = samples.stream().mapToDouble(s -> s.at("/secondary/flops").asDouble()
                            / s.at("/secondary/ops").asDouble() / (s.get("value").asDouble() / 1e3)).toArray();
                    gemmCeiling = Math.max(gemmCeiling, median(rates));
                }
            }
        }
        assertClose(gemmCeiling, ceilings.get("flops_per_s").asDouble());
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    private static void assertClose(double expected, double actual) {
        assertEquals(expected, actual, Math.abs(expected) * 1e-12);
    }

    private static List<String> names(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
