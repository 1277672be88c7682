package knobs.reports;

import knobs.reports.fixtures.Cli;
import knobs.reports.fixtures.JmhFixture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line itself: help, version, option syntax, usage errors and the exit statuses. */
class MainTest {

    @TempDir
    Path dir;

    private static final List<String> EXIT_CODES = List.of("Exit codes:",
            "  0   success (compare: no regression)",
            "  1   compare found a regression; no other outcome exits 1",
            "  2   usage error, bad input or unwritable output: one line 'reports: ...', nothing written",
            "  3   internal error (a bug in reports): a stack trace on stderr");

    @ParameterizedTest
    @ValueSource(strings = {"--help", "-h", "help"})
    void helpListsTheCommandsAndTheExitCodes(String flag) {
        Cli cli = Cli.run(dir, flag);
        assertEquals(0, cli.exit(), cli.err());
        assertEquals("", cli.err());
        assertTrue(cli.out().startsWith("usage: java -jar reports.jar [-hV] [COMMAND]\n"), cli.out());
        for (String line : List.of(
                "  summarize  Merge JMH JSON results into a summary, analyses, figures and an HTML page.",
                "  compare    Compare two runs: did anything get slower or faster?",
                "  history    Keep runs in a history store and draw their trends.",
                "  export     Export a run for a benchmark dashboard.",
                "  -V, --version   Print version information and exit.")) {
            assertTrue(cli.out().contains(line + "\n"), line + " in:\n" + cli.out());
        }
        assertTrue(cli.out().contains(String.join("\n", EXIT_CODES)), cli.out());
        assertFalse(cli.out().contains("--out"), "no command's options in the overview");
    }

    /** Each command's help: its usage, its options, the exit codes, and nothing of the other commands. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "summarize    | --out=DIR,--env=PATH,--ceilings=FILE,--failed=DIR,--no-plots,INPUT... | --threshold,--store,--format",
            "compare      | --threshold=T,--alpha=A,--normalize=ceilings,--out=DIR,BASELINE,CURRENT | --ceilings,--store,--format",
            "history      | add,show | --out,--threshold,--ceilings",
            "history add  | --store=DIR,--commit=ID,--date=WHEN,RUN | --out,--threshold,--no-plots",
            "history show | --store=DIR,--out=DIR,--threshold=T,--alpha=A,--no-plots | --commit,--date,--ceilings",
            "export       | --format=FORMAT,--out=FILE,RUN | --threshold,--store,--no-plots"})
    void eachCommandsHelpShowsThatCommandOnly(String command, String own, String others) {
        String[] words = command.split(" ");
        for (String flag : List.of("--help", "-h")) {
            String[] args = concat(words, flag);
            Cli cli = Cli.run(dir, args);
            assertEquals(0, cli.exit(), cli.err());
            assertEquals("", cli.err());
            assertTrue(cli.out().startsWith("usage: java -jar reports.jar " + command + " [-h]"), cli.out());
            for (String word : own.split(",")) {
                assertTrue(cli.out().contains(word), word + " in:\n" + cli.out());
            }
            for (String word : others.split(",")) {
                assertFalse(cli.out().contains(word), word + " in:\n" + cli.out());
            }
            assertTrue(cli.out().contains(String.join("\n", EXIT_CODES)), cli.out());
        }
        if (words.length == 1) {
            assertEquals(Cli.run(dir, command, "--help").out(), Cli.run(dir, "help", command).out(), "help COMMAND");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"--version", "-V"})
    void versionIsTheMavenProjectVersion(String flag) {
        Cli cli = Cli.run(dir, flag);
        assertEquals(0, cli.exit(), cli.err());
        assertTrue(cli.out().matches("knobs reports \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\n"), cli.out());
        assertEquals("knobs reports " + Version.get() + "\n", cli.out());
    }

    @Test
    void optionValuesMayFollowAnEqualsSign() throws Exception {
        writeRun("a.json");
        Cli spaced = Cli.run(dir, "summarize", "a.json", "--out", "spaced", "--no-plots");
        Cli joined = Cli.run(dir, "summarize", "a.json", "--out=joined", "--no-plots");
        assertEquals(0, spaced.exit(), spaced.err());
        assertEquals(0, joined.exit(), joined.err());
        assertEquals(Files.readString(dir.resolve("spaced/summary.csv")), Files.readString(dir.resolve("joined/summary.csv")));
        assertEquals(spaced.out().replace("spaced", "joined"), joined.out());
    }

    @Test
    void unknownCommandIsAShortUsageError() {
        Cli cli = Cli.run(dir, "summarise", "a.json");
        assertEquals(2, cli.exit());
        assertEquals("reports: unknown command 'summarise'; did you mean 'summarize'?\n"
                + "usage: java -jar reports.jar [-hV] [COMMAND]\n"
                + "Try 'java -jar reports.jar --help' for more.\n", cli.err());
        assertEquals("", cli.out());
    }

    @Test
    void noCommandIsAUsageError() {
        Cli cli = Cli.run(dir);
        assertEquals(2, cli.exit());
        assertTrue(cli.err().startsWith("reports: no command given\nusage: java -jar reports.jar [-hV] [COMMAND]\n"), cli.err());
    }

    @Test
    void aCommandsUsageErrorShowsThatCommandsUsageLine() {
        Cli cli = Cli.run(dir, "compare", "a.json", "b.json", "--thresh", "0.2");
        assertEquals(2, cli.exit());
        assertEquals(List.of("reports: compare: unknown option '--thresh'; did you mean '--threshold'?",
                "usage: java -jar reports.jar compare [-h] [--threshold=T] [--alpha=A] [--normalize=ceilings|probe]",
                "                                     [--out=DIR] BASELINE CURRENT",
                "Try 'java -jar reports.jar compare --help' for more."), cli.err().lines().toList());
        cli.assertShortUsage();
    }

    @Test
    void outPathThatIsAFileIsBadInput() {
        writeRun("a.json");
        JmhFixture.write(dir.resolve("taken"), "x");
        Cli cli = Cli.run(dir, "summarize", "a.json", "--out", "taken");
        assertEquals(2, cli.exit());
        assertEquals("reports: cannot write taken: taken is a file, not a folder\n", cli.err());
    }

    /** A command that fails as a bug would: an exception, or an error such as running out of memory. */
    @Command(name = "boom")
    static final class Boom implements Callable<Integer> {

        @picocli.CommandLine.Parameters(index = "0")
        String kind;

        @Override
        public Integer call() {
            if (kind.equals("error")) {
                throw new AssertionError("a broken invariant");
            }
            throw new IllegalStateException("a bug");
        }
    }

    @ParameterizedTest
    @CsvSource({"exception, java.lang.IllegalStateException: a bug", "error, java.lang.AssertionError: a broken invariant"})
    void anInternalErrorExitsThreeWithItsTrace(String kind, String thrown) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine cli = Main.commandLine(new CommandContext(dir, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8)));
        cli.addSubcommand("boom", new Boom());
        int exit = Main.execute(cli, "boom", kind);
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(ExitCode.INTERNAL_ERROR, exit, text);
        assertTrue(text.startsWith("reports: internal error (a bug in reports; please report it with this output): "
                + thrown + "\n"), text);
        assertTrue(text.contains("\tat knobs.reports.MainTest$Boom.call"), "the trace: " + text);
    }

    private void writeRun(String name) {
        JmhFixture.write(dir.resolve(name), JmhFixture.file(JmhFixture.run("p.A.b", "avgt", "ms/op").primary(new double[][] {{1}})));
    }

    private static String[] concat(String[] a, String b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + 1);
        all[a.length] = b;
        return all;
    }
}
