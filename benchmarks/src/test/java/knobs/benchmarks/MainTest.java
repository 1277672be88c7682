package knobs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * benchmarks.jar's main, in this JVM and without forks: the contention profiler is on by default,
 * once, and every other argument passes through; the pre-fork check names every bad configuration
 * in one line (the same cases through the shaded jar: {@link BenchmarksJarTest}).
 */
class MainTest {
    private static final String PROF = "knobs.harness.ContentionProfiler";

    @Test
    void addsTheProfilerFirstByDefault() {
        assertEquals(List.of("-prof", PROF, "MoeTopK", "-p", "topK=1,8", "-rf", "json"),
                Main.arguments(new String[]{"MoeTopK", "-p", "topK=1,8", "-rf", "json"}, null));
        assertEquals(List.of("-prof", PROF), Main.arguments(new String[0], "on"));
        assertEquals(List.of("-prof", PROF, "-f", "1", "--", "-weird-pattern"),
                Main.arguments(new String[]{"-f", "1", "--", "-weird-pattern"}, null), "before --, so never taken for a pattern");
        assertEquals(List.of("-prof", PROF, "-prof", "gc", "-h"), Main.arguments(new String[]{"-prof", "gc", "-h"}, null));
    }

    @Test
    void offOrAlreadyNamedLeavesTheCommandLineAlone() {
        String[] argv = {"MoeTopK", "-prof", "knobs.harness.NoiseProfiler"};
        assertEquals(List.of(argv), Main.arguments(argv, "off"));
        String[] named = {"MoeTopK", "-prof", PROF + ":root=/tmp/proc"};
        assertEquals(List.of(named), Main.arguments(named, null), "named with options: not added twice");
        String[] eq = {"-prof=" + PROF};
        assertEquals(List.of(eq), Main.arguments(eq, null));
        String[] explicitWhileOff = {"-prof", PROF};
        assertEquals(List.of(explicitWhileOff), Main.arguments(explicitWhileOff, "off"), "an explicit -prof wins over the default");
        String[] afterDashes = {"--", "-prof", PROF};
        assertEquals("-prof", Main.arguments(afterDashes, null).get(0), "after -- it is a pattern, not a profiler");
    }

    @Test
    void aBadSwitchNamesItselfAndTheAllowedValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Main.arguments(new String[]{"X"}, "maybe"));
        assertTrue(e.getMessage().contains("-Dknobs.contention=maybe") && e.getMessage().contains("allowed: on")
                && e.getMessage().contains("off"), e.getMessage());
    }
    /** The pre-fork check's problems for a command line, as {@link Main#run} finds them. */
    private static List<String> problems(String... argv) throws Exception {
        CommandLineOptions o = new CommandLineOptions(argv);
        return PreForkCheck.problems(o, Main.paramNames(List.of(argv)), BenchmarkList.defaultList());
    }

    @Test
    void everyBadKnobValueIsOneProblemNamingItBeforeAnyFork() throws Exception {
        Map<String, String> cases = Map.ofEntries(
                Map.entry("MoeTopK -p topK=0", "MoeTopK: topK=0 is not allowed for model 'moe-cpu': must be in 1..64"),
                Map.entry("MoeTopK -p topK=65", "MoeTopK: topK=65 is not allowed for model 'moe-cpu': must be in 1..64"),
                Map.entry("MoeTopK -p topK=abc", "MoeTopK: topK=abc is not an integer"),
                Map.entry("MoeTopK -p model=nosuch", "MoeTopK: unknown model preset 'nosuch'; known presets: tiny, decode-tiny"),
                Map.entry("MoeTopK -p model=dense-cpu", "MoeTopK: model 'dense-cpu' is dense (no experts); allowed: an MoE preset"),
                Map.entry("MoeTopK -p phase=sideways", "MoeTopK: unknown phase 'sideways'; allowed: prefill, decode"),
                Map.entry("MoeTopK -p routing=weird", "MoeTopK: unknown routing 'weird'; allowed: router, balanced, skewed"),
                Map.entry("MoeTopK -p device=cuda", "MoeTopK: device 'cuda' requested but no CUDA device is available"),
                Map.entry("MoeTopK -p device=tpu", "MoeTopK: unknown device 'tpu'; allowed: cpu, cuda, cuda:N, auto"),
                Map.entry("BlocksMask -p activeBlocks=99", "BlocksMask: activeBlocks=99 is not allowed for model 'dense-cpu': must be in 1..8"),
                Map.entry("ModelSize -p size=2.7B -p pass=train_step -jvmArgsAppend -Dknobs.memory.limit=8g",
                        "ModelSize: size=2.7B pass=train_step precision=fp32 batchSize=4 contextLength=128 needs about 60.54 GB"),
                Map.entry("MoeTopK -p pass=forward_backward", "MoeTopK: pass=forward_backward is not allowed with phase=decode:"
                        + " a backward runs on a whole sequence, never on a KV-cache decode step; allowed: phase=prefill with"
                        + " pass=forward, forward_backward or train_step, or phase=decode with pass=forward"),
                Map.entry("BatchSize -p pass=train_step -p phase=decode", "BatchSize: pass=train_step is not allowed with phase=decode"),
                Map.entry("ModelSize -p size=tiny -p precision=int8 -p pass=train_step", "ModelSize: precision int8 is forward-only: pass 'train_step'"),
                Map.entry("SeqLenScaling -p pass=backward", "SeqLenScaling: unknown pass 'backward'; allowed: forward, forward_backward, train_step"),
                Map.entry("ContextScaling -p pass=train -p crops=1", "ContextScaling: unknown pass 'train'; allowed: forward, forward_backward, train_step"),
                Map.entry("ModelSize -p precision=int4", "ModelSize: unknown precision 'int4'; allowed: fp32, bf16, fp16, int8"),
                Map.entry("ModelSize -p size=tiny-moe -p pass=forward -p precision=int8",
                        "ModelSize: precision int8 is supported for dense models only"),
                Map.entry("ContextScaling -p crops=500", "ContextScaling: crops=500 with vision preset 'vit-cpu'"),
                Map.entry("OutputTokens -p maxNewTokens=-1", "OutputTokens: maxNewTokens=-1 with promptLen=32 is not allowed"),
                Map.entry("SeqLenScaling -p seqLen=100000",
                        "SeqLenScaling: seqLen=100000 is not allowed for model 'dense-cpu': must be in 1..2048"),
                Map.entry("BatchSize -p batchSize=0", "BatchSize: batchSize=0 is not allowed: must be >= 1"),
                Map.entry("WarmupComparison -p warmupSteps=-1", "WarmupComparison: warmupSteps=-1 is not allowed: must be >= 0"),
                Map.entry("MoeDispatch -p tokens=0", "MoeDispatch: tokens=0 is not allowed: must be >= 1"),
                Map.entry("Calibration -p gemmSize=0", "Calibration: gemmSize=0, copyMiB=64: both must be >= 1"),
                Map.entry("Calibration.read -p readMiB=0", "Calibration: readMiB=0 is not allowed: must be >= 1"),
                Map.entry("MoeTopK -p topk=1", "-p topk: no selected benchmark has this parameter; they have: batch, blasThreads, device, intraOpThreads, model"),
                Map.entry("SeqLenScaling -p blasThreads=half", "SeqLenScaling: blasThreads=half is not allowed; allowed: auto, all or a whole number 1.."),
                Map.entry("Calibration -p intraOpThreads=-2", "Calibration: intraOpThreads=-2 is out of range; allowed: auto, all or 1.."),
                Map.entry("NoSuchBenchmark", "no benchmark matches NoSuchBenchmark (list them with -l)"));
        for (Map.Entry<String, String> c : cases.entrySet()) {
            List<String> p = problems(c.getKey().split(" "));
            assertEquals(1, p.size(), c.getKey() + ": one problem, however many configurations share it: " + p);
            assertTrue(p.get(0).startsWith(c.getValue()), c.getKey() + " -> " + p.get(0));
        }
    }

    @Test
    void theDefaultsAndGoodValuesPass() throws Exception {
        assertEquals(List.of(), problems(), "every benchmark's defaults, as a bare run would use them");
        assertEquals(List.of(), problems("MoeTopK", "-p", "topK=1,8", "-p", "model=moe-cpu,tiny-moe",
                "-p", "promptLen=64", "-p", "routing=skewed"));
        assertEquals(List.of(), problems("ModelSize", "-p", "size=2.7B", "-p", "pass=forward", "-p", "batchSize=1",
                "-jvmArgsAppend", "-Dknobs.memory.limit=64g"), "the fork's memory limit is the one checked");
        for (String knob : new String[] {"MoeTopK", "BlocksMask", "BatchSize", "WarmupComparison"}) {
            assertEquals(List.of(), problems(knob, "-p", "phase=prefill", "-p", "pass=forward,forward_backward,train_step"), knob);
        }
        assertEquals(List.of(), problems("SeqLenScaling", "-p", "pass=forward,forward_backward,train_step"));
        assertEquals(List.of(), problems("ContextScaling", "-p", "pass=forward,forward_backward,train_step"));
    }

    @Test
    void eachBadValueOfASweepIsNamedOnce() throws Exception {
        assertEquals(List.of("MoeTopK: topK=0 is not allowed for model 'moe-cpu': must be in 1..64 (the number of experts)",
                        "MoeTopK: topK=65 is not allowed for model 'moe-cpu': must be in 1..64 (the number of experts)"),
                problems("MoeTopK", "-p", "topK=0,8,65"));
    }

    @Test
    void paramNamesAreReadInEveryFormJmhAccepts() {
        assertEquals(List.of("topK", "phase", "model"), Main.paramNames(List.of("-p", "topK=1,2", "-pphase=decode", "--p", "model=x",
                "-prof", "gc", "--", "-p", "pattern=y")));
    }

    @Test
    void aForksExceptionIsShownAsItsMessage() {
        assertEquals("topK=0 is not allowed", LaunchOutput.describe("java.lang.IllegalArgumentException: topK=0 is not allowed"));
        assertEquals("OutOfMemoryError: Physical memory usage is too high",
                LaunchOutput.describe("java.lang.OutOfMemoryError: Physical memory usage is too high"));
        assertEquals("Forked VM failed with exit code 1", LaunchOutput.describe("Forked VM failed with exit code 1"));
        assertEquals("MoeTopK.forward", LaunchOutput.shortName("knobs.benchmarks.MoeTopK.forward"));
    }

    @Test
    void aBadCommandLineIsOneLineAndStatusTwo() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(new String[]{"-notAnOption"}, new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, status);
        String text = err.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("knobs: invalid command line: ") && text.lines().count() == 1, text);
    }
    @Test
    void aForksTraceIsCutToItsExceptionLinesAndRememberedAsOneLine() {
        ByteArrayOutputStream shown = new ByteArrayOutputStream();
        LaunchOutput out = new LaunchOutput(OutputFormatFactory.createFormatInstance(
                new PrintStream(shown, true, StandardCharsets.UTF_8), VerboseMode.NORMAL), false, ".x.json.7.part", "x.json");
        out.println("<failure>");
        out.println("");
        out.println("java.lang.IllegalArgumentException: topK=0 is not allowed\n\tat knobs.kernels.ModelConfig.<init>(ModelConfig.java:35)\n"
                + "Caused by: java.lang.NumberFormatException: x\n\t... 12 more");
        out.println("Benchmark result is saved to .x.json.7.part");
        String text = shown.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("IllegalArgumentException: topK=0 is not allowed") && text.contains("Caused by: java.lang.NumberFormatException")
                && !text.contains("\tat ") && !text.contains("12 more") && text.contains("stack trace left out"), text);
        assertTrue(text.contains("saved to x.json") && !text.contains(".part"), "the temporary name is not shown: " + text);
        assertEquals(Map.of("(before any benchmark)", "topK=0 is not allowed"), out.failures());
    }
}
