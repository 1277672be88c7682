package knobs.reports.format;

import knobs.reports.fixtures.Cli;
import knobs.reports.fixtures.Golden;
import knobs.reports.fixtures.JmhFixture;
import knobs.reports.fixtures.OutputFolder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Seals the machine-readable outputs: summarizes the seeded data set of {@link JmhFixture} and
 * compares {@code summary.json}, {@code summary.csv} and {@code samples.csv} byte for byte with
 * the files under {@code src/test/resources/golden/}.
 *
 * <p>After an intended format change, regenerate them and review the diff:
 * {@code mvn -B -o -pl reports test -Dtest=GoldenFilesTest -Dknobs.updateGolden=true}
 */
public class GoldenFilesTest {

    private static final Path GOLDEN = Golden.ROOT;
    private static final List<String> FILES = List.of("summary.json", "summary.csv", "samples.csv");

    @Test
    void outputsMatchGoldenFiles(@TempDir Path dir) throws IOException {
        JmhFixture.writeGoldenInputs(dir);

        Cli cli = Cli.run(dir, "summarize", "moe.json", "seqlen.json", "calibration.json", "--out", "report");

        assertEquals(0, cli.exit(), cli.err());
        // The seeded data holds exactly one noisy row, and the sidecars agree on everything.
        assertEquals(List.of("reports: warning: MoeTopK.forward {phase=decode, topK=8} (avgt) from moe.json is noisy:"
                + " IQR/median = 16.6% > 10%"), cli.err().lines().toList());
        for (String name : FILES) {
            Golden.check(GOLDEN, name, dir.resolve("report").resolve(name));
        }
        // summarize also writes the analyses, the figures and the page (sealed by AnalysisGoldenTest, BreakdownsTest,
        // PassesTest, QualityLatencyTest and ReportPageTest).
        assertEquals(List.of("breakdowns.json", "component_roofline.json", "findings.json", "flops_scaling.json", "index.html",
                "model.json", "passes.json", "plots", "quality.json", "roofline.json", "samples.csv", "scaling.json", "summary.csv",
                "summary.json", "warmup.json"),
                OutputFolder.listing(dir.resolve("report")));
    }

    @Test
    void outputIsDeterministic(@TempDir Path dir) throws IOException {
        JmhFixture.writeGoldenInputs(dir);
        assertEquals(0, Cli.run(dir, "summarize", "moe.json", "seqlen.json", "calibration.json", "--out", "a", "--no-plots").exit());
        // Input order must not matter: rows are sorted.
        assertEquals(0, Cli.run(dir, "summarize", "calibration.json", "moe.json", "seqlen.json", "--out", "b", "--no-plots").exit());
        assertEquals(Files.readString(dir.resolve("a/samples.csv")), Files.readString(dir.resolve("b/samples.csv")));
        assertEquals(Files.readString(dir.resolve("a/summary.csv")).replace("calibration.json", "X"),
                Files.readString(dir.resolve("b/summary.csv")).replace("calibration.json", "X"));
    }

    /**
     * {@code summarize --failed} and the noise profiler's metrics on {@link JmhFixture#writeExtrasInputs}: the
     * {@code failed} list, the {@code noise} of samples and the {@code gc_jit_noise} findings, sealed.
     */
    @Test
    void extrasMatchTheirGoldenFiles(@TempDir Path dir) throws IOException {
        JmhFixture.writeExtrasInputs(dir);
        Cli cli = Cli.run(dir, "summarize", "run.json", "--failed", "failed", "--out", "report", "--no-plots");
        assertEquals(0, cli.exit(), cli.err());
        assertEquals("", cli.err());
        for (String name : List.of("summary.json", "findings.json")) {
            Golden.check(Golden.ROOT.resolve("extras"), name, dir.resolve("report").resolve(name));
        }
    }
}
