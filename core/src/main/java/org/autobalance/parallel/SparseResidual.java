package org.autobalance.parallel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.BooleanSupplier;
import org.autobalance.kernel.FactorKernels;
import org.autobalance.kernel.GemmKernels;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;

/**
 * ‖UVᵀ − M‖²_F of a sparse M over all d1·d2 entries, the zeros of M included, without densifying M and without the
 * cancellation of the one-pass identity ‖UVᵀ‖² − 2⟨U, MV⟩ + ‖M‖² (whose absolute error of a few u·‖M‖²_F swamps the
 * loss near a good fit). O(d1·d2·r) work, about one dense iteration's.
 *
 * <p>M is cut into tiles of {@link #TILE_ROWS} rows × {@link #TILE_COLS} columns on a grid fixed by the shape alone.
 * Each tile is formed as U_I·(Vᵀ)_J by the dense GEMM ({@link GemmKernels}, the network engine's, in M's dtype) into a
 * per-thread scratch tile, the tile's stored entries of M are subtracted from it (in the dtype, as the dense path
 * forms its residual), and its squares are summed in double by {@link FactorKernels#dot}. Nothing new is vectorised:
 * the two O(d1·d2·r) and O(d1·d2) steps are existing kernels, and the O(nnz) subtraction is a scalar loop.
 *
 * <p>Determinism: a tile's sum does not depend on which thread forms it, the tiles of a block of rows are summed in
 * column order into that block's slot, and the slots are added in row order after the pass: the result is
 * bit-for-bit the same for every thread count (stronger than the iteration's guarantee, which is per thread count).
 *
 * <p>Memory (allocated on the first call, kept until {@link #close()}): Vᵀ, r·d2 elements, and per thread two tiles
 * of at most {@link #TILE_ROWS} × {@link #TILE_COLS} elements.
 */
final class SparseResidual implements AutoCloseable {
    /**
     * Rows of a tile. 64 rows amortise the GEMM's packing of a panel of Vᵀ (r × 2L elements, packed once per call and
     * used by every row) to under 2 % of its FMAs, and are a multiple of its 8-row register tile.
     */
    static final int TILE_ROWS = 64;
    /**
     * Columns of a tile: 64 × 1024 elements are 256 KiB in float32 (512 KiB in float64), so the tile the GEMM writes is
     * still in the 1–2 MiB L2 when the subtraction and the sum of squares read it back; the panels of Vᵀ a tile reads
     * (r × 1024 elements, 64 KiB at r = 16 in float32) stay there too.
     */
    static final int TILE_COLS = 1024;

    private final FactorKernels kernels;
    private final GemmKernels gemm;
    private final ParallelPass pass;
    private final SparseMatrix m;
    private final DenseMatrix u;
    private final DenseMatrix v;
    /** Vᵀ, r × d2, rewritten by every call. */
    private final DenseMatrix vt;
    /** Per thread: the full-width tile, and the tile of the last d2 mod TILE_COLS columns (null when that is 0). */
    private final DenseMatrix[] tiles;
    private final DenseMatrix[] tailTiles;
    /** Per thread: the next stored entry of each row of the current block of rows (columns increase within a row). */
    private final long[][] cursors;
    /** Σ of squares of each block of {@link #TILE_ROWS} rows, added in row order after the pass. */
    private final double[] blockSums;
    private final ParallelPass.RangeTask task;
    /** The current call's stop test, and whether a thread found it true (the pass's end publishes the write). */
    private BooleanSupplier stop;
    private volatile boolean stopped;

    SparseResidual(FactorKernels kernels, GemmKernels gemm, ParallelPass pass, SparseMatrix m, DenseMatrix u,
            DenseMatrix v) {
        this.kernels = kernels;
        this.gemm = gemm;
        this.pass = pass;
        this.m = m;
        this.u = u;
        this.v = v;
        int threads = pass.threads();
        DType dtype = m.dtype();
        int d2 = m.cols();
        int tail = d2 % TILE_COLS;
        this.tiles = new DenseMatrix[threads];
        this.tailTiles = new DenseMatrix[threads];
        this.cursors = new long[threads][TILE_ROWS];
        this.blockSums = new double[(m.rows() + TILE_ROWS - 1) / TILE_ROWS];
        try {
            this.vt = DenseMatrix.allocate(dtype, u.cols(), d2);
            for (int c = 0; c < threads; c++) {
                tiles[c] = d2 < TILE_COLS ? null : DenseMatrix.allocate(dtype, TILE_ROWS, TILE_COLS);
                tailTiles[c] = tail == 0 ? null : DenseMatrix.allocate(dtype, TILE_ROWS, tail);
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            close();
            throw e;
        }
        this.task = this::blocks;
    }

    /** The native memory this allocates for a d2-column M at rank r with {@code threads} threads, at most. */
    static long bytes(DType dtype, int cols, int rank, int threads) {
        return ((long) rank * DenseMatrix.strideOf(dtype, cols)
                + 2L * threads * TILE_ROWS * DenseMatrix.strideOf(dtype, TILE_COLS)) * dtype.bytes();
    }

    /**
     * ‖UVᵀ − M‖²_F at the current U and V, accumulated in double; NaN if {@code stop}, asked before each block of rows
     * by the thread that forms it, said yes.
     */
    double residualSquared(BooleanSupplier stop) {
        // the GEMM's right operand, streamed along its rows
        v.transposeInto(vt);
        this.stop = stop;
        stopped = false;
        pass.run(task, blockSums.length);
        if (stopped) {
            return Double.NaN;
        }
        double sum = 0.0;
        for (double s : blockSums) {
            sum += s;
        }
        return sum;
    }

    /** Blocks of rows [first, end) of the grid, each into its slot of {@link #blockSums}. */
    private double blocks(int chunk, int first, int end) {
        DType dtype = m.dtype();
        boolean f32 = dtype == DType.FLOAT32;
        int r = u.cols();
        int d1 = m.rows();
        int d2 = m.cols();
        long[] cursor = cursors[chunk];
        MemorySegment columns = m.columnIndices();
        MemorySegment values = m.values();
        for (int b = first; b < end; b++) {
            if (stopped || stop.getAsBoolean()) {
                stopped = true;
                return 0.0;
            }
            int i0 = b * TILE_ROWS;
            int h = Math.min(TILE_ROWS, d1 - i0);
            for (int i = 0; i < h; i++) {
                cursor[i] = m.rowStart(i0 + i);
            }
            double sum = 0.0;
            for (int j0 = 0; j0 < d2; j0 += TILE_COLS) {
                int w = Math.min(TILE_COLS, d2 - j0);
                DenseMatrix tile = w == TILE_COLS ? tiles[chunk] : tailTiles[chunk];
                MemorySegment ts = tile.segment();
                long ldc = tile.stride();
                gemm.gemm(dtype, false, h, w, r, u.segment(), (long) i0 * u.stride(), u.stride(), vt.segment(), j0,
                        vt.stride(), ts, 0, tile.stride(), false);
                for (int i = 0; i < h; i++) {
                    long k = cursor[i];
                    long rowEnd = m.rowStart(i0 + i + 1);
                    for (int j; k < rowEnd && (j = columns.getAtIndex(ValueLayout.JAVA_INT, k)) < j0 + w; k++) {
                        long at = i * ldc + (j - j0);
                        if (f32) {
                            ts.setAtIndex(ValueLayout.JAVA_FLOAT, at, ts.getAtIndex(ValueLayout.JAVA_FLOAT, at)
                                    - values.getAtIndex(ValueLayout.JAVA_FLOAT, k));
                        } else {
                            ts.setAtIndex(ValueLayout.JAVA_DOUBLE, at, ts.getAtIndex(ValueLayout.JAVA_DOUBLE, at)
                                    - values.getAtIndex(ValueLayout.JAVA_DOUBLE, k));
                        }
                    }
                    cursor[i] = k;
                }
                // rows h.. of a tile hold an earlier block's values; its padding columns are zero (never written)
                sum += kernels.dot(tile, tile, 0, h);
            }
            blockSums[b] = sum;
        }
        return 0.0;
    }

    @Override
    public void close() {
        for (int c = 0; c < tiles.length; c++) {
            if (tiles[c] != null) {
                tiles[c].close();
            }
            if (tailTiles[c] != null) {
                tailTiles[c].close();
            }
        }
        if (vt != null) {
            vt.close();
        }
    }
}
