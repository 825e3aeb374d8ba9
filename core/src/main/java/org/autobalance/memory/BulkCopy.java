package org.autobalance.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.autobalance.memory.DenseMatrix.Order;

/**
 * The bulk copies between a {@link DenseMatrix} and flat storage (arrays, buffers, segments, files): row by row with
 * {@link MemorySegment#copy} where the element types agree and the order is row-major (a memcpy per row, byte-swapped
 * if needed), element by element otherwise (a change of precision or a transpose).
 *
 * <p>Narrowing to float32 casts first and checks afterwards, in row-major order, only where the result is infinite:
 * the loops stay free of branches, and the value reported is the first out-of-range one in row-major order, whatever
 * order the copy ran in.
 */
final class BulkCopy {
    /** Tile edge of the transposing copy: 64 × 64 doubles (32 KiB) read and written stay in L1/L2. */
    private static final int TILE = 64;

    private BulkCopy() {
    }

    /** Copies {@code source} (rows · cols elements as {@code element} describes them, from byte 0) into {@code m}. */
    static void in(DenseMatrix m, MemorySegment source, ValueLayout element, Order order) {
        Flat flat = new Flat(source, element, order, m.rows(), m.cols(), "source");
        MemorySegment out = m.segment();
        if (order == Order.ROW_MAJOR && element.byteSize() == m.dtype().bytes()) {
            long rowBytes = (long) m.cols() * element.byteSize();
            for (int i = 0; i < m.rows(); i++) {
                m.copyRowFrom(i, source, i * rowBytes, flat.layout);
            }
            return;
        }
        boolean toFloat = m.dtype() == DType.FLOAT32;
        long stride = m.stride();
        forEach(m.rows(), m.cols(), order, (i, j) -> {
            double x = flat.get(i, j);
            if (toFloat) {
                out.setAtIndex(ValueLayout.JAVA_FLOAT, i * stride + j, (float) x);
            } else {
                out.setAtIndex(ValueLayout.JAVA_DOUBLE, i * stride + j, x);
            }
        });
        if (toFloat && flat.isDouble()) {
            checkNarrowed(m.rows(), m.cols(), (i, j) -> out.getAtIndex(ValueLayout.JAVA_FLOAT, i * stride + j),
                    flat::get);
        }
    }

    /** Copies {@code m} into {@code target} (rows · cols elements as {@code element} describes them, from byte 0). */
    static void out(DenseMatrix m, MemorySegment target, ValueLayout element, Order order) {
        Flat flat = new Flat(target, element, order, m.rows(), m.cols(), "target");
        MemorySegment in = m.segment();
        if (order == Order.ROW_MAJOR && element.byteSize() == m.dtype().bytes()) {
            long rowBytes = (long) m.cols() * element.byteSize();
            for (int i = 0; i < m.rows(); i++) {
                m.copyRowTo(i, target, i * rowBytes, flat.layout);
            }
            return;
        }
        boolean fromFloat = m.dtype() == DType.FLOAT32;
        long stride = m.stride();
        Element read = fromFloat ? (i, j) -> in.getAtIndex(ValueLayout.JAVA_FLOAT, i * stride + j)
                : (i, j) -> in.getAtIndex(ValueLayout.JAVA_DOUBLE, i * stride + j);
        forEach(m.rows(), m.cols(), order, (i, j) -> flat.set(i, j, read.get(i, j)));
        if (!fromFloat && !flat.isDouble()) {
            checkNarrowed(m.rows(), m.cols(), flat::get, read);
        }
    }

    /**
     * Visits every (i, j): row by row for a row-major flat side; in {@value #TILE}-square tiles, columns inside,
     * for a column-major one, so that both the column-wise flat accesses and the row-wise matrix accesses stay within
     * cache lines that remain resident.
     */
    private static void forEach(int rows, int cols, Order order, Visit visit) {
        if (order == Order.ROW_MAJOR) {
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    visit.at(i, j);
                }
            }
            return;
        }
        for (int i0 = 0; i0 < rows; i0 += TILE) {
            int i1 = Math.min(rows, i0 + TILE);
            for (int j0 = 0; j0 < cols; j0 += TILE) {
                int j1 = Math.min(cols, j0 + TILE);
                for (int j = j0; j < j1; j++) {
                    for (int i = i0; i < i1; i++) {
                        visit.at(i, j);
                    }
                }
            }
        }
    }

    /** After a cast to float: the first (row-major) element that became infinite from a finite double. */
    private static void checkNarrowed(int rows, int cols, Element narrowed, Element original) {
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                if (Double.isInfinite(narrowed.get(i, j)) && Double.isFinite(original.get(i, j))) {
                    throw new Float32RangeException(i, j, original.get(i, j));
                }
            }
        }
    }

    @FunctionalInterface
    private interface Visit {
        void at(long i, long j);
    }

    @FunctionalInterface
    private interface Element {
        double get(long i, long j);
    }

    /** The flat side: rows · cols float or double elements in {@code order}, any alignment and byte order. */
    private static final class Flat {
        private final MemorySegment data;
        private final ValueLayout layout;
        private final ValueLayout.OfFloat f4;
        private final ValueLayout.OfDouble f8;
        private final boolean columnMajor;
        private final long rows;
        private final long cols;

        Flat(MemorySegment data, ValueLayout element, Order order, int rows, int cols, String what) {
            if (element instanceof ValueLayout.OfFloat f) {
                this.f4 = f.withByteAlignment(1);
                this.f8 = null;
                this.layout = f4;
            } else if (element instanceof ValueLayout.OfDouble d) {
                this.f4 = null;
                this.f8 = d.withByteAlignment(1);
                this.layout = f8;
            } else {
                throw new IllegalArgumentException("element layout " + element + " is neither float nor double");
            }
            long needed = (long) rows * cols * element.byteSize();
            if (data.byteSize() < needed) {
                throw new IllegalArgumentException("the " + what + " holds " + data.byteSize() + " bytes; a " + rows
                        + " x " + cols + " matrix of " + element.byteSize() + "-byte elements needs " + needed);
            }
            this.data = data;
            this.columnMajor = order == Order.COLUMN_MAJOR;
            this.rows = rows;
            this.cols = cols;
        }

        boolean isDouble() {
            return f8 != null;
        }

        private long index(long i, long j) {
            return columnMajor ? j * rows + i : i * cols + j;
        }

        double get(long i, long j) {
            return f4 != null ? data.getAtIndex(f4, index(i, j)) : data.getAtIndex(f8, index(i, j));
        }

        void set(long i, long j, double x) {
            if (f4 != null) {
                data.setAtIndex(f4, index(i, j), (float) x);
            } else {
                data.setAtIndex(f8, index(i, j), x);
            }
        }
    }
}
