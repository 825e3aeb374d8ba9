package org.autobalance.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.kernel.SparseKernels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;
import org.junit.jupiter.api.Test;

/**
 * The float32 sparse products sum a row of more than {@link SparseKernels#BLOCK} stored entries in blocks of BLOCK
 * columns at fixed places, and the observed loss's scatter adds its d2-side output up in blocks of BLOCK rows, so that
 * a long sum's rounding does not grow with its length and MᵀU stands for the same M as MV (native-notes/sparse.md,
 * "Long rows in blocks"). Oracle: the sums in double of the float32 values.
 *
 * <p><b>Bound</b> (worst case, never flaky): a sum in blocks has at most BLOCK terms in a block's chains (their even
 * and odd halves added once) and at most ⌈n/BLOCK⌉ block sums in the total, where n is the index range the blocks cut
 * (A's columns for a product; M's rows for the scatter); each FMA or addition rounds once by at most u = 2⁻²⁴ of a
 * partial sum, and every partial sum of positive terms is at most their sum s, so |ŝ − s| ≤ (BLOCK + ⌈n/BLOCK⌉ + 2)·u·s
 * to first order: 2.6·10⁻⁴ of s here. A million terms of 0.1 come out 1.8·10⁻⁵ (gather) and 4.1·10⁻⁵ (scatter) of s
 * off; without the blocks (where every test here fails) 3.5·10⁻³ (the gather's even/odd pair of chains of 500 000) and
 * 9.6·10⁻³ (the scatter's one chain). Random terms in [0.05, 0.15), whose roundings do not all lean one way, come out
 * 6·10⁻⁹ to 4·10⁻⁷ off.
 */
class SparseBlockedSumTest {
    private static final int N = 1_000_003;

    /** (BLOCK + ⌈n/BLOCK⌉ + 2)·u: the relative bound of the class comment. */
    private static double bound(long n) {
        return (SparseKernels.BLOCK + (n + SparseKernels.BLOCK - 1) / SparseKernels.BLOCK + 2) * Math.scalb(1.0, -24);
    }

    /**
     * A {@code rows} × {@code cols} float32 M, every entry stored: 0.1 in the first column or row (whichever is
     * long), random in [0.05, 0.15) in the other.
     */
    private static SparseMatrix dense(int rows, int cols, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        try (SparseMatrix.RowBuilder b = SparseMatrix.rowBuilder(DType.FLOAT32, rows, cols, (long) rows * cols)) {
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    boolean constant = rows > cols ? j == 0 : i == 0;
                    b.add(j, constant ? 0.1 : 0.05 + 0.1 * random.nextDouble());
                }
                b.endRow();
            }
            return b.build();
        }
    }

    private static DenseMatrix ones(int rows) {
        DenseMatrix x = DenseMatrix.allocate(DType.FLOAT32, rows, 1);
        for (int i = 0; i < rows; i++) {
            x.set(i, 0, 1.0);
        }
        return x;
    }

    /** Row i of A = M (or Mᵀ, {@code transposed}) summed in double: Σ_j A[i,j]·1. */
    private static double exactRowSum(SparseMatrix m, int i, boolean transposed) {
        double sum = 0.0;
        if (!transposed) {
            for (long k = m.rowStart(i); k < m.rowStart(i + 1); k++) {
                sum += m.value(k);
            }
            return sum;
        }
        for (int row = 0; row < m.rows(); row++) {
            sum += m.get(row, i);
        }
        return sum;
    }

    private static void assertWithin(double actual, double exact, double bound, String where) {
        double error = Math.abs(actual - exact) / exact;
        assertTrue(error <= bound, where + ": relative error " + error + ", bound " + bound);
    }

    /**
     * The SIMD gather product itself: a row of a million entries, through M (MV of a wide M) and through Mᵀ (MᵀU of
     * a tall M), within the bound; and a row range that starts at the long row gives it the same bits.
     */
    @Test
    void aLongRowOfTheProductIsSummedInBlocks() {
        assumeTrue(KernelProvider.vectorModulePresent(), "the SIMD kernels need the vector module");
        SparseKernels k = KernelProvider.sparseSimd();
        try (SparseMatrix wide = dense(2, N, 1);
                DenseMatrix x = ones(N);
                DenseMatrix y = DenseMatrix.allocate(DType.FLOAT32, 2, 1);
                DenseMatrix y1 = DenseMatrix.allocate(DType.FLOAT32, 2, 1)) {
            k.product(wide, x, 0, 2, y);
            k.product(wide, x, 0, 1, y1);
            for (int i = 0; i < 2; i++) {
                assertWithin(y.get(i, 0), exactRowSum(wide, i, false), bound(N), "row " + i + " of M·V");
            }
            assertEquals(Float.floatToRawIntBits((float) y.get(0, 0)), Float.floatToRawIntBits((float) y1.get(0, 0)),
                    "the long row's bits with another row range");
        }
        try (SparseMatrix tall = dense(N, 2, 2);
                DenseMatrix x = ones(N);
                DenseMatrix y = DenseMatrix.allocate(DType.FLOAT32, 2, 1)) {
            k.product(tall.transposed(), x, 0, 2, y);
            for (int j = 0; j < 2; j++) {
                assertWithin(y.get(j, 0), exactRowSum(tall, j, true), bound(N), "row " + j + " of Mᵀ·U");
            }
        }
    }

    /**
     * The engine's full loss over a tall and a wide float32 M with long columns and rows: MᵀU and MV within the bound,
     * the same bits at one and two threads; and such an M (rows or columns beyond {@link IterationEngine#LONG_CHAIN})
     * never runs the panel layouts, whose kernels would take each row as one chain (the tests fix their panels at
     * 1 MiB, so they would run here otherwise).
     */
    @Test
    void theFullLossEngineSumsLongColumnsAndRowsInBlocks() {
        try (SparseMatrix tall = dense(N, 2, 3);
                SparseMatrix wide = dense(2, N, 4)) {
            assertTrue(IterationEngine.longSums(tall) && IterationEngine.longSums(wide));
            for (SparseMatrix m : new SparseMatrix[] {tall, wide}) {
                boolean isTall = m == tall;
                float[][] bits = new float[2][];
                for (int threads = 1; threads <= 2; threads++) {
                    try (DenseMatrix u = ones(m.rows());
                            DenseMatrix v = ones(m.cols());
                            ParallelPass pass = new ParallelPass(threads);
                            IterationEngine engine = new IterationEngine(KernelProvider.kernels(),
                                    KernelProvider.sparseKernels(), pass, m, false, null, u, v)) {
                        engine.multiply();
                        DenseMatrix out = isTall ? engine.mtu() : engine.mv();
                        bits[threads - 1] = new float[2];
                        for (int i = 0; i < 2; i++) {
                            assertWithin(out.get(i, 0), exactRowSum(m, i, isTall), bound(N),
                                    (isTall ? "MᵀU" : "MV") + " row " + i + ", " + threads + " threads");
                            bits[threads - 1][i] = (float) out.get(i, 0);
                        }
                    }
                }
                for (int i = 0; i < 2; i++) {
                    assertEquals(Float.floatToRawIntBits(bits[0][i]), Float.floatToRawIntBits(bits[1][i]),
                            "row " + i + " at one and at two threads");
                }
            }
        }
    }

    /**
     * The observed loss's scatter over a tall float32 M: at U = 1, V = 0 every residual is −M[i,j], so its d2-side
     * output is the column sums of M, within the bound at one and at two threads; a wider M, whose blocks would cost
     * more than a sixteenth of its entries, is not blocked.
     */
    @Test
    void theObservedScatterSumsLongColumnsInBlocks() {
        try (SparseMatrix tall = dense(N, 2, 5)) {
            assertTrue(IterationEngine.scatterBlocked(tall));
            for (int threads = 1; threads <= 2; threads++) {
                try (DenseMatrix u = ones(N);
                        DenseMatrix v = DenseMatrix.allocate(DType.FLOAT32, 2, 1);
                        ParallelPass pass = new ParallelPass(threads);
                        IterationEngine engine = new IterationEngine(KernelProvider.kernels(),
                                KernelProvider.sparseKernels(), pass, tall, true, null, u, v)) {
                    engine.fusedPass();
                    for (int j = 0; j < 2; j++) {
                        assertWithin(engine.mtu().get(j, 0), exactRowSum(tall, j, true), bound(N),
                                "column " + j + ", " + threads + " threads");
                    }
                }
            }
        }
        // 100 000 columns, one of them stored in each of 2·BLOCK + 1 rows: 3 blocks of 100 000 rows to add
        int rows = 2 * SparseKernels.BLOCK + 1;
        try (SparseMatrix.RowBuilder b = SparseMatrix.rowBuilder(DType.FLOAT32, rows, 100_000, rows)) {
            for (int i = 0; i < rows; i++) {
                b.add(0, 0.1);
                b.endRow();
            }
            try (SparseMatrix wider = b.build()) {
                assertFalse(IterationEngine.scatterBlocked(wider));
            }
        }
    }
}
