package org.autobalance.solve.internal;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Dense r × r matrices in row-major {@code double[]}: the few operations the solver needs on Gram matrices. Public
 * for the distributed driver (the Spark module), which keeps the same bookkeeping on the Grams it reduces.
 */
public final class SmallLinearAlgebra {
    /**
     * Lanczos stops when its top Ritz value's error, estimated from the residual and the gap, is this relatively.
     */
    public static final double LANCZOS_TOLERANCE = 1e-14;
    /**
     * The pivot thresholds {@link #largestGeneralizedEigenvalueBound} tries, as fractions of its floor times g,
     * lowest first; measured, not derived (its javadoc).
     */
    private static final double[] PIVOT_LADDER = {1e-4, 1e-2, 1};
    /** Lanczos vectors allocated at a time ({@link #lanczosLargest}). */
    private static final int LANCZOS_CHUNK = 32;
    /**
     * QL iterations allowed per eigenvalue before {@link #symmetricEigenTridiagonal} gives up: EISPACK tql2's 30
     * (about 2 are typical; convergence is cubic for nearly every matrix).
     */
    public static final int QL_ITERATIONS_PER_VALUE = 30;

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
    public static double[] inverseCholeskyTranspose(double[] a, int r) {
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
     * eigenvalue of Λ^−½QᵀAQΛ^−½ on those directions; 0 if B is zero. Neither argument is modified. Two Jacobi
     * eigenproblems, tens of r³ operations: the reference for {@link #largestGeneralizedEigenvalueBound}, which σ₁
     * uses, and its answer where its one direction falls below the floor.
     */
    public static double largestGeneralizedEigenvalue(double[] a, double[] b, int r, double floor) {
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

    /**
     * A lower bound on λ_max(A, B) = max_w wᵀAw/wᵀBw for symmetric positive semi-definite A and B, read along one w
     * that lies above the floor — wᵀBw > {@code floor}·g·‖w‖², g = max_i Σ_j |b_ij| ≥ λ_max(B) (Gershgorin) — found
     * in O(r³/6) for B's factor and O(k²) per step after it, where the Jacobi path ({@link
     * #largestGeneralizedEigenvalue}) costs tens of r³ (6–8 ms at r = 64, 1.4 s at 256). The condition on w is what
     * the floor's error analysis asks of a direction a bound is read along (SpectralNorm.gramFloor: the rounding of
     * the products M·V along w is then at most c·u·‖M‖_F·√(λ_max(B))·‖w‖), and every direction the Jacobi path keeps
     * meets it. For each pivot threshold t of {@link #PIVOT_LADDER}, lowest first:
     * <ol>
     *   <li>B's Cholesky factor with diagonal pivoting, B_PP = LLᵀ, stopped before the first pivot at or below t: it
     *       keeps the k columns P that hold a part of V outside the others' span above t, and drops those that hold
     *       only rounding.
     *   <li>Lanczos on C = L⁻¹A_PP L⁻ᵀ (k × k, never formed: a step is two triangular solves and a product with
     *       A_PP), re-orthogonalised against every earlier vector, to its top Ritz vector z, within {@link
     *       #LANCZOS_TOLERANCE} of λ_max(C) at the stop; w = L⁻ᵀz (zero outside P).
     *   <li>If w lies above the floor, the answer is wᵀAw/wᵀBw, summed from A and B themselves: below λ_max(A, B)
     *       whatever z is, and only quadratically below it in z's error. (The Ritz value zᵀCz carries the rounding
     *       of L's solves, as ill-conditioned as B in the basis of V's columns, which power iteration grades along
     *       directions that mix every column: on such pencils it was up to 7·10⁻⁹ below λ_max and 2·10⁻¹⁰ above it,
     *       where the recomputed quotient meets the rounding tolerance of
     *       SmallLinearAlgebraTest.theBoundIsExactOnGradedPencils, 10⁻¹³ to 10⁻¹².) Else the next threshold.
     * </ol>
     * Where no threshold gives such a w (a combination of kept columns below the floor carries the top quotient,
     * which pivoting cannot see), the Jacobi path answers. Why thresholds below the floor: the top direction of a
     * block graded by power iteration combines every column, much of it along B's small eigenvalues, yet stays well
     * above the floor itself (10 to 300 times, on the pencils of a float32 block of 100 columns at M's rank); cutting
     * columns at the floor cost such bounds 10⁻⁴ to 10⁻³ relatively, and cutting eigenvalues at it (the Jacobi path)
     * 10⁻⁵ to 10⁻³ (native-notes/startup.md, eleventh session). Neither argument is modified; 0 if B is zero.
     */
    public static double largestGeneralizedEigenvalueBound(double[] a, double[] b, int r, double floor) {
        double g = gershgorin(b, r);
        if (!(g > 0)) {
            return 0.0;
        }
        double tried = 0.0;
        for (double fraction : PIVOT_LADDER) {
            // pivots below a few r·ε·g are B's rounding
            double threshold = Math.max(fraction * floor, 16 * r * 0x1p-52) * g;
            if (threshold > tried) {
                tried = threshold;
                double bound = ritzQuotient(a, b, r, floor * g, threshold);
                if (!Double.isNaN(bound)) {
                    return bound;
                }
            }
        }
        return largestGeneralizedEigenvalue(a, b, r, floor);
    }

    /** A symmetric k × k linear map, applied without forming its matrix. */
    @FunctionalInterface
    public interface Operator {
        /** v = C·x for the k-vector x at {@code from} of {@code x} (v has length k). */
        void apply(double[] x, int from, double[] v);
    }

    /**
     * The largest eigenvalue of a symmetric positive semi-definite k × k operator, as the Rayleigh quotient of the
     * top Ritz vector of Lanczos with full re-orthogonalisation ({@link #LANCZOS_TOLERANCE}): not above it but for
     * the rounding of the products with C, and below it only by the square of the vector's error. Its m steps (at
     * most k) cost m products with C and O(m²k) for the re-orthogonalisation, and its basis holds about m·k
     * doubles, where a dense eigen-decomposition of C costs O(k³) time and k² space (the escape probe's σ₁ of a layer
     * at the start: C = AAᵀ applied as A(Aᵀx), never formed; 75 steps at k = 2000 on a Gaussian layer).
     */
    public static double largestEigenvalue(Operator c, int k) {
        double[] z = new double[k];
        lanczosLargest(c, k, z);
        double[] cz = new double[k];
        c.apply(z, 0, cz);
        double zz = dot(z, 0, z, 0, k);
        return zz > 0 ? dot(z, 0, cz, 0, k) / zz : 0.0;
    }

    /** max_i Σ_j |b_ij| of an r × r matrix: an upper bound on its largest eigenvalue (Gershgorin). */
    public static double gershgorin(double[] b, int r) {
        double g = 0.0;
        for (int i = 0; i < r; i++) {
            double rowSum = 0.0;
            for (int j = 0; j < r; j++) {
                rowSum += Math.abs(b[i * r + j]);
            }
            g = Math.max(g, rowSum);
        }
        return g;
    }

    /**
     * The quotient wᵀAw/wᵀBw at the top Ritz vector w of {@link #largestGeneralizedEigenvalueBound}'s steps 1–3 with
     * pivot threshold {@code threshold}, or NaN where wᵀBw ≤ {@code admissible}·‖w‖².
     */
    private static double ritzQuotient(double[] a, double[] b, int r, double admissible, double threshold) {
        int[] pivots = new int[r];
        double[] l = new double[r * r];
        int k = pivotedCholesky(b, r, threshold, pivots, l);
        if (k == 0) {
            return 0.0;
        }
        double[] ap = new double[k * k];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                ap[i * k + j] = a[pivots[i] * r + pivots[j]];
            }
        }
        double[] w = new double[k];
        double[] y = new double[k];
        lanczosLargest((q, from, v) -> applyWhitened(ap, l, r, k, q, from, y, v), k, w);
        backSubstituteTransposed(l, r, k, w);
        double waw = 0.0;
        double wbw = 0.0;
        double ww = 0.0;
        for (int i = 0; i < k; i++) {
            waw += w[i] * dot(ap, i * k, w, 0, k);
            wbw += w[i] * pivotedRowDot(b, pivots[i] * r, pivots, w, k);
            ww += w[i] * w[i];
        }
        return wbw > admissible * ww ? waw / wbw : Double.NaN;
    }

    /**
     * The Cholesky factor of a symmetric positive semi-definite r × r {@code b} with diagonal pivoting: at each step
     * the column with the largest remaining (Schur complement) diagonal, until that is at most {@code threshold}.
     * Writes the kept columns' indices in order into {@code pivots} and the factor, lower triangular in pivot order,
     * into {@code l} (stride r); returns how many were kept.
     */
    private static int pivotedCholesky(double[] b, int r, double threshold, int[] pivots, double[] l) {
        double[] remaining = new double[r];
        for (int i = 0; i < r; i++) {
            pivots[i] = i;
            remaining[i] = b[i * r + i];
        }
        for (int j = 0; j < r; j++) {
            int p = j;
            for (int i = j + 1; i < r; i++) {
                if (remaining[i] > remaining[p]) {
                    p = i;
                }
            }
            if (!(remaining[p] > threshold)) {
                return j;
            }
            swap(pivots, remaining, l, r, j, p);
            double ljj = Math.sqrt(remaining[j]);
            l[j * r + j] = ljj;
            for (int i = j + 1; i < r; i++) {
                double lij = lessDot(b[pivots[i] * r + pivots[j]], l, i * r, j * r, j) / ljj;
                l[i * r + j] = lij;
                remaining[i] -= lij * lij;
            }
        }
        return r;
    }

    /** s − Σ_t x[i + t]·x[j + t], t &lt; n, subtracting term by term. */
    private static double lessDot(double s, double[] x, int i, int j, int n) {
        double rest = s;
        for (int t = 0; t < n; t++) {
            rest -= x[i + t] * x[j + t];
        }
        return rest;
    }

    /** Σ_j b[row + pivots[j]]·w[j], j &lt; k: a row of B_PP times w. */
    private static double pivotedRowDot(double[] b, int row, int[] pivots, double[] w, int k) {
        double s = 0.0;
        for (int j = 0; j < k; j++) {
            s += b[row + pivots[j]] * w[j];
        }
        return s;
    }

    /** Exchanges positions j and p (j &lt; p) of the pivoted factorisation: indices, remainders, factor rows. */
    private static void swap(int[] pivots, double[] remaining, double[] l, int r, int j, int p) {
        int index = pivots[j];
        pivots[j] = pivots[p];
        pivots[p] = index;
        double rest = remaining[j];
        remaining[j] = remaining[p];
        remaining[p] = rest;
        for (int t = 0; t < j; t++) {
            double x = l[j * r + t];
            l[j * r + t] = l[p * r + t];
            l[p * r + t] = x;
        }
    }

    /** x ← L⁻¹x for the k × k lower triangular L (stride r). */
    private static void forwardSubstitute(double[] l, int r, int k, double[] x) {
        for (int i = 0; i < k; i++) {
            double s = x[i];
            for (int j = 0; j < i; j++) {
                s -= l[i * r + j] * x[j];
            }
            x[i] = s / l[i * r + i];
        }
    }

    /** x ← L⁻ᵀx for the k × k lower triangular L (stride r), reading L by rows. */
    private static void backSubstituteTransposed(double[] l, int r, int k, double[] x) {
        for (int t = k - 1; t >= 0; t--) {
            x[t] /= l[t * r + t];
            for (int i = 0; i < t; i++) {
                x[i] -= l[t * r + i] * x[t];
            }
        }
    }

    /**
     * The Ritz vector Qs, into {@code ritz}, of the largest Ritz value of the symmetric k × k operator C (for the
     * bound, C = L⁻¹AL⁻ᵀ with L as {@link #pivotedCholesky} leaves it) by Lanczos with full re-orthogonalisation
     * from a fixed pseudo-random start (s the unit eigenvector of the tridiagonal T). Stops when the value's error,
     * estimated as min(ρ, ρ²/gap) from the residual ρ = β·|s_last| and the gap to the second Ritz value, is at most
     * {@link #LANCZOS_TOLERANCE} of it, when the space is invariant (β = 0), or after k steps (the whole space). The
     * basis Q grows {@link #LANCZOS_CHUNK} vectors at a time, as steps are taken: k·k doubles up front were 128 MB at
     * k = 4000 (a square wide layer's σ₁), where Lanczos stops after tens of steps.
     */
    private static void lanczosLargest(Operator c, int k, double[] ritz) {
        double[] q = new double[Math.min(k, LANCZOS_CHUNK) * k];
        double[] alpha = new double[k];
        double[] beta = new double[k];
        double[] v = new double[k];
        SplittableRandom random = new SplittableRandom(0x5EED);
        for (int i = 0; i < k; i++) {
            v[i] = random.nextGaussian();
        }
        double norm = Math.sqrt(dot(v, 0, v, 0, k));
        double[] s = null;
        int m = 0;
        // each loop over k in a method of its own: this one runs up to k steps in one call, and C2 compiled it (on
        // the stack, at each hot loop) up to five times when the loops were inline (native-notes/startup.md)
        while (true) {
            if ((m + 1) * k > q.length) {
                q = Arrays.copyOf(q, Math.min(k, m + LANCZOS_CHUNK) * k);
            }
            divideInto(v, norm, q, m * k, k);
            c.apply(q, m * k, v);
            alpha[m] = dot(q, m * k, v, 0, k);
            orthogonalise(q, m, k, v);
            norm = Math.sqrt(dot(v, 0, v, 0, k));
            beta[m] = norm;
            m++;
            double theta = tridiagonalEigenvalue(alpha, beta, m, 1);
            s = tridiagonalVector(alpha, beta, m, theta);
            double residual = norm * Math.abs(s[m - 1]);
            double error = residual;
            if (m > 1) {
                double gap = theta - tridiagonalEigenvalue(alpha, beta, m, 2);
                if (gap > 0) {
                    error = Math.min(residual, residual * residual / gap);
                }
            }
            if (m == k || norm == 0.0 || error <= LANCZOS_TOLERANCE * theta) {
                break;
            }
        }
        Arrays.fill(ritz, 0.0);
        for (int t = 0; t < m; t++) {
            axpy(s[t], q, t * k, ritz, 0, k);
        }
    }

    /** q[from + i] = v[i]/norm, i &lt; k. */
    private static void divideInto(double[] v, double norm, double[] q, int from, int k) {
        for (int i = 0; i < k; i++) {
            q[from + i] = v[i] / norm;
        }
    }

    /** v = C·q = L⁻¹(A(L⁻ᵀq)) for the k-vector q at {@code from} of {@code q}; y is scratch. */
    private static void applyWhitened(double[] a, double[] l, int r, int k, double[] q, int from, double[] y,
            double[] v) {
        System.arraycopy(q, from, y, 0, k);
        backSubstituteTransposed(l, r, k, y);
        for (int i = 0; i < k; i++) {
            v[i] = dot(a, i * k, y, 0, k);
        }
        forwardSubstitute(l, r, k, v);
    }

    /**
     * v less its components along the k-vectors 0 … m of q, by Gram–Schmidt twice: the three-term recurrence alone
     * loses orthogonality.
     */
    private static void orthogonalise(double[] q, int m, int k, double[] v) {
        for (int again = 0; again < 2; again++) {
            for (int t = 0; t <= m; t++) {
                axpy(-dot(q, t * k, v, 0, k), q, t * k, v, 0, k);
            }
        }
    }

    /** y[to + i] += c·x[from + i], i &lt; n, in order of i. */
    public static void axpy(double c, double[] x, int from, double[] y, int to, int n) {
        for (int i = 0; i < n; i++) {
            y[to + i] += c * x[from + i];
        }
    }

    /** Σ_i x[from + i]·y[to + i], i &lt; n, summed in order of i. */
    public static double dot(double[] x, int from, double[] y, int to, int n) {
        double s = 0.0;
        for (int i = 0; i < n; i++) {
            s += x[from + i] * y[to + i];
        }
        return s;
    }

    /**
     * The j-th largest eigenvalue (j = 1: the largest) of the m × m symmetric tridiagonal T with diagonal
     * {@code alpha} and off-diagonal {@code beta} (β_i joins i and i + 1), by bisection on the Sturm count from
     * Gershgorin's interval, to a relative width of 2⁻⁵⁰; the interval's upper end, so T − value·I has at most
     * j − 1 positive eigenvalues.
     */
    private static double tridiagonalEigenvalue(double[] alpha, double[] beta, int m, int j) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < m; i++) {
            double radius = (i > 0 ? Math.abs(beta[i - 1]) : 0.0) + (i + 1 < m ? Math.abs(beta[i]) : 0.0);
            lo = Math.min(lo, alpha[i] - radius);
            hi = Math.max(hi, alpha[i] + radius);
        }
        while (hi - lo > 0x1p-50 * Math.max(Math.abs(lo), Math.abs(hi))) {
            double mid = 0.5 * (lo + hi);
            if (mid <= lo || mid >= hi) {
                break;
            }
            // more than m − j eigenvalues below mid: the j-th largest is below it
            if (eigenvaluesBelow(alpha, beta, m, mid) > m - j) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        return hi;
    }

    /** How many eigenvalues of the tridiagonal T lie below x: the negative pivots of T − xI's LDLᵀ (Sturm). */
    private static int eigenvaluesBelow(double[] alpha, double[] beta, int m, double x) {
        int count = 0;
        double d = 1.0;
        for (int i = 0; i < m; i++) {
            d = alpha[i] - x - (i > 0 ? beta[i - 1] * beta[i - 1] / d : 0.0);
            if (d == 0.0) {
                d = -Double.MIN_NORMAL; // x is an eigenvalue of the leading block: count it as below
            }
            if (d < 0) {
                count++;
            }
        }
        return count;
    }

    /**
     * The unit eigenvector of the tridiagonal T for its largest eigenvalue, by two steps of inverse iteration at a
     * shift 2⁻⁴⁰·‖T‖ above {@code top} ({@link #tridiagonalEigenvalue}'s upper end, itself not below that eigenvalue):
     * T − shift·I is then negative definite, so its LDLᵀ needs no pivoting, and the solves grow a vector by at most
     * 2⁴⁰/‖T‖ (an exact eigenvalue as the shift would overflow them). Each step shrinks the other eigenvalues' part
     * by 2⁻⁴⁰·‖T‖ over their distance to the shift.
     */
    private static double[] tridiagonalVector(double[] alpha, double[] beta, int m, double top) {
        double norm = 0.0;
        for (int i = 0; i < m; i++) {
            norm = Math.max(norm, Math.abs(alpha[i]) + (i > 0 ? Math.abs(beta[i - 1]) : 0.0)
                    + (i + 1 < m ? Math.abs(beta[i]) : 0.0));
        }
        double[] x = new double[m];
        if (norm == 0.0) {
            x[0] = 1.0;
            return x;
        }
        double shift = top + 0x1p-40 * norm;
        double[] d = new double[m];
        for (int i = 0; i < m; i++) {
            d[i] = alpha[i] - shift - (i > 0 ? beta[i - 1] * beta[i - 1] / d[i - 1] : 0.0);
        }
        Arrays.fill(x, 1.0);
        for (int step = 0; step < 2; step++) {
            // solve LDLᵀx = x, with L unit lower bidiagonal, l_i = β_i/d_i
            for (int i = 1; i < m; i++) {
                x[i] -= beta[i - 1] / d[i - 1] * x[i - 1];
            }
            for (int i = 0; i < m; i++) {
                x[i] /= d[i];
            }
            for (int i = m - 2; i >= 0; i--) {
                x[i] -= beta[i] / d[i] * x[i + 1];
            }
            double length = Math.sqrt(dot(x, 0, x, 0, m));
            for (int i = 0; i < m; i++) {
                x[i] /= length;
            }
        }
        return x;
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
     * The eigenvalues of a symmetric r × r matrix, largest first, by Householder tridiagonalisation and the implicit
     * QL method (the EISPACK tred2/tql2 pair as JAMA's EigenvalueDecomposition writes it; Golub &amp; Van Loan, §8.3):
     * about 4r³/3 flops for the values and 3r³ to 6r³ more for the vectors, once, where {@link #symmetricEigen}'s
     * cyclic Jacobi costs about 6r³ per sweep (4r³ without the vectors) and takes 6 to 10 sweeps. The values are
     * backward stable, off by at most a small multiple of r·u·‖A‖ each (Jacobi's are relatively accurate on graded
     * matrices, which this one's small values are not), and the vectors of well-separated groups span their
     * invariant subspace to u·‖A‖ over the gap, as Jacobi's do.
     *
     * @param a the matrix, row-major (not modified)
     * @param vectors if not null, receives the eigenvectors as columns, in the order of the returned eigenvalues
     * @throws ArithmeticException if QL needs more than {@link #QL_ITERATIONS_PER_VALUE} iterations for a value
     */
    public static double[] symmetricEigenTridiagonal(double[] a, int r, double[] vectors) {
        return symmetricEigenTridiagonal(a, r, vectors, QL_ITERATIONS_PER_VALUE);
    }

    /**
     * {@link #symmetricEigenTridiagonal(double[], int, double[])} with at most {@code iterationsPerValue} QL
     * iterations per eigenvalue (a cap that does not stop it leaves the result's bits unchanged): how a caller's
     * fallback for QL's failure is tested, as no matrix is known to need more than the default.
     *
     * @throws ArithmeticException if QL needs more than {@code iterationsPerValue} iterations for a value; {@code
     *     vectors} is then untouched
     */
    public static double[] symmetricEigenTridiagonal(double[] a, int r, double[] vectors, int iterationsPerValue) {
        return symmetricEigenTridiagonal(a, r, vectors, iterationsPerValue, () -> { });
    }

    /**
     * {@link #symmetricEigenTridiagonal(double[], int, double[], int)}, calling {@code poll} between pieces of
     * O(r²) work (each Householder step, each accumulated transformation, each QL iteration): a caller abandons the
     * decomposition by throwing from it, which a whole decomposition of a 4000 × 4000 Gram (a minute) could not be.
     */
    public static double[] symmetricEigenTridiagonal(double[] a, int r, double[] vectors, int iterationsPerValue,
            Runnable poll) {
        // t[j][k] holds JAMA's V[k][j] (the transpose, so that the hot loops run along rows): at the end its rows are
        // the eigenvectors; A is symmetric, so it starts as A
        double[][] t = new double[r][];
        for (int i = 0; i < r; i++) {
            t[i] = Arrays.copyOfRange(a, i * r, i * r + r);
        }
        double[] d = new double[r];
        double[] e = new double[r];
        if (r == 0) {
            return d;
        }
        tridiagonalise(t, r, d, e, vectors != null, null, poll);
        tridiagonalQl(t, r, d, e, vectors != null, iterationsPerValue, poll);
        Integer[] order = new Integer[r];
        for (int k = 0; k < r; k++) {
            order[k] = k;
        }
        Arrays.sort(order, (x, y) -> Double.compare(d[y], d[x]));
        double[] lambda = new double[r];
        for (int k = 0; k < r; k++) {
            lambda[k] = d[order[k]];
            if (vectors != null) {
                double[] row = t[order[k]];
                for (int i = 0; i < r; i++) {
                    vectors[i * r + k] = row[i];
                }
            }
        }
        return lambda;
    }

    /**
     * The eigenvalues of a symmetric r × r matrix, largest first, bit for bit as {@link #symmetricEigenTridiagonal}
     * returns them (QL's values do not depend on its vectors), with the Householder reduction kept, so that the
     * eigenvectors of a few of them can follow ({@link PartialEigen#vectors}) for O(r²) each, where all of them cost
     * 3r³ to 6r³ flops more than the values' 4r³/3: the escape probe needs the few learned (or the few unlearned)
     * directions of a square wide layer, not a whole basis.
     *
     * @param a the matrix, row-major (not modified)
     * @throws ArithmeticException if QL needs more than {@code iterationsPerValue} iterations for a value
     */
    public static PartialEigen symmetricEigenValues(double[] a, int r, int iterationsPerValue) {
        return symmetricEigenValues(a, r, iterationsPerValue, () -> { });
    }

    /**
     * {@link #symmetricEigenValues(double[], int, int)}, calling {@code poll} between Householder steps and QL
     * iterations (O(r²) work at most between two calls); a caller abandons the reduction by throwing from it.
     */
    public static PartialEigen symmetricEigenValues(double[] a, int r, int iterationsPerValue, Runnable poll) {
        double[][] t = new double[r][];
        for (int i = 0; i < r; i++) {
            t[i] = Arrays.copyOfRange(a, i * r, i * r + r);
        }
        double[] d = new double[r];
        double[] e = new double[r];
        double[] h = new double[r];
        if (r == 0) {
            return new PartialEigen(t, h, d, e, d);
        }
        tridiagonalise(t, r, d, e, false, h, poll);
        double[] diagonal = d.clone();
        double[] offDiagonal = e.clone();
        tridiagonalQl(t, r, d, e, false, iterationsPerValue, poll);
        Arrays.sort(d);
        for (int i = 0, j = r - 1; i < j; i++, j--) {
            double swap = d[i];
            d[i] = d[j];
            d[j] = swap;
        }
        return new PartialEigen(t, h, diagonal, offDiagonal, d);
    }

    /**
     * A symmetric matrix's eigenvalues and its reduction A = V·T·Vᵀ to a tridiagonal T by Householder
     * transformations (V = P_{r−1}⋯P₁, P_i acting on the leading i coordinates), for the eigenvectors of some values.
     */
    public static final class PartialEigen {
        /** Solves per vector at most, and the solves after the first that shows convergence (LAPACK dstein's). */
        public static final int INVERSE_ITERATIONS = 5;
        private static final int EXTRA_ITERATIONS = 2;
        /** Values closer than this fraction of ‖T‖ are one cluster, whose vectors are orthogonalised (dstein's). */
        private static final double CLUSTER = 1e-3;
        private static final double EPS = 0x1p-52;

        private final double[][] reflectors;
        private final double[] h;
        private final double[] diagonal;
        /** offDiagonal[i] joins i − 1 and i (offDiagonal[0] = 0). */
        private final double[] offDiagonal;
        private final double[] values;
        private final double norm;

        private PartialEigen(double[][] reflectors, double[] h, double[] diagonal, double[] offDiagonal,
                double[] values) {
            this.reflectors = reflectors;
            this.h = h;
            this.diagonal = diagonal;
            this.offDiagonal = offDiagonal;
            this.values = values;
            double max = 0.0;
            for (int i = 0; i < diagonal.length; i++) {
                max = Math.max(max, Math.abs(diagonal[i]) + Math.abs(offDiagonal[i])
                        + (i + 1 < diagonal.length ? Math.abs(offDiagonal[i + 1]) : 0.0));
            }
            this.norm = max;
        }

        /** The eigenvalues, largest first. */
        public double[] values() {
            return values.clone();
        }

        /** {@link #vectors(int, int, int)} with {@link #INVERSE_ITERATIONS}. */
        public double[] vectors(int from, int to) {
            return vectors(from, to, INVERSE_ITERATIONS);
        }

        /**
         * Orthonormal eigenvectors of the values [from, to) (indices into {@link #values()}), as the columns of an
         * r × (to − from) row-major matrix. Inverse iteration on T at each value, as LAPACK's dstein does it: a
         * pseudo-random start scaled so that a solve grows it past √(0.1/r) only near an eigenvalue, at most
         * {@code maxIterations} solves and two more once it has, each vector orthogonalised (twice) against the
         * earlier ones of its cluster (values within 10⁻³‖T‖ of their neighbour), a shift moved 10·ε·|λ| off the
         * previous one where two coincide; then V applied to them, reflector by reflector.
         *
         * <p>They are returned only if they pass a check of what a caller relies on, that they span an invariant
         * subspace of T: ‖TZ − ZH‖_F ≤ τ for H block diagonal over the clusters (ZᵀTZ there; any H bounds the
         * residual of H = ZᵀTZ from above), and each Rayleigh quotient lies within τ of the range's values. τ =
         * √g·(2r + g + 3)·u·‖T‖∞: Householder + QL's own vectors are exact for a matrix 2r·u·‖A‖ away (the bound its
         * tests allow), and evaluating a column of the residual rounds by (g + 3)·u·‖T‖ per entry at most. The
         * vectors then span their group's subspace to τ over its gap to the other values, as Householder + QL's do to
         * 2r·u·‖A‖ over it.
         *
         * @throws ArithmeticException if a vector does not converge or the check fails (the caller then takes every
         *     vector from {@link #symmetricEigenTridiagonal})
         */
        public double[] vectors(int from, int to, int maxIterations) {
            return vectors(from, to, maxIterations, () -> { });
        }

        /**
         * {@link #vectors(int, int, int)}, calling {@code poll} before each vector's inverse iteration and each
         * reflector's application, and before each vector's share of the check; a caller abandons it by throwing
         * from it. Between two calls: a reflector's O(r·g), a vector's check O(r·c), or its inverse iteration
         * O(r·c·iterations), for a vector in a cluster of c close values (each solve is orthogonalised against the
         * cluster's vectors found before it; c ≤ g, iterations ≤ maxIterations).
         */
        public double[] vectors(int from, int to, int maxIterations, Runnable poll) {
            int r = values.length;
            int g = to - from;
            if (from < 0 || to > r || g < 0) {
                throw new IndexOutOfBoundsException("values [" + from + ", " + to + ") of " + r);
            }
            if (g == 0) {
                return new double[0];
            }
            double[][] z = new double[g][];
            int[] clusterStart = new int[g];
            SplittableRandom random = new SplittableRandom(0x5EED);
            double shift = 0.0;
            for (int j = 0; j < g; j++) {
                double lambda = values[from + j];
                boolean joined = j > 0 && values[from + j - 1] - lambda <= CLUSTER * norm;
                clusterStart[j] = joined ? clusterStart[j - 1] : j;
                double perturbation = 10 * EPS * Math.abs(lambda);
                shift = j > 0 && shift - lambda < perturbation ? shift - perturbation : lambda;
                poll.run();
                z[j] = inverseIteration(shift, z, clusterStart[j], j, random, maxIterations);
            }
            check(z, clusterStart, values[to - 1], values[from], poll);
            double[] out = new double[r * g];
            for (int k = 1; k < r; k++) {
                if (h[k] == 0.0) {
                    continue;
                }
                poll.run();
                // P_k = I − uuᵀ/h on the leading k coordinates, u in reflectors[k][0 … k − 1]
                double[] u = reflectors[k];
                for (double[] x : z) {
                    axpy(-dot(u, 0, x, 0, k) / h[k], u, 0, x, 0, k);
                }
            }
            for (int j = 0; j < g; j++) {
                for (int i = 0; i < r; i++) {
                    out[i * g + j] = z[j][i];
                }
            }
            return out;
        }

        /** A unit eigenvector of T near {@code shift}, orthogonal to z[first … j − 1]. */
        private double[] inverseIteration(double shift, double[][] z, int first, int j, SplittableRandom random,
                int maxIterations) {
            int r = values.length;
            Lu lu = new Lu(diagonal, offDiagonal, shift, EPS * norm);
            double[] x = new double[r];
            for (int i = 0; i < r; i++) {
                x[i] = 2 * random.nextDouble() - 1;
            }
            double scale = r * norm * Math.max(EPS, Math.abs(lu.lastPivot()));
            double converges = Math.sqrt(0.1 / r);
            int confirmed = 0;
            for (int iteration = 0; confirmed <= EXTRA_ITERATIONS; iteration++) {
                double length = 0.0;
                for (double v : x) {
                    length += Math.abs(v);
                }
                if (iteration == maxIterations || !(length > 0) || !(scale > 0)) {
                    throw new ArithmeticException("inverse iteration found no eigenvector " + j + " near " + shift
                            + " in " + iteration + " solves");
                }
                for (int i = 0; i < r; i++) {
                    x[i] *= scale / length;
                }
                lu.solve(x);
                for (int pass = 0; pass < 2; pass++) {
                    for (int k = first; k < j; k++) {
                        axpy(-dot(z[k], 0, x, 0, r), z[k], 0, x, 0, r);
                    }
                }
                double max = 0.0;
                for (double v : x) {
                    max = Math.max(max, Math.abs(v));
                }
                if (max >= converges) {
                    confirmed++;
                }
            }
            double length = Math.sqrt(dot(x, 0, x, 0, r));
            for (int i = 0; i < r; i++) {
                x[i] /= length;
            }
            return x;
        }

        /** The invariant-subspace check of {@link #vectors(int, int, int)}. */
        private void check(double[][] z, int[] clusterStart, double lowest, double highest, Runnable poll) {
            int r = values.length;
            int g = z.length;
            double tau = Math.sqrt(g) * (2.0 * r + g + 3) * 0x1p-53 * norm;
            double residual = 0.0;
            double[] y = new double[r];
            for (int j = 0; j < g; j++) {
                poll.run();
                for (int i = 0; i < r; i++) {
                    y[i] = diagonal[i] * z[j][i] + (i > 0 ? offDiagonal[i] * z[j][i - 1] : 0.0)
                            + (i + 1 < r ? offDiagonal[i + 1] * z[j][i + 1] : 0.0);
                }
                double quotient = dot(z[j], 0, y, 0, r);
                if (!(quotient >= lowest - tau && quotient <= highest + tau)) {
                    throw new ArithmeticException("inverse iteration's vector " + j + " has Rayleigh quotient "
                            + quotient + ", outside [" + lowest + ", " + highest + "]");
                }
                // the rest of the vector's cluster: H_kj = z_k·Tz_j, the others ≈ 0 and left out (an upper bound)
                int end = j + 1;
                while (end < g && clusterStart[end] == clusterStart[j]) {
                    end++;
                }
                for (int k = clusterStart[j]; k < end; k++) {
                    axpy(-(k == j ? quotient : dot(z[k], 0, y, 0, r)), z[k], 0, y, 0, r);
                }
                residual += dot(y, 0, y, 0, r);
            }
            if (!(Math.sqrt(residual) <= tau)) {
                throw new ArithmeticException("inverse iteration's vectors leave a residual " + Math.sqrt(residual)
                        + " > " + tau);
            }
        }
    }

    /**
     * T − s·I = P·L·U for a symmetric tridiagonal T, by Gaussian elimination with partial pivoting (LAPACK dlagtf):
     * U has two super-diagonals; pivots smaller than {@code tiny} are taken as ±tiny in the solves, where an exact
     * eigenvalue as s would divide by zero.
     */
    private static final class Lu {
        private final double[] pivot;
        private final double[] upper1;
        private final double[] upper2;
        private final double[] multiplier;
        private final boolean[] swapped;
        private final double tiny;

        Lu(double[] diagonal, double[] offDiagonal, double s, double tiny) {
            int r = diagonal.length;
            pivot = new double[r];
            upper1 = new double[r];
            upper2 = new double[r];
            multiplier = new double[r];
            swapped = new boolean[r];
            this.tiny = tiny > 0 ? tiny : Double.MIN_NORMAL;
            for (int i = 0; i < r; i++) {
                pivot[i] = diagonal[i] - s;
                upper1[i] = i + 1 < r ? offDiagonal[i + 1] : 0.0;
            }
            for (int i = 0; i + 1 < r; i++) {
                double below = offDiagonal[i + 1];
                if (Math.abs(pivot[i]) >= Math.abs(below)) {
                    multiplier[i] = pivot[i] == 0.0 ? 0.0 : below / pivot[i];
                    pivot[i + 1] -= multiplier[i] * upper1[i];
                } else {
                    // row i + 1, (below, pivot[i + 1], upper1[i + 1]), becomes the pivot row
                    swapped[i] = true;
                    multiplier[i] = pivot[i] / below;
                    double next = pivot[i + 1];
                    double above = upper1[i];
                    pivot[i] = below;
                    upper1[i] = next;
                    upper2[i] = upper1[i + 1];
                    pivot[i + 1] = above - multiplier[i] * next;
                    upper1[i + 1] = -multiplier[i] * upper2[i];
                }
            }
        }

        double lastPivot() {
            return pivot.length == 0 ? 0.0 : pivot[pivot.length - 1];
        }

        /** x ← (T − s·I)⁻¹x. */
        void solve(double[] x) {
            int r = x.length;
            for (int i = 0; i + 1 < r; i++) {
                if (swapped[i]) {
                    double swap = x[i];
                    x[i] = x[i + 1];
                    x[i + 1] = swap;
                }
                x[i + 1] -= multiplier[i] * x[i];
            }
            for (int i = r - 1; i >= 0; i--) {
                double v = x[i] - (i + 1 < r ? upper1[i] * x[i + 1] : 0.0) - (i + 2 < r ? upper2[i] * x[i + 2] : 0.0);
                double p = Math.abs(pivot[i]) < tiny ? Math.copySign(tiny, pivot[i]) : pivot[i];
                x[i] = v / p;
            }
        }
    }

    /**
     * Householder steps whose rank-2 updates {@link #tridiagonalise} applies together: each pass over the leading
     * block streams it from memory (a 2000 × 2000 block is 32 MB), and a step moved it three times (its product read
     * it, its update read and wrote it); now 1 + 2/16 (the product's read, and a sixteenth of the panel's read and
     * write). At 2000, 3.4–5.3 s → 2.8–4.4 s CPU (four partial sums in the product, split or fused, gained nothing:
     * native-notes/network.md, fifteenth session).
     */
    private static final int REDUCTION_PANEL = 16;

    /**
     * Householder reduction of the symmetric matrix in {@code t} to tridiagonal form (EISPACK tred2): diagonal into d,
     * sub-diagonal into e[1 … r − 1]; with {@code accumulate}, t's rows become the transformation's columns. Keeps in
     * {@code reflectors} (if not null, length r) the h of each Householder transformation P_i = I − uᵢuᵢᵀ/hᵢ, whose
     * uᵢ stays in t[i][0 … i − 1] when the transformations are not accumulated (h = 0: P_i = I). {@code poll} runs
     * before each step. The updates are applied {@link #REDUCTION_PANEL} steps at a time: tred2's reflectors, but a
     * step's product M·u is formed as the stored block times u less the pending updates' terms (u_s·(q_s·u) +
     * q_s·(u_s·u)), and the block takes up to 16 updates in one pass, so the sums, hence the rounding, differ from
     * tred2's.
     */
    private static void tridiagonalise(double[][] t, int r, double[] d, double[] e, boolean accumulate,
            double[] reflectors, Runnable poll) {
        // step i's update of the leading block, M ← M − u·qᵀ − q·uᵀ, is kept pending (u, q) for up to
        // REDUCTION_PANEL steps and applied to the block in one pass; meanwhile a step reads its row and forms its
        // product through the stored block less the pending terms (LAPACK dlatrd's scheme)
        double[][] us = new double[Math.min(REDUCTION_PANEL, r)][r];
        double[][] qs = new double[Math.min(REDUCTION_PANEL, r)][r];
        int pending = 0;
        for (int i = r - 1; i > 0; i--) {
            poll.run();
            // row i of M, whose entries t[j][i] (j < i) are consumed here, and its diagonal, final now
            double diagonal = t[i][i];
            for (int j = 0; j < i; j++) {
                d[j] = t[j][i];
                t[j][i] = 0.0;
            }
            for (int s = 0; s < pending; s++) {
                double ui = us[s][i];
                double qi = qs[s][i];
                diagonal -= ui * qi + qi * ui;
                for (int j = 0; j < i; j++) {
                    d[j] -= qi * us[s][j] + ui * qs[s][j];
                }
            }
            t[i][i] = diagonal;
            double scale = 0.0;
            double h = 0.0;
            for (int k = 0; k < i; k++) {
                scale += Math.abs(d[k]);
            }
            if (scale == 0.0) {
                e[i] = d[i - 1];
                Arrays.fill(t[i], 0, i, 0.0);
            } else {
                for (int k = 0; k < i; k++) {
                    d[k] /= scale;
                    h += d[k] * d[k];
                }
                double f = d[i - 1];
                double g = f > 0 ? -Math.sqrt(h) : Math.sqrt(h);
                e[i] = scale * g;
                h -= f * g;
                d[i - 1] = f - g;
                Arrays.fill(e, 0, i, 0.0);
                // e = M·u over the stored lower triangle ...
                for (int j = 0; j < i; j++) {
                    f = d[j];
                    t[i][j] = f;
                    double[] column = t[j];
                    g = e[j] + column[j] * f;
                    for (int k = j + 1; k < i; k++) {
                        g += column[k] * d[k];
                        e[k] += column[k] * f;
                    }
                    e[j] = g;
                }
                // ... less the pending terms' (u_s·(q_s·u) + q_s·(u_s·u))
                for (int s = 0; s < pending; s++) {
                    double qu = dot(qs[s], 0, d, 0, i);
                    double uu = dot(us[s], 0, d, 0, i);
                    for (int j = 0; j < i; j++) {
                        e[j] -= us[s][j] * qu + qs[s][j] * uu;
                    }
                }
                f = 0.0;
                for (int j = 0; j < i; j++) {
                    e[j] /= h;
                    f += e[j] * d[j];
                }
                double hh = f / (h + h);
                for (int j = 0; j < i; j++) {
                    e[j] -= hh * d[j];
                }
                System.arraycopy(d, 0, us[pending], 0, i);
                System.arraycopy(e, 0, qs[pending], 0, i);
                pending++;
            }
            d[i] = h;
            if (pending == REDUCTION_PANEL || i == 1) {
                // the pending updates on the block still to be reduced, [0, i): rows ≥ i are consumed
                for (int j = 0; j < i; j++) {
                    double[] column = t[j];
                    for (int s = 0; s < pending; s++) {
                        double[] u = us[s];
                        double[] q = qs[s];
                        double fu = u[j];
                        double fq = q[j];
                        for (int k = j; k < i; k++) {
                            column[k] -= fu * q[k] + fq * u[k];
                        }
                    }
                }
                pending = 0;
            }
        }
        d[0] = t[0][0];
        // the tridiagonal's diagonal is now on t's; d holds the h the accumulation needs
        if (reflectors != null) {
            System.arraycopy(d, 0, reflectors, 0, r);
        }
        double[] diagonal = new double[r];
        for (int j = 0; j < r; j++) {
            diagonal[j] = t[j][j];
        }
        if (accumulate) {
            accumulate(t, r, d, poll);
            for (int j = 0; j < r; j++) {
                t[j][r - 1] = 0.0;
            }
            t[r - 1][r - 1] = 1.0;
        }
        System.arraycopy(diagonal, 0, d, 0, r);
        e[0] = 0.0;
    }

    /**
     * tred2's accumulation of the Householder transformations into t (transposed), from the vectors left in t's
     * strict lower part and the h kept in d (overwritten); column r − 1 is left for the caller.
     */
    private static void accumulate(double[][] t, int r, double[] d, Runnable poll) {
        for (int i = 0; i < r - 1; i++) {
            poll.run();
            t[i][i] = 1.0;
            double h = d[i + 1];
            double[] next = t[i + 1];
            if (h != 0.0) {
                for (int k = 0; k <= i; k++) {
                    d[k] = next[k] / h;
                }
                for (int j = 0; j <= i; j++) {
                    double[] column = t[j];
                    double g = 0.0;
                    for (int k = 0; k <= i; k++) {
                        g += next[k] * column[k];
                    }
                    for (int k = 0; k <= i; k++) {
                        column[k] -= g * d[k];
                    }
                }
            }
            Arrays.fill(next, 0, i + 1, 0.0);
        }
    }

    /**
     * The implicit QL iteration with Wilkinson-like shifts on the tridiagonal (d, e[1 …]) (EISPACK tql2): the
     * eigenvalues into d, unsorted; with {@code rotate}, the rotations applied to t's rows (the vectors). Non-finite
     * entries end it without that failure: NaN makes the convergence test false, ∞ its threshold ∞ (pinned by
     * SmallLinearAlgebraTest).
     *
     * @throws ArithmeticException after {@code cap} iterations on one eigenvalue (tql2's ierr)
     */
    private static void tridiagonalQl(double[][] t, int r, double[] d, double[] e, boolean rotate, int cap,
            Runnable poll) {
        System.arraycopy(e, 1, e, 0, r - 1);
        e[r - 1] = 0.0;
        double f = 0.0;
        double tst1 = 0.0;
        double eps = 0x1p-52;
        for (int l = 0; l < r; l++) {
            tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
            int m = l;
            while (m < r && Math.abs(e[m]) > eps * tst1) {
                m++;
            }
            // e[r − 1] is 0, so m stops at r − 1 at the latest
            if (m > l) {
                int iterations = 0;
                do {
                    poll.run();
                    if (iterations++ == cap) {
                        throw new ArithmeticException("QL found no eigenvalue " + l + " of " + r + " in " + cap
                                + " iterations");
                    }
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2.0 * e[l]);
                    double rr = Math.hypot(p, 1.0);
                    if (p < 0) {
                        rr = -rr;
                    }
                    d[l] = e[l] / (p + rr);
                    d[l + 1] = e[l] * (p + rr);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < r; i++) {
                        d[i] -= h;
                    }
                    f += h;
                    p = d[m];
                    double c = 1.0;
                    double c2 = c;
                    double c3 = c;
                    double el1 = e[l + 1];
                    double s = 0.0;
                    double s2 = 0.0;
                    for (int i = m - 1; i >= l; i--) {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        rr = Math.hypot(p, e[i]);
                        e[i + 1] = s * rr;
                        s = e[i] / rr;
                        c = p / rr;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        if (rotate) {
                            rotate(t[i], t[i + 1], c, s, r);
                        }
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                } while (Math.abs(e[l]) > eps * tst1);
            }
            d[l] += f;
            e[l] = 0.0;
        }
    }

    /** (x, y) ← (c·x − s·y, s·x + c·y), element-wise over r entries: one QL rotation of two vectors. */
    private static void rotate(double[] x, double[] y, double c, double s, int r) {
        for (int k = 0; k < r; k++) {
            double h = y[k];
            y[k] = s * x[k] + c * h;
            x[k] = c * x[k] - s * h;
        }
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
        return symmetricEigen(a, r, vectors, () -> { });
    }

    /**
     * {@link #symmetricEigen(double[], int, double[])}, calling {@code poll} before each row's rotations (O(r²) work
     * each); a caller abandons the sweeps by throwing from it.
     */
    public static double[] symmetricEigen(double[] a, int r, double[] vectors, Runnable poll) {
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
                poll.run();
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
