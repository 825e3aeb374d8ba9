package org.autobalance.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.autobalance.io.MatrixMarket;
import org.autobalance.io.internal.FileChecks;
import org.autobalance.io.Npy;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;

/**
 * Where M comes from, validated on the driver (shape, and for shards every shard's header) before any work, and read
 * by the executors: each partition's task reads its own rows into a {@link MatrixBlock}; M never passes through the
 * driver into Spark.
 *
 * <ul>
 *   <li>a single Matrix Market file ({@code .mtx}): for small cases; split into {@code partitions} contiguous row
 *       ranges as the engine splits rows between threads, the driver parses it whole once to check it, and every
 *       task reads the text through but converts and keeps only its rows (the format is column-major); a single
 *       {@code .npy} file likewise, each task reading only its rows;
 *   <li>a directory of row-block shards: {@code .npy} files {@code <prefix><index>.npy} with one prefix and the
 *       indices 0 … n−1 (zero padding optional), shard k holding the rows after shard k−1, all 2-D with the same
 *       columns and dtype; names starting with {@code .} or {@code _} (Spark's {@code _SUCCESS}) are ignored. One
 *       partition per shard;
 *   <li>Parquet (a file, or a directory as {@code df.write.parquet} leaves it): one row per matrix row, an integer
 *       column {@code row} (0-based, each index once) and a column {@code values} (array of float or double).
 * </ul>
 *
 * <p>(The shard classes themselves are not public: {@link #open} chooses by what is at the path.)
 */
public abstract class MatrixSource implements Serializable {
    private static final long serialVersionUID = 1L;

    /** d1, M's rows. */
    private final long rows;
    /** d2, M's columns. */
    private final int cols;

    MatrixSource(long rows, int cols) {
        this.rows = rows;
        this.cols = cols;
    }

    /** d1. */
    public long rows() {
        return rows;
    }

    /** d2. */
    public int cols() {
        return cols;
    }

    /** The number of partitions (row blocks). */
    public abstract int partitions();

    /**
     * First row of partition {@code p} of {@code partitions} contiguous row ranges: the engine's chunk boundary
     * {@code rows·p/partitions}, so that P partitions split the rows where P engine threads do.
     */
    long chunkStart(int p) {
        return rows * p / partitions();
    }

    /** The rows of each of the {@link #chunkStart} ranges. */
    long[] chunkRows() {
        long[] counts = new long[partitions()];
        for (int p = 0; p < counts.length; p++) {
            counts[p] = chunkStart(p + 1) - chunkStart(p);
        }
        return counts;
    }

    /** 0, 1, …, n−1, one per partition: what each partition's task reads its block from. */
    static JavaRDD<Integer> partitionIndices(JavaSparkContext sc, int n) {
        List<Integer> indices = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            indices.add(p);
        }
        return sc.parallelize(indices, n);
    }

    /** The rows of each partition, in partition (= row) order. */
    public abstract long[] partitionRows();

    /** What the input is, for messages and the summary. */
    public abstract String describe();

    /** One block per partition, in row order, read by the executors; not persisted (the caller caches it). */
    abstract JavaRDD<MatrixBlock> blocks(JavaSparkContext sc, DType dtype);

    /**
     * The input at {@code path}: a directory of {@code .npy} shards, a Parquet file or directory, or a single
     * {@code .mtx} or {@code .npy} file, split into {@code partitions} row ranges (0: Spark's default parallelism, at
     * most one per row; ignored for shards, whose layout sets the partitioning).
     *
     * @throws IllegalArgumentException naming the file and the problem, for anything unreadable or inconsistent
     */
    public static MatrixSource open(JavaSparkContext sc, Path path, int partitions) {
        MatrixSource checked = checkWithoutSpark(path, partitions);
        return checked == null ? ParquetRows.of(sc, path, partitions)
                : checked.withParallelism(sc.defaultParallelism());
    }

    /**
     * Checks, without Spark, what {@link #open} checks of a single file or a directory of shards — that it exists, its
     * headers (a {@code .mtx} file is parsed whole) and {@code partitions} against its rows — so that a truncated or
     * lying file is refused before a Spark context starts (14–17 s here); returns the source, which {@link
     * #withParallelism} completes once Spark's parallelism is known, so that nothing is read twice. A Parquet input is
     * read through Spark and left to {@link #open}: null.
     *
     * @param partitions as for {@link #open}
     * @throws IllegalArgumentException as {@link #open} does
     */
    public static MatrixSource checkWithoutSpark(Path path, int partitions) {
        if (!Files.exists(path)) {
            // file:///x arrives as the relative path file:/x; hdfs://h/x as hdfs:/h/x
            throw new IllegalArgumentException("input " + path + " does not exist" + (path.toString().matches(
                    "[A-Za-z][A-Za-z0-9+.-]*:/.*") ? " (a URI? the input is a path on the driver's file system, which "
                            + "the executors must see too: mount the file system there, or copy the input)" : ""));
        }
        String name = path.getFileName().toString();
        if (ParquetRows.isParquet(path)) {
            ParquetRows.requireReadablePath(path);
            ParquetRows.requireOnlyParquetFiles(path);
            return null;
        }
        if (Files.isDirectory(path)) {
            return ShardDirectory.of(path);
        }
        if (!Files.isRegularFile(path)) {
            // the driver and then every task open it: a second opening of a drained pipe waits for ever
            throw new IllegalArgumentException("input " + path + " is not a regular file (a pipe can be read once; "
                    + "every task reads its rows from the file): save it to a file first");
        }
        if (name.endsWith(".npy")) {
            return SingleFile.npy(path, partitions);
        }
        return SingleFile.matrixMarket(path, partitions);
    }

    /**
     * This input with its partitioning settled: split into {@code defaultParallelism} row ranges (at most one per row)
     * if it was checked with 0 partitions and is free to be split (a single file); otherwise itself.
     */
    public MatrixSource withParallelism(int defaultParallelism) {
        return this;
    }

    /**
     * One input at a path split into {@code partitions} contiguous row ranges, the engine's chunks
     * ({@link #chunkStart}): a single file, or Parquet.
     */
    abstract static class RowRangeSplit extends MatrixSource {
        private static final long serialVersionUID = 1L;

        final String path;
        final int partitions;

        RowRangeSplit(String path, long rows, int cols, int partitions) {
            super(rows, cols);
            this.path = path;
            this.partitions = partitions;
        }

        /**
         * The partitions asked for if there are between 1 and {@code rows} of them; for 0, {@code fallback} but at
         * most {@code rows} (a default never fails on a small input).
         *
         * @throws IllegalArgumentException naming {@code where} (the input), otherwise
         */
        static int checkPartitions(int partitions, int fallback, long rows, String where) {
            int p = partitions == 0 ? (int) Math.min(fallback, rows) : partitions;
            if (p < 1 || p > rows) {
                throw new IllegalArgumentException("--partitions must be between 1 and the " + rows + " rows of "
                        + where + ", got " + partitions);
            }
            return p;
        }

        @Override
        public int partitions() {
            return partitions;
        }

        @Override
        public long[] partitionRows() {
            return chunkRows();
        }

        @Override
        public String describe() {
            return path;
        }
    }

    /**
     * A single file: a {@code .npy} task reads only its contiguous range of rows; a {@code .mtx} task reads the whole
     * text (column-major order cannot be split by rows without reading it all) but converts and keeps only its rows
     * ({@link MatrixMarket#readRows}), the driver having checked every value once.
     */
    static final class SingleFile extends RowRangeSplit {
        private static final long serialVersionUID = 1L;

        private final boolean npy;

        /** @param partitions the row ranges, or 0 until {@link #withParallelism} settles them */
        private SingleFile(String path, boolean npy, long rows, int cols, int partitions) {
            super(path, rows, cols, partitions);
            this.npy = npy;
        }

        static SingleFile matrixMarket(Path path, int partitions) {
            // parsed whole once on the driver to check every value (a small case by definition) and learn the shape
            try (DenseMatrix m = MatrixMarket.read(path, DType.FLOAT64)) {
                return new SingleFile(path.toString(), false, m.rows(), m.cols(), partitions == 0 ? 0
                        : checkPartitions(partitions, 1, m.rows(), path.toString()));
            } catch (IOException e) {
                throw new IllegalArgumentException(FileChecks.cannotRead("M", path, e), e);
            }
        }

        static SingleFile npy(Path path, int partitions) {
            long[] shape = ShardDirectory.shape(path);
            return new SingleFile(path.toString(), true, shape[0], (int) shape[1], partitions == 0 ? 0
                    : checkPartitions(partitions, 1, shape[0], path.toString()));
        }

        @Override
        public MatrixSource withParallelism(int defaultParallelism) {
            return partitions != 0 ? this : new SingleFile(path, npy, rows(), cols(),
                    checkPartitions(0, defaultParallelism, rows(), path));
        }

        @Override
        JavaRDD<MatrixBlock> blocks(JavaSparkContext sc, DType dtype) {
            if (partitions == 0) {
                throw new IllegalStateException("the partitioning of " + path + " is not settled: see withParallelism");
            }
            SingleFile source = this;
            return partitionIndices(sc, partitions).map(p -> source.read(p, dtype));
        }

        private MatrixBlock read(int p, DType dtype) {
            requirePartition(p);
            long first = chunkStart(p);
            int count = (int) (chunkStart(p + 1) - first);
            Path file = Path.of(path);
            try {
                if (npy) {
                    return new MatrixBlock(p, first, ShardDirectory.readRows(file, rows(), cols(), first, count,
                            dtype));
                }
                MatrixMarket.Header now = MatrixMarket.readHeader(file);
                if (now.rows() != rows() || now.cols() != cols()) {
                    throw new IllegalStateException("input " + path + " changed during the run: now "
                            + now.rows() + " x " + now.cols() + ", was " + rows() + " x " + cols());
                }
                return new MatrixBlock(p, first, MatrixMarket.readRows(file, dtype, first, count));
            } catch (IOException e) {
                throw new UncheckedIOException(FileChecks.cannotRead("M", file, e), e);
            }
        }
    }

    /**
     * The one element of a partition's iterator. Reading past it also completes the iterator, which releases Spark's
     * read lock on a cached block at once: for U's blocks, which a task copies before use. M's blocks are used in
     * place, so their lock must hold while the task uses them (a block whose lock is released may be evicted, and
     * eviction frees it): read them with {@code next()} and call {@link #end} when done.
     */
    static <T> T single(java.util.Iterator<T> elements) {
        T element = elements.next();
        end(elements);
        return element;
    }

    /** Completes a partition's iterator after its one element (releasing the lock on a cached block). */
    static void end(java.util.Iterator<?> elements) {
        if (elements.hasNext()) {
            throw new IllegalStateException("a partition holds more than one block");
        }
    }

    /** Whether Spark's file listing skips the file: a name starting with {@code .} or {@code _}. */
    static boolean skippedBySpark(java.nio.file.Path file) {
        String name = file.getFileName().toString();
        return name.startsWith(".") || name.startsWith("_");
    }

    /** Checks that the task computing a block is the partition the block belongs to (one element per partition). */
    static void requirePartition(int p) {
        TaskContext context = TaskContext.get();
        if (context != null && context.partitionId() != p) {
            throw new IllegalStateException("block " + p + " computed in partition " + context.partitionId());
        }
    }
}
