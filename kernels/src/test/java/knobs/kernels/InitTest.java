package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Chunk-seeded, multi-threaded weight initialisation: reproducible, N(0, std²), independent chunks. */
class InitTest {
    private static final long ROWS = 3 * Init.CHUNK / 256 + 37; // three full chunks and a partial one

    @BeforeAll
    static void load() {
        Natives.load();
    }

    @Test
    void sameGlobalSeedGivesTheSameWeightsAndAnotherSeedOthers() {
        try (PointerScope s = new PointerScope()) {
            torch.manual_seed(21);
            Tensor a = Init.normal(0.02, ROWS, 256);
            Tensor a2 = Init.normal(0.02, 4, 8); // the next tensor draws its own seed
            torch.manual_seed(21);
            Tensor b = Init.normal(0.02, ROWS, 256);
            Tensor b2 = Init.normal(0.02, 4, 8);
            torch.manual_seed(22);
            Tensor c = Init.normal(0.02, ROWS, 256);
            assertTrue(torch.equal(a, b), "same seed, same weights, whatever thread filled which chunk");
            assertTrue(torch.equal(a2, b2));
            assertTrue(!torch.equal(a, c), "another seed gives other weights");
            assertEquals(ROWS * 256, a.numel());
        }
    }

    @Test
    void everyChunkIsDrawnFromItsOwnMixedSeed() {
        try (PointerScope s = new PointerScope()) {
            torch.manual_seed(5);
            long seed = Init.drawSeed(); // what Init.normal draws first
            torch.manual_seed(5);
            Tensor t = Init.normal(0.5, ROWS, 256).view(-1);
            long n = t.numel();
            for (long c = 0; c * Init.CHUNK < n; c++) {
                long len = Math.min(Init.CHUNK, n - c * Init.CHUNK);
                Tensor ref = torch.empty(len).normal_(0.0, 0.5, new GeneratorOptional(torch.createCPUGenerator(Init.mix(seed, c))));
                assertTrue(torch.equal(ref, t.narrow(0, c * Init.CHUNK, len)), "chunk " + c);
            }
            // neighbouring chunks are different streams, not one stream repeated
            assertTrue(!torch.equal(t.narrow(0, 0, 1000), t.narrow(0, Init.CHUNK, 1000)));
            assertNotEquals(Init.mix(seed, 0), Init.mix(seed, 1));
        }
    }

    @Test
    void weightsHaveTheRequestedMeanAndStd() {
        try (PointerScope s = new PointerScope()) {
            torch.manual_seed(8);
            Tensor t = Init.normal(0.02, ROWS, 256);
            double mean = t.mean().item_double();
            double std = t.std().item_double();
            assertEquals(0.0, mean, 1e-4, "mean");
            assertEquals(0.02, std, 2e-4, "std");
        }
    }
}
