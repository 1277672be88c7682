package knobs.reports.format.html;

import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** One colour per benchmark: distinct within a report, the same for a name from one report to the next. */
class PlotStyleTest {

    private static final List<String> TEN = List.of("BatchSize.forward", "BlocksMask.forward", "Calibration.copy",
            "Calibration.gemm", "ContextScaling.forward", "ModelSize.step", "MoeTopK.forward", "OutputTokens.generate",
            "SeqLenScaling.prefill", "SeqLenScaling.tokenize");

    @Test
    void everyBenchmarkOfAReportHasItsOwnColour() {
        Map<String, Color> colours = PlotStyle.benchmarkColours(TEN);
        assertEquals(TEN.size(), colours.size());
        assertEquals(TEN.size(), new HashSet<>(colours.values()).size(), colours.toString());
    }

    @Test
    void aNameKeepsItsColourWhateverElseIsInTheReportAndInWhatOrder() {
        Color alone = PlotStyle.benchmarkColours(List.of("MoeTopK.forward")).get("MoeTopK.forward");
        assertEquals(alone, PlotStyle.benchmarkColours(List.of("OutputTokens.generate", "MoeTopK.forward")).get("MoeTopK.forward"));
        List<String> reversed = new ArrayList<>(TEN);
        Collections.reverse(reversed);
        assertEquals(PlotStyle.benchmarkColours(TEN), PlotStyle.benchmarkColours(reversed));
    }

    @Test
    void shadesStartNearTheColourAndDifferFromEachOther() {
        List<Color> shades = PlotStyle.shades(PlotStyle.SERIES[0], 3);
        assertEquals(3, shades.size());
        assertEquals(3, new HashSet<>(shades).size());
        assertEquals(List.of(PlotStyle.SERIES[0]), PlotStyle.shades(PlotStyle.SERIES[0], 1));
        assertNotEquals(PlotStyle.FIT, PlotStyle.SERIES[0]);
    }
}
