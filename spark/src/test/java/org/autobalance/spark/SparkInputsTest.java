package org.autobalance.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.autobalance.io.MatrixMarket;
import org.autobalance.io.Npy;
import org.autobalance.io.NpyHeader;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.schedule.ConstantSchedule;
import org.autobalance.solve.Initializer;
import org.autobalance.testing.Fixtures;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The inputs at scale against the single-file input: numpy-written shards and Parquet give the factors of the scipy
 * written .mtx of the same matrix, bit for bit (same rows per partition); bad shards are named.
 */
@Tag("spark")
class SparkInputsTest {
    static final int RANK = 3;

    @TempDir
    Path dir;

    /** U and V after 20 iterations from a fixed small start (no σ₁ needed), with {@code partitions} (or the source's).
     */
    static double[][][] factors(MatrixSource source) {
        try (SparkResult r = SparkFactorizer.builder(RANK).initializer(Initializer.small(0.05)).seed(5)
                .schedule(new ConstantSchedule(0.01)).tolerance(0).maxIterations(20).driverThreads(2).build()
                .run(SharedSpark.context(), source, DType.FLOAT64);
                DenseMatrix u = r.collectU()) {
            return new double[][][] {u.toArray(), r.v().toArray()};
        }
    }

    static void assertSameBits(double[][][] expected, double[][][] actual) {
        for (int f = 0; f < 2; f++) {
            assertEquals(expected[f].length, actual[f].length);
            for (int i = 0; i < expected[f].length; i++) {
                assertArrayEquals(expected[f][i], actual[f][i], 0.0, (f == 0 ? "U" : "V") + " row " + i);
            }
        }
    }

    @Test
    void shardsGiveTheFactorsOfTheSingleFile() {
        MatrixSource shards = MatrixSource.open(SharedSpark.context(), Fixtures.fixture("shards"), 0);
        assertEquals(3, shards.partitions());
        assertArrayEquals(new long[] {13, 13, 14}, shards.partitionRows());
        assertEquals(40, shards.rows());
        assertEquals(23, shards.cols());
        MatrixSource single = MatrixSource.open(SharedSpark.context(), Fixtures.fixture("shards-M.mtx"), 3);
        assertArrayEquals(shards.partitionRows(), single.partitionRows());
        assertSameBits(factors(single), factors(shards));
    }

    @Test
    void parquetGivesTheFactorsOfTheSingleFile() throws IOException {
        Path mtx = Fixtures.fixture("shards-M.mtx");
        List<Row> rows = new ArrayList<>();
        try (DenseMatrix m = MatrixMarket.read(mtx, DType.FLOAT64)) {
            for (int i = 0; i < m.rows(); i++) {
                List<Double> values = new ArrayList<>();
                for (int j = 0; j < m.cols(); j++) {
                    values.add(m.get(i, j));
                }
                rows.add(RowFactory.create((long) i, values));
            }
        }
        // the rows in a random order, in four files: only the index column says where a row goes
        Collections.shuffle(rows, new Random(3));
        StructType schema = new StructType().add("row", DataTypes.LongType)
                .add("values", DataTypes.createArrayType(DataTypes.DoubleType));
        Path parquet = dir.resolve("M.parquet");
        SparkSession.builder().sparkContext(SharedSpark.context().sc()).getOrCreate()
                .createDataFrame(rows, schema).repartition(4).write().parquet(parquet.toString());
        MatrixSource source = MatrixSource.open(SharedSpark.context(), parquet, 3);
        assertEquals(40, source.rows());
        assertEquals(23, source.cols());
        assertSameBits(factors(MatrixSource.open(SharedSpark.context(), mtx, 3)), factors(source));
    }

    @Test
    void aSingleNpyFileGivesTheFactorsOfTheMatrixMarketFile() throws IOException {
        Path npy = dir.resolve("M.npy");
        try (DenseMatrix m = MatrixMarket.read(Fixtures.fixture("shards-M.mtx"), DType.FLOAT64)) {
            Npy.write(npy, m);
        }
        assertSameBits(factors(MatrixSource.open(SharedSpark.context(), Fixtures.fixture("shards-M.mtx"), 2)),
                factors(MatrixSource.open(SharedSpark.context(), npy, 2)));
    }

    /**
     * A task of a single {@code .npy} input reads only its rows: every row range of a C-order file (written by Npy)
     * and of numpy's Fortran-order shard equals those rows of the whole file as Npy reads it, in both precisions.
     */
    @Test
    void aSingleNpyFileIsReadRowsAtATime() throws IOException {
        Path cOrder = dir.resolve("rows-M.npy");
        try (DenseMatrix m = MatrixMarket.read(Fixtures.fixture("shards-M.mtx"), DType.FLOAT64)) {
            Npy.write(cOrder, m);
        }
        Path fortranOrder = Fixtures.fixture("shards").resolve("part-00001.npy");
        for (Path file : List.of(cOrder, fortranOrder)) {
            for (DType dtype : DType.values()) {
                try (DenseMatrix whole = Npy.read(file, dtype)) {
                    int d1 = whole.rows();
                    for (int[] range : new int[][] {{0, d1}, {0, 1}, {d1 - 1, 1}, {3, 7}, {d1 / 2, d1 - d1 / 2}}) {
                        try (DenseMatrix rows = ShardDirectory.readRows(file, d1, whole.cols(), range[0], range[1],
                                dtype)) {
                            assertEquals(range[1], rows.rows());
                            for (int i = 0; i < range[1]; i++) {
                                for (int j = 0; j < whole.cols(); j++) {
                                    assertEquals(whole.get(range[0] + i, j), rows.get(i, j), 0.0, file.getFileName()
                                            + " " + dtype.label() + " rows from " + range[0] + ", row " + i);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * A bad value in a task's rows of a single {@code .npy} input is placed by the file's row, 0-based, as factorize
     * of the file places it: a NaN in row 200 of 300 was "(rows 150 to 299): … at row 50" (the block's row).
     */
    @Test
    void aBadValueInATasksRowsIsPlacedByTheFilesRow() throws IOException {
        byte[] header = NpyHeader.encode("<f8", false, new long[] {300, 3});
        ByteBuffer bytes = ByteBuffer.allocate(header.length + 300 * 3 * 8).order(ByteOrder.LITTLE_ENDIAN).put(header);
        for (int k = 0; k < 300 * 3; k++) {
            bytes.putDouble(k == 199 * 3 + 2 ? Double.NaN : k);
        }
        Path file = Files.write(dir.resolve("Mnan.npy"), bytes.array());
        assertEquals(file + " (rows 150 to 299, 0-based): non-finite value NaN at row 199, column 2 (0-based)",
                assertThrows(IOException.class, () -> ShardDirectory.readRows(file, 300, 3, 150, 150, DType.FLOAT64))
                        .getMessage());
    }

    private static String rejection(Path input) {
        return assertThrows(IllegalArgumentException.class,
                () -> MatrixSource.open(SharedSpark.context(), input, 0)).getMessage();
    }

    private Path copyOfShards() throws IOException {
        Path copy = Files.createDirectories(dir.resolve("shards"));
        try (var files = Files.list(Fixtures.fixture("shards"))) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return copy;
    }

    @Test
    void aShardOfAnotherDtypeIsNamed() {
        String message = rejection(Fixtures.fixture("shards-mixed-dtype"));
        assertTrue(message.contains("part-00001.npy") && message.contains("'<f4'") && message.contains("'<f8'"),
                message);
        // core reads integer .npy files since main's 68abfb0: an int64 shard among float64 ones is one of another dtype
        message = rejection(Fixtures.fixture("shards-int"));
        assertTrue(message.contains("part-00001.npy") && message.contains("'<i8'") && message.contains("'<f8'"),
                message);
    }

    @Test
    void aShardOfAnotherWidthIsNamed() throws IOException {
        Path shards = copyOfShards();
        try (DenseMatrix narrow = DenseMatrix.allocate(DType.FLOAT64, 14, 22)) {
            narrow.fill(1.0);
            Npy.write(shards.resolve("part-00002.npy"), narrow);
        }
        String message = rejection(shards);
        assertTrue(message.contains("part-00002.npy") && message.contains("14 x 22") && message.contains("23"),
                message);
    }

    @Test
    void aMissingShardIsNamed() throws IOException {
        Path shards = copyOfShards();
        Files.delete(shards.resolve("part-00001.npy"));
        String message = rejection(shards);
        assertTrue(message.contains("shard 1 is missing") && message.contains("part-00002.npy"), message);
    }

    /** Cuts the last 8 bytes off the last of {@code shards}; returns what that shard now holds. */
    private byte[] truncateLastShard(Path shards) throws IOException {
        Path last = shards.resolve("part-00002.npy");
        byte[] bytes = Files.readAllBytes(last);
        byte[] truncated = Arrays.copyOf(bytes, bytes.length - 8);
        Files.write(last, truncated);
        return truncated;
    }

    @Test
    void aTruncatedShardIsNamed() throws IOException {
        Path shards = copyOfShards();
        truncateLastShard(shards);
        String message = rejection(shards);
        assertTrue(message.contains("part-00002.npy") && message.contains("bytes"), message);
    }

    /** spark-factorize refuses a bad header before it starts Spark: the check needs no context (null here). */
    @Test
    void headersAreCheckedWithoutSpark() throws IOException {
        Path shards = copyOfShards();
        byte[] truncated = truncateLastShard(shards);
        String message = assertThrows(IllegalArgumentException.class,
                () -> MatrixSource.checkWithoutSpark(shards, 0)).getMessage();
        assertTrue(message.contains("part-00002.npy") && message.contains("bytes"), message);
        Path single = dir.resolve("M.npy");
        Files.write(single, truncated);
        message = assertThrows(IllegalArgumentException.class, () -> MatrixSource.checkWithoutSpark(single, 0))
                .getMessage();
        assertTrue(message.contains("M.npy"), message);
        MatrixSource.checkWithoutSpark(Fixtures.fixture("shards"), 0); // a good input passes
    }

    @Test
    void aStrayFileIsNamed() throws IOException {
        Path shards = copyOfShards();
        Files.writeString(shards.resolve("notes.txt"), "not a shard");
        String message = rejection(shards);
        assertTrue(message.contains("notes.txt"), message);
    }

    /** A Parquet row whose index is null is refused before any task runs (min and max of the index skip it). */
    @Test
    void aParquetRowWithoutAnIndexIsNamed() {
        List<Row> rows = new ArrayList<>();
        for (Long index : Arrays.asList(0L, 3L, 3L, null)) {
            rows.add(RowFactory.create(index, List.of(1.0, 2.0)));
        }
        StructType schema = new StructType().add("row", DataTypes.LongType)
                .add("values", DataTypes.createArrayType(DataTypes.DoubleType));
        Path parquet = dir.resolve("nulls.parquet");
        SparkSession.builder().sparkContext(SharedSpark.context().sc()).getOrCreate()
                .createDataFrame(rows, schema).write().parquet(parquet.toString());
        String message = assertThrows(IllegalArgumentException.class,
                () -> MatrixSource.open(SharedSpark.context(), parquet, 2)).getMessage();
        assertEquals("Parquet input " + parquet + ": 1 of its 4 rows have no 'row' index (null)", message);
    }

    /**
     * Parquet values of integers are read, each converted to the nearest double as a {@code .npy} of integers is
     * (they were refused: "must be an array of float or double, found array<bigint>"): the factors of long and int
     * arrays are those of the same numbers as doubles.
     */
    @Test
    void parquetValuesOfIntegersAreReadAsTheirNearestDoubles() {
        List<Row> longs = new ArrayList<>();
        List<Row> longsAsDoubles = new ArrayList<>();
        List<Row> ints = new ArrayList<>();
        List<Row> intsAsDoubles = new ArrayList<>();
        for (long i = 0; i < 12; i++) {
            List<Long> l = new ArrayList<>();
            List<Integer> k = new ArrayList<>();
            for (long j = 0; j < 5; j++) {
                long x = (i * 7 + j * 3) % 11 - 5;
                l.add(x);
                k.add((int) x);
            }
            longs.add(RowFactory.create(i, l));
            longsAsDoubles.add(RowFactory.create(i, l.stream().map(Long::doubleValue).toList()));
            ints.add(RowFactory.create(i, k));
            intsAsDoubles.add(RowFactory.create(i, k.stream().map(Integer::doubleValue).toList()));
        }
        assertSameBits(factors(parquet("longs-as-doubles", longsAsDoubles, DataTypes.DoubleType)),
                factors(parquet("longs", longs, DataTypes.LongType)));
        assertSameBits(factors(parquet("ints-as-doubles", intsAsDoubles, DataTypes.DoubleType)),
                factors(parquet("ints", ints, DataTypes.IntegerType)));
    }

    /** {@code rows} written as Parquet with columns row and values (arrays of {@code element}), in 2 partitions. */
    private MatrixSource parquet(String name, List<Row> rows, DataType element) {
        return MatrixSource.open(SharedSpark.context(),
                written(name, rows, DataTypes.LongType, DataTypes.createArrayType(element)), 2);
    }

    /**
     * Columns of the wrong type are refused by name before any task runs: a 'values' column of one number per row (not
     * an array) was "NullPointerException", exit code 1; and a tinyint 'row' index, an integer, was refused as not
     * one: now read, to the factors of the same rows with a bigint index.
     */
    @Test
    void parquetColumnsOfTheWrongTypeAreNamedAndEveryIntegerIndexIsRead() {
        List<Row> scalars = new ArrayList<>();
        List<Row> strings = new ArrayList<>();
        List<Row> byteIndexed = new ArrayList<>();
        List<Row> longIndexed = new ArrayList<>();
        for (long i = 0; i < 12; i++) {
            List<Double> values = List.of(i % 5 - 2.0, (i * 7) % 11 - 5.0, (i * 3) % 4 + 0.5, 1.0 - i % 2);
            scalars.add(RowFactory.create(i, (double) i));
            strings.add(RowFactory.create(i, List.of("1.0", "2.0")));
            byteIndexed.add(RowFactory.create((byte) i, values));
            longIndexed.add(RowFactory.create(i, values));
        }
        assertEquals("Parquet input P: column 'values' must be an array of numbers (double, float or integer), found "
                + "double", refusal("scalar-values", scalars, DataTypes.DoubleType));
        assertEquals("Parquet input P: column 'values' must be an array of numbers (double, float or integer), found "
                + "array<string>", refusal("string-values", strings, DataTypes.createArrayType(DataTypes.StringType)));
        Path tinyint = written("tinyint-row", byteIndexed, DataTypes.ByteType,
                DataTypes.createArrayType(DataTypes.DoubleType));
        assertSameBits(factors(parquet("bigint-row", longIndexed, DataTypes.DoubleType)),
                factors(MatrixSource.open(SharedSpark.context(), tinyint, 2)));
    }

    /** Rows {i, values} of a 12 × 4 matrix, each with {@code extra} (when not null) as a third column. */
    private static List<Row> rowsOfA12By4(Integer extra) {
        List<Row> rows = new ArrayList<>();
        for (long i = 0; i < 12; i++) {
            List<Double> values = List.of(i % 5 - 2.0, (i * 7) % 11 - 5.0, (i * 3) % 4 + 0.5, 1.0 - i % 2);
            rows.add(extra == null ? RowFactory.create(i, values) : RowFactory.create(i, values, (int) (i % extra)));
        }
        return rows;
    }

    /**
     * Parquet as other writers leave it gives the factors of the plain file: written with {@code partitionBy} (its
     * files in subdirectories grp=0, grp=1, …, taken for a shard directory: "unexpected directory grp=0"), with
     * columns ROW and Values (Spark's SQL ignores case; they were refused), and at a path with a glob's characters
     * (M[1] was read as the M1 beside it, without a word).
     */
    @Test
    void parquetFromOtherWritersIsReadAsThePlainFile() {
        DataType doubles = DataTypes.createArrayType(DataTypes.DoubleType);
        double[][][] plain = factors(MatrixSource.open(SharedSpark.context(),
                written("plain", rowsOfA12By4(null), DataTypes.LongType, doubles), 2));
        SparkSession spark = SparkSession.builder().sparkContext(SharedSpark.context().sc()).getOrCreate();
        Path partitioned = dir.resolve("partitioned.parquet");
        spark.createDataFrame(rowsOfA12By4(3), new StructType().add("row", DataTypes.LongType).add("values", doubles)
                .add("grp", DataTypes.IntegerType)).write().partitionBy("grp").parquet(partitioned.toString());
        assertTrue(Files.isDirectory(partitioned.resolve("grp=2")), "the premise: partition directories");
        assertSameBits(plain, factors(MatrixSource.open(SharedSpark.context(), partitioned, 2)));
        Path cased = dir.resolve("cased.parquet");
        spark.createDataFrame(rowsOfA12By4(null), new StructType().add("ROW", DataTypes.LongType).add("Values",
                doubles)).write().parquet(cased.toString());
        assertSameBits(plain, factors(MatrixSource.open(SharedSpark.context(), cased, 2)));
        // g1.parquet matches the glob g[1].parquet: another matrix of 6 rows there
        written("g1", rowsOfA12By4(null).subList(0, 6).stream().map(r -> RowFactory.create(r.get(0), r.get(1)))
                .toList(), DataTypes.LongType, doubles);
        MatrixSource literal = MatrixSource.open(SharedSpark.context(), written("g[1]", rowsOfA12By4(null),
                DataTypes.LongType, doubles), 2);
        assertEquals(12, literal.rows());
        assertSameBits(plain, factors(literal));
        // a link to a Parquet directory, named as anything, is one (the way round a name Spark cannot read)
        Path link;
        try {
            link = Files.createSymbolicLink(dir.resolve("link-to-plain"), dir.resolve("plain.parquet"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertSameBits(plain, factors(MatrixSource.open(SharedSpark.context(), link, 2)));
    }

    /**
     * Without Spark: a Parquet file cut short is named (Spark failed on it in its own words, "[FAILED_READ_FILE.
     * NO_HINT]", exit code 1), as is a subdirectory that Spark would leave out, rows and all; an input given as a URI
     * says it is taken as a path.
     */
    @Test
    void aCutParquetFileAnUnreadSubdirectoryAndAUriAreNamed() throws IOException {
        DataType doubles = DataTypes.createArrayType(DataTypes.DoubleType);
        Path cut = written("cut", rowsOfA12By4(null), DataTypes.LongType, doubles);
        Path part;
        try (var files = Files.list(cut)) {
            part = files.filter(f -> f.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
        }
        assertNull(MatrixSource.checkWithoutSpark(cut, 0), "a whole one is left to Spark");
        Path moved = dir.resolve("whole.parquet");
        Files.copy(part, moved);
        long size = Files.size(part);
        try (FileChannel c = FileChannel.open(part, StandardOpenOption.WRITE)) {
            c.truncate(size - 10);
        }
        assertEquals("Parquet input " + cut + ": " + part.getFileName() + " is not a whole Parquet file ("
                + (size - 10) + " bytes, without the PAR1 that ends one: truncated? write or copy it again)",
                assertThrows(IllegalArgumentException.class, () -> MatrixSource.checkWithoutSpark(cut, 0))
                        .getMessage());
        // cut to its first bytes: still named as cut short
        try (FileChannel c = FileChannel.open(part, StandardOpenOption.WRITE)) {
            c.truncate(6);
        }
        assertEquals("Parquet input " + cut + ": " + part.getFileName() + " is not a whole Parquet file (6 bytes, "
                + "without the PAR1 that ends one: truncated? write or copy it again)",
                assertThrows(IllegalArgumentException.class, () -> MatrixSource.checkWithoutSpark(cut, 0))
                        .getMessage());
        Files.delete(part);
        Files.createDirectories(cut.resolve("extra"));
        Files.move(moved, cut.resolve("extra").resolve(part.getFileName()));
        assertEquals("Parquet input " + cut + ": subdirectory extra is not named as a partition (column=value), and "
                + "Spark does not read it: move it out", assertThrows(IllegalArgumentException.class,
                        () -> MatrixSource.checkWithoutSpark(cut, 0)).getMessage());
        // a colon and a glob's character: Hadoop's glob, which the escaped path goes through, fails on the colon
        Path both = Files.createDirectories(dir.resolve("odd [p]:y.parquet"));
        Files.writeString(both.resolve("part-0.parquet"), "PAR1 not read here PAR1");
        assertEquals("Parquet input " + both + ": Spark's Parquet reader cannot read a path with both a colon and one "
                + "of [ ] { } * ? \\ (Hadoop's glob takes the colon for a URI scheme): rename it, or give a link to it "
                + "without them", assertThrows(IllegalArgumentException.class,
                        () -> MatrixSource.checkWithoutSpark(both, 0)).getMessage());
        Path uri = Path.of("file:" + dir.resolve("nowhere.parquet"));
        assertEquals("input " + uri + " does not exist (a URI? the input is a path on the driver's file system, "
                + "which the executors must see too: mount the file system there, or copy the input)",
                assertThrows(IllegalArgumentException.class, () -> MatrixSource.checkWithoutSpark(uri, 0))
                        .getMessage());
    }

    /** {@code rows} written as Parquet with columns row and values of the types given. */
    private Path written(String name, List<Row> rows, DataType row, DataType values) {
        Path path = dir.resolve(name + ".parquet");
        SparkSession.builder().sparkContext(SharedSpark.context().sc()).getOrCreate().createDataFrame(rows,
                new StructType().add("row", row).add("values", values)).write().parquet(path.toString());
        return path;
    }

    /** Why {@code rows}, with a bigint index and values of {@code values}, are refused (their path as P). */
    private String refusal(String name, List<Row> rows, DataType values) {
        Path path = written(name, rows, DataTypes.LongType, values);
        return assertThrows(IllegalArgumentException.class, () -> MatrixSource.open(SharedSpark.context(), path, 2))
                .getMessage().replace(path.toString(), "P");
    }

    /**
     * A value beyond float32's range read as float32 is named by the input and by its row index (the message was the
     * block's: "value 1.0E39 at row 1, column 2 (0-based)" for row 7 of the input, in the second of two blocks).
     */
    @Test
    void aParquetValueBeyondFloat32IsNamedByItsRow() {
        List<Row> rows = new ArrayList<>();
        for (long i = 0; i < 12; i++) {
            rows.add(RowFactory.create(i, List.of(1.0, -2.0, i == 7 ? 1e39 : 0.5 * i)));
        }
        Path parquet = written("float32-range", rows, DataTypes.LongType,
                DataTypes.createArrayType(DataTypes.DoubleType));
        MatrixSource source = MatrixSource.open(SharedSpark.context(), parquet, 2);
        // Spark's SparkException (checked, thrown through Scala undeclared) with the task's exception as its cause
        Throwable failure = assertThrows(Exception.class, () -> SparkFactorizer.builder(RANK)
                .initializer(Initializer.small(0.05)).schedule(new ConstantSchedule(0.01)).maxIterations(1).build()
                .run(SharedSpark.context(), source, DType.FLOAT32).close());
        while (failure != null && !(failure instanceof IllegalArgumentException)) {
            failure = failure.getCause();
        }
        assertEquals("Parquet input " + parquet + ": value 1.0E39 at row 7, column 2 (0-based) is outside the float32 "
                + "range (it rounds to infinity); read it as float64", failure == null ? null : failure.getMessage());
    }

    /**
     * Rows without a 'values' array are refused before any task runs, as rows without an index: one null array failed
     * a task (exit code 2 only after a job), and with every array null, reading the lengths failed in Spark's words
     * ("[ROW_VALUE_IS_NULL] Found NULL in a row at the index 3"), exit code 1.
     */
    @Test
    void aParquetRowWithoutValuesIsNamed() {
        StructType schema = new StructType().add("row", DataTypes.LongType)
                .add("values", DataTypes.createArrayType(DataTypes.DoubleType));
        SparkSession spark = SparkSession.builder().sparkContext(SharedSpark.context().sc()).getOrCreate();
        for (int withValues : new int[] {3, 0}) {
            List<Row> rows = new ArrayList<>();
            for (long i = 0; i < 4; i++) {
                rows.add(RowFactory.create(i, i < withValues ? List.of(1.0, 2.0) : null));
            }
            Path parquet = dir.resolve("no-values-" + withValues + ".parquet");
            spark.createDataFrame(rows, schema).write().parquet(parquet.toString());
            String message = assertThrows(IllegalArgumentException.class,
                    () -> MatrixSource.open(SharedSpark.context(), parquet, 2)).getMessage();
            assertEquals("Parquet input " + parquet + ": " + (4 - withValues) + " of its 4 rows have no 'values' "
                    + "array (null)", message);
        }
    }

    /**
     * A file that is not Parquet among the part files is refused by name before Spark reads them (Spark failed on it
     * in its own words, exit code 1); the files Spark skips (names starting with . or _) are left alone.
     */
    @Test
    void aFileThatIsNotParquetInAParquetDirectoryIsNamed() throws IOException {
        Path parquet = Files.createDirectories(dir.resolve("stray.parquet-dir"));
        // Parquet's magic bytes at both ends are all that is checked without Spark
        Files.writeString(parquet.resolve("part-00000.snappy.parquet"), "PAR1 not read here PAR1");
        Files.writeString(parquet.resolve("_SUCCESS"), "");
        Files.writeString(parquet.resolve(".part-00000.snappy.parquet.crc"), "");
        assertNull(MatrixSource.checkWithoutSpark(parquet, 0), "Parquet is left to Spark");
        Files.writeString(parquet.resolve("notes.txt"), "mine");
        String message = assertThrows(IllegalArgumentException.class,
                () -> MatrixSource.checkWithoutSpark(parquet, 0)).getMessage();
        assertEquals("Parquet input " + parquet + ": notes.txt is not a .parquet file (Spark reads every file of the "
                + "directory whose name does not start with . or _): move it out", message);
    }

    /**
     * A directory among the shards is called one (it was "unexpected file extra"), and an index no long holds names
     * its shard (it was "a shard index is too large").
     */
    @Test
    void aDirectoryOrAHugeIndexAmongTheShardsIsNamed() throws IOException {
        Path shards = copyOfShards();
        Files.createDirectory(shards.resolve("extra"));
        assertEquals("shard directory " + shards + ": unexpected directory extra (shards are named "
                + "<prefix><index>.npy, e.g. part-00000.npy)", assertThrows(IllegalArgumentException.class,
                        () -> MatrixSource.checkWithoutSpark(shards, 0)).getMessage());
        Files.delete(shards.resolve("extra"));
        Files.copy(shards.resolve("part-00000.npy"), shards.resolve("part-99999999999999999999.npy"));
        assertEquals("shard directory " + shards + ": shard part-99999999999999999999.npy has an index too large for "
                + "a shard count (the indices run 0, 1, … without gaps)", assertThrows(IllegalArgumentException.class,
                        () -> MatrixSource.checkWithoutSpark(shards, 0)).getMessage());
    }

    /** A directory named as a shard is refused by name before Spark starts (it was "No such device", mmap's). */
    @Test
    void aDirectoryNamedAsAShardIsNamed() throws IOException {
        Path shards = copyOfShards();
        Files.createDirectory(shards.resolve("part-00003.npy"));
        String message = assertThrows(IllegalArgumentException.class,
                () -> MatrixSource.checkWithoutSpark(shards, 0)).getMessage();
        assertEquals("shard directory " + shards + ": part-00003.npy is not a file", message);
    }

    /**
     * A malformed Matrix Market file is refused naming it once: the reader's message begins with the file, and the
     * Spark module printed "cannot read M from P: P, line 3: …" (the command line's one-path rule now lives in core's
     * FileChecks, which both use).
     */
    @Test
    void aMalformedMatrixMarketFileIsNamedOnce() throws IOException {
        Path bad = dir.resolve("bad.mtx");
        Files.writeString(bad, "%%MatrixMarket matrix array real general\n2 2\n1.0\nnot-a-number\n3.0\n4.0\n");
        String message = assertThrows(IllegalArgumentException.class, () -> MatrixSource.checkWithoutSpark(bad, 0))
                .getMessage();
        assertTrue(message.startsWith("cannot read M from " + bad), message);
        assertEquals(message.indexOf(bad.toString()), message.lastIndexOf(bad.toString()), message);
    }
}
