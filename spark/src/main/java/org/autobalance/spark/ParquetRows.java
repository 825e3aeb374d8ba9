package org.autobalance.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.size;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.Float32RangeException;
import scala.Tuple2;

/**
 * M as Parquet, one row per matrix row: a column {@value #ROW} (integer, the 0-based row index i) and a column
 * {@value #VALUES} (array of double, float or integer — converted to the nearest double, as core's {@code .npy} reader
 * converts integers — the d2 entries M[i, 0..d2)). A file or a directory of part files, as
 * {@code df.write.parquet(...)} leaves it. Parquet has no row order that survives Spark's file splitting, hence the
 * explicit index; each index 0..d1−1 must appear exactly once.
 *
 * <p>The executors read the files; one shuffle sends each row to the partition of its contiguous row range (the
 * engine's chunking of d1 rows into P), where the rows are assembled into an off-heap block.
 */
final class ParquetRows extends MatrixSource.RowRangeSplit {
    private static final long serialVersionUID = 1L;

    static final String ROW = "row";
    static final String VALUES = "values";
    /** The types of {@value #ROW}: every integer type (a tinyint index was refused as "not an integer"). */
    private static final List<DataType> INTEGERS = List.of(DataTypes.LongType, DataTypes.IntegerType,
            DataTypes.ShortType, DataTypes.ByteType);
    /** The element types of {@value #VALUES}. */
    private static final List<DataType> NUMBERS = Stream.concat(Stream.of(DataTypes.DoubleType, DataTypes.FloatType),
            INTEGERS.stream()).toList();

    private ParquetRows(String path, long rows, int cols, int partitions) {
        super(path, rows, cols, partitions);
    }

    /** A {@code .parquet} file, or a directory holding one (a Spark output directory). */
    static boolean isParquet(Path path) {
        if (path.getFileName().toString().endsWith(".parquet")) {
            return true;
        }
        if (!Files.isDirectory(path)) {
            return false;
        }
        try (Stream<Path> files = Files.list(path)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".parquet"));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot list input directory " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Refuses, before Spark reads it, a Parquet directory holding a file that is not Parquet: Spark reads every file
     * there whose name does not start with {@code .} or {@code _}, and failed on a stray one in its own words
     * ("[FAILED_READ_FILE.CANNOT_READ_FILE_FOOTER] … notes.txt. Could not read footer"), exit code 1.
     */
    static void requireOnlyParquetFiles(Path path) {
        if (!Files.isDirectory(path)) {
            return;
        }
        try (Stream<Path> files = Files.list(path)) {
            files.filter(f -> !MatrixSource.skippedBySpark(f) && Files.isRegularFile(f)
                    && !f.getFileName().toString().endsWith(".parquet")).findFirst().ifPresent(f -> {
                        throw new IllegalArgumentException("Parquet input " + path + ": " + f.getFileName()
                                + " is not a .parquet file (Spark reads every file of the directory whose name does "
                                + "not start with . or _): move it out");
                    });
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot list input directory " + path + ": " + e.getMessage(), e);
        }
    }

    static ParquetRows of(JavaSparkContext sc, Path path, int partitions) {
        Dataset<Row> df = read(sc, path.toString());
        StructType schema = df.schema();
        String where = "Parquet input " + path;
        StructField row = field(schema, ROW, where);
        StructField values = field(schema, VALUES, where);
        if (!INTEGERS.contains(row.dataType())) {
            throw new IllegalArgumentException(where + ": column '" + ROW + "' must be an integer, found "
                    + row.dataType().simpleString());
        }
        // integers are converted to the nearest double, as a .npy of integers is (they were refused); a column that
        // is not an array (one number per row) was a NullPointerException, exit code 1: List.of(…).contains(null)
        // throws
        if (!(values.dataType() instanceof ArrayType a) || !NUMBERS.contains(a.elementType())) {
            throw new IllegalArgumentException(where + ": column '" + VALUES + "' must be an array of numbers "
                    + "(double, float or integer), found " + values.dataType().simpleString());
        }
        Row stats = df.agg(count(lit(1)), min(col(ROW)), max(col(ROW)), min(size(col(VALUES))),
                max(size(col(VALUES))), count(col(ROW)), count(col(VALUES))).first();
        long n = stats.getLong(0);
        if (n == 0) {
            throw new IllegalArgumentException(where + " has no rows");
        }
        if (stats.getLong(5) != n) {
            // min and max skip nulls: rows {0, 3, 3, null} passed the index check, and a task failed on the null
            throw new IllegalArgumentException(where + ": " + (n - stats.getLong(5)) + " of its " + n + " rows have "
                    + "no '" + ROW + "' index (null)");
        }
        if (stats.getLong(6) != n) {
            // sizes skip nulls too: a null array failed a task, and with every array null reading the sizes failed in
            // Spark's words ("[ROW_VALUE_IS_NULL] Found NULL in a row at the index 3"), exit code 1
            throw new IllegalArgumentException(where + ": " + (n - stats.getLong(6)) + " of its " + n + " rows have "
                    + "no '" + VALUES + "' array (null)");
        }
        long minRow = ((Number) stats.get(1)).longValue();
        long maxRow = ((Number) stats.get(2)).longValue();
        if (minRow != 0 || maxRow != n - 1) {
            throw new IllegalArgumentException(where + ": the '" + ROW + "' indices must be 0.." + (n - 1)
                    + ", each once (there are " + n + " rows), found " + minRow + ".." + maxRow);
        }
        int minSize = stats.getInt(3);
        int maxSize = stats.getInt(4);
        if (minSize != maxSize || minSize < 1) {
            throw new IllegalArgumentException(where + ": every '" + VALUES + "' array must have the same positive "
                    + "length, found lengths from " + minSize + " to " + maxSize);
        }
        return new ParquetRows(path.toString(), n, minSize,
                checkPartitions(partitions, sc.defaultParallelism(), n, where));
    }

    private static Dataset<Row> read(JavaSparkContext sc, String path) {
        return SparkSession.builder().sparkContext(sc.sc()).getOrCreate().read().parquet(path);
    }

    private static StructField field(StructType schema, String name, String where) {
        for (StructField f : schema.fields()) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException(where + " has no column '" + name + "' (expected columns '" + ROW
                + "' and '" + VALUES + "', found " + String.join(", ", schema.fieldNames()) + ")");
    }

    @Override
    JavaRDD<MatrixBlock> blocks(JavaSparkContext sc, DType dtype) {
        ParquetRows source = this;
        return read(sc, path).select(col(ROW).cast(DataTypes.LongType), col(VALUES)).javaRDD()
                .mapToPair(r -> new Tuple2<>(r.getLong(0), r.getList(1)))
                .partitionBy(new RowRanges(rows(), partitions))
                .mapPartitionsWithIndex((p, it) -> List.of(source.assemble(p, it, dtype)).iterator(), true);
    }

    private MatrixBlock assemble(int p, Iterator<Tuple2<Long, List<Object>>> rowsOfP, DType dtype) {
        long first = chunkStart(p);
        int count = (int) (chunkStart(p + 1) - first);
        DenseMatrix block = DenseMatrix.allocate(dtype, count, cols());
        try {
            BitSet seen = new BitSet(count);
            while (rowsOfP.hasNext()) {
                Tuple2<Long, List<Object>> r = rowsOfP.next();
                int i = (int) (r._1() - first);
                if (seen.get(i)) {
                    throw new IllegalArgumentException("Parquet input " + path + ": row index " + r._1()
                            + " appears more than once");
                }
                seen.set(i);
                List<Object> values = r._2();
                if (values == null || values.size() != cols()) {
                    throw new IllegalArgumentException("Parquet input " + path + ": row " + r._1() + " has "
                            + (values == null ? "no array" : values.size() + " values") + ", expected " + cols());
                }
                for (int j = 0; j < values.size(); j++) {
                    Object x = values.get(j);
                    if (x == null) {
                        throw new IllegalArgumentException("Parquet input " + path + ": row " + r._1()
                                + " has a null at column " + j + " (0-based)");
                    }
                    double value = ((Number) x).doubleValue();
                    if (!Double.isFinite(value)) {
                        throw new IllegalArgumentException("Parquet input " + path + ": non-finite value " + value
                                + " at row " + r._1() + ", column " + j + " (0-based)");
                    }
                    try {
                        block.set(i, j, value);
                    } catch (Float32RangeException e) {
                        // its position is the block's (row 1 of the second block, counted from 0), and the input
                        // was not named
                        throw new IllegalArgumentException("Parquet input " + path + ": value " + value + " at row "
                                + r._1() + ", column " + j + " (0-based) is outside the float32 range (it rounds to "
                                + "infinity); read it as float64", e);
                    }
                }
            }
            if (seen.cardinality() != count) {
                throw new IllegalArgumentException("Parquet input " + path + ": row index " + (first
                        + seen.nextClearBit(0)) + " is missing");
            }
            return new MatrixBlock(p, first, block);
        } catch (RuntimeException e) {
            block.close();
            throw e;
        }
    }

    /** Row index → the partition of its contiguous range: the engine's chunking of d1 rows into P. */
    static final class RowRanges extends Partitioner {
        private static final long serialVersionUID = 1L;
        private final long rows;
        private final int partitions;

        RowRanges(long rows, int partitions) {
            this.rows = rows;
            this.partitions = partitions;
        }

        @Override
        public int numPartitions() {
            return partitions;
        }

        @Override
        public int getPartition(Object key) {
            long i = (Long) key;
            // the largest p with rows·p/P ≤ i
            int p = (int) (((i + 1) * partitions - 1) / rows);
            while (p > 0 && rows * p / partitions > i) {
                p--;
            }
            while (p + 1 < partitions && rows * (p + 1) / partitions <= i) {
                p++;
            }
            return p;
        }
    }
}
