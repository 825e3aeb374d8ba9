package org.autobalance.solve;

import org.autobalance.memory.DenseMatrix;

/**
 * The imbalance D = UᵀU − VᵀV (r × r, row-major), the matrix gradient flow conserves, and its drift between two
 * iterates: for experiments and benchmarks that need D itself rather than the ‖D‖_F of the iteration records.
 */
public final class Imbalance {
    private Imbalance() {
    }

    /** UᵀU − VᵀV of factors with r columns each, accumulated in double. */
    public static double[] of(DenseMatrix u, DenseMatrix v) {
        int r = u.cols();
        if (v.cols() != r) {
            throw new IllegalArgumentException("U has " + r + " columns but V has " + v.cols());
        }
        double[] d = new double[r * r];
        accumulate(u, d, 1.0);
        accumulate(v, d, -1.0);
        return d;
    }

    /** As {@link #of(DenseMatrix, DenseMatrix)} for factors given as arrays (rows of length r). */
    public static double[] of(double[][] u, double[][] v) {
        int r = u[0].length;
        double[] d = new double[r * r];
        for (int sign = 1; sign >= -1; sign -= 2) {
            for (double[] row : sign > 0 ? u : v) {
                for (int a = 0; a < r; a++) {
                    for (int b = 0; b < r; b++) {
                        d[a * r + b] += sign * row[a] * row[b];
                    }
                }
            }
        }
        return d;
    }

    /** ‖D₁ − D₀‖_F. */
    public static double drift(double[] d0, double[] d1) {
        return SmallLinearAlgebra.distance(d0, d1);
    }

    private static void accumulate(DenseMatrix x, double[] d, double sign) {
        int r = x.cols();
        for (int i = 0; i < x.rows(); i++) {
            for (int a = 0; a < r; a++) {
                double xa = sign * x.get(i, a);
                for (int b = 0; b < r; b++) {
                    d[a * r + b] += xa * x.get(i, b);
                }
            }
        }
    }
}
