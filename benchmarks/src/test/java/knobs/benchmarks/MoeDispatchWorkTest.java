package knobs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import knobs.kernels.FlopCounter;
import knobs.kernels.Inputs;
import knobs.kernels.MlpFeedForward;
import knobs.kernels.ModelConfig;
import knobs.kernels.MoeFeedForward;
import knobs.kernels.Natives;
import knobs.kernels.Presets;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** MoeDispatch's analytic FLOPs against the matmuls the two layers actually execute. */
class MoeDispatchWorkTest {
    @BeforeAll
    static void load() {
        Natives.load();
    }

    @Test
    void analyticFlopsEqualTheExecutedMatmulsForMoeAndItsDenseEquivalent() {
        for (String preset : new String[] {"tiny-moe", "tiny-qwen2-moe"}) {
          for (int k : new int[] {1, 2, 8}) {
            ModelConfig c = Presets.get(preset).withTopK(k);
            ModelConfig dense = MoeDispatch.denseEquivalent(c);
            assertEquals((long) k * c.expertDFf() + c.sharedDFf(), dense.dFf(), "dense d_ff = topK * expert d_ff + shared");
            try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                MoeFeedForward moe = new MoeFeedForward(c);
                MlpFeedForward mlp = new MlpFeedForward(dense);
                var x = Inputs.activations(1, 1, 24, c.dModel());
                try (FlopCounter f = FlopCounter.open()) {
                    moe.forward(x);
                    assertEquals(MoeDispatch.work(c, 24, true)[0], f.total(), "MoE layer, topK=" + k);
                }
                try (FlopCounter f = FlopCounter.open()) {
                    mlp.forward(x);
                    assertEquals(MoeDispatch.work(c, 24, false)[0], f.total(), "dense equivalent, topK=" + k);
                }
            }
          }
        }
    }
}
