package knobs.benchmarks.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Merging single-fork JMH results into one, and the noise and contention judgement. */
class JmhMergeTest {

    private static JsonNode run(String params, String primary, String bytes, String contended) throws Exception {
        return SweepStore.JSON.readTree("""
                [ { "jmhVersion": "1.37", "benchmark": "knobs.benchmarks.MoeTopK.forward", "mode": "avgt", "threads": 1, "forks": 1,
                    "params": %s,
                    "primaryMetric": { "score": 0, "scoreError": "NaN", "scoreConfidence": [0, 0],
                      "scorePercentiles": { "0.0": 0, "50.0": 0, "100.0": 0 }, "scoreUnit": "ms/op", "rawData": [ %s ] },
                    "secondaryMetrics": {
                      "bytes": { "score": %s, "scoreError": "NaN", "scoreConfidence": [0, 0], "scorePercentiles": { "50.0": 0 },
                                 "scoreUnit": "#", "rawData": [ %s ] }%s } } ]
                """.formatted(params, primary, sum(bytes), bytes, contended == null ? ""
                : ", \"contention.contended\": { \"score\": 1, \"scoreUnit\": \"#\", \"rawData\": [ " + contended + " ] }"));
    }

    private static String sum(String array) {
        double s = 0;
        for (String v : array.replaceAll("[\\[\\]]", "").split(",")) {
            s += Double.parseDouble(v.trim());
        }
        return Double.toString(s);
    }

    @Test
    void forksAreConcatenatedAndAggregatesRecomputed() throws Exception {
        JsonNode a = run("{\"topK\": \"1\"}", "[1.0, 2.0]", "[10.0, 20.0]", null);
        JsonNode b = run("{\"topK\": \"1\"}", "[3.0, 4.0]", "[30.0, 40.0]", null);
        JsonNode m = JmhMerge.merge(List.of(a, b), List.of("a.json", "b.json")).get(0);
        assertEquals(2, m.get("forks").asInt());
        assertEquals("[[1.0,2.0],[3.0,4.0]]", m.at("/primaryMetric/rawData").toString());
        assertEquals(2.5, m.at("/primaryMetric/score").asDouble(), 1e-12);
        assertEquals(2.5, m.at("/primaryMetric/scorePercentiles/50.0").asDouble(), 1e-12);
        assertEquals(4.0, m.at("/primaryMetric/scorePercentiles/100.0").asDouble(), 1e-12);
        assertTrue(m.at("/primaryMetric/scoreError").asDouble() > 0);
        assertEquals(100.0, m.at("/secondaryMetrics/bytes/score").asDouble(), 1e-12, "bytes were summed by JMH: still summed");
        assertEquals("sum", m.at("/knobsMerge/secondaryAggregation/bytes").asText());
        assertEquals("b.json", m.at("/knobsMerge/repetitions/1/source").asText());
        assertEquals(2, m.at("/knobsMerge/repetitionCount").asInt());

        JsonNode other = run("{\"topK\": \"8\"}", "[3.0]", "[1.0]", null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JmhMerge.merge(List.of(a, other), List.of("a.json", "c.json")));
        assertEquals("c.json: its params differs from a.json's", e.getMessage());
    }

    @Test
    void noisyMeansIqrOverMedianAboveTenPercentAndContendedMeansMostIterations() throws Exception {
        Noise.Verdict quiet = Noise.judge(run("{}", "[10.0, 10.2, 10.1, 10.3]", "[1.0]", "[0, 0, 1, 0]").get(0));
        assertFalse(quiet.noisy());
        assertFalse(quiet.contended());
        assertTrue(quiet.settled());
        Noise.Verdict noisy = Noise.judge(run("{}", "[5.0, 20.0, 5.0, 20.0]", "[1.0]", null).get(0));
        assertTrue(noisy.noisy());
        assertNull(noisy.contended(), "absent contention is unknown, not zero");
        assertEquals(List.of("noisy: IQR/median 120.0 % > 10 %"), noisy.reasons());
        Noise.Verdict busy = Noise.judge(run("{}", "[10.0, 10.0], [10.0, 10.0]", "[1.0]", "[1, 1], [1, 0]").get(0));
        assertTrue(busy.contended());
        assertFalse(busy.settled());
        assertEquals(List.of("contended: 3 of 4 iterations"), busy.reasons());
        Noise.Verdict half = Noise.judge(run("{}", "[10.0, 10.0]", "[1.0]", "[1, 0]").get(0));
        assertFalse(half.contended(), "half is not most");
    }
}
