package knobs.kernels.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import knobs.kernels.Gpt;
import knobs.kernels.ModelConfig;
import knobs.kernels.Natives;
import knobs.kernels.Presets;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.StringTensorDictItemVector;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ParameterShapes} (what the loader checks checkpoints against) is what {@link Gpt} really registers
 * (names and shapes) and adds up to {@link ModelConfig#parameterCount()}.
 */
class ParameterShapesTest {
    @TempDir
    static Path root;

    @BeforeAll
    static void load() {
        Natives.load();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny", "tiny-moe", "decode-tiny", "tiny-llama", "tiny-olmoe", "tiny-mixtral", "tiny-qwen2-moe",
            "ckpt:llama", "ckpt:qwen2", "ckpt:olmoe", "ckpt:mixtral", "ckpt:qwen2_moe"})
    void matchesTheModelsNamedParameters(String name) {
        ModelConfig c = name.startsWith("ckpt:")
                ? LoadPlan.open(TinyCheckpoints.write(root.resolve(name.substring(5)), name.substring(5)), name).config()
                : Presets.get(name);
        Map<String, long[]> expected = ParameterShapes.of(c);
        assertEquals(c.parameterCount(), expected.values().stream().mapToLong(s -> java.util.Arrays.stream(s).reduce(1, (a, b) -> a * b)).sum(), name);
        try (PointerScope scope = new PointerScope()) {
            StringTensorDictItemVector items = Gpt.create(c, 1).named_parameters(true).items();
            List<String> names = new ArrayList<>();
            for (long i = 0; i < items.size(); i++) {
                String n = items.get(i).key().getString();
                names.add(n);
                long[] shape = expected.get(n);
                assertArrayEquals(shape, items.get(i).value().sizes().vec().get(), name + ": " + n);
            }
            assertEquals(new java.util.TreeSet<>(expected.keySet()), new java.util.TreeSet<>(names), name); // registration order is the model's business
        }
    }
}
