package knobs.reports.regression;

import org.junit.jupiter.api.Test;

import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rank test and the Hodges–Lehmann interval against scipy 1.17's {@code mannwhitneyu} and hand counts. */
class MannWhitneyTest {

    @Test
    void exactPValuesMatchScipy() {
        MannWhitney.Test three = MannWhitney.test(new double[] {1, 2, 3}, new double[] {4, 5, 6});
        assertEquals(0, three.u());
        assertEquals(0.1, three.pValue(), 1e-12, "2 of C(6,3) = 20 arrangements are as extreme");
        assertTrue(three.exact());
        assertEquals(0.007936507936507936, MannWhitney.test(new double[] {1, 2, 3, 4, 5}, new double[] {6, 7, 8, 9, 10}).pValue(), 1e-12);
        MannWhitney.Test mixed = MannWhitney.test(new double[] {1.1, 2.5, 3.2, 4.8, 5.0, 7.7}, new double[] {2.0, 6.1, 6.2, 9.0, 3.3});
        assertEquals(10, mixed.u());
        assertEquals(0.42857142857142855, mixed.pValue(), 1e-12);
    }

    @Test
    void tiesAndLargeSamplesUseTheNormalApproximationLikeScipy() {
        MannWhitney.Test ties = MannWhitney.test(new double[] {1, 2, 2, 3, 4}, new double[] {2, 3, 5, 6, 7, 8});
        assertFalse(ties.exact());
        assertEquals(4.5, ties.u());
        assertEquals(0.06476896969888761, ties.pValue(), 1e-12);
        double[] x = IntStream.range(0, 60).asDoubleStream().toArray();
        double[] y = IntStream.range(0, 60).mapToDouble(i -> i + 20.5).toArray();
        MannWhitney.Test large = MannWhitney.test(x, y);
        assertFalse(large.exact());
        assertEquals(780, large.u());
        assertEquals(8.747567722893498e-08, large.pValue(), 1e-18);
    }

    @Test
    void exactDistributionIsADistributionAndAgreesWithTheApproximationWhereItShould() {
        double[] cdf = MannWhitney.cdf(7, 9);
        assertEquals(64, cdf.length);
        assertEquals(1.0, cdf[cdf.length - 1], 1e-12);
        for (int u = 0; u < cdf.length; u++) {
            double below = u == 0 ? 0 : cdf[u - 1];
            // Symmetric about mn/2: P(U = u) = P(U = mn − u).
            double pu = cdf[u] - below;
            double mirrored = cdf[63 - u] - (63 - u == 0 ? 0 : cdf[62 - u]);
            assertEquals(pu, mirrored, 1e-12);
        }
        double[] x = IntStream.range(0, 50).asDoubleStream().toArray();
        double[] y = IntStream.range(0, 50).mapToDouble(i -> i + 20.75).toArray();
        // scipy: exact 3.355e-9; the normal approximation (1.97e-8) is what larger samples get.
        assertEquals(3.355337501288878e-09, MannWhitney.test(x, y).pValue(), 1e-15);
    }

    @Test
    void hodgesLehmannShiftAndItsIntervalComeFromThePairwiseDifferences() {
        double[] x = {1, 2, 3, 4, 5};
        double[] y = {11, 12, 13, 14, 15};
        // 5 vs 5 at 99 %: P(U = 0) = 1/252 ≤ 0.005 < P(U ≤ 1) = 2/252, so k = 1: the extreme differences.
        MannWhitney.Shift s = MannWhitney.shift(x, y, 0.01);
        assertEquals(10, s.shift());
        assertEquals(6, s.low());
        assertEquals(14, s.high());
        // At 95 %: P(U ≤ 2) = 4/252 ≤ 0.025 < P(U ≤ 3) = 7/252, so k = 3. The 25 differences are
        // 6 (once), 7 (twice), 8 (3×) ... 14 (once): D(3) = 7 and D(23) = 13.
        MannWhitney.Shift s95 = MannWhitney.shift(x, y, 0.05);
        assertEquals(7, s95.low());
        assertEquals(13, s95.high());
        // 3 vs 3 cannot reach 99 %: P(U = 0) = 1/20 > 0.005.
        MannWhitney.Shift few = MannWhitney.shift(new double[] {1, 2, 3}, new double[] {4, 5, 6}, 0.01);
        assertEquals(3, few.shift());
        assertNull(few.low());
        assertNull(few.high());
    }

    @Test
    void intervalCoversTheTrueShiftAtItsLevel() {
        // 1000 seeded trials of 10 vs 10 normal samples shifted by 0.7: a 95 % interval misses about 5 %.
        java.util.Random random = new java.util.Random(7);
        int misses = 0;
        for (int trial = 0; trial < 1000; trial++) {
            double[] x = new double[10];
            double[] y = new double[10];
            for (int i = 0; i < 10; i++) {
                x[i] = random.nextGaussian();
                y[i] = random.nextGaussian() + 0.7;
            }
            MannWhitney.Shift s = MannWhitney.shift(x, y, 0.05);
            if (s.low() > 0.7 || s.high() < 0.7) {
                misses++;
            }
        }
        assertTrue(misses >= 25 && misses <= 75, misses + " misses in 1000");
    }
}
