package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Reading tensors back into Java for comparisons. */
final class TestTensors {
    private TestTensors() {
    }

    static float[] floats(Tensor t) {
        Tensor c = t.contiguous().to(torch.ScalarType.Float);
        float[] out = new float[(int) c.numel()];
        c.data_ptr_float().get(out);
        return out;
    }

    /** Largest |a-b| over all elements; the shapes must match. */
    static double maxAbsDiff(Tensor a, Tensor b) {
        float[] x = floats(a);
        float[] y = floats(b);
        assertEquals(x.length, y.length, "element counts differ");
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            m = Math.max(m, Math.abs(x[i] - y[i]));
        }
        return m;
    }

    static double maxAbs(Tensor a) {
        double m = 0;
        for (float v : floats(a)) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    static Tensor tokens(long seed, int vocab, long batch, long t) {
        return Inputs.tokens(seed, vocab, batch, t);
    }
}
