package org.autobalance.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.synthetic.KnownMatrices;
import org.autobalance.testing.Dense;
import org.autobalance.testing.RandomSparse;
import org.autobalance.testing.ResidualOracle;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The exact residual ‖UVᵀ − M‖²_F of a sparse M ({@link SparseResidual}, through {@link IterationEngine}) against an
 * oracle summed in double over all d1·d2 entries from the same stored values, within its derived rounding bound
 * ({@link ResidualOracle}), and against the dense engine's
 * residual kernel (another implementation: residual rows formed by its own register tiles) on M densified; the same
 * bits for 1, 2 and 3 threads. Shapes cross the tile grid: rows past a multiple of {@link SparseResidual#TILE_ROWS},
 * columns below, at and past multiples of {@link SparseResidual#TILE_COLS}; ranks on both of the GEMM's paths
 * (k ≤ 8 and k > 8); empty rows and columns, a dense row, no stored entry, a single one.
 */
class SparseResidualTest {
    @ParameterizedTest
    @CsvSource({"UNIFORM, 130, 1100, 9", "POWER_LAW, 70, 1024, 3", "EMPTY_ROWS_AND_COLUMNS, 64, 2085, 17",
        "DENSE_ROW, 9, 80, 2", "EMPTY, 5, 7, 1", "SINGLE, 3, 1030, 2"})
    void equalsTheSumOverAllEntries(RandomSparse.Pattern pattern, int d1, int d2, int r) {
        RandomSparse.Sample sample = RandomSparse.sample(pattern, d1, d2, 17);
        for (DType dtype : DType.values()) {
            try (SparseMatrix m = sample.matrix(dtype); DenseMatrix dense = m.toDense();
                    DenseMatrix u = Dense.matrix(dtype, KnownMatrices.gaussian(d1, r, 0.4, 18));
                    DenseMatrix v = Dense.matrix(dtype, KnownMatrices.gaussian(d2, r, 0.4, 19))) {
                double[][] mv = sample.rounded(dtype);
                double[][] uv = u.toArray();
                double[][] vv = v.toArray();
                ResidualOracle oracle = ResidualOracle.of(mv, uv, vv, dtype.unitRoundoff());
                double got = residual(m, null, u, v, 1);
                String what = pattern + " " + d1 + " x " + d2 + " r=" + r + " " + dtype.label();
                // both the engine (rounding u of its dtype) and the oracle (u = 2⁻⁵³) are within their bounds
                assertEquals(oracle.sum(), got, oracle.tolerance(), what);
                assertEquals(oracle.sum(), residual(null, dense, u, v, 1), oracle.tolerance(), what + ", dense");
                for (int threads = 2; threads <= 3; threads++) {
                    assertEquals(Double.doubleToRawLongBits(got), Double.doubleToRawLongBits(
                            residual(m, null, u, v, threads)), what + ", " + threads + " threads");
                }
                if (pattern != RandomSparse.Pattern.EMPTY) {
                    // the premise: the stored entries matter far beyond the bound (a missed or misplaced one fails)
                    double withoutM = ResidualOracle.of(new double[d1][d2], uv, vv, dtype.unitRoundoff()).sum();
                    assertTrue(Math.abs(withoutM - oracle.sum()) > 100 * oracle.tolerance(), what);
                }
            }
        }
    }

    /**
     * A stop asked between blocks of rows ends the pass with NaN: with 1 or 2 threads and 20 blocks of 64 rows, a stop
     * that says yes from its 5th question on is asked fewer times than there are blocks; a stop that never says yes
     * gives the sum, bit for bit. (Which threads ask is the scheduler's: on a busy machine one thread has reached the
     * stop before the other started, and a check that both asked failed once in a full suite.)
     */
    @ParameterizedTest
    @CsvSource({"1", "2"})
    void aStopBetweenBlocksEndsThePassWithNaN(int threads) {
        int d1 = 20 * SparseResidual.TILE_ROWS;
        RandomSparse.Sample sample = RandomSparse.sample(RandomSparse.Pattern.UNIFORM, d1, 300, 23);
        try (SparseMatrix m = sample.matrix(DType.FLOAT64);
                DenseMatrix u = Dense.matrix(DType.FLOAT64, KnownMatrices.gaussian(d1, 4, 0.4, 24));
                DenseMatrix v = Dense.matrix(DType.FLOAT64, KnownMatrices.gaussian(300, 4, 0.4, 25));
                ParallelPass pass = new ParallelPass(threads);
                IterationEngine engine = new IterationEngine(KernelProvider.kernels(), KernelProvider.sparseKernels(),
                        pass, m, false, null, u, v)) {
            AtomicInteger asked = new AtomicInteger();
            double stopped = engine.residualSquared(() -> asked.incrementAndGet() >= 5);
            assertTrue(Double.isNaN(stopped), "stopped: " + stopped);
            assertTrue(asked.get() >= 5 && asked.get() < 20, "asked " + asked.get() + " times");
            assertEquals(Double.doubleToRawLongBits(residual(m, null, u, v, threads)),
                    Double.doubleToRawLongBits(engine.residualSquared(() -> false)), "a pass after a stopped one");
        }
    }

    private static double residual(SparseMatrix m, DenseMatrix dense, DenseMatrix u, DenseMatrix v, int threads) {
        try (ParallelPass pass = new ParallelPass(threads);
                IterationEngine engine = m != null
                        ? new IterationEngine(KernelProvider.kernels(), KernelProvider.sparseKernels(), pass, m,
                                false, null, u, v)
                        : new IterationEngine(KernelProvider.kernels(), pass, dense, u, v)) {
            return engine.residualSquared(() -> false);
        }
    }
}
