package knobs.reports.analysis;

import knobs.reports.fixtures.Cli;
import knobs.reports.fixtures.Golden;
import knobs.reports.fixtures.JmhFixture;
import knobs.reports.format.AnalysisJsonWriter;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Seals the analysis files: summarizes the seeded analysis data set of {@link JmhFixture} (every
 * knob, built from a known roofline) and compares {@code roofline.json}, {@code scaling.json},
 * {@code flops_scaling.json}, {@code model.json} and {@code findings.json} byte for byte with
 * {@code src/test/resources/golden/analyses/}.
 *
 * <p>After an intended change, regenerate and review the diff:
 * {@code mvn -B -o -pl reports test -Dtest=AnalysisGoldenTest -Dknobs.updateGolden=true}
 */
class AnalysisGoldenTest {

    private static final Path GOLDEN = Golden.ROOT.resolve("analyses");
    static final List<String> FILES = List.of(AnalysisJsonWriter.ROOFLINE, AnalysisJsonWriter.SCALING,
            AnalysisJsonWriter.FLOPS_SCALING, AnalysisJsonWriter.MODEL, AnalysisJsonWriter.FINDINGS, AnalysisJsonWriter.COMPONENT_ROOFLINE);

    @Test
    void analysesMatchGoldenFiles(@TempDir Path dir) throws IOException {
        JmhFixture.writeAnalysisInputs(dir);

        Cli cli = Cli.run(dir, "summarize", "knobs.json", "calibration.json", "--out", "report", "--no-plots");

        assertEquals(0, cli.exit(), cli.err());
        assertEquals(List.of("reports: warning: ContextScaling.forward {crops=8} (avgt) from knobs.json is noisy:"
                + " IQR/median = 39.5% > 10%"), cli.err().lines().toList());
        for (String name : FILES) {
            Golden.check(GOLDEN, name, dir.resolve("report").resolve(name));
        }
    }

    @Test
    void analysesDoNotDependOnInputOrder(@TempDir Path dir) throws IOException {
        JmhFixture.writeAnalysisInputs(dir);
        assertEquals(0, Cli.run(dir, "summarize", "knobs.json", "calibration.json", "--out", "a", "--no-plots").exit());
        assertEquals(0, Cli.run(dir, "summarize", "calibration.json", "knobs.json", "--out", "b", "--no-plots").exit());
        for (String name : FILES) {
            assertEquals(Files.readString(dir.resolve("a").resolve(name)), Files.readString(dir.resolve("b").resolve(name)), name);
        }
    }
}
