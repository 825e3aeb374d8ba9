package org.autobalance.io;

import static org.autobalance.testing.Fixtures.csv;
import static org.autobalance.testing.Fixtures.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.autobalance.io.DelimitedText.Separator;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.NativeMemory;
import org.autobalance.testing.Dense;
import org.autobalance.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The delimited-text reader against files numpy wrote (text_fixtures.py), whose values are known independently as
 * Python reprs, against {@link Double#parseDouble} for every form of number, and against hostile input.
 */
class DelimitedTextTest {
    @TempDir
    Path dir;

    private final List<String> notes = new ArrayList<>();

    private DenseMatrix read(Path path, DType dtype) throws IOException {
        return DelimitedText.read(path, dtype, notes::add);
    }

    private DenseMatrix read(String text, Separator separator, DType dtype) throws IOException {
        return read(new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)), separator, dtype);
    }

    private DenseMatrix read(InputStream in, Separator separator, DType dtype) throws IOException {
        return DelimitedText.read(in, "t.txt", separator, dtype, notes::add, Long.MAX_VALUE);
    }

    @ParameterizedTest
    @CsvSource({
        "text_default.txt, text_values.csv",
        "text_default.csv, text_values.csv",
        "text_default.csv.gz, text_values.csv",
        "text_header_comment.tsv, text_values.csv",
        "text_shortest.dat, text_values.csv",
        "text_padded.csv, text_values.csv",
        "text_g.tsv, text_values_g.csv",
        "text_ints.csv, text_values_ints.csv"})
    void numpyWrittenFilesReadAsTheirValues(String file, String values) throws IOException {
        Fixtures.assertReadsExactly(this::read, file, csv(values));
        assertEquals(List.of(), notes, "nothing to say about a file without a header row");
    }

    @Test
    void aHeaderRowIsSkippedAndSaidSo() throws IOException {
        Fixtures.assertReadsExactly(this::read, "text_header.csv", csv("text_values.csv"));
        assertEquals(2, notes.size(), notes.toString());
        assertTrue(notes.get(0).matches(".*text_header.csv, line 1: skipped as a header \\(it holds no number\\): "
                + "4 names, 'alpha', 'beta', 'gamma', 'delta'"), notes.get(0));
    }

    @Test
    void aFileOfOneColumnIsAColumnMatrix() throws IOException {
        double[][] values = csv("text_values.csv");
        double[][] column = new double[values.length][];
        for (int i = 0; i < values.length; i++) {
            column[i] = new double[] {values[i][0]};
        }
        Fixtures.assertReadsExactly(this::read, "text_column.txt", column);
    }

    /**
     * Every form of number numpy, C or Java print, and long digit strings that need the slow path, read as
     * {@link Double#parseDouble} reads them, bit for bit, in both precisions.
     */
    @Test
    void numbersReadAsDoubleParseDoubleReadsThem() throws IOException {
        SplittableRandom random = new SplittableRandom(3);
        List<String> tokens = new ArrayList<>(List.of("0", "-0", "+0.0", "-0e5", "0e999999999999", "1", "+1.5",
                "-2.", ".5", "-.25e-3", "1E5", "1e+05", "1e-400", "4.9e-324", "2.4703282292062328e-324",
                "1.7976931348623157e308", "9007199254740993", "9007199254740993.000000000000000000001",
                "000000000000000000000000123.4500000000000000000000", "0.000000000000000000000000000001",
                "123456789012345678901234567890", "1.00000000000000011102230246251565404236316680908203125",
                "3.4028235e38", "-3.4028234663852886e38", "1e22", "1e23", "1e-22", "1e-23"));
        for (int k = 0; k < 20_000; k++) {
            double x = Double.longBitsToDouble(random.nextLong());
            if (!Double.isFinite(x) || Math.abs(x) > 3e38) {
                continue;
            }
            tokens.add(switch (k % 6) {
                case 0 -> Double.toString(x);
                case 1 -> String.format(Locale.ROOT, "%.18e", x);
                case 2 -> String.format(Locale.ROOT, "%.17g", x);
                case 3 -> String.format(Locale.ROOT, "%g", x);
                case 4 -> String.format(Locale.ROOT, "%.25e", x);
                default -> new java.math.BigDecimal(x).toPlainString();
            });
        }
        assertReadAsParsed(tokens, DType.FLOAT64);
        tokens.removeIf(t -> Math.abs(Double.parseDouble(t)) > Float.MAX_VALUE);
        assertReadAsParsed(tokens, DType.FLOAT32);
    }

    /** {@code tokens}, seven to a line, read as Double.parseDouble reads each (rounded to float for float32). */
    private void assertReadAsParsed(List<String> tokens, DType dtype) throws IOException {
        int cols = 7;
        StringBuilder text = new StringBuilder();
        double[][] expected = new double[tokens.size() / cols][cols];
        for (int t = 0; t < expected.length * cols; t++) {
            text.append(tokens.get(t)).append(t % cols == cols - 1 ? "\n" : ",");
            expected[t / cols][t % cols] = Double.parseDouble(tokens.get(t));
        }
        try (DenseMatrix m = read(text.toString(), Separator.COMMA, dtype)) {
            assertBitsEqual(dtype == DType.FLOAT64 ? expected : Dense.roundedToFloat(expected), m.toArray());
        }
    }

    /**
     * The same text delivered a few bytes at a time into a buffer of 7 bytes at first (every token, line end and
     * comment cut at every place, the buffer refilled and grown, lines re-read) reads as delivered at once, also with
     * rows long enough to grow the usual buffer and enough of them to fill several staging chunks.
     */
    @Test
    void trickledInputReadsAsWholeInput() throws IOException {
        SplittableRandom random = new SplittableRandom(5);
        for (int[] shape : new int[][] {{9000, 3}, {3, 20000}}) {
            StringBuilder text = new StringBuilder("\uFEFF# made up\r\n");
            double[][] expected = new double[shape[0]][shape[1]];
            for (int i = 0; i < shape[0]; i++) {
                for (int j = 0; j < shape[1]; j++) {
                    expected[i][j] = random.nextDouble(-1e3, 1e3);
                    text.append(j == 0 ? "" : random.nextBoolean() ? "\t" : " ").append(expected[i][j]);
                }
                text.append(i % 7 == 0 ? "  # row\r\n" : "\n").append(i % 11 == 0 ? "\n \n# a comment line\n" : "");
            }
            byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
            try (DenseMatrix whole = read(new ByteArrayInputStream(bytes), Separator.WHITESPACE, DType.FLOAT64);
                    DenseMatrix trickled = DelimitedText.read(new Trickle(bytes, 97), "t.txt", Separator.WHITESPACE,
                            DType.FLOAT64, notes::add, Long.MAX_VALUE, 7)) {
                assertBitsEqual(expected, whole.toArray());
                assertBitsEqual(expected, trickled.toArray());
            }
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "COMMA||1|empty input: no values",
        "COMMA|# only a comment\\n\\n  \\n|3|no values: only blank lines and # comments",
        "COMMA|a,b\\n|1|no values: only a header line (line 1)",
        "COMMA|1,2\\n3\\n|2|row 2 has 1 values, row 1 (line 1) has 2: column 2 is missing",
        "COMMA|# c\\n1,2\\n\\n3,4,5\\n|4|row 2 has more than 2 values (row 1 (line 2) has 2): an extra value at "
            + "column 3",
        "COMMA|1,2\\n3,x\\n|2|'x' is not a number at row 2, column 2",
        "COMMA|1,2\\n3,4x\\n|2|'4x' is not a number at row 2, column 2",
        "COMMA|1,nan\\n|1|non-finite value 'nan' at row 1, column 2",
        "COMMA|1,-Inf\\n|1|non-finite value '-Inf' at row 1, column 2",
        "TAB|1\\t+infinity|1|non-finite value '+infinity' at row 1, column 2",
        "COMMA|1,2\\n3,1e999\\n|2|non-finite value: '1e999' at row 2, column 2 overflows float64",
        "COMMA|1,,2\\n|1|empty field at row 1, column 2",
        "COMMA|1,2,\\n|1|empty field at row 1, column 3 (a ',' ends the line)",
        "COMMA|,1,2\\n0,1,2\\n|1|empty field at row 1, column 1 (pandas' to_csv writes an index column",
        "COMMA|1 2\\n|1|'2' follows the value at row 1, column 1 where ',' should separate values (the name of t.txt",
        "COMMA|1;2\\n|1|'1;2' is not a number at row 1, column 1 (the name of t.txt makes ',' the separator",
        "WHITESPACE|1,2\\n|1|'1,2' is not a number at row 1, column 1",
        // a German spreadsheet's CSV (twelfth session): the hint was the one about the name's separator
        "COMMA|1,5;2,25\\n|1|'5;2' is not a number at row 1, column 2 (';' between values and ',' in numbers: a "
            + "spreadsheet's CSV in a locale that writes decimal commas; convert it with tr ',;' '.,' < IN > OUT.csv)",
        "WHITESPACE|1,5;2,25\\n|1|'1,5;2,25' is not a number at row 1, column 1 (';' between values and ',' in",
        "TAB|1 2\\n|1|'2' follows the value at row 1, column 1 where a tab should separate values",
        "COMMA|a,1\\n|1|'a' is not a number at row 1, column 1",
        "COMMA|a,b,c\\n1,2\\n|2|the header (line 1) names 3 columns, but row 1 has 2 values",
        "COMMA|1,2\\na,b\\n|2|'a' is not a number at row 2, column 1",
        "COMMA|0x1p3,1\\n|1|'0x1p3' is not a number",
        "COMMA|1f,2\\n|1|'1f' is not a number",
        "COMMA|\"1\",2\\n|1|'\"1\"' at column 1 is a number in quotes",
        // every field quoted, as some tools write them: refused at line 1 (it was taken for a header, and line 2
        // refused as not a number), and after a quoted header at the first quoted number, saying why
        "COMMA|\"1.0\",\"2.0\"\\n\"3\",\"4\"\\n|1|'\"1.0\"' at column 1 is a number in quotes: quoted fields are "
            + "not read; remove the quotes: sed 's/\"//g' IN > OUT",
        "COMMA|\"a\", \"-2e3\"\\n|1|'\"-2e3\"' at column 2 is a number in quotes",
        "COMMA|\"a\",\"b\"\\n\"1\",\"2\"\\n|2|'\"1\"' is not a number at row 1, column 1 (quoted fields are not read",
        "COMMA|1e,2\\n|1|'1e' is not a number",
        "COMMA|1e+,2\\n|1|'1e+' is not a number",
        "COMMA|.,2\\n|1|'.' is not a number",
        "COMMA|-,2\\n|1|'-' is not a number",
        "COMMA|1,2\\n3,\u001b[2J\\n|2|'\\x1B[2J' is not a number"})
    void hostileInputIsOneLineNamingTheLine(Separator separator, String text, long line, String problem) {
        String input = text == null ? "" : text.replace("\\n", "\n").replace("\\t", "\t");
        MatrixFormatException e = assertThrows(MatrixFormatException.class,
                () -> read(input, separator, DType.FLOAT64).close());
        assertEquals(line, e.line(), e.getMessage());
        assertTrue(e.problem().startsWith(problem), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    /**
     * The hint of the separator the name chose follows a field that is not a number only when the field holds another
     * separator: {@code 3,abc} in a .csv was told the name makes ',' the separator, which was right.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '@', quoteCharacter = '`', value = {
        "COMMA@1,2\\n3,abc\\n@'abc' is not a number at row 2, column 2",
        "COMMA@1,2\\n3,4x\\n@'4x' is not a number at row 2, column 2",
        "TAB@1\\t2\\n3\\tx:y\\n@'x:y' is not a number at row 2, column 2",
        "WHITESPACE@1 2\\n3 abc\\n@'abc' is not a number at row 2, column 2",
        "COMMA@1;2\\n@'1;2' is not a number at row 1, column 1 (the name of t.txt makes ',' the separator",
        "COMMA@1|2\\n@'1|2' is not a number at row 1, column 1 (the name of t.txt makes ',' the separator",
        "TAB@1,2\\n@'1,2' is not a number at row 1, column 1 (the name of t.txt makes a tab the separator",
        "WHITESPACE@1;2\\n@'1;2' is not a number at row 1, column 1 (the name of t.txt makes"})
    void theSeparatorHintFollowsOnlyAFieldHoldingAnotherSeparator(Separator separator, String text, String problem) {
        String input = text.replace("\\n", "\n").replace("\\t", "\t");
        MatrixFormatException e = assertThrows(MatrixFormatException.class,
                () -> read(input, separator, DType.FLOAT64).close());
        if (problem.contains(" (")) {
            assertTrue(e.problem().startsWith(problem), e.getMessage());
        } else {
            assertEquals(problem, e.problem());
        }
    }

    @Test
    void aValueBeyondTheFloat32RangeIsRefusedAsFloat32Only() throws IOException {
        String text = "1,3.5e38\n";
        try (DenseMatrix m = read(text, Separator.COMMA, DType.FLOAT64)) {
            assertEquals(3.5e38, m.get(0, 1));
        }
        MatrixFormatException e = assertThrows(MatrixFormatException.class,
                () -> read(text, Separator.COMMA, DType.FLOAT32).close());
        assertEquals("t.txt, line 1: value '3.5e38' at row 1, column 2 is outside the float32 range (it rounds to "
                + "infinity); read it as float64", e.getMessage());
    }

    /**
     * Inputs found by review: CR-only line ends (classic Mac OS) used to join the rows into one; pandas' index
     * column under an empty name was read as data; foreign formats and binary data were announced as a header.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "cr.txt|1 2 3\\r4 5 6\\r7 8 9\\r|a carriage return (CR) without a line feed",
        "cr.csv|1,2\\r3,4\\r|a carriage return (CR) without a line feed",
        "index.csv|,a,b\\n0,1,2\\n1,3,4\\n|the header names no column 1 (an index column, as pandas writes",
        "trailing.csv|a,b,\\n1,2,3\\n|the header names no column 3",
        "mm.csv|%%MatrixMarket matrix array real general\\n2 1\\n1\\n2\\n|a Matrix Market file: give it a name",
        "bin.csv|x\\x01y,z\\n1,2\\n|not text: a control byte 0x01",
    })
    void foreignAndMisreadableTextIsRefused(String name, String text, String message) {
        // the values hold escapes, \r \n and \x01, for the control characters a CSV source cannot carry
        String content = text.replace("\\r", "\r").replace("\\n", "\n").replace("\\x01", "\u0001");
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> DelimitedText.read(
                new ByteArrayInputStream(content.getBytes(StandardCharsets.ISO_8859_1)), name,
                name.endsWith(".csv") ? Separator.COMMA : Separator.WHITESPACE, DType.FLOAT64, notes::add,
                1L << 30).close());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    /**
     * UTF-16 text (a Windows tool's "Unicode" CSV, Python's {@code encoding='utf-16'}), little- and big-endian: its
     * NUL bytes were "not text: a control byte 0x00 at byte 4 of the line (binary data)"; its byte-order mark says
     * what it is.
     */
    @Test
    void utf16TextIsNamedWithItsConversion() {
        byte[] bigEndian = "1,2\n3,4\n".getBytes(StandardCharsets.UTF_16); // Java writes the mark FE FF first
        byte[] littleEndian = ("\uFEFF" + "1,2\n3,4\n").getBytes(StandardCharsets.UTF_16LE); // FF FE, as Python
        for (byte[] content : List.of(bigEndian, littleEndian)) {
            MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> DelimitedText.read(
                    new ByteArrayInputStream(content), "u16.csv", Separator.COMMA, DType.FLOAT64, notes::add,
                    1L << 30).close());
            assertEquals("u16.csv, line 1: not delimited text: UTF-16 text (it starts with a UTF-16 byte-order "
                    + "mark): convert it to UTF-8, e.g. iconv -f UTF-16 -t UTF-8 < IN > OUT", e.getMessage());
        }
    }

    /** A matrix larger than the memory is refused while it is read, before its rows are all staged. */
    @Test
    void aMatrixBeyondTheMemoryIsRefusedAsItIsRead() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            text.append(i).append(',').append(i).append('\n');
        }
        long live = NativeMemory.liveBytes();
        // a row of 2 float64 values takes a padded row of the matrix, 64 bytes: the 16th row passes 1000 bytes
        long rowBytes = DenseMatrix.strideOf(DType.FLOAT64, 2) * 8L;
        long rows = 1000 / rowBytes + 1;
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> DelimitedText.read(
                new ByteArrayInputStream(text.toString().getBytes(StandardCharsets.US_ASCII)), "m.csv",
                Separator.COMMA, DType.FLOAT64, notes::add, 1000).close());
        assertEquals("m.csv, line " + rows + ": the " + rows + " rows of 2 values read so far need " + rows * rowBytes
                + " bytes as float64, more than the 1000 bytes of memory of this machine", e.getMessage());
        assertEquals(live, NativeMemory.liveBytes(), "a matrix was left allocated");
    }

    @Test
    void theSeparatorComesFromTheName() {
        assertEquals(Separator.COMMA, DelimitedText.separatorOf(Path.of("a/M.CSV")));
        assertEquals(Separator.COMMA, DelimitedText.separatorOf(Path.of("M.csv.gz")));
        assertEquals(Separator.TAB, DelimitedText.separatorOf(Path.of("M.tsv")));
        assertEquals(Separator.WHITESPACE, DelimitedText.separatorOf(Path.of("M.txt.GZ")));
        assertEquals(Separator.WHITESPACE, DelimitedText.separatorOf(Path.of("M.dat")));
        assertNull(DelimitedText.separatorOf(Path.of("M.mtx")));
        assertNull(DelimitedText.separatorOf(Path.of("M.gz")));
        assertNull(DelimitedText.separatorOf(Path.of("csv")));
        assertNull(DelimitedText.separatorOf(Path.of("/")));
    }

    @Test
    void aMissingOrDamagedFileIsNamed() throws IOException {
        NoSuchFileException missing = assertThrows(NoSuchFileException.class,
                () -> read(dir.resolve("absent.csv"), DType.FLOAT64));
        assertEquals(dir.resolve("absent.csv") + ": no such delimited text file", missing.getMessage());
        Path damaged = Files.write(dir.resolve("d.csv.gz"), new byte[] {0x1F, (byte) 0x8B, 8, 0, 1, 2, 3});
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> read(damaged, DType.FLOAT64));
        assertTrue(e.getMessage().startsWith(damaged + ": damaged gzip data: "), e.getMessage());
        // a gzip file is recognised by its bytes, not its name, as the Matrix Market reader recognises it
        Path renamed = Files.copy(fixture("text_default.csv.gz"), dir.resolve("plain-name.csv"));
        try (DenseMatrix m = read(renamed, DType.FLOAT64)) {
            assertBitsEqual(csv("text_values.csv"), m.toArray());
        }
        assertThrows(IllegalArgumentException.class, () -> read(fixture("gd_M.mtx"), DType.FLOAT64));
    }

    /**
     * What a file named as delimited text is by its first bytes, as {@link DelimitedText#read} reports it (for a
     * command that refuses such a name before reading it: spark-factorize); gzip data is delimited text compressed.
     */
    @Test
    void theForeignFormatOfANameIsWhatTheReaderSays() throws IOException {
        Path mtx = Files.copy(fixture("gd_M.mtx"), dir.resolve("M.txt"));
        MatrixFormatException e = assertThrows(MatrixFormatException.class, () -> read(mtx, DType.FLOAT64));
        String foreign = DelimitedText.foreignFormatOf(mtx);
        assertEquals("a Matrix Market file: give it a name ending in .mtx", foreign);
        assertTrue(e.getMessage().endsWith(": not delimited text: " + foreign), e.getMessage());
        assertNull(DelimitedText.foreignFormatOf(fixture("text_default.csv.gz")));
        assertNull(DelimitedText.foreignFormatOf(fixture("text_default.csv")));
        assertNull(DelimitedText.foreignFormatOf(dir.resolve("absent.csv")));
    }

    @Test
    void aNamedPipeIsReadAsItArrives() throws IOException, InterruptedException {
        Path fifo = dir.resolve("m.csv");
        Thread writer = Fixtures.pipeFeeding(fifo, Files.readAllBytes(fixture("text_default.csv")));
        try (DenseMatrix m = read(fifo, DType.FLOAT64)) {
            assertBitsEqual(csv("text_values.csv"), m.toArray());
        }
        writer.join();
    }

    /** Bit for bit: assertArrayEquals compares doubles by their bits, so -0.0 is not 0.0. */
    private static void assertBitsEqual(double[][] expected, double[][] actual) {
        assertEquals(expected.length, actual.length, "rows");
        for (int i = 0; i < expected.length; i++) {
            assertArrayEquals(expected[i], actual[i], "row " + (i + 1));
        }
    }

    /**
     * A null {@code notes} is refused at the call, with or without a header (fifteenth session, a new user's trial): it
     * was used only when a header was skipped, and failed there with the JVM's "Cannot invoke
     * "java.util.function.Consumer.accept(Object)" because "this.notes" is null".
     */
    @Test
    void nullNotesAreRefusedWhateverTheFileHolds() throws IOException {
        for (String content : new String[] {"a,b\n1,2\n", "1,2\n"}) {
            Path f = Files.writeString(dir.resolve("m.csv"), content);
            assertEquals("notes must not be null (s -> { } ignores them)", assertThrows(NullPointerException.class,
                    () -> DelimitedText.read(f, DType.FLOAT64, null)).getMessage(), content);
        }
    }
}
