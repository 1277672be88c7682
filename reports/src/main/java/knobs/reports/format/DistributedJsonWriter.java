package knobs.reports.format;

import knobs.reports.analysis.Distributed;
import knobs.reports.analysis.Passes;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Map;

/**
 * Writes {@code distributed.json} ({@link Distributed}; format in docs/reports.md): Collectives'
 * bandwidth against message size and against world size (per point: the step time, the slowest and
 * fastest rank's own times, algbw and busbw in bytes per second with the time they are over, each
 * rank's own time when profiled), the communication share of the rows that count it, and the rows
 * left out. Fields in a fixed order, as in {@link SummaryJsonWriter}.
 */
public final class DistributedJsonWriter {

    public static final String FILE = "distributed.json";

    private DistributedJsonWriter() {
    }

    public static byte[] write(Distributed d) {
        return Json.write(tree(d));
    }

    static ObjectNode tree(Distributed d) {
        ObjectNode root = Json.NODES.objectNode();
        curves(root.putArray("bandwidth_vs_size"), d.bandwidth(), Distributed.BYTES);
        curves(root.putArray("bandwidth_vs_world_size"), d.worldScaling(), Distributed.WORLD_SIZE);
        ArrayNode comm = root.putArray("communication");
        for (Distributed.Share s : d.communication()) {
            ObjectNode node = comm.addObject();
            node.put("benchmark", s.row().benchmark());
            node.set("params", SummaryJsonWriter.params(s.row().params()));
            node.put("mode", s.row().mode());
            node.set("seconds_per_op", Json.number(s.row().secondsPerOp()));
            node.set("comm_fraction", Json.number(s.commFraction()));
            node.set("exposed_comm_fraction", Json.numberOrNull(s.exposedFraction()));
        }
        ArrayNode left = root.putArray("not_analysed");
        for (Passes.NotAnalysed n : d.notAnalysed()) {
            ObjectNode node = left.addObject();
            node.put("benchmark", n.row().benchmark());
            node.set("params", SummaryJsonWriter.params(n.row().params()));
            node.put("mode", n.row().mode());
            node.put("reason", n.reason());
        }
        return root;
    }

    private static void curves(ArrayNode out, List<Distributed.Curve> curves, String x) {
        for (Distributed.Curve c : curves) {
            ObjectNode node = out.addObject();
            node.put("benchmark", c.group().benchmark());
            node.put("mode", c.group().mode());
            node.put("collective", c.collective());
            node.set("params", SummaryJsonWriter.params(c.group().fixed()));
            node.put("varied", x);
            ArrayNode points = node.putArray("points");
            for (Distributed.Point p : c.points()) {
                ObjectNode pt = points.addObject();
                pt.set(x, Json.number(p.x()));
                pt.set("step_seconds", Json.number(p.stepSeconds()));
                pt.set("slowest_rank_seconds", Json.numberOrNull(p.slowestSeconds()));
                pt.set("fastest_rank_seconds", Json.numberOrNull(p.fastestSeconds()));
                pt.set("algbw_bytes_per_s", Json.numberOrNull(p.algBytesPerS()));
                pt.set("busbw_bytes_per_s", Json.numberOrNull(p.busBytesPerS()));
                pt.put("bandwidth_time", p.basis() == Distributed.Basis.SLOWEST_RANK ? "slowest_rank" : "step");
                ObjectNode ranks = pt.putObject("rank_seconds");
                for (Map.Entry<Integer, Double> e : p.rankSeconds().entrySet()) {
                    ranks.set(Integer.toString(e.getKey()), Json.number(e.getValue()));
                }
            }
        }
    }
}
