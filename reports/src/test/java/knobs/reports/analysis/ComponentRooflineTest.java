package knobs.reports.analysis;

import knobs.reports.fixtures.Analyze;
import knobs.reports.fixtures.Cli;
import knobs.reports.fixtures.JmhFixture;
import knobs.reports.format.AnalysisJsonWriter;
import knobs.reports.format.html.HtmlReport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static knobs.reports.fixtures.JmhFixture.calibration;
import static knobs.reports.fixtures.JmhFixture.exact;
import static knobs.reports.fixtures.JmhFixture.perOp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * "Where the time goes" against hand-computed numbers: component times and shares, achieved rates
 * against the ceilings, compute/memory/overhead bounds, trustworthy rows only, and the rows whose
 * split cannot be trusted left out with the reason.
 */
class ComponentRooflineTest {

    @TempDir
    Path dir;

    /** Ceilings 1e11 FLOP/s and 1e10 B/s: ridge 10 FLOP/byte. */
    private static final JmhFixture.Run[] CEILINGS = calibration(1e11, 1e10);

    /** Three samples of the same value: one fork, three iterations, like {@link JmhFixture#exact}. */
    private static double[][] same(double v) {
        return new double[][] {{v, v, v}};
    }

    /**
     * A 10 ms MoE step: experts 6 ms (3.6e8 FLOPs, 1.2e7 bytes: 60 % of the FLOP/s ceiling, compute),
     * dispatch 2 ms (no FLOPs, 1e7 bytes: 50 % of the bytes/s ceiling, memory), router 1 ms (1e6
     * FLOPs, 1e5 bytes: 1 % of both, overhead), top-k 0.6 ms (no bytes declared), combine 0.2 ms (no
     * counted work at all: overhead), other 0.2 ms.
     */
    private static JmhFixture.Run moeStep(String topK, double otherMs) {
        JmhFixture.Run run = exact("MoeTopK.forward", 10, perOp("flops", 3.61e8, "bytes", 2.21e7), "topK", topK, "phase", "prefill");
        component(run, "moe.experts", 6, 3.6e8, 1.2e7);
        component(run, "moe.dispatch", 2, 0.0, 1e7);
        component(run, "moe.router", 1, 1e6, 1e5);
        component(run, "moe.topk", 0.6, 0.0, null);
        component(run, "moe.combine", 0.2, 0.0, 0.0);
        run.metric("component.other", "ns/op", same(otherMs * 1e6));
        run.metric("component.L0.moe.experts", "ns/op", same(3e6)); // per-layer: not a row of the table
        return run;
    }

    private static void component(JmhFixture.Run run, String name, double ms, Double flops, Double bytes) {
        run.metric("component." + name, "ns/op", same(ms * 1e6));
        if (flops != null) {
            run.metric("componentFlops." + name, "flops/op", same(flops));
        }
        if (bytes != null) {
            run.metric("componentBytes." + name, "bytes/op", same(bytes));
        }
    }

    private static JsonNode part(JsonNode entry, String name) {
        for (JsonNode p : entry.get("components")) {
            if (p.get("name").asText().equals(name)) {
                return p;
            }
        }
        throw new AssertionError(name + " missing from " + entry);
    }

    @Test
    void eachComponentGetsItsShareRatesAndBound() {
        JsonNode c = Analyze.json(dir, AnalysisJsonWriter.COMPONENT_ROOFLINE, Analyze.concat(CEILINGS, moeStep("8", 0.2)));
        assertEquals(0, c.get("missing").size());
        assertEquals(10, c.at("/ceilings/ridge_flops_per_byte").asDouble(), 1e-9);
        assertEquals(1, c.get("entries").size());
        JsonNode e = c.at("/entries/0");
        assertEquals("MoeTopK.forward", e.get("benchmark").asText());
        List<String> names = new ArrayList<>();
        e.get("components").forEach(p -> names.add(p.get("name").asText()));
        assertEquals(List.of("moe.router", "moe.topk", "moe.dispatch", "moe.experts", "moe.combine", "other"), names,
                "step order, other last");

        JsonNode experts = part(e, "moe.experts");
        assertEquals(0.006, experts.get("seconds_per_op").asDouble(), 1e-12);
        assertEquals(0.6, experts.get("share").asDouble(), 1e-9);
        assertEquals(6e10, experts.get("achieved_flops_per_s").asDouble(), 1);
        assertEquals(60, experts.get("percent_of_flops_ceiling").asDouble(), 1e-9);
        assertEquals(20, experts.get("percent_of_bytes_ceiling").asDouble(), 1e-9);
        assertEquals(30, experts.get("arithmetic_intensity").asDouble(), 1e-9);
        assertEquals("compute", experts.get("bound").asText());
        assertEquals(0.6, experts.get("fraction_of_bound").asDouble(), 1e-9);

        JsonNode dispatch = part(e, "moe.dispatch");
        assertEquals("memory", dispatch.get("bound").asText());
        assertEquals(50, dispatch.get("percent_of_bytes_ceiling").asDouble(), 1e-9);
        assertEquals(0.5, dispatch.get("fraction_of_bound").asDouble(), 1e-9);
        assertEquals(0, dispatch.get("arithmetic_intensity").asDouble(), 0);

        JsonNode router = part(e, "moe.router");
        assertEquals("overhead", router.get("bound").asText());
        assertEquals(1, router.get("percent_of_flops_ceiling").asDouble(), 1e-9);
        assertEquals(1, router.get("percent_of_bytes_ceiling").asDouble(), 1e-9);

        JsonNode topk = part(e, "moe.topk");
        assertTrue(topk.get("bytes").isNull() && topk.get("bound").isNull(), "no bytes declared: no bound guessed: " + topk);
        JsonNode combine = part(e, "moe.combine");
        assertEquals("overhead", combine.get("bound").asText(), "no counted work in 0.2 ms: " + combine);
        assertEquals(0, combine.get("fraction_of_bound").asDouble(), 0);
        assertTrue(combine.get("arithmetic_intensity").isNull());
        JsonNode other = part(e, "other");
        assertEquals(0.02, other.get("share").asDouble(), 1e-9);
        assertTrue(other.get("flops").isNull() && other.get("bound").isNull());

        assertEquals("moe.experts 60% (compute-bound, 60% of its roof), moe.dispatch 20% (memory-bound, 50% of its roof),"
                + " moe.router 10% (overhead-bound: 1% of the FLOP/s and 1% of the bytes/s ceiling), moe.topk 6%",
                e.get("reading").asText());
    }

    @Test
    void withoutCeilingsTheSharesStayAndNoBoundIsGuessed() {
        JsonNode c = Analyze.json(dir, AnalysisJsonWriter.COMPONENT_ROOFLINE, moeStep("8", 0.2));
        assertEquals(2, c.get("missing").size());
        JsonNode experts = part(c.at("/entries/0"), "moe.experts");
        assertEquals(0.6, experts.get("share").asDouble(), 1e-9);
        assertEquals(6e10, experts.get("achieved_flops_per_s").asDouble(), 1);
        assertTrue(experts.get("percent_of_flops_ceiling").isNull() && experts.get("bound").isNull(), experts.toString());
    }

    @Test
    void onlyTrustworthyRowsAndOnlySplitsThatFitInTheStep() {
        JmhFixture.Run noisy = exact("MoeTopK.forward", new double[] {5, 10, 20}, perOp("flops", 1e8, "bytes", 1e7),
                "topK", "1", "phase", "prefill");
        component(noisy, "moe.experts", 6, 3.6e8, 1.2e7);
        noisy.metric("component.other", "ns/op", same(1e6));
        // components of 11 ms in a 10 ms step: work outside the operations was counted
        JmhFixture.Run over = moeStep("2", -1);
        JsonNode c = Analyze.json(dir, AnalysisJsonWriter.COMPONENT_ROOFLINE, Analyze.concat(CEILINGS, moeStep("8", 0.2), noisy, over));
        assertEquals(1, c.get("entries").size(), c.toString());
        assertEquals("8", c.at("/entries/0/params/topK").asText());
        assertEquals(1, c.get("skipped").size(), "the noisy row is not analysed at all (listed under data quality)");
        assertEquals("2", c.at("/skipped/0/params/topK").asText());
        assertTrue(c.at("/skipped/0/reason").asText().startsWith("the components add up to 110 % of the step's time"),
                c.at("/skipped/0/reason").asText());
    }

    @Test
    void anIterationThatHeldTheSetupIsUnknownNotZero() {
        JmhFixture.Run run = exact("MoeTopK.forward", 10, perOp("flops", 1e8, "bytes", 1e7), "topK", "8", "phase", "prefill");
        ArrayNode raw = JmhFixture.MAPPER.createArrayNode();
        raw.addArray().add("NaN").add(4e6).add(6e6);
        run.metricRaw("component.mlp", "ns/op", raw);
        ArrayNode unknown = JmhFixture.MAPPER.createArrayNode();
        unknown.addArray().add("NaN").add("NaN").add("NaN");
        run.metricRaw("component.norm", "ns/op", unknown);
        run.metric("component.other", "ns/op", same(5e6));
        Cli cli = Analyze.run(dir, run);
        assertEquals(0, cli.exit(), cli.err());
        assertTrue(cli.err().contains("component metrics are unknown in every iteration"), cli.err());
        JsonNode summary = Analyze.read(dir, "summary.json");
        JsonNode secondary = summary.at("/summary/0/secondary");
        assertEquals(5e6, secondary.get("component.mlp").asDouble(), 1e-6, "median of the known iterations");
        assertFalse(secondary.has("component.norm"), secondary.toString());
    }

    @Test
    void thePageShowsTheTableInsteadOfDozensOfColumns() {
        Cli cli = Analyze.run(dir, Analyze.concat(CEILINGS, moeStep("8", 0.2)));
        assertEquals(0, cli.exit(), cli.err());
        String html = Analyze.readText(dir, HtmlReport.FILE);
        assertTrue(html.contains("<h3>Where the time goes</h3>"), "section missing");
        assertTrue(html.contains("<tr><td>moe.experts</td><td class=\"n\">6 ms</td><td class=\"n\">60%</td>"), html);
        assertTrue(html.contains("<td>overhead</td>") && html.contains("<td>compute, 60% of roof</td>"), html);
        assertFalse(html.contains("<th>component.moe.experts</th>") || html.contains("<th>componentFlops.moe.experts</th>"),
                "component metrics are not columns of the benchmark table");
    }
}
