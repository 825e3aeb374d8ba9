package org.autobalance.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.autobalance.kernel.FactorKernels;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.kernel.ScalarKernels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.solve.Factorizer;
import org.autobalance.solve.Result;
import org.autobalance.solve.StopReason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The dense pass's 2-D grid ({@link IterationEngine#columnBlocks}): threads own blocks of M's rows and columns, so
 * the kernels run on blocks of M's columns whose rows' "padding" is the next block's columns. Oracle: MV, MᵀU,
 * ⟨U, MV⟩ and the Grams summed in double from the stored values, within the worst-case bound of a sum of n terms in
 * any order, γₙ·Σ|terms| with γₙ = n·u / (1 − n·u): a block missed, counted twice or read past its end moves a sum by
 * the size of its terms, far beyond it.
 */
class GridPassTest {
    /** 1000 columns: not a multiple of the kernels' blocks (96 or 48), so the last block's panels end in padding. */
    private static final int ROWS = 300;
    private static final int COLS = 1000;

    private static DenseMatrix random(DType dtype, int rows, int cols, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        DenseMatrix x = DenseMatrix.allocate(dtype, rows, cols);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                x.set(i, j, random.nextDouble(-1, 1));
            }
        }
        return x;
    }

    /** γₙ for a sum of n terms in the precision of dtype: its error is at most γₙ times the sum of their magnitudes. */
    private static double bound(DType dtype, int n) {
        double u = dtype == DType.FLOAT32 ? Math.scalb(1.0, -24) : Math.scalb(1.0, -53);
        return n * u / (1 - n * u);
    }

    /** Element (i, k) of a matrix. */
    @FunctionalInterface
    private interface Entry {
        double at(int i, int k);
    }

    /**
     * Asserts element (i, a) of {@code got} = Σ_k A(i, k)·X(k, a) over {@code terms} terms within {@code gamma} times
     * the sum of their magnitudes; returns that sum in double and the magnitudes' sum.
     */
    private static double[] requireProduct(String name, Entry a, DenseMatrix x, int i, int col, int terms,
            DenseMatrix got, double gamma) {
        double exact = 0;
        double scale = 0;
        for (int k = 0; k < terms; k++) {
            exact += a.at(i, k) * x.get(k, col);
            scale += Math.abs(a.at(i, k) * x.get(k, col));
        }
        double value = got.get(i, col);
        assertTrue(Math.abs(value - exact) <= gamma * scale, name + "(" + i + ", " + col + ") = " + value
                + ", exact " + exact);
        return new double[] {exact, scale};
    }

    /**
     * Ranks on the row stream and the GEMM path, both precisions; 4 threads as 2 × 2 and 1 × 4 blocks, 2 threads as
     * 1 × 2. Each element of MV is a sum of d2 products and Q − 1 partials added, each of MᵀU of d1 products (summed in
     * blocks, then partials added): n = d1 + d2 bounds both.
     */
    @ParameterizedTest
    @CsvSource({"FLOAT32, 12, 4, 2", "FLOAT32, 40, 4, 4", "FLOAT32, 40, 2, 2", "FLOAT64, 6, 4, 2",
        "FLOAT64, 40, 4, 2", "FLOAT64, 40, 4, 4"})
    void theGridsSumsAreMsWithinTheirRounding(DType dtype, int rank, int threads, int blocks) {
        FactorKernels kernels = KernelProvider.kernels();
        assumeTrue(kernels.columnBlock(dtype, rank) > 0, "rank " + rank + " is on the small-rank path here");
        try (DenseMatrix m = random(dtype, ROWS, COLS, 1);
                DenseMatrix u = random(dtype, ROWS, rank, 2);
                DenseMatrix v = random(dtype, COLS, rank, 3);
                ParallelPass pass = new ParallelPass(threads);
                IterationEngine engine = new IterationEngine(kernels, pass, m, u, v, blocks)) {
            assertEquals(blocks, engine.columnBlocks());
            double dot = engine.fusedPass();
            int n = ROWS + COLS;
            double dotExact = 0;
            double dotScale = 0;
            for (int i = 0; i < ROWS; i++) {
                for (int a = 0; a < rank; a++) {
                    double[] mv = requireProduct("MV", m::get, v, i, a, COLS, engine.mv(), bound(dtype, n));
                    dotExact += u.get(i, a) * mv[0];
                    dotScale += Math.abs(u.get(i, a)) * mv[1];
                }
            }
            // ⟨U, MV⟩ in double of the stored MV: its own sum's rounding is double's, MV's is bounded above
            assertTrue(Math.abs(dot - dotExact) <= (bound(dtype, n) + bound(DType.FLOAT64, n * rank)) * dotScale,
                    "<U, MV> = " + dot + ", exact " + dotExact);
            for (int j = 0; j < COLS; j++) {
                for (int a = 0; a < rank; a++) {
                    requireProduct("MᵀU", (p, k) -> m.get(k, p), u, j, a, ROWS, engine.mtu(), bound(dtype, n));
                }
            }
            try (IterationEngine rows = new IterationEngine(kernels, pass, m, u, v, 1)) {
                rows.fusedPass();
                // the Grams do not depend on the grid: the same chunks of U's and V's rows
                assertArrayEquals(rows.gramU, engine.gramU);
                assertArrayEquals(rows.gramV, engine.gramV);
            }
        }
    }

    /** A fixed grid gives the same bits every time, as the 1-D pass does for a fixed thread count. */
    @Test
    void theGridIsDeterministic() {
        FactorKernels kernels = KernelProvider.kernels();
        int rank = 40;
        assumeTrue(kernels.columnBlock(DType.FLOAT32, rank) > 0);
        try (DenseMatrix m = random(DType.FLOAT32, ROWS, COLS, 4);
                DenseMatrix u = random(DType.FLOAT32, ROWS, rank, 5);
                DenseMatrix v = random(DType.FLOAT32, COLS, rank, 6);
                ParallelPass pass = new ParallelPass(4)) {
            double[] first = null;
            for (int run = 0; run < 3; run++) {
                try (IterationEngine engine = new IterationEngine(kernels, pass, m, u, v, 2)) {
                    double dot = engine.fusedPass();
                    double[] bits = new double[ROWS * rank + COLS * rank + 1];
                    int k = 0;
                    for (int i = 0; i < ROWS; i++) {
                        for (int a = 0; a < rank; a++) {
                            bits[k++] = engine.mv().get(i, a);
                        }
                    }
                    for (int j = 0; j < COLS; j++) {
                        for (int a = 0; a < rank; a++) {
                            bits[k++] = engine.mtu().get(j, a);
                        }
                    }
                    bits[k] = dot;
                    if (first == null) {
                        first = bits;
                    } else {
                        assertArrayEquals(first, bits, "run " + run);
                    }
                }
            }
        }
    }

    /**
     * Where the grid is not taken: the small-rank path (it sweeps a row to its stride), blocks that do not divide
     * the threads, a tall M (its Q − 1 partials of MV would outweigh the partials of MᵀU saved), too few columns for a
     * block each; and by default below 16 threads.
     */
    @Test
    void theGridRunsOnlyWhereItsRulesAllow() {
        FactorKernels simd = KernelProvider.kernels();
        FactorKernels scalar = new ScalarKernels();
        DType f32 = DType.FLOAT32;
        assertEquals(4, IterationEngine.columnBlocks(scalar, f32, 1000, 1000, 2, 16));
        assertEquals(1, IterationEngine.columnBlocks(scalar, f32, 1000, 1000, 2, 8));
        assertEquals(1, IterationEngine.columnBlocks(scalar, f32, 1000, 1000, 2, 18));
        // (Q − 1)·d1 against (threads − P)·d2 = 3·d1 against 12·d2
        assertEquals(4, IterationEngine.columnBlocks(scalar, f32, 4000, 1000, 2, 16));
        assertEquals(1, IterationEngine.columnBlocks(scalar, f32, 4001, 1000, 2, 16));
        assertEquals(1, IterationEngine.columnBlocks(scalar, f32, 1000, 3, 2, 16));
        int multiple = simd.columnBlock(f32, 64);
        assertEquals(multiple > 0 ? 4 : 1, IterationEngine.columnBlocks(simd, f32, 1000, 4 * multiple, 64, 16));
        assertEquals(1, IterationEngine.columnBlocks(simd, f32, 1000, 4 * multiple - 1, 64, 16));
        assertEquals(simd instanceof ScalarKernels ? 4 : 1, IterationEngine.columnBlocks(simd, f32, 1000, 1000, 1,
                16), "rank 1 runs the small-rank path");
    }

    /**
     * A whole run through the grid (16 threads on any machine take it by default): the steps' Grams, the chunks of
     * U's rows and the grid's blocks of M fit together. An M of exact rank 24, whose optimum is 0: a pass that
     * misses or doubles a block stands for another M and leaves an error of the order of its blocks' share; 1e-4 is
     * far below that and far above what the stop rule leaves.
     */
    @Test
    void aRunOnTheGridConverges() {
        int d = 480;
        int rank = 24;
        assumeTrue(KernelProvider.kernels().columnBlock(DType.FLOAT64, rank) > 0);
        try (DenseMatrix x = random(DType.FLOAT64, d, rank, 7);
                DenseMatrix y = random(DType.FLOAT64, d, rank, 8);
                DenseMatrix m = DenseMatrix.allocate(DType.FLOAT64, d, d)) {
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    double s = 0;
                    for (int a = 0; a < rank; a++) {
                        s += x.get(i, a) * y.get(j, a);
                    }
                    m.set(i, j, s);
                }
            }
            assertEquals(4, IterationEngine.columnBlocks(KernelProvider.kernels(), DType.FLOAT64, d, d, rank, 16));
            try (Result result = Factorizer.builder(m, rank).threads(16).maxIterations(20_000).build().run()) {
                String where = result.iterations() + " iterations, " + result.stopReason().label()
                        + ", relative error " + result.relativeError();
                assertEquals(StopReason.CONVERGED, result.stopReason(), where);
                assertTrue(result.relativeError() < 1e-4, where);
            }
        }
    }
}
