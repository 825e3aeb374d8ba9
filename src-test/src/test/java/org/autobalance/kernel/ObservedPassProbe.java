package org.autobalance.kernel;

import java.util.SplittableRandom;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.synthetic.KnownMatrices;

/**
 * A child JVM's main for {@link KernelJitTest}: what a library user of the observed loss does, in a JVM without the
 * command line's compile options. Per dtype, M is built by {@link SparseMatrix.Builder} (as every reader and
 * {@code SparseMatrix.of} build it), then the observed pass at a rank of one vector per row (the one-vector loop of
 * {@code observedRows}; {@code observed1} before) runs {@link #CALLS} times. Prints {@code done} at the end.
 *
 * <p>The shape is the one that showed {@code observed1}'s recompile loop in every plain JVM with the builder's old
 * confined arena (native-notes/sparse.md, "observed1's recompile loop: its cause"): 400 000 stored entries, so that the
 * builder's memory accesses and the kernel's own, before C2 compiles it, are of one order. It is float32 that carries
 * the failure (9–33 C2 compiles of {@code FloatSparse.observed1} with the old builder, at 128 and 256 bits); float64,
 * run after it, looped only in some of those JVMs, so on old code the test fails by float32.
 */
public final class ObservedPassProbe {
    static final int D1 = 20_000;
    static final int D2 = 2000;
    static final int STORED = 400_000;
    /** The narrowest vector width a kernel runs at (NEON, SSE), in bytes. */
    private static final int NARROWEST_VECTOR_BYTES = 16;
    /** Calls per dtype: enough for C2 to compile the kernel and, in the loop, to compile it again many times. */
    static final int CALLS = 40;

    private ObservedPassProbe() {
    }

    public static void main(String[] args) {
        SparseKernels kernels = KernelProvider.sparseSimd();
        for (DType t : DType.values()) {
            int rank = rank(t);
            try (SparseMatrix m = built(t, D1, D2, STORED, 30);
                    DenseMatrix u = KnownMatrices.gaussian(t, D1, rank, 0.3, 31);
                    DenseMatrix v = KnownMatrices.gaussian(t, D2, rank, 0.3, 32);
                    DenseMatrix pu = DenseMatrix.allocate(t, D1, rank);
                    DenseMatrix pv = DenseMatrix.allocate(t, D2, rank)) {
                for (int c = 0; c < CALLS; c++) {
                    pv.segment().fill((byte) 0);
                    kernels.observedPass(m, u, v, 0, D1, pu, pv);
                }
            }
        }
        System.out.println(KernelJitTest.PROPERTIES + KernelJitTest.simdValues());
        System.out.println("done");
    }

    /**
     * A rank of one vector per row ({@code observedRows}' one-vector loop) at every width of at least 128 bits: 4
     * for float32, 2 for float64. (A rank of 4 was 2 vectors of float64 at 128 bits: {@code observed2} ran, the
     * one-vector kernel was never compiled and the test failed falsely.)
     */
    static int rank(DType t) {
        return NARROWEST_VECTOR_BYTES / t.bytes();
    }

    /**
     * {@code stored} uniform (row, column) pairs, N(0, 1) values (duplicates summed by the builder), drawn in the order
     * of the benchmarks' {@code SparseProblem.matrix("uniform", …)}, so that a seed gives the same matrix as theirs.
     */
    static SparseMatrix built(DType t, int d1, int d2, int stored, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        try (SparseMatrix.Builder b = SparseMatrix.builder(d1, d2, stored)) {
            for (int k = 0; k < stored; k++) {
                b.add(random.nextInt(d1), random.nextInt(d2), random.nextGaussian());
            }
            return b.build(t);
        }
    }
}
