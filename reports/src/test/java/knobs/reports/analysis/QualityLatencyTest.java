package knobs.reports.analysis;

import knobs.reports.fixtures.Cli;
import knobs.reports.fixtures.Golden;
import knobs.reports.fixtures.JmhFixture;
import knobs.reports.fixtures.OutputFolder;
import knobs.reports.format.AnalysisJsonWriter;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static knobs.reports.fixtures.JmhFixture.exact;
import static knobs.reports.fixtures.JmhFixture.perOp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The quality–latency section: {@code quality.json} and the page's "Quality and latency" parts are
 * sealed by golden files built from {@link JmhFixture#writeQualityInputs}; the figures are drawn and
 * linked; bad quality counters are errors naming the value.
 *
 * <p>After an intended change, regenerate and review the diff:
 * {@code mvn -B -o -pl reports test -Dtest=QualityLatencyTest -Dknobs.updateGolden=true}
 */
class QualityLatencyTest {
    private static final Path GOLDEN = Golden.ROOT.resolve("quality");

    @TempDir
    Path dir;

    @Test
    void qualityJsonAndThePageSectionMatchTheirGoldenFiles() throws Exception {
        JmhFixture.writeQualityInputs(dir);
        Cli cli = Cli.run(dir, "summarize", "quality.json", "--out", "report", "--no-plots");
        assertEquals(0, cli.exit(), cli.err());
        Path report = dir.resolve("report");
        Golden.check(GOLDEN, AnalysisJsonWriter.QUALITY, report.resolve(AnalysisJsonWriter.QUALITY));
        String html = Files.readString(report.resolve("index.html"));
        StringBuilder sections = new StringBuilder();
        int from = 0;
        while ((from = html.indexOf("<h3>Quality and latency</h3>", from)) >= 0) {
            int end = html.indexOf("</section>", from);
            sections.append(html, from, end).append("<!-- end of section -->\n");
            from = end;
        }
        Path actual = dir.resolve("sections.html");
        Files.writeString(actual, sections);
        Golden.check(GOLDEN, "sections.html", actual);
        assertTrue(cli.out().contains("quality.json"), cli.out());
    }

    @Test
    void readingsUseTrustworthyRowsAndRandomWeightsAreLabelled() throws Exception {
        JmhFixture.writeQualityInputs(dir);
        Cli cli = Cli.run(dir, "summarize", "quality.json", "--out", "report");
        assertEquals(0, cli.exit(), cli.err());
        Path report = dir.resolve("report");
        var json = JmhFixture.MAPPER.readTree(report.resolve(AnalysisJsonWriter.QUALITY).toFile());
        var entries = json.get("entries");
        assertEquals(3, entries.size());
        var moe = entries.get(2);
        assertEquals("MoeTopK.forward", moe.get("benchmark").asText());
        assertEquals("random weights: quality numbers describe an untrained model", moe.get("label").asText());
        assertEquals(false, moe.at("/points/1/trustworthy").asBoolean(), "topK=2 is noisy");
        assertTrue(moe.get("reading").asText().startsWith("fastest: topK=1 at "), moe.get("reading").asText());
        assertTrue(moe.get("reading").asText().contains("the time of topK=8"), moe.get("reading").asText());
        var size = entries.get(1);
        assertEquals("ModelSize.step", size.get("benchmark").asText());
        assertTrue(size.get("label").isNull(), "a checkpoint's numbers carry no random-weights label");
        assertEquals("Custom.step", json.at("/skipped/0/benchmark").asText());

        List<String> plots = OutputFolder.plotFiles(report);
        String html = Files.readString(report.resolve("index.html"));
        for (String figure : List.of("quality-moetopk-forward", "quality-blocksmask-forward", "quality-modelsize-step")) {
            assertTrue(plots.contains("plots/" + figure + ".png"), figure + " missing from " + plots);
            assertTrue(html.contains("plots/" + figure + ".png"), figure + " not on the page");
        }
        int moeSection = html.indexOf("<h2>MoeTopK.forward</h2>");
        int figure = html.indexOf("plots/quality-moetopk-forward.png");
        assertTrue(moeSection > 0 && figure > moeSection && figure < html.indexOf("</section>", moeSection),
                "the figure sits in its benchmark's section");
    }

    @Test
    void badQualityCountersAreErrors() throws Exception {
        for (Object[] c : new Object[][] {
                {"qualityKlNats", -0.5, "counter 'qualityKlNats' is -0.5 per op; it is a KL divergence in nats, 0 or more"},
                {"qualityTop1", 1.5, "counter 'qualityTop1' is 1.5 per op; it is a share of positions, from 0 to 1"},
                {"qualityRandomWeights", 2.0, "counter 'qualityRandomWeights' is 2.0 per op; it is a flag (1 = random weights), from 0 to 1"}}) {
            Path in = dir.resolve(c[0] + ".json");
            java.util.Map<String, Double> counters = new java.util.LinkedHashMap<>(perOp("qualityKlNats", 0.1, "qualityTop1", 0.5,
                    "qualityRandomWeights", 1));
            counters.put((String) c[0], (Double) c[1]);
            JmhFixture.write(in, JmhFixture.file(exact("MoeTopK.forward", 10, counters, "topK", "1")));
            Cli cli = Cli.run(dir, "summarize", in.getFileName().toString(), "--out", "out-" + c[0], "--no-plots");
            assertEquals(knobs.reports.ExitCode.BAD_INPUT, cli.exit(), cli.err());
            assertTrue(Files.notExists(dir.resolve("out-" + c[0])), "no half-written report");
            assertTrue(cli.err().contains((String) c[2]), cli.err());
        }
    }
}
