package knobs.reports.analysis;

import static knobs.reports.fixtures.JmhFixture.exact;
import static knobs.reports.fixtures.JmhFixture.perOp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import knobs.reports.fixtures.Analyze;
import knobs.reports.fixtures.Cli;
import knobs.reports.fixtures.JmhFixture;
import knobs.reports.format.AnalysisJsonWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A report that knows what it knows: contended, noisy and inconsistent rows are left out of every
 * analysis and listed with their reasons; fits and findings come from the clean rows only.
 */
class DataQualityTest {

    @TempDir
    Path dir;

    /** The dense prefill both benchmarks run: the same analytic work per op. */
    private static final java.util.Map<String, Double> PREFILL = perOp("flops", 7.8e9, "bytes", 1.2e8, "tokens", 128);

    /** SeqLenScaling over 64..256 tokens, work proportional to the length, times {@code ms}. */
    private static JmhFixture.Run[] seqLen(double... ms) {
        JmhFixture.Run[] runs = new JmhFixture.Run[ms.length];
        for (int i = 0; i < ms.length; i++) {
            int n = 64 << i;
            runs[i] = exact("SeqLenScaling.prefill", new double[] {ms[i], ms[i] * 1.01, ms[i] * 0.99},
                    n == 128 ? PREFILL : perOp("flops", 7.8e9 * n / 128, "bytes", 1.2e8, "tokens", n),
                    "model", "dense-cpu", "seqLen", Integer.toString(n));
        }
        return runs;
    }

    private static JmhFixture.Run blocks(double ms) {
        return exact("BlocksMask.forward", new double[] {ms, ms * 1.01, ms * 0.99}, PREFILL,
                "model", "dense-cpu", "activeBlocks", "8", "phase", "prefill");
    }

    /** A run with the contention profiler's flags: {@code contended[i]} for iteration i (NaN = unknown). */
    private static JmhFixture.Run contended(JmhFixture.Run run, double... flags) {
        ArrayNode fork = JmhFixture.MAPPER.createArrayNode();
        ArrayNode others = JmhFixture.MAPPER.createArrayNode();
        for (double f : flags) {
            if (Double.isNaN(f)) {
                fork.add("NaN");
                others.add("NaN");
            } else {
                fork.add(f);
                others.add(f > 0 ? 1.02 : 0.03);
            }
        }
        ArrayNode flagData = JmhFixture.MAPPER.createArrayNode();
        flagData.add(fork);
        ArrayNode othersData = JmhFixture.MAPPER.createArrayNode();
        othersData.add(others);
        return run.metricRaw("\u00b7contention.contended", "flag", flagData)
                .metricRaw("\u00b7contention.othersCores", "cores", othersData);
    }

    @Test
    void sameWorkMeasuredFiveTimesSlowerIsInconsistentAndNeitherRowIsAnalysed() {
        JmhFixture.Run[] runs = Analyze.concat(seqLen(45, 90, 180), blocks(450));
        JsonNode findings = Analyze.json(dir, AnalysisJsonWriter.FINDINGS, runs);
        List<JsonNode> inconsistent = Analyze.findings(findings, "inconsistent");
        assertEquals(1, inconsistent.size(), findings.toString());
        JsonNode f = inconsistent.get(0);
        assertEquals("BlocksMask.forward", f.get("benchmark").asText());
        assertEquals("SeqLenScaling.prefill", f.at("/evidence/faster_benchmark").asText());
        assertEquals(5.0, f.at("/evidence/ratio").asDouble(), 1e-9);
        assertEquals("high", f.get("severity").asText());

        JsonNode summary = Analyze.read(dir, "summary.json");
        JsonNode quality = summary.get("data_quality");
        assertEquals(4, quality.get("rows").asInt());
        assertEquals(2, quality.get("trustworthy").asInt());
        assertEquals("2 of 4 rows trustworthy; 2 not analysed: 2 inconsistent", quality.get("headline").asText());
        List<String> reasons = new ArrayList<>();
        quality.get("not_analysed").forEach(n -> reasons.add(n.get("benchmark").asText() + ":" + n.at("/quality_reasons/0/reason").asText()));
        assertEquals(List.of("BlocksMask.forward:inconsistent", "SeqLenScaling.prefill:inconsistent"), reasons);
        // The SeqLenScaling sweep lost its 128-token point: its fit has the other two only.
        JsonNode scaling = Analyze.read(dir, "scaling.json");
        assertEquals(2, scaling.at("/entries/0/points").size(), scaling.toString());
    }

    @Test
    void sameWorkWithinNoiseIsConsistent() {
        JsonNode findings = Analyze.json(dir, AnalysisJsonWriter.FINDINGS, Analyze.concat(seqLen(45, 90, 180), blocks(93)));
        assertEquals(List.of(), Analyze.findings(findings, "inconsistent"));
        assertEquals("all 4 rows trustworthy", findings.at("/data_quality/headline").asText());
    }

    @Test
    void sharedParamsThatDifferMeanDifferentWork() {
        JmhFixture.Run other = exact("BlocksMask.forward", new double[] {450, 451, 449}, PREFILL,
                "model", "other-model", "activeBlocks", "8", "phase", "prefill");
        JsonNode findings = Analyze.json(dir, AnalysisJsonWriter.FINDINGS, Analyze.concat(seqLen(45, 90, 180), other));
        assertEquals(List.of(), Analyze.findings(findings, "inconsistent"));
    }

    @Test
    void contendedRowsAreListedAndLeftOutOfTheFits() {
        JmhFixture.Run[] runs = seqLen(45, 90, 180, 360);
        runs[3] = contended(runs[3], 1, 1, Double.NaN);  // 2 of 2 judged iterations contended
        runs[2] = contended(runs[2], 1, 0, 0);           // 1 of 3: not mostly contended
        Cli cli = Analyze.run(dir, runs);
        assertEquals(0, cli.exit(), cli.err());
        JsonNode summary = Analyze.read(dir, "summary.json");
        assertEquals("3 of 4 rows trustworthy; 1 not analysed: 1 contended", summary.at("/data_quality/headline").asText());
        JsonNode row = summary.at("/summary/3");
        assertEquals(512, row.at("/params/seqLen").asInt());
        assertFalse(row.get("trustworthy").asBoolean());
        assertEquals(1.0, row.get("contended_share").asDouble());
        assertTrue(row.at("/quality_reasons/0/detail").asText().startsWith("2 of 2 iterations contended"),
                row.at("/quality_reasons/0/detail").asText());
        assertEquals(1.0 / 3, summary.at("/summary/2/contended_share").asDouble(), 1e-12);
        assertTrue(summary.at("/summary/2/trustworthy").asBoolean());
        assertTrue(summary.at("/summary/0/contended_share").isNull(), "not captured is null, never 0");
        // The unknown iteration is left out of the sample, not written as NaN or 0.
        JsonNode samples = summary.get("all_samples");
        JsonNode last = samples.get(samples.size() - 1);
        assertFalse(last.get("secondary").has("\u00b7contention.contended"), last.toString());
        assertEquals(1.0, samples.get(samples.size() - 2).at("/secondary/\u00b7contention.contended").asDouble());
        JsonNode scaling = Analyze.read(dir, "scaling.json");
        assertEquals(3, scaling.at("/entries/0/points").size());
        assertFalse(cli.err().contains("contention"), "NaN contention values are expected, not warned about: " + cli.err());
    }

    @Test
    void allNoisyRunsAnalyseNothingAndSayWhy() {
        JmhFixture.Run[] runs = new JmhFixture.Run[3];
        for (int i = 0; i < 3; i++) {
            int n = 64 << i;
            runs[i] = exact("SeqLenScaling.prefill", new double[] {100, 700, 1300}, perOp("flops", 1e9 * n, "bytes", 1e6, "tokens", n),
                    "seqLen", Integer.toString(n));
        }
        JsonNode findings = Analyze.json(dir, AnalysisJsonWriter.FINDINGS, runs);
        assertEquals(0, findings.get("findings").size(), "no finding may be drawn from noise: " + findings.get("findings"));
        assertEquals("0 of 3 rows trustworthy; 3 not analysed: 3 noisy", findings.at("/data_quality/headline").asText());
        assertEquals(0, Analyze.read(dir, "scaling.json").get("entries").size());
        JsonNode ci = Analyze.read(dir, "summary.json").at("/summary/0/ci99");
        assertEquals(100, ci.get(0).asDouble(), "the median's interval stays within the samples, never below zero");
        assertEquals(1300, ci.get(1).asDouble());
    }

    @Test
    void timeFallingAsWorkGrowsIsAFailedFitNotAReading() {
        JsonNode scaling = Analyze.json(dir, "scaling.json", seqLen(200, 120, 60));
        assertEquals(0, scaling.get("entries").size(), scaling.toString());
        JsonNode skipped = scaling.at("/skipped/0/reason");
        assertTrue(skipped.asText().startsWith("failed fit against seqLen: time falls by"), skipped.asText());
    }

    @Test
    void aLineThroughAFasterThanLinearSweepIsNotReadAsFixedPlusPerUnitCost() {
        // 3 points cannot prefer a quadratic; the line through them predicts a negative time at 0.
        JsonNode e = Analyze.json(dir, "scaling.json", seqLen(12, 30, 80)).at("/entries/0");
        assertTrue(e.get("failed_fit").asText().startsWith("the linear fit predicts -13 ms at seqLen = 0"), e.toString());
        assertTrue(e.get("reading").asText().startsWith("failed fit: "), e.get("reading").asText());
        assertTrue(e.get("reading").asText().contains("grows as seqLen^"), "the exponent is still read: " + e.get("reading"));
    }

    @Test
    void rowsTheSweepReRanSayWhetherTheySettled() throws java.io.IOException {
        JmhFixture.Run[] runs = seqLen(45, 90, 180);
        for (int i = 0; i < runs.length; i++) {
            JmhFixture.write(dir.resolve("sweep/results/r" + i + ".json"), JmhFixture.file(runs[i]));
        }
        java.nio.file.Files.createDirectories(dir.resolve("sweep/failed"));
        JmhFixture.write(dir.resolve("sweep/retries.json"), """
                { "schema": "knobs-retries/1", "retry_noisy": 1, "configurations": [
                  { "id": "a", "benchmark": "knobs.benchmarks.SeqLenScaling.prefill", "params": { "model": "dense-cpu", "seqLen": "128" },
                    "retried": 1, "settled": true, "result": "results/r1.json",
                    "attempts": [ { "attempt": 1, "reasons": [ "noisy: IQR/median 23.0 % > 10 %" ] }, { "attempt": 2, "reasons": [] } ] },
                  { "id": "b", "benchmark": "knobs.benchmarks.SeqLenScaling.prefill", "params": { "model": "dense-cpu", "seqLen": "256" },
                    "retried": 0, "settled": true, "attempts": [] } ] }
                """);
        Cli cli = Cli.run(dir, "summarize", "sweep", "--out", "out", "--no-plots");
        assertEquals(0, cli.exit(), cli.err());
        JsonNode summary = Analyze.read(dir, "summary.json");
        assertEquals("all 3 rows trustworthy; 1 re-run as noisy or contended, 1 of them settled",
                summary.at("/data_quality/headline").asText());
        JsonNode rerun = summary.at("/data_quality/retried/0");
        assertEquals(128, rerun.at("/params/seqLen").asInt());
        assertEquals(1, rerun.get("retried").asInt());
        assertTrue(rerun.get("settled").asBoolean());
        assertEquals("noisy: IQR/median 23.0 % > 10 %", rerun.at("/first_reasons/0").asText());
        assertEquals(1, summary.at("/summary/1/retried").asInt());
        assertFalse(summary.at("/summary/0").has("retried"), "a row that was not re-run has no retry fields");
    }

    @Test
    void aMalformedRetriesFileIsAnErrorNamingIt() throws java.io.IOException {
        JmhFixture.write(dir.resolve("sweep/results/r0.json"), JmhFixture.file(seqLen(45)));
        java.nio.file.Files.createDirectories(dir.resolve("sweep/failed"));
        JmhFixture.write(dir.resolve("sweep/retries.json"), "{ \"schema\": \"knobs-retries/1\", \"configurations\": [ { \"benchmark\": \"x.Y.z\", \"params\": {}, \"retried\": -1, \"settled\": true } ] }");
        Cli cli = Cli.run(dir, "summarize", "sweep", "--out", "out", "--no-plots");
        assertEquals(2, cli.exit(), cli.err());
        assertTrue(cli.err().contains("retries.json: not the sweep runner's retries file: configurations[0]"), cli.err());
        assertTrue(cli.err().contains("retried"), cli.err());
        assertFalse(java.nio.file.Files.exists(dir.resolve("out")), "nothing written on bad input");
    }

    @Test
    void aNoisyCalibrationRowKeepsItsCeilingsOutOfTheAnalyses() {
        JmhFixture.Run gemm = exact("Calibration.gemm", new double[] {10, 20, 30}, perOp("flops", 1e9, "bytes", 1.2e7));
        JmhFixture.Run copy = exact("Calibration.copy", 100, perOp("flops", 0, "bytes", 1e9));
        JsonNode findings = Analyze.json(dir, AnalysisJsonWriter.FINDINGS, Analyze.concat(seqLen(45, 90, 180), gemm, copy));
        assertEquals("4 of 5 rows trustworthy; 1 not analysed: 1 noisy; this run's ceilings not used: a Calibration row is untrustworthy",
                findings.at("/data_quality/headline").asText());
        assertEquals(List.of(), Analyze.findings(findings, "overhead_bound"));
        assertTrue(Analyze.notJudged(dir, "overhead_bound").get("reason").asText().contains("ceiling"),
                Analyze.notJudged(dir, "overhead_bound").toString());
        assertTrue(Analyze.read(dir, "summary.json").at("/environment/ceilings").isObject(),
                "summary.json still records the ceilings that were measured");
    }
}
