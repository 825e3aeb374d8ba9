package org.autobalance.parallel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.IntToLongFunction;
import java.util.function.Supplier;
import org.autobalance.kernel.CsrPanels;
import org.autobalance.kernel.EngineProperties;
import org.autobalance.kernel.FactorKernels;
import org.autobalance.kernel.KernelProvider;
import org.autobalance.kernel.SparseKernels;
import org.autobalance.kernel.SparsePanels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.NativeMemory;
import org.autobalance.memory.Shared;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.memory.internal.Closing;
import org.autobalance.memory.internal.MatrixViews;

/**
 * Internal (not exported by the module): the solver's engine. The parallel building blocks of one iteration over fixed
 * M, U, V: the fused pass (MV, MᵀU, UᵀU, ⟨U, MV⟩), the reduction of the per-chunk partials with VᵀV, the gradient step
 * on both factors, and the exact residual. Owns its scratch matrices; allocates nothing per iteration.
 *
 * <p>The target M is dense or sparse. For a sparse M the fused pass runs over its stored entries (rows split across
 * the threads by stored entries), either for the full loss (MV and MᵀU, exactly what the dense pass computes) or for
 * the observed-entries loss (then "MV" and "MᵀU" hold minus the data gradients, −R_Ω·V and −R_Ωᵀ·U, and the pass
 * returns Σ_Ω e² instead of ⟨U, MV⟩); the reduction, the Grams and the step are the same code for every target. The
 * step adds up the Grams of the factors it writes, and the next pass takes them instead of sweeping U and V again
 * ({@link #step}).
 * For the full loss the engine forms MᵀU by gathering rows of U over Mᵀ's rows, each thread its own rows of MᵀU: no
 * random writes and no per-thread partials of MᵀU (native-notes/sparse.md measures it against scatter-adding into
 * partials, which the observed loss still does). Mᵀ is read from the panel layouts where the kernels run them
 * ({@link SparsePanels}: M's and Mᵀ's, built from M alone and shared by every engine over M with the same panels and
 * chunks), else from M's transposed copy ({@link SparseMatrix#transposed()}: built once per matrix, about as much
 * memory again as M). The observed loss's pass reads M's entries in column panels where they pay ({@link CsrPanels},
 * shared the same way): the same bits as over M. Where M's aligned form pays (at one thread, or with two panels a
 * thread: {@link SparsePanels#paysAligned}), the full loss reads M once for both products instead ({@link
 * SparsePanels#aligned}, {@link SparseKernels#panelFusedProduct}): the same bits as the two gather products, no layout
 * of Mᵀ (native-notes/sparse.md, "Twenty-sixth session"); with more than one thread the chunks run its panels in a
 * wavefront ({@link PanelWavefront}), so that no two threads scatter into one row of MᵀU and every row of it adds its
 * terms in the order of one thread: MV and MᵀU do not depend on the thread count there (per-thread partials of MᵀU
 * would make them depend on it; "Twenty-seventh session"). Below 2 MiB of L2 its panels are sized for the L3, where
 * the CSR products' gathers would leave it ("Twenty-eighth session"). A float32 M with a row or a column of more than
 * {@link #LONG_CHAIN} stored entries runs the CSR products, which sum rows of more than {@link SparseKernels#BLOCK}
 * in blocks of columns at fixed places ({@link #longSums}); the observed loss's scatter adds its d2-side output up in
 * blocks of rows where that is cheap ({@link #scatterBlocked}): a float32 sum of a million terms stood for another M
 * ("Long rows in blocks").
 *
 * <p>A dense M's pass splits M's rows among the threads, each summing all of MᵀU into a partial of its own; from 16
 * threads, where those partials' traffic grows with the thread count, it runs M in a 2-D grid of blocks instead
 * ({@link #columnBlocks}): a thread sums MV over its block's columns and MᵀU over its block's rows, so a quarter as
 * many partials of MᵀU, and MV's partials are added over the column blocks (native-notes/kernels.md §11.5, §39, §45).
 *
 * <p>Determinism: chunk boundaries depend only on the sizes (for a sparse M, its row pointers, and over its aligned
 * form its column indices too) and the thread count, and partials are added in chunk order (the grid's in block
 * order), so with a deterministic kernel a run is bit-for-bit reproducible for a fixed thread count.
 */
public final class IterationEngine implements AutoCloseable {
    private final FactorKernels kernels;
    private final ParallelPass pass;
    /** The dense target, or null when M is sparse. */
    private final DenseMatrix m;
    /** The sparse target, or null when M is dense. */
    private final SparseMatrix sparse;
    /**
     * Chunks of the sparse target's rows, split by stored entries; over M's aligned form, for its wavefront
     * ({@link PanelWavefront#chunks}).
     */
    private final int[] sparseChunks;
    /**
     * Mᵀ of a sparse M for the full loss (M's, shared) where the CSR products run, or null (dense M, observed loss,
     * panel layouts, the aligned form).
     */
    private final SparseMatrix transposed;
    /** Chunks of Mᵀ's rows (full loss), split by stored entries. */
    private final int[] transposedChunks;
    /**
     * M's and Mᵀ's entries in column panels for the gather products (full loss, where the kernels run that layout
     * faster: {@link SparseKernels#panelled}), for the chunks above; null otherwise. Leased from M's table
     * ({@link SparsePanels#shared}): this engine closes its leases, M or the last lease the layouts.
     */
    private final Shared<SparsePanels> layoutOfM;
    private final Shared<SparsePanels> layoutOfTransposed;
    private final SparsePanels panelsOfM;
    private final SparsePanels panelsOfTransposed;
    /**
     * M's aligned form for the fused panel product (full loss, where the kernels run the layouts faster and it pays:
     * {@link SparsePanels#paysAligned}), for the chunks above; null otherwise. Leased as the layouts above; with it
     * they are null.
     */
    private final Shared<SparsePanels> layoutAligned;
    private final SparsePanels alignedPanels;
    /** The order of the chunks' calls over {@link #alignedPanels}, or null without it. */
    private final PanelWavefront wavefront;
    /**
     * M's entries in column panels for the observed-entries pass (observed loss, where the kernels run it faster:
     * {@link SparseKernels#panelledObserved}, and it pays: {@link CsrPanels#pays}); null otherwise. Leased from M's
     * table ({@link CsrPanels#shared}), as the layouts above.
     */
    private final Shared<CsrPanels> layoutOfObserved;
    private final CsrPanels observedPanels;
    /**
     * Per chunk of M's rows, whether the observed pass reads them from {@link #observedPanels} (the chunk's rows pay
     * by the same rule, {@link CsrPanels#pays}) or from M: the same bits either way, and each chunk has its own PV
     * partial, so the choice changes no order. Why per chunk: at 2 threads on the power-law bench matrix the chunk of
     * light rows (few entries a row, so pieces of about one entry) made the panelled pass's wall time 9 % longer than
     * over M while the heavy chunk gained (native-notes/sparse.md, "Twenty-third session"). Null without panels.
     */
    private final boolean[] observedChunkPanelled;
    /** The held-out entries (sparse runs only), or null. */
    private final SparseMatrix heldOut;
    private final int[] heldOutChunks;
    private final int rows;
    private final int cols;
    private final DenseMatrix u;
    private final DenseMatrix v;
    private final int r;
    private final DenseMatrix mv;
    private final DenseMatrix mtu;
    private final DenseMatrix[] mtuPartials;
    /**
     * Blocks of M's columns in the dense pass's 2-D grid ({@link #columnBlocks}); 1 where the threads split M's rows
     * alone. With Q blocks and P = threads / Q blocks of rows, thread c runs row block c / Q of column block c % Q:
     * its MV of those columns into {@link #mvPartials}[c % Q], its MᵀU of those rows into the rows of the block in
     * {@link #mtuPartials}[c / Q] (P partials of MᵀU, not one a thread); MV's partials are then added in block order.
     */
    private final int columnBlocks;
    /** The column blocks' first columns, and {@link #cols} last: {@code {0, cols}} without the grid. */
    private final int[] columnBounds;
    /** Per column block, M's columns (null without the grid). */
    private final DenseMatrix[] mColumns;
    /** Per column block, V's rows of those columns (null without the grid). */
    private final DenseMatrix[] vRows;
    /** Per column block, the MV of M's columns there ({@link #mv} the first); null without the grid. */
    private final DenseMatrix[] mvPartials;
    /** Per thread of the grid, its block's rows of its row block's partial of MᵀU (null without the grid). */
    private final DenseMatrix[] mtuBlocks;
    /**
     * Per thread, the MᵀU of one {@link #BLOCK_ROWS}-row block of a float32 M's chunk, added into the chunk's partial
     * ({@link #blocked}); null where no chunk is longer than a block. For a sparse M, the scatter passes' (the
     * observed loss's) d2-side output of one block of {@link SparseKernels#BLOCK} rows ({@link #scatterBlocked}), or
     * null.
     */
    private final DenseMatrix[] blockPartials;
    private final double[][] gramUPartials;
    private final double[][] gramVPartials;
    /**
     * UᵀU after {@link #fusedPass()}, {@link #grams()} or a {@link #step} of U (the new U's), r × r row-major
     * (read-only for callers).
     */
    public final double[] gramU;
    /** VᵀV, as {@link #gramU}. */
    public final double[] gramV;

    /**
     * The rows of M whose MᵀU a float32 fused pass sums in one kernel call. A float32 sum of n terms carries rounding
     * of about √n·u of its size, the same in every iteration, while MV's rows have d2 terms each: MᵀU then stands for
     * another M than MV does, and gradient descent, no longer on one loss, drifts. On a 1 000 000 × 1 float32 M at
     * rank 1 the gradient stayed at 7e-5 of the stop test's scale (its tolerance 1e-5: never met) and ‖UᵀU − VᵀV‖
     * grew by 0.14 an iteration from 0.001; with blocks summed first and then added, the rounding is about
     * (√B + √(n/B))·u. A multiple of every panel and row group of the kernels (96, 48, 8), so no block ends in a
     * padded panel.
     */
    static final int BLOCK_ROWS = 96 * 48;

    private final ParallelPass.RangeTask fusedTask;
    /** With the grid, each thread's block of the dense pass, after which {@link #fusedTask} sums MV's rows. */
    private final ParallelPass.RangeTask gridTask;
    /** The full-loss fused pass (the same as {@link #fusedTask} except for the observed-entries loss). */
    private final ParallelPass.RangeTask multiplyTask;
    private final ParallelPass.RangeTask heldOutTask;
    private final ParallelPass.RangeTask reduceTask;
    private final ParallelPass.RangeTask stepTask;
    private final ParallelPass.RangeTask residualTask;
    private final ParallelPass.RangeTask gramTask;
    /** The exact residual of a sparse M, made by the first {@link #residualSquared}; null until then. */
    private SparseResidual sparseResidual;
    private double[] stepCoefficientsU;
    private double[] stepCoefficientsV;
    private double stepEta;
    /**
     * Whether {@link #gramU} is the current U's, added up by the last {@link #step} as it stepped U (in the chunks and
     * order of the pass's own sweep, so the same bits): the next pass then takes it instead of sweeping U again. Set
     * only by a step that finishes, cleared by every pass and when a step of U begins, so it covers exactly the
     * factors a finished step wrote.
     */
    private boolean gramUStepped;
    /** As {@link #gramUStepped}, for {@link #gramV}. */
    private boolean gramVStepped;

    /** An engine over a dense M. */
    public IterationEngine(FactorKernels kernels, ParallelPass pass, DenseMatrix m, DenseMatrix u, DenseMatrix v) {
        this(kernels, pass, m, u, v, 0);
    }

    /**
     * An engine over a dense M that asks for {@code columnBlocks} blocks of columns (0: the default, {@link
     * #columnBlocks}), taken where the rules of {@link #columnBlocks} allow them: the tests' way to run the 2-D grid
     * at the thread counts of a small machine.
     */
    IterationEngine(FactorKernels kernels, ParallelPass pass, DenseMatrix m, DenseMatrix u, DenseMatrix v,
            int columnBlocks) {
        this(kernels, null, pass, m, null, false, null, u, v, null, columnBlocks);
    }

    /**
     * An engine over a sparse M, for the full loss or (when {@code observed}) the observed-entries loss, with an
     * optional held-out set of the same shape ({@code null} for none).
     */
    public IterationEngine(FactorKernels kernels, SparseKernels sparseKernels, ParallelPass pass, SparseMatrix m,
            boolean observed, SparseMatrix heldOut, DenseMatrix u, DenseMatrix v) {
        this(kernels, sparseKernels, pass, null, m, observed, heldOut, u, v, null, 1);
    }

    /**
     * A full-loss engine over a sparse M that runs the gather products over the layouts of M and Mᵀ wherever they pay,
     * never M's aligned form, and leases them by {@code lease} instead of {@link SparsePanels#shared}: the tests' way
     * to run that path on every host (the other constructor takes it only where the layouts pay and the aligned form
     * does not: its panels are twice as many at the same panel bytes, and above one thread it needs two a thread) and
     * to make a lease fail inside the constructor.
     */
    IterationEngine(FactorKernels kernels, SparseKernels sparseKernels, ParallelPass pass, SparseMatrix m,
            DenseMatrix u, DenseMatrix v, LayoutLease lease) {
        this(kernels, sparseKernels, pass, null, m, false, null, u, v, lease, 1);
    }

    /** How an engine leases a panel layout: {@link SparsePanels#shared}'s signature. */
    @FunctionalInterface
    interface LayoutLease {
        Shared<SparsePanels> lease(SparseMatrix m, boolean transposed, int panels, int[] chunks);
    }

    private IterationEngine(FactorKernels kernels, SparseKernels sparseKernels, ParallelPass pass, DenseMatrix m,
            SparseMatrix sparse, boolean observed, SparseMatrix heldOut, DenseMatrix u, DenseMatrix v,
            LayoutLease lease, int requestedBlocks) {
        this.kernels = kernels;
        this.pass = pass;
        this.m = m;
        this.sparse = sparse;
        this.u = u;
        this.v = v;
        this.r = u.cols();
        int threads = pass.threads();
        DType dtype = m != null ? m.dtype() : sparse.dtype();
        this.rows = m != null ? m.rows() : sparse.rows();
        this.cols = m != null ? m.cols() : sparse.cols();
        long rowBytes = rowBytes(dtype, r);
        boolean full = sparse != null && !observed;
        this.columnBlocks = m == null ? 1 : columnBlocks(kernels, dtype, rows, cols, r, threads, requestedBlocks);
        this.columnBounds = columnBounds(cols, columnBlocks, kernels.columnBlock(dtype, r));
        // a thread's rows of M: a row block of the grid, else a chunk
        int rowBlocks = threads / columnBlocks;
        boolean fusedPanelled = lease == null && full && fusedPanelled(sparseKernels, sparse, r, threads);
        int panelCount = fusedPanelled ? SparsePanels.alignedPanelCount(cols, rowBytes) : 0;
        LayoutLease leases = lease != null ? lease : SparsePanels::shared;
        boolean panelled = full && !fusedPanelled && panelled(sparseKernels, sparse, r);
        boolean observedPanelled = sparse != null && observed && observedPanelled(sparseKernels, sparse, r);
        this.transposed = full && !panelled && !fusedPanelled ? sparse.transposed() : null;
        this.transposedChunks = !full || fusedPanelled ? null : transposed != null ? equalWork(transposed, threads)
                : equalWork(sparse.columnStarts(), threads);
        this.heldOut = heldOut;
        this.heldOutChunks = heldOut == null ? null : equalWork(heldOut, threads);
        // with one chunk the partial is the result; gathered over Mᵀ, every chunk writes its own rows of the result
        this.mtuPartials = new DenseMatrix[full ? 1 : rowBlocks];
        // nothing half-built is left behind, whatever fails (an OutOfMemoryError too)
        List<AutoCloseable> built = new ArrayList<>();
        try {
            // the aligned form first: its lease holds the wavefront's chunks, computed once per thread count
            this.layoutAligned = fusedPanelled ? built(built, SparsePanels.sharedAligned(sparse, panelCount, threads,
                    () -> PanelWavefront.chunks(sparse, panelCount, threads))) : null;
            this.alignedPanels = fusedPanelled ? layoutAligned.get() : null;
            this.sparseChunks = sparse == null ? null : fusedPanelled ? alignedPanels.chunkRows()
                    : equalWork(sparse, threads);
            this.layoutOfM = panelled ? built(built, leases.lease(sparse, false,
                    SparsePanels.panelCount(cols, rowBytes), sparseChunks)) : null;
            this.layoutOfTransposed = panelled ? built(built, leases.lease(sparse, true,
                    SparsePanels.panelCount(rows, rowBytes), transposedChunks)) : null;
            this.panelsOfM = panelled ? layoutOfM.get() : null;
            this.panelsOfTransposed = panelled ? layoutOfTransposed.get() : null;
            if (observedPanelled) {
                // the panelled pass keeps each row's sum of squares from panel to panel: a double a row, on the heap
                NativeMemory.requireHeap((long) rows * Double.BYTES, () -> "keep the observed pass's sums of "
                        + rows + " rows across column panels");
            }
            this.layoutOfObserved = observedPanelled ? built(built, CsrPanels.shared(sparse,
                    CsrPanels.panelCount(cols, rowBytes))) : null;
            this.observedPanels = observedPanelled ? layoutOfObserved.get() : null;
            this.observedChunkPanelled = observedPanelled ? new boolean[threads] : null;
            for (int c = 0; observedPanelled && c < threads; c++) {
                int rs = sparseChunks[c];
                int re = sparseChunks[c + 1];
                observedChunkPanelled[c] = CsrPanels.pays(re - rs, cols, sparse.rowStart(re) - sparse.rowStart(rs),
                        rowBytes);
            }
            this.mv = built(built, DenseMatrix.allocate(dtype, rows, r));
            this.mtu = built(built, DenseMatrix.allocate(dtype, cols, r));
            mtuPartials[0] = mtu;
            for (int c = 1; c < mtuPartials.length; c++) {
                mtuPartials[c] = built(built, DenseMatrix.allocate(dtype, cols, r));
            }
            this.blockPartials = (m != null ? blocked(dtype, rows, rowBlocks) : !full && scatterBlocked(sparse))
                    ? new DenseMatrix[threads] : null;
            for (int c = 0; blockPartials != null && c < threads; c++) {
                // a thread of the grid sums its column block's rows of MᵀU alone
                int q = c % columnBlocks;
                blockPartials[c] = built(built, DenseMatrix.allocate(dtype, columnBounds[q + 1] - columnBounds[q], r));
            }
            this.mvPartials = columnBlocks > 1 ? new DenseMatrix[columnBlocks] : null;
            for (int q = 0; mvPartials != null && q < columnBlocks; q++) {
                mvPartials[q] = q == 0 ? mv : built(built, DenseMatrix.allocate(dtype, rows, r));
            }
        } catch (Throwable e) {
            Closing.closeEach(built, e);
            throw e;
        }
        this.mColumns = columnBlocks > 1 ? new DenseMatrix[columnBlocks] : null;
        this.vRows = columnBlocks > 1 ? new DenseMatrix[columnBlocks] : null;
        this.mtuBlocks = columnBlocks > 1 ? new DenseMatrix[threads] : null;
        for (int q = 0; mColumns != null && q < columnBlocks; q++) {
            mColumns[q] = MatrixViews.columns(m, columnBounds[q], columnBounds[q + 1]);
            vRows[q] = MatrixViews.rows(v, columnBounds[q], columnBounds[q + 1]);
        }
        for (int c = 0; mtuBlocks != null && c < threads; c++) {
            int q = c % columnBlocks;
            mtuBlocks[c] = MatrixViews.rows(mtuPartials[c / columnBlocks], columnBounds[q], columnBounds[q + 1]);
        }
        this.wavefront = fusedPanelled ? new PanelWavefront(pass, alignedPanels.panels()) : null;
        PanelWavefront.PanelTask alignedTask = fusedPanelled
                ? (c, p) -> sparseKernels.panelFusedProduct(alignedPanels, c, p, u, v, mv, mtu) : null;
        this.gramUPartials = new double[threads][r * r];
        this.gramVPartials = new double[threads][r * r];
        this.gramU = new double[r * r];
        this.gramV = new double[r * r];

        if (m != null && columnBlocks > 1) {
            this.gridTask = (c, chunk, next) -> {
                int p = c / columnBlocks;
                int q = c % columnBlocks;
                fusedChunk(kernels, mColumns[q], u, vRows[q], ParallelPass.chunkStart(p, rows, rowBlocks),
                        ParallelPass.chunkStart(p + 1, rows, rowBlocks), mvPartials[q], mtuBlocks[c],
                        () -> blockPartials[c]);
                return 0.0;
            };
            // after the grid's pass: MV's rows summed over the column blocks in block order, then as below
            this.fusedTask = (c, start, end) -> {
                for (int q = 1; q < columnBlocks; q++) {
                    addRange(mv, mvPartials[q].segment(), (long) start * mv.stride(), (long) end * mv.stride());
                }
                gramOfU(c, start, end);
                return kernels.dot(u, mv, start, end);
            };
            this.multiplyTask = fusedTask;
            this.heldOutTask = null;
        } else if (m != null) {
            this.gridTask = null;
            this.fusedTask = (c, start, end) -> {
                fusedChunk(kernels, m, u, v, start, end, mv, mtuPartials[c], () -> blockPartials[c]);
                gramOfU(c, start, end);
                return kernels.dot(u, mv, start, end);
            };
            this.multiplyTask = fusedTask;
            this.heldOutTask = null;
        } else {
            this.gridTask = null;
            // made once, not per call: a lambda capturing the chunk would be allocated at every pass
            ScatterPass fullScatter = (c, from, to, out) -> {
                sparseKernels.fusedPass(sparse, u, v, from, to, mv, out);
                return 0.0;
            };
            ScatterPass observedScatter = (c, from, to, out) -> observedPanels != null && observedChunkPanelled[c]
                    ? sparseKernels.observedPass(observedPanels, u, v, from, to, mv, out)
                    : sparseKernels.observedPass(sparse, u, v, from, to, mv, out);
            this.multiplyTask = (c, start, end) -> {
                if (alignedPanels != null) {
                    wavefront.run(c, alignedTask);
                } else if (panelsOfM != null) {
                    sparseKernels.panelProduct(panelsOfM, v, c, mv);
                    sparseKernels.panelProduct(panelsOfTransposed, u, c, mtu);
                } else if (transposed != null) {
                    sparseKernels.product(sparse, v, start, end, mv);
                    sparseKernels.product(transposed, u, transposedChunks[c], transposedChunks[c + 1], mtu);
                } else {
                    scatterChunk(c, start, end, fullScatter);
                }
                gramOfU(c, start, end);
                return kernels.dot(u, mv, start, end);
            };
            this.fusedTask = !observed ? multiplyTask : (c, start, end) -> {
                double squares = scatterChunk(c, start, end, observedScatter);
                gramOfU(c, start, end);
                return squares;
            };
            this.heldOutTask = heldOut == null ? null
                    : (c, start, end) -> sparseKernels.residualSquared(heldOut, u, v, start, end);
        }
        this.reduceTask = (c, start, end) -> {
            if (mtuPartials.length > 1) {
                addPartials(start, end);
            }
            if (!gramVStepped) {
                Arrays.fill(gramVPartials[c], 0.0);
                kernels.gram(v, start, end, gramVPartials[c]);
            }
            return 0.0;
        };
        // each factor's Gram partials in the chunks of the pass that would otherwise sweep it (U: the fused pass's,
        // V: the reduction's), so the Grams have the bits of that sweep
        this.stepTask = (c, start, end) -> {
            double squared = 0.0;
            if (stepCoefficientsU != null) {
                Arrays.fill(gramUPartials[c], 0.0);
                squared = kernels.gradientStepAndGram(u, mv, stepCoefficientsU, stepEta, start, end,
                        gramUPartials[c]);
            }
            if (stepCoefficientsV != null) {
                Arrays.fill(gramVPartials[c], 0.0);
                squared += kernels.gradientStepAndGram(v, mtu, stepCoefficientsV, stepEta,
                        pass.chunkStart(c, v.rows()), pass.chunkStart(c + 1, v.rows()), gramVPartials[c]);
            }
            return squared;
        };
        this.residualTask = m == null ? null : (c, start, end) -> kernels.residualSquared(m, u, v, start, end);
        this.gramTask = (c, start, end) -> {
            Arrays.fill(gramUPartials[c], 0.0);
            Arrays.fill(gramVPartials[c], 0.0);
            kernels.gram(u, start, end, gramUPartials[c]);
            kernels.gram(v, pass.chunkStart(c, v.rows()), pass.chunkStart(c + 1, v.rows()), gramVPartials[c]);
            return 0.0;
        };
    }

    /**
     * Tells the engine that U and V were written from outside its passes and steps (a restart from the start): the
     * Grams a finished step added up are no longer theirs, so the next pass sweeps them again.
     */
    public void factorsRewritten() {
        gramUStepped = false;
        gramVStepped = false;
    }

    /**
     * The fused pass and its reduction: afterwards MV, MᵀU, {@link #gramU} and {@link #gramV} hold the values at the
     * current U, V. For the observed-entries loss "MV" and "MᵀU" hold −R_Ω·V and −R_Ωᵀ·U instead.
     *
     * @return ⟨U, MV⟩; for the observed-entries loss Σ_Ω e², twice its data term
     */
    public double fusedPass() {
        beginWavefront();
        return reduced(m != null ? densePass(fusedTask) : pass.run(fusedTask, sparseChunks));
    }

    /** As {@link #fusedPass()} but always the full-loss pass: MV and MᵀU of M's stored entries; returns ⟨U, MV⟩. */
    public double multiply() {
        beginWavefront();
        return reduced(m != null ? densePass(multiplyTask) : pass.run(multiplyTask, sparseChunks));
    }

    /** The dense pass: with the grid, its blocks and then {@code task} over the chunks of rows; else {@code task}. */
    private double densePass(ParallelPass.RangeTask task) {
        if (gridTask != null) {
            // one item a thread: chunk c is [c, c + 1), and the task finds its blocks from c
            pass.run(gridTask, pass.threads());
        }
        return pass.run(task, rows);
    }

    private void beginWavefront() {
        if (wavefront != null) {
            wavefront.begin();
        }
    }

    private double reduced(double value) {
        pass.run(reduceTask, cols);
        if (!gramUStepped) {
            sumInOrder(gramUPartials, gramU);
        }
        if (!gramVStepped) {
            sumInOrder(gramVPartials, gramV);
        }
        gramUStepped = false;
        gramVStepped = false;
        return value;
    }

    /** The Gram partial of chunk c's rows [start, end) of U, unless the last step left U's Gram. */
    private void gramOfU(int c, int start, int end) {
        if (!gramUStepped) {
            Arrays.fill(gramUPartials[c], 0.0);
            kernels.gram(u, start, end, gramUPartials[c]);
        }
    }

    /** Σ (uᵢ·vⱼ − Mᵢⱼ)² over the held-out entries at the current factors; NaN when there are none. */
    public double heldOutSquared() {
        return heldOut == null ? Double.NaN : pass.run(heldOutTask, heldOutChunks);
    }

    /** The blocks of M's columns of the dense pass's grid; 1 without it. */
    int columnBlocks() {
        return columnBlocks;
    }

    /** MV of the last fused pass. */
    public DenseMatrix mv() {
        return mv;
    }

    /** MᵀU of the last fused pass. */
    public DenseMatrix mtu() {
        return mtu;
    }

    /** Recomputes {@link #gramU} and {@link #gramV} from the current factors (no pass over M). */
    public void grams() {
        pass.run(gramTask, rows);
        sumInOrder(gramUPartials, gramU);
        sumInOrder(gramVPartials, gramV);
        gramUStepped = false;
        gramVStepped = false;
    }

    /**
     * U −= η(U·aU − MV) and V −= η(V·aV − MᵀU), both from the old factors (simultaneous GD), using MV and MᵀU of the
     * last {@link #fusedPass()}. A null coefficient matrix leaves that factor alone (alternating GD steps U, makes a
     * second fused pass for MᵀU at the new U, then steps V).
     *
     * <p>The step also adds up the Gram of each factor it steps, and leaves it in {@link #gramU} / {@link #gramV}
     * (the coefficient matrices may be those arrays: they are read before): the next {@link #fusedPass()} or
     * {@link #multiply()} takes it instead of sweeping that factor again, with the same bits. So a caller that writes
     * U or V itself between a step and the next pass must call {@link #grams()} first.
     *
     * @return the squared gradient norm Σ‖U·aU − MV‖² + Σ‖V·aV − MᵀU‖² of the factors stepped
     */
    public double step(double[] aU, double[] aV, double eta) {
        this.stepCoefficientsU = aU;
        this.stepCoefficientsV = aV;
        this.stepEta = eta;
        // a step that throws part-way leaves its factor half-written: no earlier mark may survive it
        gramUStepped &= aU == null;
        gramVStepped &= aV == null;
        // a sparse M's passes sum U's Gram in their chunks of equal work: the step's U goes in the same chunks
        double squared = m != null ? pass.run(stepTask, rows) : pass.run(stepTask, sparseChunks);
        if (aU != null) {
            sumInOrder(gramUPartials, gramU);
            gramUStepped = true;
        }
        if (aV != null) {
            sumInOrder(gramVPartials, gramV);
            gramVStepped = true;
        }
        return squared;
    }

    /**
     * ‖UVᵀ − M‖²_F over all d1·d2 entries at the current factors, exactly (residual entries formed and squared, no
     * cancelling identity): for a dense M by residual rows formed on the fly, for a sparse M (the zeros count, as in
     * the full loss, whichever objective the engine iterates) by {@link SparseResidual}, O(d1·d2·r), whose scratch is
     * allocated by the first call and kept. A sparse M's pass asks {@code stop} between blocks of its rows (from the
     * pass's threads) and gives NaN once it says so: it is minutes long on a large M; a dense M's is an iteration's.
     */
    public double residualSquared(BooleanSupplier stop) {
        if (m != null) {
            return pass.run(residualTask, rows);
        }
        if (sparseResidual == null) {
            sparseResidual = new SparseResidual(kernels, KernelProvider.gemm(), pass, sparse, u, v);
        }
        return sparseResidual.residualSquared(stop);
    }

    /**
     * The threads from which a dense pass runs its 2-D grid by default ({@link #columnBlocks}). Measured with
     * prototypes on one 16-core host only (native-notes/kernels.md 39, 41): at 16 threads 4 × 4 blocks took 15–25 %
     * (float32) and 23–34 % (float64) off the 1-D pass's median at d = 8192, r = 64; at 8 threads nothing.
     */
    static final int GRID_THREADS = 16;

    /** The column blocks of the grid by default from {@link #GRID_THREADS} threads (that run's 4 × 4). */
    static final int GRID_COLUMN_BLOCKS = 4;

    /**
     * The blocks of M's columns a dense pass at {@code threads} threads splits M into ({@link #columnBlocks}, the
     * 2-D grid), or 1 (the threads split M's rows alone): {@code autobalance.parallel.columnBlocks}, by default
     * {@link #GRID_COLUMN_BLOCKS} from {@link #GRID_THREADS} threads; 1 unless the blocks divide the threads, the
     * kernels take blocks of columns at this rank ({@link FactorKernels#columnBlock}; not the small-rank path), every
     * block has at least that many columns, and the grid moves no more bytes of partial sums than the rows alone:
     * P − 1 partials of MᵀU (d2 × r each) and Q − 1 of MV (d1 × r) against threads − 1 of MᵀU, i.e.
     * (Q − 1)·d1 ≤ (threads − P)·d2 (a tall M gains nothing from fewer MᵀU partials and would pay MV's).
     */
    public static int columnBlocks(FactorKernels kernels, DType dtype, int rows, int cols, int rank, int threads) {
        return columnBlocks(kernels, dtype, rows, cols, rank, threads, 0);
    }

    /** As above with {@code requested} blocks instead of the default (0: the default). */
    private static int columnBlocks(FactorKernels kernels, DType dtype, int rows, int cols, int rank, int threads,
            int requested) {
        int q = requested > 0 ? requested
                : EngineProperties.COLUMN_BLOCKS.or(threads >= GRID_THREADS ? GRID_COLUMN_BLOCKS : 1);
        int multiple = kernels.columnBlock(dtype, rank);
        if (q == 1 || threads % q != 0 || multiple == 0 || cols / multiple < q
                || (q - 1.0) * rows > (threads - threads / q) * (double) cols) {
            return 1;
        }
        return q;
    }

    /** The first column of each of {@code blocks} blocks at multiples of {@code multiple} columns, then cols. */
    private static int[] columnBounds(int cols, int blocks, int multiple) {
        int[] bounds = new int[blocks + 1];
        int units = cols / Math.max(1, multiple);
        for (int q = 1; q < blocks; q++) {
            bounds[q] = ParallelPass.chunkStart(q, units, blocks) * multiple;
        }
        bounds[blocks] = cols;
        return bounds;
    }

    /**
     * The bytes of the per-thread partial sums of MᵀU beyond MᵀU itself: {@code threads − 1} cols × rank matrices where
     * every chunk of M's rows adds to all of MᵀU (a dense M, or the observed objective, which gathers no transpose);
     * none where MᵀU is gathered over Mᵀ's rows. At 1024 threads a 200 × 50 000 M at rank 150 allocated 1023 of 61 MB,
     * one after another for 54 s, until the 25 GB of physical memory refused one. A bound for the 2-D grid too, which
     * runs only where its partials of MV and MᵀU are fewer bytes ({@link #columnBlocks}).
     */
    public static double partialBytes(DType dtype, int cols, int rank, int threads, boolean gathered) {
        return gathered ? 0 : (threads - 1.0) * cols * DenseMatrix.strideOf(dtype, rank) * dtype.bytes();
    }

    /**
     * The bytes of the per-thread MᵀU of one block ({@link #BLOCK_ROWS}) that an engine over a dense
     * {@code rows × cols} M holds where it sums MᵀU in blocks, else 0.
     */
    public static double blockBytes(FactorKernels kernels, DType dtype, int rows, int cols, int rank, int threads) {
        // a row block's threads of the grid hold a column block's rows each: cols rows of MᵀU a row block
        int rowBlocks = threads / columnBlocks(kernels, dtype, rows, cols, rank, threads);
        return blocked(dtype, rows, rowBlocks)
                ? (double) rowBlocks * cols * DenseMatrix.strideOf(dtype, rank) * dtype.bytes() : 0;
    }

    /**
     * The bytes of the per-thread d2-side output of one block of rows that an observed-loss engine over the sparse
     * {@code m} holds where its scatter adds that output up in blocks ({@link #scatterBlocked}), else 0.
     */
    public static double scatterBlockBytes(SparseMatrix m, int rank, int threads) {
        return scatterBlocked(m)
                ? (double) threads * m.cols() * DenseMatrix.strideOf(m.dtype(), rank) * m.dtype().bytes() : 0;
    }

    /**
     * A floor of the native bytes of the panel layouts an engine over the sparse {@code m} at rank {@code rank}
     * builds: for the full loss M's aligned form ({@link SparsePanels#floorBytesOfAligned}) where it pays, else those
     * of M and Mᵀ ({@link SparsePanels#floorBytesOfBoth}); for the observed loss M's column panels
     * ({@link CsrPanels#bytes}, exactly); 0 where they are not built. For the solver's up-front check, as the layouts
     * are built after U and V.
     */
    public static long panelBytes(SparseKernels sparseKernels, SparseMatrix m, boolean observed, int rank,
            int threads) {
        long rowBytes = rowBytes(m.dtype(), rank);
        if (observed) {
            return !observedPanelled(sparseKernels, m, rank) ? 0 : CsrPanels.bytes(m.rows(), m.nonZeros(), m.dtype(),
                    CsrPanels.panelCount(m.cols(), rowBytes));
        }
        if (fusedPanelled(sparseKernels, m, rank, threads)) {
            return SparsePanels.floorBytesOfAligned(m.rows(), m.cols(), m.nonZeros(), m.dtype(), rowBytes, threads);
        }
        return !panelled(sparseKernels, m, rank) ? 0 : SparsePanels.floorBytesOfBoth(m.rows(), m.cols(),
                m.nonZeros(), m.dtype(), rowBytes);
    }

    /**
     * The panel layouts' bytes of a whole solver run over the sparse {@code m} at rank {@code rank} (a floor, as
     * {@link #panelBytes}), counted once: every full-loss engine over M with the same panels and chunks (the aligned
     * form: the same thread count) shares them
     * ({@link SparsePanels#shared}, {@link SparsePanels#sharedAligned}): the
     * iterations', σ₁'s (full loss whatever the objective, its blocks at most
     * {@code rank} columns: the same panels) and the plateau test's. Where the rank is beyond what the layouts serve,
     * the full loss's plateau test still builds them for its 1-column engines; the observed loss's has none, but its
     * iterations' engine holds M's column panels while σ₁'s holds the full loss's layouts.
     */
    public static long runPanelBytes(SparseKernels sparseKernels, SparseMatrix m, boolean observed, int rank,
            int threads) {
        long plateauTests = observed ? 0 : panelBytes(sparseKernels, m, false, 1, threads);
        long iterations = observed ? panelBytes(sparseKernels, m, true, rank, threads) : 0;
        return Math.max(panelBytes(sparseKernels, m, false, rank, threads), plateauTests) + iterations;
    }

    /**
     * Whether a full-loss engine over the sparse {@code m} at rank {@code rank} builds the panel layouts: the kernels
     * run them faster there ({@link SparseKernels#panelled}) and they pay ({@link SparsePanels#paysBoth}). One rule for
     * the constructor and for {@link #panelBytes}'s estimate.
     */
    private static boolean panelled(SparseKernels sparseKernels, SparseMatrix m, int rank) {
        return sparseKernels.panelled(m.dtype(), rank)
                && SparsePanels.paysBoth(m.rows(), m.cols(), m.nonZeros(), m.dtype(), rowBytes(m.dtype(), rank))
                && !longSums(m);
    }

    /**
     * Whether a full-loss engine over the sparse {@code m} at rank {@code rank} reads M's aligned form with the fused
     * panel product: the kernels run the layouts faster ({@link SparseKernels#panelled}) and it pays
     * ({@link SparsePanels#paysAligned}: at more than one thread, where it has panels enough for the chunks'
     * wavefront). One rule for the constructor and for {@link #panelBytes}'s estimate.
     */
    private static boolean fusedPanelled(SparseKernels sparseKernels, SparseMatrix m, int rank, int threads) {
        return sparseKernels.panelled(m.dtype(), rank) && SparsePanels.paysAligned(m.rows(), m.cols(), m.nonZeros(),
                m.dtype(), rowBytes(m.dtype(), rank), threads) && !longSums(m);
    }

    /**
     * Whether a float32 M has a row or a column of more than {@link #LONG_CHAIN} stored entries: then the full loss
     * runs the CSR products, which sum such rows of M and of Mᵀ in blocks ({@link SparseKernels#product}), never the
     * panel layouts, whose kernels sum each row as one chain across the panels (a panel's width depends on the
     * machine's cache, so blocks there would have to carry two sums from panel to panel; not done). One rule for the
     * constructor and {@link #panelBytes}, through {@link #panelled} and {@link #fusedPanelled}.
     */
    static boolean longSums(SparseMatrix m) {
        if (m.dtype() != DType.FLOAT32 || m.nonZeros() <= LONG_CHAIN) {
            return false;
        }
        for (int i = 0; m.cols() > LONG_CHAIN && i < m.rows(); i++) {
            if (m.rowStart(i + 1) - m.rowStart(i) > LONG_CHAIN) {
                return true;
            }
        }
        return m.rows() > LONG_CHAIN && longestColumn(m) > LONG_CHAIN;
    }

    /**
     * The longest row of M or Mᵀ whose float32 sums the panel layouts' one chain may take ({@link #longSums}): 16
     * blocks ({@link SparseKernels#BLOCK}), 65 536 entries. Such a chain rounds by about √65 536 = 256 roundings of
     * its terms' size, 3–4 times what blocks give (64 + √⌈d/BLOCK⌉) and a quarter of the 1.2 M-entry columns' 1 100
     * that made the balance drift; and the power-law bench matrix (100 000 × 50 000, 5 M entries: rows of up to
     * 5 830 entries, columns of up to 8 455), and such matrices up to several times its size, keep the layouts,
     * which ran its products in 0.5–0.7 of the CSR products' time on a 2 MiB L2 (native-notes/sparse.md).
     */
    static final int LONG_CHAIN = 16 * SparseKernels.BLOCK;

    /**
     * The most stored entries of a column of M, from its column counts ({@link SparseMatrix#columnStarts}, kept by M);
     * 0 for a matrix too wide for them (its columns are then not counted: {@link SparseMatrix#requireTransposable}).
     */
    private static long longestColumn(SparseMatrix m) {
        if (m.cols() >= NativeMemory.MAX_ARRAY_LENGTH) {
            return 0;
        }
        long[] starts = m.columnStarts();
        long most = 0;
        for (int j = 0; j < m.cols(); j++) {
            most = Math.max(most, starts[j + 1] - starts[j]);
        }
        return most;
    }

    /**
     * Whether the scatter passes over a sparse M (the observed loss's, whose d2-side output each chunk adds up in a
     * partial of its own) add that output up in blocks of {@link SparseKernels#BLOCK} rows at fixed places (rows
     * [b·BLOCK, (b + 1)·BLOCK), cut by the chunks' bounds), each block's added into the chunk's partial: float32, a
     * column of more than BLOCK entries (a chain of them would round as one long sum, as {@link SparseKernels#BLOCK}
     * says), and the blocks' additions (d2 rows a block) at most 1/16 of the stored entries, so that they cost little
     * beside the pass (2 000 000 × 4, 4.8 M entries: 2 000 rows added a pass; 100 000 × 50 000, 5 M: 1.25 M, not
     * blocked).
     */
    static boolean scatterBlocked(SparseMatrix m) {
        long blocks = (m.rows() + (long) SparseKernels.BLOCK - 1) / SparseKernels.BLOCK;
        return m.dtype() == DType.FLOAT32 && m.cols() * blocks * 16 <= m.nonZeros()
                && longestColumn(m) > SparseKernels.BLOCK;
    }

    /** A scatter pass over a sparse M's rows: the full loss's fused pass, or the observed loss's. */
    @FunctionalInterface
    private interface ScatterPass {
        /**
         * Rows {@code [from, to)} of chunk {@code c}: their rows of MV, their d2-side output into {@code out}.
         *
         * @return the rows' sum of squared residuals (the observed loss's), or 0
         */
        double run(int c, int from, int to, DenseMatrix out);
    }

    /**
     * Chunk {@code c}'s rows {@code [start, end)} of a scatter pass into its partial of the d2-side output (zeroed
     * first), block by block where the engine blocks them ({@link #scatterBlocked}): each block's output in the
     * chunk's block partial, added into the partial.
     *
     * @return the sum of the blocks' {@link ScatterPass#run}
     */
    private double scatterChunk(int c, int start, int end, ScatterPass pass) {
        DenseMatrix partial = mtuPartials[c];
        partial.segment().fill((byte) 0);
        double sum = 0.0;
        for (int from = start; from < end; ) {
            int to = nextBlock(from, end);
            DenseMatrix out = blockPartials == null ? partial : blockPartials[c];
            if (out != partial) {
                out.segment().fill((byte) 0);
            }
            sum += pass.run(c, from, to, out);
            addBlock(partial, out);
            from = to;
        }
        return sum;
    }

    /** The end of the block of rows ({@link #scatterBlocked}) that row {@code from} is in, or {@code end}. */
    private int nextBlock(int from, int end) {
        return blockPartials == null ? end
                : (int) Math.min(end, (from / SparseKernels.BLOCK + 1L) * SparseKernels.BLOCK);
    }

    /** Adds a block's d2-side output into the chunk's {@code partial}, unless it is the partial itself. */
    private static void addBlock(DenseMatrix partial, DenseMatrix block) {
        if (block != partial) {
            addRange(partial, block.segment(), 0, (long) partial.rows() * partial.stride());
        }
    }

    /**
     * Whether an observed-loss engine over the sparse {@code m} at rank {@code rank} builds M's column panels: the
     * kernels run them faster ({@link SparseKernels#panelledObserved}) and they pay ({@link CsrPanels#pays}). One
     * rule for the constructor and for {@link #panelBytes}.
     */
    private static boolean observedPanelled(SparseKernels sparseKernels, SparseMatrix m, int rank) {
        return sparseKernels.panelledObserved(m.dtype(), rank)
                && CsrPanels.pays(m.rows(), m.cols(), m.nonZeros(), rowBytes(m.dtype(), rank));
    }

    /** Bytes of a padded row of the factors: what one gathered row of X occupies. */
    private static long rowBytes(DType dtype, int rank) {
        return (long) DenseMatrix.strideOf(dtype, rank) * dtype.bytes();
    }

    /**
     * The scratch memory, in bytes, that {@link #residualSquared} allocates on its first call for a sparse M of
     * {@code cols} columns at rank {@code rank} with {@code threads} threads, at most (none for a dense M).
     */
    public static long sparseResidualBytes(DType dtype, int cols, int rank, int threads) {
        return SparseResidual.bytes(dtype, cols, rank, threads);
    }

    /** {@code thing}, noted in {@code built} to be closed if the constructor fails later. */
    private static <T extends AutoCloseable> T built(List<AutoCloseable> built, T thing) {
        built.add(thing);
        return thing;
    }

    /**
     * Splits the rows of {@code m} into {@code parts} contiguous chunks of about equal work for the parallel pass:
     * chunk c is rows {@code [b[c], b[c + 1])}. The work of a row is counted as its stored entries plus one (the row's
     * own output costs about as much as an entry, and empty rows must not pile up in one chunk). A pure function of
     * the row pointers and {@code parts}, so the chunking, and with it every per-chunk sum, is the same on every run.
     */
    public static int[] equalWork(SparseMatrix m, int parts) {
        return equalWork(m.rows(), m::rowStart, parts);
    }

    /** {@link #equalWork(SparseMatrix, int)} of a matrix whose row pointers are {@code rowStart}. */
    static int[] equalWork(long[] rowStart, int parts) {
        return equalWork(rowStart.length - 1, i -> rowStart[i], parts);
    }

    /** {@link #equalWork(SparseMatrix, int)} of a {@code rows}-row matrix whose row i starts at {@code rowStart(i)}. */
    private static int[] equalWork(int rows, IntToLongFunction rowStart, int parts) {
        int[] b = new int[parts + 1];
        long total = rowStart.applyAsLong(rows) + rows;
        for (int c = 1; c < parts; c++) {
            long target = total * c / parts;
            // first row i with rowStart(i) + i >= target (a monotone function of i)
            int lo = b[c - 1];
            int hi = rows;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (rowStart.applyAsLong(mid) + mid >= target) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            b[c] = lo;
        }
        b[parts] = rows;
        return b;
    }

    private void addPartials(int startRow, int endRow) {
        long from = (long) startRow * mtu.stride();
        long to = (long) endRow * mtu.stride();
        for (int c = 1; c < mtuPartials.length; c++) {
            addRange(mtu, mtuPartials[c].segment(), from, to);
        }
    }

    /**
     * Elements {@code [from, to)} of {@code acc} += those of {@code partial}, a memory of acc's layout (rows with
     * their padding), added in acc's precision element by element: how every partial of MᵀU is added, here and in the
     * Spark module (whose partials arrive as byte arrays, hence the unaligned reads).
     */
    public static void addRange(DenseMatrix acc, MemorySegment partial, long from, long to) {
        MemorySegment out = acc.segment();
        if (acc.dtype() == DType.FLOAT32) {
            for (long k = from; k < to; k++) {
                out.setAtIndex(ValueLayout.JAVA_FLOAT, k, out.getAtIndex(ValueLayout.JAVA_FLOAT, k)
                        + partial.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, k));
            }
        } else {
            for (long k = from; k < to; k++) {
                out.setAtIndex(ValueLayout.JAVA_DOUBLE, k, out.getAtIndex(ValueLayout.JAVA_DOUBLE, k)
                        + partial.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, k));
            }
        }
    }

    /**
     * Whether a fused pass over a dense M of {@code rows} rows sums MᵀU in blocks ({@link #BLOCK_ROWS}): float32, a
     * chunk longer than a block.
     */
    private static boolean blocked(DType dtype, int rows, int threads) {
        // chunks differ by at most a row: the longest has ⌈rows / threads⌉
        return dtype == DType.FLOAT32 && (rows + threads - 1L) / threads > BLOCK_ROWS;
    }

    /**
     * Rows {@code [start, end)} of the dense fused pass: their rows of MV into {@code mv}, their MᵀU into
     * {@code partial} (zeroed first). A float32 chunk longer than {@link #BLOCK_ROWS} sums MᵀU block by block from its
     * first row into {@code block} (a scratch of the partial's shape, asked for only then), each block added into the
     * partial: the engine's bits wherever the chunks are the engine's (the Spark module's teams).
     */
    public static void fusedChunk(FactorKernels kernels, DenseMatrix m, DenseMatrix u, DenseMatrix v, int start,
            int end, DenseMatrix mv, DenseMatrix partial, Supplier<DenseMatrix> block) {
        partial.segment().fill((byte) 0);
        if (m.dtype() != DType.FLOAT32 || end - start <= BLOCK_ROWS) {
            kernels.fusedPass(m, u, v, start, end, mv, partial);
            return;
        }
        DenseMatrix scratch = block.get();
        for (int from = start; from < end; from += BLOCK_ROWS) {
            scratch.segment().fill((byte) 0);
            kernels.fusedPass(m, u, v, from, Math.min(end, from + BLOCK_ROWS), mv, scratch);
            addRange(partial, scratch.segment(), 0, (long) partial.rows() * partial.stride());
        }
    }

    private static void sumInOrder(double[][] partials, double[] out) {
        System.arraycopy(partials[0], 0, out, 0, out.length);
        for (int c = 1; c < partials.length; c++) {
            for (int k = 0; k < out.length; k++) {
                out[k] += partials[c][k];
            }
        }
    }

    @Override
    public void close() {
        List<AutoCloseable> owned = new ArrayList<>();
        if (layoutAligned != null) {
            owned.add(layoutAligned);
        }
        if (layoutOfM != null) {
            owned.add(layoutOfM);
            owned.add(layoutOfTransposed);
        }
        if (layoutOfObserved != null) {
            owned.add(layoutOfObserved);
        }
        owned.add(mv);
        if (mvPartials != null) {
            owned.addAll(Arrays.asList(mvPartials).subList(1, mvPartials.length));
        }
        owned.addAll(Arrays.asList(mtuPartials));
        if (blockPartials != null) {
            owned.addAll(Arrays.asList(blockPartials));
        }
        if (sparseResidual != null) {
            owned.add(sparseResidual);
        }
        Closing.closeAll(owned, "the engine");
    }
}
