package org.autobalance.solve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.parallel.ParallelPass;
import org.autobalance.solve.internal.SmallLinearAlgebra;
import org.autobalance.solve.internal.SpectralNorm;
import org.autobalance.synthetic.KnownMatrices;
import org.autobalance.testing.Dense;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The spectral pieces of the solver (σ₁, the stop rule) against the independent one-sided Jacobi SVD of the oracle. */
class SmallLinearAlgebraTest {

    @Test
    void theOracleRecoversAKnownSpectrum() {
        double[] sigma = {9, 4, 4, 1e-3, 1e-9};
        double[] tall = Dense.singularValues(KnownMatrices.withSpectrum(23, 11, sigma, 3));
        double[] wide = Dense.singularValues(KnownMatrices.withSpectrum(7, 19, sigma, 4));
        for (int i = 0; i < sigma.length; i++) {
            // one-sided Jacobi is accurate to a few ε·σ₁ absolutely (and relatively for each σᵢ on such data)
            assertEquals(sigma[i], tall[i], 1e-13 * sigma[0], "tall σ" + i);
            assertEquals(sigma[i], wide[i], 1e-13 * sigma[0], "wide σ" + i);
        }
        assertTrue(tall[sigma.length] <= 1e-13 * sigma[0], "rank 5: the rest is zero, got " + tall[sigma.length]);
    }

    @ParameterizedTest
    @CsvSource({"30, 20, 5, 5, 1", "30, 20, 6, 2, 2", "12, 40, 4, 0, 3", "8, 8, 8, 8, 4"})
    void productSingularValuesFromTheGramsMatchTheProduct(int d1, int d2, int r, int fullColumns, long seed) {
        // U with only `fullColumns` columns of unit scale and the rest at 10⁻⁴: a product of graded, partly
        // "unlearned" directions, as on a plateau
        double[][] u = KnownMatrices.gaussian(d1, r, 1.0, seed);
        double[][] v = KnownMatrices.gaussian(d2, r, 1.0, seed + 100);
        for (double[] row : u) {
            for (int a = fullColumns; a < r; a++) {
                row[a] *= 1e-4;
            }
        }
        double[][] uvt = Dense.multiply(u, Dense.transpose(v));
        double[] expected = Arrays.copyOf(Dense.singularValues(uvt), r);
        double[] gramU = Dense.gram(u);
        double[] gramV = Dense.gram(v);
        double[] got = SmallLinearAlgebra.productSingularValues(gramU, gramV, r);
        for (int i = 0; i < r; i++) {
            // σᵢ² comes from an eigenvalue of an r × r matrix of norm σ₁²: its absolute error is a few ε·σ₁², so σᵢ
            // errs by ~ε·σ₁²/σᵢ; 1e-12·σ₁²/σᵢ bounds it with margin
            assertEquals(expected[i], got[i], 1e-12 * expected[0] * expected[0] / expected[i], "σ" + i);
        }
    }

    /** X + Xᵀ for a Gaussian r × r X, row-major. */
    private static double[] symmetricGaussian(int r, long seed) {
        double[][] x = KnownMatrices.gaussian(r, r, 1.0, seed);
        double[] a = new double[r * r];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) {
                a[i * r + j] = x[i][j] + x[j][i];
            }
        }
        return a;
    }

    @Test
    void symmetricEigenvaluesAndVectorsReconstructTheMatrix() {
        int r = 7;
        double[] a = symmetricGaussian(r, 9);
        double[] q = new double[r * r];
        double[] lambda = SmallLinearAlgebra.symmetricEigen(a.clone(), r, q);
        double[] rebuilt = new double[r * r];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) {
                for (int k = 0; k < r; k++) {
                    rebuilt[i * r + j] += q[i * r + k] * lambda[k] * q[j * r + k];
                }
            }
            if (i > 0) {
                assertTrue(lambda[i] <= lambda[i - 1], "sorted, largest first");
            }
        }
        assertArrayEquals(a, rebuilt, 1e-13 * Math.abs(lambda[0]) * r);
    }

    /** Q₀·diag(λ₀)·Q₀ᵀ, r × r row-major, for a random orthonormal Q₀ of the seed. */
    private static double[] withSpectrum(double[] lambda0, long seed) {
        int r = lambda0.length;
        double[][] q0 = KnownMatrices.orthonormalColumns(KnownMatrices.gaussian(r, r, 1.0, seed));
        double[] a = new double[r * r];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) {
                for (int k = 0; k < r; k++) {
                    a[i * r + j] += q0[i][k] * lambda0[k] * q0[j][k];
                }
            }
        }
        return a;
    }

    /**
     * Householder + QL against exact identities: QΛQᵀ rebuilds the matrix, Q is orthonormal, the values are sorted
     * and equal those of a matrix built from a known spectrum (one value repeated, one zero block: QL's deflation),
     * and the values-only path returns the same values.
     */
    @ParameterizedTest
    @CsvSource({"1", "2", "7", "40"})
    void tridiagonalEigenvaluesAndVectorsOfAKnownSpectrum(int r) {
        double[] lambda0 = new double[r];
        for (int k = 0; k < r; k++) {
            // distinct but for a repeated pair, and a zero tail: the Gram of a layer with unused directions
            lambda0[k] = k >= 2 * r / 3 && r > 2 ? 0.0 : Math.pow(2, -k / 2.0) * (k == 1 ? 2 : 1);
        }
        Arrays.sort(lambda0);
        double[] a = withSpectrum(lambda0, 12);
        double[] q = new double[r * r];
        double[] before = a.clone();
        double[] lambda = SmallLinearAlgebra.symmetricEigenTridiagonal(a, r, q);
        assertArrayEquals(before, a, 0.0, "the argument is not modified");
        assertArrayEquals(lambda, SmallLinearAlgebra.symmetricEigenTridiagonal(a, r, null), 0.0, "values only");
        // Householder + QL is backward stable: the values and vectors are exact, to Q's orthogonality, for A + E with
        // ‖E‖₂ ≈ u‖A‖₂, the ≈ a modest function of r (Golub & Van Loan §8.3.7), taken as 2r; Q̂ is orthonormal to the
        // same 2r·u. The built A is not exactly Q₀Λ₀Q₀ᵀ: each entry errs by γ_{r+1}·Σₖ|q_ik|λₖ|q_jk| (λ ≥ 0), so
        // ‖ΔA‖₂ ≤ ‖ΔA‖_F ≤ (r + 1)·u·tr Λ₀, and Q₀ (Gram–Schmidt twice) is orthonormal to about r·u, which moves the
        // values by r·u·‖A‖. Measured at r ≤ 100: the values within 0.3·r·u·‖A‖, QᵀQ within 1·r·u.
        double u = 0x1p-53;
        double norm = Arrays.stream(lambda0).max().orElse(0);
        double trace = Arrays.stream(lambda0).sum();
        double valueTolerance = u * (2 * r * norm + (r + 1) * trace + r * norm);
        for (int k = 0; k < r; k++) {
            assertEquals(lambda0[r - 1 - k], lambda[k], valueTolerance, "λ" + k);
        }
        // QᵀQ: Q̂'s 2r·u and the test's own sums of r products of entries at most 1, γ_r
        double orthogonality = u * (2 * r + r);
        // QΛQᵀ against the A Householder + QL was given: E (2r·u·‖A‖), Q̂ on both sides (2·2r·u·‖A‖) and the test's
        // sums, γ_{r+1}·Σₖ|q_ik|λₖ|q_jk| ≤ (r + 1)·u·tr Λ
        double rebuildTolerance = u * (6 * r * norm + (r + 1) * trace);
        double[] rebuilt = new double[r * r];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) {
                double dot = 0.0;
                for (int k = 0; k < r; k++) {
                    rebuilt[i * r + j] += q[i * r + k] * lambda[k] * q[j * r + k];
                    dot += q[k * r + i] * q[k * r + j];
                }
                assertEquals(i == j ? 1.0 : 0.0, dot, orthogonality, "QᵀQ at " + i + ", " + j);
            }
        }
        assertArrayEquals(before, rebuilt, rebuildTolerance);
    }

    /**
     * The eigenvectors of a range of values by inverse iteration on the kept tridiagonal and its reflectors, against
     * the whole Householder + QL decomposition: the values are its bits, and the range's vectors are orthonormal and
     * span the subspace its vectors span (the projectors ZZᵀ agree), on a spectrum with an exact repeat, a cluster
     * 10⁻⁴ wide, a tight small bulk and a zero block (a Gram of a layer with few learned directions and unused
     * ones). Ranges end only between values apart by at least {@code gap}, where the subspace is defined.
     */
    @ParameterizedTest
    @CsvSource({"0, 1, 40, 2", "0, 4, 40, 1.9999", "0, 5, 40, 0.99", "5, 40, 40, 0.99", "37, 40, 40, 1e-4",
            "1, 3, 40, 0.0001", "0, 1, 1, 1", "0, 2, 2, 1", "5, 9, 9, 0.99"})
    void partialEigenvectorsSpanTheWholeDecompositionsSubspaces(int from, int to, int r, double gap) {
        double[] lambda0 = new double[r];
        double[] head = {5, 3, 3, 2.9999, 1};
        for (int k = 0; k < r; k++) {
            lambda0[k] = k < head.length ? head[k] : k < r - 3 ? 1e-4 * (1 + k / 100.0) : 0.0;
        }
        double[] a = withSpectrum(lambda0, 13);
        double[] before = a.clone();
        double[] q = new double[r * r];
        double[] lambda = SmallLinearAlgebra.symmetricEigenTridiagonal(a, r, q);
        SmallLinearAlgebra.PartialEigen partial =
                SmallLinearAlgebra.symmetricEigenValues(a, r, SmallLinearAlgebra.QL_ITERATIONS_PER_VALUE);
        assertArrayEquals(lambda, partial.values(), 0.0, "the values' bits");
        double[] z = partial.vectors(from, to);
        assertArrayEquals(before, a, 0.0, "the argument is not modified");
        int g = to - from;
        // both sets are exact for matrices near A: Householder + QL's 2r·u·‖A‖ away (the test above), inverse
        // iteration's 2τ (its check, τ = √g(2r + g + 3)·u·‖T‖∞ ≤ √g(2r + g + 3)·u·√r·‖A‖₂); each subspace is then
        // within that over the gap of the true one (Davis–Kahan), ZZᵀ within twice it; ZᵀZ to its Gram–Schmidt's r·u
        double u = 0x1p-53;
        double norm = lambda0[0];
        double subspace = 2 * (2 * r * u * norm + 2 * Math.sqrt(g) * (2 * r + g + 3) * u * Math.sqrt(r) * norm) / gap;
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) {
                double partialProjector = 0.0;
                double wholeProjector = 0.0;
                for (int k = 0; k < g; k++) {
                    partialProjector += z[i * g + k] * z[j * g + k];
                    wholeProjector += q[i * r + from + k] * q[j * r + from + k];
                }
                assertEquals(wholeProjector, partialProjector, subspace, "ZZᵀ at " + i + ", " + j);
            }
        }
        for (int x = 0; x < g; x++) {
            for (int y = 0; y < g; y++) {
                double dot = 0.0;
                for (int i = 0; i < r; i++) {
                    dot += z[i * g + x] * z[i * g + y];
                }
                assertEquals(x == y ? 1.0 : 0.0, dot, 4 * r * u, "ZᵀZ at " + x + ", " + y);
            }
        }
    }

    /** Inverse iteration allowed no solve fails with the exception callers fall back on, as QL's cap does. */
    @Test
    void partialEigenvectorsFailWithinTheirIterationCap() {
        double[] a = symmetricGaussian(7, 6);
        SmallLinearAlgebra.PartialEigen partial = SmallLinearAlgebra.symmetricEigenValues(a, 7, 30);
        assertThrows(ArithmeticException.class, () -> partial.vectors(0, 2, 0));
        assertEquals(7 * 2, partial.vectors(0, 2, SmallLinearAlgebra.PartialEigen.INVERSE_ITERATIONS).length);
        assertEquals(0, partial.vectors(3, 3, 0).length, "no values, no vectors, no solve");
    }

    /**
     * QL's iteration cap (EISPACK's 30 per value; no matrix is known to need it): the smallest cap that lets it
     * finish gives the same bits as the default, one less fails with an exception, and vectors are left untouched.
     */
    @Test
    void tridiagonalQlStopsAtItsIterationCap() {
        int r = 9;
        double[] a = symmetricGaussian(r, 5);
        double[] q = new double[r * r];
        double[] lambda = SmallLinearAlgebra.symmetricEigenTridiagonal(a, r, q);
        int cap = 0;
        double[] capped = new double[r * r];
        Arrays.fill(capped, -7.0);
        while (true) {
            try {
                double[] got = SmallLinearAlgebra.symmetricEigenTridiagonal(a, r, capped, cap);
                assertArrayEquals(lambda, got, 0.0, "values at cap " + cap);
                assertArrayEquals(q, capped, 0.0, "vectors at cap " + cap);
                break;
            } catch (ArithmeticException expected) {
                for (double v : capped) {
                    assertEquals(-7.0, v, "vectors untouched after a failure at cap " + cap);
                }
                cap++;
                assertTrue(cap <= SmallLinearAlgebra.QL_ITERATIONS_PER_VALUE, "finishes within the default cap");
            }
        }
        assertTrue(cap > 0, "the matrix needs QL iterations, so a cap of 0 must fail");
    }

    /**
     * Non-finite and tiny matrices end without the cap's failure: NaN and ∞ give non-finite values (not an exception
     * or a loop), a zero matrix zeros and orthonormal vectors, a subnormal one finite values.
     */
    @ParameterizedTest
    @ValueSource(strings = {"NaN", "Infinity", "one NaN", "zero", "subnormal"})
    void tridiagonalQlEndsOnNonFiniteAndTinyMatrices(String kind) {
        int r = 6;
        double[] a = symmetricGaussian(r, 8);
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) {
                double symmetric = a[i * r + j];
                a[i * r + j] = switch (kind) {
                    case "NaN" -> Double.NaN;
                    case "Infinity" -> Double.POSITIVE_INFINITY;
                    case "one NaN" -> i == 2 && j == 2 ? Double.NaN : symmetric;
                    case "zero" -> 0.0;
                    default -> symmetric * 1000 * Double.MIN_VALUE;
                };
            }
        }
        double[] q = new double[r * r];
        double[] lambda = SmallLinearAlgebra.symmetricEigenTridiagonal(a, r, q);
        boolean finite = Arrays.stream(lambda).allMatch(Double::isFinite);
        switch (kind) {
            case "zero" -> {
                assertArrayEquals(new double[r], lambda, 0.0);
                double[] identity = new double[r * r];
                for (int i = 0; i < r; i++) {
                    identity[i * r + i] = 1.0;
                }
                assertArrayEquals(identity, q, 0.0, "no rotation of a zero matrix");
            }
            case "subnormal" -> assertTrue(finite, Arrays.toString(lambda));
            default -> assertTrue(!finite, Arrays.toString(lambda));
        }
    }

    /**
     * Lanczos keeps its basis in chunks of 32 vectors, grown as steps are taken: on a diagonal operator whose top
     * gap is small it takes more steps than one chunk holds, and the value stays the top eigenvalue.
     */
    @Test
    void lanczosGrowsItsBasisPastOneChunk() {
        int k = 400;
        double[] diagonal = new double[k];
        for (int i = 0; i < k; i++) {
            diagonal[i] = 1.0 - i / (double) k;
        }
        int[] steps = {0};
        double top = SmallLinearAlgebra.largestEigenvalue((x, from, v) -> {
            steps[0]++;
            for (int i = 0; i < k; i++) {
                v[i] = diagonal[i] * x[from + i];
            }
        }, k);
        assertTrue(steps[0] > 33, "more than one chunk of steps: " + steps[0]);
        // a Rayleigh quotient: below the top by at most 10⁻¹⁴ at the stop, and off by the rounding of zᵀCz and zᵀz,
        // sums of k non-negative terms, γ_k relative each
        assertEquals(1.0, top, 1e-14 + 2 * k * 0x1p-53);
    }

    @ParameterizedTest
    @CsvSource({"FLOAT64, 1", "FLOAT64, 2", "FLOAT32, 1"})
    void theResidualSpectralNormMatchesTheOracle(DType dtype, int threads) {
        double[][] m = KnownMatrices.withSpectrum(60, 45, new double[] {10, 6, 3, 2.5, 1}, 5);
        // U, V: a partial fit of the top two directions plus junk, so that R = M − UVᵀ is not orthogonal to them
        double[][] u = KnownMatrices.gaussian(60, 3, 0.8, 6);
        double[][] v = KnownMatrices.gaussian(45, 3, 0.8, 7);
        double[] exact = Dense.singularValues(Dense.addScaled(m, -1.0, Dense.multiply(u, Dense.transpose(v))));
        try (DenseMatrix mm = DenseMatrix.of(dtype, m);
                DenseMatrix uu = DenseMatrix.of(dtype, u);
                DenseMatrix vv = DenseMatrix.of(dtype, v);
                ParallelPass pass = new ParallelPass(threads)) {
            SpectralNorm.Engines engines = SpectralNorm.Engines.dense(KernelProvider.kernels(), pass, mm);
            double estimate = SpectralNorm.residual(engines, uu, vv, 11, 300, 1e-12, Double.POSITIVE_INFINITY);
            // a lower bound that converges like (σ₂/σ₁)^passes; float32 data and products carry ~1e-6 relative
            double bound = dtype == DType.FLOAT32 ? 1e-5 : 1e-9;
            assertEquals(exact[0], estimate, bound * exact[0]);
            double early = SpectralNorm.residual(engines, uu, vv, 11, 300, 1e-12, 0.5);
            assertTrue(early > 0.5 && early <= exact[0] * (1 + bound), "stops once above 0.5: " + early);
        }
    }

    @ParameterizedTest
    @CsvSource({"FLOAT64, 4, 1, 1e-12", "FLOAT64, 6, 2, 1e-12", "FLOAT32, 4, 2, 1e-6"})
    void theBlockEstimateOfSigma1ResolvesAClusteredTop(DType dtype, int block, int threads, double bound) {
        // the top four within 3 %: single-vector power iteration creeps (its bound errs by (σ₂/σ₁)^{2k}), a block of
        // four or more converges like (σ₅/σ₁)^{2k} = 10^{-4k}
        double[] sigma = {10, 9.9, 9.8, 9.7, 0.1, 0.05};
        double[][] m = KnownMatrices.withSpectrum(70, 50, sigma, 8);
        try (DenseMatrix mm = DenseMatrix.of(dtype, m); ParallelPass pass = new ParallelPass(threads)) {
            double estimate =
                    SpectralNorm.estimate(KernelProvider.kernels(), pass, mm, block, KnownMatrices.frobenius(m), 3);
            // float32: M itself is rounded to 2⁻²⁴ relative, the Grams of float32 products to ~1e-7
            assertEquals(sigma[0], estimate, bound * sigma[0]);
        }
    }

    /**
     * L⁻ᵀ of A = XᵀX: upper triangular, and WᵀAW = I (so XW has orthonormal columns). X = [I; G] with G Gaussian of
     * scale 0.3 gives A = I + GᵀG, whose eigenvalues lie in [1, 1 + ‖G‖²_F], so κ(A) ≤ 1 + ‖G‖²_F. The computed
     * Cholesky factor is exact for A + E with |E| ≤ γ_{r+1}|L||Lᵀ| (Higham, Thm 10.3) and the triangular inverse
     * has a relative error of order r·u·κ(L) (Higham §8.2), so WᵀAW − I is of order r·u·κ(A); 10·r·u·κ bounds it.
     */
    @Test
    void theInverseCholeskyFactorWhitensTheGram() {
        int r = 5;
        double[][] g = KnownMatrices.gaussian(6, r, 0.3, 12);
        double[][] x = new double[r + 6][];
        for (int i = 0; i < r; i++) {
            x[i] = new double[r];
            x[i][i] = 1;
        }
        System.arraycopy(g, 0, x, r, 6);
        double[] a = Dense.gram(x);
        double[] w = SmallLinearAlgebra.inverseCholeskyTranspose(a.clone(), r);
        double kappa = 1 + Math.pow(KnownMatrices.frobenius(g), 2);
        double bound = 10 * r * 0x1p-53 * kappa;
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) {
                if (i > j) {
                    assertEquals(0.0, w[i * r + j], "upper triangular at " + i + ", " + j);
                }
                double wtaw = 0;
                for (int k = 0; k < r; k++) {
                    for (int l = 0; l < r; l++) {
                        wtaw += w[k * r + i] * a[k * r + l] * w[l * r + j];
                    }
                }
                assertEquals(i == j ? 1.0 : 0.0, wtaw, bound, "(WᵀAW)[" + i + ", " + j + "]");
            }
        }
        // an indefinite matrix (eigenvalues 3 and −1) fails at its second pivot, 1 − 2² < 0; NaN fails at the first
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SmallLinearAlgebra.inverseCholeskyTranspose(new double[] {1, 2, 2, 1}, 2));
        assertEquals("Gram matrix is not positive definite (column 1)", e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SmallLinearAlgebra.inverseCholeskyTranspose(new double[] {Double.NaN, 0, 0, 1}, 2));
        assertEquals("Gram matrix is not positive definite (column 0)", e.getMessage());
    }

    /**
     * max wᵀAw/wᵀBw over B's numerically non-singular directions (eigenvalues above a floor, 10⁻¹² of the largest), on
     * diagonal matrices where it is max a_ii/b_ii over the kept i: a direction of B at 10⁻¹⁴ of the largest is
     * dropped (else the answer would be 10¹¹), one at 10⁻⁹ is kept; a zero B gives 0. The same for the Jacobi path
     * and for the bound σ₁ uses (on a diagonal B the pivots are B's eigenvalues, and g = λ_max).
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void theGeneralizedEigenvalueIgnoresBsNullDirections(boolean bound) {
        Pencil method = bound ? SmallLinearAlgebra::largestGeneralizedEigenvalueBound
                : SmallLinearAlgebra::largestGeneralizedEigenvalue;
        double[] a = {1, 0, 0, 1};
        assertEquals(1e-3, method.largest(a, new double[] {1e3, 0, 0, 1e-11}, 2, 1e-12), 1e-3 * 1e-14);
        assertEquals(1e6, method.largest(a, new double[] {1e3, 0, 0, 1e-6}, 2, 1e-12), 1e6 * 1e-14);
        assertEquals(0.0, method.largest(a, new double[] {0, 0, 0, 0}, 2, 1e-12));
        // and the same with B's order reversed: the kept direction need not be the first coordinate
        assertEquals(2.5e-3, method.largest(new double[] {7, 0, 0, 2.5}, new double[] {1e-11, 0, 0, 1e3}, 2, 1e-12),
                2.5e-3 * 1e-14);
    }

    /** A way to compute λ_max(A, B) over B's directions above a floor. */
    private interface Pencil {
        double largest(double[] a, double[] b, int r, double floor);
    }

    /**
     * The bound σ₁ uses against the Jacobi path on random pencils A = G(MV), B = G(V) (V n × r, M (n + 3) × n, both
     * Gaussian), whose every direction both keep (asserted: λ_min(B) above the floor times g ≥ λ_max(B)), at both
     * dtypes' floors. Both are then λ_max of the same pencil, each computed by backward-stable steps (Cholesky: a
     * backward error of (r + 1)·u·|L||Lᵀ|, Higham Thm 10.3; Jacobi rotations: a few u·‖·‖ per sweep), and a
     * perturbation (δA, δB) moves the eigenvalue by (wᵀδAw − λ·wᵀδBw)/wᵀBw for its eigenvector w, at most (‖δA‖ +
     * λ‖δB‖)/λ_min(B): a relative 4·r·u·(‖A‖_F/λ + ‖B‖_F)/λ_min(B) for each method. The bound adds its Lanczos stop
     * ({@link SmallLinearAlgebra#LANCZOS_TOLERANCE}) and is a quotient at one w, so it is never above λ_max beyond
     * rounding.
     */
    @ParameterizedTest
    @CsvSource({"1, 4, 1", "2, 9, 2", "5, 30, 3", "17, 60, 4", "64, 150, 5", "100, 220, 6", "256, 400, 7"})
    void theBoundMatchesTheJacobiOracleOnRandomPencils(int r, int n, long seed) {
        double[][] v = KnownMatrices.gaussian(n, r, 1.0, seed);
        double[][] m = KnownMatrices.gaussian(n + 3, n, 1.0, seed + 50);
        double[] a = Dense.gram(Dense.multiply(m, v));
        double[] b = Dense.gram(v);
        double[] lambdaB = SmallLinearAlgebra.symmetricEigen(b.clone(), r, null);
        for (double floor : new double[] {1e-12, Math.sqrt(DType.FLOAT32.unitRoundoff())}) {
            assertTrue(lambdaB[r - 1] > floor * SmallLinearAlgebra.gershgorin(b, r),
                    "a pencil whose every direction is kept");
            double oracle = SmallLinearAlgebra.largestGeneralizedEigenvalue(a, b, r, floor);
            double bound = SmallLinearAlgebra.largestGeneralizedEigenvalueBound(a, b, r, floor);
            double rounding = 4 * r * 0x1p-53 * (frobenius(a) / oracle + frobenius(b)) / lambdaB[r - 1];
            String what = "r " + r + ", floor " + floor + ": bound " + bound + ", oracle " + oracle;
            assertTrue(bound <= oracle * (1 + 2 * rounding), what + ": above λ_max");
            assertTrue(bound >= oracle * (1 - SmallLinearAlgebra.LANCZOS_TOLERANCE - 2 * rounding), what);
        }
    }

    /**
     * Ill-conditioned pencils as power iteration makes them: B = W·diag(s²)·Wᵀ with s² graded from 1 to 10⁻¹⁰ along
     * a random orthogonal W (so the grading is not on B's diagonal, and B's Cholesky factor is as ill-conditioned as
     * B), and A = W·diag(s²μ)·Wᵀ with μ falling from 1 along the grading, so the top direction w = We₀/s₀ is B's large
     * one. The exact λ_max(A, B) is μ₀ = 1 (float64's floor keeps every direction), and it is well-conditioned: the
     * bound of {@link #theBoundMatchesTheJacobiOracleOnRandomPencils} with ‖w‖²/wᵀBw = 1/s₀² = 1 in place of
     * 1/λ_min(B) is 4·r·u·(‖A‖_F + ‖B‖_F) per method, and building A and B from W adds as much. The Jacobi path meets
     * it; the bound must too — Lanczos on L⁻¹AL⁻ᵀ alone, whose products carry L's conditioning (10⁵ here), was 10⁻⁸
     * off on such pencils: the bound is therefore the quotient recomputed from A and B at the Ritz vector.
     */
    @ParameterizedTest
    @CsvSource({"8, 11", "20, 12", "64, 13"})
    void theBoundIsExactOnGradedPencils(int r, long seed) {
        double[][] wt = Dense.transpose(KnownMatrices.orthonormalColumns(KnownMatrices.gaussian(r, r, 1.0, seed)));
        double[] s2 = new double[r];
        double[] s2mu = new double[r];
        for (int i = 0; i < r; i++) {
            s2[i] = Math.pow(10, -10.0 * i / (r - 1));
            s2mu[i] = s2[i] * (1 - 0.5 * i / r);
        }
        double[] a = congruent(wt, s2mu);
        double[] b = congruent(wt, s2);
        double rounding = 8 * r * 0x1p-53 * (frobenius(a) + frobenius(b));
        double oracle = SmallLinearAlgebra.largestGeneralizedEigenvalue(a, b, r, 1e-12);
        double bound = SmallLinearAlgebra.largestGeneralizedEigenvalueBound(a, b, r, 1e-12);
        assertEquals(1.0, oracle, rounding, "the Jacobi path");
        assertEquals(1.0, bound, SmallLinearAlgebra.LANCZOS_TOLERANCE + rounding, "the bound");
    }

    /**
     * The float32 floor is a condition on the direction the bound is read along, not on B's columns or eigenvalues:
     * power iteration without re-orthonormalisation leaves B = C·diag(s²)·Cᵀ with s² graded (1 down to 10⁻⁶ here) and
     * the columns mixed (C = I + 0.3·a strictly upper Gaussian: every column holds the small directions, as power
     * iteration leaves them), and the top direction w = C⁻ᵀe₀ (λ_max = μ₀ = 1, with A = C·diag(s²μ)·Cᵀ, μ falling to ½)
     * combines every column, much of it along B's small eigenvalues, while w itself lies far above the floor
     * (asserted). The bound reads it there, to the rounding of {@link #theBoundIsExactOnGradedPencils} with ‖w‖²/wᵀBw =
     * ‖w‖² in place of 1/s₀²; pivoting at the floor alone loses 7.4·10⁻⁶, 5.0·10⁻⁵ and 2.7·10⁻⁵ of it at r = 8, 20, 40
     * (this test fails so), and cutting eigenvalues there, as the Jacobi path does, 7.3·10⁻⁶, 5.5·10⁻⁵ and 2.8·10⁻⁵
     * (it fails so too).
     */
    @ParameterizedTest
    @CsvSource({"8, 31", "20, 32", "40, 33"})
    void theBoundReadsTheTopDirectionAboveTheFloorOfAGradedBlock(int r, long seed) {
        double[][] c = KnownMatrices.gaussian(r, r, 0.3, seed);
        for (int i = 0; i < r; i++) {
            Arrays.fill(c[i], 0, i, 0.0);
            c[i][i] = 1;
        }
        double[] s2 = new double[r];
        double[] s2mu = new double[r];
        for (int i = 0; i < r; i++) {
            s2[i] = Math.pow(10, -6.0 * i / (r - 1));
            s2mu[i] = s2[i] * (1 - 0.5 * i / r);
        }
        double[][] ct = Dense.transpose(c);
        double[] a = congruent(ct, s2mu);
        double[] b = congruent(ct, s2);
        // w = C⁻ᵀe₀ by forward substitution on the unit lower triangular Cᵀ; wᵀBw = s₀² = 1
        double[] w = new double[r];
        for (int i = 0; i < r; i++) {
            double t = i == 0 ? 1 : 0;
            for (int j = 0; j < i; j++) {
                t -= c[j][i] * w[j];
            }
            w[i] = t;
        }
        double ww = SmallLinearAlgebra.inner(w, w);
        double floor = Math.sqrt(DType.FLOAT32.unitRoundoff());
        assertTrue(1 > 10 * floor * SmallLinearAlgebra.gershgorin(b, r) * ww,
                "the top direction lies far above the floor");
        double rounding = 8 * r * 0x1p-53 * ww * (frobenius(a) + frobenius(b));
        assertEquals(1.0, SmallLinearAlgebra.largestGeneralizedEigenvalueBound(a, b, r, floor),
                SmallLinearAlgebra.LANCZOS_TOLERANCE + rounding);
    }

    /**
     * Directions of B that hold only rounding are dropped at both dtypes' floors even when they are not coordinate
     * directions (as in a block wider than M's rank, where every column mixes them in): B = W·diag(s²)·Wᵀ with s² in
     * [0.1, 1] on r − 3 directions and 10⁻¹⁴ on three, A the same with μ = 1 down to ½ on the first and 10⁻¹³ on the
     * three, whose quotient 10 is ten times the answer 1 that the kept directions give. The pivoted factor keeps r − 3
     * columns, whose span holds the three null directions with weight s²_null/s²_min = 10⁻¹³ at most, which can move
     * the quotient by 10 times that per direction, r·10⁻¹² in all; the rest is the rounding of {@link
     * #theBoundIsExactOnGradedPencils}.
     */
    @ParameterizedTest
    @CsvSource({"6, 21", "20, 22", "64, 23"})
    void theBoundDropsDirectionsThatHoldOnlyRounding(int r, long seed) {
        double[][] wt = Dense.transpose(KnownMatrices.orthonormalColumns(KnownMatrices.gaussian(r, r, 1.0, seed)));
        double[] s2 = new double[r];
        double[] s2mu = new double[r];
        for (int i = 0; i < r; i++) {
            boolean kept = i < r - 3;
            s2[i] = kept ? 1 - 0.9 * i / (r - 3) : 1e-14;
            s2mu[i] = kept ? s2[i] * (1 - 0.5 * i / r) : 1e-13;
        }
        double[] a = congruent(wt, s2mu);
        double[] b = congruent(wt, s2);
        double tolerance = r * 1e-12 + 8 * r * 0x1p-53 * (frobenius(a) + frobenius(b));
        for (double floor : new double[] {1e-12, Math.sqrt(DType.FLOAT32.unitRoundoff())}) {
            assertEquals(1.0, SmallLinearAlgebra.largestGeneralizedEigenvalue(a, b, r, floor), tolerance,
                    "the Jacobi path, floor " + floor);
            assertEquals(1.0, SmallLinearAlgebra.largestGeneralizedEigenvalueBound(a, b, r, floor), tolerance,
                    "the bound, floor " + floor);
        }
    }

    /**
     * Pivoting keeps no column whose own part is below the floor, but a combination of kept columns can still be
     * (Kahan's matrix: pivots s^{2j}, down to 1.4·10⁻³ at n = 20 and θ = 1, while λ_min(B) is 2.4·10⁻¹¹ of λ_max). Put
     * a large quotient along that combination, B's smallest eigenvector u: A = B + 10⁻³·λ_max·uuᵀ, whose quotient along
     * u is about 4·10⁷, and 1 on every direction B-orthogonal to u. The Ritz vector the bound finds is then below the
     * floor (10⁻⁶ here), so the Jacobi path answers, which drops u: exactly its value, 1 up to rounding. Without that
     * check the bound would be the 4·10⁷.
     */
    @Test
    void aRitzVectorBelowTheFloorIsLeftToTheJacobiPath() {
        int n = 20;
        double s = Math.sin(1.0);
        double c = Math.cos(1.0);
        double[][] kahan = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = i; j < n; j++) {
                // Kahan's R, its columns scaled by 1 − 10⁻³·j so that pivoting keeps their order
                kahan[i][j] = Math.pow(s, i) * (i == j ? 1 : -c) * (1 - 1e-3 * j);
            }
        }
        double[] b = Dense.gram(kahan);
        double[] q = new double[n * n];
        double[] lambda = SmallLinearAlgebra.symmetricEigen(b.clone(), n, q);
        double floor = 1e-6;
        assertTrue(lambda[n - 1] < floor * lambda[0], "B has a direction below the floor: " + lambda[n - 1]);
        double[] a = b.clone();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                a[i * n + j] += 1e-3 * lambda[0] * q[i * n + n - 1] * q[j * n + n - 1];
            }
        }
        double oracle = SmallLinearAlgebra.largestGeneralizedEigenvalue(a, b, n, floor);
        assertEquals(1.0, oracle, 1e-9, "the Jacobi path drops u");
        assertEquals(oracle, SmallLinearAlgebra.largestGeneralizedEigenvalueBound(a, b, n, floor), 0.0);
    }

    /**
     * Lanczos ends after one step when A has rank 1 (the Krylov space of L⁻¹AL⁻ᵀ is one direction): the bound is that
     * direction's quotient, xᵀB⁻¹x for A = xxᵀ, within the rounding of {@link
     * #theBoundMatchesTheJacobiOracleOnRandomPencils}. And a NaN in A or in B (a diverged block) ends with the Jacobi
     * path's answer (NaN, and 0 for B: no direction of B passes the floor), not with a loop that does not end.
     */
    @Test
    void aRankOneAEndsLanczosAtOnceAndANanEndsAsTheJacobiPathDoes() {
        int r = 12;
        double[] b = Dense.gram(KnownMatrices.gaussian(40, r, 1.0, 8));
        double[] x = KnownMatrices.gaussian(1, r, 1.0, 9)[0];
        double[] a = new double[r * r];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) {
                a[i * r + j] = x[i] * x[j];
            }
        }
        double[] lambdaB = SmallLinearAlgebra.symmetricEigen(b.clone(), r, null);
        double oracle = SmallLinearAlgebra.largestGeneralizedEigenvalue(a, b, r, 1e-12);
        double bound = SmallLinearAlgebra.largestGeneralizedEigenvalueBound(a, b, r, 1e-12);
        double rounding = 4 * r * 0x1p-53 * (frobenius(a) / oracle + frobenius(b)) / lambdaB[r - 1];
        assertTrue(bound <= oracle * (1 + 2 * rounding), bound + " above " + oracle);
        assertTrue(bound >= oracle * (1 - SmallLinearAlgebra.LANCZOS_TOLERANCE - 2 * rounding), bound + " / " + oracle);
        for (boolean inA : new boolean[] {true, false}) {
            double[] da = a.clone();
            double[] db = b.clone();
            (inA ? da : db)[r + 1] = Double.NaN;
            assertEquals(SmallLinearAlgebra.largestGeneralizedEigenvalue(da, db, r, 1e-12),
                    SmallLinearAlgebra.largestGeneralizedEigenvalueBound(da, db, r, 1e-12), 0.0, "NaN in A: " + inA);
        }
    }

    private static double frobenius(double[] a) {
        return Math.sqrt(SmallLinearAlgebra.inner(a, a));
    }

    /** W·diag(d)·Wᵀ (r × r, row-major) for the rows {@code wt} of Wᵀ. */
    private static double[] congruent(double[][] wt, double[] d) {
        double[][] x = new double[wt.length][];
        for (int i = 0; i < wt.length; i++) {
            x[i] = wt[i].clone();
            for (int j = 0; j < x[i].length; j++) {
                x[i][j] *= Math.sqrt(d[i]);
            }
        }
        return Dense.gram(x);
    }
}
