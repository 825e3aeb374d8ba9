package org.autobalance.solve;

/**
 * Dense r × r matrices in row-major {@code double[]}: the few operations the solver needs on Gram matrices. Public
 * for the distributed driver (the Spark module), which keeps the same bookkeeping on the Grams it reduces.
 */
public final class SmallLinearAlgebra {
    private SmallLinearAlgebra() {
    }

    /** Σ_ab a[ab]·b[ab], the Frobenius inner product. */
    public static double inner(double[] a, double[] b) {
        double s = 0.0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** ‖a − b‖_F. */
    public static double distance(double[] a, double[] b) {
        double s = 0.0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            s += d * d;
        }
        return Math.sqrt(s);
    }

    /** The trace of an r × r matrix. */
    public static double trace(double[] a, int r) {
        double s = 0.0;
        for (int i = 0; i < r; i++) {
            s += a[i * r + i];
        }
        return s;
    }

    /**
     * The inverse transpose L⁻ᵀ of the Cholesky factor of a symmetric positive definite {@code a} = L Lᵀ, so that
     * X·L⁻ᵀ has orthonormal columns when a = XᵀX.
     *
     * @throws IllegalArgumentException if {@code a} is not numerically positive definite
     */
    static double[] inverseCholeskyTranspose(double[] a, int r) {
        double[] l = new double[r * r];
        for (int j = 0; j < r; j++) {
            double d = a[j * r + j];
            for (int k = 0; k < j; k++) {
                d -= l[j * r + k] * l[j * r + k];
            }
            if (!(d > 0)) {
                throw new IllegalArgumentException("Gram matrix is not positive definite (column " + j + ")");
            }
            double ljj = Math.sqrt(d);
            l[j * r + j] = ljj;
            for (int i = j + 1; i < r; i++) {
                double s = a[i * r + j];
                for (int k = 0; k < j; k++) {
                    s -= l[i * r + k] * l[j * r + k];
                }
                l[i * r + j] = s / ljj;
            }
        }
        // W = L⁻ᵀ is upper triangular; solve Lᵀ W = I column by column (back substitution).
        double[] w = new double[r * r];
        for (int c = 0; c < r; c++) {
            for (int i = r - 1; i >= 0; i--) {
                double s = i == c ? 1.0 : 0.0;
                for (int k = i + 1; k < r; k++) {
                    s -= l[k * r + i] * w[k * r + c];
                }
                w[i * r + c] = s / l[i * r + i];
            }
        }
        return w;
    }
}
