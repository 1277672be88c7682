package knobs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * Bad routing traces and token files are found by the launcher's pre-fork check, with no native
 * code: one line each, exit status 2, before any fork or timing.
 */
class TraceAndTokensCheckTest {
    @TempDir
    Path dir;

    /** A trace of tiny-moe's shape (2 layers, 8 experts) with k=2, one sequence of {@code positions}. */
    private Path trace(String name, int layers, int experts, int k, int positions, int badId) throws IOException {
        StringBuilder sb = new StringBuilder("{\"schema\":\"knobs-routing-trace/1\",\"model\":\"tiny-moe\",\"layers\":" + layers
                + ",\"experts\":" + experts + ",\"k\":" + k + ",\"sequences\":1,\"positions\":" + positions + "}\n");
        for (int l = 0; l < layers; l++) {
            List<String> rows = new ArrayList<>();
            for (int p = 0; p < positions; p++) {
                List<String> row = new ArrayList<>();
                for (int j = 0; j < k; j++) {
                    row.add(Integer.toString(l == 0 && p == 0 && j == 0 && badId >= 0 ? badId : (p + j) % experts));
                }
                rows.add("[" + String.join(",", row) + "]");
            }
            sb.append("{\"layer\":").append(l).append(",\"experts\":[").append(String.join(",", rows)).append("]}\n");
        }
        Path f = dir.resolve(name);
        Files.writeString(f, sb);
        return f;
    }

    private static List<String> problems(String... argv) throws Exception {
        CommandLineOptions o = new CommandLineOptions(argv);
        return PreForkCheck.problems(o, Main.paramNames(List.of(argv)), BenchmarkList.defaultList());
    }

    @Test
    void everyBadTraceIsOneProblemBeforeAnyFork() throws Exception {
        Path good = trace("good.jsonl", 2, 8, 2, 16, -1);
        String tiny = "-p model=tiny-moe -p topK=2 -p promptLen=16 -p phase=prefill -p routing=trace:";
        Map<String, String> cases = Map.of(
                tiny + trace("layers.jsonl", 3, 8, 2, 16, -1),
                "MoeTopK: routing=trace:" + dir.resolve("layers.jsonl") + ": the trace has 3 MoE layers; model 'tiny-moe' has 2",
                tiny + trace("id.jsonl", 2, 8, 2, 16, 8),
                "MoeTopK: routing=trace:" + dir.resolve("id.jsonl") + ": layer 0, sequence 0, position 0: expert id 8 is not allowed: must be in 0..7",
                tiny + trace("experts.jsonl", 2, 16, 2, 16, -1),
                "MoeTopK: routing=trace:" + dir.resolve("experts.jsonl") + ": the trace routes over 16 experts; model 'tiny-moe' has 8",
                tiny + good + " -p phase=decode",
                "MoeTopK: routing=trace:" + good + ": the step needs 17 positions per sequence; the trace has 16 (too few tokens",
                tiny + good + " -p batch=2",
                "MoeTopK: routing=trace:" + good + ": batch=2 needs 2 recorded sequences; the trace has 1",
                tiny.replace("topK=2", "topK=3") + good,
                "MoeTopK: routing=trace:" + good + ": topK=3 is above the trace's k=2",
                tiny + dir.resolve("none.jsonl"),
                "MoeTopK: routing=trace:" + dir.resolve("none.jsonl") + ": no such file",
                "MoeDispatch -p routing=trace:" + good,
                "MoeDispatch: routing=trace:" + good + " is not allowed here");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            String[] argv = ("MoeTopK " + c.getKey()).replace("MoeTopK MoeDispatch", "MoeDispatch").split(" ");
            List<String> p = problems(argv);
            assertEquals(1, p.size(), c.getKey() + ": " + p);
            assertTrue(p.get(0).startsWith(c.getValue()), c.getKey() + " -> " + p.get(0));
        }
        assertEquals(List.of(), problems(("MoeTopK " + tiny + good + " -p topK=1,2").split(" ")));
    }

    @Test
    void everyBadTokenFileIsOneProblemBeforeAnyFork() throws Exception {
        Path prompts = dir.resolve("prompts.txt");
        Files.writeString(prompts, "1 2 3 4 5 6 7 8\n9 10 11 12 13 14 15 9000\n");
        Map<String, String> cases = Map.of(
                "BlocksMask -p model=tiny -p activeBlocks=1 -p phase=prefill -p promptLen=8 -p tokens=" + prompts,
                "BlocksMask: tokens=" + prompts + ": sequence 1 (line 2): token id 9000 is not allowed for model 'tiny': ids must be in 0..255",
                "MoeTopK -p promptLen=8 -p phase=decode -p tokens=" + prompts,
                "MoeTopK: tokens=" + prompts + ": sequence 0 (line 1) holds 8 ids; promptLen=8 with phase=decode (the prompt, then"
                        + " the decoded token) needs 9 (too few tokens)",
                "SeqLenScaling -p seqLen=8 -p batch=3 -p tokens=" + prompts,
                "SeqLenScaling: tokens=" + prompts + ": holds 2 sequences; batch=3 needs 3",
                "ModelSize -p size=tiny -p pass=forward_backward -p batchSize=2 -p contextLength=8 -p tokens=" + prompts,
                "ModelSize: tokens=" + prompts + ": sequence 0 (line 1) holds 8 ids; contextLength=8 with pass=forward_backward",
                "OutputTokens -p promptLen=8 -p tokens=" + dir.resolve("none.txt"),
                "OutputTokens: tokens=" + dir.resolve("none.txt") + ": no such file; allowed: random or a file of token ids");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            List<String> p = problems(c.getKey().split(" "));
            assertEquals(1, p.size(), c.getKey() + ": " + p);
            assertTrue(p.get(0).startsWith(c.getValue()), c.getKey() + " -> " + p.get(0));
        }
    }

    @Test
    void theLauncherPrintsOneLineAndExitsTwo() throws Exception {
        Path short1 = dir.resolve("short.txt");
        Files.writeString(short1, "1 2 3\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"MoeTopK", "-p", "model=tiny-moe", "-p", "topK=2", "-p", "phase=prefill",
                "-p", "promptLen=8", "-p", "tokens=" + short1},
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, status);
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, text.lines().count(), text);
        assertTrue(text.startsWith("knobs: MoeTopK: tokens=" + short1 + ": the sequence (line 1) holds 3 ids; promptLen=8 needs 8"), text);
    }
}
