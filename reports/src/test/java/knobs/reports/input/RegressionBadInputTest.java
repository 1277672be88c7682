package knobs.reports.input;

import knobs.reports.fixtures.Cli;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static knobs.reports.fixtures.JmhFixture.file;
import static knobs.reports.fixtures.JmhFixture.run;
import static knobs.reports.fixtures.JmhFixture.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input to {@code compare}, {@code export} and {@code history}: exit status 2, one message naming
 * the file or value and what is allowed, and nothing written ({@code out}, {@code store} and
 * {@code x.json} never appear).
 */
class RegressionBadInputTest {

    @TempDir
    Path root;

    private static final double[][] TEN_MS = {{10, 10.1, 9.9, 10, 10.05}};

    private record Case(String name, Consumer<Path> setup, List<String> args, List<String> expected, boolean usage) {
    }

    private static Case bad(String name, Consumer<Path> setup, List<String> args, String... expected) {
        return new Case(name, setup, args, List.of(expected), false);
    }

    private static Case usage(String name, Consumer<Path> setup, List<String> args, String... expected) {
        return new Case(name, setup, args, List.of(expected), true);
    }

    private static void good(Path dir, String name) {
        write(dir.resolve(name), file(run("p.A.b", "avgt", "ms/op").primary(TEN_MS)));
    }

    private static void summary(Path dir, String name) {
        good(dir, "g.json");
        Cli cli = Cli.run(dir, "summarize", "g.json", "--out", "rep", "--no-plots");
        assertEquals(0, cli.exit(), cli.err());
        try {
            Files.createDirectories(dir.resolve(name).getParent());
            Files.copy(dir.resolve("rep/summary.json"), dir.resolve(name));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void edit(Path file, String from, String to) {
        try {
            String text = Files.readString(file);
            assertTrue(text.contains(from), from + " not in " + file);
            Files.writeString(file, text.replaceFirst(java.util.regex.Pattern.quote(from), java.util.regex.Matcher.quoteReplacement(to)));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Stream<Case> cases() {
        return Stream.of(
                bad("baseline missing", d -> good(d, "a.json"), List.of("compare", "nope", "a.json", "--out", "out"),
                        "nope: no such file or folder"),
                bad("empty folder", d -> {
                    good(d, "a.json");
                    d.resolve("empty").toFile().mkdirs();
                }, List.of("compare", "a.json", "empty", "--out", "out"), "empty: folder holds no run"),
                bad("neither JMH nor summary", d -> {
                    good(d, "a.json");
                    write(d.resolve("f.json"), "{\"findings\": []}");
                }, List.of("compare", "a.json", "f.json", "--out", "out"),
                        "f.json: neither JMH JSON (an array of benchmark results, -rf json) nor a unified summary.json"),
                bad("summary sample not a number", d -> {
                    summary(d, "s/summary.json");
                    edit(d.resolve("s/summary.json"), "\"value\": 10.0", "\"value\": \"fast\"");
                }, List.of("compare", "s", "s/summary.json", "--out", "out"),
                        "s/summary.json: all_samples[0]: 'value' is \"fast\", expected a number"),
                bad("summary sample unit unknown", d -> {
                    summary(d, "s/summary.json");
                    // A sample's unit: the one followed by the sample's T_total_ms (a summary row's is followed by "mean").
                    edit(d.resolve("s/summary.json"), "\"unit\": \"ms/op\",\n      \"T_total_ms\"", "\"unit\": \"B/op\",\n      \"T_total_ms\"");
                }, List.of("compare", "s/summary.json", "s/summary.json", "--out", "out"),
                        "s/summary.json: all_samples[0]: unknown unit 'B/op'; allowed: s/op, ms/op"),
                bad("summary row without samples", d -> {
                    summary(d, "s/summary.json");
                    edit(d.resolve("s/summary.json"), "\"benchmark\": \"A.b\",\n      \"params\": { },\n      \"mode\": \"avgt\",\n      \"unit\"",
                            "\"benchmark\": \"A.c\",\n      \"params\": { },\n      \"mode\": \"avgt\",\n      \"unit\"");
                }, List.of("compare", "s/summary.json", "s/summary.json", "--out", "out"),
                        "s/summary.json: summary[0]: A.c (avgt) has no samples in all_samples"),
                bad("same configuration twice in a folder", d -> {
                    good(d, "dup/a.json");
                    good(d, "dup/b.json");
                }, List.of("compare", "dup", "dup", "--out", "out"), "A.b (avgt) appears in both dup/a.json and dup/b.json"),
                bad("corrupt failure record in a sweep", d -> {
                    good(d, "sw/results/1.json");
                    write(d.resolve("sw/failed/x.json"), "{\"benchmark\": \"p.A.b\", \"params\": {}}");
                }, List.of("compare", "sw", "sw", "--out", "out"),
                        "sw/failed/x.json: not a failure record of the sweep runner: 'reason' is missing, expected a string"),
                bad("zero time", d -> write(d.resolve("z.json"), file(run("p.A.b", "avgt", "ms/op")
                                .primary(new double[][] {{10, 0, 10}}))),
                        List.of("compare", "z.json", "z.json", "--out", "out"),
                        "z.json: A.b (avgt): sample 1 is 0.0 ms/op; a time per operation must be positive"),
                bad("normalize without calibration", d -> good(d, "a.json"),
                        List.of("compare", "a.json", "a.json", "--normalize", "ceilings", "--out", "out"),
                        "a.json: --normalize ceilings needs the baseline's own ceilings", "found none in a.json"),
                usage("one run", d -> good(d, "a.json"), List.of("compare", "a.json", "--out", "out"),
                        "compare: CURRENT is required"),
                usage("threshold not a number", d -> good(d, "a.json"),
                        List.of("compare", "a.json", "a.json", "--threshold", "ten", "--out", "out"),
                        "compare: --threshold 'ten' is not a number; allowed: a positive number"),
                usage("threshold negative", d -> good(d, "a.json"),
                        List.of("compare", "a.json", "a.json", "--threshold", "-0.1", "--out", "out"),
                        "compare: --threshold -0.1 is out of range; allowed: a positive number"),
                usage("threshold zero", d -> good(d, "a.json"),
                        List.of("compare", "a.json", "a.json", "--threshold", "0", "--out", "out"),
                        "compare: --threshold 0 is out of range; allowed: a positive number"),
                usage("alpha too large", d -> good(d, "a.json"),
                        List.of("compare", "a.json", "a.json", "--alpha", "0.7", "--out", "out"),
                        "compare: --alpha 0.7 is out of range; allowed: a number between 0 and 0.5"),
                usage("unknown normalization", d -> good(d, "a.json"),
                        List.of("compare", "a.json", "a.json", "--normalize", "cpu", "--out", "out"),
                        "compare: --normalize 'cpu' is unknown; allowed: ceilings"),
                usage("unknown option", d -> good(d, "a.json"), List.of("compare", "a.json", "a.json", "--thresh", "1"),
                        "compare: unknown option '--thresh'"),
                usage("export without format", d -> good(d, "a.json"), List.of("export", "a.json", "--out", "x.json"),
                        "export: --format FORMAT is required"),
                usage("export unknown format", d -> good(d, "a.json"),
                        List.of("export", "a.json", "--format", "csv", "--out", "x.json"),
                        "export: --format 'csv' is unknown; allowed: github-action-benchmark, github-action-benchmark-bigger, bencher"),
                bad("export into a folder", d -> {
                    good(d, "a.json");
                    d.resolve("folder").toFile().mkdirs();
                }, List.of("export", "a.json", "--format", "bencher", "--out", "folder"), "--out folder: is a folder"),
                usage("history without subcommand", d -> { }, List.of("history"), "history: expected 'add' or 'show'"),
                usage("history unknown subcommand", d -> { }, List.of("history", "list"),
                        "history: expected 'add' or 'show', got 'list'"),
                usage("history add without store", d -> good(d, "a.json"), List.of("history", "add", "a.json"),
                        "history add: --store DIR is required"),
                bad("history add bad date", d -> good(d, "a.json"),
                        List.of("history", "add", "a.json", "--store", "store", "--commit", "abc", "--date", "yesterday"),
                        "history add: --date 'yesterday' is not an ISO-8601 date-time"),
                bad("history add bad commit", d -> good(d, "a.json"),
                        List.of("history", "add", "a.json", "--store", "store", "--commit", "a b", "--date", "2026-01-01T00:00:00Z"),
                        "history add: commit 'a b' (from --commit) is not a commit id"),
                bad("history show missing store", d -> { }, List.of("history", "show", "--store", "store", "--out", "out"),
                        "--store store: no such folder"),
                bad("history show only damaged entries", d -> write(d.resolve("store/0123456789abcdef.json"), "{\"schema\": 1}"),
                        List.of("history", "show", "--store", "store", "--out", "out"),
                        "--store store: holds no valid history entry (1 damaged: store/0123456789abcdef.json: not a history entry"),
                usage("history show without out", d -> d.resolve("store").toFile().mkdirs(),
                        List.of("history", "show", "--store", "store"), "history show: --out DIR is required"));
    }

    @TestFactory
    Stream<DynamicTest> badInputExitsTwoWithOneMessageAndWritesNothing() {
        return cases().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            Path dir = Files.createDirectories(root.resolve(c.name().replace(' ', '-')));
            c.setup().accept(dir);
            boolean storeBefore = Files.exists(dir.resolve("store"));
            Cli cli = Cli.run(dir, c.args().toArray(String[]::new));
            cli.assertBadInput(c.expected(), c.usage());
            assertFalse(Files.exists(dir.resolve("out")), "out/ was written");
            assertFalse(Files.exists(dir.resolve("x.json")), "x.json was written");
            assertEquals(storeBefore, Files.exists(dir.resolve("store")), "store/ was created");
        }));
    }
}
