package org.autobalance.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.synthetic.KnownMatrices;

/**
 * Runs every kernel of one implementation on fixed seeded inputs and folds the raw bits of every output into one
 * fingerprint. {@link KernelDeterminismTest} compares fingerprints across calls, after warm-up, and with a child JVM
 * running in the interpreter ({@code -Xint}), where {@code reduceLanes} would give other bits than C2.
 */
public final class DeterminismProbe {
    /**
     * Shapes small enough for the interpreter, covering both fused-pass regimes; the GEMM path's rows in several panels
     * and a short last one at 100 × 45 (48-row panels: 48 + 48 + 4 rows, 96-row: 96 + 4), at r = 12 (float64 on half
     * panels by default where there are 16 vector registers) and r = 20 (96-row panels, two 48-row MᵀU tile calls
     * each), and r = 40 (the GEMM path's groups of 3 vectors where the large-rank classes are 512 bits wide with wide
     * tiles on: float32 2.5 vectors, float64 5; kernels.md 35).
     */
    static final int[][] SHAPES = {{37, 45, 3}, {37, 45, 20}, {26, 250, 9}, {100, 45, 12}, {100, 45, 20},
        {100, 45, 40}};
    /**
     * d1 × d2 of {@link #smallRankFingerprint}: row tails (d1 mod 4 = 1, 2, 1) for the sweeps of 4 rows, and at
     * d2 = 4100 two column blocks of the small-rank path (JS = 4096) with a short last one.
     */
    static final int[][] SMALL_RANK_SHAPES = {{37, 45}, {6, 250}, {13, 4100}};
    /** The ranks of {@link #smallRankFingerprint}: 1 to 8 covers every mix of sweeps of 4, 2 and 1 ranks. */
    static final int SMALL_RANK_MAX = 8;

    private DeterminismProbe() {
    }

    /**
     * Prints the fingerprint of {@code args[0]} = simd|scalar: of every kernel, or with {@code args[1]} = small-rank
     * that of {@link #smallRankFingerprint}, with step that of {@link #stepFingerprint}, after the kernels' name.
     */
    public static void main(String[] args) {
        FactorKernels k = "simd".equals(args[0]) ? KernelProvider.simd() : KernelProvider.scalar();
        if (args.length > 1 && "step".equals(args[1])) {
            System.out.println("kernels " + k.name());
            System.out.println("fingerprint " + Long.toHexString(stepFingerprint(k)));
        } else if (args.length > 1 && "small-rank".equals(args[1])) {
            System.out.println("kernels " + k.name());
            System.out.println("fingerprint " + Long.toHexString(smallRankFingerprint(k)));
        } else {
            System.out.println("fingerprint " + Long.toHexString(fingerprint(k)));
        }
    }

    /** The bits of MV and MᵀU of the fused pass at ranks 1 to {@link #SMALL_RANK_MAX}, both dtypes. */
    static long smallRankFingerprint(FactorKernels k) {
        long h = 0x9E3779B97F4A7C15L;
        for (DType t : DType.values()) {
            for (int[] s : SMALL_RANK_SHAPES) {
                for (int r = 1; r <= SMALL_RANK_MAX; r++) {
                    try (DenseMatrix m = KnownMatrices.gaussian(t, s[0], s[1], 1.0, 11);
                            DenseMatrix u = KnownMatrices.gaussian(t, s[0], r, 1.0, 12);
                            DenseMatrix v = KnownMatrices.gaussian(t, s[1], r, 1.0, 13);
                            DenseMatrix mv = DenseMatrix.allocate(t, s[0], r);
                            DenseMatrix mtu = KnownMatrices.gaussian(t, s[1], r, 1.0, 14)) {
                        k.fusedPass(m, u, v, 1, s[0], mv, mtu);
                        h = mix(h, mv);
                        h = mix(h, mtu);
                    }
                }
            }
        }
        return h;
    }

    /**
     * The bits of X after the float32 gradient step with its Gram, of that Gram (added to a non-zero one) and of the
     * Gram alone, not ‖G‖² (whose lanes group the columns by the vector width): ranks on either side of one and two
     * vectors of 256 and 512 bits, 37 rows (the blocks' tails) whole and from row 3 to 34.
     */
    static long stepFingerprint(FactorKernels k) {
        long h = 0x9E3779B97F4A7C15L;
        for (int r : new int[] {7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40, 64}) {
            for (int[] range : new int[][] {{0, 37}, {3, 34}}) {
                try (DenseMatrix x = KnownMatrices.gaussian(DType.FLOAT32, 37, r, 1.0, 21);
                        DenseMatrix p = KnownMatrices.gaussian(DType.FLOAT32, 37, r, 1.0, 22)) {
                    double[] a = new double[r * r];
                    double[] g = new double[r * r];
                    for (int i = 0; i < r * r; i++) {
                        a[i] = Math.sin(i + 1.0) / r;
                        g[i] = Math.cos(i + 1.0);
                    }
                    k.gradientStepAndGram(x, p, a, 0.05, range[0], range[1], g);
                    h = mix(h, x);
                    double[] alone = new double[r * r];
                    k.gram(x, range[0], range[1], alone);
                    for (int i = 0; i < r * r; i++) {
                        h = mix(h, Double.doubleToRawLongBits(g[i]));
                        h = mix(h, Double.doubleToRawLongBits(alone[i]));
                    }
                }
            }
        }
        return h;
    }

    static long fingerprint(FactorKernels k) {
        long h = 0x9E3779B97F4A7C15L;
        for (DType t : DType.values()) {
            for (int[] s : SHAPES) {
                int d1 = s[0];
                int d2 = s[1];
                int r = s[2];
                try (DenseMatrix m = KnownMatrices.gaussian(t, d1, d2, 1.0, 11);
                        DenseMatrix u = KnownMatrices.gaussian(t, d1, r, 1.0, 12);
                        DenseMatrix v = KnownMatrices.gaussian(t, d2, r, 1.0, 13);
                        DenseMatrix mv = DenseMatrix.allocate(t, d1, r);
                        DenseMatrix mtu = KnownMatrices.gaussian(t, d2, r, 1.0, 14)) {
                    k.fusedPass(m, u, v, 1, d1, mv, mtu);
                    h = mix(h, mv);
                    h = mix(h, mtu);
                    double[] g = new double[r * r];
                    k.gram(u, 0, d1, g);
                    k.gram(v, 0, d2, g);
                    for (double x : g) {
                        h = mix(h, Double.doubleToRawLongBits(x));
                    }
                    h = mix(h, Double.doubleToRawLongBits(k.dot(u, mv, 0, d1)));
                    h = mix(h, Double.doubleToRawLongBits(k.residualSquared(m, u, v, 0, d1)));
                    h = mix(h, Double.doubleToRawLongBits(k.gradientStep(u, mv, g, 1e-3, 0, d1)));
                    h = mix(h, u);
                }
            }
        }
        return h;
    }

    private static long mix(long h, DenseMatrix x) {
        MemorySegment s = x.segment();
        for (long o = 0; o < s.byteSize(); o += 8) {
            h = mix(h, s.get(ValueLayout.JAVA_LONG_UNALIGNED, o));
        }
        return h;
    }

    private static long mix(long h, long x) {
        h ^= x;
        h *= 0xBF58476D1CE4E5B9L;
        return h ^ (h >>> 31);
    }
}
