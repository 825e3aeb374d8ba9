package org.autobalance.network;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.autobalance.memory.DenseMatrix;
import org.autobalance.synthetic.KnownMatrices;
import org.junit.jupiter.api.Test;

/**
 * The σ of {@code auto} on data where it is known: X = I (white: XᵀX/n = I/n, λ = 1/n) and Y = Mᵀ with M of known
 * singular values, so YᵀX/n = M/n, s = σ₁(M), and σ = (N/2)·λ·s^{2(N−1)/N}: σ₁(M)/n for N = 2 (the factorisation's
 * auto step scaled by n) and (3/2)·σ₁(M)^{4/3}/n for N = 3. The power iterations converge like (σ₂/σ₁)^{2t} =
 * 3^{−100}: 1e-12 relative is far above what remains.
 */
class NetworkScaleTest {

    @Test
    void sigmaOnWhiteInputsIsTheBalancedLinearSharpnessOverTwo() {
        double[][] m = KnownMatrices.withSpectrum(9, 7, new double[] {3, 1, 0.5}, 4);
        int n = 7;
        double[][] x = new double[n][n];
        double[][] y = new double[n][9];
        for (int j = 0; j < n; j++) {
            x[j][j] = 1;
            for (int i = 0; i < 9; i++) {
                y[j][i] = m[i][j];
            }
        }
        try (DenseMatrix xm = Cases.matrix(x); DenseMatrix ym = Cases.matrix(y)) {
            assertEquals(3.0 / n, NetworkScale.sigma(xm, ym, 2, 1), 1e-12 * 3.0 / n);
            double deep = 1.5 * Math.pow(3.0, 4.0 / 3) / n;
            assertEquals(deep, NetworkScale.sigma(xm, ym, 3, 1), 1e-12 * deep);
        }
    }
}
