package knobs.reports.regression;

import knobs.reports.summary.ContentionMetrics;
import knobs.reports.fixtures.Cli;
import knobs.reports.fixtures.JmhFixture;
import knobs.reports.format.Json;
import knobs.reports.input.RunData;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code compare} on the seeded scenarios of {@link JmhFixture#writeComparisonInputs}. */
class CompareTest {

    @TempDir
    Path dir;

    private JsonNode compare(int expectedExit, String... args) throws IOException {
        List<String> all = new ArrayList<>(List.of("compare"));
        all.addAll(List.of(args));
        all.addAll(List.of("--out", "cmp"));
        Cli cli = Cli.run(dir, all.toArray(String[]::new));
        assertEquals(expectedExit, cli.exit(), cli.err());
        assertEquals(Files.readString(dir.resolve("cmp/comparison.md")), cli.out(), "stdout is the Markdown file");
        return JmhFixture.MAPPER.readTree(dir.resolve("cmp/comparison.json").toFile());
    }

    /** label (as in JmhFixture) → verdict. */
    private static Map<String, String> verdicts(JsonNode comparison) {
        Map<String, String> v = new java.util.TreeMap<>();
        for (JsonNode e : comparison.get("comparisons")) {
            StringBuilder label = new StringBuilder(e.get("benchmark").asText());
            e.get("params").fields().forEachRemaining(p -> label.append(' ').append(p.getKey()).append('=').append(p.getValue().asText()));
            v.put(label.toString(), e.get("verdict").asText());
        }
        return v;
    }

    @Test
    void aSecondRunOfTheSameCodeFlagsNothing() throws IOException {
        JmhFixture.writeComparisonInputs(dir);
        JsonNode c = compare(0, "base", "aa");
        Map<String, String> v = verdicts(c);
        assertEquals(8, v.size());
        assertEquals("noisy", v.remove(JmhFixture.NOISY), "the ± 35 % row cannot be judged");
        assertEquals(Set.of("unchanged"), Set.copyOf(v.values()), v.toString());
        assertEquals(0, c.at("/counts/regression").asInt());
        assertEquals(0, c.at("/counts/improvement").asInt());
    }

    @Test
    void anInjectedTwentyPercentSlowdownIsFlaggedAndNothingElse() throws IOException {
        JmhFixture.writeComparisonInputs(dir);
        JsonNode c = compare(1, "base", "ab");
        Map<String, String> v = verdicts(c);
        assertEquals("regression", v.get(JmhFixture.DECODE_8));
        assertEquals("unchanged", v.get(JmhFixture.PREFILL_1), "5 % slower, significant, but below the 10 % threshold");
        assertEquals("noisy", v.get(JmhFixture.NOISY));
        assertEquals(1, c.at("/counts/regression").asInt());
        assertEquals(0, c.at("/counts/improvement").asInt());
        JsonNode decode = find(c.get("comparisons"), JmhFixture.DECODE_8);
        assertEquals(1.2, decode.get("ratio").asDouble(), 0.03);
        assertTrue(decode.at("/ratio_ci/0").asDouble() > 1.1, decode.toString());
        assertTrue(decode.get("p_value").asDouble() < 0.01);
        assertTrue(decode.get("df").asDouble() > 5, "Welch's degrees of freedom over 6 + 6 forks: " + decode);
        assertEquals(18, decode.at("/baseline/n").asInt());
        assertEquals(6, decode.at("/baseline/forks").asInt());
        JsonNode prefill = find(c.get("comparisons"), JmhFixture.PREFILL_1);
        assertTrue(prefill.get("p_value").asDouble() < 0.01, "the 5 % step is significant");
        assertEquals(1.05, prefill.get("ratio").asDouble(), 0.02);
        // One-sided configurations are listed, with the failure record of the sweep where there is one.
        assertEquals(1, c.get("baseline_only").size());
        assertEquals("BlocksMask.forward", c.at("/baseline_only/0/benchmark").asText());
        assertEquals("failed in the current run: java.lang.OutOfMemoryError: Java heap space", c.at("/baseline_only/0/note").asText());
        assertEquals(1, c.get("current_only").size());
        assertEquals(4, c.at("/current_only/0/params/activeBlocks").asInt());
        assertTrue(c.at("/current_only/0/note").isNull());
        String md = Files.readString(dir.resolve("cmp/comparison.md"));
        assertTrue(md.startsWith("### Knobs benchmark comparison: 1 regression · 0 improvements · 1 noisy · 5 unchanged"), md);
        // Regressions come first in the table.
        assertTrue(md.contains("|---|---|---|---:|---:|---:|---|---:|\n| **regression** | MoeTopK.forward | phase=decode, topK=8 |"), md);
        String html = Files.readString(dir.resolve("cmp/comparison.html"));
        assertTrue(html.contains("<tr class=\"v-regression\"><td><b>regression</b></td><td>MoeTopK.forward</td>"), html);
        assertFalse(html.contains("<script"));
    }

    /**
     * A run whose machine drifts (forks 0–60 % slower) with the drift probe recorded: as measured it
     * looks slower; normalized by the probe the same code is unchanged, and a +20 % change in the code
     * under the same drift is a regression. Without the probe on a side the configuration is skipped.
     */
    @Test
    void theDriftProbeRemovesTheMachinesDriftAndKeepsACodeChange() throws IOException {
        double[] baselineDrift = {1.00, 1.02, 0.99, 1.01, 1.00, 0.98};
        double[] currentDrift = {1.30, 1.55, 1.10, 1.60, 1.25, 1.40};
        JmhFixture.write(dir.resolve("pa/r.json"), JmhFixture.file(probed(baselineDrift, 1.0)));
        JmhFixture.write(dir.resolve("pb/r.json"), JmhFixture.file(probed(currentDrift, 1.0)));
        JmhFixture.write(dir.resolve("pc/r.json"), JmhFixture.file(probed(currentDrift, 1.2)));
        JmhFixture.write(dir.resolve("pn/r.json"), JmhFixture.file(JmhFixture.run("knobs.benchmarks.SeqLenScaling.prefill", "avgt", "ms/op")
                .params("seqLen", "64").primary(times(currentDrift, 1.0))));

        String label = "SeqLenScaling.prefill seqLen=64";
        assertEquals("regression", verdicts(compare(1, "pa", "pb")).get(label), "as measured, the drift looks like a regression");
        JsonNode same = compare(0, "pa", "pb", "--normalize", "probe");
        assertEquals("unchanged", verdicts(same).get(label));
        assertEquals("probe", same.get("normalize").asText());
        assertEquals(Comparison.PROBE_INDEX, find(same.get("comparisons"), label).get("normalized_by").asText());
        JsonNode slower = compare(1, "pa", "pc", "--normalize", "probe");
        assertEquals("regression", verdicts(slower).get(label));
        assertEquals(1.2, find(slower.get("comparisons"), label).get("ratio").asDouble(), 0.01);
        JsonNode none = compare(0, "pa", "pn", "--normalize", "probe");
        assertEquals(0, none.get("comparisons").size());
        assertTrue(Files.readString(dir.resolve("cmp/comparison.md")).contains("the current run has no drift probe"),
                Files.readString(dir.resolve("cmp/comparison.md")));
    }

    /** 6 forks × 3 iterations of 10 ms × drift × code, with ±1 % iteration noise the probe does not see. */
    private static double[][] times(double[] drift, double code) {
        double[][] t = new double[drift.length][3];
        for (int f = 0; f < drift.length; f++) {
            for (int i = 0; i < 3; i++) {
                t[f][i] = 10 * drift[f] * code * (1 + 0.01 * ((f + i) % 3 - 1));
            }
        }
        return t;
    }

    private static JmhFixture.Run probed(double[] drift, double code) {
        double[][] gemm = new double[drift.length][3];
        double[][] copy = new double[drift.length][3];
        for (int f = 0; f < drift.length; f++) {
            for (int i = 0; i < 3; i++) {
                gemm[f][i] = 500_000 * drift[f];
                copy[f][i] = 2_000_000 * drift[f];
            }
        }
        return JmhFixture.run("knobs.benchmarks.SeqLenScaling.prefill", "avgt", "ms/op").params("seqLen", "64")
                .primary(times(drift, code)).metric("probe.gemmNs", "ns", gemm).metric("probe.copyNs", "ns", copy);
    }

    @Test
    void aFasterMachineLooksFasterUntilNormalizedByItsOwnCeilings() throws IOException {
        JmhFixture.writeComparisonInputs(dir);
        Map<String, String> raw = verdicts(compare(0, "base", "fast"));
        raw.remove(JmhFixture.NOISY);
        assertEquals(Set.of("improvement"), Set.copyOf(raw.values()), "every row is 20 % faster: " + raw);

        JsonNode n = compare(0, "base", "fast", "--normalize", "ceilings");
        Map<String, String> v = verdicts(n);
        v.remove(JmhFixture.NOISY);
        assertEquals(Set.of("unchanged"), Set.copyOf(v.values()), v.toString());
        assertEquals(5, v.size(), "Calibration rows define the normalization and are not compared");
        assertEquals(2, n.get("skipped").size());
        assertEquals("Calibration.copy", n.at("/skipped/0/benchmark").asText());
        assertEquals("ceilings", n.get("normalize").asText());
        // Prefill is compute-bound (normalized by FLOP/s), decode memory-bound (by bytes/s).
        assertEquals(Comparison.FLOPS, find(n.get("comparisons"), JmhFixture.PREFILL_1).get("normalized_by").asText());
        assertEquals(Comparison.BYTES, find(n.get("comparisons"), JmhFixture.DECODE_8).get("normalized_by").asText());
        // The best Calibration fork sets each ceiling; the run's recorded (median) ceilings are kept beside it.
        assertEquals("Calibration (best fork)", n.at("/baseline/normalization/source").asText());
        assertTrue(n.at("/baseline/normalization/flops_per_s").asDouble() >= n.at("/baseline/ceilings/flops_per_s").asDouble());
        assertTrue(n.at("/baseline/normalization/calibration_fork_spread/flops_per_s").asDouble() < 1.02);
        JsonNode decode = find(n.get("comparisons"), JmhFixture.DECODE_8);
        assertEquals(decode.at("/baseline/seconds_per_op").asDouble() * n.at("/baseline/normalization/bytes_per_s").asDouble(),
                decode.at("/baseline/normalized_median").asDouble(), 1e-6 * decode.at("/baseline/normalized_median").asDouble());
    }

    @Test
    void aSummaryJsonOrAReportFolderIsTheSameRunAsItsJmhFiles() throws IOException {
        JmhFixture.writeComparisonInputs(dir);
        assertEquals(0, Cli.run(dir, "summarize", "base/run.json", "--out", "base-report", "--no-plots").exit());
        JsonNode fromJmh = compare(1, "base", "ab").get("comparisons");
        JsonNode fromSummary = compare(1, "base-report/summary.json", "ab").get("comparisons");
        JsonNode fromFolder = compare(1, "base-report", "ab").get("comparisons");
        assertEquals(fromJmh, fromSummary);
        assertEquals(fromJmh, fromFolder);
    }

    @Test
    void inputTextCannotBecomeMarkupInAnyFormat() throws IOException {
        JmhFixture.Run evil = JmhFixture.run("p.Evil.b", "avgt", "ms/op").params("name", "<script>|*x*")
                .primary(new double[][] {{10, 10.1, 9.9, 10, 10.05}});
        JmhFixture.write(dir.resolve("a.json"), JmhFixture.file(evil));
        compare(0, "a.json", "a.json");
        String md = Files.readString(dir.resolve("cmp/comparison.md"));
        assertTrue(md.contains("| name=&lt;script&gt;\\|\\*x\\* |"), md);
        assertFalse(md.contains("<script"));
        assertFalse(Files.readString(dir.resolve("cmp/comparison.html")).contains("<script"));
        // One fork on each side: the outputs say that the test, which compares forks, cannot judge it.
        assertTrue(md.contains("**Note:** 1 of 1 configurations were measured in one fork on a side"), md);
        assertTrue(md.contains("| noisy | Evil.b |"), md);
        JsonNode json = JmhFixture.MAPPER.readTree(dir.resolve("cmp/comparison.json").toFile());
        assertEquals(2, json.get("notes").size(), "one fork, and no contention captured: " + json.get("notes"));
        assertTrue(json.at("/comparisons/0/p_value").isNull());
    }

    @Test
    void withoutOutOnlyTheMarkdownIsPrinted() {
        JmhFixture.writeComparisonInputs(dir);
        Cli cli = Cli.run(dir, "compare", "base", "aa");
        assertEquals(0, cli.exit(), cli.err());
        assertTrue(cli.out().startsWith("### Knobs benchmark comparison: 0 regressions"), cli.out());
        assertFalse(Files.exists(dir.resolve("cmp")));
    }

    @Test
    void aDisturbedCalibrationForkDoesNotMoveTheNormalization() throws IOException {
        JmhFixture.writeComparisonInputs(dir);
        // Four of the current run's six GEMM forks ran twice as slow (a neighbour took the core): its median
        // ceiling drops by almost half, its best fork does not, and the note says the machine was busy.
        JsonNode runs = JmhFixture.MAPPER.readTree(dir.resolve("aa/run.json").toFile());
        for (JsonNode r : runs) {
            if (r.get("benchmark").asText().endsWith("Calibration.gemm")) {
                for (int f = 1; f <= 4; f++) {
                    com.fasterxml.jackson.databind.node.ArrayNode fork = (com.fasterxml.jackson.databind.node.ArrayNode)
                            r.at("/primaryMetric/rawData/" + f);
                    for (int i = 0; i < fork.size(); i++) {
                        fork.set(i, Json.NODES.numberNode(fork.get(i).asDouble() * 2));
                    }
                }
            }
        }
        JmhFixture.write(dir.resolve("aa/run.json"), runs);
        JsonNode n = compare(0, "base", "aa", "--normalize", "ceilings");
        Map<String, String> v = verdicts(n);
        v.remove(JmhFixture.NOISY);
        assertEquals(Set.of("unchanged"), Set.copyOf(v.values()), v.toString());
        assertEquals(2.0, n.at("/current/normalization/calibration_fork_spread/flops_per_s").asDouble(), 0.05);
        assertTrue(n.at("/current/ceilings/flops_per_s").asDouble() < 0.8 * n.at("/current/normalization/flops_per_s").asDouble(),
                n.get("current").toString());
        assertEquals(2, n.get("notes").size(), n.get("notes").toString());
        assertTrue(n.at("/notes/0").asText().startsWith("neither run captured contention"), n.get("notes").toString());
        assertTrue(n.at("/notes/1").asText().startsWith("the current run's Calibration forks measured FLOP/s up to"), n.get("notes").toString());
    }

    @Test
    void mostlyContendedRowsAreUnreliableNeverARegression() throws IOException {
        JmhFixture.writeComparisonInputs(dir);
        // The current run: the A/A run with contention captured; DECODE_8 50 % slower while 12 of its 18 iterations
        // were contended (one more unknown), every other row quiet.
        JmhFixture.writeContendedRun(dir, "aa", "busy");
        JsonNode c = compare(0, "base", "busy");
        JsonNode decode = find(c.get("comparisons"), JmhFixture.DECODE_8);
        assertEquals("unreliable", decode.get("verdict").asText());
        assertTrue(decode.get("ratio").asDouble() > 1.4, "the numbers are still there: " + decode);
        assertTrue(decode.get("reason").asText().startsWith("contended: not captured in the baseline, 70.6% of the current run's"
                + " iterations (12 of 17 known, 1 unknown)"), decode.get("reason").asText());
        assertTrue(decode.at("/baseline/contention").isNull());
        assertEquals(12, decode.at("/current/contention/contended").asInt());
        assertEquals(17, decode.at("/current/contention/known").asInt());
        assertEquals(12 / 17.0, decode.at("/current/contention/contended_share").asDouble(), 1e-12);
        assertEquals(0.0, find(c.get("comparisons"), JmhFixture.PREFILL_1).at("/current/contention/contended_share").asDouble());
        assertEquals(1, c.at("/counts/unreliable").asInt());
        assertEquals(0, c.at("/counts/regression").asInt());
        assertTrue(c.get("notes").toString().contains("1 of 8 configurations ran mostly contended"), c.get("notes").toString());
        assertTrue(c.get("notes").toString().contains("the baseline did not capture contention"), c.get("notes").toString());
        String md = Files.readString(dir.resolve("cmp/comparison.md"));
        assertTrue(md.contains("· 1 unreliable (contended) ·"), md);
        assertTrue(md.contains("| unreliable (contended: baseline n/a, current 70.6%) | MoeTopK.forward | phase=decode, topK=8 |"), md);
        String html = Files.readString(dir.resolve("cmp/comparison.html"));
        assertTrue(html.contains("<tr class=\"v-unreliable\"><td><b>unreliable (contended: baseline n/a, current 70.6%)</b></td>"), html);
        // The same from the current run's summary.json, where the NaN iteration is left out of the samples' metrics.
        assertEquals(0, Cli.run(dir, "summarize", "busy/run.json", "--out", "busy-report", "--no-plots").exit());
        JsonNode fromSummary = find(compare(0, "base", "busy-report").get("comparisons"), JmhFixture.DECODE_8);
        assertEquals("unreliable", fromSummary.get("verdict").asText());
    }

    /** Six forks of three iterations around {@code center} ms, the same shape on both sides. */
    private static double[][] forks(double center) {
        double[][] v = new double[6][];
        for (int f = 0; f < 6; f++) {
            v[f] = new double[] {center * (1 + 0.002 * f), center * (1 + 0.002 * f + 0.001), center * (1 + 0.002 * f - 0.001)};
        }
        return v;
    }

    private static JmhFixture.Run seqLen(double ms, String... threadParams) {
        List<String> params = new ArrayList<>(List.of("seqLen", "64"));
        params.addAll(List.of(threadParams));
        return JmhFixture.run("knobs.benchmarks.SeqLenScaling.forward", "avgt", "ms/op")
                .params(params.toArray(String[]::new)).primary(forks(ms));
    }

    @Test
    void threadParamsAreKeysAndABaselineWithoutThemIsAtAuto() throws IOException {
        // A baseline from before the thread params existed, a current run at auto: the same configuration.
        JmhFixture.write(dir.resolve("old/run.json"), JmhFixture.file(seqLen(10)));
        JmhFixture.write(dir.resolve("auto/run.json"), JmhFixture.file(seqLen(12.5, "blasThreads", "auto", "intraOpThreads", "auto")));
        JsonNode c = compare(1, "old", "auto");
        assertEquals(1, c.get("comparisons").size(), c.toString());
        JsonNode e = c.get("comparisons").get(0);
        assertEquals("regression", e.get("verdict").asText());
        assertEquals(1.25, e.get("ratio").asDouble(), 0.01);
        assertFalse(e.get("params").has("blasThreads"), "at auto the key keeps the old name: " + e);

        // -p blasThreads=1,2 on both sides: two keyed rows, each paired with its own; neither matches auto.
        JmhFixture.write(dir.resolve("b/run.json"), JmhFixture.file(seqLen(10, "blasThreads", "1"), seqLen(6, "blasThreads", "2")));
        JmhFixture.write(dir.resolve("c/run.json"), JmhFixture.file(seqLen(10, "blasThreads", "1"), seqLen(7.5, "blasThreads", "2")));
        JsonNode scaled = compare(1, "b", "c");
        assertEquals(2, scaled.get("comparisons").size(), scaled.toString());
        assertEquals("unchanged", find(scaled.get("comparisons"), "SeqLenScaling.forward blasThreads=1 seqLen=64").get("verdict").asText());
        JsonNode two = find(scaled.get("comparisons"), "SeqLenScaling.forward blasThreads=2 seqLen=64");
        assertEquals("regression", two.get("verdict").asText());
        assertEquals(1.25, two.get("ratio").asDouble(), 0.01);
        Cli mixed = Cli.run(dir, "compare", "old", "b");
        assertEquals(2, mixed.exit(), "blasThreads=1 is not the baseline's auto");
        assertTrue(mixed.err().contains("share no configuration") && mixed.err().contains("{blasThreads=1, seqLen=64}"), mixed.err());
    }

    static JsonNode find(JsonNode comparisons, String label) {
        for (JsonNode e : comparisons) {
            StringBuilder l = new StringBuilder(e.get("benchmark").asText());
            e.get("params").fields().forEachRemaining(p -> l.append(' ').append(p.getKey()).append('=').append(p.getValue().asText()));
            if (l.toString().equals(label)) {
                return e;
            }
        }
        throw new AssertionError("no comparison of " + label);
    }
}
