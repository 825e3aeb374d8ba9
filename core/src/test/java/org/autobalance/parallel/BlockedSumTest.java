package org.autobalance.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.solve.Factorizer;
import org.autobalance.solve.Result;
import org.autobalance.solve.StopReason;
import org.junit.jupiter.api.Test;

/**
 * A float32 fused pass sums MᵀU over a tall M in blocks of {@link IterationEngine#BLOCK_ROWS} rows, so that its
 * rounding does not grow with √d1 and MᵀU stands for the same M as MV. Oracle: the sums in double of the float32
 * values.
 */
class BlockedSumTest {
    private static final int ROWS = 1_000_000;

    /** A tall M = x yᵀ of exact rank 1 with positive entries: every term of a column's sum has one sign. */
    private static DenseMatrix tallRankOne(int cols, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] y = new double[cols];
        for (int j = 0; j < cols; j++) {
            y[j] = 0.5 + random.nextDouble();
        }
        DenseMatrix m = DenseMatrix.allocate(DType.FLOAT32, ROWS, cols);
        for (int i = 0; i < ROWS; i++) {
            double x = 0.5 + random.nextDouble();
            for (int j = 0; j < cols; j++) {
                m.set(i, j, x * y[j]);
            }
        }
        return m;
    }

    /**
     * One thread's chunk of 1 000 000 rows: MᵀU within (√B + √(d1/B) + 2)·u = 5.0e-6 of the sums in double (u = 2⁻²⁴,
     * B the block; measured 1.0e-7 to 3.4e-7), where one sum over the chunk in the kernel's float32 was 2.7e-6 to
     * 9.8e-6 off (measured with the blocks turned off).
     */
    @Test
    void mtuOfATallFloat32MatrixIsSummedInBlocks() {
        int cols = 3;
        try (DenseMatrix m = tallRankOne(cols, 1);
                DenseMatrix u = DenseMatrix.allocate(DType.FLOAT32, ROWS, 1);
                DenseMatrix v = DenseMatrix.allocate(DType.FLOAT32, cols, 1);
                ParallelPass pass = new ParallelPass(1)) {
            SplittableRandom random = new SplittableRandom(2);
            for (int i = 0; i < ROWS; i++) {
                u.set(i, 0, 0.5 + random.nextDouble());
            }
            for (int j = 0; j < cols; j++) {
                v.set(j, 0, 1.0);
            }
            try (IterationEngine engine = new IterationEngine(KernelProvider.kernels(), pass, m, u, v)) {
                engine.fusedPass();
                double u32 = Math.scalb(1.0, -24);
                double bound = (Math.sqrt(IterationEngine.BLOCK_ROWS) + Math.sqrt((double) ROWS
                        / IterationEngine.BLOCK_ROWS) + 2) * u32;
                for (int j = 0; j < cols; j++) {
                    double exact = 0.0;
                    for (int i = 0; i < ROWS; i++) {
                        exact += m.get(i, j) * u.get(i, 0);
                    }
                    double error = Math.abs(engine.mtu().get(j, 0) - exact) / exact;
                    assertTrue(error <= bound, "column " + j + ": relative error " + error + ", bound " + bound);
                }
            }
        }
    }

    /**
     * The run this is for: a tall float32 M of exact rank 1 converges, and UᵀU − VᵀV stays where float64 leaves it,
     * within float32's resolution of the factors' squared norms (the stop tolerance 1e-5 times ‖U‖²_F ≈ σ₁). Summed in
     * one call per chunk, MᵀU's rounding kept the gradient above the stop test's 1e-5 and the balance grew every
     * iteration: from 0.001 to 2.4 in 50 iterations and 38 in 300, never converged (a 1 000 000 × 1 M from numpy).
     */
    @Test
    void aTallFloat32MatrixOfRankOneConvergesBalanced() {
        try (DenseMatrix m = tallRankOne(1, 3);
                DenseMatrix m64 = DenseMatrix.allocate(DType.FLOAT64, ROWS, 1)) {
            for (int i = 0; i < ROWS; i++) {
                m64.set(i, 0, m.get(i, 0));
            }
            try (Result result = Factorizer.builder(m, 1).threads(1).maxIterations(300).build().run();
                    Result oracle = Factorizer.builder(m64, 1).threads(1).maxIterations(300).build().run()) {
                String where = result.iterations() + " iterations, " + result.stopReason().label()
                        + ", relative error " + result.relativeError() + ", balance " + result.balance()
                        + " (float64: " + oracle.balance() + ")";
                assertEquals(StopReason.CONVERGED, result.stopReason(), where);
                assertEquals(StopReason.CONVERGED, oracle.stopReason(), where);
                assertTrue(Math.abs(result.balance() - oracle.balance()) <= 1e-5 * result.normU() * result.normU(),
                        where);
            }
        }
    }
}
