package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.StringTensorDictItemVector;
import org.junit.jupiter.api.Test;

class PresetsTest {
    @Test
    void unknownPresetListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Presets.get("huge"));
        assertTrue(e.getMessage().contains("'huge'"), e.getMessage());
        for (String known : new String[] {"tiny", "decode-tiny", "small", "medium", "large", "xl", "2.7B", "dense-cpu", "moe-cpu", "olmoe-1b-7b"}) {
            assertTrue(e.getMessage().contains(known), "message should list " + known + ": " + e.getMessage());
        }
    }

    @Test
    void moeKnobsTakeOnlyMoePresetsAndListThem() {
        assertEquals(64, Presets.getMoe("moe-cpu").experts());
        IllegalArgumentException dense = assertThrows(IllegalArgumentException.class, () -> Presets.getMoe("dense-cpu"));
        assertEquals("model 'dense-cpu' is dense (no experts); allowed: an MoE preset: tiny-moe, moe-cpu, olmoe-1b-7b",
                dense.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Presets.getMoe("nosuch"), "unknown names fail as in get");
    }

    @Test
    void cs336SizesFollowTheTable() {
        int[][] table = {{768, 3072, 12, 12}, {1024, 4096, 24, 16}, {1280, 5120, 36, 20}, {1600, 6400, 48, 25}, {2560, 10240, 32, 32}};
        String[] names = {"small", "medium", "large", "xl", "2.7B"};
        for (int i = 0; i < names.length; i++) {
            ModelConfig c = Presets.get(names[i]);
            assertEquals(table[i][0], c.dModel(), names[i]);
            assertEquals(table[i][1], c.dFf(), names[i]);
            assertEquals(table[i][2], c.layers(), names[i]);
            assertEquals(table[i][3], c.heads(), names[i]);
            assertEquals(10000, c.vocab(), names[i]);
        }
        ModelConfig olmoe = Presets.get("olmoe-1b-7b");
        assertEquals(2048, olmoe.dModel());
        assertEquals(64, olmoe.experts());
        assertEquals(8, olmoe.topK());
        assertEquals(1024, olmoe.expertDFf());
        assertEquals(50304, olmoe.vocab());
    }

    @Test
    void topKIsValidatedAgainstTheExperts() {
        ModelConfig c = Presets.get("moe-cpu");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.withTopK(65));
        assertTrue(e.getMessage().contains("topK=65") && e.getMessage().contains("1..64"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.withTopK(0));
        assertThrows(IllegalArgumentException.class, () -> Presets.get("tiny").withTopK(1));
    }

    @Test
    void parameterCountMatchesTheBuiltModel() {
        Natives.load();
        for (String name : new String[] {"tiny", "tiny-moe"}) {
            try (PointerScope s = new PointerScope()) {
                ModelConfig c = Presets.get(name);
                Gpt m = Gpt.create(c, 1);
                StringTensorDictItemVector items = m.named_parameters(true).items();
                long n = 0;
                for (long i = 0; i < items.size(); i++) {
                    n += items.get(i).value().numel();
                }
                assertEquals(c.parameterCount(), n, name);
            }
        }
    }
}
