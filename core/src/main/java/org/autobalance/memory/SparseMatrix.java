package org.autobalance.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.Objects;
import java.util.SplittableRandom;
import org.autobalance.kernel.EngineProperties;
import org.autobalance.memory.internal.InterruptLooks;

/**
 * A sparse matrix in compressed sparse row (CSR) form, in native memory: the stored entries of row i are
 * {@code [rowStart(i), rowStart(i + 1))}, each a column index and a value, columns strictly increasing within a row.
 *
 * <p>Layout: row pointers are int64 ({@code rows + 1} of them, so the number of stored entries is not limited to 2³¹;
 * at d1 = 10⁵ they take 0.8 MB, so a narrower type would save nothing measurable), column indices int32 (enough for
 * any d2 ≤ 2³¹ − 1), values float32 or float64. Each array is one 64-byte aligned segment of one shared
 * {@link Arena}, freed by {@link #close()} — or, as for {@link DenseMatrix}, by a safety net with one WARNING per JVM
 * when a matrix becomes unreachable while open.
 *
 * <p>A stored entry is an observation even when its value is 0 (the observed-entries loss counts it); entries not
 * stored are zeros of M. Instances are immutable once built (by {@link Builder}, which sums duplicates).
 */
public final class SparseMatrix implements AutoCloseable {
    private static final int ALIGNMENT = DenseMatrix.ALIGNMENT;

    private final DType dtype;
    private final int rows;
    private final int cols;
    private final long nonZeros;
    private final OwnedArena memory;
    private final MemorySegment rowStart;
    private final MemorySegment columns;
    private final MemorySegment values;
    private volatile boolean closed;
    /** Mᵀ once {@link #transposed()} has built it (owned: closed with this matrix), else null. */
    private SparseMatrix transposed;
    /** {@link #columnStarts()} once counted (guarded by this matrix's monitor), else null. */
    private long[] columnStarts;
    /** The structures engines share over this matrix ({@link Shared}), guarded by this matrix's monitor. */
    private final Map<Object, Shared.Entry> shared = Shared.newTable();

    private SparseMatrix(DType dtype, int rows, int cols, long nonZeros) {
        EngineProperties.check(); // as DenseMatrix's constructor does
        requireShape(rows, cols);
        this.dtype = dtype;
        this.rows = rows;
        this.cols = cols;
        this.nonZeros = nonZeros;
        // a segment of size 0 is fine, but keep one element so that kernels never see a zero-length segment
        long stored = Math.max(1, nonZeros);
        long bytes = bytes(dtype, rows, stored);
        NativeMemory.reserve(bytes, () -> "a " + rows + " x " + cols + " sparse " + dtype.label() + " matrix with "
                + nonZeros + " stored entries");
        Arena arena = Arena.ofShared();
        try {
            this.rowStart = arena.allocate((rows + 1L) * Long.BYTES, ALIGNMENT);
            this.columns = arena.allocate(stored * Integer.BYTES, ALIGNMENT);
            this.values = arena.allocate(stored * dtype.bytes(), ALIGNMENT);
        } catch (OutOfMemoryError | IllegalArgumentException e) {
            arena.close();
            NativeMemory.release(bytes);
            throw new IllegalArgumentException("cannot allocate a " + rows + " x " + cols + " sparse " + dtype.label()
                    + " matrix with " + nonZeros + " stored entries: " + e.getMessage(), e);
        }
        this.memory = new OwnedArena(this, arena, rows + " x " + cols + " " + dtype.label() + " SparseMatrix with "
                + nonZeros + " stored entries", bytes);
    }

    /** Refuses a shape without entries, before a builder sizes anything by it (-1 rows asked for -8 bytes of heap). */
    private static void requireShape(int rows, int cols) {
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("matrix shape must be at least 1 x 1, got " + rows + " x " + cols);
        }
    }

    /** The element type. */
    public DType dtype() {
        return dtype;
    }

    /** The number of rows, d1. */
    public int rows() {
        return rows;
    }

    /** The number of columns, d2. */
    public int cols() {
        return cols;
    }

    /** The number of stored entries (explicit zeros included). */
    public long nonZeros() {
        return nonZeros;
    }

    /** Bytes of native memory held: row pointers, column indices and values. */
    public long bytes() {
        return bytes(dtype, rows, nonZeros);
    }

    /**
     * Bytes of native memory a {@code rows}-row matrix with {@code nonZeros} stored entries holds; with
     * {@code rows = cols()} it is what {@link #transposed()} adds.
     */
    public static long bytes(DType dtype, int rows, long nonZeros) {
        int perEntry = Integer.BYTES + Objects.requireNonNull(dtype, "dtype must not be null").bytes();
        if (rows < 0 || nonZeros < 0) {
            // -1 rows and -1 entries were -12 bytes
            throw new IllegalArgumentException("rows and stored entries must be at least 0, got " + rows + " and "
                    + nonZeros);
        }
        // more than a long holds (10^18 entries were a small positive count once wrapped): no machine has it
        return nonZeros > (Long.MAX_VALUE - (rows + 1L) * Long.BYTES) / perEntry ? Long.MAX_VALUE
                : (rows + 1L) * Long.BYTES + nonZeros * perEntry;
    }

    /** Row pointers, int64, {@code rows + 1} of them. */
    public MemorySegment rowStarts() {
        ensureOpen();
        return rowStart;
    }

    /** Column indices, int32, one per stored entry. */
    public MemorySegment columnIndices() {
        ensureOpen();
        return columns;
    }

    /** Values in {@link #dtype()}, one per stored entry. */
    public MemorySegment values() {
        ensureOpen();
        return values;
    }

    /** Index of the first stored entry of row {@code i} (0 ≤ i ≤ rows; {@code rowStart(rows)} is the count). */
    public long rowStart(int i) {
        ensureOpen();
        if (i < 0 || i > rows) {
            // the FFM API's own words: "Out of bound access on segment MemorySegment{ kind: native, … }"
            throw new IndexOutOfBoundsException("row " + i + " outside 0.." + rows + " (rowStart(" + rows
                    + ") is the count of stored entries)");
        }
        return rowStart.getAtIndex(ValueLayout.JAVA_LONG, i);
    }

    /** Column of stored entry {@code k}. */
    public int column(long k) {
        ensureOpen();
        requireEntry(k);
        return columns.getAtIndex(ValueLayout.JAVA_INT, k);
    }

    /** Value of stored entry {@code k}, widened to double. */
    public double value(long k) {
        ensureOpen();
        requireEntry(k);
        return dtype == DType.FLOAT32 ? values.getAtIndex(ValueLayout.JAVA_FLOAT, k)
                : values.getAtIndex(ValueLayout.JAVA_DOUBLE, k);
    }

    /** Element (i, j): the stored value, or 0 if (i, j) is not stored. */
    public double get(int i, int j) {
        requireIndex(i, j);
        long k = find(i, j);
        return k < 0 ? 0.0 : value(k);
    }

    /** Whether (i, j) is a stored entry. */
    public boolean isStored(int i, int j) {
        requireIndex(i, j);
        return find(i, j) >= 0;
    }

    private void requireIndex(int i, int j) {
        if (i < 0 || i >= rows || j < 0 || j >= cols) {
            throw new IndexOutOfBoundsException("index (" + i + ", " + j + ") outside " + rows + " x " + cols);
        }
    }

    private void requireEntry(long k) {
        if (k < 0 || k >= nonZeros) {
            throw new IndexOutOfBoundsException("stored entry " + k + " outside 0.." + (nonZeros - 1) + " (the "
                    + nonZeros + " stored entries)");
        }
    }

    private long find(int i, int j) {
        long lo = rowStart(i);
        long hi = rowStart(i + 1) - 1;
        while (lo <= hi) {
            long mid = (lo + hi) >>> 1;
            int c = column(mid);
            if (c < j) {
                lo = mid + 1;
            } else if (c > j) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -1;
    }

    /**
     * Mᵀ as a CSR matrix (d2 × d1, the same stored entries; equivalently M in CSC), each of its rows in increasing
     * column order. Built on the first call by one counting sort on the columns in O(nnz + d1 + d2) time and kept:
     * every later call (every engine over this matrix that runs the CSR products: the iterations, σ₁, the plateau
     * test; engines on the panel layouts build Mᵀ's layout from M and never call this) shares it. It takes about
     * as much native memory as M ({@link #bytes(DType, int, long)} with d2 rows), and belongs to this matrix: it is
     * freed by this matrix's {@link #close()}, and callers must not close it.
     *
     * @throws IllegalArgumentException when M has more columns than a Java array holds (the sort keeps a count per
     *         column on the heap) or the heap cannot hold those counts
     */
    public synchronized SparseMatrix transposed() {
        ensureOpen();
        if (transposed == null) {
            transposed = transpose();
        }
        return transposed;
    }

    /** The table of {@link Shared} structures; the caller holds this matrix's monitor. */
    Map<Object, Shared.Entry> sharedTable() {
        return shared;
    }

    /**
     * Mᵀ's row pointers without Mᵀ (M's column pointers, as a CSC holds them): element j is the number of stored
     * entries in the columns before j, element {@code cols()} all of them; each call returns its own copy. The first
     * pass of {@link #transposed()}'s counting sort, on the Java heap ({@code cols() + 1} longs), counted on the first
     * call and kept as long as the matrix: every engine over M on the panel layouts asks for them (σ₁'s, the
     * iterations', each plateau check's), and a count is a pass over M's column indices.
     *
     * @throws IllegalArgumentException when M has more columns than a Java array holds or the heap cannot hold them
     */
    public long[] columnStarts() {
        return countedColumns().clone();
    }

    private synchronized long[] countedColumns() {
        ensureOpen();
        if (columnStarts == null) {
            requireTransposable(cols);
            NativeMemory.requireHeap((cols + 1L) * Long.BYTES, () -> "transpose a matrix of " + cols + " columns");
            long[] starts = new long[cols + 1];
            for (long k = 0; k < nonZeros; k++) {
                starts[columns.getAtIndex(ValueLayout.JAVA_INT, k) + 1]++;
            }
            for (int j = 0; j < cols; j++) {
                starts[j + 1] += starts[j];
            }
            columnStarts = starts;
        }
        return columnStarts;
    }

    /**
     * Refuses a matrix of {@code cols} columns that {@link #columnStarts()} cannot count, so that a reader of Mᵀ's
     * rows (a csc file) refuses it from the shape, before reading its entries.
     *
     * @throws IllegalArgumentException when {@code cols + 1} longs exceed the length of a Java array
     */
    public static void requireTransposable(int cols) {
        // a long per column on the heap: a csc .npz of 2^31 - 1 rows and one entry (M's columns here) asked for a
        // long[2^31], an OutOfMemoryError ("Requested array size exceeds VM limit")
        if (cols >= NativeMemory.MAX_ARRAY_LENGTH) {
            throw new IllegalArgumentException("cannot transpose a matrix of " + cols + " columns: at most "
                    + (NativeMemory.MAX_ARRAY_LENGTH - 1) + " are sorted (the length limit of a Java array)");
        }
    }

    /**
     * A builder's matrix, its rows ended at {@code at} stored entries: itself when it was reserved for exactly that
     * many, else a copy of that size (and it is freed).
     */
    private static SparseMatrix ended(SparseMatrix full, long at) {
        full.rowStart.setAtIndex(ValueLayout.JAVA_LONG, full.rows, at);
        if (at == full.nonZeros) {
            return full;
        }
        try (full) {
            SparseMatrix exact = new SparseMatrix(full.dtype, full.rows, full.cols, at);
            MemorySegment.copy(full.rowStart, 0, exact.rowStart, 0, (full.rows + 1L) * Long.BYTES);
            MemorySegment.copy(full.columns, 0, exact.columns, 0, at * Integer.BYTES);
            MemorySegment.copy(full.values, 0, exact.values, 0, at * full.dtype.bytes());
            return exact;
        }
    }

    private SparseMatrix transpose() {
        long[] next = columnStarts();
        SparseMatrix t = new SparseMatrix(dtype, cols, rows, nonZeros);
        for (int j = 0; j <= cols; j++) {
            t.rowStart.setAtIndex(ValueLayout.JAVA_LONG, j, next[j]);
        }
        long bytes = dtype.bytes();
        // rows visited in increasing order, so each row of Mᵀ receives its columns sorted
        for (int i = 0; i < rows; i++) {
            for (long k = rowStart(i), end = rowStart(i + 1); k < end; k++) {
                long at = next[column(k)]++;
                t.columns.setAtIndex(ValueLayout.JAVA_INT, at, i);
                MemorySegment.copy(values, k * bytes, t.values, at * bytes, bytes);
            }
        }
        return t;
    }

    /**
     * Stores {@code x} as stored entry k's value, at (i, j): in a float32 matrix rounded once, where it must be within
     * float32's range (the dense rule: 1e39 became Infinity, reported later without a word about float32).
     *
     * @throws Float32RangeException if a float32 matrix's value is beyond float32's range
     */
    private void setValue(long k, double x, int i, int j) {
        if (dtype == DType.FLOAT32) {
            values.setAtIndex(ValueLayout.JAVA_FLOAT, k, Float32RangeException.round(x, i, j));
        } else {
            values.setAtIndex(ValueLayout.JAVA_DOUBLE, k, x);
        }
    }

    /**
     * Sorts {@code keys[0, n)}, each {@code column << 32 | position}, and sums the {@code values[position]} of each
     * column in position order (in double, left to right, as scipy's {@code sum_duplicates} adds them) into
     * {@code sums}: afterwards {@code keys[p] >>> 32} is the p-th distinct column and {@code sums[p]} its sum.
     *
     * @return the number of distinct columns
     */
    private static int sumByColumn(long[] keys, int n, double[] values, double[] sums) {
        Arrays.sort(keys, 0, n);
        int m = 0;
        long lastColumn = -1;
        for (int p = 0; p < n; p++) {
            long column = keys[p] >>> 32;
            double x = values[(int) keys[p]];
            if (m > 0 && column == lastColumn) {
                sums[m - 1] += x;
            } else {
                sums[m] = x;
                keys[m] = column << 32;
                lastColumn = column;
                m++;
            }
        }
        return m;
    }

    /** Position of the first non-finite stored value as {@code {row, col}}, or {@code null} if all are finite. */
    public int[] firstNonFinite() {
        for (int i = 0; i < rows; i++) {
            for (long k = rowStart(i); k < rowStart(i + 1); k++) {
                if (!Double.isFinite(value(k))) {
                    return new int[] {i, column(k)};
                }
            }
        }
        return null;
    }

    /** Σ of the squared stored values, in double. */
    public double normSquared() {
        double s = 0.0;
        for (long k = 0; k < nonZeros; k++) {
            double x = value(k);
            s += x * x;
        }
        return s;
    }

    /**
     * A dense copy (the caller owns it).
     *
     * @throws CancellationException if the thread is interrupted during the copy (looked at every 65536 entries or
     *         rows, as {@link Builder#build} looks; a copy of fewer never looks): no copy is left, and the thread's
     *         interrupt status stays set
     */
    public DenseMatrix toDense() {
        DenseMatrix d = DenseMatrix.allocate(dtype, rows, cols);
        Thread self = Thread.currentThread();
        for (int i = 0; i < rows; i++) {
            for (long k = rowStart(i); k < rowStart(i + 1); k++) {
                d.set(i, column(k), value(k));
            }
            // per row, outside the loop over its entries, as the build's row passes look (native-notes/
            // reliability.md, eighteenth session: no cost measured there)
            if (InterruptLooks.passed(rowStart(i) + i, rowStart(i + 1) + i + 1) && self.isInterrupted()) {
                d.close();
                throw new CancellationException("the dense copy of a " + rows + " x " + cols + " sparse matrix was "
                        + "interrupted (Thread.interrupt(); the thread's interrupt status stays set)");
            }
        }
        return d;
    }

    /**
     * A copy of this matrix in its own memory: the same shape, dtype, stored entries and values (three bulk copies,
     * no per-entry work). The caller owns it; what this matrix has built over itself ({@link #transposed()}, the
     * engines' layouts) is not copied.
     *
     * @throws IllegalArgumentException if the machine cannot hold the copy
     */
    public SparseMatrix copy() {
        ensureOpen();
        SparseMatrix c = new SparseMatrix(dtype, rows, cols, nonZeros);
        MemorySegment.copy(rowStart, 0, c.rowStart, 0, rowStart.byteSize());
        MemorySegment.copy(columns, 0, c.columns, 0, columns.byteSize());
        MemorySegment.copy(values, 0, c.values, 0, values.byteSize());
        return c;
    }

    /**
     * Splits the stored entries into two matrices of the same shape: each entry independently goes to the second with
     * probability {@code fraction} (a seeded draw per entry, in storage order, so the split is a pure function of the
     * matrix, the fraction and the seed). The caller owns both; this matrix is unchanged.
     *
     * @return {@code {kept, heldOut}}
     */
    public SparseMatrix[] split(double fraction, long seed) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("held-out fraction must be strictly between 0 and 1, got " + fraction);
        }
        boolean[] out = new boolean[Math.toIntExact(nonZeros)];
        SplittableRandom random = new SplittableRandom(seed);
        long heldOut = 0;
        for (int k = 0; k < out.length; k++) {
            out[k] = random.nextDouble() < fraction;
            heldOut += out[k] ? 1 : 0;
        }
        SparseMatrix kept = new SparseMatrix(dtype, rows, cols, nonZeros - heldOut);
        SparseMatrix test;
        try {
            test = new SparseMatrix(dtype, rows, cols, heldOut);
        } catch (RuntimeException e) {
            kept.close();
            throw e;
        }
        long a = 0;
        long b = 0;
        for (int i = 0; i < rows; i++) {
            kept.rowStart.setAtIndex(ValueLayout.JAVA_LONG, i, a);
            test.rowStart.setAtIndex(ValueLayout.JAVA_LONG, i, b);
            for (long k = rowStart(i); k < rowStart(i + 1); k++) {
                SparseMatrix to = out[(int) k] ? test : kept;
                long at = out[(int) k] ? b++ : a++;
                to.columns.setAtIndex(ValueLayout.JAVA_INT, at, column(k));
                MemorySegment.copy(values, dtype.layout(), k * dtype.bytes(), to.values, dtype.layout(),
                        at * dtype.bytes(), 1);
            }
        }
        kept.rowStart.setAtIndex(ValueLayout.JAVA_LONG, rows, a);
        test.rowStart.setAtIndex(ValueLayout.JAVA_LONG, rows, b);
        return new SparseMatrix[] {kept, test};
    }

    /** Whether {@link #close()} was called (the native memory is then freed; every access throws). */
    public boolean isClosed() {
        return closed;
    }

    /** Frees the native memory. Later accesses throw {@link IllegalStateException}; closing again does nothing. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            memory.close();
            synchronized (this) {
                if (transposed != null) {
                    transposed.close();
                }
                Shared.closeAll(shared);
            }
        }
    }

    @Override
    public String toString() {
        return "SparseMatrix[" + rows + " x " + cols + ", " + nonZeros + " stored, " + dtype.label()
                + (closed ? ", closed]" : "]");
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("sparse matrix " + rows + " x " + cols + " was closed; its memory has "
                    + "been freed");
        }
    }

    /** A new builder for a {@code rows × cols} matrix; {@code expected} entries are reserved (it grows as needed). */
    public static Builder builder(int rows, int cols, long expected) {
        return new Builder(rows, cols, expected);
    }

    /**
     * A new builder for a {@code rows × cols} matrix of {@code dtype} that takes its rows in order, at most
     * {@code entries} entries in all (a compressed sparse row file's count): the matrix is allocated now, so that
     * a count the machine cannot hold is refused before anything is read, and filled row by row without staging.
     *
     * @throws IllegalArgumentException if the shape is empty or the matrix does not fit in memory
     */
    public static RowBuilder rowBuilder(DType dtype, int rows, int cols, long entries) {
        return new RowBuilder(dtype, rows, cols, entries);
    }

    /**
     * A new builder for a {@code rows × cols} matrix of {@code dtype} from at most {@code entries} entries given in
     * any order, each entry given twice: first its row ({@link CountedBuilder#count}), then, once all are counted,
     * the entry ({@link CountedBuilder#add}). The matrix is allocated now, so that a count the machine cannot hold
     * is refused before anything is read.
     *
     * @throws IllegalArgumentException if the shape is empty or the matrix does not fit in memory
     */
    public static CountedBuilder countedBuilder(DType dtype, int rows, int cols, long entries) {
        return new CountedBuilder(dtype, rows, cols, entries);
    }

    /**
     * A matrix from a dense array: every entry of {@code a} that is not 0 is stored (for tests and examples).
     *
     * @throws IllegalArgumentException for ragged rows (as {@link DenseMatrix#of}), an empty shape or a value outside
     *         float32 range
     */
    public static SparseMatrix of(DType dtype, double[][] a) {
        Objects.requireNonNull(a, "values must not be null");
        for (int i = 0; i < a.length; i++) {
            Objects.requireNonNull(a[i], "row " + i + " of values is null");
            // the width is the first row's: a shorter row was taken as zeros (a 2 x 2 matrix from {{1, 2}, {3}}) and
            // a longer one failed as an entry outside the matrix
            if (a[i].length != a[0].length) {
                throw new IllegalArgumentException("row " + i + " has " + a[i].length + " entries, expected "
                        + a[0].length);
            }
        }
        try (Builder b = builder(a.length, a.length == 0 ? 0 : a[0].length, 16)) {
            for (int i = 0; i < a.length; i++) {
                for (int j = 0; j < a[i].length; j++) {
                    if (a[i][j] != 0.0) {
                        b.add(i, j, a[i][j]);
                    }
                }
            }
            return b.build(dtype);
        }
    }

    /**
     * Collects entries (i, j, value) in any order, duplicates allowed, in native memory (16 bytes per entry), and
     * builds the CSR matrix: entries sorted by row, then column; duplicates summed in double in the order they were
     * added (as scipy's {@code sum_duplicates} does), then rounded once to the dtype. A sum of duplicates that is 0
     * stays stored (it was observed).
     */
    public static final class Builder implements AutoCloseable {
        /** The most rows {@link #build} sorts: the longest Java array HotSpot allocates, for its row starts. */
        private static final int MAX_ROWS = NativeMemory.MAX_ARRAY_LENGTH;
        /** A staged entry: its row and column (int32) and value (float64). */
        private static final long STAGED_BYTES = 2 * Integer.BYTES + Double.BYTES;
        /** The row counts, starts and fill positions of {@link #build}: three longs per row. */
        private static final long BUILD_HEAP_BYTES_PER_ROW = 3 * Long.BYTES;
        private final int rows;
        private final int cols;
        private Arena arena;
        private MemorySegment is;
        private MemorySegment js;
        private MemorySegment xs;
        private long capacity;
        private long size;

        private Builder(int rows, int cols, long expected) {
            EngineProperties.check();
            requireShape(rows, cols);
            // build() sorts the entries by row with three long[rows] arrays on the Java heap: a valid file that
            // declares two billion rows and one entry must be refused here, in a line, not by an OutOfMemoryError
            if (rows > MAX_ROWS) {
                throw new IllegalArgumentException(rows + " rows: at most " + MAX_ROWS + " are sorted (the length "
                        + "limit of a Java array)");
            }
            NativeMemory.requireHeap(BUILD_HEAP_BYTES_PER_ROW * (rows + 1L), () -> "sort the entries of " + rows
                    + " rows by row");
            this.rows = rows;
            this.cols = cols;
            reserve(Math.max(16, expected));
        }

        private void reserve(long newCapacity) {
            if (newCapacity > Long.MAX_VALUE / STAGED_BYTES) {
                // the byte count wrapped: "cannot hold … (-16 bytes): The provided allocation size is negative"
                throw new IllegalArgumentException("cannot hold " + newCapacity + " sparse entries: they would take "
                        + "more than " + Long.MAX_VALUE + " bytes");
            }
            // the staged entries are native memory like the matrices', and counted with them
            NativeMemory.reserve(newCapacity * STAGED_BYTES, () -> newCapacity + " staged sparse entries");
            Arena next = Arena.ofShared();
            MemorySegment ni;
            MemorySegment nj;
            MemorySegment nx;
            try {
                ni = next.allocate(newCapacity * Integer.BYTES, ALIGNMENT);
                nj = next.allocate(newCapacity * Integer.BYTES, ALIGNMENT);
                nx = next.allocate(newCapacity * Double.BYTES, ALIGNMENT);
            } catch (OutOfMemoryError | IllegalArgumentException e) {
                next.close();
                NativeMemory.release(newCapacity * STAGED_BYTES);
                throw new IllegalArgumentException("cannot hold " + newCapacity + " sparse entries in memory ("
                        + newCapacity * STAGED_BYTES + " bytes): " + e.getMessage(), e);
            }
            if (arena != null) {
                MemorySegment.copy(is, 0, ni, 0, size * Integer.BYTES);
                MemorySegment.copy(js, 0, nj, 0, size * Integer.BYTES);
                MemorySegment.copy(xs, 0, nx, 0, size * Double.BYTES);
                arena.close();
                NativeMemory.release(capacity * STAGED_BYTES);
            }
            arena = next;
            is = ni;
            js = nj;
            xs = nx;
            capacity = newCapacity;
        }

        /** Entries added so far (duplicates counted). */
        public long size() {
            return size;
        }

        /** Adds entry (i, j) (0-based, checked) with {@code value}. */
        public void add(int i, int j, double value) {
            requireOpen();
            if (i < 0 || i >= rows || j < 0 || j >= cols) {
                throw new IndexOutOfBoundsException("entry (" + i + ", " + j + ") outside " + rows + " x " + cols);
            }
            if (size == capacity) {
                reserve(capacity + Math.max(16, capacity >> 1));
            }
            is.setAtIndex(ValueLayout.JAVA_INT, size, i);
            js.setAtIndex(ValueLayout.JAVA_INT, size, j);
            xs.setAtIndex(ValueLayout.JAVA_DOUBLE, size, value);
            size++;
        }

        /**
         * The CSR matrix of the entries added, in {@code dtype}; the builder may be closed afterwards.
         *
         * @throws Float32RangeException if a value (a sum of duplicates) is beyond float32 range in a float32 matrix
         * @throws CancellationException if the thread is interrupted during the build (looked at every 65536 entries
         *         or rows; a build of fewer never looks): nothing is built, the builder keeps its entries, and the
         *         thread's interrupt status stays set
         */
        public SparseMatrix build(DType dtype) {
            return build(dtype, () -> { });
        }

        /**
         * As {@link #build(DType)}; {@code beforeInterruptCheck} runs before each look at the interrupt status (where
         * a test interrupts the sort midway).
         */
        SparseMatrix build(DType dtype, Runnable beforeInterruptCheck) {
            Objects.requireNonNull(dtype, "dtype must not be null");
            requireOpen();
            // a user's Future.cancel(true) during the sort of 10^8 entries waited seconds: the loops look at the
            // interrupt status as the mapped Matrix Market parse does (InterruptLooks)
            Thread self = Thread.currentThread();
            // 1. counting sort by row (stable: duplicates keep the order they were added in). The passes over the
            // entries look between blocks of them, each block a call: a look inside the loop (a call on a path taken
            // once in 65536) made the build of 5 million entries take 1.7 times its CPU time, and blocks in one
            // method still 1.5 times in a fresh JVM (native-notes/reliability.md, eighteenth session)
            long[] start = new long[rows + 1];
            for (long from = 0; from < size; from += InterruptLooks.EVERY) {
                long to = Math.min(size, from + InterruptLooks.EVERY);
                countRows(is, start, from, to);
                if (to < size) {
                    stopIfInterrupted(self, beforeInterruptCheck);
                }
            }
            for (int i = 0; i < rows; i++) {
                start[i + 1] += start[i];
            }
            long[] next = Arrays.copyOf(start, rows);
            long sortBytes = Math.max(1, size) * (Integer.BYTES + Double.BYTES);
            NativeMemory.reserve(sortBytes, () -> "the sort of " + size + " sparse entries");
            // shared, though one thread uses it: a confined arena's accesses teach the JDK's memory-access profile (one
            // for every caller) owner-thread sessions, on which C2 compiled observed1 6-88 times in a plain JVM. Main
            // code's other arenas are shared for the same reason (native-notes/sparse.md, "observed1's recompile loop")
            try (Arena temp = Arena.ofShared()) {
                MemorySegment sj = temp.allocate(Math.max(1, size) * Integer.BYTES, ALIGNMENT);
                MemorySegment sx = temp.allocate(Math.max(1, size) * Double.BYTES, ALIGNMENT);
                for (long from = 0; from < size; from += InterruptLooks.EVERY) {
                    long to = Math.min(size, from + InterruptLooks.EVERY);
                    scatter(is, js, xs, next, sj, sx, from, to);
                    if (to < size) {
                        stopIfInterrupted(self, beforeInterruptCheck);
                    }
                }
                // 2. each row sorted by column (stable, by position) and compacted in place, duplicates summed
                long[] kept = new long[rows];
                long[] keys = new long[0];
                double[] row = new double[0];
                double[] sums = new double[0];
                long total = 0;
                for (int i = 0; i < rows; i++) {
                    int n = Math.toIntExact(start[i + 1] - start[i]);
                    if (keys.length < n) {
                        keys = new long[n];
                        row = new double[n];
                        sums = new double[n];
                    }
                    for (int p = 0; p < n; p++) {
                        keys[p] = (long) sj.getAtIndex(ValueLayout.JAVA_INT, start[i] + p) << 32 | p;
                    }
                    MemorySegment.copy(sx, ValueLayout.JAVA_DOUBLE, start[i] * Double.BYTES, row, 0, n);
                    int m = sumByColumn(keys, n, row, sums);
                    for (int p = 0; p < m; p++) {
                        sj.setAtIndex(ValueLayout.JAVA_INT, start[i] + p, (int) (keys[p] >>> 32));
                        sx.setAtIndex(ValueLayout.JAVA_DOUBLE, start[i] + p, sums[p]);
                    }
                    kept[i] = m;
                    total += m;
                    // rows and entries: a sort of many empty rows takes time too
                    if (InterruptLooks.passed(start[i] + i, start[i + 1] + i + 1)) {
                        stopIfInterrupted(self, beforeInterruptCheck);
                    }
                }
                // 3. the exact-size result
                SparseMatrix out = new SparseMatrix(dtype, rows, cols, total);
                try {
                    long at = 0;
                    for (int i = 0; i < rows; i++) {
                        out.rowStart.setAtIndex(ValueLayout.JAVA_LONG, i, at);
                        MemorySegment.copy(sj, start[i] * Integer.BYTES, out.columns, at * Integer.BYTES,
                                kept[i] * Integer.BYTES);
                        for (long p = 0; p < kept[i]; p++) {
                            out.setValue(at + p, sx.getAtIndex(ValueLayout.JAVA_DOUBLE, start[i] + p), i,
                                    sj.getAtIndex(ValueLayout.JAVA_INT, start[i] + p));
                        }
                        at += kept[i];
                        if (InterruptLooks.passed(start[i] + i, start[i + 1] + i + 1)) {
                            stopIfInterrupted(self, beforeInterruptCheck);
                        }
                    }
                    out.rowStart.setAtIndex(ValueLayout.JAVA_LONG, rows, at);
                } catch (RuntimeException e) {
                    out.close();
                    throw e;
                }
                return out;
            } finally {
                NativeMemory.release(sortBytes);
            }
        }

        /** Counts entries {@code from} to {@code to} (exclusive) into their rows' {@code start[row + 1]}. */
        private static void countRows(MemorySegment is, long[] start, long from, long to) {
            for (long k = from; k < to; k++) {
                start[is.getAtIndex(ValueLayout.JAVA_INT, k) + 1]++;
            }
        }

        /** Copies entries {@code from} to {@code to} (exclusive) to the next free places of their rows. */
        private static void scatter(MemorySegment is, MemorySegment js, MemorySegment xs, long[] next,
                MemorySegment sj, MemorySegment sx, long from, long to) {
            for (long k = from; k < to; k++) {
                long at = next[is.getAtIndex(ValueLayout.JAVA_INT, k)]++;
                sj.setAtIndex(ValueLayout.JAVA_INT, at, js.getAtIndex(ValueLayout.JAVA_INT, k));
                sx.setAtIndex(ValueLayout.JAVA_DOUBLE, at, xs.getAtIndex(ValueLayout.JAVA_DOUBLE, k));
            }
        }

        private void stopIfInterrupted(Thread self, Runnable beforeInterruptCheck) {
            beforeInterruptCheck.run();
            if (self.isInterrupted()) {
                throw new CancellationException("the build of a " + rows + " x " + cols + " sparse matrix from " + size
                        + " entries was interrupted (Thread.interrupt(); the thread's interrupt status stays set)");
            }
        }

        private void requireOpen() {
            if (arena == null) {
                // else the JDK's "Already closed"
                throw new IllegalStateException("sparse matrix builder is closed");
            }
        }

        /** Frees the staged entries. */
        @Override
        public void close() {
            if (arena != null) {
                arena.close();
                arena = null;
                NativeMemory.release(capacity * STAGED_BYTES);
            }
        }
    }

    /**
     * Fills a matrix row by row, in order, straight into its CSR arrays: the reading of a compressed sparse row (or
     * column) file, whose rows come in order, without {@link Builder}'s 16 bytes per entry of staging. Within a row the
     * entries may come in any order, duplicates allowed, and the result is {@link Builder}'s bit for bit: columns
     * sorted, duplicates summed in double in the order they were added, then rounded once to the dtype. A row is held
     * on the Java heap while it is added, 24 bytes per entry, but a run of one column in a row whose columns have not
     * decreased yet takes one place (it is summed as it comes, as the sort would sum it); a matrix that ends with
     * fewer entries than reserved (duplicates were summed) is copied once into one of the exact size.
     *
     * <p>Not thread-safe. After any of its methods has thrown, the builder is only to be closed: the row in progress
     * stays as it was (an {@code endRow} that found a float32 overflow throws again).
     */
    public static final class RowBuilder implements AutoCloseable {
        private final int rows;
        private final int cols;
        private final long entries;
        private SparseMatrix out;
        /** Rows ended, entries written and entries added. */
        private int row;
        private long at;
        private long added;
        /** The current row's runs of equal columns: {@code column << 32 | run} and each run's sum. */
        private long[] keys = new long[16];
        private double[] sums = new double[16];
        private double[] folded = new double[0];
        private int runs;
        private boolean increasing = true;

        private RowBuilder(DType dtype, int rows, int cols, long entries) {
            Objects.requireNonNull(dtype, "dtype must not be null");
            if (entries < 0) {
                throw new IllegalArgumentException("entries must be at least 0, got " + entries);
            }
            this.rows = rows;
            this.cols = cols;
            this.entries = entries;
            this.out = new SparseMatrix(dtype, rows, cols, entries);
        }

        /** Adds entry (current row, {@code j}) with {@code value}. */
        public void add(int j, double value) {
            requireOpen();
            if (row == rows || j < 0 || j >= cols) {
                throw new IndexOutOfBoundsException("entry (" + row + ", " + j + ") outside " + rows + " x " + cols);
            }
            if (added == entries) {
                throw new IllegalStateException("more than the " + entries + " entries reserved");
            }
            added++;
            long last = runs == 0 ? -1 : keys[runs - 1] >>> 32;
            // while the row's columns increase, a repeat of the last is its column's first run, which the sort would
            // sum first and in this order; after a decrease it may follow an earlier run of its column, and summing
            // it into its own run first would add in another order than the sort ((a + b) + c, not a + (b + c))
            if (increasing && j == last) {
                sums[runs - 1] += value;
                return;
            }
            if (runs == keys.length) {
                int longer = (int) Math.min(NativeMemory.MAX_ARRAY_LENGTH, runs + (long) (runs >> 1));
                if (longer == runs) {
                    throw new IllegalArgumentException("a row of more than " + runs + " entries to sort");
                }
                NativeMemory.requireHeap(3L * Long.BYTES * longer, () -> "hold row " + row + "'s " + longer
                        + " entries while it is sorted");
                keys = Arrays.copyOf(keys, longer);
                sums = Arrays.copyOf(sums, longer);
            }
            increasing &= j > last;
            keys[runs] = (long) j << 32 | runs;
            sums[runs] = value;
            runs++;
        }

        /**
         * Ends the current row: its entries sorted by column and duplicates summed, written to the matrix.
         *
         * @throws Float32RangeException if a value (a sum of duplicates) is beyond float32 range in a float32 matrix
         */
        public void endRow() {
            requireOpen();
            if (row == rows) {
                throw new IllegalStateException("all " + rows + " rows were ended");
            }
            double[] values = sums;
            int m = runs;
            if (!increasing) {
                if (folded.length < runs) {
                    folded = new double[keys.length];
                }
                m = sumByColumn(keys, runs, sums, folded);
                values = folded;
            }
            out.rowStart.setAtIndex(ValueLayout.JAVA_LONG, row, at);
            for (int p = 0; p < m; p++) {
                int column = (int) (keys[p] >>> 32);
                out.columns.setAtIndex(ValueLayout.JAVA_INT, at + p, column);
                out.setValue(at + p, values[p], row, column);
            }
            at += m;
            row++;
            runs = 0;
            increasing = true;
        }

        /**
         * The matrix of the rows given (the caller owns it; this builder is then empty).
         *
         * @throws IllegalStateException if fewer than all rows were ended
         */
        public SparseMatrix build() {
            requireOpen();
            if (row < rows) {
                throw new IllegalStateException(row + " of the " + rows + " rows were ended");
            }
            SparseMatrix full = out;
            out = null;
            return ended(full, at);
        }

        /**
         * The transpose of the matrix of the rows given, each row given being a column of the result (the reading of
         * a compressed sparse column file): {@link #build()}'s matrix transposed as {@link #transposed()} transposes,
         * then freed. The caller owns the result; this builder is then empty.
         */
        public SparseMatrix buildTransposed() {
            try (SparseMatrix columns = build()) {
                return columns.transpose();
            }
        }

        private void requireOpen() {
            if (out == null) {
                throw new IllegalStateException("sparse row builder is closed or was built");
            }
        }

        /** Frees the matrix unless it was built. */
        @Override
        public void close() {
            if (out != null) {
                out.close();
                out = null;
            }
        }
    }

    /**
     * Fills a matrix from entries in any order, each given twice: its row, counted ({@link #count}), then, the rows
     * counted, the entry itself ({@link #add}), written straight into its row's place in the matrix's arrays. The
     * reading of a coordinate file, read twice: it takes the matrix's memory, a long per row on the heap and, in a
     * float32 matrix, 8 bytes per entry for the values in double until the build, where {@link Builder} took 16 bytes
     * per entry of staging and 12 more for its sort; the build sorts each row on the heap, 24 bytes per entry of the
     * longest row. The result is {@link Builder}'s bit for bit: columns sorted, duplicates summed in double in the
     * order they were added, then rounded once to the dtype.
     *
     * <p>Not thread-safe. After any of its methods has thrown, the builder is only to be closed.
     */
    public static final class CountedBuilder implements AutoCloseable {
        private final int rows;
        private final int cols;
        private final long entries;
        private SparseMatrix out;
        /** A float32 matrix's values in double until the build (its duplicates are summed in double), else null. */
        private Arena staging;
        private MemorySegment values;
        /** Entries counted per row, then, once the first entry is added, the next free place of each row. */
        private final long[] next;
        private long counted;
        private boolean adding;

        private CountedBuilder(DType dtype, int rows, int cols, long entries) {
            Objects.requireNonNull(dtype, "dtype must not be null");
            if (entries < 0) {
                throw new IllegalArgumentException("entries must be at least 0, got " + entries);
            }
            requireShape(rows, cols);
            if (rows > NativeMemory.MAX_ARRAY_LENGTH) {
                throw new IllegalArgumentException(rows + " rows: at most " + NativeMemory.MAX_ARRAY_LENGTH
                        + " are counted (the length limit of a Java array)");
            }
            NativeMemory.requireHeap((long) Long.BYTES * rows, () -> "count the entries of " + rows + " rows");
            this.rows = rows;
            this.cols = cols;
            this.entries = entries;
            // before the matrix: an OutOfMemoryError here leaves no native memory to the safety net
            this.next = new long[rows];
            this.out = new SparseMatrix(dtype, rows, cols, entries);
            if (dtype == DType.FLOAT64) {
                values = out.values;
                return;
            }
            long bytes = Math.max(1, entries) * Double.BYTES;
            try {
                NativeMemory.reserve(bytes, () -> "the " + entries + " values of a sparse matrix in double");
            } catch (RuntimeException e) {
                close();
                throw e;
            }
            Arena arena = Arena.ofShared();
            try {
                values = arena.allocate(bytes, ALIGNMENT);
            } catch (OutOfMemoryError | IllegalArgumentException e) {
                arena.close();
                NativeMemory.release(bytes);
                close();
                throw new IllegalArgumentException("cannot hold the " + entries + " values of a sparse matrix in "
                        + "double: " + e.getMessage(), e);
            }
            staging = arena;
        }

        /** Counts an entry of row {@code i}, before any is added. */
        public void count(int i) {
            requireOpen();
            if (adding) {
                throw new IllegalStateException("entries are being added: counting is over");
            }
            if (i < 0 || i >= rows) {
                throw new IndexOutOfBoundsException("row " + i + " outside " + rows + " x " + cols);
            }
            if (counted == entries) {
                throw new IllegalStateException("more than the " + entries + " entries reserved");
            }
            next[i]++;
            counted++;
        }

        /** Adds entry (i, j) with {@code value}, one of the entries counted in row {@code i}. */
        public void add(int i, int j, double value) {
            requireOpen();
            if (!adding) {
                startAdding();
            }
            if (i < 0 || i >= rows || j < 0 || j >= cols) {
                throw new IndexOutOfBoundsException("entry (" + i + ", " + j + ") outside " + rows + " x " + cols);
            }
            long at = next[i];
            if (at == out.rowStart.getAtIndex(ValueLayout.JAVA_LONG, i + 1L)) {
                throw new IllegalStateException("more entries in row " + i + " than were counted");
            }
            out.columns.setAtIndex(ValueLayout.JAVA_INT, at, j);
            values.setAtIndex(ValueLayout.JAVA_DOUBLE, at, value);
            next[i] = at + 1;
        }

        /** Ends the counting: the counts become each row's first place, and the matrix's row starts. */
        private void startAdding() {
            adding = true;
            long at = 0;
            for (int r = 0; r < rows; r++) {
                long n = next[r];
                out.rowStart.setAtIndex(ValueLayout.JAVA_LONG, r, at);
                next[r] = at;
                at += n;
            }
            out.rowStart.setAtIndex(ValueLayout.JAVA_LONG, rows, at);
        }

        /**
         * The matrix of the entries (the caller owns it; this builder is then empty): each row sorted by column,
         * duplicates summed. Fewer entries than reserved (or duplicates summed) are copied once into a matrix of
         * their size.
         *
         * @throws IllegalStateException if fewer entries were added than counted
         * @throws Float32RangeException if a value (a sum of duplicates) is beyond float32 range in a float32 matrix
         * @throws CancellationException if the thread is interrupted during the build (looked at every 65536 entries
         *         or rows): nothing is built, and the thread's interrupt status stays set
         */
        public SparseMatrix build() {
            requireOpen();
            if (!adding) {
                // entries counted and none added are refused below, row by row
                startAdding();
            }
            Thread self = Thread.currentThread();
            long[] keys = new long[0];
            double[] row = new double[0];
            double[] sums = new double[0];
            long at = 0;
            long from = 0;
            for (int i = 0; i < rows; i++) {
                long to = out.rowStart.getAtIndex(ValueLayout.JAVA_LONG, i + 1L);
                if (next[i] != to) {
                    throw new IllegalStateException((next[i] - from) + " entries added in row " + i + " of the "
                            + (to - from) + " counted");
                }
                int n = Math.toIntExact(to - from);
                if (keys.length < n) {
                    NativeMemory.requireHeap(3L * Long.BYTES * n, () -> "sort the " + n + " entries of a row");
                    keys = new long[n];
                    row = new double[n];
                    sums = new double[n];
                }
                boolean increasing = true;
                for (int p = 0; p < n; p++) {
                    int column = out.columns.getAtIndex(ValueLayout.JAVA_INT, from + p);
                    increasing &= p == 0 || column > (int) (keys[p - 1] >>> 32);
                    keys[p] = (long) column << 32 | p;
                }
                MemorySegment.copy(values, ValueLayout.JAVA_DOUBLE, from * Double.BYTES, row, 0, n);
                // a row in increasing column order (scipy's canonical form) is kept as it is
                int m = increasing ? n : sumByColumn(keys, n, row, sums);
                double[] kept = increasing ? row : sums;
                // the row moves down by the duplicates summed before it, never up: at <= from
                out.rowStart.setAtIndex(ValueLayout.JAVA_LONG, i, at);
                for (int p = 0; p < m; p++) {
                    int column = (int) (keys[p] >>> 32);
                    out.columns.setAtIndex(ValueLayout.JAVA_INT, at + p, column);
                    out.setValue(at + p, kept[p], i, column);
                }
                if (InterruptLooks.passed(from + i, to + i + 1) && self.isInterrupted()) {
                    throw new CancellationException("the build of a " + rows + " x " + cols + " sparse matrix from "
                            + entries + " entries was interrupted (Thread.interrupt(); the thread's interrupt status "
                            + "stays set)");
                }
                at += m;
                from = to;
            }
            SparseMatrix full = out;
            out = null;
            close();
            return ended(full, at);
        }

        private void requireOpen() {
            if (out == null) {
                throw new IllegalStateException("sparse counted builder is closed or was built");
            }
        }

        /** Frees the matrix unless it was built, and the values held in double. */
        @Override
        public void close() {
            if (staging != null) {
                staging.close();
                staging = null;
                NativeMemory.release(Math.max(1, entries) * Double.BYTES);
            }
            if (out != null) {
                out.close();
                out = null;
            }
        }
    }
}
