package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/** RoPE scaling: the inverse frequencies against values worked out by hand, and the validation of its parameters. */
class RopeScalingTest {
    /** d 32, 4 heads: head width 8, so four frequencies θ^(−2j/8) = 1, 0.1, 0.01, 0.001 with θ = 10000. */
    private static ModelConfig tiny(RopeScaling s) {
        return ModelConfig.builder("rope").vocab(16).dModel(32).layers(1).heads(4).maxSeq(16).rmsNorm(1e-6)
                .activation(Activation.SWIGLU).rope(10000).ropeScaling(s).dense(16).build();
    }

    @Test
    void plainRopeIsThetaToTheMinusTwoJOverHs() {
        assertArrayEquals(new double[] {1, 0.1, 0.01, 0.001}, Rotary.inverseFrequencies(tiny(RopeScaling.NONE)), 1e-15);
    }

    @Test
    void linearScalingDividesEveryFrequency() {
        assertArrayEquals(new double[] {0.25, 0.025, 0.0025, 0.00025},
                Rotary.inverseFrequencies(tiny(RopeScaling.linear(4))), 1e-15);
    }

    /**
     * llama3 with factor 4, low 1, high 4, original L = 64: band edges at wavelengths L/high = 16 and
     * L/low = 64. The wavelengths 2π/f are 6.28 (below 16: kept), 62.83 (between: blended) and
     * 628, 6283 (above 64: divided by 4). The blend: s = (64 / (20π) − 1) / (4 − 1) = 0.0061972119,
     * f = (1 − s)·0.1/4 + s·0.1 = 0.0254647909.
     */
    @Test
    void llama3ScalingByHand() {
        double[] f = Rotary.inverseFrequencies(tiny(RopeScaling.llama3(4, 1, 4, 64)));
        assertEquals(1.0, f[0], 1e-15);
        assertEquals(0.025464790894703257, f[1], 1e-15);
        assertEquals(0.0025, f[2], 1e-15);
        assertEquals(0.00025, f[3], 1e-15);
        double s = (64 / (20 * Math.PI) - 1) / 3;
        assertEquals(0.0061972119293767225, s, 1e-15);
    }

    /** Llama 3.2's scaling (32, 1, 4, 8192) on its head width 64 and θ 500000: the three bands and their edges. */
    @Test
    void llama32Bands() {
        RopeScaling r = RopeScaling.llama3(32, 1, 4, 8192);
        ModelConfig c = Presets.get("llama-3.2-1b");
        assertEquals(r, c.ropeScaling());
        double[] f = Rotary.inverseFrequencies(c);
        assertEquals(32, f.length);
        int kept = 0;
        int divided = 0;
        int blended = 0;
        for (int j = 0; j < f.length; j++) {
            double plain = Math.pow(500000, -2.0 * j / 64);
            double wavelength = 2 * Math.PI / plain;
            if (wavelength < 2048) {
                assertEquals(plain, f[j], 0, "j=" + j);
                kept++;
            } else if (wavelength > 8192) {
                assertEquals(plain / 32, f[j], plain * 1e-15, "j=" + j);
                divided++;
            } else {
                assertTrue(f[j] > plain / 32 && f[j] < plain, "j=" + j + " blends between f/32 and f: " + f[j]);
                blended++;
            }
        }
        // wavelengths 2π·500000^(j/32): 1956 at j = 14, 2948 at 15, 6695 at 17, 10089 at 18 (so j = 15..17 blend)
        assertEquals(java.util.List.of(15, 3, 14), java.util.List.of(kept, blended, divided));
        // the blend is continuous: f/factor at the low-frequency edge, f at the high-frequency edge
        double atLowEdge = 2 * Math.PI / 8192;
        double atHighEdge = 2 * Math.PI / 2048;
        assertEquals(atLowEdge / 32, r.apply(atLowEdge), 1e-18);
        assertEquals(atHighEdge, r.apply(atHighEdge), 1e-18);
    }

    /** The tables Rotary builds use the scaled frequencies: cos(p·f_j) in column j (and j + hs/2). */
    @Test
    void rotaryTablesUseTheScaledFrequencies() {
        Natives.load();
        ModelConfig c = tiny(RopeScaling.llama3(4, 1, 4, 64));
        double[] f = Rotary.inverseFrequencies(c);
        try (PointerScope scope = new PointerScope()) {
            Rotary r = new Rotary(c);
            Tensor cos = r.named_buffers(true).get("cos");
            Tensor sin = r.named_buffers(true).get("sin");
            assertEquals(torch.ScalarType.Float, cos.scalar_type().intern());
            for (int p : new int[] {0, 5, 15}) {
                for (int j = 0; j < 4; j++) {
                    assertEquals(Math.cos(p * f[j]), cos.get(p).get(j).item_double(), 1e-6, "cos p=" + p + " j=" + j);
                    assertEquals(Math.cos(p * f[j]), cos.get(p).get(j + 4).item_double(), 1e-6);
                    assertEquals(Math.sin(p * f[j]), sin.get(p).get(j + 4).item_double(), 1e-6, "sin p=" + p + " j=" + j);
                }
            }
        }
    }

    @Test
    void badParametersAreNamed() {
        assertMessage(() -> RopeScaling.linear(0.5), "invalid linear rope scaling factor=0.5: must be a finite number >= 1");
        assertMessage(() -> RopeScaling.linear(Double.NaN), "factor=NaN");
        assertMessage(() -> RopeScaling.llama3(8, 0, 4, 8192), "invalid llama3 rope scaling lowFreqFactor=0.0: must be > 0");
        assertMessage(() -> RopeScaling.llama3(8, 4, 2, 8192), "highFreqFactor=2.0: must be > lowFreqFactor=4.0");
        assertMessage(() -> RopeScaling.llama3(8, 1, 4, 0), "originalMaxPositions=0: must be > 0");
        assertMessage(() -> new RopeScaling(RopeScaling.Type.NONE, 2, 0, 0, 0), "1/0/0/0 (no scaling)");
        assertMessage(() -> new RopeScaling(null, 2, 0, 0, 0), "type=null");
        assertMessage(() -> ModelConfig.builder("gpt").vocab(16).dModel(32).layers(1).heads(4).maxSeq(16).dense(16)
                .ropeScaling(RopeScaling.linear(2)).build(), "invalid ropeScaling=linear scaling ×2: must be none with learned positions");
        assertEquals(RopeScaling.NONE, ModelConfig.builder("gpt").vocab(16).dModel(32).layers(1).heads(4).maxSeq(16).dense(16)
                .ropeScaling(null).build().ropeScaling(), "null means plain RoPE");
    }

    @Test
    void architectureNamesTheScaling() {
        assertEquals("RMSNorm, RoPE θ=10000 linear scaling ×4, SwiGLU MLP", tiny(RopeScaling.linear(4)).architecture());
        assertEquals("RMSNorm, RoPE θ=10000, SwiGLU MLP", tiny(RopeScaling.NONE).architecture());
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable e, String part) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertTrue(x.getMessage().contains(part), "message lacks '" + part + "': " + x.getMessage());
    }
}
