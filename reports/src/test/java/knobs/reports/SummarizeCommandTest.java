package knobs.reports;

import knobs.reports.fixtures.Cli;
import knobs.reports.fixtures.JmhFixture;
import knobs.reports.fixtures.OutputFolder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code summarize} as a command: sweep folders as inputs, and the paths it prints. */
class SummarizeCommandTest {

    @TempDir
    Path dir;

    /** {@code ab/} of the comparison data set is a sweep folder: results/, failed/ and logs/. */
    @Test
    void aSweepFolderIsReadAsItsResultsAndFailureRecords() throws IOException {
        JmhFixture.writeComparisonInputs(dir);
        Cli folder = Cli.run(dir, "summarize", "ab", "--out", "by-folder", "--no-plots");
        assertEquals(0, folder.exit(), folder.err());
        Cli files = Cli.run(dir, "summarize", "ab/results/3f2a9c0d1e4b5a6c.json", "--failed", "ab/failed", "--out", "by-files",
                "--no-plots");
        assertEquals(0, files.exit(), files.err());

        assertEquals(OutputFolder.listing(dir.resolve("by-files")), OutputFolder.listing(dir.resolve("by-folder")));
        for (String name : OutputFolder.listing(dir.resolve("by-files"))) {
            assertEquals(Files.readString(dir.resolve("by-files").resolve(name)), Files.readString(dir.resolve("by-folder").resolve(name)),
                    name);
        }
        String summary = Files.readString(dir.resolve("by-folder/summary.json"));
        assertTrue(summary.contains("\"java.lang.OutOfMemoryError: Java heap space\""), "the sweep's failure record");
        assertTrue(Files.readString(dir.resolve("by-folder/index.html")).contains("href=\"../ab/logs/9e8d7c6b5a4f3e2d.log\""),
                "its log linked");
        assertEquals(folder.err(), files.err(), "the same warnings");
    }

    @Test
    void ciBenchFolderIsReadAsTheSweepInside() throws IOException {
        JmhFixture.writeComparisonInputs(dir);
        Files.createDirectories(dir.resolve("ci"));
        Files.move(dir.resolve("ab"), dir.resolve("ci/sweep"));
        Cli cli = Cli.run(dir, "summarize", "ci", "--out", "report", "--no-plots");
        assertEquals(0, cli.exit(), cli.err());
        assertTrue(Files.readString(dir.resolve("report/summary.json")).contains("\"ci/sweep/results/3f2a9c0d1e4b5a6c.json\""));
    }

    @Test
    void printsThePathsItWrote() throws IOException {
        JmhFixture.write(dir.resolve("a.json"), JmhFixture.file(JmhFixture.run("p.A.b", "avgt", "ms/op").primary(new double[][] {{1}})));
        Cli tables = Cli.run(dir, "summarize", "a.json", "--out", "report", "--no-plots");
        assertEquals(0, tables.exit(), tables.err());
        List<String> lines = tables.out().lines().toList();
        assertEquals("wrote report/index.html", lines.get(lines.size() - 1), "the page last");
        assertEquals(OutputFolder.listing(dir.resolve("report")),
                lines.stream().map(l -> l.substring("wrote report/".length())).sorted().toList(), "every file, once");

        JmhFixture.writeComparisonInputs(dir);
        Cli figures = Cli.run(dir, "summarize", "base/run.json", "--out", "plotted");
        assertEquals(0, figures.exit(), figures.err());
        List<String> plotted = figures.out().lines().toList();
        int count = OutputFolder.plotFiles(dir.resolve("plotted")).size();
        assertTrue(count > 0);
        assertEquals(List.of("wrote plotted/plots/ (" + count + " files)", "wrote plotted/index.html"),
                plotted.subList(plotted.size() - 2, plotted.size()));
    }
}
