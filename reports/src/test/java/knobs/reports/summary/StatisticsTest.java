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
    void medianIntervalUsesOrderStatisticsAndNeverLeavesTheSamples() {
        // Coverage of [x(k), x(n-k+1)] is 1 - 2 P(Bin(n, 1/2) <= k-1).
        assertEquals(0.75, Statistics.coverage(3, 1), EPS);
        assertEquals(0.9375, Statistics.coverage(5, 1), EPS);
        assertEquals(1 - 2.0 / 256, Statistics.coverage(8, 1), EPS);
        assertEquals(1 - 2 * 11.0 / 1024, Statistics.coverage(10, 2), EPS);
        // Below 8 samples no interval reaches 99 %: the whole range, with its lower coverage.
        assertEquals(1, Statistics.medianInterval(7));
        assertEquals(1, Statistics.medianInterval(10), "k = 2 covers only 97.9 % of 10 samples");
        // 20 samples: P(B <= 3) = 1351/2^20, P(B <= 4) = 6196/2^20 -> k = 4 covers 99.74 %, k = 5 98.8 %.
        assertEquals(4, Statistics.medianInterval(20));
        Statistics s = Statistics.of(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
        assertEquals(1, s.ci99Low());
        assertEquals(10, s.ci99High());
        assertEquals(1 - 2.0 / 1024, s.ciCoverage(), EPS);
        double[] twenty = new double[20];
        for (int i = 0; i < 20; i++) {
            twenty[i] = 20 - i;
        }
        Statistics t = Statistics.of(twenty);
        assertEquals(4, t.ci99Low());
        assertEquals(17, t.ci99High());
        assertEquals(1 - 2 * 1351.0 / (1 << 20), t.ciCoverage(), EPS);
        // Three times, one far off: mean - t*sd would reach below zero; the order-statistic interval cannot.
        Statistics three = Statistics.of(new double[] {117, 676, 1288});
        assertEquals(117, three.ci99Low());
        assertEquals(1288, three.ci99High());
        assertEquals(0.75, three.ciCoverage(), EPS);
    }

    @Test
    void oneSampleHasZeroSpreadAndADegenerateInterval() {
        Statistics s = Statistics.of(new double[] {2.5});
        assertEquals(0, s.std());
        assertEquals(2.5, s.median());
        assertEquals(2.5, s.p99());
        assertEquals(2.5, s.ci99Low());
        assertEquals(2.5, s.ci99High());
        assertEquals(0, s.ciCoverage(), "one sample says nothing about where the median lies");
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
