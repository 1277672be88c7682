package knobs.reports.analysis;

import knobs.reports.summary.Knob;
import knobs.reports.summary.Params;
import knobs.reports.summary.Report;
import knobs.reports.summary.Statistics;
import knobs.reports.summary.SummaryRow;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The page's headlines: what each knob does, said from trustworthy rows only. */
class HeadlinesTest {

    /** A row of {@code ms} median time (spread {@code spread} around it) and {@code flops} per op. */
    private static SummaryRow row(String benchmark, double ms, double spread, Double flops, String... params) {
        Map<String, String> raw = new TreeMap<>();
        for (int i = 0; i < params.length; i += 2) {
            raw.put(params[i], params[i + 1]);
        }
        Statistics stats = Statistics.of(new double[] {ms * (1 - spread), ms, ms, ms * (1 + spread)});
        return new SummaryRow(benchmark, Params.of(raw), "avgt", "ms/op", stats, 1, ms * 1e-3, flops, null, null,
                null, null, null, null, null, null, null, null, new TreeMap<>(), "in.json");
    }

    private static Report report(SummaryRow... rows) {
        return new Report(null, List.of(rows), List.of());
    }

    @Test
    void moeTopKStatesFlopsAndTimeRatiosPerPhase() {
        Headlines h = Headlines.of(report(
                row("MoeTopK.forward", 10, 0, 1e9, "phase", "prefill", "topK", "1"),
                row("MoeTopK.forward", 21, 0, 6.2e9, "phase", "prefill", "topK", "8"),
                row("MoeTopK.forward", 2, 0, 1e8, "phase", "decode", "topK", "1"),
                row("MoeTopK.forward", 3, 0, 2e8, "phase", "decode", "topK", "8")));
        assertEquals(1, h.headlines().size());
        Headlines.Headline moe = h.headlines().get(0);
        assertEquals(Knob.MOE_TOP_K, moe.knob());
        assertEquals("1 → 8 experts multiplies FLOPs by 2× and time by 1.50× (2 ms → 3 ms, +143 µs per expert) for phase=decode; "
                + "FLOPs by 6.20× and time by 2.10× (10 ms → 21 ms, +1.57 ms per expert) for phase=prefill",
                moe.sentence());
        assertTrue(moe.stated());
        assertEquals(4, moe.trustworthy());
    }

    @Test
    void groupsOverDifferentRangesEachSayTheirOwn() {
        Headlines h = Headlines.of(report(
                row("BlocksMask.forward", 1, 0, null, "phase", "prefill", "activeBlocks", "1"),
                row("BlocksMask.forward", 4, 0, null, "phase", "prefill", "activeBlocks", "4"),
                row("BlocksMask.forward", 1, 0, null, "phase", "decode", "activeBlocks", "1"),
                row("BlocksMask.forward", 5, 0.5, null, "phase", "decode", "activeBlocks", "2")));
        assertEquals("phase=decode: not enough trustworthy rows (1 of 2); phase=prefill: 1 → 4 blocks multiplies time by 4×"
                + " (1 ms → 4 ms, +1 ms per block) (1 of 4 configurations left out as untrustworthy)", h.headlines().get(0).sentence());
    }

    @Test
    void noisyRowsAreLeftOutAndSaidSo() {
        Headlines h = Headlines.of(report(
                row("SeqLenScaling.prefill", 1, 0, null, "seqLen", "64"),
                row("SeqLenScaling.prefill", 2, 0, null, "seqLen", "128"),
                row("SeqLenScaling.prefill", 40, 0.5, null, "seqLen", "256")));
        String sentence = h.headlines().get(0).sentence();
        // The noisy 40 ms point would have made this 40×; without it, 64 → 128 doubles the time.
        assertTrue(sentence.startsWith("64 → 128 tokens multiplies time by 2× (1 ms → 2 ms, +15.6 µs per token)"), sentence);
        assertTrue(sentence.endsWith("(1 of 3 configurations left out as untrustworthy)"), sentence);
    }

    @Test
    void withTooFewTrustworthyRowsAKnobSaysSoInsteadOfANumber() {
        Report r = report(
                row("OutputTokens.generate", 5, 0.5, null, "maxNewTokens", "1"),
                row("OutputTokens.generate", 50, 0, null, "maxNewTokens", "10"));
        Headlines.Headline h = Headlines.of(r).headlines().get(0);
        assertFalse(h.stated());
        assertEquals("not enough trustworthy rows to state how OutputTokens responds to maxNewTokens"
                + " (1 of 2 configurations are trustworthy; a group needs two)", h.sentence());
        // The trust rule is a parameter: a rule that trusts everything states a number.
        assertTrue(Headlines.of(r, x -> true).headlines().get(0).stated());
    }

    @Test
    void aNamedKnobIsOrderedByItsFlopsAndBenchmarksWithoutAKnobGetNoHeadline() {
        List<SummaryRow> rows = new ArrayList<>(List.of(
                row("ModelSize.step", 30, 0, 8e9, "size", "large", "pass", "forward"),
                row("ModelSize.step", 10, 0, 1e9, "size", "small", "pass", "forward"),
                row("Calibration.gemm", 10, 0, 1e9)));
        Headlines h = Headlines.of(new Report(null, rows, List.of()));
        assertEquals(1, h.headlines().size());
        assertEquals("size small → large multiplies FLOPs by 8× and time by 3× (10 ms → 30 ms)", h.headlines().get(0).sentence());
    }
}
