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

    @ParameterizedTest
    @CsvSource({"FLOAT64, 1e-8, 1", "FLOAT64, 1e-8, 2", "FLOAT32, 1e-4, 1", "FLOAT32, 1e-4, 2"})
    void recoversAnExactlyLowRankMatrix(DType dtype, double bound, int threads) {
        double[][] m = KnownMatrices.withSpectrum(60, 40, new double[] {3, 2, 1.5, 1}, 101);
        try (DenseMatrix mm = DenseMatrix.of(dtype, m);
                Result result = Factorizer.builder(mm, 4).threads(threads).tolerance(1e-12).maxIterations(3000)
                        .build().run()) {
            assertTrue(result.relativeError() < bound, "relative error " + result.relativeError());
            // from a small start the conserved imbalance stays at its tiny initial size while |U|², |V|² grow to
            // Σσ = 7.5: the factors end balanced
            assertTrue(result.balance() < 1e-3 * result.normU() * result.normU(), "balance " + result.balance());
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class)
    void reachesTheTruncatedSvdOptimum(DType dtype) {
        int k = 5;
        double[] sigma = geomspace(10, 0.01, 48);
        double optimum = 0.0;
        for (int i = k; i < sigma.length; i++) {
            optimum += 0.5 * sigma[i] * sigma[i];
        }
        double[][] m = KnownMatrices.withSpectrum(64, 48, sigma, 202);
        try (DenseMatrix mm = DenseMatrix.of(dtype, m);
                Result result = Factorizer.builder(mm, k).maxIterations(20_000).build().run()) {
            // Eckart–Young: no rank-k factorisation does better than ½Σ_{i>k}σᵢ²; GD gets within 0.1 %
            assertTrue(result.loss() >= optimum * (1 - 1e-6), "below the optimum: " + result.loss());
            assertEquals(optimum, result.loss(), 1e-3 * optimum);
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
