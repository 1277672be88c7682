package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class MoeFeedForwardTest {
    @BeforeAll
    static void load() {
        Natives.load();
    }

    private static MoeFeedForward moe(int topK, Activation act) {
        torch.manual_seed(7);
        ModelConfig c = new ModelConfig("t", 32, 32, 2, 4, 0, 64, act, 8, topK, 24);
        return new MoeFeedForward(c);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 8})
    void groupedDispatchEqualsNaiveReference(int topK) {
        for (Activation act : Activation.values()) {
            try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                MoeFeedForward m = moe(topK, act);
                torch.manual_seed(11);
                Tensor x = torch.randn(3, 5, 32);
                Tensor grouped = m.forward(x);
                Tensor naive = m.forwardNaive(x);
                assertArrayEquals(new long[] {3, 5, 32}, grouped.sizes().vec().get());
                double scale = TestTensors.maxAbs(naive);
                assertTrue(scale > 1e-4, "reference output is trivially zero");
                double diff = TestTensors.maxAbsDiff(grouped, naive);
                assertTrue(diff <= 1e-5 * Math.max(1, scale) + 1e-6,
                        act + " topK=" + topK + ": grouped differs from naive by " + diff + " (scale " + scale + ")");
            }
        }
    }

    @Test
    void differentiablePathEqualsNaiveReferenceAndCarriesGradients() {
        for (Activation act : Activation.values()) {
            try (PointerScope s = new PointerScope()) {
                MoeFeedForward m = moe(2, act);
                torch.manual_seed(12);
                Tensor x = torch.randn(2, 6, 32);
                Tensor grouped = m.forward(x); // autograd on: the allocating path
                assertTrue(grouped.requires_grad(), act + ": output must be differentiable");
                Tensor naive;
                try (NoGradGuard g = new NoGradGuard()) {
                    naive = m.forwardNaive(x);
                }
                double diff = TestTensors.maxAbsDiff(grouped.detach(), naive);
                assertTrue(diff <= 1e-5 * Math.max(1, TestTensors.maxAbs(naive)) + 1e-6, act + ": differs by " + diff);
                grouped.sum().backward();
                double gradNorm = 0;
                for (Tensor p : m.parameters().get()) {
                    assertTrue(p.grad().defined(), act + ": a parameter got no gradient");
                    gradNorm += p.grad().abs().sum().item_double();
                }
                assertTrue(gradNorm > 0, act + ": gradients are all zero");
            }
        }
    }

    @Test
    void differentiablePathGradientsEqualTheNaiveReferenceGradients() {
        for (Activation act : Activation.values()) {
            try (PointerScope s = new PointerScope()) {
                MoeFeedForward m = moe(3, act);
                torch.manual_seed(14);
                Tensor x = torch.randn(2, 7, 32);
                Tensor probe = torch.randn(2, 7, 32); // a non-uniform upstream gradient
                m.forward(x).mul(probe).sum().backward();
                java.util.List<Tensor> grouped = new java.util.ArrayList<>();
                for (Tensor p : m.parameters().get()) {
                    grouped.add(p.grad().clone());
                    p.grad().zero_();
                }
                m.forwardNaive(x).mul(probe).sum().backward();
                Tensor[] params = m.parameters().get();
                for (int i = 0; i < params.length; i++) {
                    Tensor ref = params[i].grad();
                    double scale = TestTensors.maxAbs(ref);
                    assertTrue(scale > 0, act + ": parameter " + i + " has an all-zero reference gradient");
                    double diff = TestTensors.maxAbsDiff(grouped.get(i), ref);
                    assertTrue(diff <= 1e-5 * Math.max(1, scale) + 1e-6,
                            act + ": gradient of parameter " + i + " differs from the naive path's by " + diff + " (scale " + scale + ")");
                }
            }
        }
    }

    @Test
    void inferenceWorkspaceIsReusedAcrossCallsAndFollowsShapeChanges() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            MoeFeedForward m = moe(2, Activation.SWIGLU);
            torch.manual_seed(13);
            Tensor x = torch.randn(2, 6, 32);
            Tensor first = m.forward(x).clone();
            Object ws = MoeFeedForward.Workspace.current();
            m.forward(x);
            assertTrue(ws != null && ws == MoeFeedForward.Workspace.current(), "the same shapes reuse the workspace");
            m.setTopK(5); // N·k changes: a new workspace
            Tensor five = m.forward(x);
            assertTrue(ws != MoeFeedForward.Workspace.current(), "another N·k gets a new workspace");
            assertTrue(TestTensors.maxAbsDiff(five, m.forwardNaive(x)) < 1e-5, "topK=5 after topK=2");
            Tensor bigger = torch.randn(3, 7, 32); // another token count
            assertTrue(TestTensors.maxAbsDiff(m.forward(bigger), m.forwardNaive(bigger)) < 1e-5, "21 tokens");
            m.setTopK(2);
            assertTrue(torch.equal(first, m.forward(x)), "same input and topK again must give the same output");
        }
    }

    @Test
    void routingStatisticsCountEveryTokenSlot() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            MoeFeedForward m = moe(3, Activation.SWIGLU);
            torch.manual_seed(3);
            m.forward(torch.randn(2, 7, 32));
            long[] counts = m.lastTokensPerExpert();
            assertEquals(8, counts.length);
            assertEquals(2 * 7 * 3, Arrays.stream(counts).sum());
        }
    }

    @Test
    void routingWeightsAreRenormalisedTopK() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            MoeFeedForward m = moe(3, Activation.GELU);
            torch.manual_seed(5);
            MoeFeedForward.Routing r = m.route(torch.randn(6, 32));
            float[] w = TestTensors.floats(r.weights());
            for (int i = 0; i < 6; i++) {
                double sum = w[3 * i] + w[3 * i + 1] + w[3 * i + 2];
                assertEquals(1.0, sum, 1e-6);
                assertTrue(w[3 * i] >= w[3 * i + 1] && w[3 * i + 1] >= w[3 * i + 2], "top-k must be sorted");
            }
        }
    }

    @Test
    void topKOutsideOneToExpertsIsAClearError() {
        MoeFeedForward m = moe(2, Activation.GELU);
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> m.setTopK(0));
        assertTrue(zero.getMessage().contains("topK=0") && zero.getMessage().contains("1..8"), zero.getMessage());
        assertThrows(IllegalArgumentException.class, () -> m.setTopK(9));
    }
}
