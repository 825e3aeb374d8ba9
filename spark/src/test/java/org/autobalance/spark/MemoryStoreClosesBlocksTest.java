package org.autobalance.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.storage.StorageLevel;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What {@link MatrixBlock} relies on to free the executors' native memory: Spark's memory store closes an
 * {@link AutoCloseable} cached value when the block is dropped. If a Spark upgrade stops doing so, this fails.
 */
@Tag("spark")
class MemoryStoreClosesBlocksTest {
    /** The matrices the tasks made (local mode: the tasks run in this JVM). */
    static final List<DenseMatrix> MADE = Collections.synchronizedList(new ArrayList<>());

    @Test
    void unpersistingCachedBlocksClosesThem() {
        MADE.clear();
        JavaRDD<MatrixBlock> blocks = SharedSpark.context().parallelize(List.of(0, 1, 2), 3).map(p -> {
            DenseMatrix x = DenseMatrix.allocate(DType.FLOAT64, 4, 4);
            MADE.add(x);
            return new MatrixBlock(p, 4L * p, x);
        }).persist(StorageLevel.MEMORY_ONLY());
        assertEquals(3, blocks.count());
        assertEquals(3, blocks.count(), "the second action reads the cache");
        assertEquals(3, MADE.size(), "each block made once");
        assertFalse(MADE.stream().anyMatch(DenseMatrix::isClosed), "closed while cached");
        blocks.unpersist(true);
        assertTrue(MADE.stream().allMatch(DenseMatrix::isClosed), "not closed when unpersisted");
    }
}
