package knobs.kernels.checkpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes one tiny Hugging Face folder per supported family, with deterministic weights, for the
 * golden-logit tests and {@code scripts/reference_logits.py}. Tensor names are spelled out here
 * from the Hugging Face modelling code, independently of {@link NameTables}, so a wrong table row
 * shows up as a missing or unexpected tensor.
 *
 * <p>Each family exercises what sets it apart, and the dtypes and layouts vary: {@code llama} GQA +
 * tied embeddings (F32); {@code qwen2} q/k/v biases (BF16); {@code olmoe} QK-norm, 8 experts top-2
 * without renormalisation (F32); {@code mixtral} GQA, 4 experts top-2 renormalised (F16);
 * {@code qwen2_moe} q/k/v biases, 6 experts top-2 renormalised + a gated shared expert (F32, two
 * shards with an index); {@code llama_scaled} is {@code llama}'s weights with Llama 3's
 * {@code rope_scaling} ("llama3", factor 4, low 1, high 4, original 64, max_position_embeddings 256),
 * chosen so that the head width's four frequencies fall in all three of its bands: 1 (wavelength
 * 2π, below 64/4: kept), 0.1 (wavelength 62.8, between: interpolated), 0.01 and 0.001 (above 64:
 * divided by 4).
 *
 * <p>Values come from {@link SplittableRandom} seeded per tensor name (both are specified by the
 * JDK, so every JVM writes the same bytes). The embeddings are small (|x| ≤ 0.03, as real models
 * initialise them), so the first norm's epsilon is not negligible and a wrong epsilon changes the
 * logits measurably.
 */
public final class TinyCheckpoints {
    /** The families, in the order the golden files list them. */
    public static final List<String> NAMES = List.of("llama", "qwen2", "olmoe", "mixtral", "qwen2_moe", "llama_scaled");

    static final int VOCAB = 96;
    static final int D = 32;
    static final int LAYERS = 2;
    static final int HEADS = 4;

    private TinyCheckpoints() {
    }

    /** Writes every family under {@code root/<name>}; returns the folders by name. */
    public static Map<String, Path> writeAll(Path root) {
        Map<String, Path> out = new LinkedHashMap<>();
        for (String n : NAMES) {
            out.put(n, write(root.resolve(n), n));
        }
        return out;
    }

    /** Usage: {@code TinyCheckpoints DIR} writes the folders under DIR (see scripts/reference_logits.py). */
    public static void main(String[] args) {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: TinyCheckpoints DIR");
        }
        writeAll(Path.of(args[0])).forEach((k, v) -> System.out.println(k + " -> " + v));
    }

    /** Writes the tiny checkpoint {@code name} (one of {@link #NAMES}) into {@code dir}. */
    public static Path write(Path dir, String name) {
        try {
            Files.createDirectories(dir);
            switch (name) {
                case "llama" -> {
                    config(dir, "\"model_type\": \"llama\", \"num_key_value_heads\": 2, \"intermediate_size\": 48,"
                            + " \"rope_theta\": 10000.0, \"rms_norm_eps\": 1e-06, \"tie_word_embeddings\": true,"
                            + " \"attention_bias\": false, \"mlp_bias\": false");
                    Tensors t = new Tensors(DType.F32);
                    t.common(2, false, false);
                    for (int i = 0; i < LAYERS; i++) {
                        t.mlp("model.layers." + i + ".mlp.", 48);
                    }
                    t.write(dir.resolve("model.safetensors"), n -> true);
                }
                case "qwen2" -> {
                    config(dir, "\"model_type\": \"qwen2\", \"num_key_value_heads\": 2, \"intermediate_size\": 40,"
                            + " \"rope_theta\": 1000000.0, \"rms_norm_eps\": 1e-06, \"tie_word_embeddings\": false,"
                            + " \"use_sliding_window\": false, \"sliding_window\": 4096");
                    Tensors t = new Tensors(DType.BF16);
                    t.common(2, true, true);
                    for (int i = 0; i < LAYERS; i++) {
                        t.mlp("model.layers." + i + ".mlp.", 40);
                    }
                    t.write(dir.resolve("model.safetensors"), n -> true);
                }
                case "olmoe" -> {
                    config(dir, "\"model_type\": \"olmoe\", \"num_key_value_heads\": 4, \"intermediate_size\": 16,"
                            + " \"num_experts\": 8, \"num_experts_per_tok\": 2, \"norm_topk_prob\": false,"
                            + " \"rope_theta\": 10000.0, \"rms_norm_eps\": 1e-05, \"tie_word_embeddings\": false,"
                            + " \"clip_qkv\": null, \"attention_bias\": false");
                    Tensors t = new Tensors(DType.F32);
                    t.common(4, false, true);
                    for (int i = 0; i < LAYERS; i++) {
                        String p = "model.layers." + i + ".";
                        t.norm(p + "self_attn.q_norm.weight", D);
                        t.norm(p + "self_attn.k_norm.weight", 4 * (D / HEADS));
                        t.router(p + "mlp.gate.weight", 8);
                        for (int e = 0; e < 8; e++) {
                            t.mlp(p + "mlp.experts." + e + ".", 16);
                        }
                    }
                    t.write(dir.resolve("model.safetensors"), n -> true);
                }
                case "mixtral" -> {
                    config(dir, "\"model_type\": \"mixtral\", \"num_key_value_heads\": 2, \"intermediate_size\": 24,"
                            + " \"num_local_experts\": 4, \"num_experts_per_tok\": 2, \"rope_theta\": 1000000.0,"
                            + " \"rms_norm_eps\": 1e-05, \"tie_word_embeddings\": false, \"sliding_window\": null");
                    Tensors t = new Tensors(DType.F16);
                    t.common(2, false, true);
                    for (int i = 0; i < LAYERS; i++) {
                        String p = "model.layers." + i + ".block_sparse_moe.";
                        t.router(p + "gate.weight", 4);
                        for (int e = 0; e < 4; e++) {
                            t.linear(p + "experts." + e + ".w1.weight", 24, D);
                            t.linear(p + "experts." + e + ".w2.weight", D, 24);
                            t.linear(p + "experts." + e + ".w3.weight", 24, D);
                        }
                    }
                    t.write(dir.resolve("model.safetensors"), n -> true);
                }
                case "qwen2_moe" -> {
                    config(dir, "\"model_type\": \"qwen2_moe\", \"num_key_value_heads\": 2, \"intermediate_size\": 64,"
                            + " \"moe_intermediate_size\": 16, \"shared_expert_intermediate_size\": 40, \"num_experts\": 6,"
                            + " \"num_experts_per_tok\": 2, \"norm_topk_prob\": true, \"decoder_sparse_step\": 1,"
                            + " \"mlp_only_layers\": [], \"rope_theta\": 1000000.0, \"rms_norm_eps\": 1e-06,"
                            + " \"tie_word_embeddings\": false, \"use_sliding_window\": false");
                    Tensors t = new Tensors(DType.F32);
                    t.common(2, true, true);
                    for (int i = 0; i < LAYERS; i++) {
                        String p = "model.layers." + i + ".mlp.";
                        t.router(p + "gate.weight", 6);
                        for (int e = 0; e < 6; e++) {
                            t.mlp(p + "experts." + e + ".", 16);
                        }
                        t.mlp(p + "shared_expert.", 40);
                        t.linear(p + "shared_expert_gate.weight", 1, D);
                    }
                    t.shard(dir);
                }
                case "llama_scaled" -> {
                    config(dir, "\"model_type\": \"llama\", \"num_key_value_heads\": 2, \"intermediate_size\": 48,"
                            + " \"rope_theta\": 10000.0, \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 4.0,"
                            + " \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 64},"
                            + " \"rms_norm_eps\": 1e-06, \"tie_word_embeddings\": true, \"attention_bias\": false,"
                            + " \"mlp_bias\": false", 256);
                    Tensors t = new Tensors(DType.F32);
                    t.common(2, false, false);
                    for (int i = 0; i < LAYERS; i++) {
                        t.mlp("model.layers." + i + ".mlp.", 48);
                    }
                    t.write(dir.resolve("model.safetensors"), n -> true);
                }
                default -> throw new IllegalArgumentException("unknown tiny checkpoint '" + name + "'; known: " + NAMES);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void config(Path dir, String familyFields) throws IOException {
        config(dir, familyFields, 64);
    }

    private static void config(Path dir, String familyFields, int maxPositions) throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\n  " + familyFields + ",\n  \"vocab_size\": " + VOCAB
                + ", \"hidden_size\": " + D + ", \"num_hidden_layers\": " + LAYERS + ", \"num_attention_heads\": " + HEADS
                + ",\n  \"max_position_embeddings\": " + maxPositions + ", \"hidden_act\": \"silu\", \"torch_dtype\": \"float32\"\n}\n");
    }

    /** Tensors in the order Hugging Face's state_dict lists them. */
    private static final class Tensors {
        final DType dtype;
        final Map<String, long[]> shapes = new LinkedHashMap<>();
        final Map<String, float[]> values = new LinkedHashMap<>();

        Tensors(DType dtype) {
            this.dtype = dtype;
        }

        void add(String name, long[] shape, float scale, float offset) {
            SplittableRandom r = new SplittableRandom(0x5EEDL * 31 + name.hashCode());
            int n = 1;
            for (long s : shape) {
                n *= (int) s;
            }
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = offset + scale * (float) (2 * r.nextDouble() - 1);
            }
            shapes.put(name, shape);
            values.put(name, v);
        }

        void linear(String name, int out, int in) {
            add(name, new long[] {out, in}, (float) (1.5 / Math.sqrt(in)), 0);
        }

        void bias(String name, int n) {
            add(name, new long[] {n}, 0.1f, 0);
        }

        void norm(String name, int n) {
            add(name, new long[] {n}, 0.2f, 1);
        }

        /** Router weights several times wider than a linear layer's, so top-k choices are far from ties. */
        void router(String name, int experts) {
            add(name, new long[] {experts, D}, (float) (8 / Math.sqrt(D)), 0);
        }

        void mlp(String prefix, int width) {
            linear(prefix + "gate_proj.weight", width, D);
            linear(prefix + "up_proj.weight", width, D);
            linear(prefix + "down_proj.weight", D, width);
        }

        /** Embeddings, final norm, LM head (unless tied), and every layer's norms and attention. */
        void common(int kvHeads, boolean qkvBias, boolean lmHead) {
            int kv = kvHeads * (D / HEADS);
            add("model.embed_tokens.weight", new long[] {VOCAB, D}, 0.03f, 0);
            for (int i = 0; i < LAYERS; i++) {
                String p = "model.layers." + i + ".";
                norm(p + "input_layernorm.weight", D);
                norm(p + "post_attention_layernorm.weight", D);
                linear(p + "self_attn.q_proj.weight", D, D);
                linear(p + "self_attn.k_proj.weight", kv, D);
                linear(p + "self_attn.v_proj.weight", kv, D);
                linear(p + "self_attn.o_proj.weight", D, D);
                if (qkvBias) {
                    bias(p + "self_attn.q_proj.bias", D);
                    bias(p + "self_attn.k_proj.bias", kv);
                    bias(p + "self_attn.v_proj.bias", kv);
                }
            }
            norm("model.norm.weight", D);
            if (lmHead) {
                linear("lm_head.weight", VOCAB, D);
            }
        }

        void write(Path file, java.util.function.Predicate<String> which) {
            SafetensorsWriter w = new SafetensorsWriter();
            for (String n : shapes.keySet()) {
                if (which.test(n)) {
                    w.add(n, dtype, shapes.get(n), values.get(n));
                }
            }
            w.write(file);
        }

        /** Two shards (embeddings and layer 0; the rest) with an index, as save_pretrained writes them. */
        void shard(Path dir) throws IOException {
            String first = "model-00001-of-00002.safetensors";
            String second = "model-00002-of-00002.safetensors";
            java.util.function.Predicate<String> inFirst = n -> n.startsWith("model.embed_tokens.") || n.startsWith("model.layers.0.");
            write(dir.resolve(first), inFirst);
            write(dir.resolve(second), inFirst.negate());
            StringBuilder idx = new StringBuilder("{\n  \"metadata\": {\"total_size\": ");
            long total = 0;
            for (float[] v : values.values()) {
                total += (long) v.length * dtype.bytes();
            }
            idx.append(total).append("},\n  \"weight_map\": {");
            int i = 0;
            for (String n : new java.util.TreeSet<>(shapes.keySet())) {
                idx.append(i++ == 0 ? "\n" : ",\n").append("    \"").append(n).append("\": \"")
                        .append(inFirst.test(n) ? first : second).append('"');
            }
            idx.append("\n  }\n}\n");
            Files.writeString(dir.resolve("model.safetensors.index.json"), idx.toString());
        }
    }
}
