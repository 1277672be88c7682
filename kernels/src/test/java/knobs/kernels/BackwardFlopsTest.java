package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The graph count itself, on single ops whose backward FLOPs are known by hand. */
class BackwardFlopsTest {
    @BeforeAll
    static void load() {
        Natives.load();
    }

    private static Tensor grad(Tensor t) {
        return t.requires_grad_(true);
    }

    @Test
    void mmCountsOneGemmPerOperandThatNeedsAGradient() {
        try (PointerScope s = new PointerScope()) {
            torch.manual_seed(1);
            long m = 5;
            long k = 7;
            long n = 3;
            Tensor a = grad(torch.randn(m, k));
            Tensor b = grad(torch.randn(k, n));
            assertEquals(2 * 2 * m * k * n, BackwardFlops.of(torch.mm(a, b).sum()));
            Tensor data = torch.randn(m, k); // no gradient: dA is not computed
            assertEquals(2 * m * k * n, BackwardFlops.of(torch.mm(data, b).sum()));
            assertEquals(2 * m * k * n, BackwardFlops.of(torch.mm(a, torch.randn(k, n)).sum()));
            // a chain: (a·b)·c with c (n, 4): the second mm needs both gradients, the first both too
            Tensor c = grad(torch.randn(n, 4));
            assertEquals(2 * 2 * m * k * n + 2 * 2 * m * n * 4, BackwardFlops.of(torch.mm(torch.mm(a, b), c).sum()));
        }
    }

    @Test
    void linearOnThreeDimensionsAndBmmAndMv() {
        try (PointerScope s = new PointerScope()) {
            torch.manual_seed(2);
            Tensor x = grad(torch.randn(2, 6, 8));
            Tensor w = grad(torch.randn(4, 8));
            assertEquals(2 * 2 * (2 * 6) * 8 * 4L, BackwardFlops.of(torch.linear(x, w).sum()));
            Tensor p = grad(torch.randn(3, 5, 6));
            Tensor q = grad(torch.randn(3, 6, 2));
            assertEquals(2 * 2 * 3 * 5 * 6 * 2L, BackwardFlops.of(torch.bmm(p, q).sum()));
            assertEquals(2 * 3 * 5 * 6 * 2L, BackwardFlops.of(torch.bmm(torch.randn(3, 5, 6), q).sum()));
            Tensor mat = grad(torch.randn(9, 4));
            Tensor vec = grad(torch.randn(4));
            assertEquals(2 * 2 * 9 * 4L, BackwardFlops.of(torch.mv(mat, vec).sum()));
            assertEquals(2 * 9 * 4L, BackwardFlops.of(torch.mv(mat, torch.randn(4)).sum()));
        }
    }

    @Test
    void attentionBackwardIsTwiceItsForward() {
        try (PointerScope s = new PointerScope()) {
            torch.manual_seed(3);
            long b = 2;
            long h = 3;
            long t = 5;
            long hs = 8;
            Tensor q = grad(torch.randn(b, h, t, hs));
            Tensor k = grad(torch.randn(b, h, t, hs));
            Tensor v = grad(torch.randn(b, h, t, hs));
            long forward;
            Tensor y;
            try (FlopCounter c = FlopCounter.open()) {
                y = Ops.attention(CostModel.ATTN_SCORES, q, k, v, true);
                forward = c.total();
            }
            assertEquals(2 * 2 * b * h * t * t * hs, forward);
            Map<String, Long> nodes = BackwardFlops.byNode(y.sum());
            assertEquals(2 * forward, nodes.values().stream().mapToLong(Long::longValue).sum(), nodes.toString());
        }
    }

    @Test
    void aTensorWithoutGraphIsRefused() {
        try (PointerScope s = new PointerScope()) {
            Tensor y;
            try (NoGradGuard g = new NoGradGuard()) {
                y = torch.mm(grad(torch.randn(2, 2)), torch.randn(2, 2)).sum();
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BackwardFlops.of(y));
            assertTrue(e.getMessage().contains("no autograd graph"), e.getMessage());
        }
    }

    @Test
    void aMatmulNodeItDoesNotKnowIsRefusedNotCountedAsZero() {
        try (PointerScope s = new PointerScope()) {
            Tensor a = grad(torch.randn(4));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> BackwardFlops.of(torch.dot(a, a)));
            assertTrue(e.getMessage().contains("DotBackward"), e.getMessage());
        }
    }
}
