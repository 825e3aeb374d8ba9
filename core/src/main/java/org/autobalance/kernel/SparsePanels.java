package org.autobalance.kernel;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.autobalance.memory.DType;
import org.autobalance.memory.NativeMemory;
import org.autobalance.memory.SparseMatrix;

/**
 * The stored entries of a sparse A, copied once into the order in which {@link SparseKernels#panelProduct} gathers
 * the rows of X for A·X: column panels, each a range of A's columns whose rows of X fit in about half of a core's L2
 * cache ({@link #panelCount}), visited one after the other; within a panel the rows of A in slices of {@link #SLICE}
 * consecutive rows, their entries interleaved (entry t of the slice's row q at {@code start + t·SLICE + q}) and each
 * row padded with zeros to the slice's longest row in that panel.
 *
 * <p>Why (native-notes/sparse.md, "Twenty-first session"): at r = 16 float32 V is 3.2 MB and U 6.4 MB, beyond a 2 MiB
 * L2, so in A's own order every stored entry waits on an L3 access; a panel keeps its gathered rows in L2. A row
 * split into panels costs a loop exit per piece, whose mispredicted branch exposed each piece's latency (about 30 ns
 * a piece on the Intel host, so panels alone gained little); a slice runs its 4 rows' pieces in one loop, 4
 * independent FMA chains, one loop exit.
 *
 * <p>Order of each row's sum, whatever the panel count: a row of A·X is one chain of FMAs over the row's stored
 * entries in increasing column order, started from 0 (panel 0) and carried through the output row between panels.
 * A padded entry adds 0·X[j,:] for j the column of the row's last entry in the panel (the first column of the panel
 * when the row has none there), i.e. ±0 for a finite X, which leaves the sum's value unchanged (a sum of −0 may
 * read +0); with non-finite rows of X the padding can turn an infinite result into NaN.
 *
 * <p>Slices never straddle the chunks the layout was built for (the parallel pass's row chunks), so each chunk's rows
 * are written by its own slices; a chunk's last slice may hold fewer than 4 rows (its missing rows' entries are
 * padding, never stored). Memory: (stored + padded entries)·(4 + value bytes) plus 8 bytes per panel and slice, in
 * one shared arena freed by {@link #close()}; checked against the machine's room before it is allocated.
 */
public final class SparsePanels implements AutoCloseable {
    /** Rows of A per slice: their 4 FMA chains hide the FMA latency, as the even/odd chains of the CSR product do. */
    public static final int SLICE = 4;

    /**
     * Bytes of gathered rows of X one panel holds: {@code -Dautobalance.kernel.sparsePanelBytes}, by default half of
     * this machine's L2 cache per core (the other half for the streams of A's entries and of the output rows); 0
     * turns the layout off (the CSR product as before).
     */
    public static final long PANEL_BYTES = EngineProperties.SPARSE_PANEL_BYTES.or((int) halfOfL2());

    private final SparseMatrix source;
    private final int panels;
    private final int width;
    private final int slices;
    private final int[] chunkSlices;
    private final Arena arena;
    private final MemorySegment sliceRows;
    private final MemorySegment starts;
    private final MemorySegment columns;
    private final MemorySegment values;
    private final long bytes;

    private SparsePanels(SparseMatrix source, int width, int[] chunks) {
        this.source = source;
        int n = source.rows();
        this.width = width;
        this.panels = (source.cols() + width - 1) / width;
        this.chunkSlices = new int[chunks.length];
        int ns = 0;
        for (int c = 0; c + 1 < chunks.length; c++) {
            chunkSlices[c] = ns;
            ns += (chunks[c + 1] - chunks[c] + SLICE - 1) / SLICE;
        }
        chunkSlices[chunks.length - 1] = ns;
        this.slices = ns;
        int[] firstRows = new int[ns + 1];
        for (int c = 0, s = 0; c + 1 < chunks.length; c++) {
            for (int i = chunks[c]; i < chunks[c + 1]; i += SLICE) {
                firstRows[s++] = i;
            }
        }
        firstRows[ns] = n;
        // pass 1: each (panel, slice)'s length, the longest of its rows' pieces; then their starts
        long[] start = new long[panels * ns + 1];
        int[][] count = new int[SLICE][panels];
        for (int s = 0; s < ns; s++) {
            counts(firstRows[s], rowsOf(firstRows, s), count);
            for (int p = 0; p < panels; p++) {
                int longest = 0;
                for (int[] q : count) {
                    longest = Math.max(longest, q[p]);
                }
                start[p * ns + s + 1] = (long) longest * SLICE;
            }
        }
        for (int x = 0; x < panels * ns; x++) {
            start[x + 1] += start[x];
        }
        long entries = start[panels * ns];
        DType t = source.dtype();
        this.bytes = entries * (Integer.BYTES + t.bytes()) + (panels * (long) ns + 1) * Long.BYTES
                + (ns + 1L) * Integer.BYTES;
        NativeMemory.requireRoom(bytes, () -> "reorder the " + source.nonZeros() + " stored entries of a "
                + n + " x " + source.cols() + " sparse matrix into " + panels + " column panels");
        this.arena = Arena.ofShared();
        try {
            this.sliceRows = arena.allocate((ns + 1L) * Integer.BYTES, 64);
            this.starts = arena.allocate((panels * (long) ns + 1) * Long.BYTES, 64);
            this.columns = arena.allocate(Math.max(1, entries) * Integer.BYTES, 64);
            this.values = arena.allocate(Math.max(1, entries) * t.bytes(), 64);
        } catch (OutOfMemoryError | IllegalArgumentException e) {
            arena.close();
            throw new IllegalArgumentException("cannot allocate the panel layout of a " + n + " x " + source.cols()
                    + " sparse matrix (" + bytes + " bytes): " + e.getMessage(), e);
        }
        MemorySegment.copy(firstRows, 0, sliceRows, ValueLayout.JAVA_INT, 0, ns + 1);
        MemorySegment.copy(start, 0, starts, ValueLayout.JAVA_LONG, 0, start.length);
        // pass 2: the entries, interleaved and padded
        long[] next = new long[SLICE];
        for (int s = 0; s < ns; s++) {
            int first = firstRows[s];
            int nr = rowsOf(firstRows, s);
            for (int q = 0; q < SLICE; q++) {
                next[q] = q < nr ? source.rowStart(first + q) : 0;
            }
            for (int p = 0; p < panels; p++) {
                long at = start[p * ns + s];
                long length = (start[p * ns + s + 1] - at) / SLICE;
                int end = (int) Math.min(source.cols(), (long) (p + 1) * width);
                for (int q = 0; q < SLICE; q++) {
                    long rowEnd = q < nr ? source.rowStart(first + q + 1) : 0;
                    int pad = p * width;
                    for (long e = 0; e < length; e++) {
                        long to = at + e * SLICE + q;
                        if (next[q] < rowEnd && source.column(next[q]) < end) {
                            pad = source.column(next[q]);
                            columns.setAtIndex(ValueLayout.JAVA_INT, to, pad);
                            copyValue(next[q], to);
                            next[q]++;
                        } else {
                            columns.setAtIndex(ValueLayout.JAVA_INT, to, pad);
                        }
                    }
                }
            }
        }
    }

    /**
     * The layout of {@code a} in {@code panels} panels (of ⌈cols / panels⌉ columns; fewer when that leaves the last
     * ones empty) for the row chunks {@code chunks} (chunk c is rows {@code [chunks[c], chunks[c + 1])}, from 0 to
     * {@code a.rows()}).
     *
     * @throws IllegalArgumentException if the chunks do not cover A's rows in order, or the memory is not there
     */
    public static SparsePanels of(SparseMatrix a, int panels, int[] chunks) {
        if (panels < 1) {
            throw new IllegalArgumentException("panels must be at least 1, got " + panels);
        }
        if (chunks.length < 2 || chunks[0] != 0 || chunks[chunks.length - 1] != a.rows()) {
            throw new IllegalArgumentException("chunks must run from 0 to " + a.rows());
        }
        for (int c = 0; c + 1 < chunks.length; c++) {
            if (chunks[c] > chunks[c + 1]) {
                throw new IllegalArgumentException("chunk bounds must not decrease: " + chunks[c] + " then "
                        + chunks[c + 1]);
            }
        }
        return new SparsePanels(a, (a.cols() + Math.min(panels, a.cols()) - 1) / Math.min(panels, a.cols()), chunks);
    }

    /**
     * Panels for gathering rows of {@code rowBytes} bytes from X of {@code rows} rows: as few as keep one panel's rows
     * within {@link #PANEL_BYTES}, at least 1.
     */
    public static int panelCount(int rows, long rowBytes) {
        long perPanel = Math.max(1, PANEL_BYTES / rowBytes);
        return (int) Math.max(1, (rows + perPanel - 1) / perPanel);
    }

    /** Whether the layout is on ({@link #PANEL_BYTES} above 0). */
    public static boolean enabled() {
        return PANEL_BYTES > 0;
    }

    /** Rows in slice s: 4, or fewer for a chunk's last slice, which ends where the next slice (chunk) starts. */
    private static int rowsOf(int[] firstRows, int s) {
        return firstRows[s + 1] - firstRows[s];
    }

    /** count[q][p]: stored entries of row first + q in panel p (0 for q ≥ nr). */
    private void counts(int first, int nr, int[][] count) {
        for (int q = 0; q < SLICE; q++) {
            java.util.Arrays.fill(count[q], 0);
            if (q < nr) {
                for (long k = source.rowStart(first + q); k < source.rowStart(first + q + 1); k++) {
                    count[q][source.column(k) / width]++;
                }
            }
        }
    }

    private void copyValue(long from, long to) {
        long b = source.dtype().bytes();
        MemorySegment.copy(source.values(), from * b, values, to * b, b);
    }

    private static long halfOfL2() {
        for (int index = 0; index < 8; index++) {
            Path dir = Path.of("/sys/devices/system/cpu/cpu0/cache/index" + index);
            try {
                if (Files.readString(dir.resolve("level")).strip().equals("2")
                        && !Files.readString(dir.resolve("type")).strip().equals("Instruction")) {
                    return size(Files.readString(dir.resolve("size")).strip()) / 2;
                }
            } catch (IOException | RuntimeException e) {
                break;
            }
        }
        // not Linux, or no cache information: half of the 1 MiB L2 the row stream's blocks assume (FusedTuning)
        return 512 * 1024;
    }

    /** "2048K", "1M" or a number of bytes, as sysfs writes a cache size. */
    private static long size(String text) {
        String t = text.toUpperCase(Locale.ROOT);
        long unit = t.endsWith("K") ? 1024 : t.endsWith("M") ? 1024 * 1024 : 1;
        return Long.parseLong(unit == 1 ? t : t.substring(0, t.length() - 1)) * unit;
    }

    /** The matrix this layout copies (its entries in CSR order). */
    public SparseMatrix source() {
        return source;
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

    /** The first slice of chunk c; chunk c's slices are {@code [chunkSlice(c), chunkSlice(c + 1))}. */
    public int chunkSlice(int c) {
        return chunkSlices[c];
    }

    /** The first row of chunk c. */
    public int chunkRow(int c) {
        return sliceRows.getAtIndex(ValueLayout.JAVA_INT, chunkSlices[c]);
    }

    /** int32, {@link #slices()} + 1: the first row of each slice; the last is A's row count. */
    public MemorySegment sliceRows() {
        return sliceRows;
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
