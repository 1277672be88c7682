package knobs.reports.format;

import knobs.reports.analysis.Passes;
import knobs.reports.summary.SummaryRow;
import knobs.reports.summary.Units;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Map;

/**
 * Writes {@code passes.json}, forward against backward ({@link Passes}; format in docs/reports.md):
 * per configuration the median and quartiles of each pass measured, whether its row is
 * trustworthy, and forward_backward / forward and train_step / forward against the FLOPs ratios,
 * or why a ratio is missing; then the rows left out. Fields in a fixed order, as in
 * {@link SummaryJsonWriter}.
 */
public final class PassesJsonWriter {

    public static final String FILE = "passes.json";

    private PassesJsonWriter() {
    }

    public static byte[] write(Passes passes) {
        return Json.write(tree(passes));
    }

    static ObjectNode tree(Passes passes) {
        ObjectNode root = Json.NODES.objectNode();
        root.set("expected_flops_ratio", Json.number(Passes.EXPECTED_FLOPS_RATIO));
        ArrayNode entries = root.putArray("entries");
        for (Passes.Entry e : passes.entries()) {
            ObjectNode node = entries.addObject();
            node.put("benchmark", e.group().benchmark());
            node.put("mode", e.group().mode());
            node.set("params", SummaryJsonWriter.params(e.group().fixed()));
            ObjectNode measured = node.putObject("passes");
            for (Map.Entry<String, Passes.Measured> m : e.passes().entrySet()) {
                SummaryRow r = m.getValue().row();
                ObjectNode p = measured.putObject(m.getKey());
                p.set("seconds_per_op", Json.number(r.secondsPerOp()));
                double a = Units.secondsPerOp(r.stats().q1(), r.unit());
                double b = Units.secondsPerOp(r.stats().q3(), r.unit());
                p.set("q1_seconds", Json.number(Math.min(a, b)));
                p.set("q3_seconds", Json.number(Math.max(a, b)));
                p.set("flops", Json.numberOrNull(r.flops()));
                p.put("trustworthy", m.getValue().trustworthy());
            }
            node.set("forward_backward_over_forward", ratio(e.backward()));
            node.set("train_step_over_forward", ratio(e.train()));
            node.put("reading", e.reading());
        }
        ArrayNode left = root.putArray("not_analysed");
        for (Passes.NotAnalysed n : passes.notAnalysed()) {
            ObjectNode node = left.addObject();
            node.put("benchmark", n.row().benchmark());
            node.set("params", SummaryJsonWriter.params(n.row().params()));
            node.put("mode", n.row().mode());
            node.put("reason", n.reason());
        }
        return root;
    }

    private static ObjectNode ratio(Passes.Ratio r) {
        ObjectNode node = Json.NODES.objectNode();
        node.set("time_ratio", Json.numberOrNull(r.timeRatio()));
        node.set("flops_ratio", Json.numberOrNull(r.flopsRatio()));
        node.set("time_over_flops_ratio", Json.numberOrNull(r.efficiency()));
        node.put("not_analysed", r.notAnalysed());
        return node;
    }
}
