package knobs.reports.regression;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The verdict rule on seeded runs with two levels of variation — a per-fork offset (JIT decisions,
 * memory layout, the machine's state while the fork ran) and per-iteration noise inside a fork —
 * which is what real runs look like: what it flags, and what it must never flag.
 */
class ChangeDetectorTest {

    private static final double T = ChangeDetector.DEFAULT_THRESHOLD;
    private static final double ALPHA = ChangeDetector.DEFAULT_ALPHA;

    /**
     * A run of {@code forks} × {@code iterations} around {@code center}: each fork offset by a normal
     * factor of relative sd {@code forkSd}, each iteration by a uniform ± {@code noise}.
     */
    static double[] run(Random random, int forks, int iterations, double center, double forkSd, double noise) {
        double[] v = new double[forks * iterations];
        for (int f = 0; f < forks; f++) {
            double fork = center * Math.exp(forkSd * random.nextGaussian());
            for (int i = 0; i < iterations; i++) {
                v[f * iterations + i] = fork * (1 + noise * (2 * random.nextDouble() - 1));
            }
        }
        return v;
    }

    static int[] sizes(int forks, int iterations) {
        int[] s = new int[forks];
        Arrays.fill(s, iterations);
        return s;
    }

    private static ChangeDetector.Result compare(double[] b, double[] c, int forks, int iterations) {
        return ChangeDetector.of(b, sizes(forks, iterations), c, sizes(forks, iterations), T, ALPHA);
    }

    private static boolean flags(ChangeDetector.Result r) {
        return r.verdict() == ChangeDetector.Verdict.REGRESSION || r.verdict() == ChangeDetector.Verdict.IMPROVEMENT;
    }

    @Test
    void aaPairsWithModestForkOffsetsFlagNothing() {
        // 2000 A/A pairs: 2 to 8 forks of 3 to 10 iterations, fork offsets up to 4 % sd, iteration noise up to ± 10 %.
        // Iterations alone would call many of these significant (forks differ by more than their iterations do).
        Random random = new Random(20261201L);
        int flagged = 0;
        for (int trial = 0; trial < 2000; trial++) {
            int k = 2 + random.nextInt(7);
            int i = 3 + random.nextInt(8);
            double forkSd = 0.04 * random.nextDouble();
            double noise = 0.10 * random.nextDouble();
            if (flags(compare(run(random, k, i, 10, forkSd, noise), run(random, k, i, 10, forkSd, noise), k, i))) {
                flagged++;
            }
        }
        assertEquals(0, flagged, "A/A comparisons flagged");
    }

    @Test
    void aaFalseAlarmsWithLargeOrDisturbedForksStayBelowAlpha() {
        // Fork offsets of 10-20 % sd (a busy shared machine), and runs where a fork in ten is slowed by 20-60 %
        // (a burst of load): the threshold no longer shields, the fork-level test must.
        Random random = new Random(20261202L);
        int trials = 4000;
        int flagged = 0;
        for (int trial = 0; trial < trials; trial++) {
            int k = 2 + random.nextInt(7);
            double forkSd = 0.10 + 0.10 * random.nextDouble();
            double[] b = run(random, k, 5, 10, forkSd, 0.05);
            double[] c = run(random, k, 5, 10, forkSd, 0.05);
            if (flags(compare(b, c, k, 5))) {
                flagged++;
            }
            double[] bd = disturbed(random, run(random, k, 5, 10, 0.03, 0.05), k, 5);
            double[] cd = disturbed(random, run(random, k, 5, 10, 0.03, 0.05), k, 5);
            if (flags(compare(bd, cd, k, 5))) {
                flagged++;
            }
        }
        assertTrue(flagged <= ALPHA * 2 * trials, flagged + " of " + 2 * trials + " flagged");
    }

    /** Each fork, with probability 0.1, slowed by 20-60 %. */
    private static double[] disturbed(Random random, double[] v, int forks, int iterations) {
        for (int f = 0; f < forks; f++) {
            if (random.nextDouble() < 0.1) {
                double slow = 1.2 + 0.4 * random.nextDouble();
                for (int i = 0; i < iterations; i++) {
                    v[f * iterations + i] *= slow;
                }
            }
        }
        return v;
    }

    @Test
    void aPlantedTwentyPercentSlowdownIsARegression() {
        Random random = new Random(1);
        int found = 0;
        for (int trial = 0; trial < 200; trial++) {
            ChangeDetector.Result r = compare(run(random, 5, 5, 10, 0.03, 0.05), run(random, 5, 5, 12, 0.03, 0.05), 5, 5);
            if (r.verdict() == ChangeDetector.Verdict.REGRESSION) {
                found++;
                assertTrue(r.ratio() > 1.1 && r.pValue() < ALPHA && r.ciLow() > 1, r.reason());
            }
        }
        assertEquals(200, found, "5 forks a side with 3 % fork offsets find a 20 % step every time");
        ChangeDetector.Result faster = compare(run(random, 4, 5, 12, 0.01, 0.02), run(random, 4, 5, 10, 0.01, 0.02), 4, 5);
        assertEquals(ChangeDetector.Verdict.IMPROVEMENT, faster.verdict(), faster.reason());
        assertEquals(1 / 1.2, faster.ratio(), 0.02);
        assertTrue(faster.reason().startsWith("faster by"), faster.reason());
    }

    @Test
    void aSignificantChangeBelowTheThresholdIsNotFlagged() {
        Random random = new Random(2);
        ChangeDetector.Result r = compare(run(random, 6, 5, 10, 0.005, 0.01), run(random, 6, 5, 10.5, 0.005, 0.01), 6, 5);
        assertTrue(r.pValue() < 1e-3, "the 5 % step is significant: p = " + r.pValue());
        assertEquals(1.05, r.ratio(), 0.01);
        assertEquals(ChangeDetector.Verdict.UNCHANGED, r.verdict(), r.reason());
    }

    @Test
    void forksThatDisagreeAreNoisyEvenWhenTheirIterationsAreSteady() {
        // The A/A pair of the issue: each fork steady within ± 1 %, the forks 25 % apart. A test on the 10 iterations
        // a side would call the difference of the runs significant; two forks a side cannot.
        double[] b = concat(steady(10, 5), steady(10.4, 5));
        double[] c = concat(steady(12.6, 5), steady(13.1, 5));
        ChangeDetector.Result r = compare(b, c, 2, 5);
        assertEquals(ChangeDetector.Verdict.NOISY, r.verdict(), r.reason());
        assertTrue(r.pValue() > ALPHA, r.reason());
        assertTrue(r.reason().contains("reaches beyond ±10%"), r.reason());
        assertEquals(1.04, r.baselineForkSpread(), 1e-9);
    }

    @Test
    void oneForkOnASideCannotBeJudged() {
        double[] b = steady(10, 5);
        double[] c = steady(15, 5);
        ChangeDetector.Result r = ChangeDetector.of(b, new int[] {5}, c, new int[] {5}, T, ALPHA);
        assertEquals(ChangeDetector.Verdict.NOISY, r.verdict());
        assertNull(r.test());
        assertNull(r.ciLow());
        assertEquals(1.5, r.ratio(), 1e-9);
        assertTrue(r.reason().startsWith("1 and 1 forks: with one fork on a side"), r.reason());
        assertNull(r.baselineForkSpread());
    }

    @Test
    void identicalRunsAreUnchanged() {
        double[] v = {10, 10.2, 9.8, 10.1, 9.9, 10};
        ChangeDetector.Result r = ChangeDetector.of(v, new int[] {3, 3}, v.clone(), new int[] {3, 3}, T, ALPHA);
        assertEquals(ChangeDetector.Verdict.UNCHANGED, r.verdict(), r.reason());
        assertEquals(1.0, r.ratio(), 1e-12);
        assertEquals(1.0, r.pValue());
    }

    @Test
    void mostlyContendedRunsAreUnreliableWhateverTheNumbersSay() {
        Random random = new Random(5);
        double[] b = run(random, 4, 5, 10, 0.01, 0.01);
        double[] c = run(random, 4, 5, 15, 0.01, 0.01);
        int[] s = sizes(4, 5);
        // 11 of 20 contended in the current run: more than half.
        Contention busy = new Contention(20, 20, 11);
        Contention quiet = new Contention(20, 20, 0);
        ChangeDetector.Result r = ChangeDetector.of(b, s, quiet, c, s, busy, T, ALPHA);
        assertEquals(ChangeDetector.Verdict.UNRELIABLE, r.verdict());
        assertTrue(r.pValue() < ALPHA && r.ratio() > 1.4, "the numbers are still computed and shown");
        assertTrue(r.reason().startsWith("contended: 0% of the baseline's iterations (0 of 20), 55% of the current run's"
                + " iterations (11 of 20)"), r.reason());
        // Exactly half is not mostly; unknown flags do not count either way; a run that did not capture contention is judged.
        assertEquals(ChangeDetector.Verdict.REGRESSION, ChangeDetector.of(b, s, quiet, c, s, new Contention(20, 20, 10), T, ALPHA).verdict());
        assertEquals(ChangeDetector.Verdict.UNRELIABLE,
                ChangeDetector.of(b, s, new Contention(20, 5, 3), c, s, quiet, T, ALPHA).verdict(), "3 of 5 known");
        assertEquals(ChangeDetector.Verdict.REGRESSION, ChangeDetector.of(b, s, null, c, s, new Contention(20, 0, 0), T, ALPHA).verdict());
    }

    @Test
    void contentionFlagsCountKnownIterationsOnly() {
        Contention c = Contention.of(new double[] {1, 0, Double.NaN, 1, 1});
        assertEquals(new Contention(5, 4, 3), c);
        assertEquals(0.75, c.share());
        assertTrue(c.mostlyContended());
        assertNull(Contention.of(null));
        assertNull(Contention.of(new double[] {Double.NaN}).share());
    }

    private static double[] steady(double center, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = center * (1 + 0.01 * ((i % 3) - 1));
        }
        return v;
    }

    private static double[] concat(double[] a, double[] b) {
        double[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
