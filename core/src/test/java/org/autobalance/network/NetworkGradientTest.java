package org.autobalance.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.autobalance.kernel.GemmKernels;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.kernel.ScalarGemm;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.network.Cases.Case;
import org.autobalance.parallel.ParallelPass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The engine's loss and gradient (float64) against two independent references: central finite differences of the
 * engine's own loss, and the textbook {@link ReferenceNetwork}; every layer kind, with and without biases, scalar and
 * SIMD GEMMs, one to three threads, convolutions in one block per chunk or in blocks of one sample.
 */
class NetworkGradientTest {
    static final int N = 7;

    static Stream<Arguments> cases() {
        List<Arguments> a = new ArrayList<>();
        for (Case c : Cases.all()) {
            a.add(Arguments.of(c, new ScalarGemm(), 1));
            a.add(Arguments.of(c, KernelProvider.simdGemm(), 3));
            a.add(Arguments.of(c, KernelProvider.simdGemm(), 2));
        }
        return a.stream();
    }

    private static double[][][] data(Case c, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        return new double[][][] {Cases.gaussian(N, c.inputs(), 1.0, r), Cases.gaussian(N, c.outputs(), 1.0, r)};
    }

    @ParameterizedTest(name = "{0} {1} threads={2}")
    @MethodSource("cases")
    void gradientEqualsTheReferenceAndFiniteDifferences(Case c, GemmKernels gemm, int threads) {
        check(c, gemm, threads, 0.5);
    }

    /**
     * Convolutions over long maps (1 × 2 × 150: 147 and 145 positions), so that a chunk's weight gradient
     * G += δ·colᵀ sums over more than one k-block of the SIMD {@code gemmTransB} (512 columns) with a tail, in one
     * block per chunk (one thread: 1029 positions; three: 3 samples, 441) and in blocks of one sample taken in
     * reverse (two threads), with and without biases. Weights of standard deviation 0.1 (loss 1.4–1.7), not 0.5:
     * the dense layer reads 290 features, and at 0.5 the finite differences' rounding term u·L/h grew past the 1e-8
     * they are allowed (7 entries just past it; the reference comparison passed).
     */
    @ParameterizedTest(name = "{0} {1} threads={2}")
    @MethodSource("longCases")
    void gradientOfLongConvolutionsEqualsTheReferenceAndFiniteDifferences(Case c, GemmKernels gemm, int threads) {
        check(c, gemm, threads, 0.1);
    }

    static Stream<Arguments> longCases() {
        List<Arguments> a = new ArrayList<>();
        for (boolean biases : new boolean[] {false, true}) {
            Case c = new Case("conv1d:3,4,relu,conv1d:2,3,dense:2", new int[] {2, 150}, 300, 2, biases);
            a.add(Arguments.of(c, new ScalarGemm(), 1));
            for (int threads = 1; threads <= 3; threads++) {
                a.add(Arguments.of(c, KernelProvider.simdGemm(), threads));
            }
        }
        return a.stream();
    }

    /**
     * Convolutions of 9, 12 and 16 channels (2 × 6 × 6 → 9 × 5 × 5 → 12 × 4 × 4 → 16 × 3 × 3): forward products of
     * 9, 12 and 16 rows (thinM wherever the blocked path would read A in place — the 9- and 12-row layers always,
     * the 16-row one when a block has at most 9L positions — its 8-row tile where 32 vector registers exist) and
     * the input gradients Wᵀ·δ from k = 12 and 16 channels (thinK), the GEMM's thin kernels since the nineteenth
     * session; scalar and SIMD, one to three threads (two: blocks of one sample),
     * with and without biases. Weights of standard deviation 0.25: each layer's pre-activation variance is about
     * fanIn·0.25² times its input's mean square (half the variance behind a ReLU): 0.5, 0.56, 0.84, then 7.6 for the
     * dense layer's 144 features (outputs of order 3, loss of order 10), so the finite differences' rounding term
     * u·L/h stays near 1e-9, under the 1e-8 they are allowed.
     */
    @ParameterizedTest(name = "{0} {1} threads={2}")
    @MethodSource("wideCases")
    void gradientOfSixteenChannelConvolutionsEqualsTheReferenceAndFiniteDifferences(Case c, GemmKernels gemm,
            int threads) {
        check(c, gemm, threads, 0.25);
    }

    static Stream<Arguments> wideCases() {
        List<Arguments> a = new ArrayList<>();
        for (boolean biases : new boolean[] {false, true}) {
            Case c = new Case("conv2d:9,2,2,relu,conv2d:12,2,2,relu,conv2d:16,2,2,dense:2", new int[] {2, 6, 6}, 72,
                    2, biases);
            a.add(Arguments.of(c, new ScalarGemm(), 1));
            for (int threads = 1; threads <= 3; threads++) {
                a.add(Arguments.of(c, KernelProvider.simdGemm(), threads));
            }
        }
        return a.stream();
    }

    /** The engine against the reference and finite differences; weights of standard deviation {@code weightScale}. */
    private static void check(Case c, GemmKernels gemm, int threads, double weightScale) {
        ReferenceNetwork ref = Cases.randomNetwork(c, weightScale, 7);
        double[][][] xy = data(c, 8);
        ReferenceNetwork refGrad = ref.gradient(xy[0], xy[1]);
        double refLoss = ref.loss(xy[0], xy[1]);
        Architecture arch = c.architecture();
        try (DenseMatrix x = Cases.matrix(xy[0]); DenseMatrix y = Cases.matrix(xy[1]);
                Parameters p = ref.toParameters(DType.FLOAT64);
                Parameters g = new Parameters(arch, DType.FLOAT64, c.biases());
                ParallelPass pass = new ParallelPass(threads);
                // with two threads, convolutions in blocks of one sample; otherwise one block per chunk
                Backprop bp = new Backprop(arch, x, y, p, gemm, pass, threads == 2 ? 1 : Backprop.COLUMN_BUDGET)) {
            double loss = bp.lossAndGradients(g);
            // different summation orders only: relative error of order (terms per sum)·u, far below 1e-12
            assertEquals(refLoss, loss, 1e-12 * refLoss);
            ReferenceNetwork engine = ReferenceNetwork.of(g);
            for (int h = 0; h < arch.depth(); h++) {
                double scale = maxAbs(refGrad.w[h]) + 1e-300;
                assertClose(refGrad.w[h], engine.w[h], 1e-12 * scale, "W" + (h + 1) + " vs reference");
                if (c.biases()) {
                    assertClose(new double[][] {refGrad.b[h]}, new double[][] {engine.b[h]}, 1e-12 * scale,
                            "b" + (h + 1) + " vs reference");
                }
            }
            // central differences of the engine's loss: error ≈ h²/6·|L'''| (≈ 1e-13 at h = 1e-6, parameters and
            // data of order 1) + u·L/h (≈ 1e-10): 1e-8 leaves a factor 100 and still sees any wrong entry
            double step = 1e-6;
            for (int h = 1; h <= arch.depth(); h++) {
                checkFiniteDifferences(bp, p.weights(h), g.weights(h), step, "W" + h);
                if (c.biases()) {
                    checkFiniteDifferences(bp, p.biases(h), g.biases(h), step, "b" + h);
                }
            }
        }
    }

    private static void checkFiniteDifferences(Backprop bp, DenseMatrix param, DenseMatrix grad, double step,
            String what) {
        for (int i = 0; i < param.rows(); i++) {
            for (int j = 0; j < param.cols(); j++) {
                double v = param.get(i, j);
                param.set(i, j, v + step);
                double up = bp.loss();
                param.set(i, j, v - step);
                double down = bp.loss();
                param.set(i, j, v);
                double fd = (up - down) / (2 * step);
                double g = grad.get(i, j);
                assertTrue(Math.abs(fd - g) <= 1e-8 * (1 + Math.abs(g)), what + "[" + i + "," + j + "]: finite "
                        + "difference " + fd + " vs gradient " + g);
            }
        }
    }

    static double maxAbs(double[][] a) {
        double m = 0;
        for (double[] row : a) {
            for (double v : row) {
                m = Math.max(m, Math.abs(v));
            }
        }
        return m;
    }

    static void assertClose(double[][] expected, double[][] actual, double tol, String what) {
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected[i].length; j++) {
                assertTrue(Math.abs(expected[i][j] - actual[i][j]) <= tol, what + " [" + i + "," + j + "]: "
                        + expected[i][j] + " vs " + actual[i][j]);
            }
        }
    }
}
