package knobs.reports.analysis.rules;

import knobs.reports.fixtures.Analyze;
import knobs.reports.fixtures.JmhFixture;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static knobs.reports.fixtures.JmhFixture.exact;
import static knobs.reports.fixtures.JmhFixture.perOp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rule {@code routing_imbalance} and its model of uniform random routing. */
class RoutingImbalanceTest {

    @TempDir
    Path dir;

    private static JmhFixture.Run moe(String phase, int k, double tokens, double imbalance, String... extra) {
        String[] params = new String[4 + extra.length];
        params[0] = "phase";
        params[1] = phase;
        params[2] = "topK";
        params[3] = Integer.toString(k);
        System.arraycopy(extra, 0, params, 4, extra.length);
        return exact("MoeTopK.forward", 10, perOp("tokens", tokens, "routingImbalance", imbalance, "expertsHit", 4.0 * k), params);
    }

    @Test
    void routingImbalanceFiresBeyondChanceWithExpertsFromOneTokenSteps() {
        List<JsonNode> f = Analyze.findings(dir, "routing_imbalance",
                moe("decode", 1, 1, 64), moe("decode", 8, 1, 8), moe("prefill", 8, 128, 6));
        assertEquals(1, f.size(), "one-token steps sit exactly at experts/topK and never fire");
        JsonNode e = f.get(0).get("evidence");
        assertEquals(64, e.get("experts").asInt());
        assertTrue(e.get("experts_from").asText().startsWith("one-token rows of MoeTopK.forward"));
        assertEquals(16, e.get("mean_load").asDouble(), 1e-12);
        assertEquals(6, e.get("routing_imbalance").asDouble(), 1e-12);
        assertEquals("high", f.get(0).get("severity").asText());
    }

    @Test
    void routingImbalanceStaysQuietNearUniformRouting() {
        assertEquals(List.of(), Analyze.findings(dir, "routing_imbalance",
                moe("decode", 1, 1, 64), moe("prefill", 8, 128, 2.2)));
    }

    @Test
    void routingImbalanceTakesExpertsFromAParamOrSaysItCannotJudge() {
        assertEquals(1, Analyze.findings(dir, "routing_imbalance", moe("prefill", 8, 128, 6, "experts", "64")).size());
        assertEquals(List.of(), Analyze.findings(dir, "routing_imbalance", moe("prefill", 8, 128, 6)));
        assertTrue(Analyze.notJudged(dir, "routing_imbalance").get("reason").asText().startsWith("the number of experts is unknown"));
    }

    @Test
    void uniformImbalanceIsExactForOneTokenAndMatchesSimulationForMany() {
        assertEquals(64.0, RoutingImbalance.uniformImbalance(64, 1, 1), 1e-12);
        assertEquals(8.0, RoutingImbalance.uniformImbalance(64, 8, 1), 1e-12);
        assertEquals(1.0, RoutingImbalance.uniformImbalance(8, 8, 100), 1e-12);
        // 128 tokens each choosing 8 of 64 experts without repetition, 2000 trials.
        Random random = new Random(3);
        double sum = 0;
        int trials = 2000;
        for (int t = 0; t < trials; t++) {
            int[] load = new int[64];
            for (int token = 0; token < 128; token++) {
                boolean[] chosen = new boolean[64];
                for (int c = 0; c < 8; c++) {
                    int e;
                    do {
                        e = random.nextInt(64);
                    } while (chosen[e]);
                    chosen[e] = true;
                    load[e]++;
                }
            }
            sum += Arrays.stream(load).max().orElseThrow() / 16.0;
        }
        assertEquals(sum / trials, RoutingImbalance.uniformImbalance(64, 8, 128), 0.05 * sum / trials);
    }
}
