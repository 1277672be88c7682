package knobs.reports.analysis;

import knobs.reports.fixtures.Cli;
import knobs.reports.fixtures.Golden;
import knobs.reports.fixtures.JmhFixture;
import knobs.reports.fixtures.OutputFolder;
import knobs.reports.format.PassesJsonWriter;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Forward against backward ({@link Passes}) on {@link JmhFixture#writePassesInputs}: which
 * configurations are compared, which ratios are drawn and which are refused and why, sealed by
 * {@code passes.json} and the page's section as golden files ({@code golden/passes/}).
 *
 * <p>After an intended change: {@code mvn -B -o -pl reports test -Dtest=PassesTest -Dknobs.updateGolden=true}
 */
class PassesTest {

    private static final Path GOLDEN = Golden.ROOT.resolve("passes");

    @TempDir
    Path dir;

    private JsonNode summarize(boolean plots) throws IOException {
        JmhFixture.writePassesInputs(dir);
        List<String> args = new ArrayList<>(List.of("summarize", "runs.json", "--out", "report"));
        if (!plots) {
            args.add("--no-plots");
        }
        Cli cli = Cli.run(dir, args.toArray(String[]::new));
        assertEquals(0, cli.exit(), cli.err());
        return JmhFixture.MAPPER.readTree(dir.resolve("report").resolve(PassesJsonWriter.FILE).toFile());
    }

    private static JsonNode entry(JsonNode passes, String benchmark, String paramsJson) {
        for (JsonNode e : passes.get("entries")) {
            if (e.get("benchmark").asText().equals(benchmark) && e.get("params").toString().equals(paramsJson)) {
                return e;
            }
        }
        throw new AssertionError(benchmark + " " + paramsJson + " not in " + passes.get("entries"));
    }

    @Test
    void ratiosComeFromTrustworthyRowsOnlyAndEveryRefusalSaysWhy() throws IOException {
        JsonNode passes = summarize(false);
        // Every configuration with a backward pass, none measured at forward alone (BlocksMask).
        assertEquals(6, passes.get("entries").size(), passes.toPrettyString());
        for (JsonNode e : passes.get("entries")) {
            assertFalse(e.get("benchmark").asText().startsWith("BlocksMask"), "a forward-only configuration is not compared");
        }

        JsonNode small = entry(passes, "ModelSize.step", "{\"size\":\"small\"}");
        assertEquals(3.1, small.at("/forward_backward_over_forward/time_ratio").asDouble(), 1e-12);
        assertEquals(3.0, small.at("/forward_backward_over_forward/flops_ratio").asDouble(), 1e-12);
        assertEquals(3.6, small.at("/train_step_over_forward/time_ratio").asDouble(), 1e-12);
        assertEquals(3.0014, small.at("/train_step_over_forward/flops_ratio").asDouble(), 1e-12);
        assertEquals(0.010, small.at("/passes/forward/seconds_per_op").asDouble(), 1e-15);
        assertTrue(small.at("/passes/train_step/trustworthy").asBoolean());
        assertTrue(small.at("/forward_backward_over_forward/not_analysed").isNull());

        // The noisy forward_backward gives no ratio, and is listed with its reason.
        JsonNode noisy = entry(passes, "MoeTopK.forward", "{\"phase\":\"prefill\",\"topK\":1}");
        assertTrue(noisy.at("/forward_backward_over_forward/time_ratio").isNull());
        assertTrue(noisy.at("/forward_backward_over_forward/not_analysed").asText()
                .startsWith("the pass=forward_backward row is not trustworthy: noisy (IQR/median"), noisy.toPrettyString());
        assertFalse(noisy.at("/passes/forward_backward/trustworthy").asBoolean());
        assertEquals(1, passes.get("not_analysed").size());
        assertEquals("{\"pass\":\"forward_backward\",\"phase\":\"prefill\",\"topK\":1}",
                passes.at("/not_analysed/0/params").toString());

        assertEquals("no pass=forward row of this configuration", entry(passes, "ContextScaling.prefill", "{\"crops\":2}")
                .at("/forward_backward_over_forward/not_analysed").asText());
        JsonNode seq = entry(passes, "SeqLenScaling.prefill", "{\"seqLen\":64}");
        assertEquals(Passes.NOT_MEASURED, seq.at("/forward_backward_over_forward/not_analysed").asText());
        assertEquals(3.4, seq.at("/train_step_over_forward/time_ratio").asDouble(), 1e-12);
    }

    @Test
    void backwardGapIsJudgedOnEveryKnobFromTrustworthyRowsOnly() throws IOException {
        summarize(false);
        JsonNode findings = JmhFixture.MAPPER.readTree(dir.resolve("report/findings.json").toFile());
        List<String> fired = new ArrayList<>();
        for (JsonNode f : findings.get("findings")) {
            if (f.get("rule").asText().equals("backward_gap")) {
                fired.add(f.get("benchmark").asText() + " " + f.get("params") + " " + f.get("severity").asText());
            }
        }
        assertEquals(List.of("MoeTopK.forward {\"phase\":\"prefill\",\"topK\":2} high",
                "BatchSize.forward {\"batchSize\":2,\"phase\":\"prefill\"} medium"), fired);
        List<String> notJudged = new ArrayList<>();
        for (JsonNode n : findings.get("not_judged")) {
            if (n.get("rule").asText().equals("backward_gap")) {
                notJudged.add(n.get("benchmark").asText() + ": " + n.get("reason").asText());
            }
        }
        assertEquals(3, notJudged.size(), notJudged.toString());
        assertTrue(notJudged.contains("ContextScaling.prefill: needs trustworthy pass=forward and pass=forward_backward rows:"
                + " no pass=forward row of this configuration"), notJudged.toString());
        assertTrue(notJudged.stream().anyMatch(s -> s.startsWith("MoeTopK.forward: needs trustworthy pass=forward and"
                + " pass=forward_backward rows: the pass=forward_backward row is not trustworthy: noisy")), notJudged.toString());
        assertTrue(notJudged.contains("SeqLenScaling.prefill: needs trustworthy pass=forward and pass=forward_backward rows:"
                + " not measured"), notJudged.toString());
    }

    @Test
    void passesJsonAndTheSectionMatchTheirGoldenFiles() throws IOException {
        summarize(true);
        Path report = dir.resolve("report");
        Golden.check(GOLDEN, PassesJsonWriter.FILE, report.resolve(PassesJsonWriter.FILE));
        String html = Files.readString(report.resolve("index.html"));
        int start = html.indexOf("<section id=\"passes\">");
        int end = html.indexOf("</section>", start) + "</section>\n".length();
        assertTrue(start > 0, "no passes section");
        assertTrue(html.contains("<a href=\"#passes\">Forward vs backward</a>"), "the section is in the navigation");
        assertTrue(start > html.indexOf("<h2>Performance model</h2>") && start < html.indexOf("<h2>Findings</h2>"));
        Path section = dir.resolve("section.html");
        Files.writeString(section, html.substring(start, end));
        Golden.check(GOLDEN, "section.html", section);
        // One grouped bar chart per benchmark with a configuration of two trustworthy passes, all in the section;
        // ContextScaling has one pass only, so no chart.
        List<String> plots = OutputFolder.plotFiles(report).stream().filter(f -> f.startsWith("plots/passes-")).toList();
        List<String> expected = new ArrayList<>();
        for (String name : List.of("passes-batchsize-forward", "passes-modelsize-step", "passes-moetopk-forward",
                "passes-seqlenscaling-prefill")) {
            expected.add("plots/" + name + ".png");
            expected.add("plots/" + name + ".svg");
            assertTrue(html.substring(start, end).contains("plots/" + name + ".png"), name + " not in the section");
        }
        assertEquals(new java.util.TreeSet<>(expected), new java.util.TreeSet<>(plots));
    }

    @Test
    void aReportWithoutBackwardPassesHasNoSectionAndAnEmptyFile() throws IOException {
        JmhFixture.write(dir.resolve("in.json"), JmhFixture.file(
                JmhFixture.exact("MoeTopK.forward", 3, JmhFixture.perOp("flops", 1e8), "topK", "1", "pass", "forward"),
                JmhFixture.exact("MoeTopK.forward", 4, JmhFixture.perOp("flops", 2e8), "topK", "2", "pass", "forward")));
        Cli cli = Cli.run(dir, "summarize", "in.json", "--out", "report", "--no-plots");
        assertEquals(0, cli.exit(), cli.err());
        JsonNode passes = JmhFixture.MAPPER.readTree(dir.resolve("report").resolve(PassesJsonWriter.FILE).toFile());
        assertEquals(0, passes.get("entries").size());
        String html = Files.readString(dir.resolve("report/index.html"));
        assertFalse(html.contains("id=\"passes\"") || html.contains("#passes"), "no section without a backward pass");
    }
}
