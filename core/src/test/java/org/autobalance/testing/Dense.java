package org.autobalance.testing;

import java.util.Arrays;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.synthetic.KnownMatrices;

/**
 * Plain {@code double[][]} linear algebra, written the textbook way, independent of the engine: the oracle of the
 * solver tests.
 */
public final class Dense {
    private Dense() {
    }

    public static DenseMatrix matrix(DType dtype, double[][] a) {
        return DenseMatrix.of(dtype, a);
    }

    public static double[][] multiply(double[][] a, double[][] b) {
        double[][] c = new double[a.length][b[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int k = 0; k < b.length; k++) {
                double aik = a[i][k];
                for (int j = 0; j < b[0].length; j++) {
                    c[i][j] += aik * b[k][j];
                }
            }
        }
        return c;
    }

    public static double[][] transpose(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                t[j][i] = a[i][j];
            }
        }
        return t;
    }

    /** a + s·b */
    public static double[][] addScaled(double[][] a, double s, double[][] b) {
        double[][] c = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                c[i][j] = a[i][j] + s * b[i][j];
            }
        }
        return c;
    }

    /** The residual R = UVᵀ − M, formed explicitly. */
    public static double[][] residual(double[][] m, double[][] u, double[][] v) {
        return addScaled(multiply(u, transpose(v)), -1.0, m);
    }

    /** ½‖UVᵀ − M‖²_F. */
    public static double loss(double[][] m, double[][] u, double[][] v) {
        double n = KnownMatrices.frobenius(residual(m, u, v));
        return 0.5 * n * n;
    }

    /** UᵀU − VᵀV. */
    public static double[][] imbalance(double[][] u, double[][] v) {
        return addScaled(multiply(transpose(u), u), -1.0, multiply(transpose(v), v));
    }

    /** XᵀX (r × r, row-major) of the rows of x: the Gram matrix as the solver's r × r arrays hold it. */
    public static double[] gram(double[][] x) {
        int r = x[0].length;
        double[] g = new double[r * r];
        for (double[] row : x) {
            for (int a = 0; a < r; a++) {
                for (int b = 0; b < r; b++) {
                    g[a * r + b] += row[a] * row[b];
                }
            }
        }
        return g;
    }

    /** One textbook simultaneous GD step: R = UVᵀ − M; U' = U − ηRV; V' = V − ηRᵀU. Returns {U', V'}. */
    public static double[][][] textbookStep(double[][] m, double[][] u, double[][] v, double eta) {
        double[][] r = residual(m, u, v);
        double[][] gu = multiply(r, v);
        double[][] gv = multiply(transpose(r), u);
        return new double[][][] {addScaled(u, -eta, gu), addScaled(v, -eta, gv)};
    }

    /**
     * One textbook alternating GD step (Ward &amp; Kolda): U' = U − η(UVᵀ − M)V, then V' = V − η(U'Vᵀ − M)ᵀU'.
     * Returns {U', V'}.
     */
    public static double[][][] alternatingStep(double[][] m, double[][] u, double[][] v, double eta) {
        double[][] u1 = addScaled(u, -eta, multiply(residual(m, u, v), v));
        double[][] v1 = addScaled(v, -eta, multiply(transpose(residual(m, u1, v)), u1));
        return new double[][][] {u1, v1};
    }

    /**
     * One textbook step on f + (λ/4)‖UᵀU − VᵀV‖²_F: with D = UᵀU − VᵀV, U' = U − η(RV + λUD) and
     * V' = V − η(RᵀU − λVD). Returns {U', V'}.
     */
    public static double[][][] regularizedStep(double[][] m, double[][] u, double[][] v, double eta, double lambda) {
        double[][] r = residual(m, u, v);
        double[][] d = imbalance(u, v);
        double[][] gu = addScaled(multiply(r, v), lambda, multiply(u, d));
        double[][] gv = addScaled(multiply(transpose(r), u), -lambda, multiply(v, d));
        return new double[][][] {addScaled(u, -eta, gu), addScaled(v, -eta, gv)};
    }

    /** f + (λ/4)‖UᵀU − VᵀV‖²_F. */
    public static double regularizedLoss(double[][] m, double[][] u, double[][] v, double lambda) {
        double d = KnownMatrices.frobenius(imbalance(u, v));
        return loss(m, u, v) + lambda / 4 * d * d;
    }

    /** Largest |a − b| over all entries. */
    public static double maxAbsDifference(double[][] a, double[][] b) {
        double d = 0.0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                d = Math.max(d, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return d;
    }

    /** Each entry rounded to the nearest float (Java's (float) cast), kept as the exact double that float is. */
    public static double[][] roundedToFloat(double[][] values) {
        double[][] rounded = new double[values.length][];
        for (int i = 0; i < values.length; i++) {
            rounded[i] = new double[values[i].length];
            for (int j = 0; j < values[i].length; j++) {
                rounded[i][j] = (float) values[i][j];
            }
        }
        return rounded;
    }

    public static double maxAbs(double[][] a) {
        double d = 0.0;
        for (double[] row : a) {
            for (double x : row) {
                d = Math.max(d, Math.abs(x));
            }
        }
        return d;
    }

    /**
     * The singular values of a, largest first, by one-sided Jacobi (Hestenes 1958; Demmel &amp; Veselić 1992): plane
     * rotations orthogonalise the columns pairwise until every pair is orthogonal to working precision; the column
     * norms are then the singular values, to high relative accuracy. A method of its own (no power iteration, no Gram
     * matrix), so that it is an independent oracle for the solver's optima.
     */
    public static double[] singularValues(double[][] a) {
        boolean wide = a[0].length > a.length;
        // work on the columns of the taller orientation, stored as rows for contiguous access
        double[][] c = wide ? a.clone() : transpose(a);
        if (wide) {
            for (int i = 0; i < c.length; i++) {
                c[i] = c[i].clone();
            }
        }
        int n = c.length;
        double[] norms = new double[n];
        for (int sweep = 0; sweep < 60; sweep++) {
            boolean rotated = false;
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    double[] x = c[p];
                    double[] y = c[q];
                    double alpha = 0.0;
                    double beta = 0.0;
                    double gamma = 0.0;
                    for (int k = 0; k < x.length; k++) {
                        alpha += x[k] * x[k];
                        beta += y[k] * y[k];
                        gamma += x[k] * y[k];
                    }
                    if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) {
                        continue;
                    }
                    rotated = true;
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.signum(zeta) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
                    if (zeta == 0.0) {
                        t = 1.0;
                    }
                    double cs = 1 / Math.sqrt(1 + t * t);
                    double sn = cs * t;
                    for (int k = 0; k < x.length; k++) {
                        double xk = x[k];
                        x[k] = cs * xk - sn * y[k];
                        y[k] = sn * xk + cs * y[k];
                    }
                }
            }
            if (!rotated) {
                break;
            }
        }
        for (int p = 0; p < n; p++) {
            double s = 0.0;
            for (double x : c[p]) {
                s += x * x;
            }
            norms[p] = Math.sqrt(s);
        }
        Arrays.sort(norms);
        for (int i = 0, j = n - 1; i < j; i++, j--) {
            double swap = norms[i];
            norms[i] = norms[j];
            norms[j] = swap;
        }
        return norms;
    }
}
