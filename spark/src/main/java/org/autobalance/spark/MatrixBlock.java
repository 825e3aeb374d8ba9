package org.autobalance.spark;

import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * One partition's rows of M, in native memory on the executor that read them. Cached by Spark as a deserialized
 * object and never serialized: M does not travel, only its row blocks' descriptions do. Spark's memory store closes
 * an {@link AutoCloseable} cached value when it drops the block (unpersist, eviction, shutdown), which frees the
 * native memory; a lost block is read again from the input.
 *
 * <p>The block also keeps the native scratch of the tasks that iterate over it (U's rows, V, MV, MᵀU), so that an
 * iteration allocates none: allocating fresh native memory per task cost about 15 % of the task's time at
 * d2 = 8192, r = 64 (JFR: zeroing newly mapped pages). The scratch is freed with the block.
 */
final class MatrixBlock implements AutoCloseable {
    private final int partition;
    private final long firstRow;
    private final DenseMatrix rows;
    private Scratch idle;
    private boolean closed;

    /**
     * @param partition the partition index (its rows come in partition order)
     * @param firstRow the global index of the block's first row
     * @param rows the block (rows × d2), owned
     */
    MatrixBlock(int partition, long firstRow, DenseMatrix rows) {
        this.partition = partition;
        this.firstRow = firstRow;
        this.rows = rows;
    }

    int partition() {
        return partition;
    }

    long firstRow() {
        return firstRow;
    }

    DenseMatrix rows() {
        return rows;
    }

    /** A task's scratch for rank {@code r}: U's rows and MV (rows × r), V and MᵀU (d2 × r). Contents undefined. */
    record Scratch(DenseMatrix u, DenseMatrix v, DenseMatrix mv, DenseMatrix mtu) implements AutoCloseable {
        static Scratch allocate(DType dtype, int rows, int d2, int r) {
            DenseMatrix u = DenseMatrix.allocate(dtype, rows, r);
            DenseMatrix v = null;
            DenseMatrix mv = null;
            try {
                v = DenseMatrix.allocate(dtype, d2, r);
                mv = DenseMatrix.allocate(dtype, rows, r);
                return new Scratch(u, v, mv, DenseMatrix.allocate(dtype, d2, r));
            } catch (RuntimeException | Error e) {
                u.close();
                if (v != null) {
                    v.close();
                }
                if (mv != null) {
                    mv.close();
                }
                throw e;
            }
        }

        boolean fits(DType dtype, int r) {
            return u.dtype() == dtype && u.cols() == r;
        }

        @Override
        public void close() {
            u.close();
            v.close();
            mv.close();
            mtu.close();
        }
    }

    /** The block's scratch for rank r (allocated on first use, or fresh if another task holds it); give it back. */
    synchronized Scratch takeScratch(DType dtype, int r) {
        Scratch s = idle;
        idle = null;
        if (s != null && s.fits(dtype, r)) {
            return s;
        }
        if (s != null) {
            s.close();
        }
        return Scratch.allocate(dtype, rows.rows(), rows.cols(), r);
    }

    /** Returns scratch taken by {@link #takeScratch}; freed at once if the block is closed or holds one already. */
    synchronized void giveBack(Scratch s) {
        if (closed || idle != null) {
            s.close();
        } else {
            idle = s;
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        rows.close();
        if (idle != null) {
            idle.close();
            idle = null;
        }
    }
}
