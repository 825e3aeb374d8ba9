package org.autobalance.spark;

import java.nio.file.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.autobalance.memory.DType;

/** A directory of row-block shards (placeholder until core's .npy reader lands). */
final class ShardDirectory extends MatrixSource {
    private static final long serialVersionUID = 1L;

    private ShardDirectory() {
        super(0, 0);
    }

    static ShardDirectory of(Path path) {
        throw new IllegalArgumentException("shard directories are not supported yet: " + path);
    }

    @Override
    public int partitions() {
        return 0;
    }

    @Override
    public long[] partitionRows() {
        return new long[0];
    }

    @Override
    public String describe() {
        return "";
    }

    @Override
    JavaRDD<MatrixBlock> blocks(JavaSparkContext sc, DType dtype) {
        throw new UnsupportedOperationException();
    }
}
