package org.autobalance.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import org.autobalance.io.internal.AtomicFile;
import org.autobalance.io.internal.Interrupts;
import org.autobalance.kernel.EngineProperties;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.Float32RangeException;

/**
 * Reads and writes dense matrices as NumPy {@code .npy} files (what {@code np.save} writes and {@code np.load}
 * reads).
 *
 * <h2>What is read</h2>
 * <ul>
 *   <li>Format versions 1.0, 2.0 and 3.0 (the header is parsed by {@link NpyHeader}).</li>
 *   <li>2-dimensional arrays of dtype {@code <f4} or {@code <f8} (float32, float64), also big-endian ({@code >f4},
 *       {@code >f8}: the bytes are swapped, an exact conversion) and with the native-order prefixes {@code =} or
 *       {@code |} or none. Integer arrays (signed and unsigned, 1 to 8 bytes, either byte order) and boolean ones
 *       are read too, each element converted to the nearest double as {@code a.astype(np.float64)} converts it
 *       (exactly up to 2⁵³ in magnitude), then stored by the rule below — what the {@code .npz} reader does with
 *       integer values and the Matrix Market reader with an {@code integer} field; these are converted element by
 *       element rather than copied in bulk. Other dtypes (float16, complex, objects, structured dtypes) and other
 *       numbers of dimensions are rejected with one line naming what was found; convert with
 *       {@code np.save(f, a.astype(np.float64))} or reshape first. An empty dimension is rejected too.</li>
 *   <li>C order (row-major) and Fortran order ({@code fortran_order: True}, column-major).</li>
 *   <li>Into a matrix of the requested dtype: float32 data into a float64 matrix is widened exactly; float64 data into
 *       a float32 matrix is rounded to the nearest float, exactly as the Matrix Market reader rounds a value it
 *       parsed as a double, so the two readers give the same matrix for the same numbers. A float64 value beyond
 *       the float32 range (|x| &gt; 3.4028235e38, which would round to infinity) is rejected with its row, column
 *       and value.</li>
 *   <li>NaN and infinities are rejected with the position of the first one in row-major order (0-based, as NumPy
 *       indexes the array, and said so), as the Matrix Market reader rejects them.</li>
 *   <li>The file is mapped, never parsed element by element: the size the header declares is checked against the
 *       file size before anything is allocated (a header that lies, a truncated file or bytes after the data give a
 *       clear error, not a huge allocation), then C-order rows of the matrix's dtype are copied in bulk into the
 *       padded layout; Fortran order is transposed in cache-sized tiles (both by
 *       {@link DenseMatrix#copyFrom(MemorySegment, ValueLayout, DenseMatrix.Order)}).</li>
 * </ul>
 * Every problem is reported as a {@link MatrixFormatException} {@code "<file>: <problem>"}; the matrix is freed
 * again when the data is bad.
 *
 * <h2>What is written</h2>
 * A version 1.0 file (2.0 if the header needed more than 65535 bytes, which no 2-D shape does), C order,
 * little-endian {@code <f4} for a float32 matrix and {@code <f8} for a float64 one, the header padded as numpy pads
 * it (the data starts on a multiple of 64 bytes): {@code np.load} returns the matrix bit for bit. The file is
 * written to a temporary file next to the target, forced to disk and renamed over the target atomically.
 */
public final class Npy {
    /** The most a write copies into its buffer before handing it to the file: the row copies stay in bulk. */
    private static final int WRITE_BUFFER_BYTES = 1 << 20;

    private Npy() {
    }

    /**
     * Reads the 2-D array in {@code path} into a new matrix of {@code dtype}; the caller owns (and must close) it.
     *
     * @throws MatrixFormatException if the file is malformed or holds an unsupported array (see the class
     *         documentation)
     * @throws NoSuchFileException if {@code path} does not exist
     * @throws IOException if reading fails
     */
    public static DenseMatrix read(Path path, DType dtype) throws IOException {
        Objects.requireNonNull(path, "path must not be null");
        return read(path, dtype, path.toString(), 0);
    }

    /**
     * As {@link #read(Path, DType)} for a file of rows of a larger matrix M whose row 0 is M's row {@code firstRow}
     * (0-based), as a shard of a directory of {@code .npy} row blocks is: a value refused is placed by M's row, and the
     * file is named with where its rows start in M ("part-00002.npy (its row 0 is row 26 of M)").
     *
     * @throws IllegalArgumentException if {@code firstRow} is negative
     */
    public static DenseMatrix read(Path path, DType dtype, long firstRow) throws IOException {
        Objects.requireNonNull(path, "path must not be null");
        if (firstRow < 0) {
            throw new IllegalArgumentException("first row must be non-negative, got " + firstRow);
        }
        return read(path, dtype, path + " (its row 0 is row " + firstRow + " of M)", firstRow);
    }

    /** {@link #read(Path, DType)}, naming the file {@code source} in the messages of its contents. */
    private static DenseMatrix read(Path path, DType dtype, String source, long firstRow) throws IOException {
        Objects.requireNonNull(dtype, "dtype must not be null");
        Interrupts.checkReading(path.toString());
        FileInput.requireFile(path, ".npy");
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            NoSuchFileException clearer = new NoSuchFileException(path.toString(), null, "no such .npy file");
            clearer.initCause(e);
            throw clearer;
        }
        // shared, though one thread uses it: segments of a confined arena, read before the kernels are compiled, leave
        // the JDK's memory-access profile with owner-thread sessions only; C2 then hoisted that check out of a kernel's
        // loop, M's segment (no owner) failed it, and dotBlock was compiled 2-4 times (native-notes/startup.md,
        // fourteenth session, "The two wastes left to try")
        try (channel; Arena arena = Arena.ofShared()) {
            long size = channel.size();
            if (size == 0) {
                throw new MatrixFormatException(path.toString(), "empty file: not a .npy file");
            }
            return read(channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena), source, dtype, firstRow);
        } catch (ClosedByInterruptException e) {
            throw Interrupts.reading(path.toString(), e);
        }
    }

    /**
     * Reads a 2-D array from {@code file}, which holds a whole {@code .npy} file and nothing else (a mapped file, a
     * slice of a mapped {@code .npz} holding an uncompressed member, an array), naming it {@code source} in messages.
     *
     * @throws MatrixFormatException if the bytes are malformed or hold an unsupported array, or a mapped file was cut
     *         short while it was read
     */
    public static DenseMatrix read(MemorySegment file, String source, DType dtype) throws MatrixFormatException {
        return read(file, source, dtype, 0);
    }

    /**
     * As {@link #read(MemorySegment, String, DType)} for the {@code .npy} image of a block of another file's rows
     * whose row 0 is that file's row {@code firstRow} (0-based): a value refused is placed by the file's row, which is
     * where a user looks for it, not by the block's.
     *
     * @throws IllegalArgumentException if {@code firstRow} is negative
     */
    public static DenseMatrix read(MemorySegment file, String source, DType dtype, long firstRow)
            throws MatrixFormatException {
        if (firstRow < 0) {
            throw new IllegalArgumentException("first row must be non-negative, got " + firstRow);
        }
        Objects.requireNonNull(file, "file must not be null");
        Objects.requireNonNull(source, "source must not be null");
        Objects.requireNonNull(dtype, "dtype must not be null");
        if (!file.scope().isAlive()) {
            // the FFM API's words: "Already closed"
            throw new IllegalArgumentException("cannot read " + source + ": the memory of its bytes was freed (the "
                    + "segment's arena is closed)");
        }
        try {
            return parse(file, source, dtype, firstRow);
        } catch (InternalError e) {
            throw FileInput.cutShort(source, e);
        }
    }

    private static DenseMatrix parse(MemorySegment file, String source, DType dtype, long firstRow)
            throws MatrixFormatException {
        EngineProperties.check(); // not as the file's "cannot allocate" (see MatrixMarket's parseBody)
        NpyHeader header = NpyHeader.parse(file, source);
        long[] shape = matrixShape(header, source);
        int rows = (int) shape[0];
        int cols = (int) shape[1];
        long dataBytes = header.dataBytes();
        long available = file.byteSize() - header.dataOffset();
        if (dataBytes < 0 || available < dataBytes) {
            throw new MatrixFormatException(source, "truncated: the header declares a " + rows + " x " + cols + " "
                    + header.descr() + " array (" + (dataBytes < 0 ? "more than 2^63" : dataBytes)
                    + " bytes of data), the file holds " + available + " bytes after the header");
        }
        if (available > dataBytes) {
            throw new MatrixFormatException(source, (available - dataBytes) + " bytes after the data of the "
                    + rows + " x " + cols + " " + header.descr() + " array the header declares: the header and "
                    + "the file size disagree");
        }
        MemorySegment data = file.asSlice(header.dataOffset(), dataBytes);
        DenseMatrix m;
        try {
            m = DenseMatrix.allocate(dtype, rows, cols);
        } catch (IllegalArgumentException e) {
            throw new MatrixFormatException(source, e.getMessage());
        }
        try {
            try {
                if (header.kind() == 'f') {
                    m.copyFrom(data, unaligned(header.itemSize(), header.byteOrder()),
                            header.fortranOrder() ? DenseMatrix.Order.COLUMN_MAJOR : DenseMatrix.Order.ROW_MAJOR);
                } else {
                    convertIntegers(NpyElements.of(header, data, 0, (long) rows * cols), header.fortranOrder(), m);
                }
            } catch (Float32RangeException e) {
                throw new MatrixFormatException(source, "value " + e.value() + at(firstRow + e.row(), e.column())
                        + " is outside the float32 range (it rounds to infinity); read it as float64");
            }
            int[] bad = m.firstNonFinite();
            if (bad != null) {
                throw new MatrixFormatException(source, "non-finite value " + m.get(bad[0], bad[1])
                        + at(firstRow + bad[0], bad[1]));
            }
            return m;
        } catch (MatrixFormatException | RuntimeException | Error e) {
            m.close();
            throw e;
        }
    }

    /**
     * Writes {@code m} to {@code path} (see the class documentation), replacing any existing file atomically.
     *
     * @throws IllegalArgumentException if {@code m} holds a NaN or infinity (this reader, like the Matrix Market
     *         one, would refuse the file); the target is then left untouched
     * @throws IOException if writing fails; the target is then left untouched and the temporary file is removed, or if
     *         {@code path} exists and is not a regular file (a device, a pipe, a directory), before anything is written
     */
    public static void write(Path path, DenseMatrix m) throws IOException {
        Objects.requireNonNull(path, "path must not be null");
        Objects.requireNonNull(m, "matrix must not be null");
        int[] nonFinite = m.firstNonFinite();
        if (nonFinite != null) {
            throw new IllegalArgumentException("cannot write " + path + ": non-finite value "
                    + m.get(nonFinite[0], nonFinite[1]) + at(nonFinite[0], nonFinite[1])
                    + ", which no reader of this project accepts");
        }
        DType dtype = m.dtype();
        byte[] header = NpyHeader.encode(dtype == DType.FLOAT32 ? "<f4" : "<f8", false,
                new long[] {m.rows(), m.cols()});
        long rowBytes = (long) m.cols() * dtype.bytes();
        long total = header.length + rowBytes * m.rows();
        ValueLayout little = unaligned(dtype.bytes(), ByteOrder.LITTLE_ENDIAN);
        AtomicFile.replace(path, channel -> {
            // Through the channel, not a mapping: a disk that fills up is then an IOException from write(), where a
            // store into a mapped page the file system cannot back is a SIGBUS, which the JVM turns into an
            // InternalError ("a fault occurred in an unsafe memory access operation"; found on a full tmpfs).
            ByteBuffer buffer = ByteBuffer.allocateDirect((int) Math.min(total, WRITE_BUFFER_BYTES));
            MemorySegment chunk = MemorySegment.ofBuffer(buffer);
            buffer.put(header);
            for (int i = 0; i < m.rows(); i++) {
                long row = (long) i * m.stride() * dtype.bytes();
                for (int j = 0; j < m.cols(); ) {
                    if (buffer.remaining() < dtype.bytes()) {
                        drain(buffer, channel);
                    }
                    int n = Math.min(m.cols() - j, buffer.remaining() / dtype.bytes());
                    MemorySegment.copy(m.segment(), dtype.layout(), row + (long) j * dtype.bytes(), chunk, little,
                            buffer.position(), n);
                    buffer.position(buffer.position() + n * dtype.bytes());
                    j += n;
                }
            }
            drain(buffer, channel);
        });
    }

    /** Writes what {@code buffer} holds (from 0 to its position) to {@code channel}, and clears it. */
    private static void drain(ByteBuffer buffer, FileChannel channel) throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        buffer.clear();
    }

    /**
     * The shape {rows, cols} of the matrix {@code header} describes, if {@link #read} can read it: a 2-D float32,
     * float64, integer or boolean array with dimensions in [1, 2³¹ − 1]. Lets a reader of many files (the Spark
     * module's shard directories) check every header before reading any data.
     *
     * @throws MatrixFormatException naming {@code source} and the problem otherwise
     */
    public static long[] matrixShape(NpyHeader header, String source) throws MatrixFormatException {
        Objects.requireNonNull(header, "header must not be null");
        Objects.requireNonNull(source, "source must not be null");
        String what = "a " + header.shapeText() + " array of dtype '" + header.descr() + "'";
        if (!NpyElements.readable(header.kind(), header.itemSize())) {
            String kind = switch (header.kind()) {
                case 'O' -> "object arrays (pickled Python objects) cannot be read";
                case 'f' -> "of floats only float32 and float64 are read";
                default -> "float32, float64, integer and boolean arrays are read";
            };
            throw new MatrixFormatException(source, "unsupported dtype: " + what + "; " + kind
                    + " (convert with a.astype(np.float64))");
        }
        long[] shape = header.shape();
        if (shape.length != 2) {
            throw new MatrixFormatException(source, "not a matrix: " + what + " has " + shape.length
                    + " dimension" + (shape.length == 1 ? "" : "s") + ", a matrix needs 2 (reshape it, e.g. "
                    + "a.reshape(-1, 1) for a column)");
        }
        for (long d : shape) {
            if (d < 1 || d > Integer.MAX_VALUE) {
                throw new MatrixFormatException(source, "unsupported shape: " + what + "; each dimension must be "
                        + "between 1 and " + Integer.MAX_VALUE);
            }
        }
        return shape;
    }

    /** Stores each element of an integer (or boolean) array in {@code m}, converted as {@link NpyElements#number}. */
    private static void convertIntegers(NpyElements elements, boolean fortranOrder, DenseMatrix m) {
        int rows = m.rows();
        int cols = m.cols();
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                m.set(i, j, elements.number(fortranOrder ? (long) j * rows + i : (long) i * cols + j));
            }
        }
    }

    /**
     * A position as this reader reports it: 0-based, as NumPy indexes the array (and the {@code .npz} reader names its
     * positions), and said so. Unsaid 1-based rows sent a NumPy user one row and column too far; said 1-based ones
     * still differed from the {@code .npz} reader's 0-based indices. The Matrix Market and delimited-text readers
     * stay 1-based: their formats number rows, columns and lines from 1.
     */
    private static String at(long row, long column) {
        return " at row " + row + ", column " + column + " (0-based)";
    }

    private static ValueLayout unaligned(int bytes, ByteOrder order) {
        return bytes == 4 ? ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(order)
                : ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(order);
    }
}
