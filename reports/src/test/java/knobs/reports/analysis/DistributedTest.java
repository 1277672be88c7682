package knobs.reports.analysis;

import knobs.reports.fixtures.Cli;
import knobs.reports.fixtures.JmhFixture;
import knobs.reports.format.DistributedJsonWriter;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Distributed runs ({@link Distributed}) on {@link JmhFixture#writeDistributedInputs}: nccl-tests'
 * algbw and busbw over the slowest rank's time, bandwidth against size and against world size,
 * per-rank times, the communication share, untrustworthy rows left out, the page's section, and
 * params the analysis cannot read refused.
 */
class DistributedTest {

    @TempDir
    Path dir;

    private JsonNode summarize(boolean plots) throws IOException {
        JmhFixture.writeDistributedInputs(dir);
        Cli cli = plots ? Cli.run(dir, "summarize", "runs.json", "--out", "report")
                : Cli.run(dir, "summarize", "runs.json", "--out", "report", "--no-plots");
        assertEquals(0, cli.exit(), cli.err());
        return JmhFixture.MAPPER.readTree(dir.resolve("report").resolve(DistributedJsonWriter.FILE).toFile());
    }

    @Test
    void bandwidthIsNcclTestsOverTheSlowestRanksTime() throws IOException {
        JsonNode d = summarize(false);
        JsonNode curves = d.get("bandwidth_vs_size");
        assertEquals(2, curves.size(), "all_reduce at 2 and at 4 ranks; the noisy all_gather is left out: " + curves);
        JsonNode two = curves.get(0);
        assertEquals("all_reduce", two.get("collective").asText());
        assertEquals("{\"collective\":\"all_reduce\",\"device\":\"cpu\",\"worldSize\":2}", two.get("params").toString());
        JsonNode small = two.at("/points/0");
        JsonNode big = two.at("/points/1");
        assertEquals(1024, small.get("bytes").asDouble());
        assertEquals(1024 / 1e-4, small.get("algbw_bytes_per_s").asDouble(), 1e-3);
        assertEquals(1048576 / 1.5e-3, big.get("busbw_bytes_per_s").asDouble(), 1e-3, "all_reduce on 2 ranks: busbw = algbw");
        assertEquals(2e-3, big.get("step_seconds").asDouble(), 1e-15);
        assertEquals(1.4e-3, big.get("fastest_rank_seconds").asDouble(), 1e-15);
        assertEquals("slowest_rank", big.get("bandwidth_time").asText());
        assertEquals(1.0e-4, small.at("/rank_seconds/1").asDouble(), 1e-15);
        assertEquals(0.9e-4, small.at("/rank_seconds/0").asDouble(), 1e-15);
        assertTrue(big.get("rank_seconds").isEmpty(), "no per-rank times without the profiler");

        JsonNode four = curves.get(1).at("/points/0");
        assertEquals(1048576 / 3e-3, four.get("algbw_bytes_per_s").asDouble(), 1e-3);
        assertEquals(1.5 * 1048576 / 3e-3, four.get("busbw_bytes_per_s").asDouble(), 1e-3, "2(n-1)/n = 1.5 at 4 ranks");

        JsonNode scaling = d.get("bandwidth_vs_world_size");
        assertEquals(1, scaling.size(), "1 MiB all_reduce measured at 2 and 4 ranks: " + scaling);
        assertEquals("{\"bytes\":1048576,\"collective\":\"all_reduce\",\"device\":\"cpu\"}", scaling.get(0).get("params").toString());
        assertEquals(2, scaling.at("/0/points/0/worldSize").asInt());
        assertEquals(4, scaling.at("/0/points/1/worldSize").asInt());

        JsonNode comm = d.get("communication");
        assertEquals(1, comm.size());
        assertEquals("DataParallel.step", comm.at("/0/benchmark").asText());
        assertEquals(0.4, comm.at("/0/comm_fraction").asDouble(), 1e-12);
        assertEquals(0.1, comm.at("/0/exposed_comm_fraction").asDouble(), 1e-12);

        JsonNode left = d.get("not_analysed");
        assertEquals(1, left.size());
        assertTrue(left.at("/0/reason").asText().startsWith("noisy"), left.toString());
    }

    @Test
    void thePageHasTheSectionTablesAndFigures() throws IOException {
        summarize(true);
        String html = Files.readString(dir.resolve("report/index.html"));
        assertTrue(html.contains("<a href=\"#distributed\">Distributed</a>"));
        assertTrue(html.contains("<h3>Collectives.step all_reduce (device=cpu, worldSize=2)</h3>"), html);
        assertTrue(html.contains("<td class=\"n\">1 MiB</td>"), html);
        assertTrue(html.contains("699 MB/s"), "busbw of 1 MiB in 1.5 ms");
        assertTrue(html.contains("0: 90 µs, 1: 100 µs"), "per-rank times");
        assertTrue(html.contains("Communication share of a step") && html.contains(">40%<") && html.contains(">10%<"));
        assertTrue(Files.exists(dir.resolve("report/plots/bandwidth-collectives-step-all-reduce.png")), "the bandwidth figure");
        assertTrue(Files.exists(dir.resolve("report/plots/bandwidth-scaling-collectives-step-all-reduce.png")));
    }

    @Test
    void aReportWithoutDistributedRowsHasNoSuchFile() throws IOException {
        JmhFixture.writePassesInputs(dir);
        Cli cli = Cli.run(dir, "summarize", "runs.json", "--out", "report", "--no-plots");
        assertEquals(0, cli.exit(), cli.err());
        assertFalse(Files.exists(dir.resolve("report").resolve(DistributedJsonWriter.FILE)));
        assertFalse(Files.readString(dir.resolve("report/index.html")).contains("id=\"distributed\""));
    }

    @Test
    void paramsTheAnalysisCannotReadAreRefused() throws IOException {
        JmhFixture.write(dir.resolve("runs.json"), JmhFixture.file(JmhFixture.exact("Collectives.step", 1,
                JmhFixture.perOp("algBytes", 64, "busBytes", 64), "collective", "all_reduce", "bytes", "64", "worldSize", "1")));
        Cli cli = Cli.run(dir, "summarize", "runs.json", "--out", "report", "--no-plots");
        assertEquals(2, cli.exit(), cli.err());
        assertTrue(cli.err().contains("param 'worldSize' is '1'; expected a number of ranks, an integer of at least 2"), cli.err());
    }
}
