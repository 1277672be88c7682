package knobs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import knobs.kernels.Presets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * DataParallel and ExpertParallel for real, tiny: one fork each (rank 0) and, for two ranks, a
 * child JVM (rank 1), Gloo over 127.0.0.1; and their knob checks before any fork.
 */
class ModelParallelSmokeTest {
    @TempDir
    Path dir;

    private static List<String> problems(String... argv) throws Exception {
        CommandLineOptions o = new CommandLineOptions(argv);
        return PreForkCheck.problems(o, Main.paramNames(List.of(argv)), BenchmarkList.defaultList());
    }

    @Test
    void badKnobsAreOneLineEachBeforeAnyFork() throws Exception {
        Map<String, String> cases = Map.of(
                "DataParallel -p pass=forward", "DataParallel: pass=forward is not allowed: a data-parallel step all-reduces"
                        + " gradients; allowed: forward_backward, train_step",
                "DataParallel -p overlap=sometimes", "DataParallel: overlap=sometimes is not allowed; allowed: hooks, after_backward",
                "DataParallel -p bucketMiB=0", "DataParallel: bucketMiB=0.0 is not allowed: must be > 0",
                "DataParallel -p worldSize=0", "DataParallel: worldSize=0 is not allowed: must be in 1..256",
                "ExpertParallel -p worldSize=3", "ExpertParallel: worldSize=3 is not allowed for model 'moe-cpu' (64 experts):"
                        + " must divide the expert count",
                "ExpertParallel -p topK=65", "ExpertParallel: topK=65 is not allowed for model 'moe-cpu': must be in 1..64",
                "ExpertParallel -p routing=trace:x.json", "ExpertParallel: routing=trace:x.json is not allowed here",
                "ExpertParallel -p tokens=0", "ExpertParallel: tokens=0 is not allowed: must be >= 1");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            List<String> p = problems(c.getKey().split(" "));
            assertEquals(1, p.size(), c.getKey() + ": " + p);
            assertTrue(p.get(0).startsWith(c.getValue()), c.getKey() + " -> " + p.get(0));
        }
        assertEquals(List.of(), problems("DataParallel", "-p", "worldSize=1,2,4", "-p", "bucketMiB=0.25,25",
                "-p", "overlap=hooks,after_backward", "-p", "pass=forward_backward,train_step"));
        assertEquals(List.of(), problems("ExpertParallel", "-p", "worldSize=1,2,4,8", "-p", "routing=router,balanced,skewed"));
    }

    @Test
    void bothRunWithTwoRanksAndReportTheirSplit() throws Exception {
        JsonNode runs = new JmhRuns(dir).run(new JmhRuns(dir).options("knobs.benchmarks.(DataParallel|ExpertParallel).step")
                .param("worldSize", "2")
                .param("size", "tiny").param("batchSize", "1").param("contextLength", "16").param("bucketMiB", "0.1")
                .param("model", "tiny-moe").param("topK", "2").param("tokens", "32").param("routing", "balanced"));
        assertEquals(2, runs.size());
        int d = Presets.get("tiny-moe").dModel();
        for (JsonNode r : runs) {
            String name = r.at("/benchmark").asText();
            assertTrue(r.at("/primaryMetric/score").asDouble() > 0, name);
            double slowest = JmhRuns.perOp(r, "slowestRankNs");
            assertTrue(slowest >= JmhRuns.perOp(r, "fastestRankNs") && slowest > 0, name);
            if (name.endsWith("DataParallel.step")) {
                assertEquals(2.0 * 16, JmhRuns.perOp(r, "tokens"), 0.0);
                double exposed = JmhRuns.perOp(r, "exposedCommNs");
                assertTrue(exposed > 0 && JmhRuns.perOp(r, "commNs") > 0 && JmhRuns.perOp(r, "computeNs") > exposed / 100, name);
                assertTrue(JmhRuns.perOp(r, "gradientBytes") > 0, name);
            } else {
                // balanced routing: half of each rank's 32 × 2 rows leave it, both ways
                assertEquals(2.0 * 32 * 2 * d * 4 / 2, JmhRuns.perOp(r, "dispatchBytes"), 0.0);
                assertEquals(2.0 * 32 * 2 * d * 4 / 2, JmhRuns.perOp(r, "combineBytes"), 0.0);
                assertEquals(2.0 * 32 * 2, JmhRuns.perOp(r, "expertRows"), 0.0);
                assertEquals(32.0 * 2, JmhRuns.perOp(r, "expertRowsMaxRank"), 0.0);
                assertTrue(JmhRuns.perOp(r, "commNs") > 0 && JmhRuns.perOp(r, "computeNs") > 0, name);
            }
        }
    }
}
