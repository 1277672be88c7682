package knobs.reports.input;

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
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code summarize --failed}: failure records of a sweep become the {@code failed} list and a section near the top of the page. */
class FailedConfigsTest {

    @TempDir
    Path dir;

    private JsonNode read(String file) throws IOException {
        return JmhFixture.MAPPER.readTree(dir.resolve("report").resolve(file).toFile());
    }

    @Test
    void failureRecordsBecomeTheFailedListAndASectionNearTheTop() throws IOException {
        JmhFixture.writeExtrasInputs(dir);
        Cli cli = Cli.run(dir, "summarize", "run.json", "--failed", "failed", "--out", "report", "--no-plots");
        assertEquals(0, cli.exit(), cli.err());
        JsonNode failed = read("summary.json").get("failed");
        assertEquals(2, failed.size());
        JsonNode blocks = failed.get(0);
        assertEquals("BlocksMask.forward", blocks.get("benchmark").asText(), "simple Class.method, sorted like rows");
        assertTrue(blocks.at("/params/activeBlocks").isIntegralNumber(), "params are typed");
        assertEquals("dense-cpu", blocks.at("/params/model").asText());
        assertEquals("java.lang.IllegalArgumentException: activeBlocks=8 <b>exceeds</b> the model's 4 blocks",
                blocks.get("reason").asText());
        assertEquals("logs/5c0ffee5c0ffee51.log", blocks.get("log").asText());
        assertEquals("SeqLenScaling.prefill", failed.at("/1/benchmark").asText());
        assertEquals(4096, failed.at("/1/params/seqLen").asInt());
        // The field sits between environment and summary.
        List<String> fields = new ArrayList<>();
        read("summary.json").fieldNames().forEachRemaining(fields::add);
        assertEquals(List.of("data_quality", "environment", "failed", "summary", "all_samples"), fields);

        String html = Files.readString(dir.resolve("report/index.html"));
        int section = html.indexOf("<section id=\"failed\">");
        assertTrue(section > 0 && section < html.indexOf("<section id=\"findings\">"), "before the findings");
        assertTrue(html.contains("<a href=\"#failed\">Failed configurations</a>"));
        assertTrue(html.contains("activeBlocks=8 &lt;b&gt;exceeds&lt;/b&gt; the model&#39;s 4 blocks"), "reason escaped");
        // The log that exists is linked relative to the page; the missing one is shown, not linked.
        assertTrue(html.contains("<a href=\"../logs/5c0ffee5c0ffee51.log\">logs/5c0ffee5c0ffee51.log</a>"), html);
        assertTrue(html.contains("<code>logs/0dd0dd0dd0dd0dd0.log</code>"));
        for (String link : OutputFolder.links(html)) {
            assertTrue(Files.exists(dir.resolve("report").resolve(link).normalize()), link);
        }
    }

    @Test
    void anEmptyFailedFolderGivesAnEmptyListAndNoFlagGivesNoField() throws IOException {
        JmhFixture.writeExtrasInputs(dir);
        Files.createDirectories(dir.resolve("none"));
        assertEquals(0, Cli.run(dir, "summarize", "run.json", "--failed", "none", "--out", "report", "--no-plots").exit());
        assertTrue(read("summary.json").get("failed").isArray());
        assertEquals(0, read("summary.json").get("failed").size());
        assertTrue(Files.readString(dir.resolve("report/index.html")).contains("<p>No configuration failed.</p>"));
        assertEquals(0, Cli.run(dir, "summarize", "run.json", "--out", "report", "--no-plots").exit());
        assertFalse(read("summary.json").has("failed"));
        assertFalse(Files.readString(dir.resolve("report/index.html")).contains("Failed configurations"));
    }

    @Test
    void aFailureRecordBesideAResultIsReportedAsStale() throws IOException {
        JmhFixture.writeExtrasInputs(dir);
        JmhFixture.write(dir.resolve("failed/1111111111111111.json"), "{\"id\": \"1111111111111111\","
                + " \"benchmark\": \"knobs.benchmarks.MoeTopK.forward\", \"params\": {\"topK\": \"2\"},"
                + " \"reason\": \"exit code 137\", \"log\": \"logs/1111111111111111.log\"}");
        Cli cli = Cli.run(dir, "summarize", "run.json", "--failed", "failed", "--out", "report", "--no-plots");
        assertEquals(0, cli.exit(), cli.err());
        assertEquals("reports: warning: failed/1111111111111111.json: MoeTopK.forward {topK=2} is recorded as failed"
                + " but also has a result among the inputs\n", cli.err());
    }
}
