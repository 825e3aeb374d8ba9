package org.autobalance.kernel;

import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.synthetic.KnownMatrices;

/**
 * A child JVM's main for {@link DensePassAllocationTest}: per dtype, through a history of shapes and ranks (the rank
 * sequence of {@code bench --sequence} on 203 × 231, then ranks 12, 5, 24 and 4 on 260 × 1000: every path of the
 * fused pass, the row stream's short steps, tail rows and masked last vectors, and ranks that change back), run
 * {@link #WARM} times a cell, the bytes allocated per call by each of the five dense passes at each cell of it again,
 * printed as {@code allocated DTYPE D1xD2 RANK PASS BYTES}, and {@code done} at the end. First,
 * {@code control BYTES}: what the counter read across a 1 MiB array's allocation, so that a counter that does not
 * count cannot pass the test; a reading of -1 (not supported) ends the probe with an exception.
 */
public final class DensePassAllocationProbe {
    /** The history, in order: {rows, columns, rank}. */
    static final int[][] CELLS = {{203, 231, 1}, {203, 231, 2}, {203, 231, 3}, {203, 231, 4}, {203, 231, 8},
        {203, 231, 16}, {203, 231, 64}, {203, 231, 1}, {260, 1000, 12}, {260, 1000, 5}, {260, 1000, 24},
        {260, 1000, 4}};
    /** The passes, by the name each cell's line gives. */
    static final String[] PASSES = {"fused", "gram", "step", "dot", "residual", "stepAndGram"};
    /** Calls of each pass in each cell of the history, before the cells are measured. */
    private static final int WARM = 30;
    /** Calls per measurement, and measurements per pass (the least is printed). */
    private static final int CALLS = 2;
    private static final int ROUNDS = 3;

    private DensePassAllocationProbe() {
    }

    public static void main(String[] args) {
        FactorKernels kernels = KernelProvider.simd();
        AllocationCounter.printControl();
        for (DType t : DType.values()) {
            // the history, then each cell again, measured: a pass's per-block methods have run hundreds of times
            // by then (on the first cell alone, float64's dot block had not reached C2 after 30 calls, and its C1
            // code boxes every vector: warm-up, not the structure this looks for)
            for (int[] cell : CELLS) {
                try (Cell c = new Cell(kernels, t, cell[0], cell[1], cell[2])) {
                    c.runAll(WARM);
                }
            }
            for (int[] cell : CELLS) {
                try (Cell c = new Cell(kernels, t, cell[0], cell[1], cell[2])) {
                    c.runAll(CALLS);
                    for (int p = 0; p < PASSES.length; p++) {
                        long least = Long.MAX_VALUE;
                        for (int round = 0; round < ROUNDS; round++) {
                            long start = AllocationCounter.allocated();
                            for (int i = 0; i < CALLS; i++) {
                                c.run(p);
                            }
                            least = Math.min(least, (AllocationCounter.allocated() - start) / CALLS);
                        }
                        System.out.println("allocated " + t.label() + " " + cell[0] + "x" + cell[1] + " " + cell[2]
                                + " " + PASSES[p] + " " + least);
                    }
                }
            }
        }
        System.out.println(KernelJitTest.PROPERTIES + KernelJitTest.simdValues());
        System.out.println("done");
    }

    /** M, the factors and the passes' outputs of one cell, made before any pass is measured. */
    private static final class Cell implements AutoCloseable {
        final FactorKernels kernels;
        final DenseMatrix m;
        final DenseMatrix u;
        final DenseMatrix v;
        final DenseMatrix mv;
        final DenseMatrix mtu;
        final double[] gram;

        Cell(FactorKernels kernels, DType t, int d1, int d2, int r) {
            this.kernels = kernels;
            m = KnownMatrices.gaussian(t, d1, d2, 1.0, 21);
            u = KnownMatrices.gaussian(t, d1, r, 1e-3, 22);
            v = KnownMatrices.gaussian(t, d2, r, 1e-3, 23);
            mv = DenseMatrix.allocate(t, d1, r);
            mtu = DenseMatrix.allocate(t, d2, r);
            gram = new double[r * r];
        }

        /** Every pass, {@code calls} times. */
        void runAll(int calls) {
            for (int i = 0; i < calls; i++) {
                for (int p = 0; p < PASSES.length; p++) {
                    run(p);
                }
            }
        }

        /** Pass p of {@link #PASSES} over all rows (the step with η = 0, so that U stays as it is). */
        void run(int p) {
            int d1 = m.rows();
            switch (p) {
                case 0 -> kernels.fusedPass(m, u, v, 0, d1, mv, mtu);
                case 1 -> kernels.gram(u, 0, d1, gram);
                case 2 -> kernels.gradientStep(u, mv, gram, 0.0, 0, d1);
                case 3 -> kernels.dot(u, mv, 0, d1);
                case 4 -> kernels.residualSquared(m, u, v, 0, d1);
                default -> kernels.gradientStepAndGram(u, mv, gram, 0.0, 0, d1, gram);
            }
        }

        @Override
        public void close() {
            for (DenseMatrix x : new DenseMatrix[] {m, u, v, mv, mtu}) {
                x.close();
            }
        }
    }
}
