package org.autobalance.testing;

import java.util.SplittableRandom;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * Plain {@code double[][]} linear algebra, written the textbook way, independent of the engine: the oracle of the
 * solver tests.
 */
public final class Dense {
    private Dense() {
    }

    public static double[][] gaussian(int rows, int cols, double scale, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[][] a = new double[rows][cols];
        for (double[] row : a) {
            for (int j = 0; j < cols; j++) {
                row[j] = scale * random.nextGaussian();
            }
        }
        return a;
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

    public static double frobenius(double[][] a) {
        double s = 0.0;
        for (double[] row : a) {
            for (double x : row) {
                s += x * x;
            }
        }
        return Math.sqrt(s);
    }

    /** The residual R = UVᵀ − M, formed explicitly. */
    public static double[][] residual(double[][] m, double[][] u, double[][] v) {
        return addScaled(multiply(u, transpose(v)), -1.0, m);
    }

    /** ½‖UVᵀ − M‖²_F. */
    public static double loss(double[][] m, double[][] u, double[][] v) {
        double n = frobenius(residual(m, u, v));
        return 0.5 * n * n;
    }

    /** UᵀU − VᵀV. */
    public static double[][] imbalance(double[][] u, double[][] v) {
        return addScaled(multiply(transpose(u), u), -1.0, multiply(transpose(v), v));
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
        double d = frobenius(imbalance(u, v));
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

    /** A d1 × d2 matrix of exact rank r with singular values {@code sigma} (orthonormal factors from Gram-Schmidt). */
    public static double[][] withSpectrum(int d1, int d2, double[] sigma, long seed) {
        double[][] left = orthonormalColumns(gaussian(d1, sigma.length, 1.0, seed));
        double[][] right = orthonormalColumns(gaussian(d2, sigma.length, 1.0, seed + 1));
        double[][] m = new double[d1][d2];
        for (int k = 0; k < sigma.length; k++) {
            for (int i = 0; i < d1; i++) {
                for (int j = 0; j < d2; j++) {
                    m[i][j] += sigma[k] * left[i][k] * right[j][k];
                }
            }
        }
        return m;
    }

    /** Modified Gram-Schmidt on the columns of a (d × k, k ≤ d), twice for full orthogonality. */
    public static double[][] orthonormalColumns(double[][] a) {
        double[][] q = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            q[i] = a[i].clone();
        }
        int k = a[0].length;
        for (int pass = 0; pass < 2; pass++) {
            for (int c = 0; c < k; c++) {
                for (int p = 0; p < c; p++) {
                    double dot = 0.0;
                    for (double[] row : q) {
                        dot += row[c] * row[p];
                    }
                    for (double[] row : q) {
                        row[c] -= dot * row[p];
                    }
                }
                double norm = 0.0;
                for (double[] row : q) {
                    norm += row[c] * row[c];
                }
                norm = Math.sqrt(norm);
                for (double[] row : q) {
                    row[c] /= norm;
                }
            }
        }
        return q;
    }
}
