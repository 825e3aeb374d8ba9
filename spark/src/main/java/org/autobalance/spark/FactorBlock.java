package org.autobalance.spark;

import java.io.Serial;
import java.io.Serializable;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * One partition's rows of the left factor U at one iterate, immutable: the next iterate is a new block computed from
 * this one, so a retried or recomputed task starts from the same bits and never applies an update twice. Kept on the
 * heap (it is what a checkpoint writes); a task copies it into native memory for the kernels.
 *
 * <p>The {@link #partials()} are what the task that made this block reports to the driver. They are transient: the
 * driver collects them right after the block is computed, so a checkpoint need not store them.
 */
final class FactorBlock implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    private final int partition;
    private final int rows;
    private final int rank;
    private final DType dtype;
    private final byte[] bytes;
    private final transient Partials partials;

    private FactorBlock(int partition, int rows, int rank, DType dtype, byte[] bytes, Partials partials) {
        this.partition = partition;
        this.rows = rows;
        this.rank = rank;
        this.dtype = dtype;
        this.bytes = bytes;
        this.partials = partials;
    }

    /** The block holding a copy of {@code u}, with the partials of the task that computed it. */
    static FactorBlock of(int partition, DenseMatrix u, Partials partials) {
        return new FactorBlock(partition, u.rows(), u.cols(), u.dtype(), EngineAdapter.toBytes(u), partials);
    }

    int partition() {
        return partition;
    }

    int rows() {
        return rows;
    }

    /** Its columns: U's rank. */
    int rank() {
        return rank;
    }

    /** Copies the block into {@code u} (of its shape). */
    void copyInto(DenseMatrix u) {
        EngineAdapter.copyInto(bytes, u);
    }

    /** Copies the block into rows {@code [firstRow, firstRow + rows())} of {@code x} (of its columns). */
    void copyInto(DenseMatrix x, long firstRow) {
        EngineAdapter.copyRows(bytes, x, firstRow);
    }

    /** Whether {@code u} (of its shape) holds this block's values, bit for bit (padding aside). */
    boolean sameValues(DenseMatrix u) {
        return EngineAdapter.sameValues(bytes, u);
    }

    /** The block in native memory (the caller closes it). */
    DenseMatrix toMatrix() {
        return EngineAdapter.fromBytes(bytes, dtype, rows, rank);
    }

    /** The partials of the task that computed this block; null once read back from a checkpoint. */
    Partials partials() {
        return partials;
    }
}
