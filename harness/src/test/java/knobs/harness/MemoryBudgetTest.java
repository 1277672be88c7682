package knobs.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import knobs.kernels.MemoryEstimate;
import knobs.kernels.Natives;
import knobs.kernels.Pass;
import knobs.kernels.Phase;
import knobs.kernels.Presets;
import org.junit.jupiter.api.Test;

class MemoryBudgetTest {
    @Test
    void parsesByteCountsWithSuffixes() {
        assertEquals(123, MemoryBudget.parseBytes("123"));
        assertEquals(64L << 10, MemoryBudget.parseBytes("64k"));
        assertEquals(512L << 20, MemoryBudget.parseBytes("512M"));
        assertEquals(20L << 30, MemoryBudget.parseBytes(" 20g "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MemoryBudget.parseBytes("lots"));
        assertTrue(e.getMessage().contains("knobs.memory.limit=lots"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MemoryBudget.parseBytes("-1g"));
    }

    @Test
    void readsTheKernelsAvailableMemoryByDefault() {
        MemoryBudget.Limit l = MemoryBudget.limit();
        assertTrue(l.bytes() > 1L << 20, "MemAvailable should be more than a MiB: " + l);
        assertEquals("MemAvailable in /proc/meminfo", l.source());
    }

    @Test
    void tooLargeConfigurationFailsWithEstimateAndLimit() {
        System.setProperty(MemoryBudget.PROPERTY, "1g");
        try {
            MemoryEstimate big = MemoryEstimate.of(Presets.get("xl"), Pass.TRAIN_STEP, 4, 128, 4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MemoryBudget.require(big, "xl train"));
            assertTrue(e.getMessage().startsWith("xl train needs about " + MemoryEstimate.gb(big.total())), e.getMessage());
            assertTrue(e.getMessage().contains("1.07 GB available (-Dknobs.memory.limit)"), e.getMessage());
            MemoryBudget.require(MemoryEstimate.of(Presets.get("tiny"), Pass.FORWARD, 1, 8, 4), "tiny");
        } finally {
            System.clearProperty(MemoryBudget.PROPERTY);
        }
    }

    @Test
    void batchFitBisectsTheEstimateAndConfirmsByRunning() {
        Natives.load();
        long budget = 64L << 20;
        int analytic = BatchFit.analytic(Presets.get("tiny"), 32, budget);
        assertTrue(analytic > 1, "tiny fits many sequences in 64 MiB: " + analytic);
        assertTrue(MemoryEstimate.of(Presets.get("tiny"), Pass.FORWARD, analytic, 33, 4).total() <= budget);
        assertTrue(MemoryEstimate.of(Presets.get("tiny"), Pass.FORWARD, analytic + 1, 33, 4).total() > budget);
        BatchFit.Result r = BatchFit.fit(Presets.get("tiny"), Phase.PREFILL, 32, budget, ComputeDevice.parse("cpu"));
        assertTrue(r.batch() >= 1 && r.batch() <= analytic, r.toString());
        assertTrue(r.measuredPeakBytes() <= budget || r.batch() == 1, r.toString());
        assertEquals(0, BatchFit.analytic(Presets.get("small"), 128, 1 << 20));
    }
}
