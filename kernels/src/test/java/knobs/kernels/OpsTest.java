package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The single-row fast path of {@link Ops} against libtorch's plain linear. */
class OpsTest {
    @BeforeAll
    static void load() {
        Natives.load();
    }

    @Test
    void singleRowLinearEqualsPlainLinear() {
        try (PointerScope s = new PointerScope()) {
            torch.manual_seed(9);
            Tensor w = torch.randn(48, 32);
            for (long[] shape : new long[][] {{1, 1, 32}, {1, 32}, {32}, {3, 32}, {2, 5, 32}}) {
                Tensor x = torch.randn(shape);
                Tensor y = Ops.linear("t", x, w);
                Tensor ref = torch.linear(x, w);
                assertArrayEquals(ref.sizes().vec().get(), y.sizes().vec().get());
                assertTrue(TestTensors.maxAbsDiff(ref, y) < 1e-5, "shape " + java.util.Arrays.toString(shape));
            }
        }
    }

    @Test
    void featureMajorLinearEqualsTransposedLinearOnColumnBlocks() {
        try (PointerScope s = new PointerScope()) {
            torch.manual_seed(10);
            Tensor w = torch.randn(16, 8);
            Tensor xT = torch.randn(8, 7); // tokens as columns; blocks of it are strided views
            for (long[] block : new long[][] {{0, 1}, {3, 1}, {2, 4}, {0, 7}}) {
                Tensor cols = xT.narrow(1, block[0], block[1]);
                Tensor y = Ops.linearT("t", w, cols);
                Tensor ref = torch.linear(cols.t(), w).t();
                assertArrayEquals(new long[] {16, block[1]}, y.sizes().vec().get());
                assertTrue(TestTensors.maxAbsDiff(ref, y) < 1e-5, "block " + java.util.Arrays.toString(block));
            }
        }
    }

    @Test
    void counterSeesRowsTimesInTimesOut() {
        try (PointerScope s = new PointerScope(); FlopCounter c = FlopCounter.open()) {
            Ops.linear("a", torch.randn(2, 3, 8), torch.randn(5, 8));
            Ops.linear("b", torch.randn(1, 8), torch.randn(5, 8));
            assertEquals(2L * 6 * 8 * 5, c.byCategory().get("a"));
            assertEquals(2L * 8 * 5, c.byCategory().get("b"));
            Ops.linearT("c", torch.randn(5, 8), torch.randn(8, 3));
            assertEquals(2L * 3 * 8 * 5, c.byCategory().get("c"));
        }
    }
}
