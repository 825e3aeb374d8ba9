package org.autobalance.io;

import static org.autobalance.testing.Fixtures.csv;
import static org.autobalance.testing.Fixtures.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@code .npy} reader and writer against files numpy wrote ({@code src/test/resources/fixtures/npy_fixtures.py})
 * and against files this test builds byte by byte.
 */
class NpyTest {
    @TempDir
    Path dir;

    // ---- numpy's files ----

    /** Every fixture holds the same 5 x 3 numbers, as float64 (npy_values.csv) or rounded to float32 by numpy. */
    @ParameterizedTest
    @CsvSource({
        "npy_f8_c.npy, npy_values.csv",
        "npy_f8_fortran.npy, npy_values.csv",
        "npy_f8_v2.npy, npy_values.csv",
        "npy_f8_big.npy, npy_values.csv",
        "npy_f4_c.npy, npy_values_f32.csv",
        "npy_f4_fortran.npy, npy_values_f32.csv",
        "npy_f4_v3.npy, npy_values_f32.csv",
        "npy_f4_big_fortran.npy, npy_values_f32.csv",
    })
    void readsNumpyFilesExactly(String npy, String values) throws IOException {
        Fixtures.assertReadsExactly(Npy::read, npy, csv(values));
    }

    /**
     * Integer and boolean matrices, each element converted as numpy's {@code astype(np.float64)} converts it (the CSV
     * holds numpy's conversion; beyond 2⁵³ it rounds), and as float32 that double rounded to float.
     */
    @ParameterizedTest
    @ValueSource(strings = {"i1", "u1_bool", "i2_big_fortran", "u2", "i4", "u4_big", "i8_fortran", "u8"})
    void readsNumpyIntegerFilesAsNumpyConvertsThem(String name) throws IOException {
        Fixtures.assertReadsExactly(Npy::read, "npy_ints_" + name + ".npy", csv("npy_ints_" + name + ".csv"));
    }

    @ParameterizedTest
    @CsvSource({
        "npy_f8_c.npy, 1, <f8, LITTLE_ENDIAN, false, 128",
        "npy_f8_fortran.npy, 1, <f8, LITTLE_ENDIAN, true, 128",
        "npy_f8_v2.npy, 2, <f8, LITTLE_ENDIAN, false, 128",
        "npy_f4_v3.npy, 3, <f4, LITTLE_ENDIAN, false, 128",
        "npy_f8_big.npy, 1, >f8, BIG_ENDIAN, false, 128",
        "npy_f4_big_fortran.npy, 1, >f4, BIG_ENDIAN, true, 128",
    })
    void parsesNumpyHeaders(String npy, int version, String descr, String order, boolean fortran, long dataOffset)
            throws IOException {
        NpyHeader h = NpyHeader.parse(ByteBuffer.wrap(Files.readAllBytes(fixture(npy))), npy);
        assertEquals(version, h.majorVersion());
        assertEquals(descr, h.descr());
        assertEquals(order.equals("BIG_ENDIAN") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN, h.byteOrder());
        assertEquals('f', h.kind());
        assertEquals(descr.endsWith("8") ? 8 : 4, h.itemSize());
        assertEquals(fortran, h.fortranOrder());
        assertArrayEquals(new long[] {5, 3}, h.shape());
        assertEquals(dataOffset, h.dataOffset());
        assertEquals(15L * h.itemSize(), h.dataBytes());
        assertEquals("(5, 3)", h.shapeText());
    }

    @Test
    void parsesHeadersOfArraysThatAreNotMatrices() throws IOException {
        NpyHeader oneD = NpyHeader.parse(MemorySegment.ofArray(Files.readAllBytes(fixture("npy_1d.npy"))), "1d");
        assertArrayEquals(new long[] {4}, oneD.shape());
        assertEquals("(4,)", oneD.shapeText());
        NpyHeader ints = NpyHeader.parse(MemorySegment.ofArray(Files.readAllBytes(fixture("npy_int.npy"))), "i");
        assertEquals('i', ints.kind());
        assertEquals(8, ints.itemSize());
        assertEquals(48, ints.dataBytes());
        NpyHeader object = NpyHeader.parse(MemorySegment.ofArray(Files.readAllBytes(fixture("npy_object.npy"))),
                "o");
        assertEquals('O', object.kind());
        assertEquals(0, object.itemSize(), "an object array has no fixed item size");
        assertEquals(-1, object.dataBytes());
    }

    /** The writer is checked against numpy, not against this reader: the bytes must be the ones numpy wrote. */
    @ParameterizedTest
    @CsvSource({"npy_f8_c.npy, FLOAT64", "npy_f4_c.npy, FLOAT32"})
    void writesTheBytesNumpyWrites(String npy, DType dtype) throws IOException {
        Path written = dir.resolve("out.npy");
        try (DenseMatrix m = Npy.read(fixture(npy), dtype)) {
            Npy.write(written, m);
        }
        assertArrayEquals(Files.readAllBytes(fixture(npy)), Files.readAllBytes(written));
    }

    @Test
    void encodesHeadersAsNumpyDoes() throws IOException {
        byte[] numpy = Files.readAllBytes(fixture("npy_f8_fortran.npy"));
        byte[] ours = NpyHeader.encode("<f8", true, new long[] {5, 3});
        assertArrayEquals(Arrays.copyOf(numpy, 128), ours);
        byte[] oneD = Files.readAllBytes(fixture("npy_1d.npy"));
        assertArrayEquals(Arrays.copyOf(oneD, 128), NpyHeader.encode("<f8", false, new long[] {4}));
    }

    // ---- layouts built here, at sizes that cross the transpose tiles (64) and the row padding ----

    static Stream<Arguments> layouts() {
        return Stream.of(new int[][] {{1, 1}, {1, 17}, {63, 65}, {64, 64}, {130, 67}, {3, 200}})
                .flatMap(s -> Stream.of(true, false).flatMap(fortran -> Stream.of("<f4", "<f8", ">f4", ">f8")
                        .map(descr -> Arguments.of(s[0], s[1], fortran, descr))));
    }

    /**
     * Element (i, j) = i·1000 + j + 0.25·(i+j odd ? -1 : 1): exact in float32 and float64 at these sizes, and
     * different everywhere, so a misplaced, swapped or rounded element is seen.
     */
    private static double value(int i, int j) {
        return i * 1000.0 + j + ((i + j) % 2 == 1 ? -0.25 : 0.25);
    }

    @ParameterizedTest
    @MethodSource("layouts")
    void readsEveryLayoutIntoEveryDType(int rows, int cols, boolean fortran, String descr) throws IOException {
        Path file = dir.resolve("m.npy");
        Files.write(file, build(rows, cols, fortran, descr));
        for (DType dtype : DType.values()) {
            try (DenseMatrix m = Npy.read(file, dtype)) {
                assertEquals(rows, m.rows());
                assertEquals(cols, m.cols());
                for (int i = 0; i < rows; i++) {
                    for (int j = 0; j < cols; j++) {
                        if (m.get(i, j) != value(i, j)) {
                            assertEquals(value(i, j), m.get(i, j), "(" + i + ", " + j + ") of " + descr
                                    + (fortran ? " Fortran" : " C") + " as " + dtype);
                        }
                    }
                }
                for (int i = 0; i < rows; i++) {
                    for (int j = cols; j < m.stride(); j++) {
                        double pad = dtype == DType.FLOAT32 ? m.segment().getAtIndex(
                                ValueLayout.JAVA_FLOAT, (long) i * m.stride() + j)
                                : m.segment().getAtIndex(ValueLayout.JAVA_DOUBLE,
                                        (long) i * m.stride() + j);
                        assertEquals(0.0, pad, "padding of row " + i + " must stay zero");
                    }
                }
            }
        }
    }

    /** A NaN or infinity anywhere, in any layout, is found and placed (the error names the file's position). */
    @ParameterizedTest
    @MethodSource("layouts")
    void rejectsANonFiniteValueInEveryLayout(int rows, int cols, boolean fortran, String descr) throws IOException {
        Path file = dir.resolve("m.npy");
        int i = rows / 2;
        int j = cols - 1;
        double bad = (i + j) % 2 == 0 ? Double.NaN : Double.NEGATIVE_INFINITY;
        Files.write(file, build(rows, cols, fortran, descr, i, j, bad));
        for (DType dtype : DType.values()) {
            MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> Npy.read(file, dtype));
            assertEquals(file + ": non-finite value " + bad + " at row " + i + ", column " + j + " (0-based)",
                    e.getMessage());
        }
    }

    /**
     * The .npy image of a block of another file's rows (a Spark task's rows of a single-file input) places a value
     * it refuses by the file's row: a NaN in the file's row 200, the block's row 50, was reported at row 50.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aBlockOfAFilesRowsNamesTheFilesRow(boolean fortran) {
        MemorySegment nan = MemorySegment.ofArray(build(150, 9, fortran, "<f8", 49, 7, Double.NaN));
        for (DType dtype : DType.values()) {
            assertEquals("M.npy (rows 150 to 299): non-finite value NaN at row 199, column 7 (0-based)", assertThrows(
                    MatrixFormatException.class, () -> Npy.read(nan, "M.npy (rows 150 to 299)", dtype, 150))
                    .getMessage());
        }
        MemorySegment big = MemorySegment.ofArray(build(150, 9, fortran, "<f8", 49, 7, 1e300));
        assertEquals("M.npy (rows 150 to 299): value 1.0E300 at row 199, column 7 (0-based) is outside the float32 "
                + "range (it rounds to infinity); read it as float64", assertThrows(MatrixFormatException.class,
                        () -> Npy.read(big, "M.npy (rows 150 to 299)", DType.FLOAT32, 150)).getMessage());
        assertEquals("first row must be non-negative, got -1", assertThrows(IllegalArgumentException.class,
                () -> Npy.read(nan, "M.npy", DType.FLOAT64, -1)).getMessage());
    }

    /** The float32 range ends where rounding gives infinity: 2^128 − 2^103, the midpoint past Float.MAX_VALUE. */
    @Test
    void float64ReadAsFloat32IsRejectedExactlyWhereItRoundsToInfinity() throws IOException {
        double limit = 0x1p128 - 0x1p103;
        Path file = dir.resolve("edge.npy");
        Files.write(file, build(2, 3, false, "<f8", 1, 2, -Math.nextDown(limit)));
        try (DenseMatrix m = Npy.read(file, DType.FLOAT32)) {
            assertEquals(-Float.MAX_VALUE, m.get(1, 2));
        }
        Files.write(file, build(2, 3, true, ">f8", 1, 2, limit));
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> Npy.read(file, DType.FLOAT32));
        assertEquals(file + ": value " + limit + " at row 1, column 2 (0-based) is outside the float32 range (it "
                + "rounds to infinity); read it as float64", e.getMessage());
    }

    private static byte[] build(int rows, int cols, boolean fortran, String descr) {
        return build(rows, cols, fortran, descr, -1, -1, 0);
    }

    /**
     * A whole .npy file: the header as numpy writes it (checked above) and the data laid out here, element (i, j) =
     * {@link #value}, except {@code special} at ({@code si}, {@code sj}).
     */
    private static byte[] build(int rows, int cols, boolean fortran, String descr, int si, int sj, double special) {
        byte[] header = NpyHeader.encode(descr, fortran, new long[] {rows, cols});
        int size = descr.endsWith("4") ? 4 : 8;
        ByteBuffer data = ByteBuffer.allocate(header.length + rows * cols * size)
                .order(descr.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        data.put(header);
        for (int a = 0; a < (fortran ? cols : rows); a++) {
            for (int b = 0; b < (fortran ? rows : cols); b++) {
                int i = fortran ? b : a;
                int j = fortran ? a : b;
                double x = i == si && j == sj ? special : value(i, j);
                if (size == 4) {
                    data.putFloat((float) x);
                } else {
                    data.putDouble(x);
                }
            }
        }
        return data.array();
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void writtenFilesReadBackBitForBit(DType dtype) throws IOException {
        Path file = dir.resolve("w.npy");
        double[][] values = new double[70][19];
        for (int i = 0; i < 70; i++) {
            for (int j = 0; j < 19; j++) {
                values[i][j] = Math.scalb(Math.sin(i * 19 + j + 1.0), (i % 7) - 3);
            }
        }
        values[3][4] = -0.0;
        try (DenseMatrix m = DenseMatrix.of(dtype, values)) {
            Npy.write(file, m);
            try (DenseMatrix back = Npy.read(file, dtype)) {
                assertArrayEquals(m.toArray(), back.toArray(), "bit for bit, the sign of zero included");
            }
        }
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(1, left.count(), "no temporary file left beside the target");
        }
    }

    // ---- values this project refuses ----

    @Test
    void rejectsNaNWithItsPosition() {
        for (DType dtype : DType.values()) {
            MatrixFormatException e = assertThrows(MatrixFormatException.class,
                    () -> Npy.read(fixture("npy_f8_nan.npy"), dtype));
            assertTrue(e.getMessage().endsWith("npy_f8_nan.npy: non-finite value NaN at row 1, column 2 "
                    + "(0-based)"), e.getMessage());
        }
    }

    /**
     * A file of a larger matrix's rows (a shard of a directory) read from its first row's place in that matrix names
     * both, and places the value by the matrix's row: the file's row 1 is M's row 26 where the file starts at M's 25.
     */
    @Test
    void aFileOfALargerMatrixsRowsPlacesAValueByThatMatrixsRow() {
        Path nan = fixture("npy_f8_nan.npy");
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> Npy.read(nan, DType.FLOAT64, 25));
        assertTrue(e.getMessage().endsWith("npy_f8_nan.npy (its row 0 is row 25 of M): non-finite value NaN at row "
                + "26, column 2 (0-based)"), e.getMessage());
        assertEquals("first row must be non-negative, got -1", assertThrows(IllegalArgumentException.class,
                () -> Npy.read(nan, DType.FLOAT64, -1)).getMessage());
    }

    @Test
    void rejectsFloat64BeyondTheFloat32RangeOnlyWhenReadingFloat32() throws IOException {
        MatrixFormatException e = assertThrows(MatrixFormatException.class,
                () -> Npy.read(fixture("npy_f8_huge.npy"), DType.FLOAT32));
        assertTrue(e.getMessage().contains("value 1.0E39 at row 3, column 1 (0-based) is outside the float32 "
                + "range"), e.getMessage());
        try (DenseMatrix m = Npy.read(fixture("npy_f8_huge.npy"), DType.FLOAT64)) {
            assertEquals(1e39, m.get(3, 1));
        }
    }

    @Test
    void writerRefusesNonFiniteAndLeavesTheTargetAlone() throws IOException {
        Path target = dir.resolve("keep.npy");
        Files.writeString(target, "old");
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, new double[][] {{1, 2}, {3, Double.POSITIVE_INFINITY}})) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npy.write(target, m));
            assertTrue(e.getMessage().contains("row 1, column 1 (0-based)"), e.getMessage());
        }
        assertEquals("old", Files.readString(target));
    }

    // ---- arrays that are not matrices of numbers ----

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "npy_1d.npy | not a matrix: a (4,) array of dtype '<f8' has 1 dimension, a matrix needs 2",
        "npy_3d.npy | not a matrix: a (2, 2, 2) array of dtype '<f8' has 3 dimensions",
        "npy_object.npy | unsupported dtype: a (1, 2) array of dtype '|O'; object arrays",
    })
    void rejectsArraysThatAreNotFloatMatrices(String npy, String message) {
        MatrixFormatException e = assertThrows(MatrixFormatException.class,
                () -> Npy.read(fixture(npy), DType.FLOAT64));
        assertTrue(e.getMessage().contains(npy + ": " + message), e.getMessage());
        assertEquals(0, e.line());
    }

    // ---- hostile and broken files, made from numpy's ----

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "(9, 3) | truncated: the header declares a 9 x 3 <f8 array (216 bytes of data), the file holds 120 bytes",
        "(100000, 100000) | truncated: the header declares a 100000 x 100000 <f8 array (80000000000 bytes",
        "(2147483647, 2147483647) | (more than 2^63 bytes of data)",
        "(4, 3) | 24 bytes after the data of the 4 x 3 <f8 array the header declares",
        "(0, 3) | unsupported shape: a (0, 3) array",
        "(3000000000, 1) | unsupported shape: a (3000000000, 1) array",
    })
    void rejectsAHeaderThatLiesAboutTheSize(String shape, String message) throws IOException {
        String text = numpyHeaderText().replace("(5, 3)", shape);
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> readWithHeader(text));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{'descr': '<f8', 'fortran_order': False, 'shape': (5, 3), | the header text ends early",
        "{'descr': '<f8', 'fortran_order': False} | the header dict has the keys [descr, fortran_order]",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (5, 3), 'x': 1} | expected exactly descr",
        "{'descr': '<f8', 'fortran_order': 0, 'shape': (5, 3)} | 'fortran_order' must be True or False, found 0",
        "{'descr': '<f8', 'fortran_order': False, 'shape': [5, 3]} | 'shape' must be a tuple of integers",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (5, -3)} | tuple of non-negative integers",
        "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (5,)} | a structured dtype",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (5, 3)} x | unexpected text after the dict",
        "[1, 2] | the header is not a dict",
        "{'descr': '<f8' 'fortran_order': False} | expected ',' or '}'",
        "{'descr' '<f8'} | expected ':' after the key 'descr'",
        "{'descr': <f8} | unexpected '<'",
        "{'descr': '<f2', 'fortran_order': False, 'shape': (5, 3)} | of floats only float32 and float64 are read",
        "{'descr': '<c16', 'fortran_order': False, 'shape': (5, 3)} | float32, float64, integer and boolean arrays",
    })
    void rejectsMalformedHeaders(String text, String message) {
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> readWithHeader(text));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void acceptsHeaderSpellingsNumpyAccepts() throws IOException {
        String python2 = "{\"shape\": (5L, 3L), \"fortran_order\": False, \"descr\": \"<f8\"}";
        try (DenseMatrix m = readWithHeader(python2)) {
            assertArrayEquals(csv("npy_values.csv"), m.toArray());
        }
    }

    @Test
    void rejectsTruncatedAndForeignFiles() throws IOException {
        byte[] good = Files.readAllBytes(fixture("npy_f8_c.npy"));
        assertMessage(Arrays.copyOf(good, good.length - 7), "truncated: the header declares a 5 x 3 <f8 array "
                + "(120 bytes of data), the file holds 113 bytes after the header");
        assertMessage(Arrays.copyOf(good, 60), "truncated .npy header: its length field declares 128 bytes of "
                + "header, the input holds 60");
        assertMessage(Arrays.copyOf(good, 8), "truncated .npy header: 8 bytes, the fixed part alone has 10");
        // a file under the wrong name: what it looks like, and what to do
        assertMessage("%%MatrixMarket matrix array real general\n".getBytes(StandardCharsets.US_ASCII),
                "not a .npy file: it does not start with the magic string \\x93NUMPY (a Matrix Market file: give it "
                + "a name ending in .mtx)");
        assertMessage("1.5,2\n3,4\n".getBytes(StandardCharsets.US_ASCII), "not a .npy file: it does not start with "
                + "the magic string \\x93NUMPY (numbers in rows? delimited text is read from a name ending in .csv, "
                + ".tsv, .txt or .dat, also for a named pipe)");
        java.io.ByteArrayOutputStream gzipped = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(gzipped)) {
            gz.write(good);
        }
        assertMessage(gzipped.toByteArray(), "not a .npy file: it does not start with the magic string \\x93NUMPY "
                + "(gzip-compressed data: gunzip it; .npy and .npz files are read uncompressed, as numpy writes them; "
                + ".mtx and delimited text are read compressed)");
        assertMessage(Files.readAllBytes(fixture("npz_csr.npz")), "not a .npy file: it does not start with the magic "
                + "string \\x93NUMPY (a zip archive (a scipy .npz?): give it a name ending in .npz, as a file on "
                + "disk)");
        byte[] version4 = good.clone();
        version4[6] = 4;
        assertMessage(version4, "unsupported .npy format version 4.0: versions 1.0, 2.0 and 3.0 are read");
        assertMessage(new byte[0], "empty file: not a .npy file");
        NoSuchFileException missing = assertThrows(NoSuchFileException.class,
                () -> Npy.read(dir.resolve("absent.npy"), DType.FLOAT64));
        assertTrue(missing.getMessage().contains("no such .npy file"), missing.getMessage());
    }

    private void assertMessage(byte[] file, String message) throws IOException {
        Path path = dir.resolve("broken.npy");
        Files.write(path, file);
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> Npy.read(path, DType.FLOAT64));
        assertEquals(path + ": " + message, e.getMessage());
    }

    /** The dict of npy_f8_c.npy, as numpy wrote it, without the padding. */
    private static String numpyHeaderText() throws IOException {
        byte[] file = Files.readAllBytes(fixture("npy_f8_c.npy"));
        return new String(file, 10, 118, StandardCharsets.ISO_8859_1).strip();
    }

    /** npy_f8_c.npy's data behind a version 1.0 header holding {@code text} (padded to 128 bytes as numpy does). */
    private DenseMatrix readWithHeader(String text) throws IOException {
        byte[] file = Files.readAllBytes(fixture("npy_f8_c.npy"));
        byte[] dict = text.getBytes(StandardCharsets.ISO_8859_1);
        assertFalse(dict.length > 117, "the test header must fit the 128-byte header of the fixture");
        Arrays.fill(file, 10, 127, (byte) ' ');
        System.arraycopy(dict, 0, file, 10, dict.length);
        Path path = dir.resolve("header.npy");
        Files.write(path, file);
        return Npy.read(path, DType.FLOAT64);
    }
}
