package knobs.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.profile.ProfilerException;

/**
 * {@link DriftProbe}: the probe measures positive times, leaves its buffers usable across calls, and it
 * takes no options. (Whether it tracks the machine's speed is a measurement, in
 * docs/regressions.md, not a test.)
 */
class DriftProbeTest {

    @Test
    void measuresAGemmAndACopyEveryCall() {
        long[] first = DriftProbe.measure();
        long[] second = DriftProbe.measure();
        assertEquals(2, first.length);
        for (long[] t : new long[][] {first, second}) {
            assertTrue(t[0] > 0 && t[1] > 0, "gemm " + t[0] + " ns, copy " + t[1] + " ns");
            // 2·256³ FLOPs cannot take under 1 µs on a CPU, nor 16 MiB of traffic: a probe that did no work would.
            assertTrue(t[0] > 1_000 && t[1] > 1_000, "gemm " + t[0] + " ns, copy " + t[1] + " ns");
        }
    }

    @Test
    void optionsAreRefused() throws ProfilerException {
        new DriftProbe("");
        ProfilerException p = assertThrows(ProfilerException.class, () -> new DriftProbe("reps=3"));
        assertTrue(p.getMessage().contains("'reps=3'"), p.getMessage());
    }
}
