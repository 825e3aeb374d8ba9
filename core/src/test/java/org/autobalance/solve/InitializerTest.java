package org.autobalance.solve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.synthetic.KnownMatrices;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The balanced start by its defining property, read from a run of zero iterations (which returns the start). */
class InitializerTest {

    /**
     * balanced:S gives U₀ᵀU₀ = V₀ᵀV₀ = S²·max(d1, d2)·I: orthonormal columns scaled by S·√max(d1, d2). The columns
     * come from Q = G·L⁻ᵀ, whose Gram is I up to ~r·u·κ(G)² (κ of a tall Gaussian G is a few), so 10⁻¹² of the
     * scale bounds the deviation with a wide margin; with a column of Q wrong by any finite amount it would be O(1).
     */
    @ParameterizedTest
    @CsvSource({"40, 25, 3, 0.01", "12, 30, 5, 0.5"})
    void theBalancedStartHasEqualScaledIdentityGrams(int d1, int d2, int r, double s) {
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, KnownMatrices.gaussian(d1, d2, 1, 3));
                Result start = Factorizer.builder(m, r).initializer(Initializer.balanced(s)).maxIterations(0).build()
                        .run()) {
            double expected = s * s * Math.max(d1, d2);
            for (DenseMatrix x : new DenseMatrix[] {start.u(), start.v()}) {
                double[][] a = x.toArray();
                for (int p = 0; p < r; p++) {
                    for (int q = 0; q < r; q++) {
                        double g = 0;
                        for (double[] row : a) {
                            g += row[p] * row[q];
                        }
                        assertEquals(p == q ? expected : 0.0, g, 1e-12 * expected, "Gram[" + p + ", " + q + "]");
                    }
                }
            }
            assertEquals("balanced:" + s, start.initializer());
        }
    }
}
