package org.autobalance.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The SIMD GEMM against the scalar reference ({@link ScalarGemm}), against its own documented rounding (every element
 * one FMA chain in k order, whatever register tile it falls in), and both against a known answer, over shapes that hit
 * every tile and tail: m, n, k ∈ {1, 3, 4, 5, 7, 8, 9, 17, 33}, plus every n from 1 to 2L + 1 of the widest species
 * (the 1-vector panel of n − j ≤ L columns and its masks, the 2-vector panel around it) against m ∈ {8, 9, 16, 17,
 * 23, 24, 31} (the thin kernels up to 16 rows; above, the blocked 8-row tiles and their row tails) and k across the
 * k-block ({@code KC} = 256), and shapes that pack A into groups of 8 rows ({@link #PACKED}), shapes of the thin
 * kernels ({@link #THIN}); both transpositions, overwrite and accumulate, the fused bias (per row, per column, none)
 * and activation, non-zero offsets and leading dimensions wider than the block.
 */
class GemmKernelsTest {
    private static final int[] SIZES = {1, 3, 4, 5, 7, 8, 9, 17, 33};

    /** Columns up to 2L + 1 of the widest species (512-bit float32: L = 16). */
    private static final int MAX_NARROW_N = 33;
    private static final int[] TILE_ROWS = {8, 9, 16, 17, 23, 24, 31};
    private static final int[] DEPTHS = {1, 5, 17, 300};
    /**
     * {m, n, k} that pack A (at least 16 rows, more than 9L columns, at least 32 k-steps: {@code packsA}; 16 rows
     * exactly is its boundary) at every width: L from 2 (float64, 128 bits) to 16 (float32, 512
     * bits); row tails of the 8-row groups, more rows than a row block (MC = 128 float64 / 256 float32 rows), k across
     * the k-block.
     */
    private static final int[][] PACKED = {{16, 73, 32}, {32, 73, 32}, {23, 80, 40}, {40, 97, 300}, {17, 145, 33},
        {137, 40, 40}, {260, 73, 40}, {24, 160, 64}};

    /**
     * {m, n, k} of the thin kernels (k ≤ 16: {@code thinK}; m ≤ 8, or m ≤ 16 below 32 k-steps: {@code thinM}) past
     * the small sizes: full thinK tiles of 8 and of 4 rows with row tails, several panels and a column tail, more
     * columns than one packed block of B (NB = 1024), k from 9 to 16 (a convolution's Wᵀ·δ with up to 16 channels:
     * 144 × positions from k = 16); thinM with k across one and two k-blocks (KC = 256) and many panels, two packed
     * groups of 8 rows with every kind of remainder in the second (8 + 1, 2, 3, 4, 5, 7, 8 rows), the forward product
     * of the 16-channel convolution's first layer (k = 27); m and k both 9..16 (thinK for the plain stores, thinM for
     * the fused bias and activation); and 9 to 16 rows from 32 k-steps on, which stay on the blocked path.
     */
    private static final int[][] THIN = {{37, 70, 5}, {16, 33, 8}, {13, 1030, 3}, {5, 70, 300}, {8, 33, 513},
        {3, 40, 257}, {7, 1100, 20}, {37, 70, 16}, {20, 33, 9}, {9, 1030, 12}, {144, 100, 16}, {29, 2100, 15},
        {9, 33, 30}, {12, 1100, 20}, {13, 40, 31}, {15, 100, 17}, {16, 75, 27}, {16, 70, 16}, {10, 45, 9},
        {11, 8, 13}, {16, 70, 300}, {9, 33, 513}, {13, 40, 257}, {15, 100, 144}};

    static Stream<Arguments> shapes() {
        List<Arguments> a = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(1);
        for (DType t : DType.values()) {
            for (int m : SIZES) {
                for (int n : SIZES) {
                    int k = SIZES[r.nextInt(SIZES.length)];
                    a.add(Arguments.of(t, m, n, k));
                }
            }
            for (int n = 1; n <= MAX_NARROW_N; n++) {
                a.add(Arguments.of(t, TILE_ROWS[r.nextInt(TILE_ROWS.length)], n, DEPTHS[r.nextInt(DEPTHS.length)]));
            }
            for (int[] mnk : PACKED) {
                a.add(Arguments.of(t, mnk[0], mnk[1], mnk[2]));
            }
            for (int[] mnk : THIN) {
                a.add(Arguments.of(t, mnk[0], mnk[1], mnk[2]));
            }
        }
        return a.stream();
    }

    /** A matrix with room around the block: the block starts at (1, 2) and the row stride exceeds its width. */
    private static DenseMatrix random(DType t, int rows, int cols, long seed) {
        DenseMatrix x = DenseMatrix.allocate(t, rows + 2, cols + 5);
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < x.rows(); i++) {
            for (int j = 0; j < x.cols(); j++) {
                x.set(i, j, r.nextDouble(-1, 1));
            }
        }
        return x;
    }

    private static long at(DenseMatrix x, int i, int j) {
        return (long) (i + 1) * x.stride() + j + 2;
    }

    /**
     * Each entry of C is a k-term dot product (plus a bias) in both implementations, summed in different orders:
     * both are within k·u·Σ|a·b| of the exact value, so they differ by at most 2(k + 2)·u·(Σ|a·b| + |β|).
     */
    @ParameterizedTest(name = "{0} m={1} n={2} k={3}")
    @MethodSource("shapes")
    void simdAgreesWithTheScalarReference(DType t, int m, int n, int k) {
        GemmKernels simd = KernelProvider.simdGemm();
        GemmKernels scalar = new ScalarGemm();
        double u = t.unitRoundoff();
        for (boolean transA : new boolean[] {false, true}) {
            for (int mode = 0; mode < 5; mode++) {
                try (DenseMatrix a = transA ? random(t, k, m, 2) : random(t, m, k, 2);
                        DenseMatrix b = random(t, k, n, 3);
                        DenseMatrix bias = random(t, 1, Math.max(m, n), 4);
                        DenseMatrix c1 = random(t, m, n, 5);
                        DenseMatrix c2 = random(t, m, n, 5)) {
                    double[][] c0 = c1.toArray();
                    for (GemmKernels g : List.of(simd, scalar)) {
                        DenseMatrix c = g == simd ? c1 : c2;
                        // modes: overwrite, accumulate, bias per row + relu, bias per column + leaky, no bias + linear
                        switch (mode) {
                            case 0, 1 -> g.gemm(t, transA, m, n, k, a.segment(), at(a, 0, 0), a.stride(),
                                    b.segment(), at(b, 0, 0), b.stride(), c.segment(), at(c, 0, 0), c.stride(),
                                    mode == 1);
                            default -> {
                                if (transA) {
                                    continue;
                                }
                                MemorySegment bs = mode == 4 ? null : bias.segment().asSlice(at(bias, 0, 0)
                                        * t.bytes());
                                g.gemmBiasActivation(t, m, n, k, a.segment(), at(a, 0, 0), a.stride(), b.segment(),
                                        at(b, 0, 0), b.stride(), c.segment(), at(c, 0, 0), c.stride(), bs, mode == 2,
                                        mode == 2 ? 0.0 : mode == 3 ? 0.1 : 1.0);
                            }
                        }
                    }
                    for (int i = 0; i < c0.length; i++) {
                        for (int j = 0; j < c0[0].length; j++) {
                            boolean inside = i >= 1 && i <= m && j >= 2 && j < n + 2;
                            if (!inside) {
                                assertEquals(c0[i][j], c1.get(i, j), 0.0, "outside the block (" + i + "," + j + ")");
                                assertEquals(c0[i][j], c2.get(i, j), 0.0, "outside the block (" + i + "," + j + ")");
                                continue;
                            }
                            double abs = mode == 1 ? Math.abs(c0[i][j]) : 0.0;
                            for (int p = 0; p < k; p++) {
                                double av = transA ? a.get(p + 1, i - 1 + 2) : a.get(i, p + 2);
                                abs += Math.abs(av * b.get(p + 1, j));
                            }
                            if (mode >= 2 && mode <= 3) {
                                abs += Math.abs(bias.get(1, (mode == 2 ? i - 1 : j - 2) + 2));
                            }
                            if (!(transA && mode >= 2)) {
                                assertEquals(fmaChain(t, transA, a, b, mode, bias, c0[i][j], i - 1, j - 2, k),
                                        c1.get(i, j), 0.0, t + " transA=" + transA + " mode " + mode + " (" + i + ","
                                        + j + "): not the FMA chain in k order");
                            }
                            double tol = 2.0 * (k + 2) * u * abs;
                            assertTrue(Math.abs(c1.get(i, j) - c2.get(i, j)) <= tol, t + " transA=" + transA
                                    + " mode " + mode + " (" + i + "," + j + "): " + c1.get(i, j) + " vs "
                                    + c2.get(i, j));
                        }
                    }
                }
            }
        }
    }

    /**
     * What the SIMD kernel documents it computes for C[i, j] (block coordinates): s = C₀ (accumulate) or 0, then
     * s = fma(op(A)[i, p], B[p, j], s) for p = 0..k−1 in the element type, then + β and φ as the store applies them.
     * Exact: the vector FMA rounds once per step, as {@link Math#fma} does.
     */
    private static double fmaChain(DType t, boolean transA, DenseMatrix a, DenseMatrix b, int mode, DenseMatrix bias,
            double c0, int i, int j, int k) {
        boolean f = t == DType.FLOAT32;
        double s = mode == 1 ? c0 : 0.0;
        for (int p = 0; p < k; p++) {
            double av = transA ? a.get(p + 1, i + 2) : a.get(i + 1, p + 2);
            double bv = b.get(p + 1, j + 2);
            s = f ? Math.fma((float) av, (float) bv, (float) s) : Math.fma(av, bv, s);
        }
        if (mode >= 2) {
            if (mode <= 3) {
                double beta = bias.get(1, (mode == 2 ? i : j) + 2);
                s = f ? (float) s + (float) beta : s + beta;
            }
            double slope = mode == 2 ? 0.0 : mode == 3 ? 0.1 : 1.0;
            if (s < 0) {
                s = f ? (float) s * (float) slope : s * slope;
            }
        }
        return s;
    }

    /**
     * {m, n, k} of {@link GemmKernels#gemmTransB}: its 4 × 2 tiles with a last row of B alone (odd n) and the last
     * rows of A in 1 × 1 tiles (m mod 4), k below one vector, with a tail, and across the k-blocks of 512 columns
     * (exactly one, one and a bit, several with a tail); the shapes of the conv students' weight gradients (4 × 5,
     * 8 × 72, 16 × 27 against thousands of positions).
     */
    private static final int[][] TRANS_B = {{1, 1, 1}, {3, 2, 7}, {4, 5, 3}, {5, 3, 17}, {8, 9, 33}, {9, 4, 512},
        {4, 5, 513}, {7, 7, 1100}, {16, 27, 2049}, {8, 72, 1000}, {4, 5, 1601}};

    static Stream<Arguments> transBShapes() {
        List<Arguments> a = new ArrayList<>();
        for (DType t : DType.values()) {
            for (int[] mnk : TRANS_B) {
                a.add(Arguments.of(t, mnk[0], mnk[1], mnk[2]));
            }
        }
        return a.stream();
    }

    /**
     * C (+)= A·Bᵀ: the SIMD kernel exactly as it documents its order (per k-block of 512 columns, 256 bits' worth of
     * virtual lane chains of FMAs whatever the width, lanes added in order, the tail by FMAs in order, then added to
     * C) and within 2(k + 2)·u·(Σ|a·b| + |C₀|) of the scalar reference (both sum the same k + 1 terms, each order
     * within (k + 1)·u·Σ of the exact value to first order); nothing outside the block written; overwrite and
     * accumulate.
     */
    @ParameterizedTest(name = "{0} m={1} n={2} k={3}")
    @MethodSource("transBShapes")
    void transposedRightOperandAgreesWithItsOrderAndTheScalarReference(DType t, int m, int n, int k) {
        GemmKernels simd = KernelProvider.simdGemm();
        int lanes = 32 / t.bytes();
        double u = t.unitRoundoff();
        for (boolean accumulate : new boolean[] {false, true}) {
            try (DenseMatrix a = random(t, m, k, 2); DenseMatrix b = random(t, n, k, 3);
                    DenseMatrix c1 = random(t, m, n, 5); DenseMatrix c2 = random(t, m, n, 5)) {
                double[][] c0 = c1.toArray();
                simd.gemmTransB(t, m, n, k, a.segment(), at(a, 0, 0), a.stride(), b.segment(), at(b, 0, 0),
                        b.stride(), c1.segment(), at(c1, 0, 0), c1.stride(), accumulate);
                new ScalarGemm().gemmTransB(t, m, n, k, a.segment(), at(a, 0, 0), a.stride(), b.segment(),
                        at(b, 0, 0), b.stride(), c2.segment(), at(c2, 0, 0), c2.stride(), accumulate);
                for (int i = 0; i < c0.length; i++) {
                    for (int j = 0; j < c0[0].length; j++) {
                        if (!(i >= 1 && i <= m && j >= 2 && j < n + 2)) {
                            assertEquals(c0[i][j], c1.get(i, j), 0.0, "outside the block (" + i + "," + j + ")");
                            assertEquals(c0[i][j], c2.get(i, j), 0.0, "outside the block (" + i + "," + j + ")");
                            continue;
                        }
                        String where = t + " accumulate=" + accumulate + " (" + i + "," + j + ")";
                        double start = accumulate ? c0[i][j] : 0.0;
                        assertEquals(laneOrder(t, lanes, a, b, start, i, j - 2, k), c1.get(i, j), 0.0,
                                where + ": not the documented order");
                        double abs = Math.abs(start);
                        for (int p = 0; p < k; p++) {
                            abs += Math.abs(a.get(i, p + 2) * b.get(j - 1, p + 2));
                        }
                        assertTrue(Math.abs(c1.get(i, j) - c2.get(i, j)) <= 2.0 * (k + 2) * u * abs,
                                where + ": " + c1.get(i, j) + " vs " + c2.get(i, j));
                    }
                }
            }
        }
    }

    /** The SIMD gemmTransB's documented sum for C[i, j] (C's row i, block column j) from {@code start}. */
    private static double laneOrder(DType t, int lanes, DenseMatrix a, DenseMatrix b, double start, int i, int j,
            int k) {
        boolean f = t == DType.FLOAT32;
        double c = start;
        for (int p0 = 0; p0 < k; p0 += 512) {
            int kc = Math.min(512, k - p0);
            int kv = kc - kc % lanes;
            double s = 0.0;
            for (int l = 0; l < lanes; l++) {
                double chain = 0.0;
                for (int p = l; p < kv; p += lanes) {
                    double av = a.get(i, p0 + p + 2);
                    double bv = b.get(j + 1, p0 + p + 2);
                    chain = f ? Math.fma((float) av, (float) bv, (float) chain) : Math.fma(av, bv, chain);
                }
                s = f ? (float) s + (float) chain : s + chain;
            }
            for (int p = kv; p < kc; p++) {
                double av = a.get(i, p0 + p + 2);
                double bv = b.get(j + 1, p0 + p + 2);
                s = f ? Math.fma((float) av, (float) bv, (float) s) : Math.fma(av, bv, s);
            }
            c = f ? (float) c + (float) s : c + s;
        }
        return c;
    }

    /**
     * D += S over a block, SIMD and scalar: each element exactly the element type's sum D₀ + S (one rounding,
     * recomputed here), and nothing outside the block written; every n from 1 to 2L + 1 of the widest species (whole
     * vectors, a masked tail, both) and a convolution's runs (30 of 32, 28 of 30: the 3 × 3 kernels of the 16-channel
     * student), one and several rows.
     */
    @Test
    void blockSumIsExact() {
        List<int[]> shapes = new ArrayList<>();
        for (int n = 1; n <= MAX_NARROW_N; n++) {
            shapes.add(new int[] {n % 3 + 1, n});
        }
        shapes.add(new int[] {30, 30});
        shapes.add(new int[] {28, 28});
        for (GemmKernels g : List.of(KernelProvider.simdGemm(), new ScalarGemm())) {
            for (DType t : DType.values()) {
                for (int[] mn : shapes) {
                    int m = mn[0];
                    int n = mn[1];
                    try (DenseMatrix src = random(t, m, n, 6); DenseMatrix d = random(t, m + 1, n + 3, 7)) {
                        double[][] d0 = d.toArray();
                        g.addBlock(t, m, n, src.segment(), at(src, 0, 0), src.stride(), d.segment(), at(d, 0, 0),
                                d.stride());
                        for (int i = 0; i < d0.length; i++) {
                            for (int j = 0; j < d0[0].length; j++) {
                                String where = g.name() + " " + t + " " + m + " x " + n + " (" + i + "," + j + ")";
                                if (!(i >= 1 && i <= m && j >= 2 && j < n + 2)) {
                                    assertEquals(d0[i][j], d.get(i, j), 0.0, "outside the block " + where);
                                    continue;
                                }
                                double v = src.get(i, j);
                                double expected = t == DType.FLOAT32 ? (double) ((float) d0[i][j] + (float) v)
                                        : d0[i][j] + v;
                                assertEquals(expected, d.get(i, j), 0.0, where);
                            }
                        }
                    }
                }
            }
        }
    }

    /** A known answer: [[1, 2], [3, 4]]·[[5, 6], [7, 8]] = [[19, 22], [43, 50]]; relu(z − 30) per row bias. */
    @Test
    void knownAnswer() {
        for (GemmKernels g : List.of(KernelProvider.simdGemm(), new ScalarGemm())) {
            for (DType t : DType.values()) {
                try (DenseMatrix a = DenseMatrix.of(t, new double[][] {{1, 2}, {3, 4}});
                        DenseMatrix b = DenseMatrix.of(t, new double[][] {{5, 6}, {7, 8}});
                        DenseMatrix bias = DenseMatrix.of(t, new double[][] {{-30, -30}});
                        DenseMatrix c = DenseMatrix.allocate(t, 2, 2)) {
                    g.gemm(t, false, 2, 2, 2, a.segment(), 0, a.stride(), b.segment(), 0, b.stride(), c.segment(), 0,
                            c.stride(), false);
                    assertEquals(List.of(19.0, 22.0, 43.0, 50.0), List.of(c.get(0, 0), c.get(0, 1), c.get(1, 0),
                            c.get(1, 1)), g.name());
                    g.gemm(t, true, 2, 2, 2, a.segment(), 0, a.stride(), b.segment(), 0, b.stride(), c.segment(), 0,
                            c.stride(), true);
                    // Aᵀ·B = [[26, 30], [38, 44]] added
                    assertEquals(List.of(45.0, 52.0, 81.0, 94.0), List.of(c.get(0, 0), c.get(0, 1), c.get(1, 0),
                            c.get(1, 1)), g.name());
                    g.gemmTransB(t, 2, 2, 2, a.segment(), 0, a.stride(), b.segment(), 0, b.stride(), c.segment(), 0,
                            c.stride(), false);
                    // A·Bᵀ = [[1·5 + 2·6, 1·7 + 2·8], [3·5 + 4·6, 3·7 + 4·8]]
                    assertEquals(List.of(17.0, 23.0, 39.0, 53.0), List.of(c.get(0, 0), c.get(0, 1), c.get(1, 0),
                            c.get(1, 1)), g.name());
                    g.gemmBiasActivation(t, 2, 2, 2, a.segment(), 0, a.stride(), b.segment(), 0, b.stride(),
                            c.segment(), 0, c.stride(), bias.segment(), true, 0.5);
                    assertEquals(List.of(-5.5, -4.0, 13.0, 20.0), List.of(c.get(0, 0), c.get(0, 1), c.get(1, 0),
                            c.get(1, 1)), g.name());
                    g.activationSlope(t, 2, 2, c.segment(), 0, c.stride(), a.segment(), 0, a.stride(), 0.25);
                    assertEquals(List.of(0.25, 0.5, 3.0, 4.0), List.of(a.get(0, 0), a.get(0, 1), a.get(1, 0),
                            a.get(1, 1)), g.name());
                }
            }
        }
    }
}
