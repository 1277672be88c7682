package knobs.reports;

import knobs.reports.fixtures.Cli;
import knobs.reports.fixtures.JmhFixture;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static knobs.reports.fixtures.JmhFixture.file;
import static knobs.reports.fixtures.JmhFixture.run;
import static knobs.reports.fixtures.JmhFixture.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failures a user meets with good inputs in a bad place, for every command: outputs that cannot be
 * written, two runs that share nothing, a bare {@code NaN} in a JSON file. Each exits 2 with one line
 * that names the path and the reason, no stack trace, and leaves every file as it was.
 */
class CliFailuresTest {

    @TempDir
    Path root;

    private static final double[][] TEN_MS = {{10, 10.1, 9.9, 10, 10.05}};

    /**
     * @param readOnly whether the case needs the read-only folder {@code ro/}; skipped when permission
     *                 bits do not bind (as root)
     * @param first    the first line of standard error, exactly, or its start when it ends with "…"
     */
    private record Case(String name, boolean readOnly, List<String> args, String first) {
    }

    private static Case of(String name, String first, String... args) {
        return new Case(name, false, List.of(args), first);
    }

    private static Case readOnly(String name, String first, String... args) {
        return new Case(name, true, List.of(args), first);
    }

    private static final String NAN = "bare NaN is not a JSON value; a number that is not finite must be a string (\"NaN\"),"
            + " as JMH writes it";

    private static Stream<Case> cases() {
        String inTheWay = "taken is a file, not a folder";
        return Stream.of(
                // An output that is a file, or lies under one.
                of("summarize out is a file", "reports: cannot write taken: " + inTheWay,
                        "summarize", "a.json", "--out", "taken", "--no-plots"),
                of("summarize out under a file", "reports: cannot write taken/report: " + inTheWay,
                        "summarize", "a.json", "--out", "taken/report", "--no-plots"),
                of("summarize plots folder is a file", "reports: cannot write old: old/plots is a file, not a folder",
                        "summarize", "many.json", "--out", "old"),
                of("compare out is a file", "reports: cannot write taken: " + inTheWay,
                        "compare", "a.json", "a.json", "--out", "taken"),
                of("compare out under a file", "reports: cannot write taken/cmp: " + inTheWay,
                        "compare", "a.json", "a.json", "--out", "taken/cmp"),
                of("history add store is a file", "reports: cannot write taken: " + inTheWay,
                        "history", "add", "a.json", "--store", "taken", "--commit", "c2", "--date", "2026-01-02T00:00:00Z"),
                of("history add store under a file", "reports: cannot write taken/store: " + inTheWay,
                        "history", "add", "a.json", "--store", "taken/store", "--commit", "c2", "--date", "2026-01-02T00:00:00Z"),
                of("history show out is a file", "reports: cannot write taken: " + inTheWay,
                        "history", "show", "--store", "store", "--out", "taken", "--no-plots"),
                of("history show out under a file", "reports: cannot write taken/trends: " + inTheWay,
                        "history", "show", "--store", "store", "--out", "taken/trends", "--no-plots"),
                of("export out under a file", "reports: cannot write taken/x.json: " + inTheWay,
                        "export", "a.json", "--format", "bencher", "--out", "taken/x.json"),
                // Read-only folders (the OS's reason).
                readOnly("summarize into a read-only folder", "reports: cannot write ro/report: permission denied",
                        "summarize", "a.json", "--out", "ro/report", "--no-plots"),
                readOnly("summarize out is read-only", "reports: cannot write ro: permission denied",
                        "summarize", "a.json", "--out", "ro", "--no-plots"),
                readOnly("compare into a read-only folder", "reports: cannot write ro/cmp: permission denied",
                        "compare", "a.json", "a.json", "--out", "ro/cmp"),
                readOnly("history add into a read-only store", "reports: cannot write ro: permission denied",
                        "history", "add", "a.json", "--store", "ro", "--commit", "c2", "--date", "2026-01-02T00:00:00Z"),
                readOnly("history show into a read-only folder", "reports: cannot write ro/trends: permission denied",
                        "history", "show", "--store", "store", "--out", "ro/trends", "--no-plots"),
                readOnly("export into a read-only folder", "reports: cannot write ro/x.json: permission denied",
                        "export", "a.json", "--format", "bencher", "--out", "ro/x.json"),
                // Two runs with nothing in common.
                of("compare runs that share nothing", "reports: compare: a.json and c.json share no configuration, so nothing"
                                + " was compared (baseline: 1 configuration, A.b (avgt); current: 1 configuration, C.d (avgt));"
                                + " were these the runs you meant?",
                        "compare", "a.json", "c.json", "--out", "cmp"),
                // A bare NaN, whichever command reads it.
                of("summarize bare NaN", "reports: nan.json: not valid JSON (line …", "summarize", "nan.json", "--out", "old"),
                of("compare bare NaN", "reports: nan.json: not valid JSON (line …", "compare", "a.json", "nan.json"),
                of("history add bare NaN", "reports: nan.json: not valid JSON (line …",
                        "history", "add", "nan.json", "--store", "store", "--commit", "c2"),
                of("export bare NaN", "reports: nan.json: not valid JSON (line …", "export", "nan.json", "--format", "bencher"));
    }

    /** Inputs every case may use, and outputs that must stay as they are. */
    private static void setUp(Path dir) throws IOException {
        write(dir.resolve("a.json"), file(run("p.A.b", "avgt", "ms/op").primary(TEN_MS)));
        write(dir.resolve("c.json"), file(run("p.C.d", "avgt", "ms/op").primary(TEN_MS)));
        // Enough configurations for figures.
        write(dir.resolve("many.json"), JmhFixture.comparisonRun(11, 1, Map.of(), java.util.Set.of()));
        String good = Files.readString(dir.resolve("a.json"));
        String nan = good.replaceFirst("\"score\" : [0-9.E-]+", "\"score\" : NaN");
        assertTrue(nan.contains("\"score\" : NaN,"), nan);
        write(dir.resolve("nan.json"), nan);
        write(dir.resolve("taken"), "a file\n");
        write(dir.resolve("old/summary.json"), "old\n");
        write(dir.resolve("old/plots"), "a file where summarize puts its figures\n");
        Cli add = Cli.run(dir, "history", "add", "a.json", "--store", "store", "--commit", "c1", "--date", "2026-01-01T00:00:00Z");
        assertEquals(0, add.exit(), add.err());
        Files.createDirectories(dir.resolve("ro"));
    }

    @TestFactory
    Stream<DynamicTest> eachFailureExitsTwoWithOneLineAndTouchesNothing() {
        return cases().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            Path dir = Files.createDirectories(root.resolve(c.name().replace(' ', '-')));
            setUp(dir);
            Path ro = dir.resolve("ro");
            if (c.readOnly()) {
                Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
            }
            try {
                if (c.readOnly()) {
                    Assumptions.assumeFalse(Files.isWritable(ro), "permission bits do not bind here (running as root)");
                }
                Map<String, String> before = snapshot(dir);
                Cli cli = Cli.run(dir, c.args().toArray(String[]::new));

                assertEquals(2, cli.exit(), cli.err());
                String first = cli.err().lines().findFirst().orElse("");
                if (c.first().endsWith("…")) {
                    assertTrue(first.startsWith(c.first().substring(0, c.first().length() - 1)), first);
                } else {
                    assertEquals(c.first(), first);
                }
                assertEquals(1, cli.err().lines().count(), "one line: " + cli.err());
                assertFalse(cli.err().contains("\tat ") || cli.err().contains("Exception"), "no stack trace: " + cli.err());
                assertEquals("", cli.out());
                assertEquals(before, snapshot(dir), "every file as it was");
            } finally {
                Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> aBareNaNIsNamedWithoutJacksonsAdvice() {
        return Stream.of("summarize", "compare", "export").map(command -> DynamicTest.dynamicTest(command, () -> {
            Path dir = Files.createDirectories(root.resolve("nan-" + command));
            setUp(dir);
            List<String> args = new ArrayList<>(List.of(command, "nan.json"));
            args.addAll(switch (command) {
                case "summarize" -> List.of("--out", "report");
                case "compare" -> List.of("a.json");
                default -> List.of("--format", "bencher");
            });
            Cli cli = Cli.run(dir, args.toArray(String[]::new));
            assertEquals(2, cli.exit());
            assertTrue(cli.err().matches("reports: nan\\.json: not valid JSON \\(line \\d+, column \\d+\\): \\Q" + NAN + "\\E\n"),
                    cli.err());
            assertFalse(cli.err().contains("ALLOW_NON_NUMERIC_NUMBERS"));
        }));
    }

    /** Every file under a folder with its content; folders as names ending in '/'. */
    private static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.forEach(p -> {
                String name = dir.relativize(p).toString();
                try {
                    files.put(Files.isDirectory(p) ? name + "/" : name, Files.isDirectory(p) ? "" : Files.readString(p));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        return files;
    }
}
