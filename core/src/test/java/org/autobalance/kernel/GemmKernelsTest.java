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
 * The SIMD GEMM against the scalar reference ({@link ScalarGemm}), and both against a known answer, over shapes
 * that hit every tile and tail: m, n, k ∈ {1, 3, 4, 5, 7, 8, 9, 17, 33}, both transpositions, overwrite and
 * accumulate, the fused bias (per row, per column, none) and activation, non-zero offsets and leading dimensions
 * wider than the block.
 */
class GemmKernelsTest {
    private static final int[] SIZES = {1, 3, 4, 5, 7, 8, 9, 17, 33};

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
