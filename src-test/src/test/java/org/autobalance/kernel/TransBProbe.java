package org.autobalance.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.synthetic.KnownMatrices;

/**
 * The SIMD {@link GemmKernels#gemmTransB} on fixed seeded inputs, its outputs' raw bits folded into one fingerprint:
 * {@link KernelDeterminismTest} compares it across SIMD widths. Shapes with every tile (4 × 2, 4 × 1, 1 × 1), k below
 * a vector, with tails, and across k-blocks (the convolution gradients' k is a block's positions: thousands).
 */
public final class TransBProbe {
    static final int[][] SHAPES = {{5, 7, 3}, {4, 2, 29}, {9, 5, 517}, {16, 37, 1029}, {2, 3, 1601}};

    private TransBProbe() {
    }

    /** Prints the SIMD GEMM's name (its widths) and the fingerprint of its gemmTransB in this JVM. */
    public static void main(String[] args) {
        System.out.println("kernels " + KernelProvider.simdGemm().name());
        System.out.println("fingerprint " + Long.toHexString(fingerprint()));
    }

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
                    MemorySegment cs = c.segment();
                    for (long o = 0; o + 4 <= cs.byteSize(); o += 4) {
                        h ^= cs.get(ValueLayout.JAVA_INT_UNALIGNED, o);
                        h *= 0xBF58476D1CE4E5B9L;
                        h ^= h >>> 31;
                    }
                }
            }
        }
        return h;
    }
}
