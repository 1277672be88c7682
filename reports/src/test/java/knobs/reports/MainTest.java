package knobs.reports;

import knobs.reports.fixtures.Cli;
import knobs.reports.fixtures.JmhFixture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainTest {

    @TempDir
    Path dir;

    @Test
    void helpPrintsUsageListingCommandsAndOptions() {
        Cli cli = Cli.run(dir, "--help");
        assertEquals(0, cli.exit());
        assertEquals(Main.usage(), cli.out());
        for (String word : new String[] {"summarize", "--out DIR", "--env PATH", "--ceilings FILE", "--failed DIR", "--no-plots",
                "compare BASELINE CURRENT", "--threshold", "--normalize ceilings", "history add RUN --store DIR",
                "export RUN --format github-action-benchmark|bencher"}) {
            assertTrue(cli.out().contains(word), word);
        }
    }

    @Test
    void unknownCommandIsAUsageError() {
        Cli cli = Cli.run(dir, "summarise", "a.json");
        assertEquals(2, cli.exit());
        assertEquals("reports: unknown command 'summarise'\n" + Main.usage(), cli.err());
    }

    @Test
    void noCommandIsAUsageError() {
        Cli cli = Cli.run(dir);
        assertEquals(2, cli.exit());
        assertTrue(cli.err().startsWith("reports: no command given\nusage:"), cli.err());
    }

    @Test
    void outPathThatIsAFileIsBadInput() {
        JmhFixture.write(dir.resolve("a.json"), JmhFixture.file(JmhFixture.run("p.A.b", "avgt", "ms/op")
                .primary(new double[][] {{1}})));
        JmhFixture.write(dir.resolve("taken"), "x");
        Cli cli = Cli.run(dir, "summarize", "a.json", "--out", "taken");
        assertEquals(2, cli.exit());
        assertEquals("reports: --out taken: exists and is not a folder\n", cli.err());
    }
}
