package org.autobalance.solve;

import java.util.Arrays;

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

    /**
     * The singular values of UVᵀ, largest first, from the Grams alone: with UᵀU = QΛQᵀ, the non-zero σᵢ(UVᵀ)² are the
     * eigenvalues of the symmetric S = Λ^½Qᵀ(VᵀV)QΛ^½ (S has the eigenvalues of UᵀU·VᵀV, and (UVᵀ)ᵀ(UVᵀ) = V(UᵀU)Vᵀ
     * has the same non-zero ones). Costs O(r³); no pass over the factors.
     *
     * @param gramU UᵀU, r × r (not modified)
     * @param gramV VᵀV, r × r (not modified)
     */
    public static double[] productSingularValues(double[] gramU, double[] gramV, int r) {
        double[] q = new double[r * r];
        double[] lambda = symmetricEigen(gramU.clone(), r, q);
        // W = QΛ^½ (a rounding-negative eigenvalue of the positive semi-definite Gram is 0)
        double[] w = new double[r * r];
        for (int i = 0; i < r; i++) {
            for (int k = 0; k < r; k++) {
                w[i * r + k] = q[i * r + k] * Math.sqrt(Math.max(lambda[k], 0.0));
            }
        }
        double[] s = congruence(gramV, w, r, r);
        double[] sigma = symmetricEigen(s, r, null);
        for (int k = 0; k < r; k++) {
            sigma[k] = Math.sqrt(Math.max(sigma[k], 0.0));
        }
        return sigma;
    }

    /**
     * max over w of (wᵀAw)/(wᵀBw) for symmetric positive semi-definite A and B, w restricted to the directions in which
     * B is numerically non-singular (eigenvalues above {@code floor} times its largest): with B = QΛQᵀ, the largest
     * eigenvalue of Λ^−½QᵀAQΛ^−½ on those directions; 0 if B is zero. Neither argument is modified.
     */
    static double largestGeneralizedEigenvalue(double[] a, double[] b, int r, double floor) {
        double[] q = new double[r * r];
        double[] lambda = symmetricEigen(b.clone(), r, q);
        int kept = 0;
        while (kept < r && lambda[kept] > floor * lambda[0]) {
            kept++;
        }
        if (kept == 0) {
            return 0.0;
        }
        double[] w = new double[r * kept];
        for (int i = 0; i < r; i++) {
            for (int k = 0; k < kept; k++) {
                w[i * kept + k] = q[i * r + k] / Math.sqrt(lambda[k]);
            }
        }
        return symmetricEigen(congruence(a, w, r, kept), kept, null)[0];
    }

    /** WᵀAW for symmetric r × r A and r × k W (row-major), a symmetric k × k matrix. */
    private static double[] congruence(double[] a, double[] w, int r, int k) {
        double[] aw = new double[r * k];
        for (int i = 0; i < r; i++) {
            for (int c = 0; c < k; c++) {
                double t = 0.0;
                for (int j = 0; j < r; j++) {
                    t += a[i * r + j] * w[j * k + c];
                }
                aw[i * k + c] = t;
            }
        }
        double[] s = new double[k * k];
        for (int x = 0; x < k; x++) {
            for (int y = x; y < k; y++) {
                double t = 0.0;
                for (int i = 0; i < r; i++) {
                    t += w[i * k + x] * aw[i * k + y];
                }
                s[x * k + y] = t;
                s[y * k + x] = t;
            }
        }
        return s;
    }

    /**
     * The eigenvalues of a symmetric r × r matrix, largest first, by the cyclic Jacobi method (Golub &amp; Van Loan,
     * Matrix Computations, §8.5): rotations annihilate each off-diagonal entry in turn until the off-diagonal part is
     * at the rounding level of the matrix. Jacobi is chosen for its accuracy on the graded Gram matrices met here
     * (eigenvalues from σ₁ down to the scale of a small start), not for speed: r is small.
     *
     * @param a the matrix, row-major (destroyed: left nearly diagonal)
     * @param vectors if not null, receives the eigenvectors as columns, in the order of the returned eigenvalues
     */
    public static double[] symmetricEigen(double[] a, int r, double[] vectors) {
        // the rotations' product, only when the vectors are asked for: a third of each rotation's work, and the
        // values do not depend on it (σ₁'s estimate asks for values only in half its eigenproblems)
        double[] z = vectors == null ? null : new double[r * r];
        if (z != null) {
            for (int i = 0; i < r; i++) {
                z[i * r + i] = 1.0;
            }
        }
        double total = 0.0;
        for (double x : a) {
            total += x * x;
        }
        // a sweep reduces off(A) quadratically once it is small; 60 sweeps are never needed in practice
        for (int sweep = 0; sweep < 60; sweep++) {
            double off = 0.0;
            for (int p = 0; p < r; p++) {
                for (int q = p + 1; q < r; q++) {
                    off += a[p * r + q] * a[p * r + q];
                }
            }
            if (off <= 0x1p-106 * total) {
                break;
            }
            for (int p = 0; p < r; p++) {
                for (int q = p + 1; q < r; q++) {
                    double apq = a[p * r + q];
                    if (apq == 0.0) {
                        continue;
                    }
                    // the rotation (c, s) with tan 2θ = 2a_pq/(a_qq − a_pp), choosing the smaller angle
                    double theta = (a[q * r + q] - a[p * r + p]) / (2 * apq);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0.0) {
                        t = 1.0;
                    }
                    double c = 1 / Math.sqrt(t * t + 1);
                    double s = t * c;
                    for (int k = 0; k < r; k++) {
                        double akp = a[k * r + p];
                        double akq = a[k * r + q];
                        a[k * r + p] = c * akp - s * akq;
                        a[k * r + q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < r; k++) {
                        double apk = a[p * r + k];
                        double aqk = a[q * r + k];
                        a[p * r + k] = c * apk - s * aqk;
                        a[q * r + k] = s * apk + c * aqk;
                    }
                    if (z != null) {
                        for (int k = 0; k < r; k++) {
                            double zkp = z[k * r + p];
                            double zkq = z[k * r + q];
                            z[k * r + p] = c * zkp - s * zkq;
                            z[k * r + q] = s * zkp + c * zkq;
                        }
                    }
                }
            }
        }
        Integer[] order = new Integer[r];
        for (int k = 0; k < r; k++) {
            order[k] = k;
        }
        Arrays.sort(order, (x, y) -> Double.compare(a[y * r + y], a[x * r + x]));
        double[] lambda = new double[r];
        for (int k = 0; k < r; k++) {
            lambda[k] = a[order[k] * r + order[k]];
            if (vectors != null) {
                for (int i = 0; i < r; i++) {
                    vectors[i * r + k] = z[i * r + order[k]];
                }
            }
        }
        return lambda;
    }
}
