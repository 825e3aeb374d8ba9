package org.autobalance.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.autobalance.memory.DType;
import org.autobalance.memory.NativeArena;
import org.autobalance.memory.Shared;
import org.autobalance.memory.SparseMatrix;

/**
 * The stored entries of a sparse M, copied once into column panels for the observed-entries pass
 * ({@link SparseKernels#observedPass(CsrPanels, org.autobalance.memory.DenseMatrix, org.autobalance.memory.DenseMatrix,
 * int, int, org.autobalance.memory.DenseMatrix, org.autobalance.memory.DenseMatrix)}): panel p holds the entries of
 * columns {@code [p·width, (p + 1)·width)} as a CSR over all of M's rows, and the panels follow each other, so that
 * row i's piece in panel p is the entries {@code [starts[p·rows + i], starts[p·rows + i + 1])}, in increasing column
 * order. M itself is the one-panel case of this layout ({@link SparseMatrix#rowStarts()} is its {@link #starts()}).
 *
 * <p>Why (native-notes/sparse.md, "Twenty-third session: the observed pass in panels"): the pass gathers a row of V and
 * scatter-adds a row of the d2-side output per stored entry; at r = 16 float32 both are 3.2 MB, beyond a 2 MiB L2, so
 * in M's order every entry waits on L3. A panel's rows of both fit in about half the L2 ({@link #panelCount}). Each
 * thread runs the panels one after the other over its rows, and each row's d1-side sums are carried from one panel to
 * the next, so every sum has the order it has over M: the bits do not depend on the panel count. Unlike
 * {@link SparsePanels} (the gather products' layout) the rows are not interleaved in slices: the observed pass would
 * then scatter into a column's output row in an order that depends on where the panels fall (native-notes/sparse.md,
 * "Twenty-second session: the observed pass in panels"), and padding, which the observed loss cannot tell from a
 * stored 0, would need a count per lane.
 *
 * <p>Memory: nnz·(4 + value bytes) plus {@value #INDEX_BYTES} bytes per row and panel (every row has a start in every
 * panel), counted with the matrices' native memory ({@link NativeArena}) and freed by {@link #close()} or the
 * matrices' safety net; built only where a row's piece in a panel is long enough to pay for its loops ({@link #pays}).
 * The engines of a run share one ({@link #shared}).
 */
public final class CsrPanels implements AutoCloseable {
    /** Bytes of index per row of M and panel: the row's start in the panel (long). */
    public static final int INDEX_BYTES = Long.BYTES;

    /**
     * The widest row of the factors, in bytes, for which the layout is built: 64 (one cache line: float32 r ≤ 16,
     * float64 r ≤ 8; rows are padded to 64 bytes, so this is the narrowest too). Measured on the Intel host (100 000 ×
     * 50 000, 5 M entries, one thread, quiet machine; native-notes/sparse.md, "Twenty-third session"): with 64-byte
     * rows the panels took 12 % (256 bits) and 10–17 % (512 bits, where the observed pass runs there) off; with
     * 128-byte rows (float32 r = 32) 11 % off at 256 bits but 3–10 % more at 512 bits, whose 2-vector rows are fast
     * over M already; with 256-byte rows (r = 64, 25 panels, 2 entries a piece) 7 % more at 256 bits, at no panel
     * count from 3 to 25 faster.
     */
    public static final long MAX_ROW_BYTES = 64;

    /**
     * The least stored entries a row's piece in a panel holds on average for the layout to be built: 6. Each piece
     * costs its loops' entries and exits (about 30 ns when an exit is mispredicted, measured for the gather products,
     * native-notes/sparse.md, "Twenty-first session") and the re-read of the row's U and pu rows; each stored entry
     * gains the L3 waits it no longer has. Measured as above at 64-byte rows and 256 bits: 7.1 entries a piece (7
     * panels) 12 % faster than over M, 3.8 (13 panels) 21 % slower.
     */
    public static final long MIN_PIECE_ENTRIES = 6;

    private final SparseMatrix matrix;
    private final int rows;
    private final int panels;
    private final int width;
    private final NativeArena arena;
    private final MemorySegment starts;
    private final MemorySegment columns;
    private final MemorySegment values;
    private final long bytes;

    /**
     * Pass 1 counts each row's entries in each panel into {@code starts} (then summed into starts); pass 2 visits M's
     * rows in order and copies each row's run of entries in a panel (consecutive in M: its columns increase) to the
     * piece's start.
     */
    private CsrPanels(SparseMatrix m, int width) {
        this.matrix = m;
        this.rows = m.rows();
        int cols = m.cols();
        this.width = width;
        this.panels = Math.ceilDiv(cols, width); // not (cols + width − 1) / width, which wraps past 2³¹ − 1
        long positions = (long) panels * rows;
        long nnz = m.nonZeros();
        DType t = m.dtype();
        this.bytes = bytes(rows, nnz, t, panels);
        this.arena = NativeArena.open(this, bytes, () -> "the observed pass's panel layout of a " + rows + " x "
                + cols + " sparse matrix (its " + nnz + " stored entries in " + panels + " column panels)");
        try {
            this.starts = arena.allocate((positions + 1) * Long.BYTES, 64);
            this.columns = arena.allocate(Math.max(1, nnz) * Integer.BYTES, 64);
            this.values = arena.allocate(Math.max(1, nnz) * t.bytes(), 64);
            MemorySegment rowStart = m.rowStarts();
            MemorySegment column = m.columnIndices();
            for (int i = 0; i < rows; i++) {
                for (long k = rowStart.getAtIndex(ValueLayout.JAVA_LONG, i),
                        end = rowStart.getAtIndex(ValueLayout.JAVA_LONG, i + 1); k < end; k++) {
                    long at = column.getAtIndex(ValueLayout.JAVA_INT, k) / width * (long) rows + i + 1;
                    starts.setAtIndex(ValueLayout.JAVA_LONG, at, starts.getAtIndex(ValueLayout.JAVA_LONG, at) + 1);
                }
            }
            for (long x = 0; x < positions; x++) {
                starts.setAtIndex(ValueLayout.JAVA_LONG, x + 1, starts.getAtIndex(ValueLayout.JAVA_LONG, x + 1)
                        + starts.getAtIndex(ValueLayout.JAVA_LONG, x));
            }
            long b = t.bytes();
            for (int i = 0; i < rows; i++) {
                long k = rowStart.getAtIndex(ValueLayout.JAVA_LONG, i);
                long end = rowStart.getAtIndex(ValueLayout.JAVA_LONG, i + 1);
                while (k < end) {
                    int p = column.getAtIndex(ValueLayout.JAVA_INT, k) / width;
                    long run = k;
                    while (run < end && column.getAtIndex(ValueLayout.JAVA_INT, run) / width == p) {
                        run++;
                    }
                    long to = starts.getAtIndex(ValueLayout.JAVA_LONG, p * (long) rows + i);
                    MemorySegment.copy(column, k * Integer.BYTES, columns, to * Integer.BYTES,
                            (run - k) * Integer.BYTES);
                    MemorySegment.copy(m.values(), k * b, values, to * b, (run - k) * b);
                    k = run;
                }
            }
        } catch (RuntimeException | Error e) {
            arena.close(); // nothing half-built is left counted
            throw e;
        }
    }

    /**
     * The layout of {@code m} in {@code panels} panels of ⌈cols / panels⌉ columns (fewer panels when that leaves the
     * last ones empty). The caller owns it.
     *
     * @throws IllegalArgumentException if {@code panels} is below 1 or the native memory is not there
     */
    public static CsrPanels of(SparseMatrix m, int panels) {
        if (panels < 1) {
            throw new IllegalArgumentException("panels must be at least 1, got " + panels);
        }
        int p = Math.max(1, Math.min(panels, m.cols()));
        return new CsrPanels(m, Math.ceilDiv(m.cols(), p)); // not (cols + p − 1) / p: see the constructor
    }

    /**
     * A lease on the layout of {@code m} in {@code panels} panels, shared by every engine over {@code m} that asks for
     * the same panels while one holds it ({@link Shared}: built once, closed with its last lease or with M). The
     * layout does not depend on the threads' chunks: each thread reads its own rows of every panel.
     *
     * @throws IllegalArgumentException as {@link #of}
     */
    public static Shared<CsrPanels> shared(SparseMatrix m, int panels) {
        return Shared.acquire(m, new Key(panels), () -> of(m, panels));
    }

    /** What makes two layouts of one matrix the same: the panels. */
    private record Key(int panels) {
    }

    /**
     * Panels for the observed pass over factors of {@code rowBytes} bytes a row and M of {@code cols} columns: as few
     * as keep a panel's rows of V and of the d2-side output (two rows a column) within
     * {@link SparsePanels#PANEL_BYTES}, at least 1.
     */
    public static int panelCount(int cols, long rowBytes) {
        return SparsePanels.panelCount(cols, 2 * rowBytes);
    }

    /**
     * Whether the layout of a {@code rows} × {@code cols} M with {@code nonZeros} stored entries, for factor rows of
     * {@code rowBytes} bytes, is built: the layout is on ({@link SparsePanels#enabled()}), it has more than one panel
     * ({@link #panelCount}), the factors' rows are at most {@link #MAX_ROW_BYTES}, and a row's piece in a panel
     * holds {@link #MIN_PIECE_ENTRIES} on average.
     */
    public static boolean pays(int rows, int cols, long nonZeros, long rowBytes) {
        int p = panelCount(cols, rowBytes);
        // nnz ≥ c·p·rows without overflow (c·p·rows may pass 2⁶³): ⌊nnz / c⌋ ≥ p·rows exactly when nnz ≥ c·p·rows
        return SparsePanels.enabled() && rowBytes <= MAX_ROW_BYTES && p > 1
                && nonZeros / MIN_PIECE_ENTRIES >= p * (long) rows;
    }

    /** The native bytes of a layout of {@code rows} rows and {@code nonZeros} entries of {@code dtype} in panels. */
    public static long bytes(int rows, long nonZeros, DType dtype, int panels) {
        return ((long) panels * rows + 1) * INDEX_BYTES + Math.max(1, nonZeros) * (Integer.BYTES + dtype.bytes());
    }

    /** M's rows. */
    public int rows() {
        return rows;
    }

    /** M's element type. */
    public DType dtype() {
        return matrix.dtype();
    }

    /** The number of column panels. */
    public int panels() {
        return panels;
    }

    /** Columns per panel (the last panel may have fewer). */
    public int width() {
        return width;
    }

    /**
     * int64, panels·rows + 1: where row i's piece in panel p starts ({@code p·rows + i}); it ends where the next
     * position starts.
     */
    public MemorySegment starts() {
        return starts;
    }

    /** int32: the entries' columns, panel after panel, in each panel row after row, each piece by column. */
    public MemorySegment columns() {
        return columns;
    }

    /** The entries' values, of M's dtype, in the order of {@link #columns()}. */
    public MemorySegment values() {
        return values;
    }

    /** Native bytes this layout holds. */
    public long bytes() {
        return bytes;
    }

    @Override
    public void close() {
        arena.close();
    }
}
