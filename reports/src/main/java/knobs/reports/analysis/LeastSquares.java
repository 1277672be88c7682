package knobs.reports.analysis;

import org.apache.commons.math3.distribution.FDistribution;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.QRDecomposition;
import org.apache.commons.math3.linear.RealVector;

/**
 * Ordinary least squares for the few small models the analyses fit: a line, a parabola, a line
 * with one hinge, and a line in log-log space. Solved by QR (stable where normal equations are
 * not), on x scaled to [0, 1] so that x² of a FLOP count (~1e20) does not swamp the intercept;
 * coefficients are converted back to the original scale.
 */
public final class LeastSquares {

    /**
     * One fitted model.
     *
     * @param coefficients in the original x scale: [a, b] for a line, [a, b, c] for a + b·x + c·x²,
     *                     [a, b, d] for a + b·x + d·max(0, x − knot)
     * @param rss          residual sum of squares
     * @param tss          total sum of squares around the mean of y
     * @param n            points fitted
     */
    public record Fit(double[] coefficients, double rss, double tss, int n) {

        /** Coefficient of determination, or null when y is constant (R² undefined). */
        public Double r2() {
            return tss > 0 ? 1 - rss / tss : null;
        }
    }

    private LeastSquares() {
    }

    /** y = a + b·x. Needs two distinct x. */
    public static Fit linear(double[] x, double[] y) {
        double s = scale(x);
        double[][] design = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            design[i] = new double[] {1, x[i] / s};
        }
        Fit f = solve(design, y);
        double[] c = f.coefficients();
        return new Fit(new double[] {c[0], c[1] / s}, f.rss(), f.tss(), f.n());
    }

    /** y = a + b·x + c·x². Needs three distinct x. */
    static Fit quadratic(double[] x, double[] y) {
        double s = scale(x);
        double[][] design = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            double u = x[i] / s;
            design[i] = new double[] {1, u, u * u};
        }
        Fit f = solve(design, y);
        double[] c = f.coefficients();
        return new Fit(new double[] {c[0], c[1] / s, c[2] / (s * s)}, f.rss(), f.tss(), f.n());
    }

    /** y = a + b·x + d·max(0, x − knot): a continuous line whose slope changes from b to b + d at the knot. */
    static Fit hinge(double[] x, double[] y, double knot) {
        double s = scale(x);
        double[][] design = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            double u = x[i] / s;
            design[i] = new double[] {1, u, Math.max(0, u - knot / s)};
        }
        Fit f = solve(design, y);
        double[] c = f.coefficients();
        return new Fit(new double[] {c[0], c[1] / s, c[2] / s}, f.rss(), f.tss(), f.n());
    }

    /**
     * The p-value of an F-test that a model with {@code extra} more parameters fits better than the
     * nested simpler one: F = ((RSS₀ − RSS₁)/extra) / (RSS₁/df₁).
     *
     * @param dfFull residual degrees of freedom of the larger model (points − its parameters), ≥ 1
     */
    static double fTestP(double rssReduced, double rssFull, int extra, int dfFull) {
        if (rssFull <= 0) {
            return rssReduced > 0 ? 0 : 1;
        }
        double f = Math.max(0, (rssReduced - rssFull) / extra) / (rssFull / dfFull);
        return 1 - new FDistribution(null, extra, dfFull).cumulativeProbability(f);
    }

    private static double scale(double[] x) {
        double s = 0;
        for (double v : x) {
            s = Math.max(s, Math.abs(v));
        }
        return s > 0 ? s : 1;
    }

    private static Fit solve(double[][] design, double[] y) {
        RealVector beta = new QRDecomposition(MatrixUtils.createRealMatrix(design)).getSolver()
                .solve(new ArrayRealVector(y));
        double mean = 0;
        for (double v : y) {
            mean += v / y.length;
        }
        double rss = 0;
        double tss = 0;
        for (int i = 0; i < y.length; i++) {
            double predicted = 0;
            for (int j = 0; j < design[i].length; j++) {
                predicted += design[i][j] * beta.getEntry(j);
            }
            rss += (y[i] - predicted) * (y[i] - predicted);
            tss += (y[i] - mean) * (y[i] - mean);
        }
        return new Fit(beta.toArray(), rss, tss, y.length);
    }
}
