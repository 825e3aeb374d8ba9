package org.autobalance.solve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.schedule.ConstantSchedule;
import org.autobalance.synthetic.KnownMatrices;
import org.junit.jupiter.api.Test;

/**
 * An M at the edge of its precision's range, as a library user tried it: entries whose squares underflow float64 were
 * reported as "matrix M is all zeros", entries whose squares overflow it failed with "constant step must be finite
 * and positive, got NaN", and so did a float32 M whose entries are all subnormal. (The warning for a float32 M
 * whose iterates leave float32's range: ScaleWarningTest in src-test, where java.util.logging can be read.)
 */
class ScaleRangeTest {
    /**
     * A Gaussian 40 × 30 matrix times {@code scale}, built in float64 (the scale is applied before rounding); also
     * ScaleWarningTest's.
     */
    static double[][] scaled(double scale) {
        double[][] a = KnownMatrices.gaussian(40, 30, 1, 3);
        for (double[] row : a) {
            for (int j = 0; j < row.length; j++) {
                row[j] *= scale;
            }
        }
        return a;
    }

    @Test
    void entriesWhoseSquaresUnderflowAreNotCalledZeros() {
        // 1e-200² = 1e-400, below float64's smallest subnormal 4.9e-324: every square rounds to 0
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, scaled(1e-200))) {
            String message = assertThrows(IllegalArgumentException.class,
                    () -> Factorizer.builder(m, 2).build().run()).getMessage();
            assertTrue(message.startsWith("matrix M is not zero, but the squares of M's entries underflow float64")
                    && message.contains("scale M up"), message);
        }
        try (DenseMatrix zero = DenseMatrix.allocate(DType.FLOAT64, 40, 30)) {
            assertEquals("matrix M is all zeros: its best rank-2 approximation is 0 and the relative error is "
                    + "undefined", assertThrows(IllegalArgumentException.class,
                            () -> Factorizer.builder(zero, 2).build().run()).getMessage());
        }
        // a sparse M takes the same path
        try (SparseMatrix s = SparseMatrix.of(DType.FLOAT64, scaled(1e-200))) {
            String message = assertThrows(IllegalArgumentException.class,
                    () -> Factorizer.builder(s, 2).build().run()).getMessage();
            assertTrue(message.startsWith("matrix M is not zero, but"), message);
        }
    }

    @Test
    void entriesWhoseSquaresOverflowAreNamed() {
        // 1e200² = 1e400, beyond float64's largest 1.8e308
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, scaled(1e200))) {
            String message = assertThrows(IllegalArgumentException.class,
                    () -> Factorizer.builder(m, 2).build().run()).getMessage();
            assertTrue(message.startsWith("the squares of M's entries overflow float64") && message.contains(
                    "scale M down"), message);
        }
    }

    /**
     * A float64 M whose squares are in range but whose ‖∇f‖²_F, of order σ₁³, is not (a new user's finding): at
     * σ₁ ≈ 1e-107 the squared gradient rounded to 0 at every iteration and the run stopped "converged" at several times
     * the optimum's relative error; at σ₁ ≈ 1e105 it "diverged" with the advice to take a smaller step. Both are now
     * refused with the advice to scale M, and an M just inside the range still converges.
     */
    @Test
    void aFloat64MWhoseSquaredGradientLeavesFloat64IsRefusedNotConverged() {
        for (double scale : new double[] {1e-108, 1e104}) {
            try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, scaled(scale))) {
                String message = assertThrows(IllegalArgumentException.class,
                        () -> Factorizer.builder(m, 2).build().run().close()).getMessage();
                assertTrue(message.startsWith("M's scale is " + (scale < 1 ? "below" : "beyond") + " float64's range")
                        && message.contains(scale < 1 ? "scale M up" : "scale M down"), message);
            }
        }
        // a given step and start run no σ₁ passes: ‖M‖_F bounds σ₁ there (η·σ₁ = 0.5 for the Gaussian's σ₁ ≈ 12)
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, scaled(1e-108))) {
            String message = assertThrows(IllegalArgumentException.class, () -> Factorizer.builder(m, 2)
                    .schedule(new ConstantSchedule(4e106)).initializer(Initializer.small(1e-56)).build().run()
                    .close()).getMessage();
            assertTrue(message.startsWith("M's scale is below float64's range") && message.contains("scale M up"),
                    message);
        }
        double[][] reference = scaled(1);
        try (DenseMatrix one = DenseMatrix.of(DType.FLOAT64, reference);
                DenseMatrix small = DenseMatrix.of(DType.FLOAT64, scaled(1e-100));
                Result atOne = Factorizer.builder(one, 2).build().run();
                Result atSmall = Factorizer.builder(small, 2).build().run()) {
            assertEquals(StopReason.CONVERGED, atSmall.stopReason());
            assertEquals(atOne.relativeError(), atSmall.relativeError(), 1e-6 * atOne.relativeError());
        }
    }

    @Test
    void aFloat32MOfSubnormalEntriesIsNamedNotANaNStep() {
        // 1e-42 is subnormal in float32 (smallest normal 1.2e-38): the σ₁ estimate's products round to zero; the
        // squares, summed in float64, do not, so the M is not refused as zeros
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT32, scaled(1e-42));
                SparseMatrix s = SparseMatrix.of(DType.FLOAT32, scaled(1e-42))) {
            for (Factorizer f : new Factorizer[] {Factorizer.builder(m, 2).build(), Factorizer.builder(s, 2).build()}) {
                String message = assertThrows(IllegalArgumentException.class, f::run).getMessage();
                assertTrue(message.startsWith("σ₁(M) could not be estimated in float32") && message.contains(
                        "fall below float32's normal range") && message.contains("scale M up"), message);
            }
        }
    }
}
