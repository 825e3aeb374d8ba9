package org.autobalance.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * Reads and writes dense matrices as NumPy {@code .npy} files (what {@code np.save} writes and {@code np.load}
 * reads).
 *
 * <h2>What is read</h2>
 * <ul>
 *   <li>Format versions 1.0, 2.0 and 3.0 (the header is parsed by {@link NpyHeader}).</li>
 *   <li>2-dimensional arrays of dtype {@code <f4} or {@code <f8} (float32, float64), also big-endian ({@code >f4},
 *       {@code >f8}: the bytes are swapped, an exact conversion) and with the native-order prefixes {@code =} or
 *       {@code |} or none. Other dtypes (integers, float16, complex, objects, structured dtypes) and other numbers
 *       of dimensions are rejected with one line naming what was found; convert with
 *       {@code np.save(f, a.astype(np.float64))} or reshape first. An empty dimension is rejected too.</li>
 *   <li>C order (row-major) and Fortran order ({@code fortran_order: True}, column-major).</li>
 *   <li>Into a matrix of the requested dtype: float32 data into a float64 matrix is widened exactly; float64 data into
 *       a float32 matrix is rounded to the nearest float, exactly as the Matrix Market reader rounds a value it
 *       parsed as a double, so the two readers give the same matrix for the same numbers. A float64 value beyond
 *       the float32 range (one that rounds to infinity: |x| &ge; 3.4028235677973366e38) is rejected with its row,
 *       column and value.</li>
 *   <li>NaN and infinities are rejected with their position (1-based; the first met in the file's order), as the
 *       Matrix Market reader rejects them.</li>
 *   <li>The file is mapped, never parsed: the size the header declares is checked against the file size before
 *       anything is allocated (a header that lies, a truncated file or bytes after the data give a clear error, not
 *       a huge allocation); then each row (C order) or each column piece of a 64 × 64 tile (Fortran order) is
 *       bulk-copied into a small heap array, checked and converted there, and bulk-copied into the padded layout
 *       ({@link DenseMatrix#copyRowFrom}): one read of the file, one write of the matrix.</li>
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
    /** Tile edge of the Fortran-order transpose: 64 × 64 doubles (32 KiB) read and written stay in L1/L2. */
    private static final int TILE = 64;

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
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            NoSuchFileException clearer = new NoSuchFileException(path.toString(), null, "no such .npy file");
            clearer.initCause(e);
            throw clearer;
        }
        try (channel; Arena arena = Arena.ofConfined()) {
            long size = channel.size();
            if (size == 0) {
                throw new MatrixFormatException(path.toString(), "empty file: not a .npy file");
            }
            return read(channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena), path.toString(), dtype);
        }
    }

    /**
     * Reads a 2-D array from {@code file}, which holds a whole {@code .npy} file and nothing else (a mapped file, a
     * slice of a mapped {@code .npz} holding an uncompressed member, an array), naming it {@code source} in messages.
     *
     * @throws MatrixFormatException if the bytes are malformed or hold an unsupported array
     */
    public static DenseMatrix read(MemorySegment file, String source, DType dtype) throws MatrixFormatException {
        if (dtype == null) {
            throw new IllegalArgumentException("dtype must not be null");
        }
        NpyHeader header = NpyHeader.parse(file, source);
        long[] shape = shape(header, source);
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
            Transfer transfer = new Transfer(data, header, m, source);
            if (header.fortranOrder()) {
                transfer.transposed();
            } else {
                transfer.rows();
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
     * @throws IOException if writing fails; the target is then left untouched and the temporary file is removed
     */
    public static void write(Path path, DenseMatrix m) throws IOException {
        int[] nonFinite = m.firstNonFinite();
        if (nonFinite != null) {
            throw new IllegalArgumentException("cannot write " + path + ": non-finite value "
                    + m.get(nonFinite[0], nonFinite[1]) + " at row " + (nonFinite[0] + 1) + ", column "
                    + (nonFinite[1] + 1) + " (1-based), which no reader of this project accepts");
        }
        DType dtype = m.dtype();
        byte[] header = NpyHeader.encode(dtype == DType.FLOAT32 ? "<f4" : "<f8", false,
                new long[] {m.rows(), m.cols()});
        long rowBytes = (long) m.cols() * dtype.bytes();
        long total = header.length + rowBytes * m.rows();
        ValueLayout little = unaligned(dtype.bytes(), ByteOrder.LITTLE_ENDIAN);
        AtomicFile.replace(path, channel -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment out = channel.map(FileChannel.MapMode.READ_WRITE, 0, total, arena);
                MemorySegment.copy(header, 0, out, ValueLayout.JAVA_BYTE, 0, header.length);
                for (int i = 0; i < m.rows(); i++) {
                    m.copyRowTo(i, out, header.length + i * rowBytes, little);
                }
                out.force();
            }
        });
    }

    private static long[] shape(NpyHeader header, String source) throws MatrixFormatException {
        String what = "a " + header.shapeText() + " array of dtype '" + header.descr() + "'";
        if (header.kind() != 'f' || (header.itemSize() != 4 && header.itemSize() != 8)) {
            String kind = switch (header.kind()) {
                case 'O' -> "object arrays (pickled Python objects) cannot be read";
                case 'i', 'u', 'b' -> "integer and boolean arrays are not read as matrices";
                case 'f' -> "only float32 and float64 are read";
                default -> "only float32 ('<f4') and float64 ('<f8') are read";
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

    private static ValueLayout unaligned(int bytes, ByteOrder order) {
        return bytes == 4 ? ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(order)
                : ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(order);
    }

    /**
     * Moves the file's elements into the matrix through small heap arrays: a run of elements is bulk-copied from the
     * file into an array (bytes swapped on the way if the file's order is not the native one), checked and converted
     * there, and bulk-copied into the matrix. Each element is read from the file once and written to the matrix
     * once, and the per-element work is plain array code, which is fast even before the JIT has compiled anything
     * (this runs once per process, at its start; element-wise segment access is several times slower there).
     */
    private static final class Transfer {
        private final MemorySegment data;
        private final ValueLayout layout;
        private final int itemSize;
        private final boolean fromFloat;
        private final boolean toFloat;
        private final DenseMatrix m;
        private final String source;
        private final int rows;
        private final int cols;
        /** The current run of source elements, in the file's element type. */
        private final float[] runF;
        private final double[] runD;

        Transfer(MemorySegment data, NpyHeader header, DenseMatrix m, String source) {
            this.data = data;
            this.itemSize = header.itemSize();
            this.layout = unaligned(itemSize, header.byteOrder());
            this.fromFloat = itemSize == Float.BYTES;
            this.toFloat = m.dtype() == DType.FLOAT32;
            this.m = m;
            this.source = source;
            this.rows = m.rows();
            this.cols = m.cols();
            int run = header.fortranOrder() ? Math.min(rows, TILE) : cols;
            this.runF = fromFloat ? new float[run] : null;
            this.runD = fromFloat ? null : new double[run];
        }

        /** C order: one row of the file is one row of the matrix. */
        void rows() throws MatrixFormatException {
            Object row = toFloat ? new float[cols] : new double[cols];
            MemorySegment rowSegment = toFloat ? MemorySegment.ofArray((float[]) row)
                    : MemorySegment.ofArray((double[]) row);
            long rowBytes = (long) cols * itemSize;
            for (int i = 0; i < rows; i++) {
                load(i * rowBytes, cols, row, 0, i, 0, true);
                m.copyRowFrom(i, rowSegment, 0, m.dtype().layout());
            }
        }

        /**
         * Fortran order: the file holds the columns one after another. Tiles of {@value #TILE} × {@value #TILE}:
         * each column piece is loaded into a tile, each row piece gathered from it and copied into the matrix, so
         * both the file and the matrix are walked in runs of consecutive elements.
         */
        void transposed() throws MatrixFormatException {
            int tileRows = Math.min(rows, TILE);
            Object tile = toFloat ? new float[TILE * tileRows] : new double[TILE * tileRows];
            Object row = toFloat ? new float[TILE] : new double[TILE];
            MemorySegment rowSegment = toFloat ? MemorySegment.ofArray((float[]) row)
                    : MemorySegment.ofArray((double[]) row);
            MemorySegment out = m.segment();
            long elementBytes = m.dtype().bytes();
            for (int i0 = 0; i0 < rows; i0 += TILE) {
                int h = Math.min(TILE, rows - i0);
                for (int j0 = 0; j0 < cols; j0 += TILE) {
                    int w = Math.min(TILE, cols - j0);
                    for (int c = 0; c < w; c++) {
                        load(((long) (j0 + c) * rows + i0) * itemSize, h, tile, c * tileRows, i0, j0 + c, false);
                    }
                    for (int r = 0; r < h; r++) {
                        if (toFloat) {
                            float[] t = (float[]) tile;
                            float[] x = (float[]) row;
                            for (int c = 0; c < w; c++) {
                                x[c] = t[c * tileRows + r];
                            }
                        } else {
                            double[] t = (double[]) tile;
                            double[] x = (double[]) row;
                            for (int c = 0; c < w; c++) {
                                x[c] = t[c * tileRows + r];
                            }
                        }
                        MemorySegment.copy(rowSegment, 0, out, ((long) (i0 + r) * m.stride() + j0) * elementBytes,
                                w * elementBytes);
                    }
                }
            }
        }

        /**
         * Copies {@code n} consecutive file elements from byte {@code offset} into {@code target} (a float[] for a
         * float32 matrix, else a double[]) from index {@code at}, checking each. For messages, element k is at
         * (row, col + k) if {@code alongRow}, else at (row + k, col).
         *
         * <p>{@code x - x != 0} is the finiteness test: 0 for every finite x, NaN for NaN and ±∞. Rounding a float64
         * to float32 is tested after the rounding, which also catches finite values that round to infinity.
         */
        private void load(long offset, int n, Object target, int at, int row, int col, boolean alongRow)
                throws MatrixFormatException {
            if (fromFloat) {
                MemorySegment.copy(data, layout, offset, runF, 0, n);
                if (toFloat) {
                    float[] t = (float[]) target;
                    for (int k = 0; k < n; k++) {
                        float x = runF[k];
                        if (x - x != 0) {
                            throw bad(x, row, col, k, alongRow);
                        }
                        t[at + k] = x;
                    }
                } else {
                    double[] t = (double[]) target;
                    for (int k = 0; k < n; k++) {
                        float x = runF[k];
                        if (x - x != 0) {
                            throw bad(x, row, col, k, alongRow);
                        }
                        t[at + k] = x;
                    }
                }
            } else {
                MemorySegment.copy(data, layout, offset, runD, 0, n);
                if (toFloat) {
                    float[] t = (float[]) target;
                    for (int k = 0; k < n; k++) {
                        float x = (float) runD[k];
                        if (x - x != 0) {
                            throw bad(runD[k], row, col, k, alongRow);
                        }
                        t[at + k] = x;
                    }
                } else {
                    double[] t = (double[]) target;
                    for (int k = 0; k < n; k++) {
                        double x = runD[k];
                        if (x - x != 0) {
                            throw bad(x, row, col, k, alongRow);
                        }
                        t[at + k] = x;
                    }
                }
            }
        }

        private MatrixFormatException bad(double value, int row, int col, int k, boolean alongRow) {
            String at = " at row " + (row + (alongRow ? 0 : k) + 1) + ", column " + (col + (alongRow ? k : 0) + 1);
            return new MatrixFormatException(source, Double.isFinite(value)
                    ? "value " + value + at + " is outside the float32 range (it rounds to infinity); read it as "
                            + "float64"
                    : "non-finite value " + value + at);
        }
    }
}
