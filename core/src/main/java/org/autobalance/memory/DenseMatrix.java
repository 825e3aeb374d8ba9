package org.autobalance.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A dense row-major matrix of {@code float} or {@code double} in native memory.
 *
 * <p>Layout: rows are padded to a multiple of {@value #ALIGNMENT} bytes ({@link #stride()} elements per row) and the
 * first row starts on a {@value #ALIGNMENT}-byte boundary, so every row is aligned for vector loads. Padding elements
 * are zero when allocated, and every kernel keeps them zero: a kernel may read the padding of a row as zeros.
 *
 * <p>Scalar access ({@link #get}, {@link #set}) goes through Agrona {@link UnsafeBuffer}s, one per row block of less
 * than 2 GiB (Agrona buffers are int-indexed), with Agrona's bounds checks (on unless
 * {@code -Dagrona.disable.bounds.checks=true}). Kernels read and write the same memory through one native
 * {@link MemorySegment} ({@link #segment()}), which is long-indexed and bounds-checked by the JDK.
 *
 * <p>The memory comes from a shared {@link Arena} and is freed when {@link #close()} is called; any access after that
 * throws {@link IllegalStateException}. Closing is idempotent. A matrix may be read and written by several threads
 * at once (the parallel pass does), but must not be closed while another thread uses it.
 */
public final class DenseMatrix implements AutoCloseable {
    /** Alignment of the first row and granularity of the row padding, in bytes (one cache line, one AVX-512 vector). */
    public static final int ALIGNMENT = 64;

    /** Largest row block, in bytes: one Agrona buffer must stay below 2 GiB. */
    static final long MAX_BLOCK_BYTES = (Integer.MAX_VALUE / ALIGNMENT) * (long) ALIGNMENT;

    private final DType dtype;
    private final int rows;
    private final int cols;
    private final int stride;
    private final int rowsPerBlock;
    private final int elementShift;
    private final Arena arena;
    private final MemorySegment segment;
    private final UnsafeBuffer[] blocks;
    private volatile boolean closed;

    private DenseMatrix(DType dtype, int rows, int cols, long maxBlockBytes) {
        if (dtype == null) {
            throw new IllegalArgumentException("dtype must not be null");
        }
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("matrix shape must be at least 1 x 1, got " + rows + " x " + cols);
        }
        this.dtype = dtype;
        this.rows = rows;
        this.cols = cols;
        int perLine = ALIGNMENT / dtype.bytes();
        this.stride = (int) (((long) cols + perLine - 1) / perLine * perLine);
        long rowBytes = (long) stride * dtype.bytes();
        if (rowBytes > maxBlockBytes) {
            throw new IllegalArgumentException("a row of " + cols + " " + dtype.label() + " elements (" + rowBytes
                    + " bytes) exceeds the row-block limit of " + maxBlockBytes + " bytes");
        }
        this.rowsPerBlock = (int) Math.min(rows, maxBlockBytes / rowBytes);
        this.elementShift = Integer.numberOfTrailingZeros(dtype.bytes());
        this.arena = Arena.ofShared();
        try {
            this.segment = arena.allocate(rowBytes * rows, ALIGNMENT);
        } catch (OutOfMemoryError | IllegalArgumentException e) {
            arena.close();
            throw new IllegalArgumentException("cannot allocate a " + rows + " x " + cols + " " + dtype.label()
                    + " matrix (" + rowBytes * rows + " bytes of native memory): " + e.getMessage(), e);
        }
        int blockCount = (rows + rowsPerBlock - 1) / rowsPerBlock;
        this.blocks = new UnsafeBuffer[blockCount];
        for (int b = 0; b < blockCount; b++) {
            int blockRows = Math.min(rowsPerBlock, rows - b * rowsPerBlock);
            blocks[b] = new UnsafeBuffer(segment.address() + (long) b * rowsPerBlock * rowBytes,
                    (int) (blockRows * rowBytes));
        }
    }

    /** Allocates a zero-filled {@code rows × cols} matrix. */
    public static DenseMatrix allocate(DType dtype, int rows, int cols) {
        return new DenseMatrix(dtype, rows, cols, MAX_BLOCK_BYTES);
    }

    /** As {@link #allocate(DType, int, int)} with a smaller row-block limit, so tests can exercise many blocks. */
    static DenseMatrix allocate(DType dtype, int rows, int cols, long maxBlockBytes) {
        return new DenseMatrix(dtype, rows, cols, maxBlockBytes);
    }

    /** A new matrix holding {@code values} (rows of equal length), rounded to {@code dtype}. */
    public static DenseMatrix of(DType dtype, double[][] values) {
        if (values.length == 0 || values[0].length == 0) {
            throw new IllegalArgumentException("matrix must have at least one row and one column");
        }
        DenseMatrix m = allocate(dtype, values.length, values[0].length);
        for (int i = 0; i < values.length; i++) {
            if (values[i].length != m.cols) {
                m.close();
                throw new IllegalArgumentException("row " + i + " has " + values[i].length + " entries, expected "
                        + m.cols);
            }
            for (int j = 0; j < m.cols; j++) {
                m.set(i, j, values[i][j]);
            }
        }
        return m;
    }

    public DType dtype() {
        return dtype;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Elements per padded row: the distance between the starts of consecutive rows in {@link #segment()}. */
    public int stride() {
        return stride;
    }

    /** Number of row blocks (each one Agrona buffer). */
    public int blockCount() {
        return blocks.length;
    }

    /** Rows per row block (the last block may hold fewer). */
    public int rowsPerBlock() {
        return rowsPerBlock;
    }

    /** The Agrona buffer of row block {@code b}; row {@code i} of the block starts at byte {@code i·stride·bytes}. */
    public UnsafeBuffer block(int b) {
        ensureOpen();
        return blocks[b];
    }

    /** The whole matrix as one native segment; element (i, j) is at element index {@code i·stride + j}. */
    public MemorySegment segment() {
        ensureOpen();
        return segment;
    }

    /** Element (i, j), widened to double. */
    public double get(int i, int j) {
        checkIndex(i, j);
        UnsafeBuffer block = blocks[i / rowsPerBlock];
        int offset = offsetInBlock(i, j);
        return dtype == DType.FLOAT32 ? block.getFloat(offset) : block.getDouble(offset);
    }

    /** Sets element (i, j), rounding to float for {@link DType#FLOAT32}. */
    public void set(int i, int j, double value) {
        checkIndex(i, j);
        UnsafeBuffer block = blocks[i / rowsPerBlock];
        int offset = offsetInBlock(i, j);
        if (dtype == DType.FLOAT32) {
            block.putFloat(offset, (float) value);
        } else {
            block.putDouble(offset, value);
        }
    }

    /** Sets every element (not the padding) to {@code value}. */
    public void fill(double value) {
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                set(i, j, value);
            }
        }
    }

    /** Copies {@code source}, which must have the same shape (the dtype may differ: values are rounded). */
    public void copyFrom(DenseMatrix source) {
        requireSameShape(source, "copy source");
        if (source.dtype == dtype) {
            MemorySegment.copy(source.segment(), 0, segment(), 0, segment.byteSize());
            return;
        }
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
        checkRowCopy(i, layout);
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
        checkRowCopy(i, layout);
        MemorySegment.copy(segment(), dtype.layout(), rowOffset(i), target, layout, offset, cols);
    }

    private void checkRowCopy(int i, ValueLayout layout) {
        if (layout.byteSize() != dtype.bytes()) {
            throw new IllegalArgumentException("element layout " + layout + " has " + layout.byteSize()
                    + " bytes, a " + dtype.label() + " element has " + dtype.bytes());
        }
        if (i < 0 || i >= rows) {
            throw new IndexOutOfBoundsException("row " + i + " outside 0.." + (rows - 1));
        }
    }

    private long rowOffset(int i) {
        return (long) i * stride * dtype.bytes();
    }

    /** A new matrix with the same contents, in {@code target} precision. */
    public DenseMatrix copy(DType target) {
        DenseMatrix c = allocate(target, rows, cols);
        c.copyFrom(this);
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

    /** Position of the first non-finite element as {@code {row, col}}, or {@code null} if all are finite. */
    public int[] firstNonFinite() {
        MemorySegment s = segment();
        for (int i = 0; i < rows; i++) {
            long base = (long) i * stride;
            for (int j = 0; j < cols; j++) {
                double x = dtype == DType.FLOAT32
                        ? s.getAtIndex(ValueLayout.JAVA_FLOAT, base + j)
                        : s.getAtIndex(ValueLayout.JAVA_DOUBLE, base + j);
                if (!Double.isFinite(x)) {
                    return new int[] {i, j};
                }
            }
        }
        return null;
    }

    /** Throws {@link IllegalArgumentException} naming {@code what} unless {@code other} is {@code rows × cols}. */
    public void requireSameShape(DenseMatrix other, String what) {
        if (other.rows != rows || other.cols != cols) {
            throw new IllegalArgumentException(what + " is " + other.rows + " x " + other.cols + ", expected "
                    + rows + " x " + cols);
        }
    }

    public boolean isClosed() {
        return closed;
    }

    /** Frees the native memory. Later accesses throw {@link IllegalStateException}; closing again does nothing. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "DenseMatrix[" + rows + " x " + cols + ", " + dtype.label() + (closed ? ", closed]" : "]");
    }

    private int offsetInBlock(int i, int j) {
        return (int) (((long) (i % rowsPerBlock) * stride + j) << elementShift);
    }

    private void checkIndex(int i, int j) {
        ensureOpen();
        if (i < 0 || i >= rows || j < 0 || j >= cols) {
            throw new IndexOutOfBoundsException("index (" + i + ", " + j + ") outside " + rows + " x " + cols);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("matrix " + rows + " x " + cols + " " + dtype.label()
                    + " was closed; its memory has been freed");
        }
    }
}
