package org.autobalance.kernel;

import com.sun.management.ThreadMXBean;
import java.lang.management.ManagementFactory;
import org.autobalance.kernel.simd.SimdKernels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.synthetic.KnownMatrices;

/**
 * A child JVM's main for {@link SparsePassAllocationTest}: per dtype, the observed pass and the full loss's fused pass
 * run at rows of 1, 2, 3 and 4 vectors after the histories that left their C2 code allocating a heap vector per
 * stored entry or per row (native-notes/sparse.md, "Boxed vectors in the sparse passes"), then each cell's bytes
 * allocated per pass are printed as {@code allocated DTYPE PASS VECTORS BYTES}, and {@code done} at the end. First,
 * {@code control BYTES}: what the counter read across a 1 MiB array's allocation, so that a counter that does not
 * count cannot pass the test; a reading of -1 (not supported) ends the probe with an exception.
 *
 * <p>The histories, in this order: 20 passes at 4 vectors a row then 3 at 3 vectors (under {@code -Xbatch} this left
 * {@code update}'s one-vector branch and {@code dot}'s odd-vector branches with cold call sites, where C2 would not
 * inline the kernels' former {@code load}: every run at this shape on the old kernels, float32 and float64); three
 * rounds of the ranks in turn, each pass then the fused one, as {@code SparseAB} (native-notes/results) ran them
 * when it found the 3.5× cliff; 10 fused passes at 2 vectors a row ({@code fused2}, whose odd entry's loads C2 refused
 * at its node cutoff in every JVM).
 */
public final class SparsePassAllocationProbe {
    /** The shape that showed every history above on the old kernels: 1 M stored entries, ~50 a row. */
    static final int D1 = 20_000;
    static final int D2 = 1000;
    static final int STORED = 1_000_000;
    /** Passes per measurement, and measurements per cell (the least is printed). */
    private static final int PASSES = 2;
    private static final int ROUNDS = 3;
    /** The control's array: what a reading must count if the counter counts at all. */
    static final int CONTROL_BYTES = 1 << 20;
    /** Keeps the control's array reachable, so that no compiler may drop its allocation. */
    private static byte[] kept;

    private SparsePassAllocationProbe() {
    }

    public static void main(String[] args) {
        SparseKernels kernels = KernelProvider.sparseSimd();
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = allocated(threads);
        kept = new byte[CONTROL_BYTES];
        System.out.println("control " + (allocated(threads) - before));
        for (DType t : DType.values()) {
            int lanes = SimdKernels.vectorBits() / (8 * t.bytes());
            try (SparseMatrix m = ObservedPassProbe.built(t, D1, D2, STORED)) {
                Cell[][] cells = new Cell[5][];
                for (int vectors = 1; vectors <= 4; vectors++) {
                    cells[vectors] = new Cell[] {new Cell(kernels, m, t, vectors * lanes, false),
                            new Cell(kernels, m, t, vectors * lanes, true)};
                }
                cells[4][0].run(20);
                cells[3][0].run(3);
                for (int round = 0; round < 3; round++) {
                    for (int vectors = 1; vectors <= 4; vectors++) {
                        cells[vectors][0].run(1);
                        cells[vectors][1].run(1);
                    }
                }
                cells[2][1].run(10);
                for (int vectors = 1; vectors <= 4; vectors++) {
                    for (Cell c : cells[vectors]) {
                        long least = Long.MAX_VALUE;
                        for (int round = 0; round < ROUNDS; round++) {
                            long start = allocated(threads);
                            c.run(PASSES);
                            least = Math.min(least, (allocated(threads) - start) / PASSES);
                        }
                        System.out.println("allocated " + t.label() + (c.fused ? " fused " : " observed ") + vectors
                                + " " + least);
                        c.close();
                    }
                }
            }
        }
        System.out.println(KernelJitTest.PROPERTIES + KernelJitTest.simdValues());
        System.out.println("done");
    }

    /** The bytes this thread allocated so far; a JVM that does not count them (-1) fails the probe. */
    private static long allocated(ThreadMXBean threads) {
        long bytes = threads.getCurrentThreadAllocatedBytes();
        if (bytes < 0) {
            throw new IllegalStateException("this JVM does not count the thread's allocated bytes (" + bytes + ")");
        }
        return bytes;
    }

    /** One pass at one rank: its factors and outputs, made before the pass is timed or measured. */
    private static final class Cell implements AutoCloseable {
        final SparseKernels kernels;
        final SparseMatrix m;
        final boolean fused;
        final DenseMatrix u;
        final DenseMatrix v;
        final DenseMatrix rowSide;
        final DenseMatrix columnSide;

        Cell(SparseKernels kernels, SparseMatrix m, DType t, int rank, boolean fused) {
            this.kernels = kernels;
            this.m = m;
            this.fused = fused;
            this.u = KnownMatrices.gaussian(t, m.rows(), rank, 0.3, 31);
            this.v = KnownMatrices.gaussian(t, m.cols(), rank, 0.3, 32);
            this.rowSide = DenseMatrix.allocate(t, m.rows(), rank);
            this.columnSide = DenseMatrix.allocate(t, m.cols(), rank);
        }

        void run(int passes) {
            for (int p = 0; p < passes; p++) {
                columnSide.segment().fill((byte) 0);
                if (fused) {
                    kernels.fusedPass(m, u, v, 0, m.rows(), rowSide, columnSide);
                } else {
                    kernels.observedPass(m, u, v, 0, m.rows(), rowSide, columnSide);
                }
            }
        }

        @Override
        public void close() {
            u.close();
            v.close();
            rowSide.close();
            columnSide.close();
        }
    }
}
