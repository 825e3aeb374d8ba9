package org.autobalance.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.autobalance.kernel.EngineProperties;
import org.autobalance.memory.internal.MatrixViews;

/**
 * A dense row-major matrix of {@code float} or {@code double} in native memory.
 *
 * <p>Layout: rows are padded to a multiple of {@value #ALIGNMENT} bytes ({@link #stride()} elements per row) and the
 * first row starts on a {@value #ALIGNMENT}-byte boundary, so every row is aligned for vector loads. Padding elements
 * are zero when allocated, and every kernel keeps them zero: a kernel may read the padding of a row as zeros.
 * On Linux a matrix of 4 MiB or more starts on a 2 MiB boundary and is put on transparent huge pages where the system
 * offers them (with {@code madvise}, when native access is enabled, as the launcher does): the kernels stream it
 * 2–15 % faster. {@code -Dautobalance.memory.hugePages=false} turns that off.
 *
 * <p>Scalar access ({@link #get}, {@link #set}) and the kernels go through one native {@link MemorySegment}
 * ({@link #segment()}), long-indexed and bounds-checked by the JDK, so no JVM flag is needed to use a matrix.
 *
 * <h2>Precision</h2>
 * Values are given and returned as {@code double}. A {@link DType#FLOAT32} matrix stores each value rounded to the
 * nearest {@code float}; a finite value that rounds to infinity (|x| &gt; 3.4028235·10³⁸, beyond float32 range) is
 * rejected with a {@link Float32RangeException} naming the row, column and value, never stored as infinity.
 * NaN and infinities are stored as they are (the solver rejects them in its inputs). Converting between precisions is
 * explicit: {@link #copy(DType)} and {@link #copyFrom(DenseMatrix)} round by the same rule.
 *
 * <h2>Bulk data in and out</h2>
 * Flat storage — {@code float[]}, {@code double[]}, a {@link MemorySegment} or a {@link ByteBuffer} — in
 * {@linkplain Order#ROW_MAJOR row-major} or {@linkplain Order#COLUMN_MAJOR column-major} order is copied in by
 * {@link #copyOf(DType, int, int, float[], Order) copyOf} (a new matrix) or {@link #copyFrom(float[], Order)
 * copyFrom} (into this one), and out by {@link #copyTo(float[], Order) copyTo}. The element types may differ from
 * the matrix's: float to double is exact, double to float rounds to nearest and rejects out-of-range values (as
 * above). Row-major data of the matrix's own precision is copied a row at a time at memory bandwidth; a change of
 * precision or of order is copied element by element (a transpose runs in cache-sized tiles). Without a copy,
 * {@link #wrap} makes a matrix of memory the caller laid out in this class's padded format, and {@link #segment()}
 * exposes a matrix's memory to read in place.
 *
 * <h2>Lifetime</h2>
 * The memory comes from a shared {@link Arena} and is freed when {@link #close()} is called; any access after that
 * throws {@link IllegalStateException}. Closing is idempotent. A matrix may be read and written by several threads
 * at once (the parallel pass does), but must not be closed while another thread uses it. Closing is the contract:
 * as a safety net, a matrix that becomes unreachable while open is freed by a {@link Cleaner} after the garbage
 * collector finds it, with one WARNING per JVM (logger {@code org.autobalance.memory.DenseMatrix}). Native memory
 * does not itself trigger a collection, so an application that drops matrices can still run out of memory long
 * before the collector runs. A {@link MemorySegment} obtained from {@link #segment()} is valid only while its matrix
 * is open and reachable.
 */
public final class DenseMatrix implements AutoCloseable {
    /** Alignment of the first row and granularity of the row padding, in bytes (one cache line, one AVX-512 vector). */
    public static final int ALIGNMENT = 64;

    private final DType dtype;
    private final int rows;
    private final int cols;
    private final int stride;
    private final MemorySegment segment;
    /** The owned memory; null for a view of the caller's memory (see {@link #wrap}). */
    private final OwnedArena memory;
    /** A view of read-only memory (see {@link #wrap}): every write is refused by name. */
    private final boolean readOnly;
    private volatile boolean closed;

    /** How flat storage (an array, a buffer, a segment) orders the elements of a matrix. */
    public enum Order {
        /** Row after row (C order, numpy's default): element (i, j) at index i·cols + j. */
        ROW_MAJOR,
        /** Column after column (Fortran order; BLAS, LAPACK, Matrix Market arrays): element (i, j) at j·rows + i. */
        COLUMN_MAJOR
    }

    private DenseMatrix(DType dtype, int rows, int cols) {
        // first, outside the allocation's try: a bad property is one plain line, not "cannot allocate" (HugePages
        // reads one), the same for every matrix on every platform
        EngineProperties.check();
        checkShape(dtype, rows, cols);
        this.dtype = dtype;
        this.rows = rows;
        this.cols = cols;
        this.stride = strideOf(dtype, cols);
        long bytes = bytesOf(dtype, rows, cols);
        NativeMemory.reserve(bytes, () -> "a " + rows + " x " + cols + " " + dtype.label() + " matrix");
        Arena arena = Arena.ofShared();
        try {
            this.segment = HugePages.allocate(arena, bytes, ALIGNMENT);
        } catch (OutOfMemoryError | IllegalArgumentException e) {
            arena.close();
            NativeMemory.release(bytes);
            throw new IllegalArgumentException("cannot allocate a " + rows + " x " + cols + " " + dtype.label()
                    + " matrix (" + bytes + " bytes of native memory): " + e.getMessage(), e);
        }
        this.memory = new OwnedArena(this, arena, rows + " x " + cols + " " + dtype.label() + " DenseMatrix", bytes);
        this.readOnly = false;
    }

    static {
        MatrixViews.grant((m, rowFrom, rowTo, colFrom, colTo) -> {
            long bytes = m.dtype.bytes();
            long start = ((long) rowFrom * m.stride + colFrom) * bytes;
            // up to the end of the last row's padding: a block of columns up to M's last reads no further
            long end = ((long) (rowTo - 1) * m.stride + m.stride) * bytes;
            return new DenseMatrix(m.dtype, rowTo - rowFrom, colTo - colFrom, m.stride,
                    m.segment().asSlice(start, end - start));
        });
    }

    /**
     * A view of memory the caller owns ({@link #wrap}, {@link MatrixViews}): nothing to free, so no cleaner. Rows
     * {@code stride} elements apart.
     */
    private DenseMatrix(DType dtype, int rows, int cols, int stride, MemorySegment view) {
        EngineProperties.check();
        this.dtype = dtype;
        this.rows = rows;
        this.cols = cols;
        this.stride = stride;
        this.segment = view;
        this.memory = null;
        this.readOnly = view.isReadOnly();
    }

    private static void checkShape(DType dtype, int rows, int cols) {
        Objects.requireNonNull(dtype, "dtype must not be null");
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("matrix shape must be at least 1 x 1, got " + rows + " x " + cols);
        }
        strideOf(dtype, cols);
    }

    /**
     * The padded row length, in elements, of a matrix of {@code cols} columns: {@code cols} rounded up to a multiple
     * of {@value #ALIGNMENT} bytes. What {@link #stride()} returns, and the layout {@link #wrap} expects.
     *
     * @throws IllegalArgumentException if {@code cols} is so large that the padded row would have more than
     *     {@link Integer#MAX_VALUE} elements (the last 15 float32 or 7 float64 column counts below it)
     */
    public static int strideOf(DType dtype, int cols) {
        int perLine = ALIGNMENT / Objects.requireNonNull(dtype, "dtype must not be null").bytes();
        if (cols < 1) {
            throw new IllegalArgumentException("a row needs at least 1 column, got " + cols);
        }
        long stride = ((long) cols + perLine - 1) / perLine * perLine;
        if (stride > Integer.MAX_VALUE) {
            // an int stride wrapped to a negative number, which surfaced as "allocation size is negative" or an
            // IndexOutOfBoundsException from wrap
            throw new IllegalArgumentException("a row of " + cols + " " + dtype.label() + " columns, padded to a "
                    + "multiple of " + ALIGNMENT + " bytes, has " + stride + " elements: at most "
                    + Integer.MAX_VALUE + " are possible (at most " + (Integer.MAX_VALUE / perLine * perLine)
                    + " columns)");
        }
        return (int) stride;
    }

    /**
     * The bytes of a {@code rows × cols} matrix of {@code dtype} with padded rows.
     *
     * @throws IllegalArgumentException if the count passes {@link Long#MAX_VALUE} (far beyond any machine)
     */
    private static long bytesOf(DType dtype, int rows, int cols) {
        try {
            return Math.multiplyExact(Math.multiplyExact((long) strideOf(dtype, cols), dtype.bytes()), (long) rows);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("a " + rows + " x " + cols + " " + dtype.label() + " matrix would take "
                    + "more than " + Long.MAX_VALUE + " bytes", e);
        }
    }

    /**
     * A matrix over {@code memory} without copying: element (i, j) at element index {@code i·strideOf(dtype, cols) + j}
     * of {@code dtype}'s native layout. This is the layout of a row-major array whose rows are padded to
     * {@value #ALIGNMENT} bytes — an unpadded one when {@code cols} is a multiple of 16 (float32) or 8 (float64).
     *
     * <p>Requirements, each checked: {@code memory} is native, starts on a {@value #ALIGNMENT}-byte boundary, holds at
     * least {@code rows · strideOf(dtype, cols)} elements, is accessible from any thread (the solver's workers read
     * it: allocate it from {@link Arena#ofShared()}, {@link Arena#global()} or {@link Arena#ofAuto()}, or map a file
     * with one), and the padding elements of every row are zero (kernels read them as zeros). A read-only segment
     * gives a matrix that can be read and factorised but not written.
     *
     * <p>The matrix does not own the memory: {@link #close()} only ends the view, and the memory must stay alive
     * (its arena open) as long as the matrix is used.
     *
     * @throws IllegalArgumentException if a requirement is not met (the message names it)
     */
    public static DenseMatrix wrap(DType dtype, int rows, int cols, MemorySegment memory) {
        checkShape(dtype, rows, cols);
        Objects.requireNonNull(memory, "memory must not be null");
        if (!memory.scope().isAlive()) {
            // else "memory confined to one thread" (a closed confined arena) or the JDK's "Already closed"
            throw new IllegalArgumentException("cannot wrap memory whose arena is closed");
        }
        int stride = strideOf(dtype, cols);
        long bytes = bytesOf(dtype, rows, cols);
        if (!memory.isNative()) {
            throw new IllegalArgumentException("cannot wrap a heap segment: the kernels need native memory (copy it "
                    + "in with copyOf instead)");
        }
        if (memory.address() % ALIGNMENT != 0) {
            throw new IllegalArgumentException("cannot wrap memory at address " + memory.address() + ": it must start "
                    + "on a " + ALIGNMENT + "-byte boundary (allocate it with arena.allocate(bytes, " + ALIGNMENT
                    + "))");
        }
        if (memory.byteSize() < bytes) {
            throw new IllegalArgumentException("cannot wrap " + memory.byteSize() + " bytes as a " + rows + " x " + cols
                    + " " + dtype.label() + " matrix: with rows padded to " + stride + " elements it needs " + bytes);
        }
        if (!memory.isAccessibleBy(new Thread(() -> { }))) {
            throw new IllegalArgumentException("cannot wrap memory confined to one thread: the solver's workers read "
                    + "it (allocate it from a shared, global or automatic arena)");
        }
        MemorySegment view = memory.asSlice(0, bytes);
        int[] at = firstNonZeroPadding(view, dtype, rows, cols, stride);
        if (at != null) {
            throw new IllegalArgumentException("cannot wrap: padding element " + at[1] + " of row " + at[0]
                    + " (0-based) is " + element(view, dtype, (long) at[0] * stride + at[1]) + "; elements " + cols
                    + " to " + (stride - 1) + " of every row must be zero");
        }
        return new DenseMatrix(dtype, rows, cols, stride, view);
    }

    /**
     * A new {@code rows × cols} matrix of {@code dtype} holding {@code values} in {@code order} (widened exactly to
     * float64, or held as float32).
     *
     * @throws IllegalArgumentException if {@code values} does not hold exactly rows · cols elements
     */
    public static DenseMatrix copyOf(DType dtype, int rows, int cols, float[] values, Order order) {
        checkShape(dtype, rows, cols);
        checkLength(values, "values", rows, cols);
        return copyOf(dtype, rows, cols, MemorySegment.ofArray(values), ValueLayout.JAVA_FLOAT, order);
    }

    /**
     * A new {@code rows × cols} matrix of {@code dtype} holding {@code values} in {@code order}, rounded to float32
     * by the rule of {@link #set} for a float32 matrix.
     *
     * @throws IllegalArgumentException if {@code values} does not hold exactly rows · cols elements
     * @throws Float32RangeException if a value is beyond float32 range in a float32 matrix
     */
    public static DenseMatrix copyOf(DType dtype, int rows, int cols, double[] values, Order order) {
        checkShape(dtype, rows, cols);
        checkLength(values, "values", rows, cols);
        return copyOf(dtype, rows, cols, MemorySegment.ofArray(values), ValueLayout.JAVA_DOUBLE, order);
    }

    /**
     * A new {@code rows × cols} matrix of {@code dtype} holding the first rows · cols elements of {@code source} in
     * {@code order}. {@code element} ({@code JAVA_FLOAT} or {@code JAVA_DOUBLE}, any byte order; alignment is
     * ignored) says how each is stored; precision changes by the rule of {@link #set}.
     *
     * @throws IllegalArgumentException if {@code source} is too small or {@code element} is not float or double
     * @throws Float32RangeException if a value is beyond float32 range in a float32 matrix
     */
    public static DenseMatrix copyOf(DType dtype, int rows, int cols, MemorySegment source, ValueLayout element,
            Order order) {
        DenseMatrix m = allocate(dtype, rows, cols);
        try {
            m.copyFrom(source, element, order);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        return m;
    }

    /**
     * As {@link #copyOf(DType, int, int, MemorySegment, ValueLayout, Order)} from the elements between the buffer's
     * position and its limit, in the buffer's byte order; the buffer's position is not changed.
     */
    public static DenseMatrix copyOf(DType dtype, int rows, int cols, ByteBuffer source, ValueLayout element,
            Order order) {
        Objects.requireNonNull(source, "source must not be null");
        Objects.requireNonNull(element, "element layout must not be null");
        return copyOf(dtype, rows, cols, MemorySegment.ofBuffer(source), element.withOrder(source.order()), order);
    }

    /** A zero-filled {@code rows × cols} matrix of {@code dtype}. */
    public static DenseMatrix allocate(DType dtype, int rows, int cols) {
        return new DenseMatrix(dtype, rows, cols);
    }

    /**
     * A new matrix holding {@code values} (rows of equal length), rounded to {@code dtype} by the rule of {@link #set}.
     *
     * @throws IllegalArgumentException for ragged rows or a value outside float32 range (nothing is left allocated)
     */
    public static DenseMatrix of(DType dtype, double[][] values) {
        Objects.requireNonNull(values, "values must not be null");
        for (int i = 0; i < values.length; i++) {
            Objects.requireNonNull(values[i], "row " + i + " of values is null");
        }
        if (values.length == 0 || values[0].length == 0) {
            throw new IllegalArgumentException("matrix must have at least one row and one column");
        }
        DenseMatrix m = allocate(dtype, values.length, values[0].length);
        try {
            for (int i = 0; i < values.length; i++) {
                if (values[i].length != m.cols) {
                    throw new IllegalArgumentException("row " + i + " has " + values[i].length
                            + " entries, expected " + m.cols);
                }
                for (int j = 0; j < m.cols; j++) {
                    m.set(i, j, values[i][j]);
                }
            }
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        return m;
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

    /** Elements per padded row: the distance between the starts of consecutive rows in {@link #segment()}. */
    public int stride() {
        return stride;
    }

    /**
     * The whole matrix as one native segment; element (i, j) is at element index {@code i·stride + j}. The padding
     * elements {@code cols} to {@code stride − 1} of every row must stay zero: the kernels read them as part of the
     * matrix, and {@code Factorizer} refuses an M whose padding is not.
     */
    public MemorySegment segment() {
        ensureOpen();
        return segment;
    }

    /** Element (i, j), widened to double. */
    public double get(int i, int j) {
        long index = index(i, j);
        return dtype == DType.FLOAT32 ? segment.getAtIndex(ValueLayout.JAVA_FLOAT, index)
                : segment.getAtIndex(ValueLayout.JAVA_DOUBLE, index);
    }

    /**
     * Sets element (i, j), rounding to float for {@link DType#FLOAT32}.
     *
     * @throws Float32RangeException if {@code value} is finite but outside float32 range in a float32 matrix
     */
    public void set(int i, int j, double value) {
        long index = index(i, j);
        if (readOnly) {
            throw readOnlyMatrix();
        }
        if (dtype == DType.FLOAT32) {
            segment.setAtIndex(ValueLayout.JAVA_FLOAT, index, Float32RangeException.round(value, i, j));
        } else {
            segment.setAtIndex(ValueLayout.JAVA_DOUBLE, index, value);
        }
    }

    /**
     * Writes the transpose of this matrix into {@code target} (modified; cols × rows, same dtype; its padding stays
     * zero). Exact: no rounding.
     *
     * @throws IllegalArgumentException if {@code target} has another shape or dtype, or shares memory with this
     *         matrix (even a 1 × 1, its own transpose: see {@link #copyFrom(MemorySegment, ValueLayout, Order)})
     */
    public void transposeInto(DenseMatrix target) {
        Objects.requireNonNull(target, "target must not be null");
        target.requireWritable();
        if (target.rows != cols || target.cols != rows || target.dtype != dtype) {
            throw new IllegalArgumentException("the transpose of a " + this + " needs a " + cols + " x " + rows + " "
                    + dtype.label() + " matrix, got " + target);
        }
        requireApart(target.segment(), "target of the transpose");
        MemorySegment s = segment();
        MemorySegment t = target.segment();
        for (int i = 0; i < rows; i++) {
            long si = (long) i * stride;
            for (int j = 0; j < cols; j++) {
                long ti = (long) j * target.stride + i;
                if (dtype == DType.FLOAT32) {
                    t.setAtIndex(ValueLayout.JAVA_FLOAT, ti, s.getAtIndex(ValueLayout.JAVA_FLOAT, si + j));
                } else {
                    t.setAtIndex(ValueLayout.JAVA_DOUBLE, ti, s.getAtIndex(ValueLayout.JAVA_DOUBLE, si + j));
                }
            }
        }
    }

    /** Sets every element (not the padding) to {@code value}. */
    public void fill(double value) {
        requireWritable();
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                set(i, j, value);
            }
        }
    }

    /**
     * Copies {@code source}, which must have the same shape. The dtype may differ: float64 values are rounded to
     * float32 by the rule of {@link #set} (out-of-range values are rejected, and this matrix is then partly written).
     * Two views of one memory are copied exactly when their dtypes agree (a move) and refused when they differ.
     *
     * @throws IllegalArgumentException if the shapes differ, or the dtypes differ and {@code source} shares memory
     *         with this matrix
     */
    public void copyFrom(DenseMatrix source) {
        Objects.requireNonNull(source, "source must not be null");
        requireWritable();
        requireSameShape(source, "copy source");
        if (source.dtype == dtype) {
            MemorySegment.copy(source.segment(), 0, segment(), 0, segment.byteSize());
            return;
        }
        // a float32 and a float64 view of one memory: element (i, j) of one lies at a different byte than (i, j) of
        // the other, so the loop overwrote elements it had yet to read (the same-dtype memmove above is exact)
        requireApart(source.segment(), "source");
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                set(i, j, source.get(i, j));
            }
        }
    }

    /**
     * Copies {@link #cols()} elements, stored one after another in {@code source} from byte {@code offset}, into row
     * {@code i} (the padding is not touched). {@code layout} describes one source element: it must have this matrix's
     * element size, may have any alignment, and if its byte order differs from the native one the bytes of every
     * element are swapped on the way (an exact conversion of a big-endian file, say).
     *
     * @throws IllegalArgumentException if the element size differs from {@link DType#bytes()}
     * @throws IndexOutOfBoundsException if the row or the source range is out of bounds
     */
    public void copyRowFrom(int i, MemorySegment source, long offset, ValueLayout layout) {
        requireWritable();
        checkRowCopy(i, source, offset, layout, "source");
        MemorySegment.copy(source, layout, offset, segment(), dtype.layout(), rowOffset(i), cols);
    }

    /**
     * Copies row {@code i} ({@link #cols()} elements, without the padding) into {@code target} from byte
     * {@code offset}, each element written as {@code layout} describes it (same size; byte order as
     * {@link #copyRowFrom}).
     *
     * @throws IllegalArgumentException if the element size differs from {@link DType#bytes()}
     * @throws IndexOutOfBoundsException if the row or the target range is out of bounds
     */
    public void copyRowTo(int i, MemorySegment target, long offset, ValueLayout layout) {
        checkRowCopy(i, target, offset, layout, "target");
        if (target.isReadOnly()) {
            throw readOnlyTarget();
        }
        MemorySegment.copy(segment(), dtype.layout(), rowOffset(i), target, layout, offset, cols);
    }

    /**
     * The checks of a row copy with {@code data} (named {@code what}) from byte {@code offset}, each named: the FFM
     * API's own said "Out of bound access on segment MemorySegment{ kind: heap, … }; new offset = -8".
     */
    private void checkRowCopy(int i, MemorySegment data, long offset, ValueLayout layout, String what) {
        Objects.requireNonNull(data, what + " must not be null");
        Objects.requireNonNull(layout, "element layout must not be null");
        if (layout.byteSize() != dtype.bytes()) {
            throw new IllegalArgumentException("element layout " + layout + " has " + layout.byteSize()
                    + " bytes, a " + dtype.label() + " element has " + dtype.bytes());
        }
        if (i < 0 || i >= rows) {
            throw new IndexOutOfBoundsException("row " + i + " outside 0.." + (rows - 1));
        }
        long rowBytes = (long) cols * dtype.bytes();
        if (offset < 0 || offset > data.byteSize() - rowBytes) {
            throw new IndexOutOfBoundsException("a row of " + cols + " " + dtype.bytes() + "-byte elements ("
                    + rowBytes + " bytes) from byte offset " + offset + " does not fit in the " + what + " of "
                    + data.byteSize() + " bytes");
        }
    }

    /**
     * Refuses {@code data}, named {@code what}, when it shares memory with this matrix (this matrix itself, its
     * {@link #segment()}, a view of the same memory): a transpose or a change of order between them read elements it
     * had already overwritten, and returned a wrong matrix without a word ({@code m.transposeInto(m)} of [[1, 2],
     * [3, 4]] gave [[1, 2], [2, 4]]).
     */
    void requireApart(MemorySegment data, String what) {
        if (segment().asOverlappingSlice(data).isPresent()) {
            throw new IllegalArgumentException("the " + what + " shares memory with this " + rows + " x " + cols + " "
                    + dtype.label() + " matrix: a copy between them would overwrite elements before reading them");
        }
    }

    /** Refuses a write into this matrix when it is a view of read-only memory, by name. */
    void requireWritable() {
        ensureOpen();
        if (readOnly) {
            throw readOnlyMatrix();
        }
    }

    /**
     * A write into a matrix over read-only memory ({@link #wrap} of a read-only segment): the FFM API's own words
     * were "Attempt to write a read-only segment", naming no matrix.
     */
    private IllegalArgumentException readOnlyMatrix() {
        return new IllegalArgumentException("this " + rows + " x " + cols + " " + dtype.label() + " matrix wraps "
                + "read-only memory: it can be read and factorised, not written");
    }

    /** A copy out of a matrix into a read-only {@code ByteBuffer} or segment. */
    static IllegalArgumentException readOnlyTarget() {
        return new IllegalArgumentException("the target is read-only: a copy out of a matrix writes into it");
    }

    private long rowOffset(int i) {
        return (long) i * stride * dtype.bytes();
    }

    /**
     * Overwrites this matrix with {@code values} (exactly rows · cols of them) in {@code order}.
     *
     * @throws IllegalArgumentException if the length is not rows · cols
     */
    public void copyFrom(float[] values, Order order) {
        checkLength(values, "values", rows, cols);
        copyFrom(MemorySegment.ofArray(values), ValueLayout.JAVA_FLOAT, order);
    }

    /**
     * Overwrites this matrix with {@code values} (exactly rows · cols of them) in {@code order}, rounded by the rule
     * of {@link #set}. On a {@link Float32RangeException} the contents of this matrix are unspecified.
     *
     * @throws IllegalArgumentException if the length is not rows · cols
     */
    public void copyFrom(double[] values, Order order) {
        checkLength(values, "values", rows, cols);
        copyFrom(MemorySegment.ofArray(values), ValueLayout.JAVA_DOUBLE, order);
    }

    /**
     * Overwrites this matrix with the first rows · cols elements of {@code source} in {@code order}, each stored as
     * {@code element} says ({@code JAVA_FLOAT} or {@code JAVA_DOUBLE}, any byte order; alignment is ignored), rounded
     * by the rule of {@link #set}. On a {@link Float32RangeException} the contents of this matrix are unspecified.
     *
     * <p>The bytes copied must not share memory with this matrix, even where the copy would leave them as they are
     * (a row-major copy from an unpadded matrix's own {@link #segment()}): a transposing, converting or padded copy
     * would overwrite elements before reading them, and one rule is simpler to rely on than a list of harmless
     * overlaps. The rest of {@code source} may hold anything, this matrix included.
     *
     * @throws IllegalArgumentException if {@code source} is too small, {@code element} is not float or double, or
     *         the bytes copied share memory with this matrix
     */
    public void copyFrom(MemorySegment source, ValueLayout element, Order order) {
        BulkCopy.in(this, source, element, order);
    }

    /** As {@link #copyFrom(MemorySegment, ValueLayout, Order)} from the buffer's position, in its byte order. */
    public void copyFrom(ByteBuffer source, ValueLayout element, Order order) {
        Objects.requireNonNull(source, "source must not be null");
        Objects.requireNonNull(element, "element layout must not be null");
        copyFrom(MemorySegment.ofBuffer(source), element.withOrder(source.order()), order);
    }

    /**
     * Writes this matrix into {@code target} (exactly rows · cols elements) in {@code order}; a float64 matrix is
     * rounded to float. On a {@link Float32RangeException} the target's contents are unspecified.
     *
     * @throws IllegalArgumentException if the length is not rows · cols
     */
    public void copyTo(float[] target, Order order) {
        checkLength(target, "target", rows, cols);
        copyTo(MemorySegment.ofArray(target), ValueLayout.JAVA_FLOAT, order);
    }

    /**
     * Writes this matrix into {@code target} (exactly rows · cols elements) in {@code order}, exactly.
     *
     * @throws IllegalArgumentException if the length is not rows · cols
     */
    public void copyTo(double[] target, Order order) {
        checkLength(target, "target", rows, cols);
        copyTo(MemorySegment.ofArray(target), ValueLayout.JAVA_DOUBLE, order);
    }

    /**
     * Writes this matrix into the first rows · cols elements of {@code target} in {@code order}, each stored as
     * {@code element} says (as {@link #copyFrom(MemorySegment, ValueLayout, Order)}; narrowing to float by the rule
     * of {@link #set}). The bytes written must not share memory with this matrix (as in
     * {@link #copyFrom(MemorySegment, ValueLayout, Order)}).
     *
     * @throws IllegalArgumentException if {@code target} is too small, {@code element} is not float or double, or
     *         the bytes written share memory with this matrix
     */
    public void copyTo(MemorySegment target, ValueLayout element, Order order) {
        BulkCopy.out(this, target, element, order);
    }

    /** As {@link #copyTo(MemorySegment, ValueLayout, Order)} from the buffer's position, in its byte order. */
    public void copyTo(ByteBuffer target, ValueLayout element, Order order) {
        Objects.requireNonNull(target, "target must not be null");
        Objects.requireNonNull(element, "element layout must not be null");
        copyTo(MemorySegment.ofBuffer(target), element.withOrder(target.order()), order);
    }

    /** {@code array} (a {@code float[]} or {@code double[]}, named {@code what}) must hold rows · cols elements. */
    private static void checkLength(Object array, String what, int rows, int cols) {
        int length = Array.getLength(Objects.requireNonNull(array, what + " must not be null"));
        if (length != (long) rows * cols) {
            throw new IllegalArgumentException("an array of " + length + " elements for a " + rows + " x " + cols
                    + " matrix: expected rows * cols = " + (long) rows * cols);
        }
    }

    /** A new matrix with the same contents, in {@code target} precision (rounded by the rule of {@link #set}). */
    public DenseMatrix copy(DType target) {
        DenseMatrix c = allocate(target, rows, cols);
        try {
            c.copyFrom(this);
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** The contents as a new {@code double[rows][cols]}. */
    public double[][] toArray() {
        double[][] a = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                a[i][j] = get(i, j);
            }
        }
        return a;
    }

    /**
     * Position of the first non-finite element as {@code {row, col}}, or {@code null} if all are finite.
     *
     * <p>Each row is bulk-copied to a heap array and scanned there: this runs on every input before the JIT has
     * compiled anything, and an interpreted element-wise segment access costs several times a plain array load
     * (measured: 200–300 ms for a 2000 × 1500 matrix in a fresh JVM, against tens of milliseconds this way).
     */
    public int[] firstNonFinite() {
        MemorySegment s = segment();
        if (dtype == DType.FLOAT32) {
            float[] row = new float[cols];
            for (int i = 0; i < rows; i++) {
                MemorySegment.copy(s, ValueLayout.JAVA_FLOAT, rowOffset(i), row, 0, cols);
                for (int j = 0; j < cols; j++) {
                    // x - x is 0 for every finite x and NaN for NaN and ±∞; one subtraction, no call
                    if (row[j] - row[j] != 0) {
                        return new int[] {i, j};
                    }
                }
            }
        } else {
            double[] row = new double[cols];
            for (int i = 0; i < rows; i++) {
                MemorySegment.copy(s, ValueLayout.JAVA_DOUBLE, rowOffset(i), row, 0, cols);
                for (int j = 0; j < cols; j++) {
                    if (row[j] - row[j] != 0) {
                        return new int[] {i, j};
                    }
                }
            }
        }
        return null;
    }

    /**
     * Position of the first padding element that is not zero as {@code {row, element}} (element in {@code [cols,
     * stride)}), or {@code null} if every row's padding is zero, as the kernels require: they read a row's padding as
     * part of the matrix, and memory written through {@link #segment()} (or wrapped memory written since) may have put
     * values there.
     */
    public int[] firstNonZeroPadding() {
        return firstNonZeroPadding(segment(), dtype, rows, cols, stride);
    }

    /** Each row's padding copied to a heap array and scanned there, as {@link #firstNonFinite()} scans. */
    private static int[] firstNonZeroPadding(MemorySegment s, DType dtype, int rows, int cols, int stride) {
        int pad = stride - cols;
        if (pad == 0) {
            return null;
        }
        long rowBytes = (long) stride * dtype.bytes();
        long padOffset = (long) cols * dtype.bytes();
        if (dtype == DType.FLOAT32) {
            float[] padding = new float[pad];
            for (int i = 0; i < rows; i++) {
                MemorySegment.copy(s, ValueLayout.JAVA_FLOAT, i * rowBytes + padOffset, padding, 0, pad);
                for (int k = 0; k < pad; k++) {
                    if (padding[k] != 0) {
                        return new int[] {i, cols + k};
                    }
                }
            }
        } else {
            double[] padding = new double[pad];
            for (int i = 0; i < rows; i++) {
                MemorySegment.copy(s, ValueLayout.JAVA_DOUBLE, i * rowBytes + padOffset, padding, 0, pad);
                for (int k = 0; k < pad; k++) {
                    if (padding[k] != 0) {
                        return new int[] {i, cols + k};
                    }
                }
            }
        }
        return null;
    }

    private static double element(MemorySegment s, DType dtype, long index) {
        return dtype == DType.FLOAT32 ? s.getAtIndex(ValueLayout.JAVA_FLOAT, index)
                : s.getAtIndex(ValueLayout.JAVA_DOUBLE, index);
    }

    /** Throws {@link IllegalArgumentException} naming {@code what} unless {@code other} is {@code rows × cols}. */
    private void requireSameShape(DenseMatrix other, String what) {
        if (other.rows != rows || other.cols != cols) {
            throw new IllegalArgumentException(what + " is " + other.rows + " x " + other.cols + ", expected "
                    + rows + " x " + cols);
        }
    }

    /** Whether {@link #close()} was called (the native memory is then freed; every access throws). */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Frees the native memory (of a {@link #wrap wrapped} matrix: ends the view; the caller's memory stays). Later
     * accesses throw {@link IllegalStateException}; closing again does nothing.
     */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (memory != null) {
                memory.close();
            }
        }
    }

    @Override
    public String toString() {
        return "DenseMatrix[" + rows + " x " + cols + ", " + dtype.label() + (closed ? ", closed]" : "]");
    }

    private long index(int i, int j) {
        ensureOpen();
        if (i < 0 || i >= rows || j < 0 || j >= cols) {
            throw new IndexOutOfBoundsException("index (" + i + ", " + j + ") outside " + rows + " x " + cols);
        }
        return (long) i * stride + j;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("matrix " + rows + " x " + cols + " " + dtype.label()
                    + " was closed; its memory has been freed");
        }
    }
}
