package knobs.reports.summary;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Statistics against values computed by hand (and numpy's default percentile method). */
class StatisticsTest {

    private static final double EPS = 1e-12;

    @Test
    void percentilesInterpolateLinearlyLikeNumpy() {
        // 1..10: position h = 9p/100; p90 → h = 8.1 → 9 + 0.1·(10 − 9) = 9.1.
        Statistics s = Statistics.of(new double[] {7, 3, 10, 1, 5, 2, 9, 4, 8, 6});
        assertEquals(5.5, s.median(), EPS);
        assertEquals(9.1, s.p90(), EPS);
        assertEquals(9.91, s.p99(), EPS);
        assertEquals(3.25, s.q1(), EPS);
        assertEquals(7.75, s.q3(), EPS);
        assertEquals(4.5, s.iqr(), EPS);
        assertEquals(10, s.n());
    }

    @Test
    void percentilesOfAnUnevenArray() {
        // sorted 1, 2, 3, 10: median h = 1.5 → 2.5; p90 h = 2.7 → 3 + 0.7·7 = 7.9; q1 h = 0.75 → 1.75.
        Statistics s = Statistics.of(new double[] {3, 1, 2, 10});
        assertEquals(2.5, s.median(), EPS);
        assertEquals(7.9, s.p90(), EPS);
        assertEquals(9.79, s.p99(), EPS);
        assertEquals(1.75, s.q1(), EPS);
        assertEquals(4.75, s.q3(), EPS);
        assertEquals(4.0, s.mean(), EPS);
    }

    @Test
    void sampleStandardDeviationUsesNMinusOne() {
        // 1..10: Σ(x − 5.5)² = 82.5, /9 → √9.1667 = 3.0276503540974917.
        Statistics s = Statistics.of(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
        assertEquals(5.5, s.mean(), EPS);
        assertEquals(Math.sqrt(82.5 / 9), s.std(), EPS);
    }

    @Test
    void ci99UsesStudentT() {
        // t(0.995, 9) = 3.2498355 (t table: 3.250).
        assertEquals(3.2498355415921, Statistics.tQuantile(0.995, 9), 1e-9);
        Statistics s = Statistics.of(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
        double half = 3.2498355415921 * Math.sqrt(82.5 / 9) / Math.sqrt(10);
        assertEquals(5.5 - half, s.ci99Low(), 1e-9);
        assertEquals(5.5 + half, s.ci99High(), 1e-9);

        // n = 4: t(0.995, 3) = 5.8409 (t table: 5.841); std of {1, 2, 3, 10} = 4.0824829.
        Statistics four = Statistics.of(new double[] {3, 1, 2, 10});
        double half4 = 5.840909309733 * 4.08248290463863 / 2;
        assertEquals(4 - half4, four.ci99Low(), 1e-9);
        assertEquals(4 + half4, four.ci99High(), 1e-9);
    }

    @Test
    void oneSampleHasZeroSpreadAndADegenerateInterval() {
        Statistics s = Statistics.of(new double[] {2.5});
        assertEquals(0, s.std());
        assertEquals(2.5, s.median());
        assertEquals(2.5, s.p99());
        assertEquals(2.5, s.ci99Low());
        assertEquals(2.5, s.ci99High());
        assertFalse(s.noisy());
    }

    @Test
    void noisyWhenIqrExceedsTenPercentOfTheMedian() {
        // 100, 100, 100, 120: q1 = 100, q3 = 105, median = 100 → IQR/median = 5 %.
        assertFalse(Statistics.of(new double[] {100, 100, 100, 120}).noisy());
        // 100, 100, 120, 120: q1 = 100, q3 = 120, median = 110 → 18 %.
        assertTrue(Statistics.of(new double[] {100, 100, 120, 120}).noisy());
        // Exactly 10 % is not above the threshold: 90, 110 → q1 95, q3 105, median 100.
        assertFalse(Statistics.of(new double[] {90, 110}).noisy());
    }
}
