package org.autobalance.kernel;

import java.util.SplittableRandom;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.synthetic.KnownMatrices;

/**
 * A child JVM's main for {@link KernelJitTest}: what a library user of the observed loss does, in a JVM without the
 * command line's compile options. Per dtype, M is built by {@link SparseMatrix.Builder} (as every reader and
 * {@code SparseMatrix.of} build it), then the observed pass at a rank of one vector per row ({@code observed1}) runs
 * {@link #CALLS} times. Prints {@code done} at the end.
 *
 * <p>The shape is the one that showed {@code observed1}'s recompile loop in three of three plain JVMs
 * (native-notes/sparse.md, "observed1's recompile loop: its cause"): 400 000 stored entries, so that the builder's
 * memory accesses and the kernel's own, before C2 compiles it, are of one order.
 */
public final class ObservedPassProbe {
    static final int D1 = 20_000;
    static final int D2 = 2000;
    static final int STORED = 400_000;
    /** A rank of one vector per row at every width (4 lanes of float64 at 256 bits, at least 4 at any width). */
    static final int RANK = 4;
    /** Calls per dtype: enough for C2 to compile the kernel and, in the loop, to compile it again many times. */
    static final int CALLS = 40;

    private ObservedPassProbe() {
    }

    public static void main(String[] args) {
        SparseKernels kernels = KernelProvider.sparseSimd();
        for (DType t : DType.values()) {
            try (SparseMatrix m = built(t);
                    DenseMatrix u = KnownMatrices.gaussian(t, D1, RANK, 0.3, 31);
                    DenseMatrix v = KnownMatrices.gaussian(t, D2, RANK, 0.3, 32);
                    DenseMatrix pu = DenseMatrix.allocate(t, D1, RANK);
                    DenseMatrix pv = DenseMatrix.allocate(t, D2, RANK)) {
                for (int c = 0; c < CALLS; c++) {
                    pv.segment().fill((byte) 0);
                    kernels.observedPass(m, u, v, 0, D1, pu, pv);
                }
            }
        }
        System.out.println("done");
    }

    /** STORED uniform (row, column) pairs, N(0, 1) values (duplicates summed by the builder). */
    private static SparseMatrix built(DType t) {
        SplittableRandom random = new SplittableRandom(30);
        try (SparseMatrix.Builder b = SparseMatrix.builder(D1, D2, STORED)) {
            for (int k = 0; k < STORED; k++) {
                b.add(random.nextInt(D1), random.nextInt(D2), random.nextGaussian());
            }
            return b.build(t);
        }
    }
}
