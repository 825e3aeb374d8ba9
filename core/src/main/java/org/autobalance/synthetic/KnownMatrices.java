package org.autobalance.synthetic;

import java.util.SplittableRandom;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * Seeded matrices whose properties are known by construction — i.i.d. Gaussian entries, orthonormal columns, an exact
 * singular spectrum — for the tests, the reproduction experiments, the demo and the benchmarks: one generator, so
 * the same seed gives the same matrix everywhere.
 */
public final class KnownMatrices {
    private KnownMatrices() {
    }

    /** A {@code rows × cols} array of independent N(0, scale²) entries, row by row from {@code seed}. */
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

    /** As {@link #gaussian(int, int, double, long)}, as a new matrix of {@code dtype} (rounded for float32). */
    public static DenseMatrix gaussian(DType dtype, int rows, int cols, double scale, long seed) {
        DenseMatrix m = DenseMatrix.allocate(dtype, rows, cols);
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                m.set(i, j, scale * random.nextGaussian());
            }
        }
        return m;
    }

    /**
     * The columns of {@code a} (d × k, k ≤ d, full column rank) orthonormalised by modified Gram–Schmidt, run twice so
     * that the columns are orthogonal to rounding ("twice is enough", Giraud et al. 2005). {@code a} is not modified.
     */
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

    /**
     * A d1 × d2 matrix Σ_k σ_k x_k y_kᵀ of exact rank {@code sigma.length} with singular values {@code sigma} and
     * orthonormal x_k, y_k (Gaussian columns from {@code seed} and {@code seed + 1}, orthonormalised).
     */
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

    /** ‖a‖_F, summed in double in row order. */
    public static double frobenius(double[][] a) {
        double s = 0.0;
        for (double[] row : a) {
            for (double x : row) {
                s += x * x;
            }
        }
        return Math.sqrt(s);
    }

    /** ‖m‖_F, summed in double in row order. */
    public static double frobenius(DenseMatrix m) {
        double s = 0.0;
        for (int i = 0; i < m.rows(); i++) {
            for (int j = 0; j < m.cols(); j++) {
                double x = m.get(i, j);
                s += x * x;
            }
        }
        return Math.sqrt(s);
    }
}
