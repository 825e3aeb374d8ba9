package org.autobalance.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.size;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
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

    /** The columns' names as the files spell them ({@value #ROW} and {@value #VALUES} in any case). */
    private final String rowColumn;
    private final String valuesColumn;

    private ParquetRows(String path, long rows, int cols, int partitions, String rowColumn, String valuesColumn) {
        super(path, rows, cols, partitions);
        this.rowColumn = rowColumn;
        this.valuesColumn = valuesColumn;
    }

    /**
     * A {@code .parquet} file, or a directory holding one at any depth (a Spark output directory, written with
     * {@code partitionBy} or not: the files of one written with it lie in subdirectories {@code name=value}), links
     * followed as Spark follows them.
     */
    static boolean isParquet(Path path) {
        if (path.getFileName().toString().endsWith(".parquet")) {
            return true;
        }
        if (!Files.isDirectory(path)) {
            return false;
        }
        try (Stream<Path> files = Files.walk(path, FileVisitOption.FOLLOW_LINKS)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".parquet") && Files.isRegularFile(f));
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalArgumentException("cannot list input directory " + path + ": " + e.getMessage(), e);
        }
    }

    /** The first and last bytes of every Parquet file. */
    private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);

    /**
     * Refuses, before Spark reads it, Parquet input that Spark would fail on in its own words or read in part without
     * a word: in a directory, a file that is not Parquet (Spark reads every file whose name does not start with
     * {@code .} or {@code _}, and failed on a stray one: "[FAILED_READ_FILE.CANNOT_READ_FILE_FOOTER] … notes.txt.
     * Could not read footer", exit code 1) or a subdirectory not named {@code name=value} (partition discovery leaves
     * it out, and its rows with it); and a file without Parquet's magic bytes at both ends, as a copy cut short leaves
     * it ("[FAILED_READ_FILE.NO_HINT]", exit code 1).
     */
    static void requireOnlyParquetFiles(Path path) {
        String where = "Parquet input " + path + ": ";
        if (!Files.isDirectory(path)) {
            requireComplete(path, where);
            return;
        }
        try (Stream<Path> files = Files.walk(path, FileVisitOption.FOLLOW_LINKS)) {
            for (Path f : (Iterable<Path>) files.skip(1)::iterator) {
                if (hiddenFromSpark(path, f)) {
                    continue;
                }
                String name = path.relativize(f).toString();
                if (Files.isDirectory(f)) {
                    if (f.getFileName().toString().indexOf('=') < 1) {
                        throw new IllegalArgumentException(where + "subdirectory " + name + " is not named as a "
                                + "partition (column=value), and Spark does not read it: move it out");
                    }
                } else if (!f.getFileName().toString().endsWith(".parquet")) {
                    throw new IllegalArgumentException(where + name + " is not a .parquet file (Spark reads every "
                            + "file of the directory whose name does not start with . or _): move it out");
                } else {
                    requireComplete(f, where + name + " ");
                }
            }
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalArgumentException("cannot list input directory " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Refuses a path Spark's Parquet reader cannot take literally: one of {@code [ ] { } * ?} or a backslash makes it
     * a glob (escaped by {@link #literal}), and Hadoop's glob then takes each component for a path of its own, a
     * colon in one for a URI scheme ("URISyntaxException: Relative path in absolute URI").
     */
    static void requireReadablePath(Path path) {
        String absolute = path.toAbsolutePath().toString();
        if (!literal(absolute).equals(absolute) && absolute.indexOf(':') >= 0) {
            throw new IllegalArgumentException("Parquet input " + path + ": Spark's Parquet reader cannot read a path "
                    + "with both a colon and one of [ ] { } * ? \\ (Hadoop's glob takes the colon for a URI scheme): "
                    + "rename it, or give a link to it without them");
        }
    }

    /** Whether Spark leaves out {@code f}, below {@code root}: it, or a directory between, starts with . or _. */
    private static boolean hiddenFromSpark(Path root, Path f) {
        for (Path p = f; !p.equals(root); p = p.getParent()) {
            if (MatrixSource.skippedBySpark(p)) {
                return true;
            }
        }
        return false;
    }

    /** Refuses a Parquet file that does not start and end with its magic bytes (truncated, or not Parquet). */
    private static void requireComplete(Path file, String where) {
        try (FileChannel c = FileChannel.open(file)) {
            long size = c.size();
            ByteBuffer head = ByteBuffer.allocate(MAGIC.length);
            ByteBuffer tail = ByteBuffer.allocate(MAGIC.length);
            if (size >= MAGIC.length) {
                c.read(head, 0);
            }
            if (size >= 3L * MAGIC.length) { // magic, footer length, magic at least
                c.read(tail, size - MAGIC.length);
            }
            if (!Arrays.equals(head.array(), MAGIC) || !Arrays.equals(tail.array(), MAGIC)) {
                throw new IllegalArgumentException(where + "is not a whole Parquet file (" + size + " bytes, "
                        + (Arrays.equals(head.array(), MAGIC) ? "without the PAR1 that ends one: truncated? write or "
                                + "copy it again" : "not starting with PAR1") + ")");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(where + "cannot be read: " + e.getMessage(), e);
        }
    }

    static ParquetRows of(JavaSparkContext sc, Path path, int partitions) {
        // absolute: Hadoop's Path takes the col of a relative col:on for a URI scheme
        String absolute = path.toAbsolutePath().toString();
        Dataset<Row> df = read(sc, absolute);
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
        // by the names found: with spark.sql.caseSensitive set, ROW is not 'row'
        Column index = col(row.name());
        Column array = col(values.name());
        Row stats = df.agg(count(lit(1)), min(index), max(index), min(size(array)), max(size(array)), count(index),
                count(array)).first();
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
        return new ParquetRows(absolute, n, minSize,
                checkPartitions(partitions, sc.defaultParallelism(), n, where), row.name(), values.name());
    }

    private static Dataset<Row> read(JavaSparkContext sc, String path) {
        return SparkSession.builder().sparkContext(sc.sc()).getOrCreate().read().parquet(literal(path));
    }

    /**
     * {@code path} as a Hadoop path pattern that matches it alone: Spark's reader takes a path with any of
     * {@code [ ] { } * ?} or a backslash as a glob, so an input M[1] was read as the directory M1 beside it, without a
     * word (or failed on a sibling whose name Hadoop cannot parse). A backslash escapes one character in Hadoop's
     * patterns.
     */
    static String literal(String path) {
        StringBuilder b = new StringBuilder(path.length());
        for (char c : path.toCharArray()) {
            if ("[]{}*?\\".indexOf(c) >= 0) {
                b.append('\\');
            }
            b.append(c);
        }
        return b.toString();
    }

    /**
     * The column {@code name}, found as Spark's SQL finds it: regardless of case (ROW and Values were refused here,
     * then read by Spark; two columns that differ only in case Spark refuses as it reads the schema).
     */
    private static StructField field(StructType schema, String name, String where) {
        for (StructField f : schema.fields()) {
            if (f.name().equalsIgnoreCase(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException(where + " has no column '" + name + "' (expected columns '" + ROW
                + "' and '" + VALUES + "', found " + String.join(", ", schema.fieldNames()) + ")");
    }

    @Override
    JavaRDD<MatrixBlock> blocks(JavaSparkContext sc, DType dtype) {
        ParquetRows source = this;
        return read(sc, path).select(col(rowColumn).cast(DataTypes.LongType), col(valuesColumn)).javaRDD()
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
