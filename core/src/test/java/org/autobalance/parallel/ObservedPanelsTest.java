package org.autobalance.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.ValueLayout;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import org.autobalance.kernel.CsrPanels;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.kernel.SparseKernels;
import org.autobalance.kernel.SparsePanels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.NativeMemory;
import org.autobalance.memory.SparseMatrix;
import org.junit.jupiter.api.Test;

/**
 * The observed-loss engine over M's column panels ({@link CsrPanels}): where it builds them ({@link CsrPanels#pays}),
 * that their memory is counted and freed with the engine, and that its pass gives, at 1, 2 and 3 threads, the bits of
 * the kernels' pass over M itself in the engine's chunks, whichever chunks read the panels (native-notes/sparse.md,
 * "Twenty-third session").
 */
class ObservedPanelsTest {
    private static final int R = 16;
    /** Bytes of a float32 row of the factors at rank 16. */
    private static final long ROW_BYTES = 64;

    @Test
    void theRuleKeepsTheBenchShapeAndRefusesShortPieces() {
        assumeTrue(SparsePanels.enabled(), "the layouts are off");
        // 100 000 × 50 000 with 5 M entries, with the 1 MiB panels of a 2 MiB L2: kept at 64 bytes a row (7 panels,
        // measured faster), refused at 128 and 256 (measured slower at the width the pass runs at here) and at 64
        // bytes with half the entries (3.6 a piece in 7 panels: 13 panels' 3.8 were slower)
        if (SparsePanels.PANEL_BYTES == 1 << 20) {
            assertEquals(7, CsrPanels.panelCount(50_000, ROW_BYTES));
            assertTrue(CsrPanels.pays(100_000, 50_000, 5_000_000, ROW_BYTES));
            assertFalse(CsrPanels.pays(100_000, 50_000, 5_000_000, 2 * ROW_BYTES));
            assertFalse(CsrPanels.pays(100_000, 50_000, 5_000_000, 4 * ROW_BYTES));
            assertFalse(CsrPanels.pays(100_000, 50_000, 2_500_000, ROW_BYTES));
        }
        // the bound itself at 2 panels: 6 entries per row and panel
        int cols = (int) (SparsePanels.PANEL_BYTES / (2 * ROW_BYTES)) + 1;
        assertEquals(2, CsrPanels.panelCount(cols, ROW_BYTES));
        assertTrue(CsrPanels.pays(1_000, cols, 12_000, ROW_BYTES)); // 12 000 = 6 · 2 · 1 000
        assertFalse(CsrPanels.pays(1_000, cols, 11_999, ROW_BYTES));
        // wider rows never, one panel never; the largest products do not wrap
        assertFalse(CsrPanels.pays(1_000, cols, 1_000_000, 2 * ROW_BYTES));
        assertFalse(CsrPanels.pays(1_000, cols - 1, 1_000_000, ROW_BYTES));
        assertFalse(CsrPanels.pays(Integer.MAX_VALUE, Integer.MAX_VALUE, 1_000_000_000, ROW_BYTES));
        assertTrue(CsrPanels.pays(Integer.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE, ROW_BYTES));
    }

    /**
     * A layout of a matrix of 2³¹ − 1 columns in 2 and 3 panels: ⌈cols / panels⌉ columns a panel and the panels asked
     * for. (cols + panels − 1) / panels in int wrapped to a negative width there, floored to 1: 2³¹ − 1 panels, 16 GiB
     * of starts for one row. And at the other end one column: one panel whatever is asked, M's own row starts.
     */
    @Test
    void aLayoutOfTheWidestAndOfTheNarrowestMatrixHasThePanelsItCan() {
        try (SparseMatrix.Builder b = SparseMatrix.builder(3, 1, 2)) {
            b.add(0, 0, 1.0);
            b.add(2, 0, 2.0);
            try (SparseMatrix m = b.build(DType.FLOAT32); CsrPanels layout = CsrPanels.of(m, 5)) {
                assertEquals(1, layout.panels(), "panels of one column");
                assertEquals(1, layout.width(), "width of one column");
                assertArrayEquals(m.rowStarts().toArray(ValueLayout.JAVA_LONG),
                        layout.starts().toArray(ValueLayout.JAVA_LONG), "one column's starts");
            }
        }
        int cols = Integer.MAX_VALUE;
        try (SparseMatrix.Builder b = SparseMatrix.builder(1, cols, 2)) {
            b.add(0, 0, 1.0);
            b.add(0, cols - 1, 2.0);
            try (SparseMatrix m = b.build(DType.FLOAT32)) {
                for (int panels = 2; panels <= 3; panels++) {
                    try (CsrPanels layout = CsrPanels.of(m, panels)) {
                        assertEquals(panels, layout.panels(), "panels");
                        assertEquals((cols - 1) / panels + 1, layout.width(), "width");
                        assertEquals(CsrPanels.bytes(1, 2, DType.FLOAT32, panels), layout.bytes(), "bytes");
                        long[] starts = layout.starts().toArray(ValueLayout.JAVA_LONG);
                        long[] expected = new long[panels + 1];
                        Arrays.fill(expected, 1, panels, 1); // column 0 in panel 0, column 2³¹ − 2 in the last
                        expected[panels] = 2;
                        assertArrayEquals(expected, starts, "starts");
                    }
                }
            }
        }
    }

    @Test
    void thePanelledPassHasTheBitsOfThePassOverM() {
        SparseKernels sk = KernelProvider.sparseKernels();
        assumeTrue(sk.panelledObserved(DType.FLOAT32, R), "these kernels never use the layout");
        // three panels wherever the L2 is: 2.5 panels' columns
        int cols = (int) (SparsePanels.PANEL_BYTES / (2 * ROW_BYTES) * 5 / 2);
        int rows = 600;
        try (SparseMatrix m = random(rows, cols, 30 * rows, 3);
                DenseMatrix u = PanelLayoutRuleTest.factor(rows, R, 1);
                DenseMatrix v = PanelLayoutRuleTest.factor(cols, R, 2)) {
            assertTrue(CsrPanels.pays(rows, cols, m.nonZeros(), ROW_BYTES), "the shape builds the layout");
            assertEquals(3, CsrPanels.panelCount(cols, ROW_BYTES));
            long layout = IterationEngine.panelBytes(sk, m, true, R, 3);
            assertEquals(CsrPanels.bytes(rows, m.nonZeros(), DType.FLOAT32, 3), layout);
            // at 3 threads the crowded first rows' chunk reads the panels and the last (light rows) reads M
            int[] three = IterationEngine.equalWork(m, 3);
            assertTrue(CsrPanels.pays(three[1], cols, m.rowStart(three[1]), ROW_BYTES), "the heavy chunk pays");
            assertFalse(CsrPanels.pays(rows - three[2], cols, m.nonZeros() - m.rowStart(three[2]), ROW_BYTES),
                    "the light chunk does not");
            for (int threads = 1; threads <= 3; threads++) {
                long before = NativeMemory.liveBytes();
                Set<List<Integer>> overPanels = ConcurrentHashMap.newKeySet();
                try (ParallelPass pass = new ParallelPass(threads);
                        IterationEngine engine = new IterationEngine(KernelProvider.kernels(),
                                recordingPanelledRanges(sk, overPanels), pass, m, true, null, u, v)) {
                    long mvMtu = (rows + (long) threads * cols) * ROW_BYTES;
                    assertEquals(layout + mvMtu, NativeMemory.liveBytes() - before, threads
                            + " threads: the layout, MV, MtU and its partials counted");
                    double squares = engine.fusedPass();
                    // same bits either way, so only the calls show which chunks read the panels: those that pay
                    int[] chunks = IterationEngine.equalWork(m, threads);
                    Set<List<Integer>> paying = new HashSet<>();
                    for (int c = 0; c < threads; c++) {
                        if (CsrPanels.pays(chunks[c + 1] - chunks[c], cols,
                                m.rowStart(chunks[c + 1]) - m.rowStart(chunks[c]), ROW_BYTES)) {
                            paying.add(List.of(chunks[c], chunks[c + 1]));
                        }
                    }
                    assertEquals(paying, overPanels, threads + " threads: the chunks read from the panels");
                    expectOverM(sk, m, u, v, threads, squares, engine.mv(), engine.mtu());
                    // and the same again (reproducible at a thread count)
                    double again = engine.fusedPass();
                    assertEquals(Double.doubleToRawLongBits(squares), Double.doubleToRawLongBits(again));
                }
                assertEquals(before, NativeMemory.liveBytes(), threads + " threads: after close");
            }
        }
    }

    /** {@code sk}, recording the row range of each observed pass it runs over column panels in {@code ranges}. */
    private static SparseKernels recordingPanelledRanges(SparseKernels sk, Set<List<Integer>> ranges) {
        return (SparseKernels) Proxy.newProxyInstance(SparseKernels.class.getClassLoader(),
                new Class<?>[] {SparseKernels.class}, (proxy, method, args) -> {
                    if (method.getName().equals("observedPass") && args[0] instanceof CsrPanels) {
                        ranges.add(List.of((Integer) args[3], (Integer) args[4]));
                    }
                    try {
                        return method.invoke(sk, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /**
     * The kernels' pass over M itself in the engine's chunks (each chunk's PV partial from zero, added in chunk
     * order in float as the engine's reduction adds them), against the engine's outputs, bit for bit.
     */
    private static void expectOverM(SparseKernels sk, SparseMatrix m, DenseMatrix u, DenseMatrix v, int threads,
            double squares, DenseMatrix mv, DenseMatrix mtu) {
        int[] chunks = IterationEngine.equalWork(m, threads);
        try (DenseMatrix pu = DenseMatrix.allocate(DType.FLOAT32, m.rows(), R)) {
            float[][] pv = new float[m.cols()][R];
            double expected = 0;
            for (int c = 0; c < threads; c++) {
                try (DenseMatrix partial = DenseMatrix.allocate(DType.FLOAT32, m.cols(), R)) {
                    double sq = sk.observedPass(m, u, v, chunks[c], chunks[c + 1], pu, partial);
                    expected = c == 0 ? sq : expected + sq;
                    double[][] p = partial.toArray();
                    for (int j = 0; j < m.cols(); j++) {
                        for (int a = 0; a < R; a++) {
                            pv[j][a] = c == 0 ? (float) p[j][a] : pv[j][a] + (float) p[j][a];
                        }
                    }
                }
            }
            String where = threads + " threads";
            assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(squares), where
                    + ": squares " + squares + ", over M " + expected);
            assertArrayEquals(PanelLayoutRuleTest.bits(pu), PanelLayoutRuleTest.bits(mv), where + ": PU");
            double[][] got = mtu.toArray();
            for (int j = 0; j < m.cols(); j++) {
                for (int a = 0; a < R; a++) {
                    assertEquals(Float.floatToRawIntBits(pv[j][a]), Float.floatToRawIntBits((float) got[j][a]),
                            where + ": PV[" + j + "," + a + "]");
                }
            }
        }
    }

    /** Squared draws crowd the low rows and columns: uneven rows, long and empty ones, and empty columns. */
    private static SparseMatrix random(int rows, int cols, int entries, long seed) {
        SplittableRandom g = new SplittableRandom(seed);
        try (SparseMatrix.Builder b = SparseMatrix.builder(rows, cols, entries)) {
            for (int e = 0; e < entries; e++) {
                double a = g.nextDouble();
                double c = g.nextDouble();
                b.add((int) (a * a * rows), (int) (c * c * cols), g.nextGaussian());
            }
            return b.build(DType.FLOAT32);
        }
    }
}
