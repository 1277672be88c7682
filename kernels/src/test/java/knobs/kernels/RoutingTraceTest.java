package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Recording the router's choices and replaying them: same choices, same outputs, the trace's own load. */
class RoutingTraceTest {
    private static final ModelConfig TINY_MOE = Presets.get("tiny-moe"); // 2 layers, 8 experts, top-2

    @BeforeAll
    static void load() {
        Natives.load();
    }

    @Test
    void replayingARecordedTraceReproducesTheRoutersChoicesAndOutputs() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor ids = Inputs.tokens(11, TINY_MOE.vocab(), 2, 12);
            Gpt model = Gpt.create(TINY_MOE, 5);
            Tensor routed = model.forward(ids, null);
            List<long[]> routerCounts = counts(model);
            RoutingTrace trace = model.recordRouting(ids, "t.jsonl");
            assertEquals(2, trace.layers());
            assertEquals(2, trace.sequences());
            assertEquals(12, trace.positions());
            assertEquals(2, trace.k());

            Gpt replayed = Gpt.create(TINY_MOE, 5);
            replayed.setRoutingTrace(trace);
            Tensor out = replayed.forward(ids, null);
            assertEquals(0.0, TestTensors.maxAbsDiff(routed, out), "same choices, same weights: identical logits");
            for (int l = 0; l < 2; l++) {
                assertArrayEquals(routerCounts.get(l), replayed.moeLayers().get(l).lastTokensPerExpert());
                assertArrayEquals(trace.tokensPerExpert(l, 2), replayed.moeLayers().get(l).lastTokensPerExpert());
            }
            // the trace's own choices are the router's: the first of them is its top-1
            Gpt top1 = Gpt.create(TINY_MOE.withTopK(1), 5);
            Tensor routedTop1 = top1.forward(ids, null);
            replayed.setTopK(1);
            assertEquals(0.0, TestTensors.maxAbsDiff(routedTop1, replayed.forward(ids, null)),
                    "a replay at topK < k takes the first topK recorded choices, which is the router's top-k");
        }
    }

    @Test
    void aDecodeStepReplaysThePositionAfterThePrompt() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor ids = Inputs.tokens(12, TINY_MOE.vocab(), 1, 9);
            Gpt model = Gpt.create(TINY_MOE, 6);
            RoutingTrace trace = model.recordRouting(ids, "t.jsonl");
            Tensor prompt = ids.narrow(1, 0, 8);
            Tensor next = ids.narrow(1, 8, 1);

            KvCache routerCache = model.newKvCache(1);
            model.forward(prompt, routerCache);
            Tensor routed = model.forward(next, routerCache);

            Gpt replayed = Gpt.create(TINY_MOE, 6);
            replayed.setRoutingTrace(trace);
            KvCache cache = replayed.newKvCache(1);
            replayed.forward(prompt, cache);
            Tensor out = replayed.forward(next, cache);
            assertEquals(0.0, TestTensors.maxAbsDiff(routed, out));
            for (int l = 0; l < 2; l++) {
                long[] expected = new long[8];
                for (int e : trace.experts(l, 0, 8)) {
                    expected[e]++;
                }
                assertArrayEquals(expected, replayed.moeLayers().get(l).lastTokensPerExpert(), "position 8's experts");
            }
            assertThrows(IllegalArgumentException.class, () -> replayed.forward(next, cache),
                    "position 9 was not recorded");
        }
    }

    @Test
    void routingStatsReportTheTracesDistribution() {
        // layer 0: every token on experts {0, 1}; layer 1: spread round-robin
        int[] hot = new int[2 * 4 * 2];
        int[] even = new int[2 * 4 * 2];
        for (int row = 0; row < 8; row++) {
            hot[2 * row] = 0;
            hot[2 * row + 1] = 1;
            even[2 * row] = (2 * row) % 8;
            even[2 * row + 1] = (2 * row + 1) % 8;
        }
        RoutingTrace trace = new RoutingTrace("hand", 8, 2, 2, 4, new int[][] {hot, even});
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Gpt model = Gpt.create(TINY_MOE, 7);
            model.setRoutingTrace(trace);
            model.forward(Inputs.tokens(13, TINY_MOE.vocab(), 2, 4), null);
            RoutingStats stats = model.lastRouting();
            assertEquals(RoutingStats.of(List.of(new long[] {8, 8, 0, 0, 0, 0, 0, 0}, new long[] {2, 2, 2, 2, 2, 2, 2, 2})), stats);
            assertEquals(2 + 8, stats.expertsHit());
            assertEquals((4.0 + 1.0) / 2, stats.meanImbalance(), 1e-12);
        }
    }

    @Test
    void badTracesAreRejectedNamingTheValue() {
        int[] ok = {0, 1, 2, 3};
        assertMessage("expert id 8 is not allowed: must be in 0..7",
                () -> new RoutingTrace("x.jsonl", 8, 2, 1, 2, new int[][] {{0, 1, 8, 3}}));
        assertMessage("expert 1 is chosen twice",
                () -> new RoutingTrace("x.jsonl", 8, 2, 1, 2, new int[][] {{1, 1, 2, 3}}));
        assertMessage("layer 1 holds 1 tokens",
                () -> new RoutingTrace("x.jsonl", 8, 2, 1, 2, new int[][] {ok, {0, 1}}));
        RoutingTrace two = new RoutingTrace("x.jsonl", 8, 2, 1, 2, new int[][] {ok, ok});
        RoutingTrace one = new RoutingTrace("x.jsonl", 8, 2, 1, 2, new int[][] {ok});
        String knob = "routing=trace:x.jsonl";
        assertMessage("the trace has 1 MoE layers; model 'tiny-moe' has 2", () -> one.check(TINY_MOE, knob, 2, 1, 2));
        assertMessage("the trace routes over 8 experts; model 'moe-cpu' has 64",
                () -> new RoutingTrace("x", 8, 2, 1, 2, new int[][] {ok, ok, ok, ok}).check(Presets.get("moe-cpu"), knob, 2, 1, 2));
        assertMessage("topK=3 is above the trace's k=2", () -> two.check(TINY_MOE, knob, 3, 1, 2));
        assertMessage("batch=2 needs 2 recorded sequences; the trace has 1", () -> two.check(TINY_MOE, knob, 2, 2, 2));
        assertMessage("the step needs 3 positions per sequence; the trace has 2", () -> two.check(TINY_MOE, knob, 2, 1, 3));
        assertMessage("model 'tiny' is dense", () -> two.check(Presets.get("tiny"), knob, 1, 1, 1));
        two.check(TINY_MOE, knob, 1, 1, 2); // fits
        try (PointerScope s = new PointerScope()) {
            Gpt model = Gpt.create(TINY_MOE, 1);
            assertThrows(IllegalArgumentException.class, () -> model.setRoutingTrace(one));
            model.setRoutingTrace(two);
            assertMessage("topK=3 is above the replayed trace's k=2", () -> model.setTopK(3));
            model.setRouting(RoutingMode.ROUTER);
            model.setTopK(3); // the replay ended
        }
    }

    private static List<long[]> counts(Gpt model) {
        List<long[]> out = new ArrayList<>();
        model.moeLayers().forEach(m -> out.add(m.lastTokensPerExpert()));
        return out;
    }

    static void assertMessage(String part, org.junit.jupiter.api.function.Executable body) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, body);
        assertTrue(e.getMessage().contains(part), "expected '" + part + "' in: " + e.getMessage());
    }

    @Test
    void aTokenPerExpertCountCoversEveryRecordedToken() {
        RoutingTrace t = new RoutingTrace("x", 4, 2, 1, 3, new int[][] {{0, 1, 0, 2, 3, 0}});
        assertArrayEquals(new long[] {3, 1, 1, 1}, t.tokensPerExpert(0, 2));
        assertArrayEquals(new long[] {2, 0, 0, 1}, t.tokensPerExpert(0, 1));
        assertArrayEquals(new int[] {0, 2}, t.experts(0, 0, 1));
    }
}
