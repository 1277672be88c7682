package knobs.kernels.checkpoint;

import static knobs.kernels.checkpoint.SafetensorsTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import knobs.kernels.ModelConfig;
import knobs.kernels.RopeScaling;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link LoadPlan} on the tiny checkpoints of every family (whose tensor names are written
 * independently of {@link NameTables}) and on broken copies of them: every error is found from the
 * headers, before any model exists. No natives.
 */
class LoadPlanTest {
    @TempDir
    Path root;

    private Path tiny(String name) {
        return TinyCheckpoints.write(root.resolve(name), name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "olmoe", "mixtral", "qwen2_moe", "llama_scaled"})
    void everyTinyCheckpointPlansCompletely(String name) {
        LoadPlan p = LoadPlan.open(tiny(name), name);
        long elements = p.assignments().stream().mapToLong(a -> a.source().numel()).sum();
        assertEquals(p.config().parameterCount(), elements, "every parameter element comes from the checkpoint");
        assertEquals(p.checkpoint().tensors().size(), p.assignments().size(), "every checkpoint tensor is used");
    }

    @Test
    void configsFollowTheFamilies() {
        ModelConfig llama = LoadPlan.open(tiny("llama"), "l").config();
        assertEquals(ModelConfig.Norm.RMS_NORM, llama.norm());
        assertEquals(ModelConfig.Positions.ROPE, llama.positions());
        assertEquals(2, llama.kvHeads());
        assertTrue(llama.tiedEmbeddings());
        assertEquals(1e-6, llama.normEps());
        assertEquals(48, llama.dFf());
        assertEquals(64, llama.maxSeq());
        assertEquals(RopeScaling.NONE, llama.ropeScaling());
        ModelConfig scaled = LoadPlan.open(tiny("llama_scaled"), "ls").config();
        assertEquals(RopeScaling.llama3(4, 1, 4, 64), scaled.ropeScaling());
        assertEquals(256, scaled.maxSeq());
        assertEquals(llama.withName("ls").withMaxSeq(256).toBuilder().ropeScaling(RopeScaling.llama3(4, 1, 4, 64)).build(), scaled,
                "llama_scaled differs from llama only in its RoPE scaling and length");
        ModelConfig qwen2 = LoadPlan.open(tiny("qwen2"), "q").config();
        assertTrue(qwen2.qkvBias());
        assertFalse(qwen2.outBias());
        assertEquals(1e6, qwen2.ropeTheta());
        ModelConfig olmoe = LoadPlan.open(tiny("olmoe"), "o").config();
        assertTrue(olmoe.qkNorm());
        assertFalse(olmoe.normTopkProb());
        assertEquals(8, olmoe.experts());
        assertEquals(16, olmoe.expertDFf());
        assertEquals(1e-5, olmoe.normEps());
        ModelConfig mixtral = LoadPlan.open(tiny("mixtral"), "m").config();
        assertTrue(mixtral.normTopkProb());
        assertEquals(4, mixtral.experts());
        ModelConfig qm = LoadPlan.open(tiny("qwen2_moe"), "qm").config();
        assertEquals(1, qm.sharedExperts());
        assertEquals(40, qm.sharedExpertDFf());
        assertTrue(qm.sharedExpertGate());
        assertTrue(qm.normTopkProb());
        assertEquals(2, LoadPlan.open(root.resolve("qwen2_moe"), "qm").checkpoint().files().size());
    }

    @Test
    void missingTensorNamesTheFolderFileAndTensor() {
        Path dir = tiny("mixtral");
        rewriteWithout(dir.resolve("model.safetensors"), "model.layers.1.block_sparse_moe.experts.3.w3.weight");
        assertMessage(assertThrows(CheckpointException.class, () -> LoadPlan.open(dir, "m")), dir.toString(), "1 tensor(s)",
                "missing from model.safetensors", "model.layers.1.block_sparse_moe.experts.3.w3.weight");
    }

    @Test
    void unexpectedTensorNamesFileAndTensor() throws IOException {
        Path dir = tiny("llama");
        // a config saying 1 layer for weights of 2
        Files.writeString(dir.resolve("config.json"), Files.readString(dir.resolve("config.json"))
                .replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1"));
        assertMessage(assertThrows(CheckpointException.class, () -> LoadPlan.open(dir, "l")), dir.resolve("model.safetensors").toString(),
                "unexpected tensor 'model.layers.1.", "num_hidden_layers");
    }

    @Test
    void shapeMismatchNamesFileTensorAndShapes() throws IOException {
        Path dir = tiny("qwen2");
        Files.writeString(dir.resolve("config.json"), Files.readString(dir.resolve("config.json"))
                .replace("\"intermediate_size\": 40", "\"intermediate_size\": 41"));
        assertMessage(assertThrows(CheckpointException.class, () -> LoadPlan.open(dir, "q")), dir.resolve("model.safetensors").toString(),
                "'model.layers.0.mlp.gate_proj.weight'", "[40, 32]", "needs [41, 32]", "h0.mlp.c_fc");
    }

    @Test
    void shardedCheckpointErrorsNameTheShard() throws IOException {
        Path dir = tiny("qwen2_moe");
        Path second = dir.resolve("model-00002-of-00002.safetensors");
        byte[] b = Files.readAllBytes(second);
        Files.write(second, java.util.Arrays.copyOf(b, b.length - 100));
        assertMessage(assertThrows(CheckpointException.class, () -> LoadPlan.open(dir, "qm")), second.toString(), "truncated");
    }

    @Test
    void tiedCheckpointMayCarryAnLmHeadCopyAndRopeBuffersAreSkipped() {
        Path dir = tiny("llama");
        Path f = dir.resolve("model.safetensors");
        Safetensors s = Safetensors.open(f);
        SafetensorsWriter w = copy(s, null);
        w.add("lm_head.weight", DType.F32, new long[] {TinyCheckpoints.VOCAB, TinyCheckpoints.D},
                new float[TinyCheckpoints.VOCAB * TinyCheckpoints.D]);
        w.add("model.layers.0.self_attn.rotary_emb.inv_freq", DType.F32, new long[] {4}, new float[4]);
        w.write(f);
        LoadPlan p = LoadPlan.open(dir, "l");
        assertFalse(p.assignments().stream().anyMatch(a -> a.source().name().equals("lm_head.weight")));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "\"hidden_act\": \"silu\"=>\"hidden_act\": \"gelu\"=>hidden_act 'gelu'",
            "\"max_position_embeddings\": 64=>\"max_position_embeddings\": 64, \"head_dim\": 16=>head_dim=16",
            "\"max_position_embeddings\": 64=>\"max_position_embeddings\": 64, \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 8.0}=>rope_type 'yarn' is not supported; supported: default (plain RoPE), linear, llama3",
            "\"num_key_value_heads\": 2=>\"num_key_value_heads\": 3=>kvHeads=3",
            "\"vocab_size\": 96=>\"vocab_size\": -1=>\"vocab_size\" is -1"})
    void unsupportedConfigValuesNameTheKey(String edit) throws IOException {
        String[] e = edit.split("=>");
        Path dir = tiny("llama");
        String json = Files.readString(dir.resolve("config.json"));
        assertTrue(json.contains(e[0]), json);
        Files.writeString(dir.resolve("config.json"), json.replace(e[0], e[1]));
        assertMessage(assertThrows(CheckpointException.class, () -> LoadPlan.open(dir, "l")), "config.json", e[2]);
    }

    private static final String LLAMA3 = "{\"rope_type\": \"llama3\", \"factor\": 4.0, \"low_freq_factor\": 1.0,"
            + " \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 64}";

    /** llama_scaled with its rope_scaling object replaced by {@code json}. */
    private Path withRopeScaling(String json) throws IOException {
        Path dir = tiny("llama_scaled");
        String config = Files.readString(dir.resolve("config.json"));
        assertTrue(config.contains(LLAMA3), config);
        Files.writeString(dir.resolve("config.json"), config.replace(LLAMA3, json));
        return dir;
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"type\": \"llama3\", \"factor\": 8, \"low_freq_factor\": 1, \"high_freq_factor\": 4, \"original_max_position_embeddings\": 8192}"
                    + "=>llama3:8:1:4:8192",
            "{\"rope_type\": \"llama3\", \"type\": \"llama3\", \"factor\": 32.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0,"
                    + " \"original_max_position_embeddings\": 8192}=>llama3:32:1:4:8192",
            "{\"type\": \"linear\", \"factor\": 2.0}=>linear:2",
            "{\"rope_type\": \"linear\", \"factor\": 1.5}=>linear:1.5",
            "{\"rope_type\": \"default\"}=>none",
            "{\"type\": \"default\"}=>none",
            "null=>none"})
    void supportedRopeScalingIsRead(String spec) throws IOException {
        String[] e = spec.split("=>");
        String[] v = e[1].split(":");
        RopeScaling expected = switch (v[0]) {
            case "none" -> RopeScaling.NONE;
            case "linear" -> RopeScaling.linear(Double.parseDouble(v[1]));
            default -> RopeScaling.llama3(Double.parseDouble(v[1]), Double.parseDouble(v[2]), Double.parseDouble(v[3]),
                    Integer.parseInt(v[4]));
        };
        assertEquals(expected, LoadPlan.open(withRopeScaling(e[0]), "l").config().ropeScaling());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"rope_type\": \"dynamic\", \"factor\": 2.0}=>rope_type 'dynamic' is not supported; supported: default (plain RoPE), linear, llama3",
            "{\"type\": \"yarn\", \"factor\": 4.0}=>rope_type 'yarn' is not supported; supported: default (plain RoPE), linear, llama3",
            "{\"rope_type\": \"longrope\", \"short_factor\": [1.0]}=>rope_type 'longrope' is not supported",
            "{\"factor\": 2.0}=>has no \"rope_type\" (or legacy \"type\"); supported: default (plain RoPE), linear, llama3",
            "{\"rope_type\": \"linear\", \"type\": \"llama3\", \"factor\": 2.0}=>gives rope_type 'linear' and type 'llama3'",
            "{\"rope_type\": \"linear\"}=>missing \"rope_scaling\".factor",
            "{\"rope_type\": \"linear\", \"factor\": 0.5}=>invalid linear rope scaling factor=0.5: must be a finite number >= 1",
            "{\"rope_type\": \"linear\", \"factor\": \"2\"}=>\"rope_scaling\".factor is \"2\"; must be a number",
            "{\"rope_type\": \"linear\", \"factor\": 2.0, \"low_freq_factor\": 1.0}=>rope_scaling key \"low_freq_factor\" is not"
                    + " supported with rope_type 'linear'; allowed keys: rope_type (or type), factor",
            "{\"rope_type\": \"llama3\", \"factor\": 8.0}=>missing \"rope_scaling\".low_freq_factor",
            "{\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 4.0, \"high_freq_factor\": 4.0,"
                    + " \"original_max_position_embeddings\": 8192}=>highFreqFactor=4.0: must be > lowFreqFactor=4.0",
            "{\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 0, \"high_freq_factor\": 4.0,"
                    + " \"original_max_position_embeddings\": 8192}=>lowFreqFactor=0.0: must be > 0",
            "{\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1, \"high_freq_factor\": 4.0,"
                    + " \"original_max_position_embeddings\": 8192.5}=>\"rope_scaling\".original_max_position_embeddings is 8192.5",
            "{\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1, \"high_freq_factor\": 4.0,"
                    + " \"original_max_position_embeddings\": 8192, \"attention_factor\": 1.0}=>rope_scaling key \"attention_factor\""
                    + " is not supported with rope_type 'llama3'",
            "4=>\"rope_scaling\" is 4; must be an object or null"})
    void unsupportedOrBadRopeScalingNamesTheValue(String spec) throws IOException {
        String[] e = spec.split("=>");
        Path dir = withRopeScaling(e[0]);
        assertMessage(assertThrows(CheckpointException.class, () -> LoadPlan.open(dir, "l")), "config.json", e[1]);
    }

    @Test
    void qwen2MoeWithDenseLayersIsRefused() throws IOException {
        Path dir = tiny("qwen2_moe");
        Files.writeString(dir.resolve("config.json"), Files.readString(dir.resolve("config.json"))
                .replace("\"mlp_only_layers\": []", "\"mlp_only_layers\": [1]"));
        assertMessage(assertThrows(CheckpointException.class, () -> LoadPlan.open(dir, "qm")), "mlp_only_layers=[1]",
                "every layer MoE");
    }

    @Test
    void slidingWindowCapsTheSequence() throws IOException {
        Path dir = tiny("mixtral");
        Files.writeString(dir.resolve("config.json"), Files.readString(dir.resolve("config.json"))
                .replace("\"sliding_window\": null", "\"sliding_window\": 16"));
        assertEquals(16, LoadPlan.open(dir, "m").config().maxSeq());
    }

    /** Every family's table covers its model's parameters exactly (also checked inside {@link NameTables#slots}). */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "olmoe", "mixtral", "qwen2_moe", "llama_scaled"})
    void tablesCoverEveryParameter(String name) {
        LoadPlan p = LoadPlan.open(tiny(name), name);
        Map<String, long[]> params = ParameterShapes.of(p.config());
        assertEquals(params.keySet(), new java.util.HashSet<>(p.assignments().stream().map(a -> a.slot().parameter()).toList()));
    }

    private static void rewriteWithout(Path f, String drop) {
        copy(Safetensors.open(f), drop).write(f);
    }

    /** The tensors of {@code s} (all F32/BF16/F16 read back as floats) except {@code drop}, in order. */
    private static SafetensorsWriter copy(Safetensors s, String drop) {
        SafetensorsWriter w = new SafetensorsWriter();
        try {
            byte[] all = Files.readAllBytes(s.file());
            for (TensorInfo t : s.tensors().values()) {
                if (t.name().equals(drop)) {
                    continue;
                }
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(all, (int) t.offset(), (int) t.bytes()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                float[] v = new float[(int) t.numel()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = switch (t.dtype()) {
                        case F32 -> b.getFloat();
                        case BF16 -> SafetensorsWriter.fromBf16(b.getShort());
                        case F16 -> SafetensorsWriter.fromF16(b.getShort());
                    };
                }
                w.add(t.name(), t.dtype(), t.shape(), v);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return w;
    }
}
