package org.autobalance.solve.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.Float32RangeException;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.parallel.ParallelPass;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The residual on M's pattern that the observed loss's escape test forms, against its definition entry by entry. */
class ObservedResidualTest {

    /**
     * Every value is Mᵢⱼ − Σ_c u_ic·v_jc summed in double in rank order and rounded once, and the pattern is M's, with
     * 1, 2 and 3 threads (rows shared by stored entries: a dense block of rows, empty rows, a long last row).
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void isMMinusTheModelOnMsPatternForEveryThreadCount(DType dtype) {
        int d1 = 61;
        int d2 = 37;
        int rank = 5;
        SplittableRandom random = new SplittableRandom(7);
        double[][] a = new double[d1][d2];
        for (int i = 0; i < d1; i++) {
            double density = i < 10 ? 0.9 : i % 7 == 3 ? 0.0 : i == d1 - 1 ? 1.0 : 0.15;
            for (int j = 0; j < d2; j++) {
                a[i][j] = random.nextDouble() < density ? random.nextGaussian() : 0.0;
            }
        }
        try (SparseMatrix m = SparseMatrix.of(dtype, a);
                DenseMatrix u = DenseMatrix.allocate(dtype, d1, rank);
                DenseMatrix v = DenseMatrix.allocate(dtype, d2, rank)) {
            fill(u, random);
            fill(v, random);
            for (int threads = 1; threads <= 3; threads++) {
                try (ParallelPass pass = new ParallelPass(threads);
                        SparseMatrix r = residual(m, pass, u, v).residualAtFactors()) {
                    assertEquals(m.nonZeros(), r.nonZeros());
                    for (int i = 0; i <= d1; i++) {
                        assertEquals(m.rowStart(i), r.rowStart(i));
                    }
                    for (int i = 0; i < d1; i++) {
                        for (long k = m.rowStart(i); k < m.rowStart(i + 1); k++) {
                            int j = m.column(k);
                            double model = 0.0;
                            for (int c = 0; c < rank; c++) {
                                model += u.get(i, c) * v.get(j, c);
                            }
                            double expected = dtype == DType.FLOAT32 ? (float) (m.value(k) - model)
                                    : m.value(k) - model;
                            assertEquals(j, r.column(k));
                            assertEquals(expected, r.value(k), "entry (" + i + ", " + j + "), " + threads
                                    + " threads");
                        }
                    }
                }
            }
        }
    }

    /** A float32 residual beyond the float32 range is named by its entry, not stored as infinity. */
    @Test
    void aFloat32ValueBeyondTheRangeIsNamed() {
        DType dtype = DType.FLOAT32;
        try (SparseMatrix m = SparseMatrix.of(dtype, new double[][] {{1, 0}, {0, 2}});
                DenseMatrix u = DenseMatrix.of(dtype, new double[][] {{0}, {3e19}});
                DenseMatrix v = DenseMatrix.of(dtype, new double[][] {{0}, {3e19}});
                ParallelPass pass = new ParallelPass(2)) {
            Float32RangeException e = assertThrows(Float32RangeException.class,
                    () -> residual(m, pass, u, v).residualAtFactors());
            assertEquals(1, e.row());
            assertEquals(1, e.column());
        }
    }

    private static ObservedResidual residual(SparseMatrix m, ParallelPass pass, DenseMatrix u, DenseMatrix v) {
        return new ObservedResidual(KernelProvider.kernels(), KernelProvider.sparseKernels(), pass, m, 0.0, u, v);
    }

    private static void fill(DenseMatrix x, SplittableRandom random) {
        for (int i = 0; i < x.rows(); i++) {
            for (int c = 0; c < x.cols(); c++) {
                x.set(i, c, random.nextGaussian());
            }
        }
    }
}
