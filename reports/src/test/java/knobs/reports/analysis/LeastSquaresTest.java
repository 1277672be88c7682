package knobs.reports.analysis;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LeastSquaresTest {

    @Test
    void lineThroughExactPointsRecoversItsCoefficients() {
        double[] x = {64, 128, 256, 512};
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = 0.002 + 3e-5 * x[i];
        }
        LeastSquares.Fit fit = LeastSquares.linear(x, y);
        assertArrayEquals(new double[] {0.002, 3e-5}, fit.coefficients(), 1e-15);
        assertEquals(1.0, fit.r2(), 1e-12);
    }

    @Test
    void lineThroughScatteredPointsMatchesTheTextbookFormula() {
        double[] x = {1, 2, 3, 4};
        double[] y = {1, 3, 2, 5};
        // b = Sxy/Sxx = 5.5/5 = 1.1, a = ȳ − b·x̄ = 2.75 − 2.75 = 0; RSS = 2.7, TSS = 8.75.
        LeastSquares.Fit fit = LeastSquares.linear(x, y);
        assertArrayEquals(new double[] {0, 1.1}, fit.coefficients(), 1e-12);
        assertEquals(2.7, fit.rss(), 1e-12);
        assertEquals(1 - 2.7 / 8.75, fit.r2(), 1e-12);
    }

    @Test
    void quadraticOnHugeXKeepsItsPrecision() {
        // FLOP counts as x: x² ~ 1e20 would swamp the intercept without scaling.
        double[] x = {1e9, 3e9, 8e9, 2e10};
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = 0.005 + 2e-11 * x[i] + 1e-22 * x[i] * x[i];
        }
        LeastSquares.Fit fit = LeastSquares.quadratic(x, y);
        assertEquals(0.005, fit.coefficients()[0], 1e-12);
        assertEquals(2e-11, fit.coefficients()[1], 1e-20);
        assertEquals(1e-22, fit.coefficients()[2], 1e-30);
    }

    @Test
    void hingeRecoversBothSlopes() {
        double[] x = {1, 2, 4, 8, 16, 32};
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = 1 + 2 * x[i] + 3 * Math.max(0, x[i] - 8);
        }
        LeastSquares.Fit fit = LeastSquares.hinge(x, y, 8);
        assertArrayEquals(new double[] {1, 2, 3}, fit.coefficients(), 1e-9);
        assertTrue(fit.rss() < 1e-18);
    }

    @Test
    void constantDataHasNoR2() {
        assertNull(LeastSquares.linear(new double[] {1, 2, 3}, new double[] {4, 4, 4}).r2());
    }

    @Test
    void fTestSeparatesARealImprovementFromNone() {
        assertTrue(LeastSquares.fTestP(10, 0.1, 1, 5) < 0.001);
        assertTrue(LeastSquares.fTestP(10, 9.9, 1, 5) > 0.5);
        assertEquals(0, LeastSquares.fTestP(1, 0, 1, 3));
        assertEquals(1, LeastSquares.fTestP(0, 0, 1, 3));
    }
}
