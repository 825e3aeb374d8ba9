package org.autobalance.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The mapped, chunked reading ({@link ChunkedBody}) against the streaming parser, its reference: on every input the
 * same matrix bit for bit (dense and sparse, float64 and float32, for 1 to 7 chunks, so that chunk boundaries fall on
 * every kind of line), or the same error — the mapped reading either refuses the header with the streaming parser's
 * own message or hands the file back (null) for the streaming parser to report. A well-formed file must not be handed
 * back: that would pass every comparison while never using the mapped reading.
 */
class MappedMatrixMarketTest {
    /**
     * Chunk counts for the fixtures and bad inputs (7: more chunks than lines, some empty) and for the many random
     * files.
     */
    private static final int[] MANY_CHUNKS = {1, 2, 7};
    private static final int[] CHUNKS = {1, 3};

    @TempDir
    Path dir;

    /**
     * The outcome of one reading: the matrix's bits (as text) or the exception's class and message; null if handed
     * back.
     */
    private interface Reading {
        Object read() throws IOException;
    }

    private static String outcome(Reading r) {
        try {
            Object m = r.read();
            return m == null ? null : m instanceof DenseMatrix d ? bits(d) : bits((SparseMatrix) m);
        } catch (IOException | RuntimeException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    private static String bits(DenseMatrix m) {
        try (m) {
            StringBuilder b = new StringBuilder(m.rows() + " x " + m.cols() + " dense\n");
            for (int i = 0; i < m.rows(); i++) {
                for (int j = 0; j < m.cols(); j++) {
                    b.append(Long.toHexString(Double.doubleToRawLongBits(m.get(i, j)))).append(' ');
                }
                b.append('\n');
            }
            return b.toString();
        }
    }

    private static String bits(SparseMatrix s) {
        try (s) {
            StringBuilder b = new StringBuilder(s.rows() + " x " + s.cols() + " sparse " + s.dtype() + "\n");
            for (int i = 0; i <= s.rows(); i++) {
                b.append(s.rowStart(i)).append(' ');
            }
            b.append('\n');
            for (long k = 0; k < s.nonZeros(); k++) {
                b.append(s.column(k)).append(':').append(Long.toHexString(Double.doubleToRawLongBits(s.value(k))))
                        .append(' ');
            }
            return b.toString();
        }
    }

    /** Compares the readings of {@code bytes} as a file; returns whether the input was well formed (for float64). */
    private boolean compare(byte[] bytes, String what, int... chunkCounts) throws IOException {
        Path file = dir.resolve("m.mtx");
        Files.write(file, bytes);
        return compare(file, what, true, chunkCounts);
    }

    /**
     * Compares the readings of {@code file} (the dense ones only if {@code dense}: a declared size may be large);
     * returns whether it was well formed (for float64).
     */
    static boolean compare(Path file, String what, boolean dense, int... chunkCounts) throws IOException {
        boolean wellFormed = false;
        for (DType dtype : DType.values()) {
            String streamedDense = dense ? outcome(() -> MatrixMarket.readStreamed(file, dtype)) : null;
            String streamedSparse = outcome(() -> MatrixMarket.readSparseStreamed(file, dtype));
            wellFormed |= dtype == DType.FLOAT64 && !streamedSparse.contains("Exception: ");
            for (int chunks : chunkCounts) {
                String context = what + ", " + dtype + ", " + chunks + " chunks";
                if (dense) {
                    check(streamedDense, outcome(() -> MatrixMarket.readMapped(file, dtype, chunks, 1)),
                            context + ", dense");
                }
                check(streamedSparse, outcome(() -> MatrixMarket.readSparseMapped(file, dtype, chunks, 1)),
                        context + ", sparse");
            }
            // and the public methods, which hand a malformed body back to the streaming parser
            if (dense) {
                assertEquals(streamedDense, outcome(() -> MatrixMarket.read(file, dtype)), what);
            }
            assertEquals(streamedSparse, outcome(() -> MatrixMarket.readSparse(file, dtype)), what);
        }
        return wellFormed;
    }

    private static void check(String streamed, String mapped, String context) {
        if (!streamed.contains("Exception: ")) {
            assertNotNull(mapped, context + ": a well-formed file was handed back to the streaming parser");
            assertEquals(streamed, mapped, context);
        } else if (mapped != null) {
            assertEquals(streamed, mapped, context + ": a refusal of the header must be the streaming parser's");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.autobalance.io.MatrixMarketTest#badInputs")
    void badInputsAreRefusedAsTheStreamingParserRefusesThem(String name, String text, long line, String[] fragments)
            throws IOException {
        assertTrue(!compare(text.getBytes(StandardCharsets.ISO_8859_1), name, MANY_CHUNKS) || text.isEmpty(), name);
    }

    static Stream<Arguments> fixtures() {
        return Stream.of("mm_array_general.mtx", "mm_array_integer.mtx", "mm_array_symmetric.mtx",
                "mm_coordinate_general.mtx", "mm_coordinate_symmetric.mtx", "mm_pattern.mtx", "mm_skew.mtx",
                "mm_skew_array.mtx", "mm_hermitian.mtx", "mm_duplicates.mtx", "mm_symmetric_duplicates.mtx",
                "mm_scipy_coordinate.mtx", "gd_M.mtx", "spectrum_64x48.mtx").map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void fixturesAreReadAsTheStreamingParserReadsThem(String name) throws IOException {
        assertTrue(compare(Files.readAllBytes(Fixtures.fixture(name)), name, MANY_CHUNKS), name + " is well formed");
    }

    /** Random files of every kind, with every layout the format allows: all read through the mapping. */
    @Test
    void randomWellFormedFiles() throws IOException {
        Random random = new Random(2026_12_01);
        for (int n = 0; n < 50; n++) {
            String text = randomFile(random);
            assertTrue(compare(text.getBytes(StandardCharsets.ISO_8859_1), "file " + n + ":\n" + text, CHUNKS),
                    "file " + n + " must be well formed:\n" + text);
        }
    }

    /** The random files with a byte changed, removed or inserted: readings agree, errors included. */
    @Test
    void damagedFiles() throws IOException {
        Random random = new Random(1_12_2026);
        int malformed = 0;
        for (int n = 0; n < 60; n++) {
            StringBuilder b = new StringBuilder(randomFile(random));
            for (int k = 1 + random.nextInt(2); k > 0; k--) {
                int at = random.nextInt(b.length());
                String alphabet = "0123456789 .eE+-%\n\r\tx";
                char c = alphabet.charAt(random.nextInt(alphabet.length()));
                switch (random.nextInt(3)) {
                    case 0 -> b.setCharAt(at, c);
                    case 1 -> b.deleteCharAt(at);
                    default -> b.insert(at, c);
                }
            }
            malformed += compare(b.toString().getBytes(StandardCharsets.ISO_8859_1), "damaged file " + n + ":\n" + b,
                    CHUNKS) ? 0 : 1;
        }
        // damage that leaves the file well formed is common (a digit changed), but most must be refused
        assertTrue(malformed > 20, malformed + " of 60 damaged files refused");
    }

    /** A gzip file and a file too short to map are not read through a mapping; a missing one is named as before. */
    @Test
    void gzipAndTinyFilesAreLeftToTheStreamingParser() throws IOException {
        assertNull(MatrixMarket.readMapped(Fixtures.fixture("mm_array_general.mtx.gz"), DType.FLOAT64, 2, 1));
        Path tiny = dir.resolve("tiny.mtx");
        Files.writeString(tiny, "%");
        assertNull(MatrixMarket.readSparseMapped(tiny, DType.FLOAT64, 2, 1));
        assertThrows(MatrixFormatException.class, () -> MatrixMarket.read(tiny, DType.FLOAT64));
        assertNull(MatrixMarket.readMapped(dir.resolve("missing.mtx"), DType.FLOAT64, 2, 1));
    }

    /** A Matrix Market file of random kind, size, values and layout (line ends, blanks, comments, spacing). */
    static String randomFile(Random random) {
        boolean coordinate = random.nextBoolean();
        String field = coordinate ? pick(random, "real", "integer", "pattern") : pick(random, "real", "integer");
        String symmetry = pick(random, "general", "symmetric", "skew-symmetric", "hermitian");
        int rows = 1 + random.nextInt(9);
        int cols = symmetry.equals("general") ? 1 + random.nextInt(9) : rows;
        StringBuilder b = new StringBuilder();
        String header = "%%MatrixMarket matrix " + (coordinate ? "coordinate" : "array") + " " + field + " " + symmetry;
        b.append(random.nextInt(5) == 0 ? header.toUpperCase(Locale.ROOT) : header).append(lineEnd(random));
        noise(random, b);
        StringBuilder body = new StringBuilder();
        long count = 0;
        if (coordinate) {
            int entries = random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(2 * rows * cols);
            for (int e = 0; e < entries; e++) {
                noise(random, body);
                int i = 1 + random.nextInt(rows);
                int j = 1 + random.nextInt(cols);
                body.append(space(random, true)).append(index(random, i)).append(space(random, false))
                        .append(index(random, j));
                if (!field.equals("pattern")) {
                    body.append(space(random, false)).append(value(random, field));
                }
                body.append(space(random, true)).append(lineEnd(random));
            }
            count = entries;
        } else {
            int mirror = symmetry.equals("general") ? 0 : symmetry.equals("skew-symmetric") ? -1 : 1;
            long values = mirror == 0 ? (long) rows * cols
                    : mirror > 0 ? rows * (rows + 1L) / 2 : rows * (rows - 1L) / 2;
            for (long v = 0; v < values; v++) {
                noise(random, body);
                body.append(space(random, true)).append(value(random, field));
                // several values on a line now and then
                while (v + 1 < values && random.nextInt(4) == 0) {
                    body.append(space(random, false)).append(value(random, field));
                    v++;
                }
                body.append(space(random, true)).append(lineEnd(random));
            }
            count = values;
        }
        b.append(space(random, true)).append(rows).append(space(random, false)).append(cols);
        if (coordinate) {
            b.append(space(random, false)).append(count);
        }
        b.append(space(random, true)).append(lineEnd(random)).append(body);
        noise(random, b);
        // sometimes no line end after the last line
        if (random.nextInt(4) == 0) {
            while (b.length() > 0 && (b.charAt(b.length() - 1) == '\n' || b.charAt(b.length() - 1) == '\r')) {
                b.setLength(b.length() - 1);
            }
        }
        return b.toString();
    }

    private static String pick(Random random, String... options) {
        return options[random.nextInt(options.length)];
    }

    private static String lineEnd(Random random) {
        return pick(random, "\n", "\n", "\n", "\r\n", "\r");
    }

    /** Whitespace between tokens (at least one byte), or optional whitespace at a line's start or end. */
    private static String space(Random random, boolean optional) {
        String s = random.nextInt(3) > 0 ? " " : pick(random, "  ", "\t", " \t ", "\u000b", "\f", "\u0000");
        return optional && random.nextInt(3) > 0 ? "" : s;
    }

    /** Now and then a blank line, a comment line or an indented comment. */
    private static void noise(Random random, StringBuilder b) {
        if (random.nextInt(8) == 0) {
            b.append(pick(random, "", "  ", "% a comment", " \t% indented comment 1 2 3", "%", "%%", "% é \u0085"))
                    .append(lineEnd(random));
        }
    }

    private static String index(Random random, int i) {
        return random.nextInt(10) == 0 ? pick(random, "+", "0", "00") + i : Integer.toString(i);
    }

    private static String value(Random random, String field) {
        if (field.equals("integer")) {
            long v = random.nextInt(5) == 0 ? random.nextLong() : random.nextInt(2001) - 1000;
            return (random.nextInt(10) == 0 && v >= 0 ? "+" : "") + v;
        }
        double x = random.nextGaussian() * Math.pow(10, random.nextInt(21) - 10);
        return switch (random.nextInt(6)) {
            case 0 -> Double.toString(x);
            case 1 -> String.format(Locale.ROOT, "%.16e", x);
            case 2 -> String.format(Locale.ROOT, "%.25f", x);
            case 3 -> String.format(Locale.ROOT, "%.3E", x);
            case 4 -> pick(random, "0", "-0", ".5", "5.", "-0.0e0", "1e-320", "3.4028235677973366e38", "2e-45", "7");
            default -> {
                StringBuilder out = new StringBuilder();
                MatrixMarket.appendScientific(out, x);
                yield out.toString();
            }
        };
    }
}
