package org.autobalance.io;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Reader;
import java.io.Writer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.Channels;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.Consumer;
import org.autobalance.io.internal.AtomicFile;
import org.autobalance.io.internal.FileChecks;
import org.autobalance.io.internal.Interrupts;
import org.autobalance.kernel.EngineProperties;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.Float32RangeException;
import org.autobalance.memory.NativeMemory;
import org.autobalance.memory.SparseMatrix;

/**
 * Reads and writes dense matrices in the <a href="https://math.nist.gov/MatrixMarket/formats.html">Matrix Market</a>
 * text format.
 *
 * <h2>What is read</h2>
 * <ul>
 *   <li>Line 1 is the header {@code %%MatrixMarket matrix <format> <field> <symmetry>}; the keywords are
 *       case-insensitive. Supported: format {@code array} or {@code coordinate}; field {@code real}, {@code integer}
 *       or (coordinate only) {@code pattern}; symmetry {@code general}, {@code symmetric}, {@code skew-symmetric} or
 *       {@code hermitian}. Anything else ({@code vector} objects, {@code complex}) is rejected with a message naming
 *       the unsupported keyword. The readings follow scipy's {@code mmread}: a {@code pattern} entry is 1; a
 *       {@code hermitian} matrix of real values is symmetric; a {@code skew-symmetric} entry (i, j) is mirrored as
 *       −value at (j, i) (an entry on the diagonal, which the format does not allow, is kept as it is).</li>
 *   <li>Lines starting with {@code %} (comments) and blank lines are skipped wherever they appear. Tokens may be
 *       separated by any run of spaces or tabs, with leading and trailing whitespace allowed.</li>
 *   <li>The size line is {@code rows columns} for {@code array} and {@code rows columns entries} for
 *       {@code coordinate}. Dimensions must be between 1 and {@link Integer#MAX_VALUE}; every symmetry other than
 *       {@code general} needs a square matrix.</li>
 *   <li>{@code array}: the values in <em>column-major</em> order, rows × columns of them; {@code symmetric} (and
 *       {@code hermitian}) stores only the lower triangle with the diagonal, column by column (n(n+1)/2 values), and
 *       the upper triangle is mirrored; {@code skew-symmetric} stores the strictly lower triangle (n(n−1)/2 values),
 *       the diagonal is 0 and the upper triangle the negated mirror. Values are usually one per line; several on a
 *       line are accepted and read in the same order.</li>
 *   <li>{@code coordinate}: exactly {@code entries} lines {@code i j value} ({@code i j} for {@code pattern}) with
 *       1-based indices; positions not listed are 0. In a symmetric (skew-symmetric) matrix each entry (i, j) off the
 *       diagonal is also stored at (j, i) (negated); the format lists the lower triangle only, but an entry above the
 *       diagonal is accepted and mirrored the same way. A position given more than once is the sum of its entries
 *       (as scipy reads it), summed in double in file order; for symmetric matrices an entry and its mirror count
 *       as the same position. A coordinate file is read into a {@link SparseMatrix} ({@link #readSparse}) without
 *       ever forming the dense matrix; {@link #read} builds the dense matrix from it. Explicitly listed zeros are
 *       stored entries of the sparse matrix (observations, for matrix completion).</li>
 *   <li>Values are decimal numbers ({@code [+-]digits[.digits][e[+-]digits]}, also {@code .5} and {@code 5.}) read
 *       with {@link Double#parseDouble} semantics (correctly rounded; subnormals kept; underflow gives 0).
 *       {@code NaN}, {@code Inf}, {@code Infinity}, hexadecimal and Java-suffixed ({@code 1f}, {@code 2d}) forms are
 *       rejected, and so is a value whose magnitude overflows to infinity (in float64, or when rounded to float32).
 *       An {@code integer} matrix accepts only {@code [+-]digits} within the range of a 64-bit integer (as scipy's
 *       {@code mmread} does), each rounded to the nearest double as a real value is.</li>
 *   <li>For {@link DType#FLOAT32} each value is parsed to a double and then rounded to float, so reading as float32
 *       gives exactly what reading as float64 and then rounding each element gives.</li>
 * </ul>
 * Every problem is reported as a {@link MatrixFormatException} naming the source, the 1-based line and what is
 * wrong, for instance {@code "m.mtx, line 7: non-finite value 'NaN' at row 2, column 3"} or
 * {@code "m.mtx, line 12: truncated: expected 20 values, found 9 before the end of the input"}. The matrix is
 * allocated only after the header and the size line are valid, and freed again when the body is bad. Reading a file,
 * the size line is also checked against the file's length (a body of n values needs at least 2n − 1 bytes, of n
 * coordinate entries 6n − 1) and the matrix against the machine's physical memory before anything is allocated, so a
 * lying header costs neither time nor memory. A gzip-compressed file (recognised by its first bytes, as scipy's
 * {@code mmread} reads {@code .mtx.gz}) is decompressed as it is read, its length bounded by DEFLATE's largest
 * expansion (1032 times the file); damaged gzip data is a {@link MatrixFormatException} too.
 *
 * <p>A regular, uncompressed file is read through a mapping of it: the header and size line by the streaming parser
 * (the same checks and messages), the body split at line ends into one chunk per processor (at least 1 MiB each) and
 * parsed from its bytes in parallel ({@link ChunkedBody}, numbers by {@link DecimalParser}, exact), the chunks then
 * handed on in file order, so the matrix is bit for bit the streaming parser's. A body that is not well formed is
 * read again by the streaming parser, which reports the problem with its line. A file cut short while it is read (a
 * mapped page that vanishes is a JVM {@link InternalError}) is a {@link MatrixFormatException} saying so.
 *
 * <p>Reading as a sparse matrix ({@link #readSparse}) stages the listed entries in native memory (16 bytes each, with
 * mirrors) before building the CSR arrays; the dense reading of a coordinate file goes through the same sparse
 * matrix, so both readings agree entry for entry.
 *
 * <h2>What is written</h2>
 * {@code %%MatrixMarket matrix array real general}, optional comment lines, the size line and the values in
 * column-major order, one per line, formatted like C's {@code %.17e} ({@code -2.50000000000000000e-07}): the
 * shortest decimal that reads back as the same double, padded with zeros to 17 fraction digits. A float64 matrix
 * reads back bit for bit; a float32 element is written as its exact double value, so it reads back bit for bit as
 * float32 (and exactly widened as float64). The file is written to a temporary file next to the target, forced to
 * disk and then atomically renamed over the target, so the target is either the old file or the complete new one.
 */
public final class MatrixMarket {
    private static final String BANNER = "%%MatrixMarket";
    /** Digits after the point in written values: with the leading digit, one more than round-trip needs (17). */
    private static final int FRACTION_DIGITS = 17;
    /** Longest piece of offending input quoted in a message, so a garbled file does not produce a huge message. */
    private static final int MAX_QUOTED = 40;
    private static final int BUFFER_CHARS = 1 << 16;
    /**
     * The longest first line read as a header: the banner is a few words (the format's own limit on a line is 1024
     * characters).
     */
    private static final int MAX_HEADER_CHARS = 4096;

    private MatrixMarket() {
    }

    private enum Format { ARRAY, COORDINATE }

    private enum Field { REAL, INTEGER, PATTERN }

    private enum Symmetry {
        GENERAL, SYMMETRIC, SKEW_SYMMETRIC, HERMITIAN;

        /** The header keyword, e.g. {@code skew-symmetric}. */
        String keyword() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /** The sign of the mirror of an entry off the diagonal; 0 when nothing is mirrored. */
        int mirror() {
            return switch (this) {
                case GENERAL -> 0;
                case SYMMETRIC, HERMITIAN -> 1;
                case SKEW_SYMMETRIC -> -1;
            };
        }
    }

    /**
     * What the header and the size line of a file say, read without the body ({@link #readHeader}). A class, not a
     * record, so that what it reports can grow without breaking callers.
     */
    public static final class Header {
        private final boolean coordinate;
        private final int rows;
        private final int cols;
        private final long entries;
        private final String symmetry;

        private Header(boolean coordinate, int rows, int cols, long entries, String symmetry) {
            this.coordinate = coordinate;
            this.rows = rows;
            this.cols = cols;
            this.entries = entries;
            this.symmetry = Objects.requireNonNull(symmetry);
        }

        /** Whether the format is {@code coordinate} (else {@code array}). */
        public boolean coordinate() {
            return coordinate;
        }

        /** d1. */
        public int rows() {
            return rows;
        }

        /** d2. */
        public int cols() {
            return cols;
        }

        /** The entries the size line declares (coordinate), or rows·cols (array). */
        public long entries() {
            return entries;
        }

        /** The symmetry keyword, e.g. {@code general}. */
        public String symmetry() {
            return symmetry;
        }

        /** An upper bound on the stored entries of the matrix (mirrors included, duplicates not merged). */
        public long storedBound() {
            return symmetry.equals("general") ? entries : 2 * entries;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Header h && coordinate == h.coordinate && rows == h.rows && cols == h.cols
                    && entries == h.entries && symmetry.equals(h.symmetry);
        }

        @Override
        public int hashCode() {
            return Objects.hash(coordinate, rows, cols, entries, symmetry);
        }

        @Override
        public String toString() {
            return "Header[" + (coordinate ? "coordinate" : "array") + ", " + rows + " x " + cols + ", " + entries
                    + " entries, " + symmetry + "]";
        }
    }

    /**
     * Reads the matrix in {@code path} into a new matrix of {@code dtype}; the caller owns (and must close) it.
     *
     * <p>The file is decoded as ISO-8859-1: the format is ASCII, and this decoding cannot fail, so stray bytes in a
     * comment are skipped and stray bytes in a value are reported with their line instead of as a charset error.
     *
     * @throws MatrixFormatException if the content is malformed or unsupported (see the class documentation)
     * @throws NoSuchFileException if {@code path} does not exist
     * @throws IOException if reading fails
     */
    public static DenseMatrix read(Path path, DType dtype) throws IOException {
        requirePathAndDtype(path, dtype);
        DenseMatrix fast = readMapped(path, dtype, Runtime.getRuntime().availableProcessors(),
                ChunkedBody.MIN_CHUNK_BYTES);
        return fast != null ? fast : readStreamed(path, dtype);
    }

    /** As {@link #read(Path, DType)} by the streaming parser alone, as a pipe or a gzip file is read. */
    static DenseMatrix readStreamed(Path path, DType dtype) throws IOException {
        try (Input in = open(path)) {
            return read(in.reader(), path.toString(), dtype, allocated -> { }, in.chars(),
                    NativeMemory.physicalBytes());
        }
    }

    /**
     * As {@link #read(Path, DType)} through a mapping of the file, its body parsed on up to {@code threads} threads in
     * chunks of at least {@code minChunkBytes} (see {@link #readMapped(Path, DType, long, int, long, MappedReading)});
     * null when the streaming parser must read it.
     */
    static DenseMatrix readMapped(Path path, DType dtype, int threads, long minChunkBytes) throws IOException {
        return readMapped(path, dtype, threads, minChunkBytes, () -> { });
    }

    /**
     * As {@link #readMapped(Path, DType, int, long)}, running {@code whenMapped} once the file is mapped, before it is
     * parsed (where a test cuts the file short, as another program may).
     */
    static DenseMatrix readMapped(Path path, DType dtype, int threads, long minChunkBytes, Runnable whenMapped)
            throws IOException {
        return readMapped(path, dtype, NativeMemory.physicalBytes(), threads, minChunkBytes, (parser, body) -> {
            whenMapped.run();
            return parser.parse(body);
        });
    }

    /**
     * Rows {@code [firstRow, firstRow + count)} of the matrix in {@code path}, as a new {@code count × columns} matrix
     * equal, bit for bit, to those rows of {@link #read}'s (the caller owns it), for a reader that splits one file
     * among several (the Spark module's tasks) and holds only its rows. The whole text is still read — an array file is
     * column-major and a coordinate file in any order — and its structure checked (header, size line, the count of
     * values or entries, indices), but the values of other rows are skipped unchecked and unconverted, which is most
     * of a parse's work: read the file whole once (as the Spark driver does, before it splits it) to check them.
     *
     * @throws IllegalArgumentException if the range is empty or not inside the matrix's rows
     * @throws MatrixFormatException if the file's structure is malformed, or a value of these rows is
     * @throws NoSuchFileException if {@code path} does not exist
     * @throws IOException if reading fails
     */
    public static DenseMatrix readRows(Path path, DType dtype, long firstRow, int count) throws IOException {
        requirePathAndDtype(path, dtype);
        try (Input in = open(path)) {
            Parser p = new Parser(in.reader(), path.toString(), dtype, allocated -> { }, in.chars(),
                    NativeMemory.physicalBytes());
            return p.parseRows(firstRow, count);
        }
    }

    /**
     * Reads the matrix in {@code path} into a new sparse matrix of {@code dtype} (the caller owns it): a coordinate
     * file's entries as listed (see the class documentation), an array file's every value (all of them stored).
     *
     * @throws MatrixFormatException if the content is malformed or unsupported
     * @throws NoSuchFileException if {@code path} does not exist
     * @throws IOException if reading fails
     */
    public static SparseMatrix readSparse(Path path, DType dtype) throws IOException {
        requirePathAndDtype(path, dtype);
        SparseMatrix fast = readSparseMapped(path, dtype, Runtime.getRuntime().availableProcessors(),
                ChunkedBody.MIN_CHUNK_BYTES);
        return fast != null ? fast : readSparseStreamed(path, dtype);
    }

    /** As {@link #readSparse(Path, DType)} by the streaming parser alone. */
    static SparseMatrix readSparseStreamed(Path path, DType dtype) throws IOException {
        try (Input in = open(path)) {
            // the sparse path never densifies: only the size line against the file's length is checked
            return new Parser(in.reader(), path.toString(), dtype, allocated -> { }, in.chars(), Long.MAX_VALUE)
                    .parseSparse(null);
        }
    }

    /** As {@link #readSparse(Path, DType)}, read as {@link #readMapped(Path, DType, int, long)} reads. */
    static SparseMatrix readSparseMapped(Path path, DType dtype, int threads, long minChunkBytes) throws IOException {
        return readMapped(path, dtype, Long.MAX_VALUE, threads, minChunkBytes, Parser::parseSparse);
    }

    /** As {@link #readSparse(Path, DType)} from {@code reader} (not closed), named {@code source} in messages. */
    public static SparseMatrix readSparse(Reader reader, String source, DType dtype) throws IOException {
        requireReaderArguments(reader, source, dtype);
        BufferedReader buffered = reader instanceof BufferedReader b ? b : new BufferedReader(reader,
                BUFFER_CHARS);
        return new Parser(buffered, source, dtype, allocated -> { }, -1, Long.MAX_VALUE).parseSparse(null);
    }

    /** How a {@link Parser} reads a mapped body: {@link Parser#parse} or {@link Parser#parseSparse}. */
    private interface MappedReading<T> {
        T read(Parser parser, ChunkedBody.Mapped body) throws IOException;
    }

    /**
     * Reads a regular, uncompressed file through a mapping of it: its header and size line by the streaming parser (the
     * same lines, checks and messages), its body by {@link ChunkedBody}. Null when the streaming parser must read the
     * file: it is not such a file (a pipe, gzip data, nearly empty, missing, unreadable) or its body is not well
     * formed or cannot be held, which the streaming reading then reports with its line.
     */
    private static <T> T readMapped(Path path, DType dtype, long maxMatrixBytes, int threads, long minChunkBytes,
            MappedReading<T> reading) throws IOException {
        if (!Files.isRegularFile(path)) {
            return null;
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException | AccessDeniedException e) {
            return null;
        }
        try (channel; Arena arena = Arena.ofShared()) {
            long size = channel.size();
            if (size < 2) {
                return null;
            }
            MemorySegment text = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            if (FileInput.isGzip(text.get(ValueLayout.JAVA_BYTE, 0) & 0xFF,
                    text.get(ValueLayout.JAVA_BYTE, 1) & 0xFF)) {
                return null;
            }
            // not closed: closing it would close the channel, which the try closes
            BufferedReader head = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel),
                    StandardCharsets.ISO_8859_1), BUFFER_CHARS);
            Parser parser = new Parser(head, path.toString(), dtype, allocated -> { }, size, maxMatrixBytes);
            T read = reading.read(parser, new ChunkedBody.Mapped(text, threads, minChunkBytes));
            if (read == null) {
                // a chunked parse gives up when it finds the thread interrupted
                Interrupts.checkReading(path.toString());
            }
            return read;
        } catch (ClosedByInterruptException e) {
            throw Interrupts.reading(path.toString(), e);
        } catch (InternalError e) {
            throw FileInput.cutShort(path.toString(), e);
        }
    }

    /**
     * The header and size line of {@code path}, checked as {@link #read} checks them, without reading the body.
     *
     * @throws MatrixFormatException if the header or size line is malformed or unsupported
     */
    public static Header readHeader(Path path) throws IOException {
        Objects.requireNonNull(path, "path must not be null");
        Interrupts.checkReading(path.toString());
        try (Input in = open(path)) {
            Parser p = new Parser(in.reader(), path.toString(), DType.FLOAT64, allocated -> { }, in.chars(),
                    Long.MAX_VALUE);
            p.readHeaderAndSize();
            return new Header(p.format == Format.COORDINATE, p.rows, p.cols, p.entries, p.symmetry.keyword());
        }
    }

    /**
     * A file's text and an upper bound on its length in characters (its bytes: the decoding is ISO-8859-1), which the
     * size line is checked against before anything is allocated, or −1 for a pipe ({@link FileInput}: a gzip file is
     * decompressed as it is read, its text bounded by DEFLATE's largest expansion, which bounds what a lying size line
     * can allocate to about 4000 times the file: a float64 array has 2 bytes of text per 8-byte value).
     */
    private record Input(BufferedReader reader, long chars) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            reader.close();
        }
    }

    /** The checks of a file reader's arguments, and of an interrupt before it starts. */
    private static void requirePathAndDtype(Path path, DType dtype) throws IOException {
        Objects.requireNonNull(path, "path must not be null");
        Objects.requireNonNull(dtype, "dtype must not be null");
        Interrupts.checkReading(path.toString());
    }

    private static void requireReaderArguments(Reader reader, String source, DType dtype) {
        Objects.requireNonNull(reader, "reader must not be null");
        Objects.requireNonNull(source, "source must not be null");
        Objects.requireNonNull(dtype, "dtype must not be null");
    }

    private static Input open(Path path) throws IOException {
        FileInput file = FileInput.open(path, "Matrix Market");
        return new Input(new BufferedReader(new InputStreamReader(file.bytes(), StandardCharsets.ISO_8859_1),
                BUFFER_CHARS), file.maxBytes());
    }

    /**
     * Reads a matrix from {@code reader}, naming it {@code source} in error messages. The reader is not closed.
     *
     * @throws MatrixFormatException if the content is malformed or unsupported (see the class documentation)
     * @throws IOException if reading fails
     */
    public static DenseMatrix read(Reader reader, String source, DType dtype) throws IOException {
        requireReaderArguments(reader, source, dtype);
        return read(reader, source, dtype, allocated -> { }, -1, NativeMemory.physicalBytes());
    }

    /**
     * As {@link #read(Reader, String, DType)}, handing the matrix to {@code onAllocate} as soon as it exists.
     *
     * @param inputChars the length of the whole input in characters (bytes: the decoding is ISO-8859-1), or −1 when
     *        unknown; when known, a size line that declares more values than the rest of the input can hold is
     *        refused as truncated <em>before</em> anything is allocated
     * @param maxMatrixBytes a matrix needing more memory than this is refused before allocation
     */
    static DenseMatrix read(Reader reader, String source, DType dtype, Consumer<DenseMatrix> onAllocate,
            long inputChars, long maxMatrixBytes) throws IOException {
        BufferedReader buffered = reader instanceof BufferedReader b ? b : new BufferedReader(reader,
                BUFFER_CHARS);
        return new Parser(buffered, source, dtype, onAllocate, inputChars, maxMatrixBytes).parse(null);
    }

    /**
     * Writes {@code m} to {@code path} as {@code array real general} (see the class documentation), replacing any
     * existing file atomically. {@code comment} may be {@code null}; each of its lines becomes a {@code %} line.
     *
     * @throws IllegalArgumentException if {@code m} holds a NaN or infinity (no reader would accept the file); the
     *         target is then left untouched
     * @throws IOException if writing fails; the target is then left untouched and the temporary file is removed, or if
     *         {@code path} exists and is not a regular file (a device, a pipe, a directory), before anything is written
     */
    public static void write(Path path, DenseMatrix m, String comment) throws IOException {
        Objects.requireNonNull(path, "path must not be null");
        Objects.requireNonNull(m, "matrix must not be null");
        int[] nonFinite = m.firstNonFinite();
        if (nonFinite != null) {
            throw new IllegalArgumentException("cannot write " + path + ": non-finite value "
                    + m.get(nonFinite[0], nonFinite[1]) + " at row " + (nonFinite[0] + 1) + ", column "
                    + (nonFinite[1] + 1) + " (1-based) has no Matrix Market representation");
        }
        AtomicFile.replace(path, channel -> {
            Writer out = new BufferedWriter(new OutputStreamWriter(Channels.newOutputStream(channel),
                    StandardCharsets.UTF_8), BUFFER_CHARS);
            writeArray(out, m, comment);
            // Not closed: closing the writer would close the channel before AtomicFile forces it to disk.
            out.flush();
        });
    }

    private static void writeArray(Writer out, DenseMatrix m, String comment) throws IOException {
        out.write(BANNER + " matrix array real general\n");
        if (comment != null && !comment.isEmpty()) {
            for (String line : comment.split("\\R", -1)) {
                out.write("% " + line + "\n");
            }
        }
        out.write(m.rows() + " " + m.cols() + "\n");
        StringBuilder value = new StringBuilder(32);
        for (int j = 0; j < m.cols(); j++) {
            for (int i = 0; i < m.rows(); i++) {
                value.setLength(0);
                appendScientific(value, m.get(i, j));
                value.append('\n');
                out.append(value);
            }
        }
    }

    /**
     * Appends finite {@code x} as {@code [-]d.ddddddddddddddddde±XX} (17 fraction digits, at least two exponent
     * digits), the layout of C's {@code %.17e}. The digits are those of {@link Double#toString(double)}, the shortest
     * decimal that parses back to {@code x}, padded with zeros; C would print the exact binary expansion instead,
     * which differs only beyond the digits needed to identify {@code x}.
     */
    static void appendScientific(StringBuilder out, double x) {
        // The sign bit, not x < 0, so that -0.0 keeps its sign.
        if (Double.doubleToRawLongBits(x) < 0) {
            out.append('-');
        }
        String text = Double.toString(Math.abs(x));
        int e = text.indexOf('E');
        int mantissaEnd = e < 0 ? text.length() : e;
        int exponent = e < 0 ? 0 : Integer.parseInt(text, e + 1, text.length(), 10);
        int point = text.indexOf('.');
        // Double.toString gives "ddd.ddd" or "d.dddE±n": find the first significant digit and the last non-zero one.
        int first = -1;
        int last = -1;
        for (int k = 0; k < mantissaEnd; k++) {
            char c = text.charAt(k);
            if (c != '.' && c != '0') {
                if (first < 0) {
                    first = k;
                }
                last = k;
            }
        }
        int fractionWritten = 0;
        if (first < 0) {
            out.append('0');
            exponent = 0;
        } else {
            out.append(text.charAt(first));
            // The digit just before the point has weight 10^0, so a digit at k has weight 10^(point-1-k) (k<point).
            exponent += first < point ? point - 1 - first : point - first;
        }
        out.append('.');
        for (int k = first + 1; k <= last; k++) {
            char c = text.charAt(k);
            if (c != '.') {
                out.append(c);
                fractionWritten++;
            }
        }
        for (; fractionWritten < FRACTION_DIGITS; fractionWritten++) {
            out.append('0');
        }
        out.append(exponent < 0 ? "e-" : "e+");
        int magnitude = Math.abs(exponent);
        if (magnitude < 10) {
            out.append('0');
        }
        out.append(magnitude);
    }

    /** One parse of one input: the line reader, the position in the current line and the header read so far. */
    private static final class Parser {
        private final BufferedReader in;
        private final String source;
        private final DType dtype;
        /** Sees every allocated matrix, so tests can check that a failed parse closed it. */
        private final Consumer<DenseMatrix> onAllocate;
        private String line;
        private int position;
        private long lineNumber;
        private Format format;
        private Field field;
        private Symmetry symmetry;
        private int rows;
        private int cols;
        private long entries;

        /** Length of the whole input in characters, −1 if unknown. */
        private final long inputChars;
        private final long maxMatrixBytes;
        /** Characters of the input consumed so far, counting one per line end (a CR LF pair counts as one). */
        private long consumedChars;
        /** The rows kept, {@code [keepFrom, keepTo)}, stored from row 0: all of them unless {@link #parseRows}. */
        private long keepFrom;
        private long keepTo = Long.MAX_VALUE;

        Parser(BufferedReader in, String source, DType dtype, Consumer<DenseMatrix> onAllocate, long inputChars,
                long maxMatrixBytes) {
            this.in = in;
            this.source = source;
            this.dtype = dtype;
            this.onAllocate = onAllocate;
            this.inputChars = inputChars;
            this.maxMatrixBytes = maxMatrixBytes;
        }

        void readHeaderAndSize() throws IOException {
            readHeader();
            if (!nextContentLine()) {
                throw error("missing size line after the header");
            }
            rows = dimension(nextToken(), "rows");
            cols = dimension(nextToken(), "columns");
            if (symmetry != Symmetry.GENERAL && rows != cols) {
                throw error(symmetry.keyword() + " matrix must be square, but the size line gives " + rows + " x "
                        + cols);
            }
            entries = format == Format.COORDINATE ? entryCount() : (long) rows * cols;
            if (nextToken() != null) {
                throw error("bad size line '" + quote(line) + "': expected " + sizeLineShape());
            }
            checkTheInputCanHoldTheBody(rows, cols, entries);
        }

        /**
         * The matrix, its body read from {@code mapped} (null: from the reader); null when the mapped body is not well
         * formed or cannot be held, for the streaming parser to read again and report.
         */
        DenseMatrix parse(ChunkedBody.Mapped mapped) throws IOException {
            readHeaderAndSize();
            return parseBody(mapped);
        }

        /** Rows {@code [first, first + count)}: see {@link MatrixMarket#readRows}. */
        DenseMatrix parseRows(long first, int count) throws IOException {
            readHeaderAndSize();
            // first > rows - count, not first + count > rows: a first row near 2^63 wrapped and was read as row 0
            if (count < 1 || first < 0 || first > rows - count) {
                throw new IllegalArgumentException(source + ": " + count + " rows from row " + first
                        + " (0-based) are not a range of its " + rows + " rows");
            }
            keepFrom = first;
            keepTo = first + count;
            return parseBody(null);
        }

        /**
         * The body after the size line, as a dense matrix of the kept rows: from {@code mapped}'s chunks (all rows;
         * null when the streaming parser must read it after all), or streamed when {@code mapped} is null.
         */
        private DenseMatrix parseBody(ChunkedBody.Mapped mapped) throws IOException {
            // before the allocations, whose failures this parser reports as the file's: a bad engine property is its
            // own line (EngineProperties), not "cannot be held in memory"
            EngineProperties.check();
            int kept = keptRows();
            long bytes = (long) kept * cols * dtype.bytes();
            if (bytes > maxMatrixBytes) {
                throw error("size " + kept + " x " + cols + " needs " + bytes + " bytes as " + dtype.label()
                        + ", more than the " + maxMatrixBytes + " bytes of memory of this machine");
            }
            if (format == Format.COORDINATE) {
                SparseMatrix read = mapped == null ? readCoordinateBody() : mapped.coordinate(shape());
                if (read == null) {
                    return null;
                }
                try (SparseMatrix s = read) {
                    DenseMatrix m;
                    try {
                        m = s.toDense();
                    } catch (CancellationException e) {
                        throw Interrupts.reading(source, e);
                    } catch (IllegalArgumentException e) {
                        if (mapped != null) {
                            // the streaming parser names the line it has reached by then: the end of the body
                            return null;
                        }
                        throw error("size " + rows + " x " + cols + " cannot be held in memory as a dense matrix: "
                                + e.getMessage());
                    }
                    onAllocate.accept(m);
                    return m;
                }
            }
            DenseMatrix m;
            try {
                m = DenseMatrix.allocate(dtype, kept, cols);
            } catch (IllegalArgumentException e) {
                throw error("size " + kept + " x " + cols + " cannot be held in memory: " + e.getMessage());
            }
            try {
                onAllocate.accept(m);
                if (mapped == null) {
                    readArrayBody(m::set);
                } else if (!mapped.array(shape(), m::set, true)) {
                    m.close();
                    return null;
                }
                return m;
            } catch (IOException | RuntimeException | Error e) {
                m.close();
                throw e;
            }
        }

        /** As {@link #parse}, into a sparse matrix. */
        SparseMatrix parseSparse(ChunkedBody.Mapped mapped) throws IOException {
            readHeaderAndSize();
            EngineProperties.check(); // as parseBody does
            if (format == Format.COORDINATE) {
                return mapped == null ? readCoordinateBody() : mapped.coordinate(shape());
            }
            if (mapped != null) {
                return mapped.arraySparse(shape());
            }
            try (SparseMatrix.Builder b = builder(entries)) {
                readArrayBody(b::add);
                return build(b);
            }
        }

        /** The rows kept: all, or those {@link #parseRows} asked for. */
        private int keptRows() {
            return (int) (Math.min(keepTo, rows) - keepFrom);
        }

        private boolean kept(int i) {
            return i >= keepFrom && i < keepTo;
        }

        private SparseMatrix.Builder builder(long expected) throws MatrixFormatException {
            try {
                // reserve what the size line declares, up to 2^20 entries: a false count must not allocate much
                return SparseMatrix.builder(keptRows(), cols, Math.min(expected, 1 << 20));
            } catch (IllegalArgumentException e) {
                throw error("cannot hold the entries in memory: " + e.getMessage());
            }
        }

        private SparseMatrix build(SparseMatrix.Builder b) throws IOException {
            SparseMatrix s;
            try {
                s = b.build(dtype);
            } catch (CancellationException e) {
                throw Interrupts.reading(source, e);
            } catch (Float32RangeException e) {
                // each value was checked on its line: only a sum of duplicates can leave float32's range
                throw duplicatesOverflow(e.row(), e.column());
            } catch (IllegalArgumentException e) {
                throw error("cannot hold the matrix in memory: " + e.getMessage());
            }
            int[] at = s.firstNonFinite();
            if (at != null) {
                s.close();
                throw duplicatesOverflow(at[0], at[1]);
            }
            return s;
        }

        /** The entries at 0-based (i, j) of the kept rows sum beyond the dtype's range. */
        private MatrixFormatException duplicatesOverflow(long i, long j) {
            return error("the entries at row " + (i + keepFrom + 1) + ", column " + (j + 1) + " sum to a value that "
                    + "overflows " + dtype.label());
        }

        /** What the header and size line (read) say the body holds. */
        private ChunkedBody.Shape shape() {
            return new ChunkedBody.Shape(format == Format.COORDINATE, field == Field.PATTERN, field == Field.INTEGER,
                    symmetry.mirror(), rows, cols, format == Format.COORDINATE ? entries : arrayValues(), dtype);
        }

        /**
         * The values an array body lists: all (general), the lower triangle with the diagonal (symmetric, hermitian)
         * or without it (skew-symmetric).
         */
        private long arrayValues() {
            int mirror = symmetry.mirror();
            return mirror == 0 ? (long) rows * cols
                    : mirror > 0 ? (long) rows * (rows + 1) / 2 : (long) rows * (rows - 1) / 2;
        }

        private void readHeader() throws IOException {
            line = firstLine();
            if (line == null) {
                throw new MatrixFormatException(source, 1, "empty input: missing the Matrix Market header");
            }
            consumedChars += line.length() + 1;
            lineNumber = 1;
            if (line.length() > MAX_HEADER_CHARS) {
                // /dev/zero, or a stream of bytes without a line end: the whole "line" was gathered in the heap,
                // up to 2 GB, and the command ended with an OutOfMemoryError's stack trace
                String hint = FileInput.hintFor(line);
                throw error("missing Matrix Market header: the first line is longer than " + MAX_HEADER_CHARS
                        + " characters, found '" + quote(line) + "'" + (hint == null ? "" : " (" + hint + ")"));
            }
            // A byte-order mark (U+FEFF, or its UTF-8 bytes as ISO-8859-1 decodes them) is not part of the banner.
            if (line.startsWith("\uFEFF")) {
                line = line.substring(1);
            } else if (line.startsWith("\u00EF\u00BB\u00BF")) {
                line = line.substring(3);
            }
            String expected = "expected '" + BANNER + " matrix <array|coordinate> <real|integer|pattern> "
                    + "<general|symmetric|skew-symmetric|hermitian>'";
            String banner = nextToken();
            if (banner == null || !banner.equalsIgnoreCase(BANNER)) {
                // the binary formats are chosen by the file's name: say so when one arrives under another name
                String hint = FileInput.hintFor(line);
                String named = hint == null ? "" : " (" + hint + ")";
                throw error("missing Matrix Market header: " + expected + ", found '" + quote(line) + "'" + named);
            }
            String object = nextToken();
            String formatWord = nextToken();
            String fieldWord = nextToken();
            String symmetryWord = nextToken();
            if (symmetryWord == null || nextToken() != null) {
                throw error("garbled header '" + quote(line) + "': " + expected);
            }
            if (!object.equalsIgnoreCase("matrix")) {
                throw error("unsupported object '" + quote(object) + "': only 'matrix' is supported");
            }
            format = keyword(Format.class, formatWord, "format", "array or coordinate");
            field = keyword(Field.class, fieldWord, "field", "real, integer or pattern");
            symmetry = keyword(Symmetry.class, symmetryWord, "symmetry",
                    "general, symmetric, skew-symmetric or hermitian");
            if (field == Field.PATTERN && format == Format.ARRAY) {
                throw error("field 'pattern' needs the coordinate format (an array lists values)");
            }
        }

        /**
         * The first line (LF, CR or CR LF ends it, as {@link BufferedReader#readLine} reads), or null for no input;
         * of a longer line only its first {@value #MAX_HEADER_CHARS} + 1 characters, which are not a header.
         */
        private String firstLine() throws IOException {
            StringBuilder first = new StringBuilder();
            for (int c = in.read(); c >= 0; c = in.read()) {
                if (c == '\n') {
                    return first.toString();
                }
                if (c == '\r') {
                    in.mark(1);
                    if (in.read() != '\n') {
                        in.reset();
                    }
                    return first.toString();
                }
                first.append((char) c);
                if (first.length() > MAX_HEADER_CHARS) {
                    return first.toString();
                }
            }
            return first.isEmpty() ? null : first.toString();
        }

        private <E extends Enum<E>> E keyword(Class<E> type, String word, String what, String supported)
                throws MatrixFormatException {
            for (E value : type.getEnumConstants()) {
                if (value.name().replace('_', '-').equalsIgnoreCase(word)) {
                    return value;
                }
            }
            throw error("unsupported " + what + " '" + quote(word) + "': only " + supported + " is supported");
        }

        private String sizeLineShape() {
            return format == Format.ARRAY ? "'rows columns' for an array matrix"
                    : "'rows columns entries' for a coordinate matrix";
        }

        private int dimension(String token, String what) throws MatrixFormatException {
            if (token == null) {
                throw error("bad size line '" + quote(line) + "': expected " + sizeLineShape());
            }
            long value = wholeNumber(token, "bad size line: " + what);
            if (value < 1 || value > Integer.MAX_VALUE) {
                throw error("bad size line: " + what + " must be between 1 and " + Integer.MAX_VALUE + ", found "
                        + quote(token));
            }
            return (int) value;
        }

        /**
         * Refuses a size line that declares more values than the rest of the input can hold, before the matrix is
         * allocated: a 40-byte file claiming 45000 × 45000 would otherwise allocate (and zero) 15 GB and only then
         * find the body truncated. An {@code array} value needs at least one character and a separator (a symmetric
         * file lists n(n+1)/2 values, a skew-symmetric one n(n−1)/2); a {@code coordinate} entry at least "i j v" (or
         * "i j" for a pattern) and a line end. The count of consumed characters can only be
         * low (a CR LF line end counts as one), and the input's length high (a gzip file's is a bound), so a complete
         * file is never refused.
         */
        private void checkTheInputCanHoldTheBody(int rows, int cols, long entries) throws MatrixFormatException {
            if (inputChars < 0) {
                return;
            }
            long values = format == Format.COORDINATE ? entries : arrayValues();
            // a coordinate entry is "i j v" and a line end, or "i j" and a line end for a pattern
            int entryBytes = field == Field.PATTERN ? 4 : 6;
            long needed = format == Format.COORDINATE ? entryBytes * values - 1 : 2 * values - 1;
            long left = inputChars - consumedChars;
            if (values > 0 && needed > left) {
                throw error("truncated: the size line declares " + values + (format == Format.COORDINATE
                        ? " entries" : " values") + ", which need at least " + needed + " bytes, but at most " + left
                        + " bytes follow it");
            }
        }

        private long entryCount() throws MatrixFormatException {
            String token = nextToken();
            if (token == null) {
                throw error("bad size line '" + quote(line) + "': expected " + sizeLineShape());
            }
            long count = wholeNumber(token, "bad size line: entry count");
            // duplicates are summed, so a count above the number of positions is legal (up to the staging limit)
            if (count < 0 || count > Long.MAX_VALUE / 32) {
                throw error("bad size line: entry count " + quote(token) + " is negative or impossibly large");
            }
            return count;
        }

        /** Parses an optionally signed decimal integer; values beyond the long range come back as Long.MAX_VALUE. */
        private long wholeNumber(String token, String what) throws MatrixFormatException {
            if (!isInteger(token)) {
                throw error(what + " '" + quote(token) + "' is not a whole number");
            }
            try {
                return Long.parseLong(token);
            } catch (NumberFormatException tooLong) {
                return token.charAt(0) == '-' ? Long.MIN_VALUE : Long.MAX_VALUE;
            }
        }

        private void readArrayBody(ChunkedBody.Sink m) throws IOException {
            int mirror = symmetry.mirror();
            long expected = arrayValues();
            long found = 0;
            for (int j = 0; j < cols; j++) {
                // the stored part: all (general), the lower triangle with the diagonal (symmetric), without it (skew)
                for (int i = mirror == 0 ? 0 : mirror > 0 ? j : j + 1; i < rows; i++) {
                    String token = nextValueToken();
                    if (token == null) {
                        throw error("truncated: expected " + expected + " values, found " + found
                                + " before the end of the input");
                    }
                    found++;
                    boolean mirrored = mirror != 0 && i != j;
                    if (!kept(i) && !(mirrored && kept(j))) {
                        continue;
                    }
                    double value = value(token, i, j);
                    if (kept(i)) {
                        m.put((int) (i - keepFrom), j, value);
                    }
                    if (mirrored && kept(j)) {
                        m.put((int) (j - keepFrom), i, mirror * value);
                    }
                }
            }
            if (nextValueToken() != null) {
                throw error("too many values: expected " + expected + " for " + describe() + ", found more");
            }
        }

        private SparseMatrix readCoordinateBody() throws IOException {
            int mirror = symmetry.mirror();
            boolean pattern = field == Field.PATTERN;
            try (SparseMatrix.Builder b = builder(mirror == 0 ? entries : 2 * entries)) {
                for (long found = 0; found < entries; found++) {
                    if (!nextContentLine()) {
                        throw error("truncated: expected " + entries + " entries, found " + found
                                + " before the end of the input");
                    }
                    String rowToken = nextToken();
                    String colToken = nextToken();
                    String valueToken = pattern ? null : nextToken();
                    boolean whole = colToken != null && (pattern || valueToken != null);
                    if (!whole && endsInsideTheLastLine()) {
                        throw error("truncated: the input ends inside entry " + (found + 1) + " of the " + entries
                                + " declared, '" + quote(line) + "' (a copy or download cut short?)");
                    }
                    if (!whole || nextToken() != null) {
                        throw error("bad entry '" + quote(line) + "': expected '"
                                + (pattern ? "row column' for a pattern matrix" : "row column value'"));
                    }
                    int i = index(rowToken, "row", rows);
                    int j = index(colToken, "column", cols);
                    boolean mirrored = mirror != 0 && i != j;
                    if (!kept(i) && !(mirrored && kept(j))) {
                        continue;
                    }
                    double value = pattern ? 1.0 : value(valueToken, i, j);
                    if (kept(i)) {
                        b.add((int) (i - keepFrom), j, value);
                    }
                    if (mirrored && kept(j)) {
                        b.add((int) (j - keepFrom), i, mirror * value);
                    }
                }
                if (nextContentLine()) {
                    throw error("too many entries: the size line declares " + entries + ", found more");
                }
                return build(b);
            } catch (IllegalArgumentException e) {
                throw error("cannot hold the entries in memory: " + e.getMessage());
            }
        }

        /** A 1-based index token, checked against {@code limit} and returned 0-based. */
        private int index(String token, String what, int limit) throws MatrixFormatException {
            long value = wholeNumber(token, what + " index");
            if (value < 1 || value > limit) {
                throw error(what + " index " + quote(token) + " is outside 1.." + limit);
            }
            return (int) (value - 1);
        }

        /** The value of {@code token} at 0-based (i, j), checked against the field, the format and the dtype. */
        private double value(String token, int i, int j) throws MatrixFormatException {
            String at = " at row " + (i + 1) + ", column " + (j + 1);
            if (isNonFiniteWord(token)) {
                throw error("non-finite value '" + quote(token) + "'" + at);
            }
            if (field == Field.INTEGER ? !isInteger(token) : !isDecimal(token)) {
                throw error((field == Field.INTEGER ? "integer matrix, but '" + quote(token) + "' is not an integer"
                        : "'" + quote(token) + "' is not a number") + at);
            }
            if (field == Field.INTEGER && !fitsLong(token)) {
                // the format's integers are C longs, and scipy reads them into int64: beyond, it refuses the file
                throw error("integer matrix, but '" + quote(token) + "'" + at + " is outside the 64-bit integer "
                        + "range (scipy's mmread refuses it too; a real field reads it as a double)");
            }
            double value = Double.parseDouble(token);
            if (Double.isInfinite(value)) {
                throw error("non-finite value: '" + quote(token) + "'" + at + " overflows float64");
            }
            if (dtype == DType.FLOAT32 && Float.isInfinite((float) value)) {
                // a finite number: not "non-finite", as the .npy reader says it
                throw error("value '" + quote(token) + "'" + at + " is outside the float32 range (it rounds to "
                        + "infinity); read it as float64");
            }
            return value;
        }

        /** The next token of a value sequence, which may continue on the next content line; null at the end. */
        private String nextValueToken() throws IOException {
            String token = nextToken();
            while (token == null && nextContentLine()) {
                token = nextToken();
            }
            return token;
        }

        /** Moves to the next line that is neither blank nor a comment; false at the end of the input. */
        private boolean nextContentLine() throws IOException {
            while (true) {
                Interrupts.checkReading(source);
                String next = in.readLine();
                if (next == null) {
                    return false;
                }
                consumedChars += next.length() + 1;
                lineNumber++;
                line = next;
                position = 0;
                skipWhitespace();
                if (position < line.length() && line.charAt(position) != '%') {
                    return true;
                }
            }
        }

        /**
         * Whether the current line is the input's last and has no line end: a file cut inside it. Known only when the
         * input's length is (each line counts one character for its end, which is at least one byte long).
         */
        private boolean endsInsideTheLastLine() {
            return inputChars >= 0 && consumedChars > inputChars;
        }

        /** The next whitespace-separated token on the current line, or null at its end. */
        private String nextToken() {
            skipWhitespace();
            if (position == line.length()) {
                return null;
            }
            int start = position;
            while (position < line.length() && line.charAt(position) > ' ') {
                position++;
            }
            return line.substring(start, position);
        }

        private void skipWhitespace() {
            while (position < line.length() && line.charAt(position) <= ' ') {
                position++;
            }
        }

        private String describe() {
            return symmetry.keyword() + " " + rows + " x " + cols + " array matrix";
        }

        private MatrixFormatException error(String problem) {
            return new MatrixFormatException(source, lineNumber, problem);
        }
    }

    /**
     * {@code text} cut to {@value #MAX_QUOTED} characters for a message, control characters written as escapes
     * ({@code \x1B}): a binary file given by mistake must not put escape sequences or carriage returns on the
     * terminal, nor make the one line of the message several.
     */
    static String quote(String text) {
        String cut = text.length() <= MAX_QUOTED ? text : text.substring(0, MAX_QUOTED);
        String printable = FileChecks.printable(cut);
        return cut.length() < text.length() ? printable + "..." : printable;
    }

    /** Whether {@code t} is NaN or an infinity in one of the spellings that C, Python or Java print. */
    static boolean isNonFiniteWord(String t) {
        String unsigned = t.startsWith("+") || t.startsWith("-") ? t.substring(1) : t;
        return unsigned.equalsIgnoreCase("nan") || unsigned.equalsIgnoreCase("inf")
                || unsigned.equalsIgnoreCase("infinity");
    }

    /** Whether {@code t} is {@code [+-]digits}. */
    private static boolean isInteger(String t) {
        int p = t.startsWith("+") || t.startsWith("-") ? 1 : 0;
        int digits = skipDigits(t, p);
        return digits > p && digits == t.length();
    }

    /** Whether {@code t}, {@code [+-]digits}, is within a long's range, compared as digits after leading zeros. */
    private static boolean fitsLong(String t) {
        boolean negative = t.charAt(0) == '-';
        int p = negative || t.charAt(0) == '+' ? 1 : 0;
        while (p < t.length() - 1 && t.charAt(p) == '0') {
            p++;
        }
        String limit = negative ? Long.toUnsignedString(Long.MIN_VALUE) : Long.toString(Long.MAX_VALUE);
        int digits = t.length() - p;
        return digits < limit.length() || digits == limit.length() && t.substring(p).compareTo(limit) <= 0;
    }

    /** Whether {@code t} is {@code [+-]digits[.digits][(e|E)[+-]digits]} with at least one mantissa digit. */
    private static boolean isDecimal(String t) {
        int n = t.length();
        int p = t.startsWith("+") || t.startsWith("-") ? 1 : 0;
        int integerEnd = skipDigits(t, p);
        int mantissaDigits = integerEnd - p;
        p = integerEnd;
        if (p < n && t.charAt(p) == '.') {
            int fractionEnd = skipDigits(t, p + 1);
            mantissaDigits += fractionEnd - (p + 1);
            p = fractionEnd;
        }
        if (mantissaDigits == 0) {
            return false;
        }
        if (p < n && (t.charAt(p) == 'e' || t.charAt(p) == 'E')) {
            p++;
            if (p < n && (t.charAt(p) == '+' || t.charAt(p) == '-')) {
                p++;
            }
            int exponentEnd = skipDigits(t, p);
            if (exponentEnd == p) {
                return false;
            }
            p = exponentEnd;
        }
        return p == n;
    }

    /** The index of the first non-digit of {@code t} at or after {@code from}. */
    private static int skipDigits(String t, int from) {
        int p = from;
        while (p < t.length() && t.charAt(p) >= '0' && t.charAt(p) <= '9') {
            p++;
        }
        return p;
    }
}
