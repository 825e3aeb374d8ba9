package org.autobalance.kernel;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.Locale;
import org.autobalance.memory.DType;
import org.autobalance.memory.NativeArena;
import org.autobalance.memory.NativeMemory;
import org.autobalance.memory.Shared;
import org.autobalance.memory.SparseMatrix;

/**
 * The stored entries of a sparse A, copied once into the order in which {@link SparseKernels#panelProduct} gathers
 * the rows of X for A·X: column panels, each a range of A's columns whose rows of X fit in about half of a core's L2
 * cache ({@link #panelCount}), visited one after the other; within a panel the rows of A in slices of {@link #SLICE}
 * rows, their entries interleaved (entry t of the slice's lane q at {@code start + t·SLICE + q}) and each lane padded
 * with zeros to the slice's longest piece. A slice's rows are consecutive in the panel's order of each {@link #WINDOW}
 * rows (most entries in that panel first), which keeps the padding small.
 *
 * <p>Why (native-notes/sparse.md, "Twenty-first session"): at r = 16 float32 V is 3.2 MB and U 6.4 MB, beyond a 2 MiB
 * L2, so in A's own order every stored entry waits on an L3 access; a panel keeps its gathered rows in L2. A row
 * split into panels costs a loop exit per piece, whose mispredicted branch exposed each piece's latency (about 30 ns
 * a piece on the Intel host, so panels alone gained little); a slice runs its 4 rows' pieces in one loop, 4
 * independent FMA chains, one loop exit.
 *
 * <p>Order of each row's sum, whatever the panel count (where the kernels run the layout,
 * {@link SparseKernels#panelled}): a row of A·X is one chain of FMAs over the row's stored entries in increasing
 * column order, started from 0 (panel 0) and carried through the output row between panels. A padded entry adds
 * 0·X[j,:] for j the column of the row's last entry in the panel (the first column of the panel when the row has
 * none there), i.e. ±0 for a finite X, which leaves the sum's value unchanged; but a −0 (an FMA whose product
 * underflows) may read +0 with another panel count, and a non-finite row j of X makes NaN both a row whose result
 * was infinite through j and any row padded with j that never stores it (CSR gives such a row a finite value).
 *
 * <p>Slices never straddle the chunks the layout was built for (the parallel pass's row chunks), so each chunk's rows
 * are written by its own slices; a chunk's last slice may hold fewer than 4 rows (its missing rows' entries are
 * padding, never stored). Memory: (stored + padded entries)·(4 + value bytes) plus {@link #INDEX_BYTES} per panel
 * and row of A (every row has a position in every panel), counted with the matrices' native memory
 * ({@link NativeArena}) and freed by {@link #close()} or the matrices' safety net; so the engine builds it only where
 * that index is small beside the entries ({@link #pays}) and runs the CSR product elsewhere. The engines of a run
 * share one layout of M and one of Mᵀ ({@link #shared}), and Mᵀ's is built from M's entries ({@link #ofTransposed}):
 * no CSR of Mᵀ is needed (native-notes/sparse.md, "Twenty-second session").
 *
 * <p>The aligned form ({@link #aligned}), for {@link SparseKernels#panelFusedProduct}, which reads M once for both
 * MV and MᵀU: slices of 4 consecutive rows of a chunk in their own order (no window ordering), whose lanes the kernel
 * runs as two pairs (lanes 0 and 1, then 2 and 3), and the lanes padded so that a column the two lanes of a pair share
 * comes no later in the lower lane (at each step lane 1 or 3 waits, padding, while its pair's lower lane still holds
 * its next column). Scatter-adding m·U[i] into MᵀU[j] entry by entry, chunk after chunk, slice after slice, pair after
 * pair and, within a pair, step by step, the lower lane first, then adds MᵀU[j]'s terms in increasing row order from
 * its panel's start: the one chain of the gather product over Mᵀ's row, whatever the panel count and the chunks
 * (native-notes/sparse.md, "Twenty-sixth session" and "Twenty-seventh session").
 */
public final class SparsePanels implements AutoCloseable {
    /** Rows of A per slice: their 4 FMA chains hide the FMA latency, as the even/odd chains of the CSR product do. */
    public static final int SLICE = 4;

    /**
     * Rows per window (a multiple of {@link #SLICE}): within each window each panel orders the rows by their entries
     * in that panel, most first, before cutting them into slices, so that a slice's rows need less padding. 8: at
     * 100 000 × 50 000, 5 M entries, float32 r = 16 the padding was 30 % (M) and 21 % (Mᵀ) of the stored entries with
     * no ordering, and windows of 4, 8 and 16 rows ran alike while 32, 64 and 256 made both products slower
     * (native-notes/sparse.md, "Twenty-first session").
     */
    public static final int WINDOW = 8;

    /**
     * The least L2 cache per core for which the layouts of M and Mᵀ are built by default, and from which the aligned
     * form's panels are sized for the L2 ({@link #ALIGNED_PANEL_BYTES}): 2 MiB. Measured (100 000 × 50 000, 5 M
     * entries, one vector a row): on the Intel host (2 MiB L2) the gather products over the layouts took 0.5–0.7 of
     * the CSR products' time; on the AMD Zen 3 host (512 KiB L2, a 32 MiB L3 that answers a gather in about half the
     * Intel host's time) they took 1.9–2.0 times it, and at 400 000 × 200 000 with 20 M entries 0.9–1.3 times it,
     * where M's aligned form in L3-sized panels took 0.3–0.6 (native-notes/sparse.md, "Twenty-first session",
     * "Twenty-seventh session" and "Twenty-eighth session"). Between the two (Zen 4's 1 MiB) it is unmeasured: the
     * rule of the Zen 3 host.
     */
    public static final long MIN_L2_BYTES = 2L << 20;

    /** This machine's L2 cache per core, read once for both panel sizes below (1 MiB where unknown). */
    private static final long L2_BYTES = cacheBytes(2, 1 << 20);

    /** This machine's L3 cache, or 0 where it does not say. */
    private static final long L3_BYTES = cacheBytes(3, 0);

    /**
     * Bytes of gathered rows of X one panel holds: {@code -Dautobalance.kernel.sparsePanelBytes}, by default half of
     * this machine's L2 cache per core (the other half for the streams of A's entries and of the output rows) where
     * that cache is at least {@link #MIN_L2_BYTES}, else 0; 0 turns the layouts of M and Mᵀ and the observed pass's
     * panels off (the aligned form has its own default, {@link #ALIGNED_PANEL_BYTES}; the property set to 0 turns all
     * off: the CSR products); a value below {@link #MIN_PANEL_BYTES} reads as that floor.
     */
    public static final long PANEL_BYTES = floored(EngineProperties.SPARSE_PANEL_BYTES.or(
            (int) defaultPanelBytes(L2_BYTES)));

    /**
     * Bytes of V's and MᵀU's rows one panel of the aligned form holds ({@link #alignedPanelCount}): the same property;
     * by default, where the L2 is at least {@link #MIN_L2_BYTES}, half of it but at least 1 MiB, else a quarter of the
     * L3 ({@link #ASSUMED_L3_BYTES} where the machine does not say). Why the 1 MiB floor (native-notes/sparse.md,
     * "Twenty-sixth session"; 100 000 × 50 000, 5 M entries, a row one 64-byte line): on the Intel host (2 MiB L2) the
     * prototype's fused pass was fastest at 5–7 panels (1.3–0.9 MB of rows a panel) and slower at 4; 1 MiB gives 7
     * panels: 0.87–0.90 of the two products' time (r = 16). Why the L3 below: on the AMD Zen 3 host (512 KiB L2, 32 MiB
     * L3) the pass in L2-sized panels ran no faster than the CSR products (more panels cost more slices' loop exits and
     * padding than the L2 saves), but the CSR products' gathers slow down 2–4 times once a factor outgrows a few MiB of
     * the L3 (14 ns an entry from a 12 MiB V at r = 16, 3.5 from 3 MiB): at 400 000 × 200 000 with 20 M entries (r = 8,
     * 64-byte rows: 12.8 MB of V and of MᵀU) the pass was fastest at 4 panels (3.2 MB of V's and 3.2 of MᵀU's rows a
     * panel), 117–150 ms against the CSR products' 262–389, and slower at 2 and at 8; at 100 000 × 50 000, 5 M entries,
     * at 1 panel, 22–25 ms against 27–31 (native-notes/sparse.md, "Twenty-eighth session"). A quarter of 32 MiB gives
     * those panel counts at both shapes.
     */
    public static final long ALIGNED_PANEL_BYTES = floored(EngineProperties.SPARSE_PANEL_BYTES.or(
            (int) defaultAlignedPanelBytes(L2_BYTES, L3_BYTES)));

    /**
     * The fewest panels with which the aligned form runs at one thread: 2 where its panels are sized from {@link
     * #ASSUMED_L3_BYTES}, else 1. On the Zen 5 guest that measured the assumption (native-notes/sparse.md,
     * "Thirty-second session"), one panel (100 000 × 50 000, 5 M entries, r = 16: V's and MᵀU's rows fit one) was no
     * faster than the CSR products and in most runs slower, where on the Zen 3 host, whose L3 is known, it paid (22–25
     * ms against 27–31); two panels (200 000 × 100 000, 10 M, r = 8) took ~0.8 of their time and four (400 000 ×
     * 200 000, 20 M) 0.47–0.73 (medians).
     */
    static final int MIN_ALIGNED_PANELS = EngineProperties.SPARSE_PANEL_BYTES.or(null) == null
            && L2_BYTES < MIN_L2_BYTES && L3_BYTES == 0 ? 2 : 1;

    /**
     * The least {@link #PANEL_BYTES}: 64 KiB, 1 024 rows of X at float32 r = 16. Each panel costs every row of A a
     * position ({@link #INDEX_BYTES}): at 64 bytes a panel held one row of X, so a 50 000 × 50 000 A had 50 000 panels
     * and 2.5·10⁹ positions, more than an array takes.
     */
    public static final long MIN_PANEL_BYTES = 64 * 1024;

    /**
     * Bytes of index the layout holds per row of A and panel, whether the row has entries there or not: its position
     * in the panel's order (int) and a quarter of its slice's start (long): 6.
     */
    public static final long INDEX_BYTES = Integer.BYTES + Long.BYTES / SLICE;

    /**
     * The layout is built only when its index ({@link #INDEX_BYTES} · panels · rows) is at most 1 / {@value} of the
     * stored entries' bytes (nnz · (4 + value bytes)). Why 4: the product streams the index as it streams the entries,
     * so the index is extra traffic of the same kind as the padding, which was 30 % (M) and 21 % (Mᵀ) of the stored
     * entries where the layout was measured to pay (100 000 × 50 000, 5 M entries, float32 r = 16; its index is 6 %
     * and 5 % with 1 MiB panels, 20 % and 19 % with the 256 KiB panels of a 512 KiB L2); a quarter keeps index plus
     * padding within about half of the entries' bytes, where the gathers' gain (native-notes/sparse.md) still
     * exceeds the extra stream. Each (panel, slice) also costs a loop exit, ~30 ns when mispredicted, per 4 rows: at
     * the limit that is about one per 12 stored entries at float32. Past it (1 M × 1 M with 10 entries a row: 62
     * panels, an index 4.7 times the entries) the layout costs more than it gains, and grows with panels × rows.
     */
    public static final int INDEX_SHARE = 4;

    /** The matrix whose entries this layout copies: A itself, or M for A = Mᵀ ({@link #ofTransposed}). */
    private final SparseMatrix matrix;
    private final boolean transposed;
    /** Whether this is the aligned form ({@link #aligned}). */
    private final boolean aligned;
    private final int rows;
    private final int cols;
    private final int panels;
    private final int width;
    private final int slices;
    private final int[] chunkSlices;
    private final NativeArena arena;
    private final MemorySegment sliceRows;
    private final MemorySegment order;
    private final MemorySegment starts;
    private final MemorySegment columns;
    private final MemorySegment values;
    private final long bytes;

    /**
     * Builds the layout of A = {@code m} or, when {@code transposed}, of A = Mᵀ from M's own entries (no CSR of Mᵀ
     * is needed: A's entry (a, b) is M's (b, a)); or, when {@code aligned}, M's aligned form. The gather products'
     * layouts: pass 1 counts each row's entries in each panel, orders each window's rows per panel and sizes the
     * slices; pass 2 visits M's entries once in CSR order, which gives each row of A its entries in increasing column
     * order whichever A is, and writes each at its row's next place in its panel; pass 3 pads. The bytes are the same
     * for both sources of A (tested). The aligned form: pass 1 runs each (panel, slice)'s placement ({@link Aligner})
     * to count its steps, pass 2 runs it again and writes the entries; the rows' positions are the rows themselves in
     * every panel.
     */
    private SparsePanels(SparseMatrix m, boolean transposed, boolean aligned, int width, int[] chunks) {
        this.matrix = m;
        this.transposed = transposed;
        this.aligned = aligned;
        this.rows = transposed ? m.cols() : m.rows();
        this.cols = transposed ? m.rows() : m.cols();
        int n = rows;
        this.width = width;
        this.panels = (cols + width - 1) / width;
        this.chunkSlices = new int[chunks.length];
        int ns = 0;
        for (int c = 0; c + 1 < chunks.length; c++) {
            chunkSlices[c] = ns;
            ns += (chunks[c + 1] - chunks[c] + SLICE - 1) / SLICE;
        }
        chunkSlices[chunks.length - 1] = ns;
        this.slices = ns;
        long positions = panels * (long) n;
        if (positions > NativeMemory.MAX_ARRAY_LENGTH) {
            throw new IllegalArgumentException("a " + n + " x " + cols + " sparse matrix in " + panels
                    + " column panels has " + positions + " row positions, more than the panel layout takes ("
                    + NativeMemory.MAX_ARRAY_LENGTH + ")");
        }
        int nsPanels = panels * ns; // ns ≤ n, so within the check above
        int[] firstRows = new int[ns + 1];
        for (int c = 0, s = 0; c + 1 < chunks.length; c++) {
            for (int i = chunks[c]; i < chunks[c + 1]; i += SLICE) {
                firstRows[s++] = i;
            }
        }
        firstRows[ns] = n;
        long[] start = new long[nsPanels + 1];
        int[] rowAt = null;
        Aligner aligner = null;
        if (aligned) {
            // at once: each row's next entry and the starts
            NativeMemory.requireHeap((long) n * Long.BYTES + (nsPanels + 1L) * Long.BYTES, () -> "align the rows of a "
                    + n + " x " + cols + " sparse matrix in " + panels + " column panels");
            aligner = new Aligner(firstRows);
            for (int p = 0; p < panels; p++) {
                for (int s = 0; s < ns; s++) {
                    long steps = aligner.place(p, s, -1);
                    if (steps * SLICE > Integer.MAX_VALUE) {
                        // the kernels index a slice's entries by int
                        throw new IllegalArgumentException("rows " + firstRows[s] + " to " + (firstRows[s + 1] - 1)
                                + " need " + steps + " steps in one column panel, more than the panel layout takes");
                    }
                    start[p * ns + s + 1] = steps * SLICE;
                }
            }
        } else {
            // at once: the positions' rows and either their counts (pass 1) or their next places (pass 2), the starts
            NativeMemory.requireHeap(positions * (Integer.BYTES + Long.BYTES) + (nsPanels + 1L) * Long.BYTES
                    + (long) WINDOW * Long.BYTES, () -> "order the rows of a " + n + " x " + cols
                    + " sparse matrix in " + panels + " column panels");
            // pass 1: each panel's order of each window's rows, and each (panel, slice)'s length: the piece of its
            // first row, the longest
            int[] count = counts();
            rowAt = new int[(int) positions];
            long[] keys = new long[WINDOW];
            int s = 0;
            for (int c = 0; c + 1 < chunks.length; c++) {
                for (int w0 = chunks[c]; w0 < chunks[c + 1]; w0 += WINDOW) {
                    int w1 = Math.min(w0 + WINDOW, chunks[c + 1]);
                    order(w0, w1, count, keys, rowAt);
                    for (int first = w0; first < w1; first += SLICE, s++) {
                        for (int p = 0; p < panels; p++) {
                            long longest = count[p * n + rowAt[p * n + first]];
                            if (longest * SLICE > Integer.MAX_VALUE) {
                                // the kernels index a slice's entries by int
                                throw new IllegalArgumentException("row " + rowAt[p * n + first] + " has " + longest
                                        + " stored entries in one column panel, more than the panel layout takes");
                            }
                            start[p * ns + s + 1] = longest * SLICE;
                        }
                    }
                }
            }
            count = null; // pass 2 needs the heap it took
        }
        for (int x = 0; x < nsPanels; x++) {
            start[x + 1] += start[x];
        }
        long entries = start[nsPanels];
        DType t = m.dtype();
        String what = aligned ? "aligned panel layout" : "panel layout";
        this.bytes = entries * (Integer.BYTES + t.bytes()) + (nsPanels + 1L) * Long.BYTES
                + (ns + 1L + positions) * Integer.BYTES;
        this.arena = NativeArena.open(this, bytes, () -> "the " + what + " of a " + n + " x " + cols
                + " sparse matrix (its " + m.nonZeros() + " stored entries in " + panels + " column panels)");
        try {
            this.sliceRows = arena.allocate((ns + 1L) * Integer.BYTES, 64);
            this.order = arena.allocate(Math.max(1, positions) * Integer.BYTES, 64);
            this.starts = arena.allocate((nsPanels + 1L) * Long.BYTES, 64);
            this.columns = arena.allocate(Math.max(1, entries) * Integer.BYTES, 64);
            this.values = arena.allocate(Math.max(1, entries) * t.bytes(), 64); // zeros: the padding's values
            MemorySegment.copy(firstRows, 0, sliceRows, ValueLayout.JAVA_INT, 0, ns + 1);
            MemorySegment.copy(start, 0, starts, ValueLayout.JAVA_LONG, 0, start.length);
            if (aligned) {
                for (long x = 0; x < positions; x++) {
                    order.setAtIndex(ValueLayout.JAVA_INT, x, (int) (x % n));
                }
                aligner.rewind();
                for (int p = 0; p < panels; p++) {
                    for (int s = 0; s < ns; s++) {
                        aligner.place(p, s, start[p * ns + s]);
                    }
                }
            } else {
                MemorySegment.copy(rowAt, 0, order, ValueLayout.JAVA_INT, 0, rowAt.length);
                long[] next = places(firstRows, rowAt, start);
                scatter(next);
                pad(firstRows, rowAt, start, next);
            }
        } catch (OutOfMemoryError | IllegalArgumentException e) {
            arena.close();
            throw new IllegalArgumentException("cannot allocate the " + what + " of a " + n + " x " + cols
                    + " sparse matrix (" + bytes + " bytes): " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            arena.close(); // nothing half-built is left counted
            throw e;
        }
    }

    /**
     * The aligned form's placement of each (panel, slice)'s entries, panels left to right: step by step, lane q places
     * its row's next entry of the panel unless the lower lane of its pair still holds that column (then it pads: value
     * 0, the lane's last column in the panel, or the panel's first). Lanes 0 and 2 never wait, so every slice ends.
     * The lanes of the other pair need no wait: the kernel runs the pairs one after the other, in row order.
     */
    private final class Aligner {
        private final MemorySegment column = matrix.columnIndices();
        /** Each slice's first row, and the rows' end. */
        private final int[] firstRows;
        /** Each row's first entry in a panel not yet visited. */
        private final long[] next = new long[rows];
        private final long[] at = new long[SLICE];
        private final long[] end = new long[SLICE];
        private final int[] last = new int[SLICE];

        Aligner(int[] firstRows) {
            this.firstRows = firstRows;
            rewind();
        }

        /** Back to panel 0: each row's next entry its first. */
        void rewind() {
            for (int i = 0; i < next.length; i++) {
                next[i] = matrix.rowStart(i);
            }
        }

        /**
         * Places slice s's entries of panel p from entry {@code to} of the layout ({@code start + step·SLICE + lane});
         * with {@code to} negative only counts.
         *
         * @return the slice's steps
         */
        long place(int p, int s, long to) {
            int first = firstRows[s];
            int nr = firstRows[s + 1] - first;
            long limit = (long) (p + 1) * width;
            boolean left = false;
            for (int q = 0; q < SLICE; q++) {
                at[q] = q < nr ? next[first + q] : 0;
                end[q] = at[q];
                if (q < nr) {
                    long rowEnd = matrix.rowStart(first + q + 1);
                    while (end[q] < rowEnd && column.getAtIndex(ValueLayout.JAVA_INT, end[q]) < limit) {
                        end[q]++;
                    }
                    next[first + q] = end[q];
                }
                left |= at[q] < end[q];
                last[q] = p * width;
            }
            long steps = 0;
            long b = matrix.dtype().bytes();
            while (left) {
                left = false;
                for (int q = 0; q < SLICE; q++) {
                    long k = at[q];
                    boolean places = k < end[q] && !heldBelow(q, column.getAtIndex(ValueLayout.JAVA_INT, k));
                    if (places) {
                        last[q] = column.getAtIndex(ValueLayout.JAVA_INT, k);
                        at[q] = k + 1;
                    }
                    if (to >= 0) {
                        long x = to + steps * SLICE + q;
                        columns.setAtIndex(ValueLayout.JAVA_INT, x, last[q]);
                        if (places) {
                            MemorySegment.copy(matrix.values(), k * b, values, x * b, b);
                        }
                    }
                    left |= at[q] < end[q];
                }
                steps++;
            }
            return steps;
        }

        /**
         * Whether the lower lane of q's pair (q odd) still holds column j among its entries not yet placed (in column
         * order).
         */
        private boolean heldBelow(int q, int j) {
            for (int lane = q & ~1; lane < q; lane++) {
                long lo = at[lane];
                long hi = end[lane] - 1;
                while (lo <= hi) {
                    long mid = (lo + hi) >>> 1;
                    int c = column.getAtIndex(ValueLayout.JAVA_INT, mid);
                    if (c == j) {
                        return true;
                    }
                    if (c < j) {
                        lo = mid + 1;
                    } else {
                        hi = mid - 1;
                    }
                }
            }
            return false;
        }
    }

    /** count[p·rows + a]: the stored entries of row a of A in panel p, from one pass over M's entries. */
    private int[] counts() {
        int[] count = new int[panels * rows];
        forEachEntry((position, k, i, j) -> count[position]++);
        return count;
    }

    /** What {@link #forEachEntry} does with M's entry k, at row i and column j, in row of A and panel position. */
    @FunctionalInterface
    private interface EntryAction {
        void at(int position, long k, int i, int j);
    }

    /** Every stored entry of M in CSR order, with its position p·rows + a: its row a of A in its panel p. */
    private void forEachEntry(EntryAction action) {
        MemorySegment rowStart = matrix.rowStarts();
        MemorySegment column = matrix.columnIndices();
        for (int i = 0; i < matrix.rows(); i++) {
            for (long k = rowStart.getAtIndex(ValueLayout.JAVA_LONG, i),
                    end = rowStart.getAtIndex(ValueLayout.JAVA_LONG, i + 1); k < end; k++) {
                int j = column.getAtIndex(ValueLayout.JAVA_INT, k);
                action.at(transposed ? i / width * rows + j : j / width * rows + i, k, i, j);
            }
        }
    }

    /**
     * Each panel's order of the rows [w0, w1) into {@code rowAt} (positions p·rows + w0 …): by their entries in that
     * panel, most first, ties by row.
     */
    private void order(int w0, int w1, int[] count, long[] keys, int[] rowAt) {
        int n = rows;
        for (int p = 0; p < panels; p++) {
            for (int i = w0; i < w1; i++) {
                keys[i - w0] = (long) (Integer.MAX_VALUE - count[p * n + i]) << 32 | i;
            }
            Arrays.sort(keys, 0, w1 - w0);
            for (int x = 0; x < w1 - w0; x++) {
                rowAt[p * n + w0 + x] = (int) keys[x];
            }
        }
    }

    /**
     * next[p·rows + a]: where row a of A's first entry in panel p goes, its slice's start plus its lane (entry e of
     * lane q at {@code start + e·SLICE + q}).
     */
    private long[] places(int[] firstRows, int[] rowAt, long[] start) {
        int n = rows;
        long[] next = new long[panels * n];
        for (int p = 0; p < panels; p++) {
            for (int sl = 0; sl < slices; sl++) {
                for (int x = firstRows[sl]; x < firstRows[sl + 1]; x++) {
                    next[p * n + rowAt[p * n + x]] = start[p * slices + sl] + x - firstRows[sl];
                }
            }
        }
        return next;
    }

    /**
     * Pass 2: every stored entry of M, in CSR order, to its row of A's next place in its panel. For A = M that visits
     * each row's entries in column order; for A = Mᵀ, M's rows in increasing order are A's columns in increasing
     * order: each row of A receives its entries in column order either way.
     */
    private void scatter(long[] next) {
        long b = matrix.dtype().bytes();
        MemorySegment from = matrix.values();
        forEachEntry((position, k, i, j) -> {
            long at = next[position];
            next[position] = at + SLICE;
            columns.setAtIndex(ValueLayout.JAVA_INT, at, transposed ? i : j);
            MemorySegment.copy(from, k * b, values, at * b, b);
        });
    }

    /**
     * Pass 3: each lane of each (panel, slice) padded to the slice's length with its row's last column in the panel,
     * or the panel's first column when the row has none there or the lane has no row (a chunk's short last slice).
     */
    private void pad(int[] firstRows, int[] rowAt, long[] start, long[] next) {
        int n = rows;
        for (int p = 0; p < panels; p++) {
            for (int sl = 0; sl < slices; sl++) {
                long first = start[p * slices + sl];
                long end = start[p * slices + sl + 1];
                int nr = firstRows[sl + 1] - firstRows[sl];
                for (int q = 0; q < SLICE; q++) {
                    long at = q < nr ? next[p * n + rowAt[p * n + firstRows[sl] + q]] : first + q;
                    int pad = at > first + q ? columns.getAtIndex(ValueLayout.JAVA_INT, at - SLICE) : p * width;
                    for (; at < end; at += SLICE) {
                        columns.setAtIndex(ValueLayout.JAVA_INT, at, pad);
                    }
                }
            }
        }
    }

    /**
     * The layout of {@code a} in {@code panels} panels (of ⌈cols / panels⌉ columns; fewer when that leaves the last
     * ones empty) for the row chunks {@code chunks} (chunk c is rows {@code [chunks[c], chunks[c + 1])}, from 0 to
     * {@code a.rows()}). The caller owns it.
     *
     * @throws IllegalArgumentException if the chunks do not cover A's rows in order, panels × rows pass an array, or
     *     the memory (native, or the Java heap for the build) is not there
     */
    public static SparsePanels of(SparseMatrix a, int panels, int[] chunks) {
        return build(a, false, false, panels, chunks);
    }

    /**
     * The layout of Mᵀ ({@code m.cols()} rows), byte for byte {@code of(m.transposed(), panels, chunks)}, built from
     * M's entries without Mᵀ's CSR (which the full loss's engine then never holds: as much memory again as M). The
     * caller owns it.
     *
     * @throws IllegalArgumentException as {@link #of}
     */
    public static SparsePanels ofTransposed(SparseMatrix m, int panels, int[] chunks) {
        return build(m, true, false, panels, chunks);
    }

    /**
     * A lease on the layout of M (or of Mᵀ, when {@code transposed}) for these panels and chunks, shared by every
     * engine over {@code m} that asks for the same ones while one holds it ({@link Shared}: built once, closed with
     * its last lease or with M). The layout's bytes are those of {@link #of} (or {@link #ofTransposed}).
     *
     * @throws IllegalArgumentException as {@link #of}
     */
    public static Shared<SparsePanels> shared(SparseMatrix m, boolean transposed, int panels, int[] chunks) {
        int[] bounds = chunks.clone();
        return Shared.acquire(m, new Key(transposed, false, panels, Arrays.stream(bounds).boxed().toList()),
                () -> build(m, transposed, false, panels, bounds));
    }

    /**
     * The aligned form of M in {@code panels} panels (of ⌈cols / panels⌉ columns; fewer when that leaves the last
     * ones empty) for the row chunks {@code chunks} (as {@link #of}: no slice straddles two chunks): what
     * {@link SparseKernels#panelFusedProduct} reads, a chunk and a panel a call. The caller owns it.
     *
     * @throws IllegalArgumentException as {@link #of}
     */
    public static SparsePanels aligned(SparseMatrix m, int panels, int[] chunks) {
        return build(m, false, true, panels, chunks);
    }

    /**
     * A lease on the aligned form of M ({@link #aligned}) in {@code panels} panels for {@code threads} chunks of rows,
     * shared as {@link #shared} shares the others. The chunks' bounds come from {@code chunks}, called only when the
     * form is built, so they must be a pure function of M, {@code panels} and {@code threads} (the wavefront's are:
     * their search is a pass over M's column indices, 30–100 ms for 5 M entries, which every engine at one thread count
     * built while another holds the form now skips); read them back with {@link #chunkRow}.
     *
     * @throws IllegalArgumentException as {@link #of}, or if {@code chunks} gives other than {@code threads} chunks
     */
    public static Shared<SparsePanels> sharedAligned(SparseMatrix m, int panels, int threads, Supplier<int[]> chunks) {
        return Shared.acquire(m, new Key(false, true, panels, List.of(threads)), () -> {
            int[] bounds = chunks.get();
            if (bounds.length != threads + 1) {
                throw new IllegalArgumentException(threads + " chunks asked for, " + (bounds.length - 1) + " given");
            }
            return aligned(m, panels, bounds);
        });
    }

    /**
     * What makes two layouts of one matrix the same: which of M and Mᵀ, which form, the panels, and the chunks: their
     * bounds, or for the aligned form its thread count (its bounds are a function of it: {@link #sharedAligned}).
     */
    private record Key(boolean transposed, boolean aligned, int panels, List<Integer> chunks) {
    }

    private static SparsePanels build(SparseMatrix m, boolean transposed, boolean aligned, int panels, int[] chunks) {
        int rows = transposed ? m.cols() : m.rows();
        int cols = transposed ? m.rows() : m.cols();
        if (panels < 1) {
            throw new IllegalArgumentException("panels must be at least 1, got " + panels);
        }
        if (chunks.length < 2 || chunks[0] != 0 || chunks[chunks.length - 1] != rows) {
            throw new IllegalArgumentException("chunks must run from 0 to " + rows);
        }
        for (int c = 0; c + 1 < chunks.length; c++) {
            if (chunks[c] > chunks[c + 1]) {
                throw new IllegalArgumentException("chunk bounds must not decrease: " + chunks[c] + " then "
                        + chunks[c + 1]);
            }
        }
        return new SparsePanels(m, transposed, aligned, width(cols, panels), chunks);
    }

    /**
     * Columns per panel of a layout of an A with {@code cols} columns asked for in {@code panels} panels: ⌈cols /
     * panels⌉ (at least 1; the last panel may have fewer, and fewer panels result when that leaves the last ones
     * empty).
     */
    public static int width(int cols, int panels) {
        int p = Math.max(1, Math.min(panels, cols));
        return (cols + p - 1) / p;
    }

    /**
     * Panels for gathering rows of {@code rowBytes} bytes from X of {@code rows} rows: as few as keep one panel's rows
     * within {@link #PANEL_BYTES}, at least 1.
     */
    public static int panelCount(int rows, long rowBytes) {
        long perPanel = Math.max(1, PANEL_BYTES / rowBytes);
        return (int) Math.max(1, (rows + perPanel - 1) / perPanel);
    }

    /**
     * Whether a layout of an A with {@code rows} rows and {@code nonZeros} stored entries of {@code dtype} in
     * {@code panels} panels pays ({@link #INDEX_SHARE}) and fits (its positions, panels · rows, within an array).
     */
    public static boolean pays(long rows, long nonZeros, DType dtype, int panels) {
        long positions = panels * rows;
        return positions <= NativeMemory.MAX_ARRAY_LENGTH
                && positions * INDEX_BYTES * INDEX_SHARE <= nonZeros * (Integer.BYTES + dtype.bytes());
    }

    /**
     * Whether the gather products of a {@code rows} × {@code cols} A with {@code nonZeros} stored entries, over X of
     * {@code rowBytes} bytes a row, run on the layouts of A and of Aᵀ: both pay ({@link #pays}); else neither is built.
     */
    public static boolean paysBoth(int rows, int cols, long nonZeros, DType dtype, long rowBytes) {
        return enabled() && pays(rows, nonZeros, dtype, panelCount(cols, rowBytes))
                && pays(cols, nonZeros, dtype, panelCount(rows, rowBytes));
    }

    /**
     * Panels of the aligned form for factors of {@code rows} rows of {@code rowBytes} bytes: the fused pass gathers a
     * panel's rows of V and scatter-adds into its rows of MᵀU, so both stay within {@link #ALIGNED_PANEL_BYTES}; at
     * least 1.
     */
    public static int alignedPanelCount(int rows, long rowBytes) {
        long perPanel = Math.max(1, ALIGNED_PANEL_BYTES / (2 * rowBytes));
        return (int) Math.max(1, (rows + perPanel - 1) / perPanel);
    }

    /**
     * Whether the fused pass of a {@code rows} × {@code cols} M with {@code nonZeros} stored entries, over factors of
     * {@code rowBytes} bytes a row, runs on M's aligned form with {@code threads} threads: the form is on, pays ({@link
     * #pays}), has at least {@link #MIN_ALIGNED_PANELS} panels, and at more than one thread at least two panels a
     * thread. Why the latter: the chunks run the panels in a
     * wavefront ({@code PanelWavefront}), chunk c + 1 starting a panel after chunk c, so with P panels and T chunks
     * the pass takes at least (P + T − 1) / P of a chunk's time alone: at 2 threads 1.5 with 2 panels, 1.25 with 4. On
     * the Zen 3 host, 2 threads, 400 000 × 200 000, 20 M entries, r = 8: 2 panels 133–204 ms against the CSR
     * products' 113–165, 4 panels 83–106 (native-notes/sparse.md, "Twenty-eighth session"). Fewer panels: the CSR
     * products, or the layouts of M and Mᵀ where they are on and pay ({@link #paysBoth}), whose rows split evenly.
     */
    public static boolean paysAligned(int rows, int cols, long nonZeros, DType dtype, long rowBytes, int threads) {
        int panels = alignedPanelCount(cols, rowBytes);
        return ALIGNED_PANEL_BYTES > 0 && pays(rows, nonZeros, dtype, panels)
                && panels >= (threads == 1 ? MIN_ALIGNED_PANELS : 2 * threads);
    }

    /**
     * A floor of the native bytes of the aligned form {@link #paysAligned} accepts (0 where it does not): the stored
     * entries and the positions, without the padding, which depends on where the entries are.
     */
    public static long floorBytesOfAligned(int rows, int cols, long nonZeros, DType dtype, long rowBytes,
            int threads) {
        if (!paysAligned(rows, cols, nonZeros, dtype, rowBytes, threads)) {
            return 0;
        }
        return nonZeros * (Integer.BYTES + dtype.bytes()) + alignedPanelCount(cols, rowBytes) * (long) rows
                * INDEX_BYTES;
    }

    /**
     * A floor of the native bytes of the two layouts {@link #paysBoth} accepts (0 where it does not): the stored
     * entries and the positions, without the padding, which depends on where the entries are.
     */
    public static long floorBytesOfBoth(int rows, int cols, long nonZeros, DType dtype, long rowBytes) {
        if (!paysBoth(rows, cols, nonZeros, dtype, rowBytes)) {
            return 0;
        }
        long positions = panelCount(cols, rowBytes) * (long) rows + panelCount(rows, rowBytes) * (long) cols;
        return 2 * nonZeros * (Integer.BYTES + dtype.bytes()) + positions * INDEX_BYTES;
    }

    /** Whether the layouts of M and Mᵀ are on ({@link #PANEL_BYTES} above 0). */
    public static boolean enabled() {
        return PANEL_BYTES > 0;
    }

    private static long floored(long panelBytes) {
        return panelBytes == 0 ? 0 : Math.max(MIN_PANEL_BYTES, panelBytes);
    }

    /** The default of {@link #PANEL_BYTES} on a machine with {@code l2Bytes} of L2 cache per core. */
    static long defaultPanelBytes(long l2Bytes) {
        return l2Bytes >= MIN_L2_BYTES ? l2Bytes / 2 : 0;
    }

    /**
     * The L3 taken where the machine has no cache information (no {@code /sys/devices/system/cpu/cpu0/cache}, as in
     * some virtual machines): 32 MiB, a Zen 3, 4 or 5 core complex's. The form was off there, and on such a guest (Zen
     * 5, whose CPUID reports the socket's 512 MiB) a full-loss iteration at 400 000 × 200 000, 20 M entries, r = 8 took
     * 2.2–2.5 times as long on the CSR products as on the form in these panels (native-notes/sparse.md, "Thirty-second
     * session"). A smaller L3 than assumed still gains from panels that keep each gathered row's reuse within one
     * panel's pass.
     */
    static final long ASSUMED_L3_BYTES = 32L << 20;

    /** The default of {@link #ALIGNED_PANEL_BYTES} on a machine with these caches per core (L3 0: unknown). */
    static long defaultAlignedPanelBytes(long l2Bytes, long l3Bytes) {
        return l2Bytes >= MIN_L2_BYTES ? Math.max(l2Bytes / 2, 1 << 20)
                : Math.min((l3Bytes > 0 ? l3Bytes : ASSUMED_L3_BYTES) / 4, Integer.MAX_VALUE);
    }

    /**
     * The size of this machine's data or unified cache of {@code level}, or {@code unknown} where there is no cache
     * information (not Linux); for the L2 the callers pass the 1 MiB the row stream's blocks assume (FusedTuning).
     */
    private static long cacheBytes(int level, long unknown) {
        for (int index = 0; index < 8; index++) {
            Path dir = Path.of("/sys/devices/system/cpu/cpu0/cache/index" + index);
            try {
                if (Files.readString(dir.resolve("level")).strip().equals(Integer.toString(level))
                        && !Files.readString(dir.resolve("type")).strip().equals("Instruction")) {
                    return size(Files.readString(dir.resolve("size")).strip());
                }
            } catch (IOException | RuntimeException e) {
                break;
            }
        }
        return unknown;
    }

    /** "2048K", "1M" or a number of bytes, as sysfs writes a cache size. */
    private static long size(String text) {
        String t = text.toUpperCase(Locale.ROOT);
        long unit = t.endsWith("K") ? 1024 : t.endsWith("M") ? 1024 * 1024 : 1;
        return Long.parseLong(unit == 1 ? t : t.substring(0, t.length() - 1)) * unit;
    }

    /**
     * A in CSR form, for a product that does not read the layout: the matrix it was built from, or that matrix's
     * {@link SparseMatrix#transposed()} (built then, if it was not) for a layout of Mᵀ.
     */
    public SparseMatrix csr() {
        return transposed ? matrix.transposed() : matrix;
    }

    /** Whether this is the aligned form ({@link #aligned}). */
    public boolean isAligned() {
        return aligned;
    }

    /**
     * This layout, checked to be the aligned form: the one {@link SparseKernels#panelFusedProduct} reads.
     *
     * @throws IllegalArgumentException if it is not
     */
    public SparsePanels requireAligned() {
        if (!aligned) {
            throw new IllegalArgumentException("the fused panel product reads the aligned form (SparsePanels.aligned),"
                    + " not a layout of " + (transposed ? "Mt" : "M") + " for the gather product");
        }
        return this;
    }

    /** A's rows. */
    public int rows() {
        return rows;
    }

    /** A's columns. */
    public int cols() {
        return cols;
    }

    /** A's element type. */
    public DType dtype() {
        return matrix.dtype();
    }

    /** The number of column panels. */
    public int panels() {
        return panels;
    }

    /** Columns of A per panel (the last panel may have fewer). */
    public int width() {
        return width;
    }

    /** Slices per panel (every panel has the same slices: the same rows). */
    public int slices() {
        return slices;
    }

    /** The row chunks the layout was built for. */
    public int chunks() {
        return chunkSlices.length - 1;
    }

    /** The first slice of chunk c; chunk c's slices are {@code [chunkSlice(c), chunkSlice(c + 1))}. */
    public int chunkSlice(int c) {
        return chunkSlices[c];
    }

    /** The first row of chunk c. */
    public int chunkRow(int c) {
        return sliceRows.getAtIndex(ValueLayout.JAVA_INT, chunkSlices[c]);
    }

    /** The chunks' bounds: chunk c is rows {@code [b[c], b[c + 1])}, as given when the layout was built. */
    public int[] chunkRows() {
        int[] b = new int[chunks() + 1];
        for (int c = 0; c < b.length; c++) {
            b[c] = chunkRow(c);
        }
        return b;
    }

    /**
     * int32, {@link #slices()} + 1: the first position of each slice (a chunk's first position is its first row); the
     * last is A's row count.
     */
    public MemorySegment sliceRows() {
        return sliceRows;
    }

    /**
     * int32, panels·rows: the row of A at each position of each panel ({@code p·rows + position}); the positions of
     * a slice are {@code [sliceRows[s], sliceRows[s + 1])}.
     */
    public MemorySegment order() {
        return order;
    }

    /**
     * int64, panels·slices + 1: where the entries of slice s in panel p start ({@code p·slices + s}); a slice's length
     * in entries per row is the distance to the next start over {@link #SLICE}.
     */
    public MemorySegment starts() {
        return starts;
    }

    /** int32: the columns of the interleaved entries. */
    public MemorySegment columns() {
        return columns;
    }

    /** The interleaved values, of A's dtype (0 for a padded entry). */
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
