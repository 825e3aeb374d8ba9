package org.autobalance.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.synthetic.KnownMatrices;

/**
 * The SIMD {@link GemmKernels} on fixed seeded inputs, their outputs' raw bits folded into fingerprints:
 * {@link KernelDeterminismTest} compares them across SIMD widths. {@link GemmKernels#gemmTransB}: shapes with every
 * tile (4 × 2, 4 × 1, 1 × 1), k below a vector, with tails, and across k-blocks (the convolution gradients' k is a
 * block's positions: thousands). {@link GemmKernels#gemm} and {@link GemmKernels#gemmBiasActivation}: shapes that take
 * each of its paths (thin k, thin m, the blocked tiles with row and column tails, one vector of columns or less,
 * several k-blocks), op(A) plain and transposed, stored and accumulated.
 */
public final class GemmProbe {
    static final int[][] SHAPES = {{5, 7, 3}, {4, 2, 29}, {9, 5, 517}, {16, 37, 1029}, {2, 3, 1601}};
    /** {m, n, k} of {@link #gemmFingerprint}. */
    static final int[][] GEMM_SHAPES = {{5, 7, 3}, {4, 37, 29}, {12, 40, 20}, {37, 33, 300}, {70, 5, 40},
        {9, 150, 17}, {131, 19, 70}};

    private GemmProbe() {
    }

    /** Prints the SIMD GEMM's name (its widths) and the fingerprints of its gemmTransB and gemm in this JVM. */
    public static void main(String[] args) {
        System.out.println("kernels " + KernelProvider.simdGemm().name());
        System.out.println("fingerprint " + Long.toHexString(fingerprint()));
        System.out.println("gemm-fingerprint " + Long.toHexString(gemmFingerprint()));
    }

    /** The bits of gemmTransB's products. */
    static long fingerprint() {
        GemmKernels g = KernelProvider.simdGemm();
        long h = 0x9E3779B97F4A7C15L;
        for (DType t : DType.values()) {
            for (int[] s : SHAPES) {
                try (DenseMatrix a = KnownMatrices.gaussian(t, s[0], s[2], 1.0, 21);
                        DenseMatrix b = KnownMatrices.gaussian(t, s[1], s[2], 1.0, 22);
                        DenseMatrix c = KnownMatrices.gaussian(t, s[0], s[1], 1.0, 23)) {
                    g.gemmTransB(t, s[0], s[1], s[2], a.segment(), 0, a.stride(), b.segment(), 0, b.stride(),
                            c.segment(), 0, c.stride(), true);
                    h = mix(h, c);
                }
            }
        }
        return h;
    }

    /** The bits of gemm's products (op(A) plain and transposed, stored and accumulated) and gemmBiasActivation's. */
    static long gemmFingerprint() {
        GemmKernels g = KernelProvider.simdGemm();
        long h = 0x9E3779B97F4A7C15L;
        for (DType t : DType.values()) {
            for (int[] s : GEMM_SHAPES) {
                int m = s[0];
                int n = s[1];
                int k = s[2];
                // gemm with op(A) plain and transposed (A stored k × m), stored and accumulated; then the fused
                // store of the forward pass, a bias per column and per row, leaky
                for (int variant = 0; variant < 6; variant++) {
                    boolean transA = variant < 4 && variant % 2 == 1;
                    try (DenseMatrix a = KnownMatrices.gaussian(t, transA ? k : m, transA ? m : k, 1.0, 31);
                            DenseMatrix b = KnownMatrices.gaussian(t, k, n, 1.0, 32);
                            DenseMatrix c = KnownMatrices.gaussian(t, m, n, 1.0, 33);
                            DenseMatrix bias = KnownMatrices.gaussian(t, 1, Math.max(m, n), 1.0, 34)) {
                        if (variant < 4) {
                            g.gemm(t, transA, m, n, k, a.segment(), 0, a.stride(), b.segment(), 0, b.stride(),
                                    c.segment(), 0, c.stride(), variant >= 2);
                        } else {
                            g.gemmBiasActivation(t, m, n, k, a.segment(), 0, a.stride(), b.segment(), 0, b.stride(),
                                    c.segment(), 0, c.stride(), bias.segment(), variant == 5, 0.1);
                        }
                        h = mix(h, c);
                    }
                }
            }
        }
        return h;
    }

    private static long mix(long h, DenseMatrix c) {
        MemorySegment cs = c.segment();
        for (long o = 0; o + 4 <= cs.byteSize(); o += 4) {
            h ^= cs.get(ValueLayout.JAVA_INT_UNALIGNED, o);
            h *= 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
        }
        return h;
    }
}
