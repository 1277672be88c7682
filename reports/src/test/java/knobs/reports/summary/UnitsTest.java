package knobs.reports.summary;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class UnitsTest {

    @Test
    void timeUnitsScaleToSeconds() {
        assertEquals(2.0, Units.secondsPerOp(2, "s/op"));
        assertEquals(2e-3, Units.secondsPerOp(2, "ms/op"), 1e-18);
        assertEquals(2e-6, Units.secondsPerOp(2, "us/op"), 1e-21);
        assertEquals(2e-9, Units.secondsPerOp(2, "ns/op"), 1e-24);
    }

    @Test
    void throughputUnitsInvert() {
        assertEquals(0.005, Units.secondsPerOp(200, "ops/s"), 1e-15);
        assertEquals(5e-4, Units.secondsPerOp(2, "ops/ms"), 1e-18);
        assertEquals(5e-7, Units.secondsPerOp(2, "ops/us"), 1e-21);
        assertEquals(5e-10, Units.secondsPerOp(2, "ops/ns"), 1e-24);
    }

    @Test
    void otherUnitsAreRejected() {
        assertFalse(Units.isKnown("B/op"));
        assertThrows(IllegalArgumentException.class, () -> Units.secondsPerOp(1, "B/op"));
        assertEquals("s/op, ms/op, us/op, ns/op, ops/s, ops/ms, ops/us, ops/ns", Units.allowed());
    }
}
