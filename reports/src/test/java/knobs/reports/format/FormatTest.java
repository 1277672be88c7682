package knobs.reports.format;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FormatTest {

    @Test
    void significantDigitsAndWholeNumbers() {
        assertEquals("0.0123", Format.sig(0.012345));
        assertEquals("1.23", Format.sig(1.2345));
        assertEquals("12.3", Format.sig(12.345));
        assertEquals("123", Format.sig(123.45));
        assertEquals("8", Format.sig(8.0));
        assertEquals("2", Format.sig(1.9999999999999998), "a few ulps off a whole number is whole");
        assertEquals("1.23e+07", Format.sig(12345678.9));
        assertEquals("-2.16", Format.sig(-2.16));
    }

    @Test
    void secondsPickAUnitThatDoesNotRoundUpToTheNextOne() {
        assertEquals("12.3 ms", Format.seconds(0.0123));
        assertEquals("450 µs", Format.seconds(4.5e-4));
        assertEquals("1 ms", Format.seconds(0.000999999999), "not 1000 µs");
        assertEquals("0.0221 ns", Format.seconds(2.21e-11));
        assertEquals("1.50 s", Format.seconds(1.5));
        assertEquals("0 s", Format.seconds(0));
    }

    @Test
    void siPrefixes() {
        assertEquals("131 GFLOP/s", Format.si(1.31e11, "FLOP/s"));
        assertEquals("12.3 GB/s", Format.si(1.23e10, "B/s"));
        assertEquals("1.00 kB/s", Format.si(999.9, "B/s"), "not 1000 B/s");
        assertEquals("2.04×", Format.times(2.04));
        assertEquals("17.9%", Format.percent(17.9));
    }
}
