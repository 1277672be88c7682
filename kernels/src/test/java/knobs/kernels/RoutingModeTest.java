package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Synthetic routing modes: balanced spreads tokens evenly, skewed favours few experts. */
class RoutingModeTest {
    @BeforeAll
    static void load() {
        Natives.load();
    }

    @Test
    void balancedRoutingSpreadsEvenlyAndSkewedFavoursFewExperts() {
        ModelConfig c = Presets.get("tiny-moe"); // 8 experts, top-2
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Gpt model = Gpt.create(c, 2);
            Tensor ids = Inputs.tokens(6, c.vocab(), 1, 64);
            model.setRouting(RoutingMode.BALANCED);
            model.forward(ids, null);
            for (MoeFeedForward m : model.moeLayers()) {
                long[] counts = m.lastTokensPerExpert();
                assertTrue(Arrays.stream(counts).allMatch(x -> x == 64 * 2 / 8), Arrays.toString(counts));
            }
            model.setRouting(RoutingMode.SKEWED);
            Tensor skewedOut = model.forward(ids, null);
            RoutingStats skewed = model.lastRouting();
            assertEquals(2 * 64 * 2, skewed.slots());
            assertTrue(skewed.meanImbalance() > 1.8, "Zipf routing must concentrate load: " + skewed);
            long[] counts = model.moeLayers().get(0).lastTokensPerExpert();
            assertTrue(counts[0] > counts[7], "expert 0 is the most popular: " + Arrays.toString(counts));
            // the grouped dispatch still equals the naive reference under a fixed routing
            MoeFeedForward first = model.moeLayers().get(0);
            Tensor x = torch.randn(1, 10, c.dModel());
            assertTrue(TestTensors.maxAbsDiff(first.forward(x), first.forwardNaive(x)) < 1e-5);
            assertEquals(RoutingMode.SKEWED, RoutingMode.parse("Skewed"));
            assertThrows(IllegalArgumentException.class, () -> RoutingMode.parse("uniform"));
            assertTrue(TestTensors.maxAbs(skewedOut) > 0);
        }
    }
}
