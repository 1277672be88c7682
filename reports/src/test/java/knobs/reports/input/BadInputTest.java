package knobs.reports.input;

import knobs.reports.fixtures.Cli;
import knobs.reports.fixtures.JmhFixture;
import knobs.reports.fixtures.OutputFolder;
import knobs.reports.format.Json;
import knobs.reports.summary.NoiseMetrics;

import com.fasterxml.jackson.databind.node.ArrayNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static knobs.reports.fixtures.JmhFixture.file;
import static knobs.reports.fixtures.JmhFixture.run;
import static knobs.reports.fixtures.JmhFixture.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Every kind of bad input: exit status 2, one message naming the file and the problem, and the
 * output folder untouched (a pre-existing one keeps its content, a new one is not created).
 */
class BadInputTest {

    @TempDir
    Path root;

    private static final double[][] TEN_MS = {{10, 10, 10}};

    /**
     * @param setup    writes the inputs into the case's folder
     * @param args     arguments after {@code summarize}, without {@code --out}
     * @param expected substrings the message must contain (file name and problem)
     * @param usage    whether the usage text follows the message
     */
    private record Case(String name, Consumer<Path> setup, List<String> args, List<String> expected, boolean usage) {
    }

    private static Case bad(String name, Consumer<Path> setup, List<String> args, String... expected) {
        return new Case(name, setup, args, List.of(expected), false);
    }

    private static void good(Path dir, String name) {
        write(dir.resolve(name), file(run("p.A.b", "avgt", "ms/op").primary(TEN_MS)));
    }

    private static Stream<Case> cases() {
        return Stream.of(
                bad("missing file", d -> { }, List.of("nope.json"), "nope.json: no such file"),
                bad("folder that is not a sweep", d -> good(d, "runs/a.json"), List.of("runs"),
                        "runs: a folder but not a sweep folder (no results/ in it)"),
                bad("sweep without results", d -> d.resolve("sw/results").toFile().mkdirs(), List.of("sw"),
                        "sw: a sweep folder with no results yet: no *.json in its results/"),
                bad("empty file", d -> write(d.resolve("a.json"), ""), List.of("a.json"), "a.json: file is empty"),
                bad("truncated JSON", d -> write(d.resolve("a.json"), "[{\"benchmark\": \"p.A.b\", \"primaryMetric\": {"),
                        List.of("a.json"), "a.json: not valid JSON", "end-of-input"),
                bad("not an array", d -> write(d.resolve("a.json"), "{\"benchmark\": \"p.A.b\"}"),
                        List.of("a.json"), "a.json: not JMH JSON output", "expected an array", "found an object"),
                bad("empty array", d -> write(d.resolve("a.json"), "[]"), List.of("a.json"),
                        "a.json: not JMH JSON output", "empty"),
                bad("no benchmark field", d -> write(d.resolve("a.json"), "[{\"primaryMetric\": {}}]"),
                        List.of("a.json"), "a.json: element 0 is not a JMH benchmark result", "'benchmark'"),
                bad("NaN score", d -> write(d.resolve("a.json"), file(run("p.A.b", "avgt", "ms/op").primary(TEN_MS)
                                .primaryField("score", Json.NODES.textNode("NaN")))),
                        List.of("a.json"), "a.json: A.b (avgt): primaryMetric.score is \"NaN\""),
                bad("NaN raw value", d -> write(d.resolve("a.json"), file(run("p.A.b", "avgt", "ms/op").params("k", "1")
                                .primaryField("rawData", rawData("NaN")))),
                        List.of("a.json"), "a.json: A.b {k=1} (avgt): primaryMetric.rawData[0][1] is \"NaN\", expected a number"),
                bad("non-numeric raw value", d -> write(d.resolve("a.json"), file(run("p.A.b", "avgt", "ms/op")
                                .primaryField("rawData", rawData("fast")))),
                        List.of("a.json"), "a.json: A.b (avgt): primaryMetric.rawData[0][1] is \"fast\""),
                bad("no raw data", d -> write(d.resolve("a.json"), file(run("p.A.b", "avgt", "ms/op").primary(new double[0][]))),
                        List.of("a.json"), "a.json: A.b (avgt): primaryMetric has no raw data"),
                bad("mixed JMH versions", d -> {
                    good(d, "a.json");
                    write(d.resolve("b.json"), file(run("p.C.d", "avgt", "ms/op").jmhVersion("1.36").primary(TEN_MS)));
                }, List.of("a.json", "b.json"), "mixed JMH versions", "a.json: 1.37", "b.json: 1.36"),
                bad("duplicate across files", d -> {
                    good(d, "a.json");
                    good(d, "b.json");
                }, List.of("a.json", "b.json"), "A.b (avgt) appears in both a.json and b.json"),
                bad("duplicate within a file", d -> write(d.resolve("a.json"), file(
                                run("p.A.b", "avgt", "ms/op").primary(TEN_MS), run("q.A.b", "avgt", "ms/op").primary(TEN_MS))),
                        List.of("a.json"), "a.json: A.b (avgt) appears twice (as p.A.b and q.A.b)"),
                bad("unknown unit", d -> write(d.resolve("a.json"), file(run("p.A.b", "avgt", "B/op").primary(TEN_MS))),
                        List.of("a.json"), "a.json: A.b (avgt): unknown unit 'B/op'", "allowed: s/op, ms/op, us/op, ns/op, ops/s"),
                bad("flops without ops", d -> write(d.resolve("a.json"), file(run("p.A.b", "avgt", "ms/op").primary(TEN_MS)
                                .counter("flops", TEN_MS))),
                        List.of("a.json"), "a.json: A.b (avgt): counter 'flops' has no 'ops' counter"),
                bad("NaN counter", d -> write(d.resolve("a.json"), file(run("p.A.b", "avgt", "ms/op").primary(TEN_MS)
                                .counter("ops", TEN_MS).metricRaw("flops", "#", rawData("NaN")))),
                        List.of("a.json"), "a.json: A.b (avgt): counter 'flops' has NaN or infinite values"),
                bad("zero ops", d -> write(d.resolve("a.json"), file(run("p.A.b", "avgt", "ms/op").primary(TEN_MS)
                                .counter("ops", new double[][] {{1, 0, 1}}))),
                        List.of("a.json"), "a.json: A.b (avgt): counter 'ops' is 0.0"),
                bad("calibration without flops", d -> write(d.resolve("a.json"), file(
                                run("k.Calibration.gemm", "avgt", "ms/op").primary(TEN_MS))),
                        List.of("a.json"), "a.json: Calibration.gemm (avgt): calibration needs the aux counters 'flops' and 'ops'"),
                bad("sidecar not JSON", d -> {
                    good(d, "a.json");
                    write(d.resolve("knobs-env/env-1.json"), "{\"schema\": \"knobs-env/1\",");
                }, List.of("a.json"), "knobs-env/env-1.json: not valid JSON"),
                bad("sidecar without schema", d -> {
                    good(d, "a.json");
                    write(d.resolve("knobs-env/env-1.json"), "{\"device\": \"cpu\"}");
                }, List.of("a.json"), "knobs-env/env-1.json: not an environment sidecar: 'schema' is missing, expected \"knobs-env/1\""),
                bad("sidecar with other schema", d -> {
                    good(d, "a.json");
                    write(d.resolve("s.json"), "{\"schema\": \"knobs-env/2\"}");
                }, List.of("a.json", "--env", "s.json"), "s.json: not an environment sidecar: 'schema' is \"knobs-env/2\""),
                bad("env path missing", d -> good(d, "a.json"), List.of("a.json", "--env", "gone"), "--env gone: no such file or folder"),
                bad("ceilings not positive", d -> {
                    good(d, "a.json");
                    write(d.resolve("c.json"), "{\"flops_per_s\": -1}");
                }, List.of("a.json", "--ceilings", "c.json"), "c.json: 'flops_per_s' is -1, expected a positive number"),
                bad("knob param not a number", d -> write(d.resolve("a.json"), file(JmhFixture.exact("SeqLenScaling.prefill", 5,
                                JmhFixture.perOp(), "seqLen", "long"))),
                        List.of("a.json"), "a.json: SeqLenScaling.prefill {seqLen=long} (avgt): param 'seqLen' is 'long';"
                                + " SeqLenScaling's knob must be a positive number"),
                bad("knob param zero", d -> write(d.resolve("a.json"), file(JmhFixture.exact("MoeTopK.forward", 5,
                                JmhFixture.perOp(), "topK", "0"))),
                        List.of("a.json"), "a.json: MoeTopK.forward {topK=0} (avgt): param 'topK' is '0'"),
                bad("unknown pass", d -> write(d.resolve("a.json"), file(JmhFixture.exact("ModelSize.step", 5,
                                JmhFixture.perOp(), "size", "small", "pass", "backward"))),
                        List.of("a.json"), "param 'pass' is 'backward'; allowed: forward, forward_backward, train_step"),
                bad("routing imbalance below one", d -> write(d.resolve("a.json"), file(JmhFixture.exact("MoeTopK.forward", 5,
                                JmhFixture.perOp("routingImbalance", 0.5), "topK", "2"))),
                        List.of("a.json"), "a.json: MoeTopK.forward {topK=2} (avgt): counter 'routingImbalance' is 0.5 per op;"
                                + " it is the busiest expert's load over the mean load, at least 1"),
                bad("negative component time", d -> write(d.resolve("a.json"), file(JmhFixture.exact("OutputTokens.generate", 5,
                                JmhFixture.perOp("decodeNs", -5), "maxNewTokens", "2"))),
                        List.of("a.json"), "counter 'decodeNs' is -5.0 per op; expected 0 or more"),
                bad("negative profiler component time", d -> write(d.resolve("a.json"), file(JmhFixture.exact("MoeTopK.forward", 5,
                                JmhFixture.perOp("flops", 1e9), "topK", "2").metric("component.moe.experts", "ns/op",
                                new double[][] {{-2e6, -2e6, -2e6}}))),
                        List.of("a.json"), "counter 'component.moe.experts' is -2000000.0 per op; expected 0 or more"),
                bad("warmupSteps not a whole number", d -> write(d.resolve("a.json"), file(JmhFixture.exact("WarmupComparison.step", 5,
                                JmhFixture.perOp("flops", 1e9), "warmupSteps", "1.5"))),
                        List.of("a.json"), "a.json: WarmupComparison.step {warmupSteps=1.5} (avgt): param 'warmupSteps' is '1.5';"
                                + " expected a whole number of untimed steps, 0 or more"),
                bad("experts param not an integer", d -> write(d.resolve("a.json"), file(JmhFixture.exact("MoeTopK.forward", 5,
                                JmhFixture.perOp("routingImbalance", 2), "topK", "2", "experts", "many"))),
                        List.of("a.json"), "param 'experts' is 'many'; expected a positive integer"),
                bad("failed folder missing", d -> good(d, "a.json"), List.of("a.json", "--failed", "failed"),
                        "--failed failed: no such folder"),
                bad("failed path is a file", d -> {
                    good(d, "a.json");
                    write(d.resolve("failed"), "x");
                }, List.of("a.json", "--failed", "failed"), "--failed failed: not a folder"),
                bad("failure record without reason", d -> {
                    good(d, "a.json");
                    write(d.resolve("failed/ab.json"), "{\"id\": \"ab\", \"benchmark\": \"p.A.b\", \"params\": {}}");
                }, List.of("a.json", "--failed", "failed"),
                        "failed/ab.json: not a failure record of the sweep runner: 'reason' is missing, expected a string"),
                bad("failure record benchmark not a method", d -> {
                    good(d, "a.json");
                    write(d.resolve("failed/ab.json"), "{\"benchmark\": \"MoeTopK\", \"params\": {}, \"reason\": \"x\"}");
                }, List.of("a.json", "--failed", "failed"), "failed/ab.json: not a failure record of the sweep runner:"
                        + " 'benchmark' is 'MoeTopK', expected package.Class.method"),
                bad("failure record param not a value", d -> {
                    good(d, "a.json");
                    write(d.resolve("failed/ab.json"), "{\"benchmark\": \"p.A.b\", \"params\": {\"k\": [1]}, \"reason\": \"x\"}");
                }, List.of("a.json", "--failed", "failed"), "failed/ab.json: not a failure record of the sweep runner:"
                        + " param 'k' is [1], expected a number or a string"),
                bad("failure record not JSON", d -> {
                    good(d, "a.json");
                    write(d.resolve("failed/ab.json"), "{\"benchmark\": ");
                }, List.of("a.json", "--failed", "failed"), "failed/ab.json: not valid JSON"),
                bad("negative GC time", d -> write(d.resolve("a.json"), file(run("p.A.b", "avgt", "ms/op").primary(TEN_MS)
                                .metric(NoiseMetrics.GC_MS, "ms", new double[][] {{0, -3, 0}}))),
                        List.of("a.json"), "a.json: A.b (avgt): metric 'noise.gcMs' is -3.0 in fork 0, iteration 1; expected 0 or more"),
                new Case("no-plots twice", d -> good(d, "a.json"), List.of("a.json", "--no-plots", "--no-plots"),
                        List.of("summarize: option --no-plots given twice"), true),
                new Case("unknown option", d -> good(d, "a.json"), List.of("a.json", "--bogus", "x"),
                        List.of("summarize: unknown option '--bogus'"), true),
                new Case("no input files", d -> { }, List.of(), List.of("summarize: INPUT is required"), true),
                new Case("option without value", d -> good(d, "a.json"), List.of("a.json", "--env"),
                        List.of("summarize: option --env needs a value"), true));
    }

    private static ArrayNode rawData(String bad) {
        ArrayNode forks = Json.NODES.arrayNode();
        forks.addArray().add(10.0).add(bad).add(10.0);
        return forks;
    }

    @TestFactory
    Stream<DynamicTest> badInputExitsTwoWithOneMessageAndWritesNothing() {
        return cases().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            Path dir = Files.createDirectories(root.resolve(c.name().replace(' ', '-')));
            c.setup().accept(dir);
            // A pre-existing output folder keeps its content...
            write(dir.resolve("existing/summary.json"), "old\n");
            Cli cli = summarize(dir, c.args(), "existing");
            cli.assertBadInput(c.expected(), c.usage());
            assertEquals(List.of("summary.json"), OutputFolder.listing(dir.resolve("existing")));
            assertEquals("old\n", Files.readString(dir.resolve("existing/summary.json")));
            // ...and a new one is not even created.
            assertEquals(2, summarize(dir, c.args(), "fresh").exit());
            assertFalse(Files.exists(dir.resolve("fresh")));
        }));
    }

    private static Cli summarize(Path dir, List<String> args, String out) throws IOException {
        List<String> all = new ArrayList<>(List.of("summarize"));
        all.addAll(args);
        all.addAll(List.of("--out", out));
        return Cli.run(dir, all.toArray(String[]::new));
    }
}
