package org.autobalance.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.autobalance.kernel.KernelProvider;
import org.autobalance.kernel.SparseKernels;
import org.autobalance.kernel.SparsePanels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.NativeMemory;
import org.autobalance.memory.SparseMatrix;
import org.junit.jupiter.api.Test;

/**
 * Where the engine builds the sparse panel layouts ({@link SparsePanels#pays}), that their memory is counted with the
 * matrices' and freed with the engine (the review of the twenty-first session:
 * native-notes/sparse.md, "Review").
 */
class PanelLayoutRuleTest {
    private static final int R = 16;
    /** Bytes of a float32 row of X at rank 16 (64: a whole number of vectors, no padding). */
    private static final long ROW_BYTES = 64;

    /** Panels of {@code xRows} rows of X at float32 r = 16 with {@code panelBytes} per panel. */
    private static int panels(long xRows, long panelBytes) {
        long perPanel = panelBytes / ROW_BYTES;
        return (int) ((xRows + perPanel - 1) / perPanel);
    }

    @Test
    void theRuleKeepsTheBenchShapeAndRefusesTheReviewersShapes() {
        // the bench shape, 100 000 × 50 000 with 5 M entries: M gathers V's 50 000 rows, Mᵀ U's 100 000, with the
        // 1 MiB panels of a 2 MiB L2 and the 256 KiB ones of a 512 KiB L2
        for (long panelBytes : new long[] {1 << 20, 256 << 10}) {
            assertTrue(SparsePanels.pays(100_000, 5_000_000, DType.FLOAT32, panels(50_000, panelBytes)), "M");
            assertTrue(SparsePanels.pays(50_000, 5_000_000, DType.FLOAT32, panels(100_000, panelBytes)), "Mt");
        }
        // the reviewer's: 1 M × 1 M with 10 entries a row (62 panels: 576 MB of layout for 88 MB of CSR), 3 M × 3 M
        // with 30 M (184 panels, 4.1 GB), 6 M × 6 M (367 panels: 2.2·10⁹ positions, which overflowed an int)
        assertEquals(62, panels(1_000_000, 1 << 20));
        assertFalse(SparsePanels.pays(1_000_000, 10_000_000, DType.FLOAT32, 62));
        assertFalse(SparsePanels.pays(3_000_000, 30_000_000, DType.FLOAT32, panels(3_000_000, 1 << 20)));
        assertFalse(SparsePanels.pays(6_000_000, 60_000_000, DType.FLOAT32, panels(6_000_000, 1 << 20)));
        // positions past an array even where the entries would allow them; the largest products do not wrap
        assertFalse(SparsePanels.pays(6_000_000, Long.MAX_VALUE / 16, DType.FLOAT32, panels(6_000_000, 1 << 20)));
        assertFalse(SparsePanels.pays(Integer.MAX_VALUE, Long.MAX_VALUE / 16, DType.FLOAT64, Integer.MAX_VALUE));
        // the bound itself: index 6·p·n against a quarter of nnz·(4 + value bytes)
        assertTrue(SparsePanels.pays(1_000, 3_000, DType.FLOAT32, 1)); // 24 000 ≤ 24 000
        assertFalse(SparsePanels.pays(1_000, 2_999, DType.FLOAT32, 1));
        assertTrue(SparsePanels.pays(1_000, 2_000, DType.FLOAT64, 1)); // 24 000 ≤ 24 000
        assertFalse(SparsePanels.pays(1_000, 1_999, DType.FLOAT64, 1));
    }

    /** More positions than an array takes is one line (it was a NegativeArraySizeException). */
    @Test
    void tooManyPositionsAreRefusedInOneLine() {
        try (SparseMatrix a = matrix(50_000, 50_000, 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SparsePanels.of(a, 50_000, new int[] {0, 50_000}));
            assertTrue(e.getMessage().contains("2500000000 row positions"), e.getMessage());
        }
    }

    /** A shape the rule refuses builds no layout (only MV and MᵀU are new) and gives the CSR product's bits. */
    @Test
    void aRefusedShapeRunsTheCsrProduct() {
        SparseKernels sk = KernelProvider.sparseKernels();
        assumeTrue(sk.panelled(DType.FLOAT32, R), "these kernels never use the layout");
        // one entry a row: the index (6 B a row and panel) is 3 times a quarter of the entries' 8 B, at any panels
        try (SparseMatrix m = matrix(3_000, 3_000, 1);
                DenseMatrix u = factor(3_000, 1);
                DenseMatrix v = factor(3_000, 2);
                DenseMatrix y = DenseMatrix.allocate(DType.FLOAT32, 3_000, R);
                ParallelPass pass = new ParallelPass(1)) {
            m.transposed(); // built before counting: the engine's, but owned by M
            long before = NativeMemory.liveBytes();
            try (IterationEngine engine = new IterationEngine(KernelProvider.kernels(), sk, pass, m, false, null, u,
                    v)) {
                assertEquals(2 * y.segment().byteSize(), NativeMemory.liveBytes() - before,
                        "native bytes beyond MV and MtU");
                engine.multiply();
                sk.product(m, v, 0, m.rows(), y);
                assertArrayEquals(bits(y), bits(engine.mv()));
            }
            assertEquals(before, NativeMemory.liveBytes());
        }
    }

    /** A shape the rule keeps counts its layouts with the matrices (they were not counted), freed on close. */
    @Test
    void layoutsAreCountedAndNotLeaked() {
        SparseKernels sk = KernelProvider.sparseKernels();
        assumeTrue(sk.panelled(DType.FLOAT32, R), "these kernels never use the layout");
        int n = 3_000;
        int perRow = 30;
        try (SparseMatrix m = matrix(n, n, perRow);
                DenseMatrix u = factor(n, 1);
                DenseMatrix v = factor(n, 2);
                ParallelPass pass = new ParallelPass(2)) {
            assertTrue(SparsePanels.paysBoth(n, n, m.nonZeros(), DType.FLOAT32, ROW_BYTES));
            m.transposed();
            long before = NativeMemory.liveBytes();
            long mvBytes = 2 * u.segment().byteSize();
            // the layouts of M and Mt (the default engine reads M's aligned form where it pays: SharedLayoutTest)
            try (IterationEngine _ = new IterationEngine(KernelProvider.kernels(), sk, pass, m, u, v,
                    SparsePanels::shared)) {
                long layouts = NativeMemory.liveBytes() - before - mvBytes;
                // at least the stored entries and a position per row and panel, twice
                assertTrue(layouts >= 2 * (m.nonZeros() * 8 + n * 4L), "layouts counted: " + layouts);
                assertTrue(layouts >= IterationEngine.panelBytes(sk, m, false, R, 2), "the solver's floor");
            }
            assertEquals(before, NativeMemory.liveBytes(), "after close");
        }
    }

    /** A rows × cols float32 matrix with {@code perRow} entries a row, small integers at spread columns. */
    private static SparseMatrix matrix(int rows, int cols, int perRow) {
        try (SparseMatrix.Builder b = SparseMatrix.builder(rows, cols, (long) rows * perRow)) {
            for (int i = 0; i < rows; i++) {
                for (int t = 0; t < perRow; t++) {
                    b.add(i, (int) ((i * 7L + t * (long) (cols / perRow)) % cols), 1 + (i + t) % 5);
                }
            }
            return b.build(DType.FLOAT32);
        }
    }

    private static DenseMatrix factor(int rows, int seed) {
        return factor(rows, R, seed);
    }

    /** A rows × rank float32 factor of small fixed values. */
    static DenseMatrix factor(int rows, int rank, int seed) {
        double[][] x = new double[rows][rank];
        for (int i = 0; i < rows; i++) {
            for (int k = 0; k < rank; k++) {
                x[i][k] = ((i * 31 + k * 17 + seed * 7) % 13 - 6) / 8.0;
            }
        }
        return DenseMatrix.of(DType.FLOAT32, x);
    }

    /** The bits of a float32 matrix, row by row. */
    static int[] bits(DenseMatrix y) {
        double[][] a = y.toArray();
        int r = y.cols();
        int[] out = new int[a.length * r];
        for (int i = 0; i < a.length; i++) {
            for (int k = 0; k < r; k++) {
                out[i * r + k] = Float.floatToRawIntBits((float) a[i][k]);
            }
        }
        return out;
    }
}
