package knobs.reports.regression;

import knobs.reports.summary.ContentionMetrics;
import knobs.reports.ReportException;
import knobs.reports.fixtures.JmhFixture;
import knobs.reports.input.RunData;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link PowerAnalysis} on a tiny seeded fixture: two recordings of interleaved single-fork repetitions. */
class PowerAnalysisTest {

    private static final String STEADY = "knobs.benchmarks.BlocksMask.forward";
    private static final String WILD = "knobs.benchmarks.MoeTopK.forward";

    @TempDir
    Path dir;

    /**
     * A recording of {@code reps} files, each one fork of 5 iterations of two configurations: a steady one
     * (fork offsets 2 % sd) and a wild one (30 % sd), with contention flags (the wild one's first fork contended).
     */
    private Path record(String name, long seed, int reps) {
        return record(name, seed, reps, false);
    }

    /** As above; {@code busy}: every iteration of the steady configuration contended. */
    private Path record(String name, long seed, int reps, boolean busy) {
        Random random = new Random(seed);
        for (int r = 0; r < reps; r++) {
            JmhFixture.Run steady = JmhFixture.run(STEADY, "avgt", "ms/op").params("activeBlocks", "1")
                    .primary(new double[][] {ChangeDetectorTest.run(random, 1, 5, 10, 0.02, 0.02)})
                    .metric(ContentionMetrics.CONTENDED, "flag", busy ? JmhFixture.filled(1, 5, 1) : new double[][] {{0, 0, Double.NaN, 0, 0}});
            JmhFixture.Run wild = JmhFixture.run(WILD, "avgt", "ms/op").params("topK", "1")
                    .primary(new double[][] {ChangeDetectorTest.run(random, 1, 5, 10, 0.30, 0.02)})
                    .metric(ContentionMetrics.CONTENDED, "flag", JmhFixture.filled(1, 5, r == 0 ? 1 : 0));
            JmhFixture.write(dir.resolve(name).resolve("rep-" + r + ".json"), JmhFixture.file(steady, wild));
        }
        return dir.resolve(name);
    }

    @Test
    void steadyForksNeverFalseAlarmAndFindTheChange() throws ReportException {
        List<Map<RunData.Key, PowerAnalysis.Pool>> recordings = PowerAnalysis.read(List.of(record("a", 1, 8), record("b", 2, 8)));
        assertEquals(8, recordings.get(0).values().iterator().next().forks().length, "8 files, one fork each, pooled");
        List<PowerAnalysis.Rate> rates = PowerAnalysis.analyse(recordings, new int[] {2, 4, 5}, new int[] {3, 5}, 300, 0.2,
                ChangeDetector.DEFAULT_THRESHOLD, ChangeDetector.DEFAULT_ALPHA, 7);
        PowerAnalysis.Rate steady = find(rates, STEADY, 4, 5);
        assertEquals(0.0, steady.aaWithin());
        assertEquals(0.0, steady.aaAcross());
        assertEquals(1.0, steady.detected(), "2 % fork offsets, 4 forks a side: +20 % found every time");
        assertEquals(2, steady.realPairs(), "two blocks of 4 forks, one pair of recordings");
        assertEquals(0, steady.realFlagged());
        assertEquals(0.0, steady.contended(), "NaN flags are unknown, not contended");
        assertEquals(0.0, steady.withheld());
        // 5 forks a side: 2 × 5 exceeds one recording's 8, so there is no within-recording rate.
        assertNull(find(rates, STEADY, 5, 5).aaWithin());
        // Forks that vary by 30 % hide a 20 % change far more often than not, and are not false-alarmed more.
        PowerAnalysis.Rate wild = find(rates, WILD, 4, 5);
        assertTrue(wild.detected() < 0.5, "detected " + wild.detected());
        assertTrue(wild.aaAcross() <= 0.02, "A/A across " + wild.aaAcross());
        assertEquals(1 / 8.0, wild.contended(), 1e-12);
        assertEquals(12, rates.size(), "2 configurations × 3 fork counts × 2 iteration counts");
    }

    @Test
    void drawsFromContendedRunsAreWithheldNotCounted() throws ReportException {
        List<PowerAnalysis.Rate> rates = PowerAnalysis.analyse(
                PowerAnalysis.read(List.of(record("a", 1, 8, true), record("b", 2, 8, true))), new int[] {4}, new int[] {5}, 100,
                0.2, ChangeDetector.DEFAULT_THRESHOLD, ChangeDetector.DEFAULT_ALPHA, 7);
        PowerAnalysis.Rate steady = find(rates, STEADY, 4, 5);
        assertEquals(1.0, steady.withheld(), "compare calls no change from mostly contended runs");
        assertEquals(0.0, steady.detected());
        assertEquals(1.0, steady.contended());
    }

    @Test
    void theCommandLinePrintsBothTables() throws ReportException {
        record("a", 3, 6);
        record("b", 4, 6);
        String out = PowerAnalysis.run(new String[] {"--forks", "2,3", "--iterations", "5", "--trials", "50",
                dir.resolve("a").toString(), dir.resolve("b").toString()});
        assertTrue(out.startsWith("| configuration | forks × iterations | A/A within | A/A across | +20% detected | withheld (contended) |"), out);
        assertTrue(out.contains("| BlocksMask.forward {activeBlocks=1} (avgt) | 3 × 5 | 0.00% | 0.00% | "), out);
        assertTrue(out.contains("% | 0.00% | 0 of 2 | 0.00% | 6 |\n"), "two blocks of 3 in 6 forks: " + out);
        assertTrue(out.contains("| setting | worst A/A within | worst A/A across | least detected | real A/A pairs flagged |"), out);
        assertThrows(IllegalArgumentException.class, () -> PowerAnalysis.run(new String[] {"--forks", "1", "x"}));
        assertThrows(IllegalArgumentException.class, () -> PowerAnalysis.run(new String[] {"--change", "2", "x"}));
        assertThrows(IllegalArgumentException.class, () -> PowerAnalysis.run(new String[] {}));
        ReportException missing = assertThrows(ReportException.class,
                () -> PowerAnalysis.run(new String[] {dir.resolve("nope").toString()}));
        assertTrue(missing.getMessage().endsWith("nope: no JMH JSON file there"), missing.getMessage());
    }

    private static PowerAnalysis.Rate find(List<PowerAnalysis.Rate> rates, String benchmark, int forks, int iterations) {
        return rates.stream().filter(r -> benchmark.endsWith(r.key().benchmark()) && r.forks() == forks && r.iterations() == iterations)
                .findFirst().orElseThrow(() -> new AssertionError("no rate for " + benchmark + " " + forks + " × " + iterations));
    }
}
