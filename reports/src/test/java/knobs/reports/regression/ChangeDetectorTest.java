package knobs.reports.regression;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The verdict rule on seeded samples: what it flags, and what it must never flag. */
class ChangeDetectorTest {

    /** n samples around {@code center} with a relative uniform spread of ± {@code noise}. */
    static double[] samples(Random random, int n, double center, double noise) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = center * (1 + noise * (2 * random.nextDouble() - 1));
        }
        return v;
    }

    private static ChangeDetector.Result compare(double[] b, double[] c) {
        return ChangeDetector.of(b, c, ChangeDetector.DEFAULT_THRESHOLD, ChangeDetector.DEFAULT_ALPHA);
    }

    @Test
    void aaComparisonsOfReliableRowsFlagNothing() {
        // 2000 A/A pairs: two seeded runs of the same distribution, 5 to 12 samples, spread up to ± 5 %
        // (IQR/median up to 5 %, below summarize's 10 % noise flag).
        Random random = new Random(20261125L);
        int flagged = 0;
        for (int trial = 0; trial < 2000; trial++) {
            int n = 5 + random.nextInt(8);
            double noise = 0.005 + 0.045 * random.nextDouble();
            if (flags(compare(samples(random, n, 10, noise), samples(random, n, 10, noise)))) {
                flagged++;
            }
        }
        assertEquals(0, flagged, "A/A comparisons flagged");
    }

    @Test
    void aaFalseAlarmsOfVeryNoisyRowsStayWellBelowAlpha() {
        // Beyond ± 10 % spread the threshold alone no longer shields: completely separated samples then
        // usually differ by more than 10 %. What keeps such rows quiet is the disturbed-run rule (IQR/median
        // above 10 %: the whole interval must clear the threshold); without it about alpha (1 %) of them
        // would be flagged (docs/regressions.md quotes the simulated rates).
        Random random = new Random(20261126L);
        int flagged = 0;
        int trials = 2000;
        for (int trial = 0; trial < trials; trial++) {
            int n = 5 + random.nextInt(8);
            if (flags(compare(samples(random, n, 10, 0.3), samples(random, n, 10, 0.3)))) {
                flagged++;
            }
        }
        assertTrue(flagged < ChangeDetector.DEFAULT_ALPHA * trials / 2, flagged + " of " + trials + " flagged");
    }

    private static boolean flags(ChangeDetector.Result r) {
        return r.verdict() == ChangeDetector.Verdict.REGRESSION || r.verdict() == ChangeDetector.Verdict.IMPROVEMENT;
    }

    @Test
    void aTwentyPercentSlowdownIsARegression() {
        Random random = new Random(1);
        int found = 0;
        for (int trial = 0; trial < 200; trial++) {
            ChangeDetector.Result r = compare(samples(random, 10, 10, 0.05), samples(random, 10, 12, 0.05));
            if (r.verdict() == ChangeDetector.Verdict.REGRESSION) {
                found++;
                assertTrue(r.ratio() > 1.1 && r.test().pValue() < 0.01);
            }
        }
        assertEquals(200, found, "10 vs 10 samples with 5 % spread separate a 20 % step every time");
        ChangeDetector.Result faster = compare(samples(random, 10, 12, 0.02), samples(random, 10, 10, 0.02));
        assertEquals(ChangeDetector.Verdict.IMPROVEMENT, faster.verdict());
        assertEquals(1 / 1.2, faster.ratio(), 0.02);
        assertTrue(faster.reason().startsWith("faster by"), faster.reason());
    }

    @Test
    void aSignificantChangeBelowTheThresholdIsNotFlagged() {
        Random random = new Random(2);
        ChangeDetector.Result r = compare(samples(random, 10, 10, 0.01), samples(random, 10, 10.5, 0.01));
        assertTrue(r.test().pValue() < 1e-3, "the 5 % step is significant: p = " + r.test().pValue());
        assertEquals(1.05, r.ratio(), 0.01);
        assertEquals(ChangeDetector.Verdict.UNCHANGED, r.verdict(), r.reason());
    }

    @Test
    void wideSpreadOrTooFewSamplesAreNoisyNotUnchanged() {
        Random random = new Random(3);
        ChangeDetector.Result spread = compare(samples(random, 8, 10, 0.4), samples(random, 8, 10, 0.4));
        assertEquals(ChangeDetector.Verdict.NOISY, spread.verdict(), spread.reason());
        assertTrue(spread.ciHigh() > 1.1 || spread.ciLow() < 1 / 1.1);
        ChangeDetector.Result few = compare(new double[] {10, 10.1, 9.9}, new double[] {13, 13.1, 12.9});
        assertEquals(ChangeDetector.Verdict.NOISY, few.verdict(), "3 vs 3 samples never reach p < 0.01");
        assertNull(few.ciLow());
        assertTrue(few.reason().contains("cannot bound the ratio"), few.reason());
    }

    @Test
    void identicalRunsAreUnchanged() {
        double[] v = {10, 10.2, 9.8, 10.1, 9.9, 10};
        ChangeDetector.Result r = compare(v, v.clone());
        assertEquals(ChangeDetector.Verdict.UNCHANGED, r.verdict());
        assertEquals(1.0, r.ratio());
        assertEquals(1.0, r.test().pValue());
    }

    @Test
    void aShiftWithinTheSpreadOfARunsOwnForksIsNotFlagged() {
        // Two forks each: the current run's second fork is 39 % slower than its first (a fork-level state:
        // JIT decisions, memory layout, a neighbour), as its baseline's are not. Iteration samples alone
        // call the 15 % shift significant; the forks say it is within the run's own variation.
        Random random = new Random(4);
        double[] b = concat(samples(random, 5, 10, 0.01), samples(random, 5, 10, 0.01));
        double[] c = concat(samples(random, 6, 11.5, 0.01), samples(random, 4, 16, 0.01));
        int[] forks = {5, 5};
        int[] unequal = {6, 4};
        ChangeDetector.Result single = compare(b, c);
        assertTrue(single.test().pValue() < 0.01 && single.ratio() > 1.1, "as one fork: " + single.reason());
        assertEquals(ChangeDetector.Verdict.REGRESSION, single.verdict());
        ChangeDetector.Result r = ChangeDetector.of(b, forks, c, unequal, ChangeDetector.DEFAULT_THRESHOLD, ChangeDetector.DEFAULT_ALPHA);
        assertEquals(ChangeDetector.Verdict.NOISY, r.verdict(), r.reason());
        assertEquals(16 / 11.5, r.currentForkSpread(), 0.02);
        assertEquals(1.0, r.baselineForkSpread(), 0.02);
        assertTrue(r.reason().contains("the forks of the current run differ by"), r.reason());
        // A step larger than the spread is still found, and consistent forks stay unchanged.
        double[] slow = concat(samples(random, 6, 20, 0.01), samples(random, 4, 26, 0.01));
        assertEquals(ChangeDetector.Verdict.REGRESSION,
                ChangeDetector.of(b, forks, slow, unequal, ChangeDetector.DEFAULT_THRESHOLD, ChangeDetector.DEFAULT_ALPHA).verdict());
        assertEquals(ChangeDetector.Verdict.NOISY,
                ChangeDetector.of(c, unequal, c.clone(), unequal, ChangeDetector.DEFAULT_THRESHOLD, ChangeDetector.DEFAULT_ALPHA).verdict(),
                "identical samples, but forks 39 % apart: not confidently unchanged");
        assertEquals(ChangeDetector.Verdict.UNCHANGED,
                ChangeDetector.of(b, forks, b.clone(), forks, ChangeDetector.DEFAULT_THRESHOLD, ChangeDetector.DEFAULT_ALPHA).verdict());
    }

    private static double[] concat(double[] a, double[] b) {
        double[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
