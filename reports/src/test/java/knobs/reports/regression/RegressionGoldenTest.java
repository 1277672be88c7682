package knobs.reports.regression;

import knobs.reports.fixtures.Cli;
import knobs.reports.fixtures.Golden;
import knobs.reports.fixtures.JmhFixture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Seals the machine-readable outputs of {@code compare}, {@code export} and {@code history} on the
 * seeded scenarios of {@link JmhFixture#writeComparisonInputs}: byte for byte against
 * {@code src/test/resources/golden/regressions/}.
 *
 * <p>After an intended change, regenerate and review the diff:
 * {@code mvn -B -o -pl reports test -Dtest=RegressionGoldenTest -Dknobs.updateGolden=true}
 */
class RegressionGoldenTest {

    private static final Path GOLDEN = Golden.ROOT.resolve("regressions");

    @TempDir
    Path dir;

    private static void check(Path actual, String name) throws IOException {
        Golden.check(GOLDEN, name, actual);
    }

    @Test
    void comparison() throws IOException {
        JmhFixture.writeComparisonInputs(dir);
        Cli cli = Cli.run(dir, "compare", "base", "ab", "--out", "cmp");
        assertEquals(1, cli.exit(), cli.err());
        check(dir.resolve("cmp/comparison.json"), "comparison.json");
        check(dir.resolve("cmp/comparison.md"), "comparison.md");
    }

    @Test
    void normalizedComparison() throws IOException {
        JmhFixture.writeComparisonInputs(dir);
        Cli cli = Cli.run(dir, "compare", "base", "fast", "--normalize", "ceilings", "--out", "cmp");
        assertEquals(0, cli.exit(), cli.err());
        check(dir.resolve("cmp/comparison.json"), "comparison-normalized.json");
    }

    @Test
    void exports() throws IOException {
        JmhFixture.writeComparisonInputs(dir);
        // Times only by default; costs and rates with --secondary; the rates file is rates only.
        String[][] exports = {{"github-action-benchmark", ""}, {"github-action-benchmark", "--secondary"},
                {"github-action-benchmark-bigger", ""}, {"bencher", ""}, {"bencher", "--secondary"}};
        for (String[] e : exports) {
            String file = e[0] + (e[1].isEmpty() ? "" : "-secondary") + ".json";
            Cli cli = e[1].isEmpty() ? Cli.run(dir, "export", "base", "--format", e[0], "--out", "export/" + file)
                    : Cli.run(dir, "export", "base", "--format", e[0], e[1], "--out", "export/" + file);
            assertEquals(0, cli.exit(), cli.err());
            check(dir.resolve("export/" + file), "export-" + file);
        }
    }

    @Test
    void history() throws IOException {
        JmhFixture.writeComparisonInputs(dir);
        String[][] runs = {{"base", "c1"}, {"aa", "c2"}, {"ab", "c3"}};
        String baseId = null;
        for (String[] run : runs) {
            Cli cli = Cli.run(dir, "history", "add", run[0], "--store", "store", "--commit", run[1]);
            assertEquals(0, cli.exit(), cli.err());
            baseId = baseId == null ? cli.out().replaceAll("(?s).* as ([0-9a-f]{16}) .*", "$1") : baseId;
        }
        Cli show = Cli.run(dir, "history", "show", "--store", "store", "--out", "hist", "--no-plots");
        assertEquals(0, show.exit(), show.err());
        check(dir.resolve("hist/history.json"), "history.json");
        check(dir.resolve("store").resolve(baseId + ".json"), "history-entry.json");
    }
}
