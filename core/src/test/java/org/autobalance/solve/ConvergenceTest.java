package org.autobalance.solve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.synthetic.KnownMatrices;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** Gradient descent with the default schedule and initialisation reaches the known optimum. */
class ConvergenceTest {

    /**
     * At a stop by the gradient test, ‖R‖_F ≤ ‖∇f‖_F/√σ_r(M): near an exact rank-r factorisation R splits into its part
     * on V's column space, which ‖∇_U f‖ = ‖RV‖ bounds by σ_r(V)·‖RP_V‖, and the rest, which ‖∇_V f‖ = ‖RᵀU‖ bounds
     * through σ_r(U); balanced factors have σ_r(U)² = σ_r(V)² = σ_r(M). The stop rule gives
     * ‖∇f‖ ≤ tol·‖M‖_F·√(‖U‖² + ‖V‖²), so the relative error is at most tol·√(‖U‖² + ‖V‖²)/√σ_r; a factor 2 covers
     * the factors' residual imbalance. Float32 stops at its default tolerance 10⁻⁵, float64 at 10⁻¹².
     */
    @ParameterizedTest
    @CsvSource({"FLOAT64, 1e-12, 1", "FLOAT64, 1e-12, 2", "FLOAT32, 1e-5, 1", "FLOAT32, 1e-5, 2"})
    void recoversAnExactlyLowRankMatrix(DType dtype, double tolerance, int threads) {
        double sigmaR = 1;
        double[][] m = KnownMatrices.withSpectrum(60, 40, new double[] {3, 2, 1.5, sigmaR}, 101);
        try (DenseMatrix mm = DenseMatrix.of(dtype, m);
                Result result = Factorizer.builder(mm, 4).threads(threads).tolerance(tolerance).maxIterations(3000)
                        .build().run()) {
            assertEquals(StopReason.CONVERGED, result.stopReason(), "the bound below needs a stop by the gradient");
            double norms = Math.hypot(result.normU(), result.normV());
            double bound = 2 * tolerance * norms / Math.sqrt(sigmaR);
            assertTrue(result.relativeError() <= bound, "relative error " + result.relativeError() + " > " + bound);
            // from a small start the conserved imbalance stays at its tiny initial size while |U|², |V|² grow to
            // Σσ = 7.5: the factors end balanced
            assertTrue(result.balance() < 1e-3 * result.normU() * result.normU(), "balance " + result.balance());
        }
    }

    /**
     * Eckart–Young: no rank-k factorisation does better than f* = ½Σ_{i&gt;k}σᵢ². At a stop by the gradient test f − f*
     * ≤ ‖∇f‖²/(2μ), μ = σ_k − σ_{k+1} the curvature across the spectral gap, and the computed loss and the stored M
     * add worst-case rounding γ_n·‖M‖²_F with n = d1·d2 (Higham §3.1): 0.03 % of f* in float32, 10⁻¹¹ in float64,
     * while a wrong subspace misses f* by at least ½(σ_k² − σ_{k+1}²) ≈ 20 % of it.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class)
    void reachesTheTruncatedSvdOptimum(DType dtype) {
        int k = 5;
        double[] sigma = geomspace(10, 0.01, 48);
        double optimum = 0.0;
        double normM2 = 0.0;
        for (int i = 0; i < sigma.length; i++) {
            normM2 += sigma[i] * sigma[i];
            if (i >= k) {
                optimum += 0.5 * sigma[i] * sigma[i];
            }
        }
        double[][] m = KnownMatrices.withSpectrum(64, 48, sigma, 202);
        try (DenseMatrix mm = DenseMatrix.of(dtype, m);
                Result result = Factorizer.builder(mm, k).maxIterations(20_000).build().run()) {
            assertEquals(StopReason.CONVERGED, result.stopReason());
            double gradient = Factorizer.defaultTolerance(dtype) * Math.sqrt(normM2)
                    * Math.hypot(result.normU(), result.normV());
            double n = 64.0 * 48 * dtype.unitRoundoff();
            double rounding = n / (1 - n) * normM2;
            double bound = gradient * gradient / (2 * (sigma[k - 1] - sigma[k])) + rounding;
            assertTrue(result.loss() >= optimum - rounding, "below the optimum: " + result.loss());
            assertEquals(optimum, result.loss(), bound);
        }
    }

    static double[] geomspace(double from, double to, int n) {
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = from * Math.pow(to / from, i / (double) (n - 1));
        }
        return s;
    }
}
