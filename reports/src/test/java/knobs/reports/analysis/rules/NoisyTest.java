package knobs.reports.analysis.rules;

import knobs.reports.fixtures.Analyze;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static knobs.reports.fixtures.JmhFixture.exact;
import static knobs.reports.fixtures.JmhFixture.perOp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rule {@code noisy} on samples that spread and on samples that agree. */
class NoisyTest {

    @TempDir
    Path dir;

    @Test
    void noisyFiresOnASpreadOutSample() {
        List<JsonNode> f = Analyze.findings(dir, "noisy", exact("A.b", new double[] {10, 10, 10, 13, 13, 13}, perOp()));
        assertEquals(1, f.size());
        assertEquals("high", f.get(0).get("severity").asText());
        assertEquals(3.0 / 11.5, f.get(0).at("/evidence/iqr_over_median").asDouble(), 1e-12);
        assertEquals(6, f.get(0).at("/evidence/n").asInt());
        assertTrue(f.get(0).get("message").asText().startsWith("IQR/median = 26.1%"), f.get(0).get("message").asText());
    }

    @Test
    void aWideConfidenceIntervalAloneIsLowSeverity() {
        // IQR/median 2 %, but three samples: the 99 % CI is ± 12.9 % of the mean.
        List<JsonNode> f = Analyze.findings(dir, "noisy", exact("A.b", new double[] {10, 10, 10.4}, perOp()));
        assertEquals(1, f.size());
        assertEquals("low", f.get(0).get("severity").asText());
    }

    @Test
    void noisyStaysQuietOnATightSample() {
        assertEquals(List.of(), Analyze.findings(dir, "noisy", exact("A.b", new double[] {10, 10.1, 9.9, 10, 10.05, 9.95}, perOp())));
    }
}
