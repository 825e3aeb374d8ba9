package org.autobalance.spark;

import org.autobalance.memory.DenseMatrix;

/**
 * One partition's rows of M, in native memory on the executor that read them. Cached by Spark as a deserialized
 * object and never serialized: M does not travel, only its row blocks' descriptions do. Spark's memory store closes
 * an {@link AutoCloseable} cached value when it drops the block (unpersist, eviction, shutdown), which frees the
 * native memory; a lost block is read again from the input.
 *
 * @param partition the partition index (its rows come in partition order)
 * @param firstRow the global index of the block's first row
 * @param rows the block (rows × d2), owned
 */
record MatrixBlock(int partition, long firstRow, DenseMatrix rows) implements AutoCloseable {
    @Override
    public void close() {
        rows.close();
    }
}
