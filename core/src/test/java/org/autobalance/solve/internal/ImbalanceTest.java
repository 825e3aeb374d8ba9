package org.autobalance.solve.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.junit.jupiter.api.Test;

/** D = UᵀU − VᵀV on small integer factors, worked by hand: every value is exact, so the comparisons are exact. */
class ImbalanceTest {
    // U = [[1, 2], [3, 4], [0, -1]]: UᵀU = [[10, 14], [14, 21]]; V = [[2, 0], [1, 1]]: VᵀV = [[5, 1], [1, 1]]
    private static final double[][] U = {{1, 2}, {3, 4}, {0, -1}};
    private static final double[][] V = {{2, 0}, {1, 1}};
    private static final double[] D = {5, 13, 13, 20};

    @Test
    void ofArrays() {
        assertArrayEquals(D, Imbalance.of(U, V));
    }

    @Test
    void ofMatricesInBothPrecisions() {
        for (DType t : DType.values()) {
            try (DenseMatrix u = DenseMatrix.of(t, U); DenseMatrix v = DenseMatrix.of(t, V)) {
                assertArrayEquals(D, Imbalance.of(u, v), t.label());
            }
        }
    }

    @Test
    void driftIsTheFrobeniusDistance() {
        // D − 0 has Frobenius norm √(25 + 169 + 169 + 400) = √763
        assertEquals(Math.sqrt(763), Imbalance.drift(new double[4], D));
        assertEquals(0.0, Imbalance.drift(D, D.clone()));
    }

    @Test
    void differentRanksAreRefused() {
        try (DenseMatrix u = DenseMatrix.of(DType.FLOAT64, U); DenseMatrix v = DenseMatrix.allocate(DType.FLOAT64, 2,
                3)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Imbalance.of(u, v));
            assertEquals("U has 2 columns but V has 3", e.getMessage());
        }
    }

    /**
     * The bound's terms by hand: η = 0.1, f = 2, ‖U‖ = 3, ‖V‖ = 4 give 2·0.01·2·25 = 1 (exact in binary but for the
     * rounding of 0.1² and its products: 1e-15 relative), and the running bound is the prefix sum, starting at 0.
     */
    @Test
    void theDriftBoundIsTheRunningSumOfItsTerms() {
        org.autobalance.observe.IterationRecord a = org.autobalance.observe.IterationRecord.builder().iteration(0)
                .eta(0.1).loss(2, false).relativeError(0.5).balance(0).norms(3, 4).gradientNorm(1).seconds(0)
                .heldOutRmse(Double.NaN).build();
        org.autobalance.observe.IterationRecord b = org.autobalance.observe.IterationRecord.builder().iteration(1)
                .eta(0.5).loss(0.25, false).relativeError(0.5).balance(0).norms(1, 2).gradientNorm(1).seconds(0)
                .heldOutRmse(Double.NaN).build();
        assertEquals(1.0, Imbalance.driftBoundTerm(a), 1e-15);
        // 2·0.25·0.25·(1 + 4) = 0.625, exact
        assertEquals(0.625, Imbalance.driftBoundTerm(b));
        assertArrayEquals(new double[] {0, 1, 1.625}, Imbalance.driftBound(java.util.List.of(a, b)), 1e-15);
    }
}
