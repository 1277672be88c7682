package knobs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** benchmarks.jar's main: the contention profiler is on by default, once, and every other argument passes through. */
class MainTest {
    private static final String PROF = "knobs.harness.ContentionProfiler";

    @Test
    void addsTheProfilerFirstByDefault() {
        assertEquals(List.of("-prof", PROF, "MoeTopK", "-p", "topK=1,8", "-rf", "json"),
                Main.arguments(new String[]{"MoeTopK", "-p", "topK=1,8", "-rf", "json"}, null));
        assertEquals(List.of("-prof", PROF), Main.arguments(new String[0], "on"));
        assertEquals(List.of("-prof", PROF, "-f", "1", "--", "-weird-pattern"),
                Main.arguments(new String[]{"-f", "1", "--", "-weird-pattern"}, null), "before --, so never taken for a pattern");
        assertEquals(List.of("-prof", PROF, "-prof", "gc", "-h"), Main.arguments(new String[]{"-prof", "gc", "-h"}, null));
    }

    @Test
    void offOrAlreadyNamedLeavesTheCommandLineAlone() {
        String[] argv = {"MoeTopK", "-prof", "knobs.harness.NoiseProfiler"};
        assertEquals(List.of(argv), Main.arguments(argv, "off"));
        String[] named = {"MoeTopK", "-prof", PROF + ":root=/tmp/proc"};
        assertEquals(List.of(named), Main.arguments(named, null), "named with options: not added twice");
        String[] eq = {"-prof=" + PROF};
        assertEquals(List.of(eq), Main.arguments(eq, null));
        String[] explicitWhileOff = {"-prof", PROF};
        assertEquals(List.of(explicitWhileOff), Main.arguments(explicitWhileOff, "off"), "an explicit -prof wins over the default");
        String[] afterDashes = {"--", "-prof", PROF};
        assertEquals("-prof", Main.arguments(afterDashes, null).get(0), "after -- it is a pattern, not a profiler");
    }

    @Test
    void aBadSwitchNamesItselfAndTheAllowedValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Main.arguments(new String[]{"X"}, "maybe"));
        assertTrue(e.getMessage().contains("-Dknobs.contention=maybe") && e.getMessage().contains("allowed: on")
                && e.getMessage().contains("off"), e.getMessage());
    }
}
