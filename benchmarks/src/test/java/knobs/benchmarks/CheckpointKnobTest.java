package knobs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import knobs.kernels.checkpoint.TinyCheckpoints;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * {@code -p model=DIR} (and ModelSize's {@code -p size=DIR}) through benchmarks.jar's pre-fork
 * check, in this JVM with no natives: every bad folder is one problem naming the file and the
 * tensor before any fork starts, and a good folder passes every model benchmark.
 */
class CheckpointKnobTest {
    @TempDir
    Path root;
    private Map<String, Path> dirs;

    @BeforeEach
    void write() {
        dirs = TinyCheckpoints.writeAll(root.resolve("good"));
    }

    private static List<String> problems(String... argv) throws Exception {
        CommandLineOptions o = new CommandLineOptions(argv);
        return PreForkCheck.problems(o, Main.paramNames(List.of(argv)), BenchmarkList.defaultList());
    }

    private static void assertOneProblem(String expectedStart, String... argv) throws Exception {
        List<String> p = problems(argv);
        assertEquals(1, p.size(), String.join(" ", argv) + ": " + p);
        assertTrue(p.get(0).startsWith(expectedStart), String.join(" ", argv) + " -> " + p.get(0));
    }

    private Path copy(String family) throws IOException {
        Path to = root.resolve("bad-" + family + "-" + System.nanoTime());
        Files.createDirectories(to);
        try (var files = Files.list(dirs.get(family))) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }

    @Test
    void aGoodFolderPassesEveryModelBenchmark() throws Exception {
        String llama = dirs.get("llama").toString();
        String moe = dirs.get("qwen2_moe").toString();
        assertEquals(List.of(), problems("MoeTopK", "-p", "model=" + moe, "-p", "topK=1,2", "-p", "promptLen=8"));
        for (String b : new String[] {"BatchSize", "WarmupComparison"}) {
            assertEquals(List.of(), problems(b, "-p", "model=" + llama, "-p", "promptLen=8"), b);
        }
        assertEquals(List.of(), problems("BlocksMask", "-p", "model=" + llama, "-p", "activeBlocks=1,2", "-p", "promptLen=8"));
        assertEquals(List.of(), problems("SeqLenScaling", "-p", "model=" + llama, "-p", "seqLen=8,64"));
        assertEquals(List.of(), problems("OutputTokens", "-p", "model=" + moe, "-p", "promptLen=8", "-p", "maxNewTokens=1,50"));
        assertEquals(List.of(), problems("ModelSize", "-p", "size=" + moe + ",tiny", "-p", "contextLength=16"));
        assertEquals(List.of(), problems("ContextScaling", "-p", "model=" + llama, "-p", "vision=vit-tiny", "-p", "crops=1,2",
                "-p", "textTokens=8"));
    }

    @Test
    void folderErrorsAreOneProblemNamingTheFile() throws Exception {
        Path file = dirs.get("llama").resolve("model.safetensors");
        assertOneProblem("SeqLenScaling: " + file + ": not a directory", "SeqLenScaling", "-p", "model=" + file);
        Path none = root.resolve("nowhere");
        assertOneProblem("BatchSize: " + none + ": no such directory", "BatchSize", "-p", "model=" + none);
        assertOneProblem("ModelSize: " + none + ": no such directory", "ModelSize", "-p", "size=" + none);
        Path gpt2 = copy("llama");
        Files.writeString(gpt2.resolve("config.json"), "{\"model_type\": \"gpt2\"}");
        assertOneProblem("BlocksMask: " + gpt2.resolve("config.json") + ": model_type 'gpt2' is not supported; supported: llama,"
                + " mistral, qwen2, olmoe, mixtral, qwen2_moe", "BlocksMask", "-p", "model=" + gpt2);
        Path empty = root.resolve("empty");
        Files.createDirectories(empty);
        assertOneProblem("WarmupComparison: " + empty + ": no config.json", "WarmupComparison", "-p", "model=" + empty);
    }

    @Test
    void fileErrorsNameTheFileAndTheTensor() throws Exception {
        Path truncated = copy("mixtral");
        Path f = truncated.resolve("model.safetensors");
        byte[] b = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(b, b.length - 1));
        assertOneProblem("MoeTopK: " + f + ": truncated: tensor '", "MoeTopK", "-p", "model=" + truncated, "-p", "topK=1,2");

        Path longHeader = copy("llama");
        Path g = longHeader.resolve("model.safetensors");
        byte[] c = Files.readAllBytes(g);
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        Files.write(g, c);
        assertOneProblem("OutputTokens: " + g + ": header length 1099511627776 is beyond the file", "OutputTokens", "-p",
                "model=" + longHeader);

        Path f64 = copy("qwen2");
        Path h = f64.resolve("model.safetensors");
        String text = new String(Files.readAllBytes(h), StandardCharsets.ISO_8859_1);
        Files.write(h, text.replaceFirst("\"BF16\"", "\"I16\" ").getBytes(StandardCharsets.ISO_8859_1)); // same header length
        assertOneProblem("SeqLenScaling: " + h + ": tensor '", "SeqLenScaling", "-p", "model=" + f64);
        assertTrue(problems("SeqLenScaling", "-p", "model=" + f64).get(0).contains("has dtype I16, which is not supported;"
                + " supported: F32, BF16, F16"));
    }

    @Test
    void tensorErrorsNameTheTensor() throws Exception {
        Path layers = copy("llama");
        Path cfg = layers.resolve("config.json");
        Files.writeString(cfg, Files.readString(cfg).replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3"));
        assertOneProblem("BatchSize: " + layers + ": 9 tensor(s) that model_type llama with this config.json needs are missing"
                + " from model.safetensors: model.layers.2.input_layernorm.weight", "BatchSize", "-p", "model=" + layers);
        Path width = copy("qwen2_moe");
        Path cfg2 = width.resolve("config.json");
        Files.writeString(cfg2, Files.readString(cfg2).replace("\"moe_intermediate_size\": 16", "\"moe_intermediate_size\": 8"));
        assertOneProblem("MoeTopK: " + width.resolve("model-00001-of-00002.safetensors") + ": tensor"
                + " 'model.layers.0.mlp.experts.0.gate_proj.weight' has shape [16, 32] but qwen2_moe with this config.json needs"
                + " [8, 32]", "MoeTopK", "-p", "model=" + width, "-p", "topK=1");
        Path extra = copy("qwen2"); // Qwen2 weights called Mistral, which has no q/k/v biases
        Path cfg3 = extra.resolve("config.json");
        Files.writeString(cfg3, Files.readString(cfg3).replace("\"model_type\": \"qwen2\"", "\"model_type\": \"mistral\""));
        assertOneProblem("SeqLenScaling: " + extra.resolve("model.safetensors") + ": unexpected tensor 'model.layers.0.self_attn.",
                "SeqLenScaling", "-p", "model=" + extra, "-p", "seqLen=8");
    }

    @Test
    void knobsAreCheckedAgainstTheCheckpointsConfig() throws Exception {
        String llama = dirs.get("llama").toString();
        String mixtral = dirs.get("mixtral").toString();
        assertOneProblem("MoeTopK: model '" + llama + "' is dense (no experts); allowed: an MoE preset: ", "MoeTopK", "-p",
                "model=" + llama);
        List<String> p = problems("MoeTopK", "-p", "model=" + mixtral, "-p", "topK=1,8,16", "-p", "promptLen=8");
        assertEquals(List.of("MoeTopK: topK=8 is not allowed for model '" + mixtral + "': must be in 1..4 (the number of experts)",
                "MoeTopK: topK=16 is not allowed for model '" + mixtral + "': must be in 1..4 (the number of experts)"), p);
        assertOneProblem("SeqLenScaling: seqLen=65 is not allowed for model '" + llama + "': must be in 1..64", "SeqLenScaling",
                "-p", "model=" + llama, "-p", "seqLen=65");
        assertOneProblem("ModelSize: precision int8 is supported for dense models only; '" + mixtral + "'", "ModelSize",
                "-p", "size=" + mixtral, "-p", "precision=int8", "-p", "pass=forward");
        assertOneProblem("BlocksMask: model '" + llama + "' with batch=1 promptLen=8 needs about", "BlocksMask", "-p",
                "model=" + llama, "-p", "promptLen=8", "-p", "activeBlocks=1", "-jvmArgsAppend", "-Dknobs.memory.limit=1k");
    }

    @Test
    void theLauncherPrintsOneLineAndExitsTwo() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path none = root.resolve("nowhere");
        int status = Main.run(new String[] {"SeqLenScaling", "-p", "model=" + none}, new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, status, text);
        List<String> lines = new ArrayList<>(text.lines().toList());
        assertEquals(1, lines.size(), text);
        assertTrue(lines.get(0).startsWith("knobs: SeqLenScaling: " + none + ": no such directory"), text);
    }
}
