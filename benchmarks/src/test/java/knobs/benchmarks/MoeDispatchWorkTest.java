package knobs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import knobs.kernels.FlopCounter;
import knobs.kernels.Inputs;
import knobs.kernels.MlpFeedForward;
import knobs.kernels.ModelConfig;
import knobs.kernels.MoeFeedForward;
import knobs.kernels.Natives;
import knobs.kernels.Presets;
import knobs.kernels.RoutingMode;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringTensorDictItem;
import org.bytedeco.pytorch.StringTensorDictItemVector;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** MoeDispatch's analytic FLOPs against the executed matmuls, and its bytes against the parameters its routing reads. */
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
                    assertEquals(MoeDispatch.moeWork(c, 24, 1)[0], f.total(), "MoE layer, topK=" + k);
                }
                try (FlopCounter f = FlopCounter.open()) {
                    mlp.forward(x);
                    assertEquals(MoeDispatch.denseWork(c, 24)[0], f.total(), "dense equivalent, topK=" + k);
                }
            }
          }
        }
    }

    /**
     * The experts hit, counted independently of the layer's dispatch (the router's top-k recomputed
     * here from its weight; the fixed modes' (N, k) choices from {@code route}), and the bytes as the
     * fp32 parameters those experts, the router and the shared experts hold, plus input and output.
     */
    @Test
    void bytesCountTheWeightsOfTheExpertsThisRoutingHits() {
        int belowTheOldEstimate = 0;
        for (String preset : new String[] {"tiny-moe", "tiny-qwen2-moe"}) {
          for (RoutingMode mode : RoutingMode.values()) {
            for (int[] nk : new int[][] {{1, 2}, {3, 1}, {5, 2}, {24, 2}}) {
              int tokens = nk[0];
              ModelConfig c = Presets.get(preset).withTopK(nk[1]);
              String what = preset + " " + mode + " tokens=" + tokens + " topK=" + nk[1];
              try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                torch.manual_seed(11);
                MoeFeedForward moe = new MoeFeedForward(c);
                moe.setRouting(mode);
                Tensor x = Inputs.activations(3, 1, tokens, c.dModel());
                long hit = MoeDispatch.expertsHit(moe, x);

                Tensor xf = x.reshape(-1, c.dModel());
                Tensor chosen = mode == RoutingMode.ROUTER
                        ? torch.mm(xf, parameter(moe, "router").t()).topk(c.topK(), -1, true, true).get1()
                        : moe.route(xf).experts();
                long[] picks = new long[tokens * c.topK()];
                chosen.contiguous().data_ptr_long().get(picks);
                Set<Long> distinct = new HashSet<>();
                for (long e : picks) {
                    distinct.add(e);
                }
                assertEquals(distinct.size(), hit, what);
                belowTheOldEstimate += hit < Math.min(c.experts(), (long) tokens * c.topK()) ? 1 : 0;
                if (tokens == 1) {
                    assertEquals(c.topK(), hit, what + ": one token hits exactly k experts");
                }
                if (mode == RoutingMode.BALANCED) {
                    assertEquals(Math.min(c.experts(), (long) tokens * c.topK()), hit, what + ": balanced spreads N·k pairs");
                }

                long expertElements = 0;
                long otherElements = 0;
                for (StringTensorDictItem p : items(moe)) {
                    long n = p.value().numel();
                    if (p.key().getString().startsWith("experts_")) {
                        expertElements += n / c.experts() * hit; // (E, ·, ·): the hit experts' slices
                    } else {
                        otherElements += n; // router, shared experts, their gate
                    }
                }
                long io = 2L * tokens * c.dModel();
                assertEquals(4 * (expertElements + otherElements + io), MoeDispatch.moeWork(c, tokens, hit)[1], what);
              }
            }
          }
        }
        assertTrue(belowTheOldEstimate > 0, "some router or skewed case hits fewer than min(E, N·k) experts");
    }

    @Test
    void anImpossibleExpertCountIsRefused() {
        ModelConfig c = Presets.get("tiny-moe").withTopK(2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MoeDispatch.moeWork(c, 1, 3));
        assertTrue(e.getMessage().startsWith("expertsHit=3 is impossible for 1 tokens, topK=2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MoeDispatch.moeWork(c, 24, 0));
    }

    private static Tensor parameter(MoeFeedForward moe, String name) {
        for (StringTensorDictItem p : items(moe)) {
            if (p.key().getString().equals(name)) {
                return p.value();
            }
        }
        throw new AssertionError("no parameter " + name);
    }

    private static java.util.List<StringTensorDictItem> items(MoeFeedForward moe) {
        StringTensorDictItemVector v = moe.named_parameters(true).items();
        java.util.List<StringTensorDictItem> out = new java.util.ArrayList<>();
        for (long i = 0; i < v.size(); i++) {
            out.add(v.get(i));
        }
        return out;
    }
}
