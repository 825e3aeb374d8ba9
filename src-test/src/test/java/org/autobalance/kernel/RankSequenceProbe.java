package org.autobalance.kernel;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.autobalance.kernel.simd.SimdKernels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.parallel.EngineIteration;
import org.autobalance.synthetic.KnownMatrices;
import org.autobalance.testing.RandomSparse;

/**
 * Runs the engine's iteration (the solver's exact kernel calls) through the rank sequence of
 * {@code bench --sequence} (1, 2, 3, 4, 8, 16, 64, 1; and 48, the GEMM path's 3-vector tiles), in float32 then
 * float64, with 1 then 2 threads, all in this JVM: every kernel family, both vector widths and both dtypes pass
 * through the JIT one after another, which is what left kernels compiled with type-switched Vector API calls before
 * (native-notes/kernels.md, section 9). Each cell
 * also runs the sparse engine on sparse Ms of the same shape: full loss on a uniform one (the gather products, whose
 * classes run at the large-rank width) and observed loss on a power-law one (the observed pass, at the large-rank
 * width too since the twenty-third session, over M: too few entries a row for its panels).
 * The network GEMM is not run here: its masked stores still bind a JDK call from the shared profile
 * (native-notes/kernels.md §9.7).
 * {@link KernelJitTest} runs it in a child JVM and reads the JIT's compilation log.
 */
public final class RankSequenceProbe {
    static final int[] RANKS = {1, 2, 3, 4, 8, 16, 48, 64, 1};
    /** Rows and columns of M: not multiples of any lane count (tails), large enough for two GEMM row panels. */
    static final int D1 = 203;
    static final int D2 = 231;
    /**
     * A second dense M and its ranks, run after the sequence in each dtype and thread count: the row stream's
     * branches that 203 × 231 at ranks 8 and 16 leaves out. 1000 columns are a column block of 15 full staged steps
     * and a short one (float32 JM = 64; float64 32: 31 and 8); 260 rows leave rows beyond the last group of a
     * 128-row panel (4; in two threads' chunks of 130, 2); r = 12 is not a multiple of L, so MᵀU's and MV's last
     * vectors are written under a mask (float32 one vector a row, float64 two at 512 bits). On the driver that
     * packed V and MᵀU in its own compile unit, C2's compile of it reached its node cutoff for inlining after these
     * (native-notes/kernels.md 36).
     */
    static final int WIDE_D1 = 260;
    static final int WIDE_D2 = 1000;
    static final int[] WIDE_RANKS = {8, 12, 16};
    /** Iterations per cell: with the child's lowered compile thresholds, enough for C2 to compile every kernel. */
    static final int ITERATIONS = 25;

    private RankSequenceProbe() {
    }

    /**
     * Rounds of the whole sequence at most. A kernel reaches C2 only after enough calls, and HotSpot raises that count
     * with the length of the C2 queue ({@code Tier4LoadFeedback}): on a loaded machine {@code DoubleFusedLarge.rows8x1}
     * (the float64 r = 8 cells only, ~50 calls) sometimes had not been queued when the probe ended, in about one run
     * of four, and the test had nothing to check for it. So the sequence runs again while a required kernel has no
     * C2 code; the later rounds only add compilations to check.
     */
    static final int MAX_ROUNDS = 4;

    /** Kernels every run of the probe executes hot on any platform: each must end up compiled by C2. */
    private static final List<String> REQUIRED = List.of("FloatFused.k1r4", "DoubleFused.k1r4",
            "FloatOps.tile4x2", "DoubleOps.tile4x2", "GramTiles.tile",
            // the panel layouts' kernels at ranks of one vector a row (1-4 at any width): the fused panel product's
            // pairs of lanes and the panel product's slices, run directly (the engine takes them only where a core's
            // L2 is 2 MiB, and the layouts of M and Mt only where the aligned form does not pay); the others of the
            // sparse cells (observed passes, CSR products, double products) are checked whenever C2 reaches them
            "FloatSparseLarge.slice", "FloatSparseLarge.fusedPair");
    /**
     * The row-stream kernels of the middle ranks, which run where the preferred width is 512 bits (AVX-512: 32 vector
     * registers; the probe's r = 16 float32 and r = 8 float64 take one vector per row, r = 16 float64 two), and the
     * GEMM path's 3-vector tiles (r = 48: one group of 3 float32 vectors, two of 3 float64 ones; kernels.md 35).
     */
    private static final List<String> REQUIRED_512 = List.of("FloatFusedLarge.rows8x1",
            "DoubleFusedLarge.rows8x1", "DoubleFusedLarge.rows4x2", "FloatFusedLarge.rowPanel",
            "DoubleFusedLarge.rowPanel", "FloatFusedLarge.mvTile3", "FloatFusedLarge.mtuTile3",
            "DoubleFusedLarge.mvTile3", "DoubleFusedLarge.mtuTile3");

    /** The kernels ({@code Class.method} of the SIMD package) that a run of the probe must have compiled by C2. */
    static List<String> requiredKernels() {
        List<String> required = new ArrayList<>(REQUIRED);
        // not where wide tiles are turned off (src-test's narrow execution, when KernelJitTest is named there with
        // -Dtest; CI does not run it there): the row stream and the sweeps of 4 ranks then never run
        if (SimdKernels.preferredBits() >= 512 && SimdKernels.wideTiles()) {
            required.addAll(REQUIRED_512);
            // the small-rank path's sweeps of 4 ranks (the probe's r = 4 and 8 float32, r = 4 float64), where that
            // path still takes r = 4 (src-test's row-stream execution lowers its thresholds)
            if (SimdKernels.smallRankMax(DType.FLOAT32) >= 4) {
                required.add("FloatFused.k4r4");
            }
            if (SimdKernels.smallRankMax(DType.FLOAT64) >= 4) {
                required.add("DoubleFused.k4r4");
            }
        }
        return required;
    }

    /** Prints one line per cell and {@code done} at the end. */
    public static void main(String[] args) {
        // heap segments exist in every real run before the kernels compile (the .npz and .npy readers, copyFrom of a
        // Java array): with them loaded a segment's class is no longer unique in the hierarchy, which is the
        // condition the kernels' compiled code must be checked under (KernelJitTest, segment accessors)
        for (MemorySegment heap : new MemorySegment[] {MemorySegment.ofArray(new byte[8]),
                MemorySegment.ofArray(new float[2]), MemorySegment.ofArray(new double[1])}) {
            heap.fill((byte) 0);
        }
        for (int round = 1; round <= MAX_ROUNDS; round++) {
            runSequence();
            awaitKernelCompiles();
            List<String> missing = new ArrayList<>(requiredKernels());
            missing.removeAll(JitQueue.kernelsWithC2Code());
            if (missing.isEmpty()) {
                break;
            }
            System.out.println("round " + round + ": no C2 code yet for " + missing);
        }
        System.out.println(KernelJitTest.PROPERTIES + KernelJitTest.simdValues());
        System.out.println("done");
    }

    private static void runSequence() {
        FactorKernels kernels = KernelProvider.simd();
        SparseKernels sparseKernels = KernelProvider.sparseSimd();
        // the observed cells on a power-law M (rows of 1 to all entries); the full-loss ones on a uniform M (~46
        // entries a row): the power-law M's ~2 a row are too few for the panel layout (SparsePanels.pays), which the
        // full-loss cells of one vector a row must run
        RandomSparse.Sample sample = RandomSparse.sample(RandomSparse.Pattern.POWER_LAW, D1, D2, 24);
        RandomSparse.Sample uniform = RandomSparse.sample(RandomSparse.Pattern.UNIFORM, D1, D2, 24);
        for (DType t : DType.values()) {
            try (DenseMatrix m = KnownMatrices.gaussian(t, D1, D2, 1.0, 21);
                    DenseMatrix wide = KnownMatrices.gaussian(t, WIDE_D1, WIDE_D2, 1.0, 25);
                    SparseMatrix sparse = sample.matrix(t);
                    SparseMatrix full = uniform.matrix(t)) {
                for (int threads = 1; threads <= 2; threads++) {
                    for (int r : RANKS) {
                        iterate(kernels, m, r, threads);
                        for (boolean observed : new boolean[] {false, true}) {
                            try (DenseMatrix u = KnownMatrices.gaussian(t, D1, r, 1e-3, 22);
                                    DenseMatrix v = KnownMatrices.gaussian(t, D2, r, 1e-3, 23);
                                    EngineIteration it = new EngineIteration(kernels, sparseKernels,
                                            observed ? sparse : full, u, v, threads, observed)) {
                                double g = 0;
                                for (int i = 0; i < ITERATIONS; i++) {
                                    g = it.iterate(1e-3);
                                }
                                System.out.println(t.label() + " threads " + threads + " r " + r + " sparse"
                                        + (observed ? " observed" : " full") + " grad² " + g);
                            }
                        }
                        if (threads == 1 && r <= 4) {
                            panelProducts(sparseKernels, full, r);
                        }
                    }
                    for (int r : WIDE_RANKS) {
                        iterate(kernels, wide, r, threads);
                    }
                }
            }
        }
    }

    /**
     * {@link #ITERATIONS} rounds of the gather products over the layouts of M and Mᵀ ({@link SparsePanels}) and of the
     * fused product over M's aligned form, in 1 panel each, at rank r; prints a line.
     */
    private static void panelProducts(SparseKernels sparseKernels, SparseMatrix m, int r) {
        DType t = m.dtype();
        // 1 panel each, as the engine's cells gave here before the layouts' default became host-dependent (none where
        // they are off). At 2 panels slice's C2 compile (its carried rows' loads live) reached the node cutoff and
        // bound Vector API calls from type profiles: an open finding (native-notes/sparse.md, "Twenty-seventh
        // session"); fusedPair compiled clean at 2 panels
        try (DenseMatrix u = KnownMatrices.gaussian(t, m.rows(), r, 1e-3, 22);
                DenseMatrix v = KnownMatrices.gaussian(t, m.cols(), r, 1e-3, 23);
                DenseMatrix mv = DenseMatrix.allocate(t, m.rows(), r);
                DenseMatrix mtu = DenseMatrix.allocate(t, m.cols(), r);
                SparsePanels pm = SparsePanels.of(m, 1, new int[] {0, m.rows()});
                SparsePanels pt = SparsePanels.ofTransposed(m, 1, new int[] {0, m.cols()});
                SparsePanels aligned = SparsePanels.aligned(m, 1, new int[] {0, m.rows()})) {
            for (int i = 0; i < ITERATIONS; i++) {
                sparseKernels.panelProduct(pm, v, 0, mv);
                sparseKernels.panelProduct(pt, u, 0, mtu);
                sparseKernels.panelFusedProduct(aligned, u, v, mv, mtu);
            }
            System.out.println(t.label() + " r " + r + " sparse layouts of M and Mt, aligned form");
        }
    }

    /** {@link #ITERATIONS} iterations of the dense engine on M at rank r; prints a line. */
    private static void iterate(FactorKernels kernels, DenseMatrix m, int r, int threads) {
        DType t = m.dtype();
        try (DenseMatrix u = KnownMatrices.gaussian(t, m.rows(), r, 1e-3, 22);
                DenseMatrix v = KnownMatrices.gaussian(t, m.cols(), r, 1e-3, 23);
                EngineIteration it = new EngineIteration(kernels, m, u, v, threads)) {
            double g = 0;
            for (int i = 0; i < ITERATIONS; i++) {
                g = it.iterate(1e-3);
            }
            System.out.println(t.label() + " " + m.rows() + " x " + m.cols() + " threads " + threads + " r " + r
                    + " grad² " + g);
        }
    }

    /**
     * Waits (at most a minute) until no kernel is being compiled or waits in a compile queue: the JVM exits without
     * finishing queued compilations, and under load the last cells' C2 compiles were still queued when the probe
     * ended (on a CI machine {@code DoubleFusedLarge.rows8x1}; locally its C2 compile finished 1 ms before the exit),
     * so the log lacked them.
     */
    private static void awaitKernelCompiles() {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (JitQueue.busyWithKernels()) {
            if (System.nanoTime() > deadline) {
                System.out.println("kernel compiles still queued after a minute");
                return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
