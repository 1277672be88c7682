package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.junit.jupiter.api.Test;

class RoutingStatsTest {
    @Test
    void aggregatesLayersByHand() {
        RoutingStats s = RoutingStats.of(List.of(new long[] {2, 2, 2, 2}, new long[] {8, 0, 0, 0}));
        assertEquals(2, s.layers());
        assertEquals(16, s.slots());
        assertEquals(4 + 1, s.expertsHit());
        assertEquals((1.0 + 4.0) / 2, s.meanImbalance(), 1e-12);
    }

    @Test
    void modelReportsTheRoutingOfItsLastForward() {
        Natives.load();
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            ModelConfig c = Presets.get("tiny-moe"); // 2 layers, 8 experts, top-2
            Gpt model = Gpt.create(c, 3);
            assertNull(model.lastRouting());
            model.forward(Inputs.tokens(1, c.vocab(), 1, 1), null);
            RoutingStats one = model.lastRouting();
            assertEquals(2 * 2, one.expertsHit(), "one token hits exactly k experts per layer");
            assertEquals(2 * 2, one.slots());
            model.forward(Inputs.tokens(1, c.vocab(), 3, 5), null);
            assertEquals(2 * 15 * 2, model.lastRouting().slots());
            assertNull(Gpt.create(Presets.get("tiny"), 1).lastRouting());
        }
    }
}
