package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link InPlaceAdamW} against libtorch's {@code torch::optim::AdamW}, the reference it follows op for op. */
class InPlaceAdamWTest {
    @BeforeAll
    static void load() {
        Natives.load();
    }

    private static final long[][] SHAPES = {{7, 5}, {5}, {3, 4, 2}, {64, 33}, {1}};

    /** Leaf parameters of SHAPES (plus one float64 parameter when {@code withDouble}), the same values for every seed. */
    private static List<Tensor> parameters(long seed, boolean withDouble) {
        torch.manual_seed(seed);
        List<Tensor> ps = new ArrayList<>();
        for (long[] s : SHAPES) {
            ps.add(torch.randn(s).requires_grad_(true));
        }
        if (withDouble) {
            ps.add(torch.randn(6, 3).to(torch.ScalarType.Double).requires_grad_(true));
        }
        return ps;
    }

    /** Gradients for step {@code step}; parameter 1 gets one only from step 2 on, parameter 4 only at step 1 and 3. */
    private static void setGradients(List<Tensor> ps, int step) {
        torch.manual_seed(1000 + step);
        try (NoGradGuard g = new NoGradGuard()) {
            for (int i = 0; i < ps.size(); i++) {
                Tensor grad = torch.randn(ps.get(i).sizes().vec().get()).to(ps.get(i).scalar_type()).mul_(new org.bytedeco.pytorch.Scalar(0.1 * (i + 1)));
                boolean none = (i == 1 && step < 2) || (i == 4 && step == 2);
                ps.get(i).mutable_grad().put(none ? new Tensor() : grad);
            }
        }
    }

    @Test
    void everyParameterEqualsLibtorchsAdamWAfterSeveralStepsWithSkippedParameters() {
        for (double weightDecay : new double[] {1e-2, 0.0}) {
            try (PointerScope scope = new PointerScope()) {
                List<Tensor> reference = parameters(7, true);
                List<Tensor> mine = parameters(7, true);
                TensorVector refVector = new TensorVector();
                reference.forEach(refVector::push_back);
                double lr = 3e-2;
                AdamWOptions options = new AdamWOptions(lr);
                options.weight_decay().put(weightDecay);
                AdamW adamw = new AdamW(refVector, options);
                try (InPlaceAdamW inPlace = new InPlaceAdamW(mine, lr, 0.9, 0.999, 1e-8, weightDecay)) {
                    for (int step = 1; step <= 4; step++) {
                        setGradients(reference, step);
                        setGradients(mine, step);
                        adamw.step();
                        inPlace.step();
                        for (int i = 0; i < mine.size(); i++) {
                            double diff = TestTensors.maxAbsDiff(reference.get(i).detach().to(torch.ScalarType.Double),
                                    mine.get(i).detach().to(torch.ScalarType.Double));
                            assertEquals(0.0, diff, "parameter " + i + " after step " + step + " (wd " + weightDecay + ")");
                        }
                    }
                    // every parameter moved, so the comparison above compared updated values
                    List<Tensor> start = parameters(7, true);
                    for (int i = 0; i < mine.size(); i++) {
                        assertTrue(TestTensors.maxAbsDiff(start.get(i).detach().to(torch.ScalarType.Double),
                                mine.get(i).detach().to(torch.ScalarType.Double)) > 1e-4, "parameter " + i + " did not move");
                    }
                    // moments for all 6 parameters, plus one scratch per dtype sized to its largest parameter
                    long moments = 0;
                    for (Tensor p : mine) {
                        moments += 2 * p.numel() * p.element_size();
                    }
                    assertEquals(moments + 64 * 33 * 4 + 6 * 3 * 8, inPlace.stateBytes());
                }
                adamw.close();
            }
        }
    }

    @Test
    void itKeepsItsParametersPastTheTensorVectorAndScopeTheyCameFrom() {
        org.bytedeco.pytorch.LinearImpl linear = new org.bytedeco.pytorch.LinearImpl(4, 3);
        Tensor before = linear.weight().detach().clone();
        InPlaceAdamW adamw;
        try (PointerScope scope = new PointerScope()) {
            // Module.parameters() is a temporary vector; its get() wrappers point into it
            adamw = new InPlaceAdamW(java.util.Arrays.asList(linear.parameters().get()), 1e-2);
        }
        System.gc();
        try (PointerScope scope = new PointerScope()) {
            linear.forward(torch.ones(2, 4)).sum().backward();
            Tensor grad = linear.weight().grad().detach().clone();
            adamw.step();
            // the first AdamW step: p·(1 − lr·wd) − lr·m̂/(sqrt(v̂) + ε) = p·(1 − lr·wd) − lr·sign(g), up to ε
            Tensor expected = before.mul(new org.bytedeco.pytorch.Scalar(1 - 1e-2 * 1e-2)).sub(grad.sign().mul(new org.bytedeco.pytorch.Scalar(1e-2)));
            assertTrue(TestTensors.maxAbsDiff(expected, linear.weight().detach()) < 1e-6);
        }
        adamw.close();
    }

    @Test
    void aStepAllocatesNoParameterSizedTensorAfterTheFirst() {
        try (PointerScope scope = new PointerScope()) {
            List<Tensor> ps = parameters(3, false);
            try (InPlaceAdamW adamw = new InPlaceAdamW(ps, 1e-3)) {
                setGradients(ps, 3);
                adamw.step();
                long after1 = adamw.stateBytes();
                adamw.step();
                adamw.step();
                assertEquals(after1, adamw.stateBytes(), "the state must not grow after the first step");
            }
        }
    }

    @Test
    void badOptionsAndAClosedOptimizerAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new InPlaceAdamW(List.of(), 1e-3, 1.0, 0.999, 1e-8, 0.01));
        assertTrue(e.getMessage().contains("betas=(1.0, 0.999)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new InPlaceAdamW(List.of(), -1, 0.9, 0.999, 1e-8, 0.01));
        try (PointerScope scope = new PointerScope()) {
            InPlaceAdamW adamw = new InPlaceAdamW(parameters(1, false), 1e-3);
            adamw.close();
            assertThrows(IllegalStateException.class, adamw::step);
        }
    }
}
