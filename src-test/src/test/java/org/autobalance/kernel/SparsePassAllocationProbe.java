package org.autobalance.kernel;

import java.util.List;
import org.autobalance.kernel.simd.SimdKernels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.synthetic.KnownMatrices;

/**
 * A child JVM's main for {@link SparsePassAllocationTest}: per dtype, after the histories below, the bytes allocated
 * per pass by each of the seven sparse passes (the observed pass, the full loss's fused pass, the product, the
 * held-out residual, the panel product over 3 panels, the observed pass over 3 column panels, the fused panel product
 * over M's aligned form in 3 panels; at 2 to 4 vectors a row it falls back to the fused pass over M's CSR, so only
 * its 1-vector cells measure its own kernel) at rows of 1, 2, 3 and 4
 * vectors (the observed passes' of the large-rank width, at which they run), printed as {@code allocated DTYPE PASS
 * VECTORS BYTES}, and {@code done} at the end. First, {@code control BYTES}: what the counter read across a 1 MiB
 * array's allocation, so that a counter that does not count cannot pass the test; a reading of -1 (not supported) ends
 * the probe with an exception.
 *
 * <p>The histories, in this order, on the matrix of the benchmarks' {@code SparseProblem.matrix("uniform", …)} with
 * seed 1 (native-notes/results/boxing-s20, {@code History}): 20 observed passes at 4 vectors a row then 3 at 3 vectors,
 * measured at once ({@code observed-after-4}: on the old kernels under {@code -Xbatch}, {@code update}'s recompile
 * refused the former {@code load} at the one-vector branch's cold call sites, 65 MB a pass; with the seed-30 matrix of
 * {@link ObservedPassProbe} this history did not box); three rounds of the ranks in turn, each observed pass then the
 * fused one, as {@code SparseAB} ran them when it found the 3.5× cliff (which under {@code -Xbatch} did not box); 10
 * fused passes at 2 vectors a row ({@code fused2}, whose odd entry's loads C2 refused at its node cutoff in every JVM).
 * The product, the residual and the panel products are measured last, with no history of their own (on the old kernels
 * the residual boxed in float64 at 128 bits, the 2-lane sum; the product allocates a per-call object, 80 bytes, old and
 * new).
 */
public final class SparsePassAllocationProbe {
    /** The shape of the histories above: 1 M stored entries drawn (975 253 after duplicates), ~50 a row. */
    static final int D1 = 20_000;
    static final int D2 = 1000;
    static final int STORED = 1_000_000;
    /** The matrix's seed: the row lengths set the branch profiles, and with these the 4-then-3 history boxed. */
    private static final long SEED = 1;
    /** Passes per measurement, and measurements per cell (the least is printed). */
    private static final int PASSES = 2;
    private static final int ROUNDS = 3;

    private SparsePassAllocationProbe() {
    }

    public static void main(String[] args) {
        SparseKernels kernels = KernelProvider.sparseSimd();
        AllocationCounter.printControl();
        for (DType t : DType.values()) {
            int lanes = SimdKernels.vectorBits() / (8 * t.bytes());
            // the observed pass runs at the large-rank width: its cells count that width's vectors
            int largeLanes = SimdKernels.largeRankBits() / (8 * t.bytes());
            try (SparseMatrix m = ObservedPassProbe.built(t, D1, D2, STORED, SEED)) {
                Cell[][] cells = new Cell[5][];
                for (int vectors = 1; vectors <= 4; vectors++) {
                    cells[vectors] = new Cell[Pass.values().length];
                    for (Pass pass : Pass.values()) {
                        boolean large = pass == Pass.OBSERVED || pass == Pass.OBSERVED_PANELS;
                        cells[vectors][pass.ordinal()] = new Cell(kernels, m, t, vectors * (large ? largeLanes : lanes),
                                pass);
                    }
                }
                cells[4][Pass.OBSERVED.ordinal()].run(20);
                cells[3][Pass.OBSERVED.ordinal()].run(3);
                print(t, "observed-after-4", 3, cells[3][Pass.OBSERVED.ordinal()]);
                for (int round = 0; round < 3; round++) {
                    for (int vectors = 1; vectors <= 4; vectors++) {
                        cells[vectors][Pass.OBSERVED.ordinal()].run(1);
                        cells[vectors][Pass.FUSED.ordinal()].run(1);
                    }
                }
                cells[2][Pass.FUSED.ordinal()].run(10);
                for (int vectors = 1; vectors <= 4; vectors++) {
                    for (Pass pass : List.of(Pass.OBSERVED, Pass.FUSED)) {
                        print(t, pass.label, vectors, cells[vectors][pass.ordinal()]);
                    }
                }
                // the product and the held-out residual after the two passes, so that the cells of these keep the
                // order they failed in on the old kernels
                for (Pass pass : List.of(Pass.PRODUCT, Pass.RESIDUAL, Pass.PANELS, Pass.OBSERVED_PANELS,
                        Pass.PANEL_FUSED)) {
                    for (int vectors = 1; vectors <= 4; vectors++) {
                        print(t, pass.label, vectors, cells[vectors][pass.ordinal()]);
                    }
                }
                for (int vectors = 1; vectors <= 4; vectors++) {
                    for (Cell c : cells[vectors]) {
                        c.close();
                    }
                }
            }
        }
        System.out.println(KernelJitTest.PROPERTIES + KernelJitTest.simdValues());
        System.out.println("done");
    }

    /** Prints a cell's least bytes allocated per pass over {@link #ROUNDS} measurements of {@link #PASSES} passes. */
    private static void print(DType t, String pass, int vectors, Cell c) {
        long least = Long.MAX_VALUE;
        for (int round = 0; round < ROUNDS; round++) {
            long start = AllocationCounter.allocated();
            c.run(PASSES);
            least = Math.min(least, (AllocationCounter.allocated() - start) / PASSES);
        }
        System.out.println("allocated " + t.label() + " " + pass + " " + vectors + " " + least);
    }

    /** The kernels' passes, by the name each cell's line gives. */
    private enum Pass {
        OBSERVED("observed"), FUSED("fused"), PRODUCT("product"), RESIDUAL("residual"), PANELS("panels"),
        OBSERVED_PANELS("observed-panels"), PANEL_FUSED("panel-fused");

        final String label;

        Pass(String label) {
            this.label = label;
        }
    }

    /** One pass at one rank: its factors and outputs, made before the pass is timed or measured. */
    private static final class Cell implements AutoCloseable {
        final SparseKernels kernels;
        final SparseMatrix m;
        final Pass pass;
        final DenseMatrix u;
        final DenseMatrix v;
        final DenseMatrix rowSide;
        final DenseMatrix columnSide;
        /**
         * M in 3 column panels (rows in one chunk), for the panel product, or its aligned form in 3 panels, for the
         * fused panel product; null for the other passes.
         */
        final SparsePanels panels;
        /** M in 3 column panels for the observed pass; null for the other passes. */
        final CsrPanels observedPanels;

        Cell(SparseKernels kernels, SparseMatrix m, DType t, int rank, Pass pass) {
            this.kernels = kernels;
            this.m = m;
            this.pass = pass;
            this.u = KnownMatrices.gaussian(t, m.rows(), rank, 0.3, 31);
            this.v = KnownMatrices.gaussian(t, m.cols(), rank, 0.3, 32);
            this.rowSide = DenseMatrix.allocate(t, m.rows(), rank);
            this.columnSide = DenseMatrix.allocate(t, m.cols(), rank);
            this.panels = pass == Pass.PANELS ? SparsePanels.of(m, 3, new int[] {0, m.rows()})
                    : pass == Pass.PANEL_FUSED ? SparsePanels.aligned(m, 3, new int[] {0, m.rows()}) : null;
            this.observedPanels = pass == Pass.OBSERVED_PANELS ? CsrPanels.of(m, 3) : null;
        }

        void run(int passes) {
            for (int p = 0; p < passes; p++) {
                columnSide.segment().fill((byte) 0);
                switch (pass) {
                    case OBSERVED -> kernels.observedPass(m, u, v, 0, m.rows(), rowSide, columnSide);
                    case FUSED -> kernels.fusedPass(m, u, v, 0, m.rows(), rowSide, columnSide);
                    case PRODUCT -> kernels.product(m, v, 0, m.rows(), rowSide);
                    case RESIDUAL -> kernels.residualSquared(m, u, v, 0, m.rows());
                    case PANELS -> kernels.panelProduct(panels, v, 0, rowSide);
                    case OBSERVED_PANELS -> kernels.observedPass(observedPanels, u, v, 0, m.rows(), rowSide,
                            columnSide);
                    case PANEL_FUSED -> kernels.panelFusedProduct(panels, u, v, rowSide, columnSide);
                }
            }
        }

        @Override
        public void close() {
            u.close();
            v.close();
            rowSide.close();
            columnSide.close();
            if (panels != null) {
                panels.close();
            }
            if (observedPanels != null) {
                observedPanels.close();
            }
        }
    }
}
