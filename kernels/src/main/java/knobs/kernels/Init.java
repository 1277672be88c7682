package knobs.kernels;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Random weight initialisation (GPT-2 style: N(0, 0.02), residual projections scaled down). */
final class Init {
    static final double STD = 0.02;

    private Init() {
    }

    /** N(0, std²) weights drawn from libtorch's global generator, so a seed fixes every weight. */
    static Tensor normal(double std, long... shape) {
        Tensor t = torch.randn(shape);
        try (Scalar s = new Scalar(std)) {
            return t.mul_(s); // in place: same native tensor, no second buffer for large models
        }
    }

    /** Std for projections that write into the residual stream: 0.02 / sqrt(2 · layers). */
    static double residualStd(ModelConfig c) {
        return STD / Math.sqrt(2.0 * c.layers());
    }

    /**
     * Registers {@code t} as a parameter of {@code m} and returns {@code t} itself. The tensor that
     * {@code register_parameter} returns refers into the module's parameter dictionary and dangles
     * (SIGSEGV) once later registrations grow it; {@code t} shares the same TensorImpl and stays valid.
     */
    static Tensor param(Module m, String name, Tensor t) {
        m.register_parameter(name, t);
        return t;
    }

    static Tensor ones(long n) {
        return torch.ones(n);
    }

    static Tensor zeros(long n) {
        return torch.zeros(n);
    }
}
