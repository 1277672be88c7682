package knobs.kernels.checkpoint;

import static knobs.kernels.checkpoint.SafetensorsTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link Checkpoint#open} and {@link HfConfig}: the folder layouts and every folder-level error. No natives. */
class CheckpointTest {
    @TempDir
    Path dir;

    private static final String LLAMA = "{\"model_type\": \"llama\", \"hidden_size\": 8}";

    private static SafetensorsWriter tensors(String... names) {
        SafetensorsWriter w = new SafetensorsWriter();
        for (String n : names) {
            w.add(n, DType.F32, new long[] {2}, new float[] {1, 2});
        }
        return w;
    }

    private void config(String json) throws IOException {
        Files.writeString(dir.resolve(Checkpoint.CONFIG), json);
    }

    private void index(String json) throws IOException {
        Files.writeString(dir.resolve(Checkpoint.INDEX), json);
    }

    @Test
    void singleFile() throws IOException {
        config(LLAMA);
        tensors("a", "b").write(dir.resolve(Checkpoint.SINGLE));
        Checkpoint c = Checkpoint.open(dir);
        assertEquals(Family.LLAMA, c.config().family());
        assertEquals(Set.of("a", "b"), c.tensors().keySet());
        assertEquals(List.of(dir.resolve(Checkpoint.SINGLE)), c.files());
        assertEquals(16, c.dataBytes());
    }

    @Test
    void shardedIndex() throws IOException {
        config(LLAMA);
        tensors("a", "b").write(dir.resolve("model-00001-of-00002.safetensors"));
        tensors("c").write(dir.resolve("model-00002-of-00002.safetensors"));
        index("{\"metadata\": {\"total_size\": 24}, \"weight_map\": {\"a\": \"model-00001-of-00002.safetensors\","
                + " \"c\": \"model-00002-of-00002.safetensors\", \"b\": \"model-00001-of-00002.safetensors\"}}");
        Checkpoint c = Checkpoint.open(dir);
        assertEquals(Set.of("a", "b", "c"), c.tensors().keySet());
        assertEquals(dir.resolve("model-00002-of-00002.safetensors"), c.tensors().get("c").file());
        assertEquals(2, c.files().size());
    }

    @Test
    void notADirectory() throws IOException {
        Path f = dir.resolve("model.safetensors");
        tensors("a").write(f);
        assertMessage(assertThrows(CheckpointException.class, () -> Checkpoint.open(f)), f.toString(), "not a directory");
        Path none = dir.resolve("nowhere");
        assertMessage(assertThrows(CheckpointException.class, () -> Checkpoint.open(none)), none.toString(), "no such directory");
    }

    @Test
    void noConfig() throws IOException {
        tensors("a").write(dir.resolve(Checkpoint.SINGLE));
        assertMessage(assertThrows(CheckpointException.class, () -> Checkpoint.open(dir)), dir.toString(), "no config.json");
    }

    @Test
    void noWeights() throws IOException {
        config(LLAMA);
        Files.writeString(dir.resolve("pytorch_model.bin"), "x");
        assertMessage(assertThrows(CheckpointException.class, () -> Checkpoint.open(dir)), dir.toString(), "no weights",
                "model.safetensors", "model.safetensors.index.json");
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama4", "Llama"})
    void unknownModelTypeListsTheSupportedOnes(String type) throws IOException {
        config("{\"model_type\": \"" + type + "\"}");
        tensors("a").write(dir.resolve(Checkpoint.SINGLE));
        assertMessage(assertThrows(CheckpointException.class, () -> Checkpoint.open(dir)), dir.resolve("config.json").toString(),
                "model_type '" + type + "'", "supported: llama, mistral, qwen2, olmoe, mixtral, qwen2_moe");
    }

    @Test
    void missingOrInvalidModelType() throws IOException {
        config("{\"hidden_size\": 8}");
        assertMessage(assertThrows(CheckpointException.class, () -> Checkpoint.open(dir)), "no \"model_type\"", "supported: llama");
        config("{\"model_type\": ");
        assertMessage(assertThrows(CheckpointException.class, () -> Checkpoint.open(dir)), "config.json", "not valid JSON");
    }

    @Test
    void configFieldsAreTypedAndNamed() {
        HfConfig c = HfConfig.parse(dir.resolve("config.json"),
                "{\"model_type\": \"qwen2_moe\", \"hidden_size\": 16, \"rope_theta\": 1000000.0, \"norm_topk_prob\": false,"
                        + " \"mlp_only_layers\": [], \"sliding_window\": null, \"num_experts\": \"8\"}");
        assertEquals(Family.QWEN2_MOE, c.family());
        assertEquals(16, c.positiveInt("hidden_size"));
        assertEquals(1e6, c.positiveDouble("rope_theta", 1e4));
        assertEquals(false, c.bool("norm_topk_prob", true));
        assertEquals(List.of(), c.intList("mlp_only_layers"));
        assertEquals(7, c.positiveInt("sliding_window", 7)); // null means absent
        assertMessage(assertThrows(CheckpointException.class, () -> c.positiveInt("num_experts")), "\"num_experts\" is \"8\"",
                "positive integer");
        assertMessage(assertThrows(CheckpointException.class, () -> c.positiveInt("vocab_size")), "missing \"vocab_size\"",
                "model_type qwen2_moe");
    }

    @Test
    void indexNamingAMissingShard() throws IOException {
        config(LLAMA);
        tensors("a").write(dir.resolve("s1.safetensors"));
        index("{\"weight_map\": {\"a\": \"s1.safetensors\", \"b\": \"s2.safetensors\"}}");
        assertMessage(assertThrows(CheckpointException.class, () -> Checkpoint.open(dir)), Checkpoint.INDEX, "shard s2.safetensors",
                "missing", "'b'");
    }

    @Test
    void indexPuttingATensorInAShardThatLacksIt() throws IOException {
        config(LLAMA);
        tensors("a").write(dir.resolve("s1.safetensors"));
        index("{\"weight_map\": {\"a\": \"s1.safetensors\", \"b\": \"s1.safetensors\"}}");
        assertMessage(assertThrows(CheckpointException.class, () -> Checkpoint.open(dir)), "s1.safetensors", "tensor 'b'", "missing");
    }

    @Test
    void shardHoldingATensorTheIndexDoesNotList() throws IOException {
        config(LLAMA);
        tensors("a", "stray").write(dir.resolve("s1.safetensors"));
        index("{\"weight_map\": {\"a\": \"s1.safetensors\"}}");
        assertMessage(assertThrows(CheckpointException.class, () -> Checkpoint.open(dir)), "s1.safetensors", "'stray'", "does not list");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "{\"weight_map\": {}}", "{\"weight_map\": {\"a\": \"../x.safetensors\"}}",
            "{\"weight_map\": {\"a\": 3}}", "{\"weight_map\": "})
    void malformedIndex(String json) throws IOException {
        config(LLAMA);
        index(json);
        assertMessage(assertThrows(CheckpointException.class, () -> Checkpoint.open(dir)), Checkpoint.INDEX);
    }

    @Test
    void badShardHeaderNamesTheShard() throws IOException {
        config(LLAMA);
        Files.write(dir.resolve("s1.safetensors"), new byte[] {1, 2});
        index("{\"weight_map\": {\"a\": \"s1.safetensors\"}}");
        assertMessage(assertThrows(CheckpointException.class, () -> Checkpoint.open(dir)), dir.resolve("s1.safetensors").toString(),
                "truncated");
    }
}
