package org.autobalance.kernel;

import static org.autobalance.kernel.KernelContractTest.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.synthetic.KnownMatrices;
import org.autobalance.testing.RandomMatrices;
import org.autobalance.testing.RandomSparse;
import org.autobalance.testing.RandomSparse.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract of {@link SparseKernels}, for every implementation in this JVM, in both dtypes, over awkward sparsity
 * (empty rows and columns, a dense row, power-law degrees, no entry, one entry) and ranks around the vector widths,
 * against an oracle computed here in double from plain arrays (independent of both implementations).
 *
 * <p><b>Tolerances</b>, as in {@link KernelContractTest}: a sum of n terms carries |ŝ − s| ≤ γ_n·Σ|terms| ≈
 * n·u·Σ|terms| in any order (Higham §3.1); the implementation and the double oracle together stay below
 * 2·(n + 2)·u·Σ|terms|. A residual e = uᵢ·vⱼ − m is a sum of r + 1 terms, so its error is
 * δₑ ≤ 2(r + 3)·u·(Σₐ|uₐvₐ| + |m|); a gradient entry Σ e·v then carries 2(n + 2)·u·Σ|e·v| + Σ δₑ·|v|, and Σ e²
 * carries Σ(2|e|δₑ + δₑ²) plus its own summation bound.
 * Worst-case bounds, never flaky; a wrong index or a dropped tail gives O(1) relative errors.
 */
class SparseKernelContractTest {

    static List<SparseKernels> implementations() {
        List<SparseKernels> list = new ArrayList<>();
        list.add(KernelProvider.sparseScalar());
        if (KernelProvider.vectorModulePresent()) {
            list.add(KernelProvider.sparseSimd());
        }
        return list;
    }

    record Shape(Pattern pattern, int d1, int d2, int r) {
        @Override
        public String toString() {
            return pattern + " " + d1 + "x" + d2 + " r=" + r;
        }
    }

    static List<Shape> shapes() {
        // without the vector module only the reference runs; the lane counts of 256 bits still give awkward ranks
        int lf = KernelProvider.vectorModulePresent() ? KernelContractTest.floatLanes() : 8;
        int ld = lf / 2;
        List<Shape> s = new ArrayList<>();
        // ranks hitting 1, 2 and 4+ vectors of both dtypes, with remainders
        int[] ranks = {1, 2, ld - 1, ld, ld + 1, lf - 1, lf, lf + 1, 2 * lf - 1, 2 * lf, 2 * lf + 1, 3 * lf + 2,
            4 * lf, 4 * lf + 1, 9 * lf + 3};
        for (int r : java.util.Arrays.stream(ranks).filter(r -> r >= 1).distinct().toArray()) {
            s.add(new Shape(Pattern.UNIFORM, 37, 23, r));
            s.add(new Shape(Pattern.POWER_LAW, 61, 103, r));
        }
        for (int r : new int[] {1, lf, 2 * lf + 1, 5 * lf}) {
            s.add(new Shape(Pattern.EMPTY_ROWS_AND_COLUMNS, 29, 31, r));
            s.add(new Shape(Pattern.DENSE_ROW, 9, 211, r));
            s.add(new Shape(Pattern.EMPTY, 7, 5, r));
            s.add(new Shape(Pattern.SINGLE, 13, 17, r));
        }
        return s;
    }

    static Stream<Arguments> cases() {
        return KernelContractTest.everyCase(implementations(), SparseKernels::name, shapes());
    }

    private static long seed(Shape s, DType t, int salt) {
        return 7_919L * s.d1() + 104_729L * s.d2() + 31L * s.r() + 13L * s.pattern().ordinal() + 3L * t.ordinal()
                + salt;
    }

    /** Row ranges: everything, an inner range (rows untouched on both sides), an empty range. */
    static int[][] ranges(int d1) {
        return new int[][] {{0, d1}, {d1 / 3, d1 - d1 / 4}, {1, 1}};
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void fusedPass(SparseKernels k, DType t, Shape s) {
        double u = t.unitRoundoff();
        RandomSparse.Sample sample = RandomSparse.sample(s.pattern(), s.d1(), s.d2(), seed(s, t, 1));
        double[][] ma = sample.rounded(t);
        try (SparseMatrix m = sample.matrix(t);
                DenseMatrix uf = KnownMatrices.gaussian(t, s.d1(), s.r(), 1.0, seed(s, t, 2));
                DenseMatrix vf = KnownMatrices.gaussian(t, s.d2(), s.r(), 1.0, seed(s, t, 3));
                DenseMatrix mtu0 = KnownMatrices.gaussian(t, s.d2(), s.r(), 3.0, seed(s, t, 4))) {
            double[][] ua = uf.toArray();
            double[][] va = vf.toArray();
            double[][] mtua = mtu0.toArray();
            for (int[] range : ranges(s.d1())) {
                int rs = range[0];
                int re = range[1];
                try (DenseMatrix mv = RandomMatrices.constant(t, s.d1(), s.r(), 7.0);
                        DenseMatrix mtu = mtu0.copy(t)) {
                    k.fusedPass(m, uf, vf, rs, re, mv, mtu);
                    String where = k.name() + " " + t.label() + " " + s + " rows [" + rs + "," + re + ")";
                    for (int i = 0; i < s.d1(); i++) {
                        for (int a = 0; a < s.r(); a++) {
                            if (i < rs || i >= re) {
                                assertEquals(7.0, mv.get(i, a), where + ": MV row " + i + " outside the range");
                                continue;
                            }
                            double sum = 0;
                            double mag = 0;
                            int n = 0;
                            for (int j = 0; j < s.d2(); j++) {
                                if (sample.stored()[i][j]) {
                                    sum += ma[i][j] * va[j][a];
                                    mag += Math.abs(ma[i][j] * va[j][a]);
                                    n++;
                                }
                            }
                            check(mv.get(i, a), sum, 2.0 * (n + 2) * u * mag, where + ": MV[" + i + "," + a + "]");
                        }
                    }
                    for (int j = 0; j < s.d2(); j++) {
                        for (int a = 0; a < s.r(); a++) {
                            double sum = mtua[j][a];
                            double mag = Math.abs(sum);
                            int n = 1;
                            for (int i = rs; i < re; i++) {
                                if (sample.stored()[i][j]) {
                                    sum += ma[i][j] * ua[i][a];
                                    mag += Math.abs(ma[i][j] * ua[i][a]);
                                    n++;
                                }
                            }
                            check(mtu.get(j, a), sum, 2.0 * (n + 2) * u * mag, where + ": MtU[" + j + "," + a + "]");
                        }
                    }
                    assertNull(RandomMatrices.firstNonZeroPadding(mv), where + ": MV padding");
                    assertNull(RandomMatrices.firstNonZeroPadding(mtu), where + ": MtU padding");
                }
            }
            assertUnchanged(ua, uf, "U");
            assertUnchanged(va, vf, "V");
        }
    }

    /**
     * {@code product} over M gives MV, over Mᵀ (the transposed copy) with U gives MᵀU, each row a sum of the stored
     * entries of one row of A: the summation bound of the class comment with n the row's stored entries.
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void product(SparseKernels k, DType t, Shape s) {
        double u = t.unitRoundoff();
        RandomSparse.Sample sample = RandomSparse.sample(s.pattern(), s.d1(), s.d2(), seed(s, t, 12));
        double[][] ma = sample.rounded(t);
        try (SparseMatrix m = sample.matrix(t);
                DenseMatrix uf = KnownMatrices.gaussian(t, s.d1(), s.r(), 1.0, seed(s, t, 13));
                DenseMatrix vf = KnownMatrices.gaussian(t, s.d2(), s.r(), 1.0, seed(s, t, 14))) {
            double[][] ua = uf.toArray();
            double[][] va = vf.toArray();
            SparseMatrix mt = m.transposed();
            // A = M, X = V, Y = MV: Y[i,a] = Σ_j M[i,j]·V[j,a]; A = Mᵀ, X = U: Y[j,a] = Σ_i M[i,j]·U[i,a]
            for (boolean transposed : new boolean[] {false, true}) {
                SparseMatrix a = transposed ? mt : m;
                DenseMatrix xf = transposed ? uf : vf;
                double[][] xa = transposed ? ua : va;
                for (int[] range : ranges(a.rows())) {
                    int rs = range[0];
                    int re = range[1];
                    try (DenseMatrix y = RandomMatrices.constant(t, a.rows(), s.r(), 7.0)) {
                        k.product(a, xf, rs, re, y);
                        assertProduct(sample, ma, xa, transposed, y, rs, re, k.name() + " " + t.label() + " " + s
                                + (transposed ? " Mt·U" : " M·V") + " rows [" + rs + "," + re + ")");
                    }
                }
            }
            assertUnchanged(ua, uf, "U");
            assertUnchanged(va, vf, "V");
        }
    }

    /**
     * Rows [rs, re) of y against A·X summed here in double (A = M, or Mᵀ when {@code transposed}), within the
     * summation bound with n the row's stored entries; the other rows still 7 (the value y was filled with), the
     * padding zero.
     */
    private static void assertProduct(RandomSparse.Sample sample, double[][] ma, double[][] xa, boolean transposed,
            DenseMatrix y, int rs, int re, String where) {
        double u = y.dtype().unitRoundoff();
        int cols = transposed ? ma.length : ma[0].length;
        for (int i = 0; i < y.rows(); i++) {
            for (int c = 0; c < y.cols(); c++) {
                if (i < rs || i >= re) {
                    assertEquals(7.0, y.get(i, c), where + ": row " + i + " outside the range");
                    continue;
                }
                double sum = 0;
                double mag = 0;
                int n = 0;
                for (int j = 0; j < cols; j++) {
                    boolean stored = transposed ? sample.stored()[j][i] : sample.stored()[i][j];
                    if (stored) {
                        double aij = transposed ? ma[j][i] : ma[i][j];
                        sum += aij * xa[j][c];
                        mag += Math.abs(aij * xa[j][c]);
                        n++;
                    }
                }
                check(y.get(i, c), sum, 2.0 * (n + 2) * u * mag, where + ": [" + i + "," + c + "]");
            }
        }
        assertNull(RandomMatrices.firstNonZeroPadding(y), where + ": padding");
    }

    /**
     * {@code panelProduct} over the panel layout of M and of Mᵀ: one panel; two and three (the last narrower than the
     * others when the width does not divide the columns); one column a panel (most panels of a row empty, a row's
     * entries each in its own panel; the dense-row shape's 211 panels); chunks of 1 row, none, and bounds that are
     * not multiples of a slice or a window. Each chunk's rows against the oracle and bound of {@link #product} (each
     * row one chain of its stored entries; a padded entry adds an exact 0), the other rows untouched, bit for bit
     * the rows of one panel in one chunk (the first layout; these Gaussian values never make an FMA's product
     * underflow, the one way a chain reaches −0, which padding could turn to +0) and, where the kernels run the
     * layout, bit for bit one FMA chain in column order ({@link #assertOneChain}).
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void panelProduct(SparseKernels k, DType t, Shape s) {
        RandomSparse.Sample sample = RandomSparse.sample(s.pattern(), s.d1(), s.d2(), seed(s, t, 15));
        double[][] ma = sample.rounded(t);
        try (SparseMatrix m = sample.matrix(t);
                DenseMatrix uf = KnownMatrices.gaussian(t, s.d1(), s.r(), 1.0, seed(s, t, 16));
                DenseMatrix vf = KnownMatrices.gaussian(t, s.d2(), s.r(), 1.0, seed(s, t, 17))) {
            double[][] ua = uf.toArray();
            double[][] va = vf.toArray();
            for (boolean transposed : new boolean[] {false, true}) {
                SparseMatrix a = transposed ? m.transposed() : m;
                int n = a.rows();
                int[][] chunkings = n > 12 ? new int[][] {{0, n}, {0, 1, n / 3 + 2, n / 3 + 2, n}} : new int[][] {
                    {0, n}, {0, 1, 1, n}};
                double[][] onePanel = null;
                for (int panels : new int[] {1, 2, 3, a.cols()}) {
                    for (int[] chunks : chunkings) {
                        try (SparsePanels layout = SparsePanels.of(a, panels, chunks)) {
                            for (int c = 0; c + 1 < chunks.length; c++) {
                                try (DenseMatrix y = RandomMatrices.constant(t, n, s.r(), 7.0)) {
                                    k.panelProduct(layout, transposed ? uf : vf, c, y);
                                    String where = k.name() + " " + t.label() + " " + s + (transposed ? " Mt·U"
                                            : " M·V") + ", " + layout.panels() + " panels, chunk " + c + " of "
                                            + java.util.Arrays.toString(chunks);
                                    assertProduct(sample, ma, transposed ? ua : va, transposed, y, chunks[c],
                                            chunks[c + 1], where);
                                    double[][] out = y.toArray();
                                    onePanel = onePanel == null ? out : onePanel;
                                    // each row one chain in column order whatever the panels and chunks
                                    for (int i = chunks[c]; i < chunks[c + 1]; i++) {
                                        assertTrue(java.util.Arrays.equals(onePanel[i], out[i]), where + ": row " + i
                                                + " not the bits of one panel");
                                    }
                                    if (k.panelled(t, s.r())) {
                                        assertOneChain(a, transposed ? ua : va, t, out, chunks[c], chunks[c + 1],
                                                where);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            assertUnchanged(ua, uf, "U");
            assertUnchanged(va, vf, "V");
        }
    }

    /**
     * {@code panelFusedProduct} over M's aligned form in one panel, two, three and one column a panel, for one chunk of
     * rows, three (bounds that cut a slice of 4 rows) and five with empty ones, its calls panel by panel (one
     * thread's order) and chunk by chunk (the other extreme of the wavefront): MV and MᵀU (outputs filled with 7
     * first: every row overwritten) against the oracle and bound of {@link #product}, the same bits for every panel
     * count, chunking and order and, where the kernels run the layout, bit for bit one FMA chain in column order for
     * each row of MV and in row order for each row of MᵀU ({@link #assertOneChain} over M and over Mᵀ): the two
     * gather products' bits. A layout that is not the aligned form is refused.
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void panelFusedProduct(SparseKernels k, DType t, Shape s) {
        assertPanelFused(k, t, s);
    }

    /**
     * As {@link #panelFusedProduct} where the last slice is short: 2 rows (its second pair of lanes not run) and 3
     * (lane 3 padding only, lanes 0 to 2 with entries); the shapes of {@link #shapes} all leave 1 row or none.
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("shortSliceCases")
    void panelFusedProductWithAShortLastSlice(SparseKernels k, DType t, Shape s) {
        assertPanelFused(k, t, s);
    }

    static Stream<Arguments> shortSliceCases() {
        int lf = KernelProvider.vectorModulePresent() ? KernelContractTest.floatLanes() : 8;
        List<Shape> s = new ArrayList<>();
        for (int r : new int[] {1, lf / 2, lf, lf + 1}) {
            for (int d1 : new int[] {38, 39}) {
                s.add(new Shape(Pattern.UNIFORM, d1, 23, r));
                s.add(new Shape(Pattern.POWER_LAW, d1 + 24, 103, r));
            }
        }
        return KernelContractTest.everyCase(implementations(), SparseKernels::name, s);
    }

    private static void assertPanelFused(SparseKernels k, DType t, Shape s) {
        RandomSparse.Sample sample = RandomSparse.sample(s.pattern(), s.d1(), s.d2(), seed(s, t, 25));
        double[][] ma = sample.rounded(t);
        try (SparseMatrix m = sample.matrix(t);
                DenseMatrix uf = KnownMatrices.gaussian(t, s.d1(), s.r(), 1.0, seed(s, t, 26));
                DenseMatrix vf = KnownMatrices.gaussian(t, s.d2(), s.r(), 1.0, seed(s, t, 27))) {
            double[][] ua = uf.toArray();
            double[][] va = vf.toArray();
            double[][] firstMv = null;
            double[][] firstMtu = null;
            int n = s.d1();
            int[][] chunkings = {{0, n}, {0, n / 3, 2 * n / 3 + 1, n}, {0, 0, n / 2, n / 2, n, n}};
            for (int x = 0; x < 4 * chunkings.length * 2; x++) {
                int panels = new int[] {1, 2, 3, s.d2()}[x % 4];
                int[] chunks = chunkings[x / 4 % chunkings.length];
                boolean byChunk = x >= 4 * chunkings.length;
                try (SparsePanels layout = SparsePanels.aligned(m, panels, chunks);
                        DenseMatrix mv = RandomMatrices.constant(t, s.d1(), s.r(), 7.0);
                        DenseMatrix mtu = RandomMatrices.constant(t, s.d2(), s.r(), 7.0)) {
                    if (byChunk) {
                        for (int c = 0; c < layout.chunks(); c++) {
                            for (int p = 0; p < layout.panels(); p++) {
                                k.panelFusedProduct(layout, c, p, uf, vf, mv, mtu);
                            }
                        }
                    } else {
                        k.panelFusedProduct(layout, uf, vf, mv, mtu);
                    }
                    String where = k.name() + " " + t.label() + " " + s + ", " + layout.panels() + " aligned panels, "
                            + layout.chunks() + " chunks, " + (byChunk ? "chunk by chunk" : "panel by panel");
                    assertProduct(sample, ma, va, false, mv, 0, s.d1(), where + " M·V");
                    assertProduct(sample, ma, ua, true, mtu, 0, s.d2(), where + " Mt·U");
                    double[][] mvOut = mv.toArray();
                    double[][] mtuOut = mtu.toArray();
                    firstMv = firstMv == null ? mvOut : firstMv;
                    firstMtu = firstMtu == null ? mtuOut : firstMtu;
                    assertTrue(java.util.Arrays.deepEquals(firstMv, mvOut), where + ": MV not the bits of one panel");
                    assertTrue(java.util.Arrays.deepEquals(firstMtu, mtuOut), where
                            + ": MtU not the bits of one panel");
                    if (k.panelled(t, s.r())) {
                        assertOneChain(m, va, t, mvOut, 0, s.d1(), where + " M·V");
                        assertOneChain(m.transposed(), ua, t, mtuOut, 0, s.d2(), where + " Mt·U");
                    }
                }
            }
            try (SparsePanels gather = SparsePanels.of(m, 2, new int[] {0, s.d1()});
                    DenseMatrix mv = DenseMatrix.allocate(t, s.d1(), s.r());
                    DenseMatrix mtu = DenseMatrix.allocate(t, s.d2(), s.r())) {
                IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                        IllegalArgumentException.class, () -> k.panelFusedProduct(gather, uf, vf, mv, mtu));
                assertTrue(e.getMessage().contains("aligned form"), e.getMessage());
            }
            assertUnchanged(ua, uf, "U");
            assertUnchanged(va, vf, "V");
        }
    }

    /**
     * The documented order itself, against an oracle that knows nothing of the layout: where the kernels run it
     * ({@link SparseKernels#panelled}), row i of A·X is, bit for bit, one chain of {@link Math#fma} in the dtype's
     * precision from +0 over the row's stored entries in CSR order (increasing column). The padding adds 0·X[j,:] =
     * ±0, which changes no bits unless the chain is at −0 (an underflow), which these Gaussian values never reach.
     */
    private static void assertOneChain(SparseMatrix a, double[][] xa, DType t, double[][] out, int from, int to,
            String where) {
        for (int i = from; i < to; i++) {
            for (int q = 0; q < out[i].length; q++) {
                float f = 0;
                double d = 0;
                for (long e = a.rowStart(i); e < a.rowStart(i + 1); e++) {
                    double x = xa[a.column(e)][q];
                    if (t == DType.FLOAT32) {
                        f = Math.fma((float) a.value(e), (float) x, f);
                    } else {
                        d = Math.fma(a.value(e), x, d);
                    }
                }
                double expected = t == DType.FLOAT32 ? f : d;
                if (Double.doubleToRawLongBits(expected) != Double.doubleToRawLongBits(out[i][q])) {
                    throw new AssertionError(where + ": row " + i + ", column " + q + " is " + out[i][q]
                            + ", the one FMA chain in column order gives " + expected);
                }
            }
        }
    }

    /**
     * Exact answers at the panels' edges (small integers: every sum exact in float). 6 × 14 in panels of 4 columns
     * ([0, 4), [4, 8), [8, 12) stored in by no row, [12, 14) narrower): a row all in one panel, an empty row, a row at
     * the panels' first and last columns, a row only in the narrow last panel, a row of one entry, a row dense but for
     * the empty panel; chunks of 3 rows (a short slice each) and of 6. And 1 × 37, every column stored, in 5 panels.
     */
    @Test
    void panelEdges() {
        int[][] columns = {{4, 5, 7}, {}, {0, 3, 4, 7, 12, 13}, {12, 13}, {2}, {0, 1, 2, 3, 4, 5, 6, 7, 12, 13}};
        double[][] edges = new double[6][14];
        for (int i = 0; i < 6; i++) {
            for (int j : columns[i]) {
                edges[i][j] = (i + 2 * j) % 7 - 3 + (j == 5 ? 0 : 0.5);
            }
        }
        double[][] dense = new double[1][37];
        for (int j = 0; j < 37; j++) {
            dense[0][j] = j % 5 - 2;
        }
        int lf = KernelProvider.vectorModulePresent() ? KernelContractTest.floatLanes() : 8;
        for (SparseKernels k : implementations()) {
            for (DType t : DType.values()) {
                for (int r : new int[] {1, lf / 2, lf, lf + 1}) {
                    panelEdge(k, t, edges, columns, r, 4, new int[] {0, 3, 6});
                    panelEdge(k, t, edges, columns, r, 4, new int[] {0, 6});
                    int[][] all = {java.util.stream.IntStream.range(0, 37).toArray()};
                    panelEdge(k, t, dense, all, r, 5, new int[] {0, 1});
                }
            }
        }
    }

    private static void panelEdge(SparseKernels k, DType t, double[][] a, int[][] columns, int r, int panels,
            int[] chunks) {
        int d1 = a.length;
        int d2 = a[0].length;
        double[][] x = new double[d2][r];
        for (int j = 0; j < d2; j++) {
            for (int c = 0; c < r; c++) {
                x[j][c] = (3 * j + c) % 5 - 2;
            }
        }
        try (SparseMatrix.Builder b = SparseMatrix.builder(d1, d2, 64)) {
            for (int i = 0; i < d1; i++) {
                for (int j : columns[i]) {
                    b.add(i, j, a[i][j]);
                }
            }
            try (SparseMatrix m = b.build(t);
                    DenseMatrix xf = DenseMatrix.of(t, x);
                    SparsePanels layout = SparsePanels.of(m, panels, chunks);
                    DenseMatrix y = DenseMatrix.allocate(t, d1, r)) {
                for (int c = 0; c + 1 < chunks.length; c++) {
                    k.panelProduct(layout, xf, c, y);
                }
                String where = k.name() + " " + t.label() + " " + d1 + "x" + d2 + " r=" + r + ", " + layout.panels()
                        + " panels of " + layout.width() + ", chunks " + java.util.Arrays.toString(chunks);
                for (int i = 0; i < d1; i++) {
                    for (int c = 0; c < r; c++) {
                        double sum = 0;
                        for (int j = 0; j < d2; j++) {
                            sum += a[i][j] * x[j][c];
                        }
                        assertEquals(sum, y.get(i, c), where + ": [" + i + "," + c + "]");
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void observedPassAndHeldOutResidual(SparseKernels k, DType t, Shape s) {
        double u = t.unitRoundoff();
        int r = s.r();
        RandomSparse.Sample sample = RandomSparse.sample(s.pattern(), s.d1(), s.d2(), seed(s, t, 5));
        double[][] ma = sample.rounded(t);
        boolean[][] stored = sample.stored();
        try (SparseMatrix m = sample.matrix(t);
                DenseMatrix uf = KnownMatrices.gaussian(t, s.d1(), r, 1.0, seed(s, t, 6));
                DenseMatrix vf = KnownMatrices.gaussian(t, s.d2(), r, 1.0, seed(s, t, 7));
                DenseMatrix pv0 = KnownMatrices.gaussian(t, s.d2(), r, 2.0, seed(s, t, 8))) {
            double[][] ua = uf.toArray();
            double[][] va = vf.toArray();
            double[][] pva = pv0.toArray();
            // the oracle: residuals and their error bounds per stored entry
            double[][] e = new double[s.d1()][s.d2()];
            double[][] de = new double[s.d1()][s.d2()];
            for (int i = 0; i < s.d1(); i++) {
                for (int j = 0; j < s.d2(); j++) {
                    if (stored[i][j]) {
                        double dot = 0;
                        double mag = Math.abs(ma[i][j]);
                        for (int a = 0; a < r; a++) {
                            dot += ua[i][a] * va[j][a];
                            mag += Math.abs(ua[i][a] * va[j][a]);
                        }
                        e[i][j] = dot - ma[i][j];
                        de[i][j] = 2.0 * (r + 3) * u * mag;
                    }
                }
            }
            for (int[] range : ranges(s.d1())) {
                int rs = range[0];
                int re = range[1];
                try (DenseMatrix pu = RandomMatrices.constant(t, s.d1(), r, 7.0); DenseMatrix pv = pv0.copy(t)) {
                    double squares = k.observedPass(m, uf, vf, rs, re, pu, pv);
                    double held = k.residualSquared(m, uf, vf, rs, re);
                    String where = k.name() + " " + t.label() + " " + s + " rows [" + rs + "," + re + ")";
                    double sq = 0;
                    double sqTol = 0;
                    long count = 0;
                    for (int i = rs; i < re; i++) {
                        for (int j = 0; j < s.d2(); j++) {
                            if (stored[i][j]) {
                                sq += e[i][j] * e[i][j];
                                sqTol += 2 * Math.abs(e[i][j]) * de[i][j] + de[i][j] * de[i][j];
                                count++;
                            }
                        }
                    }
                    sqTol += 2.0 * (count + 2) * 0x1p-53 * sq;
                    check(squares, sq, sqTol, where + ": sum of squared residuals");
                    check(held, sq, sqTol, where + ": held-out residual");
                    for (int i = 0; i < s.d1(); i++) {
                        for (int a = 0; a < r; a++) {
                            if (i < rs || i >= re) {
                                assertEquals(7.0, pu.get(i, a), where + ": PU row " + i + " outside the range");
                                continue;
                            }
                            double sum = 0;
                            double mag = 0;
                            double prop = 0;
                            int n = 0;
                            for (int j = 0; j < s.d2(); j++) {
                                if (stored[i][j]) {
                                    sum -= e[i][j] * va[j][a];
                                    mag += Math.abs(e[i][j] * va[j][a]);
                                    prop += de[i][j] * Math.abs(va[j][a]);
                                    n++;
                                }
                            }
                            check(pu.get(i, a), sum, 2.0 * (n + 2) * u * mag + prop, where + ": PU[" + i + "," + a
                                    + "]");
                        }
                    }
                    for (int j = 0; j < s.d2(); j++) {
                        for (int a = 0; a < r; a++) {
                            double sum = pva[j][a];
                            double mag = Math.abs(sum);
                            double prop = 0;
                            int n = 1;
                            for (int i = rs; i < re; i++) {
                                if (stored[i][j]) {
                                    sum -= e[i][j] * ua[i][a];
                                    mag += Math.abs(e[i][j] * ua[i][a]);
                                    prop += de[i][j] * Math.abs(ua[i][a]);
                                    n++;
                                }
                            }
                            check(pv.get(j, a), sum, 2.0 * (n + 2) * u * mag + prop, where + ": PV[" + j + "," + a
                                    + "]");
                        }
                    }
                    assertNull(RandomMatrices.firstNonZeroPadding(pu), where + ": PU padding");
                    assertNull(RandomMatrices.firstNonZeroPadding(pv), where + ": PV padding");
                }
            }
            assertUnchanged(ua, uf, "U");
            assertUnchanged(va, vf, "V");
        }
    }

    /**
     * The observed pass over M's column panels ({@link CsrPanels}) gives, bit for bit, the pass over M (which {@link
     * #observedPassAndHeldOutResidual} checks against the oracle): pu, pv and the sum of squares, in one panel, two,
     * three, seven (more than the columns of some shapes: fewer then) and one column a panel (most of a row's panels
     * empty; the dense-row shape's 211), over the whole rows, an inner range and an empty one; rows outside the range
     * untouched. The layout itself: every row's pieces, panel after panel, are M's row.
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void observedPassOverColumnPanels(SparseKernels k, DType t, Shape s) {
        int r = s.r();
        RandomSparse.Sample sample = RandomSparse.sample(s.pattern(), s.d1(), s.d2(), seed(s, t, 18));
        try (SparseMatrix m = sample.matrix(t);
                DenseMatrix uf = KnownMatrices.gaussian(t, s.d1(), r, 1.0, seed(s, t, 19));
                DenseMatrix vf = KnownMatrices.gaussian(t, s.d2(), r, 1.0, seed(s, t, 20));
                DenseMatrix pv0 = KnownMatrices.gaussian(t, s.d2(), r, 2.0, seed(s, t, 21))) {
            for (int panels : new int[] {1, 2, 3, 7, s.d2()}) {
                try (CsrPanels layout = CsrPanels.of(m, panels)) {
                    assertSameEntries(m, layout);
                    for (int[] range : ranges(s.d1())) {
                        int rs = range[0];
                        int re = range[1];
                        String where = k.name() + " " + t.label() + " " + s + ", " + layout.panels() + " panels of "
                                + layout.width() + ", rows [" + rs + "," + re + ")";
                        try (DenseMatrix pu = RandomMatrices.constant(t, s.d1(), r, 7.0);
                                DenseMatrix pv = pv0.copy(t);
                                DenseMatrix puPanels = RandomMatrices.constant(t, s.d1(), r, 7.0);
                                DenseMatrix pvPanels = pv0.copy(t)) {
                            double squares = k.observedPass(m, uf, vf, rs, re, pu, pv);
                            double panelled = k.observedPass(layout, uf, vf, rs, re, puPanels, pvPanels);
                            assertEquals(Double.doubleToRawLongBits(squares), Double.doubleToRawLongBits(panelled),
                                    where + ": squares " + panelled + ", over M " + squares);
                            assertSameBits(pu, puPanels, where + ": PU");
                            assertSameBits(pv, pvPanels, where + ": PV");
                        }
                    }
                }
            }
        }
    }

    /** Row i's pieces in panels 0, 1, … of the layout, one after the other, are row i of M: columns and values. */
    private static void assertSameEntries(SparseMatrix m, CsrPanels layout) {
        String where = m + " in " + layout.panels() + " panels of " + layout.width();
        assertEquals((m.cols() + layout.width() - 1) / layout.width(), layout.panels(), where + ": panels");
        for (int i = 0; i < m.rows(); i++) {
            long k = m.rowStart(i);
            for (int p = 0; p < layout.panels(); p++) {
                long at = (long) p * m.rows() + i;
                long ks = layout.starts().getAtIndex(ValueLayout.JAVA_LONG, at);
                long ke = layout.starts().getAtIndex(ValueLayout.JAVA_LONG, at + 1);
                for (long e = ks; e < ke; e++, k++) {
                    int j = layout.columns().getAtIndex(ValueLayout.JAVA_INT, e);
                    assertEquals(m.column(k), j, where + ": row " + i + ", panel " + p);
                    assertEquals(p, j / layout.width(), where + ": column " + j + " in panel " + p);
                    double value = m.dtype() == DType.FLOAT32
                            ? layout.values().getAtIndex(ValueLayout.JAVA_FLOAT, e)
                            : layout.values().getAtIndex(ValueLayout.JAVA_DOUBLE, e);
                    assertEquals(m.value(k), value, where + ": value at row " + i + ", column " + j);
                }
            }
            assertEquals(m.rowStart(i + 1), k, where + ": row " + i + "'s entries");
        }
    }

    private static void assertSameBits(DenseMatrix expected, DenseMatrix actual, String where) {
        double[][] e = expected.toArray();
        double[][] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            for (int c = 0; c < e[i].length; c++) {
                if (Double.doubleToRawLongBits(e[i][c]) != Double.doubleToRawLongBits(a[i][c])) {
                    throw new AssertionError(where + "[" + i + "," + c + "] is " + a[i][c] + ", over M " + e[i][c]);
                }
            }
        }
        assertNull(RandomMatrices.firstNonZeroPadding(actual), where + " padding");
    }

    /** Same inputs, same bits: each kernel twice, from fresh outputs. */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void deterministic(SparseKernels k, DType t, Shape s) {
        RandomSparse.Sample sample = RandomSparse.sample(s.pattern(), s.d1(), s.d2(), seed(s, t, 9));
        try (SparseMatrix m = sample.matrix(t);
                DenseMatrix uf = KnownMatrices.gaussian(t, s.d1(), s.r(), 1.0, seed(s, t, 10));
                DenseMatrix vf = KnownMatrices.gaussian(t, s.d2(), s.r(), 1.0, seed(s, t, 11))) {
            double[][][] first = run(k, m, uf, vf);
            double[][][] second = run(k, m, uf, vf);
            for (int x = 0; x < first.length; x++) {
                for (int i = 0; i < first[x].length; i++) {
                    for (int a = 0; a < first[x][i].length; a++) {
                        assertEquals(Double.doubleToRawLongBits(first[x][i][a]),
                                Double.doubleToRawLongBits(second[x][i][a]), k.name() + " " + s + " output " + x);
                    }
                }
            }
        }
    }

    private static double[][][] run(SparseKernels k, SparseMatrix m, DenseMatrix uf, DenseMatrix vf) {
        DType t = m.dtype();
        int r = uf.cols();
        try (DenseMatrix mv = DenseMatrix.allocate(t, m.rows(), r);
                DenseMatrix mtu = DenseMatrix.allocate(t, m.cols(), r);
                DenseMatrix pu = DenseMatrix.allocate(t, m.rows(), r);
                DenseMatrix pv = DenseMatrix.allocate(t, m.cols(), r);
                DenseMatrix gv = DenseMatrix.allocate(t, m.rows(), r);
                DenseMatrix gu = DenseMatrix.allocate(t, m.cols(), r)) {
            k.fusedPass(m, uf, vf, 0, m.rows(), mv, mtu);
            double sq = k.observedPass(m, uf, vf, 0, m.rows(), pu, pv);
            double held = k.residualSquared(m, uf, vf, 0, m.rows());
            k.product(m, vf, 0, m.rows(), gv);
            k.product(m.transposed(), uf, 0, m.cols(), gu);
            double[][] csrMv = gv.toArray();
            double[][] csrMtu = gu.toArray();
            double[][] panelMv;
            double[][] panelMtu;
            try (SparsePanels pm = SparsePanels.of(m, 3, new int[] {0, m.rows()});
                    SparsePanels pt = SparsePanels.of(m.transposed(), 3, new int[] {0, m.cols()})) {
                k.panelProduct(pm, vf, 0, gv);
                k.panelProduct(pt, uf, 0, gu);
                panelMv = gv.toArray();
                panelMtu = gu.toArray();
            }
            return new double[][][] {mv.toArray(), mtu.toArray(), pu.toArray(), pv.toArray(), {{sq, held}},
                csrMv, csrMtu, panelMv, panelMtu};
        }
    }

    /**
     * {@code product} over rows around {@link SparseKernels#BLOCK} stored entries, 4 × (5·BLOCK + 7): a row of exactly
     * BLOCK entries (every 5th column), a row of BLOCK + 1 consecutive ones from BLOCK − 3 (a block boundary after
     * its third), an empty row, and a row of about 3·BLOCK at random columns. Every row within the summation bound of
     * {@link #product}; a float32 row of more than BLOCK entries also within its blocks' bound, (BLOCK + ⌈d/BLOCK⌉ +
     * 2)·u·Σ|terms| (the documented order: no sum of more than BLOCK terms, ⌈d/BLOCK⌉ blocks in the total); the same
     * bits when the range starts at the row; and, for the SIMD kernels at r = 1 (one vector a row: the even/odd pair
     * of chains), bit for bit the documented order: each block's even and odd entries in two FMA chains from +0,
     * added, and the blocks added in column order from +0 (a row of at most BLOCK entries: one block).
     */
    @Test
    void longRowsOfTheProduct() {
        int b = SparseKernels.BLOCK;
        int d = 5 * b + 7;
        java.util.SplittableRandom random = new java.util.SplittableRandom(17);
        int lf = KernelProvider.vectorModulePresent() ? KernelContractTest.floatLanes() : 8;
        for (SparseKernels k : implementations()) {
            for (DType t : DType.values()) {
                for (int r : new int[] {1, 2 * lf + 1, 4 * lf + 1}) {
                    try (SparseMatrix.RowBuilder rows = SparseMatrix.rowBuilder(t, 4, d, 4L * d)) {
                        for (int j = 0; j < d && j < 5 * b; j += 5) {
                            rows.add(j, random.nextGaussian());
                        }
                        rows.endRow();
                        for (int j = b - 3; j <= 2 * b - 3; j++) {
                            rows.add(j, random.nextGaussian());
                        }
                        rows.endRow();
                        rows.endRow();
                        for (int j = 0; j < d; j++) {
                            if (random.nextDouble() < 0.6) {
                                rows.add(j, random.nextGaussian());
                            }
                        }
                        rows.endRow();
                        try (SparseMatrix a = rows.build();
                                DenseMatrix x = KnownMatrices.gaussian(t, d, r, 1.0, 23 + r);
                                DenseMatrix y = RandomMatrices.constant(t, 4, r, 7.0);
                                DenseMatrix last = RandomMatrices.constant(t, 4, r, 7.0)) {
                            String where = k.name() + " " + t.label() + " r=" + r;
                            k.product(a, x, 0, 4, y);
                            k.product(a, x, 3, 4, last);
                            assertLongRows(k, a, x.toArray(), y.toArray(), where);
                            for (int c = 0; c < r; c++) {
                                assertEquals(Double.doubleToRawLongBits(y.get(3, c)),
                                        Double.doubleToRawLongBits(last.get(3, c)), where + ": row 3 from row 3");
                            }
                        }
                    }
                }
            }
        }
    }

    private static void assertLongRows(SparseKernels k, SparseMatrix a, double[][] xa, double[][] y, String where) {
        boolean f32 = a.dtype() == DType.FLOAT32;
        double u = a.dtype().unitRoundoff();
        int b = SparseKernels.BLOCK;
        long blocks = (a.cols() + (long) b - 1) / b;
        for (int i = 0; i < a.rows(); i++) {
            long n = a.rowStart(i + 1) - a.rowStart(i);
            for (int c = 0; c < y[i].length; c++) {
                double sum = 0;
                double mag = 0;
                float total = 0;
                float even = 0;
                float odd = 0;
                long first = a.rowStart(i);
                for (long e = a.rowStart(i); e < a.rowStart(i + 1); e++) {
                    double term = a.value(e) * xa[a.column(e)][c];
                    sum += term;
                    mag += Math.abs(term);
                    if (n > b && e > first && a.column(e) / b != a.column(e - 1) / b) {
                        total += even + odd; // a new block: the last one's pair of chains, added, into the total
                        even = 0;
                        odd = 0;
                        first = e;
                    }
                    if ((e - first) % 2 == 0) {
                        even = Math.fma((float) a.value(e), (float) xa[a.column(e)][c], even);
                    } else {
                        odd = Math.fma((float) a.value(e), (float) xa[a.column(e)][c], odd);
                    }
                }
                total += even + odd;
                String at = where + ": [" + i + "," + c + "] of " + n + " entries";
                check(y[i][c], sum, 2.0 * (n + 2) * u * mag, at);
                if (f32 && n > b) {
                    check(y[i][c], sum, (b + blocks + 2) * u * mag, at + ", in blocks");
                }
                if (f32 && y[i].length == 1 && !k.name().equals("scalar")) {
                    assertEquals(Float.floatToRawIntBits(total), Float.floatToRawIntBits((float) y[i][c]),
                            at + ": the documented order");
                }
            }
        }
    }

    /** Small integers make every product and sum exact in float: both implementations must give the exact answer. */
    @Test
    void knownAnswer() {
        // M = [[2, 0, -1], [0, 0, 0], [0, 3, 0]] with an explicit 0 stored at (1, 1); U = [[1, 2], [0, 1], [1, -1]],
        // V = [[1, 1], [2, 0], [0, 1]]
        for (SparseKernels k : implementations()) {
            for (DType t : DType.values()) {
                try (SparseMatrix.Builder b = SparseMatrix.builder(3, 3, 4)) {
                    b.add(0, 0, 2);
                    b.add(0, 2, -1);
                    b.add(1, 1, 0);
                    b.add(2, 1, 3);
                    try (SparseMatrix m = b.build(t);
                            DenseMatrix u = DenseMatrix.of(t, new double[][] {{1, 2}, {0, 1}, {1, -1}});
                            DenseMatrix v = DenseMatrix.of(t, new double[][] {{1, 1}, {2, 0}, {0, 1}});
                            DenseMatrix mv = DenseMatrix.allocate(t, 3, 2);
                            DenseMatrix mtu = DenseMatrix.allocate(t, 3, 2);
                            DenseMatrix pu = DenseMatrix.allocate(t, 3, 2);
                            DenseMatrix pv = DenseMatrix.allocate(t, 3, 2)) {
                        k.fusedPass(m, u, v, 0, 3, mv, mtu);
                        String w = k.name() + " " + t.label();
                        assertTrue(java.util.Arrays.deepEquals(new double[][] {{2, 1}, {0, 0}, {6, 0}}, mv.toArray()),
                                w + " MV");
                        assertTrue(java.util.Arrays.deepEquals(new double[][] {{2, 4}, {3, -3}, {-1, -2}},
                                mtu.toArray()), w + " MtU");
                        // residuals: (0,0) 3 − 2 = 1, (0,2) 2 + 1 = 3, (1,1) 0 − 0 = 0, (2,1) 2 − 3 = −1
                        assertEquals(11.0, k.observedPass(m, u, v, 0, 3, pu, pv), w + " squares");
                        assertTrue(java.util.Arrays.deepEquals(new double[][] {{-1, -4}, {0, 0}, {2, 0}},
                                pu.toArray()), w + " PU");
                        assertTrue(java.util.Arrays.deepEquals(new double[][] {{-1, -2}, {1, -1}, {-3, -6}},
                                pv.toArray()), w + " PV");
                        assertEquals(11.0, k.residualSquared(m, u, v, 0, 3), w + " held-out residual");
                        k.product(m, v, 0, 3, pu);
                        k.product(m.transposed(), u, 0, 3, pv);
                        assertTrue(java.util.Arrays.deepEquals(new double[][] {{2, 1}, {0, 0}, {6, 0}}, pu.toArray()),
                                w + " M·V by product");
                        assertTrue(java.util.Arrays.deepEquals(new double[][] {{2, 4}, {3, -3}, {-1, -2}},
                                pv.toArray()), w + " MtU by product over the transpose");
                    }
                }
            }
        }
    }

    private static void assertUnchanged(double[][] before, DenseMatrix after, String what) {
        assertTrue(java.util.Arrays.deepEquals(before, after.toArray()), what + " was modified");
    }
}
