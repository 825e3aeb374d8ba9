package org.autobalance.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import org.autobalance.memory.DenseMatrix.Order;

/**
 * The bulk copies between a {@link DenseMatrix} and flat storage (arrays, buffers, segments, files).
 *
 * <p>Row-major data of the matrix's own precision is copied a row at a time with {@link MemorySegment#copy} (a
 * memcpy per row, byte-swapped if the orders differ). Everything else — a change of precision, a transpose — moves
 * in runs through a {@code double[]} (exact for both precisions): a run is read with one bulk copy, converted by a
 * plain loop the JIT vectorises, and written with one bulk copy. A transpose moves {@value #TILE}-square tiles, whose
 * columns are contiguous runs of the column-major side and whose rows are runs of the matrix.
 *
 * <p>Narrowing to float32 notes whether any finite value became infinite; only then is the copy scanned again, in
 * row-major order, so the value reported is the first out-of-range one in row-major order whatever order the copy
 * ran in.
 */
final class BulkCopy {
    /** Tile edge of the transposing copy: a 64 × 64 tile of doubles (32 KiB) stays in L1/L2 while it turns. */
    private static final int TILE = 64;

    private BulkCopy() {
    }

    /** Copies {@code source} (rows · cols elements as {@code element} describes them, from byte 0) into {@code m}. */
    static void in(DenseMatrix m, MemorySegment source, ValueLayout element, Order order) {
        copy(m, source, element, order, true);
    }

    /** Copies {@code m} into {@code target} (rows · cols elements as {@code element} describes them, from byte 0). */
    static void out(DenseMatrix m, MemorySegment target, ValueLayout element, Order order) {
        copy(m, target, element, order, false);
    }

    private static void copy(DenseMatrix m, MemorySegment data, ValueLayout element, Order order, boolean intoMatrix) {
        Objects.requireNonNull(data, (intoMatrix ? "source" : "target") + " must not be null");
        Objects.requireNonNull(element, "element layout must not be null");
        // a null order was read as row-major
        Objects.requireNonNull(order, "order must not be null");
        if (intoMatrix) {
            m.requireWritable();
        } else if (data.isReadOnly()) {
            throw DenseMatrix.readOnlyTarget();
        }
        Run flat = Run.flat(data, element, m, intoMatrix ? "source" : "target");
        if (order == Order.ROW_MAJOR && element.byteSize() == m.dtype().bytes()) {
            long rowBytes = (long) m.cols() * element.byteSize();
            for (int i = 0; i < m.rows(); i++) {
                if (intoMatrix) {
                    m.copyRowFrom(i, data, i * rowBytes, flat.layout);
                } else {
                    m.copyRowTo(i, data, i * rowBytes, flat.layout);
                }
            }
            return;
        }
        new Transfer(m, flat, order == Order.COLUMN_MAJOR, intoMatrix).run();
    }

    /** One element-converting or transposing copy, matrix to flat storage or back. */
    private static final class Transfer {
        private final Run matrix;
        private final Run flat;
        private final Run from;
        private final Run to;
        private final boolean columnMajor;
        private final boolean intoMatrix;
        private final int rows;
        private final int cols;
        private final long stride;

        Transfer(DenseMatrix m, Run flat, boolean columnMajor, boolean intoMatrix) {
            this.matrix = new Run(m.segment(), m.dtype().layout(), Math.max(m.cols(), TILE));
            this.flat = flat;
            this.from = intoMatrix ? flat : matrix;
            this.to = intoMatrix ? matrix : flat;
            this.columnMajor = columnMajor;
            this.intoMatrix = intoMatrix;
            this.rows = m.rows();
            this.cols = m.cols();
            this.stride = m.stride();
        }

        private long matrixIndex(long i, long j) {
            return i * stride + j;
        }

        private long flatIndex(long i, long j) {
            return columnMajor ? j * rows + i : i * cols + j;
        }

        void run() {
            if (columnMajor) {
                tiles();
            } else {
                double[] row = new double[cols];
                for (int i = 0; i < rows; i++) {
                    from.read(intoMatrix ? flatIndex(i, 0) : matrixIndex(i, 0), cols, row, 0);
                    to.write(intoMatrix ? matrixIndex(i, 0) : flatIndex(i, 0), cols, row, 0);
                }
            }
            if (to.overflowed) {
                reportFirstOverflow();
            }
        }

        /** Column j of a tile is a run of the flat side, row i a run of the matrix; the tile turns in between. */
        private void tiles() {
            double[] tile = new double[TILE * TILE];
            double[] column = new double[TILE];
            for (int i0 = 0; i0 < rows; i0 += TILE) {
                int height = Math.min(TILE, rows - i0);
                for (int j0 = 0; j0 < cols; j0 += TILE) {
                    int width = Math.min(TILE, cols - j0);
                    if (intoMatrix) {
                        for (int jj = 0; jj < width; jj++) {
                            flat.read(flatIndex(i0, j0 + jj), height, column, 0);
                            for (int ii = 0; ii < height; ii++) {
                                tile[ii * TILE + jj] = column[ii];
                            }
                        }
                        for (int ii = 0; ii < height; ii++) {
                            matrix.write(matrixIndex(i0 + ii, j0), width, tile, ii * TILE);
                        }
                    } else {
                        for (int ii = 0; ii < height; ii++) {
                            matrix.read(matrixIndex(i0 + ii, j0), width, tile, ii * TILE);
                        }
                        for (int jj = 0; jj < width; jj++) {
                            for (int ii = 0; ii < height; ii++) {
                                column[ii] = tile[ii * TILE + jj];
                            }
                            flat.write(flatIndex(i0, j0 + jj), height, column, 0);
                        }
                    }
                }
            }
        }

        /** Some finite value became infinite in float: find the first, in row-major order, and say where. */
        private void reportFirstOverflow() {
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    long toIndex = intoMatrix ? matrixIndex(i, j) : flatIndex(i, j);
                    long fromIndex = intoMatrix ? flatIndex(i, j) : matrixIndex(i, j);
                    double original = from.get(fromIndex);
                    if (Double.isInfinite(to.get(toIndex)) && Double.isFinite(original)) {
                        throw new Float32RangeException(i, j, original);
                    }
                }
            }
            throw new AssertionError("an overflow was noted but not found again");
        }
    }

    /**
     * Elements of one precision in a segment, any alignment and byte order, moved in runs to and from
     * {@code double[]}; a float side converts through its scratch array.
     */
    private static final class Run {
        private final MemorySegment data;
        private final ValueLayout layout;
        private final ValueLayout.OfFloat f4;
        private final ValueLayout.OfDouble f8;
        private final float[] scratch;
        /** Set when a write to this float side turned a finite value into an infinity. */
        boolean overflowed;

        Run(MemorySegment data, ValueLayout element, int longestRun) {
            this.data = data;
            if (element instanceof ValueLayout.OfFloat f) {
                this.f4 = f.withByteAlignment(1);
                this.f8 = null;
                this.layout = f4;
                this.scratch = new float[longestRun];
            } else if (element instanceof ValueLayout.OfDouble d) {
                this.f4 = null;
                this.f8 = d.withByteAlignment(1);
                this.layout = f8;
                this.scratch = null;
            } else {
                throw new IllegalArgumentException("element layout " + element + " is neither float nor double");
            }
        }

        /**
         * The flat side of a copy with {@code m}: checked to hold rows · cols elements, and those elements' bytes
         * (only they: the rest of {@code data} may hold {@code m} itself) to be apart from {@code m}'s memory.
         */
        static Run flat(MemorySegment data, ValueLayout element, DenseMatrix m, String what) {
            Run run = new Run(data, element, Math.max(m.cols(), TILE));
            long needed = (long) m.rows() * m.cols() * element.byteSize();
            if (data.byteSize() < needed) {
                throw new IllegalArgumentException("the " + what + " holds " + data.byteSize() + " bytes; a "
                        + m.rows() + " x " + m.cols() + " matrix of " + element.byteSize() + "-byte elements needs "
                        + needed);
            }
            m.requireApart(data.asSlice(0, needed), what);
            return run;
        }

        void read(long index, int count, double[] to, int offset) {
            if (f8 != null) {
                MemorySegment.copy(data, f8, index * 8, to, offset, count);
                return;
            }
            MemorySegment.copy(data, f4, index * 4, scratch, 0, count);
            for (int k = 0; k < count; k++) {
                to[offset + k] = scratch[k];
            }
        }

        void write(long index, int count, double[] from, int offset) {
            if (f8 != null) {
                MemorySegment.copy(from, offset, data, f8, index * 8, count);
                return;
            }
            boolean overflow = false;
            for (int k = 0; k < count; k++) {
                double x = from[offset + k];
                float f = (float) x;
                scratch[k] = f;
                overflow |= Float.isInfinite(f) & !Double.isInfinite(x);
            }
            overflowed |= overflow;
            MemorySegment.copy(scratch, 0, data, f4, index * 4, count);
        }

        double get(long index) {
            return f8 != null ? data.getAtIndex(f8, index) : data.getAtIndex(f4, index);
        }
    }
}
