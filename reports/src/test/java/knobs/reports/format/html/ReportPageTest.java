package knobs.reports.format.html;

import knobs.reports.fixtures.Analyze;
import knobs.reports.fixtures.Cli;
import knobs.reports.fixtures.JmhFixture;
import knobs.reports.fixtures.OutputFolder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import com.fasterxml.jackson.databind.JsonNode;
import org.w3c.dom.Document;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

import static knobs.reports.fixtures.JmhFixture.calibration;
import static knobs.reports.fixtures.JmhFixture.exact;
import static knobs.reports.fixtures.JmhFixture.perOp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** index.html and the figures: complete, linked, loadable, and escaped. (Rendering: ChromiumReportTest.) */
public class ReportPageTest {

    @TempDir
    Path dir;

    @Test
    void everyKnobGetsItsFiguresAndThePageLinksOnlyToFilesThatExist() throws Exception {
        JmhFixture.writeAnalysisInputs(dir);
        Cli cli = Cli.run(dir, "summarize", "knobs.json", "calibration.json", "--out", "report");
        assertEquals(0, cli.exit(), cli.err());
        Path report = dir.resolve("report");
        String html = Files.readString(report.resolve("index.html"));

        List<String> plots = OutputFolder.plotFiles(report);
        for (String expected : List.of("roofline", "model", "scaling-seqlenscaling-prefill-seqlen",
                "scaling-contextscaling-forward-visiontokens",
                "breakdown-contextscaling-forward-stages", "breakdown-outputtokens-generate-stages",
                "breakdown-moetopk-forward-total-phase-decode", "breakdown-moetopk-forward-total-phase-prefill",
                "breakdown-blocksmask-forward-total-phase-decode", "breakdown-modelsize-step-total-pass-forward",
                "breakdown-seqlenscaling-prefill-total", "breakdown-batchsize-forward-total",
                "scaling-modelsize-step-pass-train-step-flops",
                "passes-modelsize-step", "flops-scaling-moetopk-forward")) {
            assertTrue(plots.contains("plots/" + expected + ".png"), expected + " missing from " + plots);
            assertTrue(plots.contains("plots/" + expected + ".svg"), expected + ".svg missing");
        }
        // Every link resolves inside the report, and every figure is on the page.
        List<String> links = OutputFolder.links(html);
        for (String link : links) {
            assertFalse(link.contains(":") || link.startsWith("/") || link.contains(".."), "not a relative link: " + link);
            assertTrue(Files.isRegularFile(report.resolve(link)), "broken link " + link);
        }
        assertEquals(new TreeSet<>(plots), new TreeSet<>(links.stream().filter(l -> l.startsWith("plots/")).toList()));
        for (String data : List.of("summary.json", "summary.csv", "samples.csv", "roofline.json", "scaling.json",
                "flops_scaling.json", "model.json", "findings.json", "breakdowns.json", "warmup.json", "component_roofline.json")) {
            assertTrue(links.contains(data), data);
        }
        for (String png : plots.stream().filter(p -> p.endsWith(".png")).toList()) {
            BufferedImage image = ImageIO.read(report.resolve(png).toFile());
            assertNotNull(image, png + " is not a readable PNG");
            assertEquals(820, image.getWidth());
            assertEquals(480, image.getHeight());
        }
        for (String svg : plots.stream().filter(p -> p.endsWith(".svg")).toList()) {
            assertEquals("svg", OutputFolder.parseSvg(report.resolve(svg)).getDocumentElement().getTagName(), svg);
        }
        // One section per benchmark, with its readings and findings.
        for (String text : List.of("<h2>Findings</h2>", "<h2>Environment</h2>", "<h2>Roofline</h2>",
                "<h2>Performance model</h2>", "<h2>SeqLenScaling.prefill</h2>", "<h2>ModelSize.step</h2>",
                "<h3>FLOPs against time</h3>", "the slope changes at maxNewTokens = 50",
                "forward_backward takes 4.50× the forward time")) {
            assertTrue(html.contains(text), text);
        }
        assertFalse(html.contains("<script"), "the page runs no script");
        assertFalse(html.contains("http://") || html.contains("https://"), "the page loads nothing from the network");
    }

    @Test
    void thePageReadsTopDownHeadlinesFirstEnvironmentLastWithNoAbsolutePathAndNoRawNanoseconds() throws Exception {
        JmhFixture.writeAnalysisInputs(dir);
        // Absolute input paths, as a sweep script passes them: none may reach the page.
        Cli cli = Cli.run(dir, "summarize", dir.resolve("knobs.json").toString(), dir.resolve("calibration.json").toString(),
                "--out", "report", "--no-plots");
        assertEquals(0, cli.exit(), cli.err());
        String html = Files.readString(dir.resolve("report/index.html"));
        assertFalse(html.contains(dir.toString()), "an absolute path on the page");
        assertTrue(html.contains("from knobs.json, calibration.json, knobs-env/env-2001.json"), "inputs relative to their folder");

        int[] order = {html.indexOf("<h2>Headlines</h2>"), html.indexOf("<h2>Roofline</h2>"),
                html.indexOf("<h2>Performance model</h2>"), html.indexOf("<h2>SeqLenScaling.prefill</h2>"),
                html.indexOf("<h2>Findings</h2>"), html.indexOf("<h2>Environment</h2>")};
        for (int i = 0; i < order.length; i++) {
            assertTrue(order[i] > 0 && (i == 0 || order[i] > order[i - 1]), "section " + i + " out of order: " + List.of(order));
        }
        // One headline per knob in the inputs, from trustworthy rows; the noisy crops=8 row is left out and that is said.
        String headlines = html.substring(order[0], order[1]);
        assertEquals(7, headlines.split("<li", -1).length - 1, headlines);
        assertTrue(headlines.contains("FLOPs by 2.40× and time by 1.87× (28.7 ms → 53.6 ms, +3.56 ms per expert) for phase=prefill"), headlines);
        assertTrue(headlines.contains("(1 of 4 configurations left out as untrustworthy)"), headlines);

        // Findings: one expandable line per rule that fired, each listing the configurations it hit.
        JsonNode findings = JmhFixture.MAPPER.readTree(dir.resolve("report/findings.json").toFile());
        Set<String> rules = new TreeSet<>();
        findings.get("findings").forEach(f -> rules.add(f.get("rule").asText()));
        String section = html.substring(order[4], order[5]);
        assertEquals(rules.size(), section.split("<details class=\"rule\"", -1).length - 1);
        for (String rule : rules) {
            assertEquals(1, section.split("id=\"rule-" + rule + "\"", -1).length - 1, rule);
        }
        assertTrue(section.contains("<code>poor_scaling</code>"), section);
        // The noisy row is no finding: the one-line banner opens the page and the row is listed, with why, before the findings.
        assertTrue(html.indexOf("<div class=\"banner\" id=\"data-quality\"><b>Data quality:</b> 50 of 51 rows trustworthy; 1 not analysed: 1 noisy")
                < html.indexOf("<h1>"), html.substring(0, 1200));
        String notAnalysed = html.substring(html.indexOf("<h2>Not analysed</h2>"), order[4]);
        assertTrue(notAnalysed.contains("<li>ContextScaling.forward {crops=8} (avgt): noisy (IQR/median"), notAnalysed);

        // Times as times: component counters (prefillNs...) neither as names nor as raw nanoseconds.
        String tables = html.substring(order[1], order[4]);
        assertFalse(tables.contains("Ns</th>"), "a raw nanosecond column");
        assertTrue(tables.contains("<th>prefill time</th>") && tables.contains("<th>decode time</th>"));
        assertFalse(Pattern.compile("<td class=\"n\">[0-9.]+e[+-]?[0-9]+").matcher(tables).find(), "a number in scientific notation");
        assertTrue(tables.contains("<th>IQR</th>"));
    }

    @Test
    void everyStringFromTheInputIsEscaped() throws Exception {
        JmhFixture.writeHostileInputs(dir);
        Cli cli = Cli.run(dir, "summarize", "in.json", "--out", "report");
        assertEquals(0, cli.exit(), cli.err());
        Path report = dir.resolve("report");
        String html = Files.readString(report.resolve("index.html"));
        assertFalse(html.contains("<script"), "raw <script> in the page");
        assertFalse(html.contains("<img src=x"), "raw <img> from a param in the page");
        assertFalse(html.contains("<b>bold") || html.contains("<i>name"), "raw markup from a name in the page");
        assertTrue(html.contains("&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"));
        assertTrue(html.contains("a&quot;b&#39;&amp;c"));
        assertTrue(html.contains("Evil&lt;b&gt;bold&lt;/b&gt;.step"));
        assertTrue(html.contains("&lt;script&gt;alert(3)&lt;/script&gt;"), "environment values are escaped too");
        // File names are made from the same text: only safe characters reach them.
        List<String> plots = OutputFolder.plotFiles(report);
        assertFalse(plots.isEmpty());
        for (String plot : plots) {
            assertTrue(plot.matches("plots/[a-z0-9-]+\\.(png|svg)"), plot);
        }
        for (String svg : plots.stream().filter(p -> p.endsWith(".svg")).toList()) {
            Document doc = OutputFolder.parseSvg(report.resolve(svg));
            assertEquals(0, doc.getElementsByTagName("script").getLength(), svg);
        }
    }

    private static JmhFixture.Run[] small() {
        List<JmhFixture.Run> runs = new ArrayList<>(List.of(calibration(1e11, 1e10)));
        for (int k : new int[] {1, 2}) {
            runs.add(exact("MoeTopK.forward", 10 + k, perOp("flops", 1e8 * k, "bytes", 1e8), "topK", Integer.toString(k)));
        }
        return runs.toArray(JmhFixture.Run[]::new);
    }

    @Test
    void withoutPlotsThePageHasTablesAndSaysWhy() throws IOException {
        Cli cli = Analyze.run(dir, small());
        assertEquals(0, cli.exit(), cli.err());
        assertFalse(Files.exists(dir.resolve("out/plots")));
        String html = Analyze.readText(dir, HtmlReport.FILE);
        assertTrue(html.contains("Plots were turned off"));
        assertFalse(html.contains("<img"));
        assertTrue(html.contains("<h2>MoeTopK.forward</h2>"));
    }

    @Test
    void rerunningRemovesFiguresOfTheEarlierReportButNothingElse() throws IOException {
        JmhFixture.write(dir.resolve("in.json"), JmhFixture.file(small()));
        assertEquals(0, Cli.run(dir, "summarize", "in.json", "--out", "out").exit());
        assertFalse(OutputFolder.plotFiles(dir.resolve("out")).isEmpty());
        JmhFixture.write(dir.resolve("out/plots/notes.txt"), "mine");
        JmhFixture.write(dir.resolve("out/plots/old-figure.png"), "stale");
        assertEquals(0, Cli.run(dir, "summarize", "in.json", "--out", "out", "--no-plots").exit());
        assertEquals(List.of("plots/notes.txt"), OutputFolder.plotFiles(dir.resolve("out")));
    }
}
