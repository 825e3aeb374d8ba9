package org.autobalance.io;

import static org.autobalance.testing.Fixtures.csv;
import static org.autobalance.testing.Fixtures.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class MatrixMarketTest {
    private static final String SOURCE = "bad.mtx";

    @TempDir
    Path dir;

    // ---- reading the scipy fixtures ----

    @ParameterizedTest
    @CsvSource({
        "mm_array_general.mtx, mm_array_general.csv",
        "mm_array_integer.mtx, mm_array_integer.csv",
        "mm_array_symmetric.mtx, mm_array_symmetric.csv",
        "mm_coordinate_general.mtx, mm_array_general.csv",
        "mm_coordinate_symmetric.mtx, mm_array_symmetric.csv",
    })
    void readsScipyFixturesExactly(String mtx, String dense) throws IOException {
        Fixtures.assertReadsExactly(MatrixMarket::read, mtx, csv(dense));
    }

    /**
     * The readings scipy's {@code mmread} gives (pattern → 1, duplicates summed, skew mirrored with the sign, real
     * hermitian as symmetric): each CSV is scipy's own {@code toarray()} of the file (make_sparse_fixtures.py), and
     * the dense and the sparse reading must both equal it exactly.
     */
    @ParameterizedTest
    @CsvSource({
        "mm_pattern.mtx, mm_pattern.csv",
        "mm_skew.mtx, mm_skew.csv",
        "mm_skew_array.mtx, mm_skew_array.csv",
        "mm_hermitian.mtx, mm_hermitian.csv",
        "mm_duplicates.mtx, mm_duplicates.csv",
        "mm_symmetric_duplicates.mtx, mm_symmetric_duplicates.csv",
        "mm_scipy_coordinate.mtx, mm_scipy_coordinate.csv",
        "mm_coordinate_general.mtx, mm_array_general.csv",
        "mm_coordinate_symmetric.mtx, mm_array_symmetric.csv",
        "mm_array_general.mtx, mm_array_general.csv",
        "mm_scipy_coordinate.mtx.gz, mm_scipy_coordinate.csv",
        "mm_array_general.mtx.gz, mm_array_general.csv",
    })
    void readsLikeScipyDenseAndSparse(String mtx, String dense) throws IOException {
        double[][] expected = csv(dense);
        try (DenseMatrix m = MatrixMarket.read(fixture(mtx), DType.FLOAT64)) {
            assertArrayEquals(expected, m.toArray(), mtx + " dense");
        }
        try (SparseMatrix s = MatrixMarket.readSparse(fixture(mtx), DType.FLOAT64);
                DenseMatrix d = s.toDense()) {
            assertArrayEquals(expected, d.toArray(), mtx + " sparse");
        }
    }

    /**
     * A row range of every kind of file (array and coordinate; general, symmetric, skew, hermitian, pattern; summed
     * duplicates; gzip) is bit for bit those rows of the whole reading (itself scipy's, above), in both precisions:
     * every single row, the first and last rows with their neighbours, a middle range and all rows.
     */
    @ParameterizedTest
    @CsvSource({
        "mm_pattern.mtx", "mm_skew.mtx", "mm_skew_array.mtx", "mm_hermitian.mtx", "mm_duplicates.mtx",
        "mm_symmetric_duplicates.mtx", "mm_scipy_coordinate.mtx", "mm_coordinate_general.mtx",
        "mm_coordinate_symmetric.mtx", "mm_array_general.mtx", "mm_array_symmetric.mtx", "mm_array_integer.mtx",
        "mm_scipy_coordinate.mtx.gz",
    })
    void readsRowRangesAsTheWholeFileHasThem(String mtx) throws IOException {
        for (DType dtype : DType.values()) {
            try (DenseMatrix whole = MatrixMarket.read(fixture(mtx), dtype)) {
                double[][] all = whole.toArray();
                int n = all.length;
                List<int[]> ranges = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    ranges.add(new int[] {i, 1});
                }
                ranges.addAll(List.of(new int[] {0, Math.min(2, n)}, new int[] {Math.max(0, n - 2), Math.min(2, n)},
                        new int[] {n / 3, Math.max(1, n / 2)}, new int[] {0, n}));
                for (int[] r : ranges) {
                    try (DenseMatrix rows = MatrixMarket.readRows(fixture(mtx), dtype, r[0], r[1])) {
                        assertArrayEquals(java.util.Arrays.copyOfRange(all, r[0], r[0] + r[1]), rows.toArray(),
                                mtx + " " + dtype.label() + " rows " + r[0] + " + " + r[1]);
                    }
                }
            }
        }
    }

    /**
     * Reading a row range checks the file's structure and its own rows' values, and skips the others' values
     * unchecked (the whole reading checks those); a range outside the matrix is refused.
     */
    @Test
    void aRowRangeChecksTheStructureAndItsOwnValues() throws IOException {
        // 3 x 2, column-major: the third value is row 3 of column 1
        Path file = dir.resolve("m.mtx");
        Files.writeString(file, "%%MatrixMarket matrix array real general\n3 2\n1\n2\nx\n4\n5\n6\n");
        try (DenseMatrix top = MatrixMarket.readRows(file, DType.FLOAT64, 0, 2)) {
            assertArrayEquals(new double[][] {{1, 4}, {2, 5}}, top.toArray());
        }
        MatrixFormatException bad = assertThrows(MatrixFormatException.class,
                () -> MatrixMarket.readRows(file, DType.FLOAT64, 2, 1));
        assertEquals(file + ", line 5: 'x' is not a number at row 3, column 1", bad.getMessage());
        // long enough for the size line's check against the file's length, one value short
        Files.writeString(file, "%%MatrixMarket matrix array real general\n3 2\n10\n20\n30\n40\n50\n");
        MatrixFormatException truncated = assertThrows(MatrixFormatException.class,
                () -> MatrixMarket.readRows(file, DType.FLOAT64, 0, 1));
        assertTrue(truncated.getMessage().contains("truncated: expected 6 values, found 5"), truncated.getMessage());
        Files.writeString(file, "%%MatrixMarket matrix array real general\n3 2\n1\n2\n3\n4\n5\n6\n");
        for (int[] r : new int[][] {{-1, 2}, {2, 2}, {0, 0}, {3, 1}}) {
            IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
                    () -> MatrixMarket.readRows(file, DType.FLOAT64, r[0], r[1]));
            assertTrue(outside.getMessage().contains("not a range of its 3 rows"), outside.getMessage());
        }
    }

    /** Explicit zeros in a coordinate file are stored entries (observations); positions not listed are not. */
    @Test
    void explicitZerosAreStored() throws IOException {
        double[][] positions = csv("mm_scipy_coordinate_stored.csv");
        try (SparseMatrix s = MatrixMarket.readSparse(fixture("mm_scipy_coordinate.mtx"), DType.FLOAT64)) {
            assertEquals(positions.length, s.nonZeros());
            int zeros = 0;
            for (double[] p : positions) {
                int i = (int) p[0] - 1;
                int j = (int) p[1] - 1;
                assertTrue(s.isStored(i, j), "listed entry (" + p[0] + ", " + p[1] + ") must be stored");
                zeros += s.get(i, j) == 0.0 ? 1 : 0;
            }
            assertTrue(zeros > 0, "the fixture lists explicit zeros");
        }
    }

    @Test
    void headerIsReadWithoutTheBody() throws IOException {
        MatrixMarket.Header h = MatrixMarket.readHeader(fixture("mm_skew.mtx"));
        assertEquals("Header[coordinate, 4 x 4, 4 entries, skew-symmetric]", h.toString());
        assertEquals(List.of(true, 4, 4, 4L, "skew-symmetric"),
                List.of(h.coordinate(), h.rows(), h.cols(), h.entries(), h.symmetry()));
        assertEquals(8, h.storedBound());
        MatrixMarket.Header array = MatrixMarket.readHeader(fixture("mm_array_general.mtx"));
        assertEquals(List.of(false, 3, 3, 9L, "general"),
                List.of(array.coordinate(), array.rows(), array.cols(), array.entries(), array.symmetry()));
        assertEquals(array, MatrixMarket.readHeader(fixture("mm_array_general.mtx")));
        assertNotEquals(h, array);
    }

    @ParameterizedTest
    @CsvSource({
        "gd_M.mtx, 23, 17, -3.21283913028682699e-01, 1.15548246792844034e+00",
        "gd_U0.mtx, 23, 2, -4.07078236350325098e-02, 1.85325649415382029e-02",
        "spectrum_64x48.mtx, 64, 48, -4.10295092963329278e-01, -2.91735605407252740e-01",
    })
    void readsReferenceMatricesColumnMajor(String name, int rows, int cols, double first, double second)
            throws IOException {
        try (DenseMatrix m = MatrixMarket.read(fixture(name), DType.FLOAT64)) {
            assertEquals(rows, m.rows());
            assertEquals(cols, m.cols());
            assertEquals(first, m.get(0, 0));
            assertEquals(second, m.get(1, 0), "the second value in the file is row 2 of column 1");
            assertNull(m.firstNonFinite());
        }
    }

    @Test
    void rewritingAFixtureKeepsEveryBit() throws IOException {
        Path copy = dir.resolve("spectrum.mtx");
        try (DenseMatrix original = MatrixMarket.read(fixture("spectrum_64x48.mtx"), DType.FLOAT64)) {
            MatrixMarket.write(copy, original, "copy");
            try (DenseMatrix back = MatrixMarket.read(copy, DType.FLOAT64)) {
                assertBitIdentical(original, back);
            }
        }
    }

    // ---- lenient reading ----

    @Test
    void acceptsCommentsBlankLinesOddWhitespaceAndCaseInsensitiveKeywords() throws IOException {
        String text = "%%matrixmarket MATRIX Array REAL General\r\n"
                + "% comment\r\n"
                + "\r\n"
                + "  2\t3  \r\n"
                + "+1 .5\r\n"
                + "% a comment between values\r\n"
                + "\t5.  \r\n"
                + "-2E1\n"
                + "\n"
                + "0.25e-1 7\n"
                + "\n";
        try (DenseMatrix m = read(text, DType.FLOAT64)) {
            assertArrayEquals(new double[][] {{1, 5, 0.025}, {0.5, -20, 7}}, m.toArray());
        }
    }

    @Test
    void skipsAByteOrderMark() throws IOException {
        Path file = dir.resolve("bom.mtx");
        Files.write(file, ("\uFEFF" + "%%MatrixMarket matrix array real general\n1 1\n2.5\n")
                .getBytes(StandardCharsets.UTF_8));
        try (DenseMatrix m = MatrixMarket.read(file, DType.FLOAT64)) {
            assertEquals(2.5, m.get(0, 0));
        }
    }

    @Test
    void coordinateMissingEntriesAreZeroAndSymmetricUpperEntriesAreMirrored() throws IOException {
        String text = "%%MatrixMarket matrix coordinate integer symmetric\n"
                + "3 3 2\n"
                + "1 3 -4\n"
                + "2 2 7\n";
        try (DenseMatrix m = read(text, DType.FLOAT64)) {
            assertArrayEquals(new double[][] {{0, 0, -4}, {0, 7, 0}, {-4, 0, 0}}, m.toArray());
        }
        String empty = "%%MatrixMarket matrix coordinate real general\n2 1 0\n";
        try (DenseMatrix m = read(empty, DType.FLOAT32)) {
            assertArrayEquals(new double[][] {{0}, {0}}, m.toArray());
        }
    }

    @Test
    void float32ReadRoundsTheFloat64Value() throws IOException {
        String text = "%%MatrixMarket matrix array real general\n1 3\n0.1\n1e-46\n3.4028235e38\n";
        try (DenseMatrix m = read(text, DType.FLOAT32)) {
            assertEquals((double) 0.1f, m.get(0, 0));
            assertEquals(0.0, m.get(0, 1), "below half the smallest float32 subnormal");
            assertEquals((double) Float.MAX_VALUE, m.get(0, 2), "rounds down to the largest float32");
        }
    }

    // ---- writing ----

    @Test
    void formatsLikeCPercentDot17e() {
        assertFormat("1.50000000000000000e+00", 1.5);
        assertFormat("-2.25000000000000000e+00", -2.25);
        assertFormat("0.00000000000000000e+00", 0.0);
        assertFormat("-0.00000000000000000e+00", -0.0);
        assertFormat("4.00000000000000000e+10", 4e10);
        assertFormat("1.23250000000000000e+02", 123.25);
        assertFormat("1.00000000000000000e-03", 0.001);
        assertFormat("1.00000000000000000e-05", 1e-5);
        assertFormat("3.33333333333333300e-01", 1.0 / 3);
        assertFormat("1.00000000000000000e+300", 1e300);
        assertFormat("4.90000000000000000e-324", Double.MIN_VALUE);
        assertFormat("1.79769313486231570e+308", Double.MAX_VALUE);
        assertFormat("1.00000001490116120e-01", 0.1f);
    }

    @Test
    void writesArrayRealGeneralColumnMajorWithComment() throws IOException {
        Path file = dir.resolve("small.mtx");
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, new double[][] {{1, 2, 3}, {4, 5, 6}})) {
            MatrixMarket.write(file, m, "first line\nsecond line");
        }
        assertEquals(List.of(
                "%%MatrixMarket matrix array real general",
                "% first line",
                "% second line",
                "2 3",
                "1.00000000000000000e+00",
                "4.00000000000000000e+00",
                "2.00000000000000000e+00",
                "5.00000000000000000e+00",
                "3.00000000000000000e+00",
                "6.00000000000000000e+00"), Files.readAllLines(file));
    }

    static Stream<Arguments> roundTripShapes() {
        return Stream.of(DType.values()).flatMap(dtype -> Stream.of(
                Arguments.of(dtype, 1, 1), Arguments.of(dtype, 1, 7), Arguments.of(dtype, 7, 1),
                Arguments.of(dtype, 3, 5), Arguments.of(dtype, 17, 1023)));
    }

    @ParameterizedTest
    @MethodSource("roundTripShapes")
    void roundTripIsBitIdentical(DType dtype, int rows, int cols) throws IOException {
        Path file = dir.resolve("m.mtx");
        try (DenseMatrix m = awkwardMatrix(dtype, rows, cols, 31L * rows + cols)) {
            MatrixMarket.write(file, m, null);
            try (DenseMatrix back = MatrixMarket.read(file, dtype)) {
                assertBitIdentical(m, back);
            }
            if (dtype == DType.FLOAT32) {
                try (DenseMatrix widened = MatrixMarket.read(file, DType.FLOAT64)) {
                    assertArrayEquals(m.toArray(), widened.toArray(), "float32 values are written exactly");
                }
            }
        }
    }

    @Test
    void writeReplacesAnExistingFile() throws IOException {
        Path file = dir.resolve("m.mtx");
        Files.writeString(file, "old content");
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, new double[][] {{42}})) {
            MatrixMarket.write(file, m, "");
        }
        assertEquals(List.of("%%MatrixMarket matrix array real general", "1 1", "4.20000000000000000e+01"),
                Files.readAllLines(file));
        assertEquals(List.of(file), listDir());
    }

    @Test
    void failedRenameLeavesTargetAndNoTemporaryFile() throws IOException {
        Path target = Files.createDirectory(dir.resolve("target.mtx"));
        Files.writeString(target.resolve("inside"), "x");
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, new double[][] {{1, 2}})) {
            assertThrows(IOException.class, () -> MatrixMarket.write(target, m, null));
        }
        assertEquals(List.of(target), listDir(), "the temporary file was removed");
        assertTrue(Files.isDirectory(target));
    }

    @Test
    void nonFiniteMatrixIsNotWrittenAndTheOldFileStays() throws IOException {
        Path file = dir.resolve("m.mtx");
        Files.writeString(file, "old content");
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT32, new double[][] {{1, 2, 3}, {4, 5, Double.NaN}})) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MatrixMarket.write(file, m, null));
            assertContains(e.getMessage(), "non-finite", "row 2, column 3");
        }
        assertEquals("old content", Files.readString(file));
        assertEquals(List.of(file), listDir());
    }

    @Test
    void writeIntoMissingDirectoryFailsCleanly() throws IOException {
        Path file = dir.resolve("missing").resolve("m.mtx");
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, new double[][] {{1}})) {
            assertThrows(NoSuchFileException.class, () -> MatrixMarket.write(file, m, null));
        }
        assertEquals(List.of(), listDir());
    }

    // ---- errors ----

    @Test
    void missingFileIsNamed() {
        Path missing = dir.resolve("nowhere.mtx");
        NoSuchFileException e = assertThrows(NoSuchFileException.class,
                () -> MatrixMarket.read(missing, DType.FLOAT64));
        assertContains(e.getMessage(), missing.toString(), "no such Matrix Market file");
        // "-" is standard input to many tools (a new user's `cat M.mtx | ... --input -`): where it is here
        NoSuchFileException dash = assertThrows(NoSuchFileException.class,
                () -> MatrixMarket.read(Path.of("-"), DType.FLOAT64));
        assertContains(dash.getMessage(), "no such Matrix Market file (for standard input, give /dev/stdin)");
    }

    private static final String ARRAY = "%%MatrixMarket matrix array real general\n";
    private static final String COORDINATE = "%%MatrixMarket matrix coordinate real general\n";

    static Stream<Arguments> badInputs() {
        return Stream.of(
                bad("empty input", "", 1, "empty input", "header"),
                bad("no header", "3 3\n1\n", 1, "missing Matrix Market header", "found '3 3'"),
                bad("comment instead of header", "% made by hand\n2 2\n", 1, "missing Matrix Market header"),
                bad("short header", "%%MatrixMarket matrix array real\n1 1\n1\n", 1, "garbled header"),
                bad("long header", "%%MatrixMarket matrix array real general x\n", 1, "garbled header"),
                bad("vector", "%%MatrixMarket vector array real general\n", 1, "unsupported object 'vector'"),
                bad("format", "%%MatrixMarket matrix dense real general\n", 1, "unsupported format 'dense'"),
                bad("complex", "%%MatrixMarket matrix array complex general\n", 1, "unsupported field 'complex'"),
                bad("complex coordinate", "%%MatrixMarket matrix coordinate complex hermitian\n", 1,
                        "unsupported field 'complex'"),
                bad("pattern array", "%%MatrixMarket matrix array pattern general\n", 1,
                        "field 'pattern' needs the coordinate format"),
                bad("pattern entry with a value", "%%MatrixMarket matrix coordinate pattern general\n2 2 1\n1 1 5\n",
                        3, "bad entry '1 1 5'", "'row column' for a pattern matrix"),
                bad("unknown symmetry", "%%MatrixMarket matrix coordinate real antisymmetric\n", 1,
                        "unsupported symmetry 'antisymmetric'"),
                bad("skew non-square", "%%MatrixMarket matrix array real skew-symmetric\n3 2\n", 2,
                        "skew-symmetric matrix must be square", "3 x 2"),
                bad("truncated skew array", "%%MatrixMarket matrix array real skew-symmetric\n3 3\n1\n2\n", 4,
                        "truncated: expected 3 values, found 2"),
                bad("negative entry count", COORDINATE + "3 3 -1\n", 2, "entry count -1 is negative"),
                bad("duplicates overflow", COORDINATE + "1 1 2\n1 1 1e308\n1 1 1e308\n", 4,
                        "entries at row 1, column 1 sum to a value that overflows float64"),
                bad("no size line", ARRAY + "% only comments\n\n", 3, "missing size line"),
                bad("one dimension", ARRAY + "3\n", 2, "bad size line", "'rows columns'"),
                bad("three dimensions for array", ARRAY + "% c\n3 3 3\n", 3, "bad size line", "'rows columns'"),
                bad("two dimensions for coordinate", COORDINATE + "3 3\n", 2, "bad size line",
                        "'rows columns entries'"),
                bad("non-numeric dimension", ARRAY + "3 x\n", 2, "columns 'x' is not a whole number"),
                bad("fractional dimension", ARRAY + "3.0 3\n", 2, "rows '3.0' is not a whole number"),
                bad("zero rows", ARRAY + "0 3\n", 2, "rows must be between 1 and 2147483647, found 0"),
                bad("negative columns", ARRAY + "3 -1\n", 2, "columns must be between 1", "found -1"),
                bad("columns beyond int", ARRAY + "1 2147483648\n", 2, "columns must be between 1 and 2147483647"),
                bad("rows beyond long", ARRAY + "99999999999999999999999 1\n", 2, "rows must be between 1"),
                bad("symmetric non-square array", "%%MatrixMarket matrix array real symmetric\n3 2\n", 2,
                        "symmetric matrix must be square", "3 x 2"),
                bad("symmetric non-square coordinate", "%%MatrixMarket matrix coordinate real symmetric\n2 3 1\n",
                        2, "symmetric matrix must be square"),
                bad("non-numeric value", ARRAY + "2 2\n1\nabc\n3\n4\n", 4, "'abc' is not a number",
                        "row 2, column 1"),
                bad("hex float", ARRAY + "1 1\n0x1p3\n", 3, "'0x1p3' is not a number"),
                bad("java float suffix", ARRAY + "1 1\n1.5f\n", 3, "'1.5f' is not a number"),
                bad("bare exponent", ARRAY + "1 1\n1e\n", 3, "'1e' is not a number"),
                bad("NaN", ARRAY + "2 2\n1\n2\n% c\nNaN\n4\n", 6, "non-finite value 'NaN' at row 1, column 2"),
                bad("inf", ARRAY + "2 1\n1\n-inf\n", 4, "non-finite value '-inf' at row 2, column 1"),
                bad("Infinity", COORDINATE + "2 2 1\n2 2 Infinity\n", 3,
                        "non-finite value 'Infinity' at row 2, column 2"),
                bad("float64 overflow", ARRAY + "1 1\n1e309\n", 3, "non-finite value", "overflows float64"),
                bad("integer field, real value", "%%MatrixMarket matrix array integer general\n1 2\n1\n2.5\n", 4,
                        "integer matrix, but '2.5' is not an integer", "row 1, column 2"),
                bad("integer field, exponent", "%%MatrixMarket matrix coordinate integer general\n1 1 1\n1 1 1e3\n",
                        3, "'1e3' is not an integer"),
                bad("truncated array", ARRAY + "2 2\n1\n2\n3\n", 5, "truncated: expected 4 values, found 3"),
                bad("truncated symmetric array", "%%MatrixMarket matrix array real symmetric\n3 3\n1\n2\n3\n\n", 6,
                        "truncated: expected 6 values, found 3"),
                bad("extra array value", ARRAY + "2 1\n1\n2\n\n3\n", 6, "too many values: expected 2"),
                bad("two values on the last line", ARRAY + "1 1\n1 2\n", 3, "too many values: expected 1"),
                bad("truncated coordinate", COORDINATE + "3 3 3\n1 1 1\n2 2 2\n", 4,
                        "truncated: expected 3 entries, found 2"),
                bad("extra coordinate entry", COORDINATE + "3 3 1\n1 1 1\n2 2 2\n", 4,
                        "too many entries: the size line declares 1"),
                bad("row out of range", COORDINATE + "3 3 1\n4 1 1.0\n", 3, "row index 4 is outside 1..3"),
                bad("column zero", COORDINATE + "3 3 1\n1 0 1.0\n", 3, "column index 0 is outside 1..3"),
                bad("fractional index", COORDINATE + "3 3 1\n1.0 1 1.0\n", 3, "row index '1.0' is not a whole number"),
                bad("missing value", COORDINATE + "3 3 1\n1 1\n", 3, "bad entry '1 1'", "'row column value'"),
                bad("extra field", COORDINATE + "3 3 1\n1 1 1 1\n", 3, "bad entry '1 1 1 1'"),
                bad("declared entries missing", COORDINATE + "3 3 10\n1 1 1\n", 3,
                        "truncated: expected 10 entries, found 1"),
                bad("long garbage is shortened", ARRAY + "1 1\n" + "x".repeat(1000) + "\n", 3,
                        "'" + "x".repeat(40) + "...' is not a number"),
                // a binary file given by mistake: its control bytes are quoted as escapes, not sent to the terminal
                bad("control characters are escaped", "\u001b[31mred\u0007\u0000\u0085\n", 1,
                        "found '\\x1B[31mred\\x07\\x00\\x85'"));
    }

    private static Arguments bad(String name, String text, long line, String... fragments) {
        return Arguments.of(name, text, line, fragments);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void badInputIsRejectedWithLineAndReason(String name, String text, long line, String[] fragments) {
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> read(text, DType.FLOAT64).close());
        assertEquals(line, e.line(), e.getMessage());
        assertEquals(SOURCE, e.source());
        assertContains(e.getMessage(), SOURCE + ", line " + line + ": ");
        assertContains(e.getMessage(), fragments);
    }

    @Test
    void float32OverflowIsRejected() {
        String text = ARRAY + "1 2\n1\n-1e300\n";
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> read(text, DType.FLOAT32).close());
        assertContains(e.getMessage(), "line 4", "value '-1e300' at row 1, column 2 is outside the float32 range",
                "read it as float64");
        assertFalse(e.getMessage().contains("non-finite"), e.getMessage());
    }

    /**
     * Duplicates whose sum float32 cannot hold (each value can) are named as the float64 case of {@link #badInputs}:
     * their 1-based position in the file, on the line where the body ends. SparseMatrix.Builder.build(FLOAT32)'s
     * Float32RangeException was reported as "cannot hold the matrix in memory" with its 0-based position, and a range
     * of rows (readRows) named the row within the range.
     */
    @Test
    void duplicatesOverflowingFloat32AreNamedByTheirPositionInTheFile() throws IOException {
        Path file = dir.resolve("dup.mtx");
        Files.writeString(file, COORDINATE + "3 2 3\n1 1 1\n2 1 3e38\n2 1 3e38\n");
        String expected = file + ", line 5: the entries at row 2, column 1 sum to a value that overflows float32";
        List<Reading> readings = List.of(() -> MatrixMarket.read(file, DType.FLOAT32),
                () -> MatrixMarket.readStreamed(file, DType.FLOAT32),
                () -> MatrixMarket.readSparse(file, DType.FLOAT32),
                () -> MatrixMarket.readSparseStreamed(file, DType.FLOAT32),
                () -> MatrixMarket.readRows(file, DType.FLOAT32, 1, 2));
        for (Reading r : readings) {
            assertEquals(expected, assertThrows(MatrixFormatException.class, r::read).getMessage());
        }
        // the chunked reading hands such a body back to the streaming parser, which names the line
        assertNull(MatrixMarket.readMapped(file, DType.FLOAT32, 2, 1));
        assertNull(MatrixMarket.readSparseMapped(file, DType.FLOAT32, 2, 1));
        // the same sum is a float64
        try (SparseMatrix s = MatrixMarket.readSparse(file, DType.FLOAT64)) {
            assertEquals(6e38, s.get(1, 0));
        }
    }

    /**
     * An {@code integer} value is a 64-bit integer, as scipy's {@code mmread} reads it (into int64, refusing one
     * beyond): 99999999999999999999 was read as 1e20. Within the range it is rounded to the nearest double as a real
     * value is.
     */
    @Test
    void integersBeyondInt64AreRefusedByEveryReading() throws IOException {
        String header = "%%MatrixMarket matrix coordinate integer general\n2 2 2\n1 1 7\n";
        for (String big : List.of("99999999999999999999", "9223372036854775808", "-9223372036854775809",
                "+0000" + "9".repeat(19))) {
            Path file = dir.resolve("big.mtx");
            Files.writeString(file, header + "2 1 " + big + "\n");
            String expected = file + ", line 4: integer matrix, but '" + big + "' at row 2, column 1 is outside the "
                    + "64-bit integer range (scipy's mmread refuses it too; a real field reads it as a double)";
            List<Reading> readings = List.of(() -> MatrixMarket.read(file, DType.FLOAT64),
                    () -> MatrixMarket.readStreamed(file, DType.FLOAT64),
                    () -> MatrixMarket.readSparse(file, DType.FLOAT32),
                    () -> MatrixMarket.readSparseStreamed(file, DType.FLOAT64));
            for (Reading r : readings) {
                assertEquals(expected, assertThrows(MatrixFormatException.class, r::read).getMessage());
            }
            assertNull(MatrixMarket.readSparseMapped(file, DType.FLOAT64, 2, 1));
        }
        Path edges = dir.resolve("edges.mtx");
        Files.writeString(edges, header.replace("7", "9223372036854775807") + "2 1 -0009223372036854775808\n");
        try (SparseMatrix s = MatrixMarket.readSparse(edges, DType.FLOAT64);
                DenseMatrix d = MatrixMarket.readStreamed(edges, DType.FLOAT64)) {
            assertEquals(0x1p63, s.get(0, 0));
            assertEquals(-0x1p63, s.get(1, 0));
            assertEquals(0x1p63, d.get(0, 0));
            assertEquals(-0x1p63, d.get(1, 0));
        }
    }

    private interface Reading {
        AutoCloseable read() throws IOException;
    }

    /**
     * A coordinate file cut inside an entry (a new user's twenty-fourth-session finding: {@code head -c} of a .mtx)
     * was "bad entry '208 ': expected 'row column value'", which reads as a malformed file rather than a short one;
     * an entry missing its value on a whole line stays a bad entry.
     */
    @Test
    void aFileCutInsideAnEntryIsTruncated() throws IOException {
        Path file = dir.resolve("cut.mtx");
        // long enough for the size line's check against the file's length
        Files.writeString(file, COORDINATE + "3 3 3\n1 1 1.000000\n2 2 2.000000\n3 ");
        for (Executable read : new Executable[] {() -> MatrixMarket.readSparse(file, DType.FLOAT64).close(),
                () -> MatrixMarket.read(file, DType.FLOAT64).close()}) {
            MatrixFormatException e = assertThrows(MatrixFormatException.class, read);
            assertEquals(file + ", line 5: truncated: the input ends inside entry 3 of the 3 declared, '3 ' (a copy or "
                    + "download cut short?)", e.getMessage());
        }
        Files.writeString(file, COORDINATE + "3 3 3\n1 1 1.000000\n2 2 2.000000\n3 3\n");
        MatrixFormatException whole = assertThrows(MatrixFormatException.class,
                () -> MatrixMarket.readSparse(file, DType.FLOAT64).close());
        assertContains(whole.getMessage(), file + ", line 5: bad entry '3 3'");
    }

    @Test
    void fileErrorsNameTheFile() throws IOException {
        Path file = dir.resolve("broken.mtx");
        // long enough for the size check (7 bytes for 4 values), one value short for the body
        Files.writeString(file, ARRAY + "2 2\n1.000000\n2.0000\n3\n");
        MatrixFormatException e = assertThrows(MatrixFormatException.class,
                () -> MatrixMarket.read(file, DType.FLOAT64).close());
        assertContains(e.getMessage(), file + ", line 5: truncated: expected 4 values, found 3");
    }

    @Test
    void strayBytesAreReportedOnTheirLine() throws IOException {
        Path file = dir.resolve("latin.mtx");
        Files.write(file, (ARRAY + "% comment with \u00e9 in UTF-8\n1 1\n2\u00b5\n").getBytes(StandardCharsets.UTF_8));
        MatrixFormatException e = assertThrows(MatrixFormatException.class,
                () -> MatrixMarket.read(file, DType.FLOAT64).close());
        assertContains(e.getMessage(), "line 4", "is not a number");
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void failedReadsCloseTheMatrix(DType dtype) {
        String coordinate = COORDINATE + "200 300 3\n";
        List<String> inputs = List.of(
                ARRAY + "200 300\n1\n2\n",
                ARRAY + "200 300\n1\nNaN\n",
                coordinate + "1 1 1\n1 1 2\n",
                coordinate + "1 1 1\n1 1 x\n",
                coordinate + "1 1 1\n",
                coordinate + "1 1 1\n2 2 2\n3 3 3\n4 4 4\n");
        for (String text : inputs) {
            List<DenseMatrix> allocated = new ArrayList<>();
            assertThrows(MatrixFormatException.class,
                    () -> MatrixMarket.read(new StringReader(text), SOURCE, dtype, allocated::add, -1, Long.MAX_VALUE)
                            .close());
            // a coordinate body is parsed (into native staging, freed) before the dense matrix exists
            assertEquals(text.startsWith(COORDINATE) ? 0 : 1, allocated.size(), text);
            allocated.forEach(m -> assertTrue(m.isClosed(), "matrix left open after a failed read of " + text));
        }
    }

    @Test
    void badHeaderOrSizeAllocatesNothing() {
        for (String text : List.of("%%MatrixMarket matrix array complex general\n2 2\n", ARRAY + "2 x\n")) {
            List<DenseMatrix> allocated = new ArrayList<>();
            assertThrows(MatrixFormatException.class,
                    () -> MatrixMarket.read(new StringReader(text), SOURCE, DType.FLOAT64, allocated::add,
                            -1, Long.MAX_VALUE).close());
            assertEquals(List.of(), allocated);
        }
    }

    /**
     * A header is checked against the file's size before anything is allocated: before this check the 40-byte file
     * below took 43 s and 15.5 GB to be refused as truncated.
     */
    @Test
    void aLyingHeaderIsRefusedFromTheFileSizeBeforeAllocation() throws IOException {
        Path lying = dir.resolve("lying.mtx");
        Files.writeString(lying, ARRAY + "45000 45000\n1\n");
        MatrixFormatException e = assertThrows(MatrixFormatException.class,
                () -> MatrixMarket.read(lying, DType.FLOAT64).close());
        assertEquals(lying + ", line 2: truncated: the size line declares 2025000000 values, which need at least "
                + "4049999999 bytes, but at most 2 bytes follow it", e.getMessage());
        for (String text : List.of(ARRAY + "3 3\n1 2 3 4 5 6 7 8\n", COORDINATE + "100 100 3\n1 1 1\n2 2 2\n",
                "%%MatrixMarket matrix array real symmetric\n3 3\n1 2 3 4 5\n")) {
            List<DenseMatrix> allocated = new ArrayList<>();
            MatrixFormatException t = assertThrows(MatrixFormatException.class, () -> MatrixMarket.read(
                    new StringReader(text), SOURCE, DType.FLOAT64, allocated::add, text.length(), Long.MAX_VALUE));
            assertTrue(t.getMessage().contains("truncated: the size line declares"), t.getMessage());
            assertEquals(List.of(), allocated, text);
        }
    }

    /**
     * A gzip file's text is bounded by DEFLATE's largest expansion, 1032 times the file: a small compressed file that
     * declares a huge matrix is refused before allocation too, and damaged gzip data (cut short, a wrong checksum) is
     * a format error naming the file, not a bare ZipException or EOFException.
     */
    @Test
    void gzipFilesAreCheckedLikePlainOnes() throws IOException {
        Path lying = dir.resolve("lying.mtx.gz");
        Files.write(lying, gzip(ARRAY + "45000 45000\n1\n"));
        MatrixFormatException e = assertThrows(MatrixFormatException.class,
                () -> MatrixMarket.read(lying, DType.FLOAT64).close());
        long bound = 1032 * Files.size(lying) - (ARRAY + "45000 45000\n").length();
        assertEquals(lying + ", line 2: truncated: the size line declares 2025000000 values, which need at least "
                + "4049999999 bytes, but at most " + bound + " bytes follow it", e.getMessage());

        byte[] whole = Files.readAllBytes(fixture("mm_scipy_coordinate.mtx.gz"));
        Path cut = dir.resolve("cut.mtx.gz");
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length - 20));
        byte[] changed = whole.clone();
        changed[whole.length - 6] ^= 0x55; // the trailer's CRC-32 of the text
        Path flipped = dir.resolve("flipped.mtx.gz");
        Files.write(flipped, changed);
        for (Path damaged : List.of(cut, flipped)) {
            MatrixFormatException d = assertThrows(MatrixFormatException.class,
                    () -> MatrixMarket.readSparse(damaged, DType.FLOAT64).close(), damaged.toString());
            assertTrue(d.getMessage().startsWith(damaged + ": damaged gzip data: "), d.getMessage());
        }
        assertEquals(MatrixMarket.readHeader(fixture("mm_scipy_coordinate.mtx")),
                MatrixMarket.readHeader(fixture("mm_scipy_coordinate.mtx.gz")));
    }

    /**
     * A gzipped .npy or .npz read as text (a name that chose no binary format: {@code M.npy.gz}) is told to be
     * gunzipped, for Matrix Market and delimited text alike: it was told to be given a name ending in .npy, and once
     * renamed, to be gunzipped.
     */
    @Test
    void aGzippedBinaryFileIsToldToBeGunzipped() throws IOException {
        String npy = "\u0093NUMPY\u0001\u0000v\u0000{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";
        String zip = "PK\u0003\u0004\u0014\u0000\u0000\u0000";
        for (String name : List.of("M.npy.gz", "M.npz.gz", "M.mtx.gz", "M.csv.gz", "M.txt")) {
            boolean numpy = !name.startsWith("M.npz");
            Path path = dir.resolve(name);
            Files.write(path, gzip(numpy ? npy : zip));
            Executable read = DelimitedText.separatorOf(path) != null
                    ? () -> DelimitedText.read(path, DType.FLOAT64, note -> { }).close()
                    : () -> MatrixMarket.read(path, DType.FLOAT64).close();
            MatrixFormatException e = assertThrows(MatrixFormatException.class, read, name);
            assertEquals(path + ": a gzip-compressed " + (numpy ? "NumPy .npy file" : "zip archive (a scipy .npz?)")
                    + ": gunzip it; .npy and .npz files are read uncompressed, as numpy writes them; .mtx and "
                    + "delimited text are read compressed", e.getMessage());
        }
        assertThrows(MatrixFormatException.class, () -> MatrixMarket.readSparse(dir.resolve("M.npy.gz"),
                DType.FLOAT64).close());
    }

    /**
     * A pipe (a shell's {@code <(…)}, /dev/stdin) has no length: the size line cannot be checked against it, and a
     * complete matrix read through one is read (it was refused as "truncated … at most −88 bytes follow it").
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aPipeIsReadWithoutASizeCheck() throws Exception {
        Path fifo = dir.resolve("fifo");
        Thread writer = Fixtures.pipeFeeding(fifo, Files.readAllBytes(fixture("mm_array_general.mtx")));
        try (DenseMatrix m = MatrixMarket.read(fifo, DType.FLOAT64)) {
            assertArrayEquals(csv("mm_array_general.csv"), m.toArray());
        }
        writer.join();
    }

    /** The binary formats are chosen by name; under another name the message says which format the bytes are. */
    @Test
    void aBinaryFileUnderAnotherNameIsNamed() throws IOException {
        Path npy = dir.resolve("M.data");
        Files.copy(fixture("gd_M.npy"), npy);
        MatrixFormatException e = assertThrows(MatrixFormatException.class,
                () -> MatrixMarket.read(npy, DType.FLOAT64).close());
        assertTrue(e.getMessage().endsWith("(a NumPy .npy file: give it a name ending in .npy, as a file on disk)"),
                e.getMessage());
        Path npz = dir.resolve("M.bin");
        Files.copy(fixture("npz_csr.npz"), npz);
        e = assertThrows(MatrixFormatException.class, () -> MatrixMarket.readSparse(npz, DType.FLOAT64).close());
        assertTrue(e.getMessage().endsWith("(a zip archive (a scipy .npz?): give it a name ending in .npz, as a file "
                + "on disk)"),
                e.getMessage());
    }

    /**
     * A stream without line ends (/dev/zero given as the input, a new user's twelfth-session finding) is refused after
     * its first few kilobytes: its first "line" was gathered whole, 2 GB of heap, and the command ended with an
     * OutOfMemoryError's stack trace after 10 s. The reader here serves NULs without end, and fails the test past 1 MB.
     */
    @Test
    void aStreamWithoutLineEndsIsRefusedAfterItsFirstKilobytes() {
        long[] served = {0};
        Reader zeros = new Reader() {
            @Override
            public int read(char[] buffer, int offset, int length) {
                served[0] += length;
                if (served[0] > 1 << 20) {
                    fail("read more than 1 MB of a first line");
                }
                Arrays.fill(buffer, offset, offset + length, '\0');
                return length;
            }

            @Override
            public void close() {
            }
        };
        MatrixFormatException e = assertThrows(MatrixFormatException.class,
                () -> MatrixMarket.read(zeros, "/dev/zero", DType.FLOAT64).close());
        assertEquals("/dev/zero, line 1: missing Matrix Market header: the first line is longer than 4096 characters, "
                + "found '" + "\\x00".repeat(40) + "...'", e.getMessage());
    }

    /** The check is a lower bound: the tightest complete files (CR LF line ends, no final newline) still read. */
    @Test
    void theTightestCompleteFilesAreAccepted() throws IOException {
        String[] tight = {ARRAY.replace("\n", "\r\n") + "2 2\r\n1\r\n2\r\n3\r\n4", ARRAY + "2 2\n1 2 3 4",
            COORDINATE + "3 3 2\n1 1 5\n3 2 7", COORDINATE + "3 3 0\n"};
        for (String text : tight) {
            Path file = dir.resolve("tight.mtx");
            Files.writeString(file, text, StandardCharsets.ISO_8859_1);
            try (DenseMatrix m = MatrixMarket.read(file, DType.FLOAT64)) {
                assertEquals(text.contains("array") ? 4.0 : 0.0, m.get(1, 1), text);
            }
        }
    }

    @Test
    void aMatrixLargerThanTheMemoryLimitIsRefusedBeforeAllocation() {
        String text = COORDINATE + "100 100 0\n";
        List<DenseMatrix> allocated = new ArrayList<>();
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> MatrixMarket.read(
                new StringReader(text), SOURCE, DType.FLOAT32, allocated::add, text.length(), 39_999));
        assertTrue(e.getMessage().endsWith("size 100 x 100 needs 40000 bytes as float32, more than the 39999 bytes "
                + "of memory of this machine"), e.getMessage());
        assertEquals(List.of(), allocated);
        long physical = org.autobalance.memory.NativeMemory.physicalBytes();
        assertTrue(physical > 1L << 30 && physical < 1L << 50, "physical memory " + physical);
    }

    // ---- helpers ----

    private static byte[] gzip(String text) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(bytes)) {
            out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        }
        return bytes.toByteArray();
    }

    private static DenseMatrix read(String text, DType dtype) throws IOException {
        return MatrixMarket.read(new StringReader(text), SOURCE, dtype);
    }

    /** Values that are hard to print and parse: signed zeros, subnormals, extremes, long expansions, then noise. */
    private static DenseMatrix awkwardMatrix(DType dtype, int rows, int cols, long seed) {
        double[] special = dtype == DType.FLOAT64
                ? new double[] {-0.0, 1e-300, -1e300, 1.0 / 3, Double.MIN_VALUE, -Double.MIN_NORMAL,
                    Double.MAX_VALUE, 0.1, Math.PI, 2.2250738585072009e-308, 123456789.125, 0.0, 9007199254740993.0}
                : new double[] {-0.0, 1e-30, -1e30, 1.0 / 3, Float.MIN_VALUE, -Float.MIN_NORMAL, Float.MAX_VALUE,
                    0.1, Math.PI, 1.1754942e-38, 16777217.0, 0.0};
        Random random = new Random(seed);
        DenseMatrix m = DenseMatrix.allocate(dtype, rows, cols);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                int k = i * cols + j;
                m.set(i, j, k < special.length ? special[k] : randomFinite(random, dtype));
            }
        }
        return m;
    }

    /** A finite value with uniformly random bits, so every exponent and mantissa pattern is likely. */
    private static double randomFinite(Random random, DType dtype) {
        while (true) {
            double x = dtype == DType.FLOAT64
                    ? Double.longBitsToDouble(random.nextLong())
                    : Float.intBitsToFloat(random.nextInt());
            if (Double.isFinite(x)) {
                return x;
            }
        }
    }

    private static void assertBitIdentical(DenseMatrix expected, DenseMatrix actual) {
        assertEquals(expected.rows(), actual.rows());
        assertEquals(expected.cols(), actual.cols());
        for (int i = 0; i < expected.rows(); i++) {
            for (int j = 0; j < expected.cols(); j++) {
                double e = expected.get(i, j);
                double a = actual.get(i, j);
                // raw bits, so that a lost sign of zero fails too (0.0 == -0.0 as doubles)
                if (Double.doubleToRawLongBits(e) != Double.doubleToRawLongBits(a)) {
                    fail("element (" + i + ", " + j + ") changed: " + e + " became " + a);
                }
            }
        }
    }

    private static void assertFormat(String expected, double x) {
        StringBuilder out = new StringBuilder();
        MatrixMarket.appendScientific(out, x);
        assertEquals(expected, out.toString());
        assertEquals(Double.doubleToRawLongBits(x), Double.doubleToRawLongBits(Double.parseDouble(expected)));
    }

    private static void assertContains(String message, String... fragments) {
        for (String fragment : fragments) {
            assertTrue(message.contains(fragment), "message '" + message + "' lacks '" + fragment + "'");
        }
    }

    private List<Path> listDir() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }

    /** A null reader is named (fifteenth session, a new user's trial: it was a bare "NullPointerException: null"). */
    @Test
    void aNullReaderIsNamed() {
        assertEquals("reader must not be null", assertThrows(NullPointerException.class,
                () -> MatrixMarket.read((Reader) null, "m", DType.FLOAT64)).getMessage());
        assertEquals("reader must not be null", assertThrows(NullPointerException.class,
                () -> MatrixMarket.readSparse((Reader) null, "m", DType.FLOAT64)).getMessage());
    }
}
