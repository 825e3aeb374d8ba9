package org.autobalance.solve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.parallel.ParallelPass;
import org.autobalance.synthetic.KnownMatrices;
import org.autobalance.testing.Dense;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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

    @Test
    void symmetricEigenvaluesAndVectorsReconstructTheMatrix() {
        int r = 7;
        double[][] x = KnownMatrices.gaussian(r, r, 1.0, 9);
        double[] a = new double[r * r];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) {
                a[i * r + j] = x[i][j] + x[j][i];
            }
        }
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
            double estimate = SpectralNorm.estimate(KernelProvider.kernels(), pass, mm, block, KnownMatrices.frobenius(m), 3);
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
     * dropped (else the answer would be 10¹¹), one at 10⁻⁹ is kept; a zero B gives 0.
     */
    @Test
    void theGeneralizedEigenvalueIgnoresBsNullDirections() {
        double[] a = {1, 0, 0, 1};
        assertEquals(1e-3,
                SmallLinearAlgebra.largestGeneralizedEigenvalue(a, new double[] {1e3, 0, 0, 1e-11}, 2, 1e-12),
                1e-3 * 1e-14);
        assertEquals(1e6, SmallLinearAlgebra.largestGeneralizedEigenvalue(a, new double[] {1e3, 0, 0, 1e-6}, 2, 1e-12),
                1e6 * 1e-14);
        assertEquals(0.0, SmallLinearAlgebra.largestGeneralizedEigenvalue(a, new double[] {0, 0, 0, 0}, 2, 1e-12));
        // and the same with B's order reversed: the kept direction need not be the first coordinate
        assertEquals(2.5e-3, SmallLinearAlgebra.largestGeneralizedEigenvalue(new double[] {7, 0, 0, 2.5},
                new double[] {1e-11, 0, 0, 1e3}, 2, 1e-12), 2.5e-3 * 1e-14);
    }
}
