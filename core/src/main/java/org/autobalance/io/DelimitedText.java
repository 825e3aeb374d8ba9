package org.autobalance.io;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.autobalance.io.internal.Interrupts;
import org.autobalance.kernel.EngineProperties;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.NativeMemory;

/**
 * Reads a dense matrix from delimited text, one row per line: what {@code np.savetxt} writes and
 * {@code np.loadtxt} or {@code pandas.read_csv(header=None)} read.
 *
 * <h2>What is read</h2>
 * <ul>
 *   <li>The separator comes from the file's name (any case, before an optional {@code .gz}): {@code .csv} a comma,
 *       {@code .tsv} a tab, {@code .txt} and {@code .dat} any run of spaces and tabs ({@code np.savetxt}'s default
 *       and {@code np.loadtxt}'s). Around a comma (a tab) spaces and tabs (spaces) are allowed.</li>
 *   <li>A gzip-compressed file ({@code .csv.gz}, …) is decompressed as it is read, recognised by its first bytes as
 *       the Matrix Market reader recognises it. A pipe (a named pipe with such a name) is read as it arrives: the
 *       reader makes one pass and never needs the length.</li>
 *   <li>Values are decimal numbers {@code [+-]digits[.digits][(e|E)[+-]digits]} (also {@code .5}, {@code 5.},
 *       {@code -0}), read as {@link Double#parseDouble} reads them (correctly rounded, subnormals kept, underflow to
 *       0; {@link DecimalDouble} decides all but rare ones quickly). {@code nan}, {@code inf} and {@code infinity} (any
 *       case, signed) are refused as non-finite, as every reader here refuses them, and so is a value that overflows
 *       to infinity (in float64, or rounded to float32); hexadecimal, Java-suffixed ({@code 1f}) and quoted values
 *       are not numbers (a first line of quoted numbers is refused as such, not skipped as a header). For
 *       {@link DType#FLOAT32} a value is parsed to the nearest double and then rounded to float, the rule of the
 *       other readers.</li>
 *   <li>Blank lines and lines whose first non-blank character is {@code #} are skipped; {@code #} after a value
 *       starts a comment to the end of the line (as {@code np.loadtxt}'s {@code comments='#'}). Line ends are LF or CR
 *       LF; a UTF-8 byte-order mark (Excel's "CSV UTF-8") at the start is skipped.</li>
 *   <li>A header: the first line that is not blank or a comment is taken as column names, and skipped, when <em>none
 *       of its fields begins like a number</em> ({@code [+-]}, then a digit or a point and a digit) or is a
 *       non-finite word; it must have as many fields as the rows have values.
 *       This is never silent: {@code notes} is told the line and the names. A first line mixing names and numbers is
 *       an error, not a header.</li>
 *   <li>Every row must have as many values as the first; a matrix of one column (a file of one number per line) is
 *       a d × 1 matrix, as {@code pandas.read_csv(header=None)} reads it.</li>
 * </ul>
 * Every problem is a {@link MatrixFormatException} {@code "<file>, line <L>: <problem>"} naming the row and column
 * where it has one, e.g. {@code "M.csv, line 7: 'x' is not a number at row 7, column 2"}.
 *
 * <h2>Memory</h2>
 * Nothing is sized from a promise: the file has no size line, and the shape is what the data turns out to be. The
 * values are staged, one parsed row at a time, in native chunks of whole rows that grow with what has been read (from
 * 64 KiB, doubling, to 8 MiB), so what is allocated is at most the values seen plus one chunk; at the end the matrix
 * is allocated and the chunks are copied into it and freed. Before each chunk the total so far, twice over (the chunks
 * and the matrix they will fill), is checked against the machine's memory ({@link NativeMemory#requireRoom}), so an
 * input too large to hold is refused while it is read, not after the machine has started to swap. Measured on the
 * 2000 × 1500 {@code np.savetxt} file of native-notes/startup.md, staging and copying is a few per cent of the read.
 */
public final class DelimitedText {
    /** How the values of a line are separated, chosen by the file's extension. */
    public enum Separator {
        /** {@code .csv}: a comma, with optional spaces or tabs around it. */
        COMMA(','),
        /** {@code .tsv}: a tab, with optional spaces around it. */
        TAB('\t'),
        /** {@code .txt}, {@code .dat}: any run of spaces and tabs ({@code np.savetxt}'s default). */
        WHITESPACE(' ');

        private final byte symbol;

        Separator(int symbol) {
            this.symbol = (byte) symbol;
        }

        /** How a message names it. */
        String describe() {
            return switch (this) {
                case COMMA -> "','";
                case TAB -> "a tab";
                case WHITESPACE -> "spaces or tabs";
            };
        }
    }

    /** Eight bytes of a byte array as one little-endian long, for reading eight digits at once. */
    private static final VarHandle EIGHT_BYTES = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);
    /** The first staging chunk; each next one is as large as everything before it, up to {@link #MAX_CHUNK}. */
    private static final long MIN_CHUNK = 64 << 10;
    private static final long MAX_CHUNK = 8 << 20;
    /** The longest line a buffer grows to hold (a byte array's limit, about 2^31). */
    private static final int MAX_LINE = Integer.MAX_VALUE - 16;
    /** How many header names a note quotes. */
    private static final int NAMES_QUOTED = 4;

    private DelimitedText() {
    }

    /**
     * The separator that {@code path}'s name gives ({@code .csv}, {@code .tsv}, {@code .txt}, {@code .dat}, any case,
     * each also followed by {@code .gz}), or null when the name is none of these.
     */
    public static Separator separatorOf(Path path) {
        Objects.requireNonNull(path, "path must not be null");
        if (path.getFileName() == null) {
            return null;
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".gz")) {
            name = name.substring(0, name.length() - ".gz".length());
        }
        return name.endsWith(".csv") ? Separator.COMMA : name.endsWith(".tsv") ? Separator.TAB
                : name.endsWith(".txt") || name.endsWith(".dat") ? Separator.WHITESPACE : null;
    }

    /**
     * What the first bytes of a file named as delimited text say it is instead ({@link FileInput#foreignFormat}: a
     * {@code .npy}, a zip archive, Matrix Market), with what to do, as {@link #read} reports it; null when they say
     * nothing of the kind, or the file is gzip data (delimited text is read compressed) or cannot be read.
     */
    public static String foreignFormatOf(Path path) {
        Objects.requireNonNull(path, "path must not be null");
        String start = FileInput.start(path, 16);
        return start.length() >= 2 && FileInput.isGzip(start.charAt(0), start.charAt(1)) ? null
                : FileInput.foreignFormat(start);
    }

    /**
     * Reads the matrix in {@code path}, separated as its name says ({@link #separatorOf}), into a new matrix of
     * {@code dtype}; the caller owns (and must close) it. A skipped header is reported to {@code notes} in one line
     * naming the file, the line and the names.
     *
     * @throws IllegalArgumentException if the name has none of the extensions of {@link #separatorOf}
     * @throws MatrixFormatException if the content is malformed (see the class documentation)
     * @throws NoSuchFileException if {@code path} does not exist
     * @throws IOException if reading fails
     */
    public static DenseMatrix read(Path path, DType dtype, Consumer<String> notes) throws IOException {
        // checked here, not when a header is skipped: a null failed only on files with a header, inside the reader
        Objects.requireNonNull(path, "path must not be null");
        Objects.requireNonNull(dtype, "dtype must not be null");
        Objects.requireNonNull(notes, "notes must not be null (s -> { } ignores them)");
        Interrupts.checkReading(path.toString());
        Separator separator = separatorOf(path);
        if (separator == null) {
            throw new IllegalArgumentException(path + " is not named .csv, .tsv, .txt or .dat (optionally .gz)");
        }
        try (FileInput in = FileInput.open(path, "delimited text")) {
            return read(in.bytes(), path.toString(), separator, dtype, notes, NativeMemory.physicalBytes());
        }
    }

    /**
     * Reads a matrix from {@code in} (not closed), naming it {@code source} in messages.
     *
     * @param maxMatrixBytes a matrix needing more memory than this is refused as soon as the rows read show it
     */
    static DenseMatrix read(InputStream in, String source, Separator separator, DType dtype, Consumer<String> notes,
            long maxMatrixBytes) throws IOException {
        return read(in, source, separator, dtype, notes, maxMatrixBytes, FileInput.BUFFER_BYTES);
    }

    /**
     * As {@link #read(InputStream, String, Separator, DType, Consumer, long)} with a buffer of {@code bufferBytes} at
     * first: a small one makes the tests cut lines and values at every place (the buffer is refilled and grown, and a
     * line re-read, where a real input's buffer would end).
     */
    static DenseMatrix read(InputStream in, String source, Separator separator, DType dtype, Consumer<String> notes,
            long maxMatrixBytes, int bufferBytes) throws IOException {
        try (Parser p = new Parser(in, source, separator, dtype, notes, maxMatrixBytes, bufferBytes)) {
            return p.parse();
        }
    }

    /**
     * What to do with quoted fields ({@code "1.0","2.0"}, as some tools write every field): they are not read — a
     * quoted field may hold the separator ({@code "1,5"}), which a reader of numbers would split — so the message
     * gives the line that removes the quotes.
     */
    private static final String QUOTES = "quoted fields are not read; remove the quotes: sed 's/\"//g' IN > OUT";
    /** A decimal number as this reader reads one (the non-finite words aside). */
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

    /** Whether {@code field} is a number in double quotes ({@code "1.0"}), which is not read: see {@link #QUOTES}. */
    private static boolean quotedNumber(String field) {
        if (field.length() < 2 || field.charAt(0) != '"' || field.charAt(field.length() - 1) != '"') {
            return false;
        }
        String inside = field.substring(1, field.length() - 1).strip();
        return DECIMAL.matcher(inside).matches() || MatrixMarket.isNonFiniteWord(inside);
    }

    /**
     * Whether {@code field} begins as a number does ({@code [+-]} then a digit, or a point and a digit): a line of
     * values run together by the wrong separator ({@code 1;2}) is then not taken for a header, but read as data and
     * refused with the line and the separator the name chose.
     */
    static boolean startsLikeANumber(String field) {
        int p = field.startsWith("+") || field.startsWith("-") ? 1 : 0;
        if (p < field.length() && field.charAt(p) == '.') {
            p++;
        }
        return p < field.length() && field.charAt(p) >= '0' && field.charAt(p) <= '9';
    }

    /** One pass over one input: a byte buffer holding at least the current line, the row being read, the staging. */
    private static final class Parser implements AutoCloseable {
        /** {@link #line} needs more input: the buffer ends before the line does. */
        private static final int MORE = -1;

        private final InputStream in;
        private final String source;
        private final Separator separator;
        /** The separator's byte; a space for {@link Separator#WHITESPACE}, where any blank separates. */
        private final byte symbol;
        private final boolean whitespace;
        private final DType dtype;
        private final Consumer<String> notes;
        private final long maxMatrixBytes;

        private byte[] buf;
        /** The start of the current line in {@link #buf}, and the end of the bytes read. */
        private int pos;
        private int limit;
        private boolean eof;
        /** The 1-based number of the current line. */
        private long lineNumber = 1;

        /** The values of the current row; its length is the column count once the first row is read. */
        private double[] row = new double[16];
        private int cols;
        private long rows;
        private long firstRowLine;
        /** The line and field count of a skipped header, 0 if none. */
        private long headerLine;
        private int headerFields;
        private boolean firstLineSeen;
        /** The value the last {@link #number} call parsed. */
        private double value;

        /** Shared, though one thread uses it: a confined arena here made eight kernels trap (see Npy.read). */
        private final Arena staging = Arena.ofShared();
        private final List<MemorySegment> chunks = new ArrayList<>();
        private MemorySegment chunk;
        private long chunkRows;
        private long rowsInChunk;
        private long stagedBytes;

        Parser(InputStream in, String source, Separator separator, DType dtype, Consumer<String> notes,
                long maxMatrixBytes, int bufferBytes) {
            this.buf = new byte[bufferBytes];
            this.in = in;
            this.source = source;
            this.separator = separator;
            this.symbol = separator.symbol;
            this.whitespace = separator == Separator.WHITESPACE;
            this.dtype = dtype;
            this.notes = notes;
            this.maxMatrixBytes = maxMatrixBytes;
        }

        DenseMatrix parse() throws IOException {
            while (limit < 3 && !eof) {
                fill();
            }
            if (limit >= 3 && buf[0] == (byte) 0xEF && buf[1] == (byte) 0xBB && buf[2] == (byte) 0xBF) {
                pos = 3;
            }
            while (pos < limit || !eof) {
                if (!line()) {
                    fill();
                }
            }
            if (cols == 0) {
                throw new MatrixFormatException(source, Math.max(1, lineNumber - 1), firstLineSeen
                        ? "no values: only a header line (line " + headerLine + ")" : lineNumber == 1
                        ? "empty input: no values" : "no values: only blank lines and # comments");
            }
            return matrix();
        }

        /**
         * Reads the line at {@link #pos} and moves past it; false (nothing consumed) when the buffer ends before the
         * line does and more input may follow.
         */
        private boolean line() throws MatrixFormatException {
            byte[] b = buf;
            int end = limit;
            int p = skipBlanks(b, pos, end);
            if (p == end) {
                return eof && lineEnd(end);
            }
            byte c = b[p];
            if (c == '#' && find(b, p, end, (byte) '\n') == end && !eof) {
                return false;
            }
            if (c == '\n' || c == '#') {
                return lineEnd(p);
            }
            if (!firstLineSeen) {
                int stop = find(b, p, end, (byte) '\n');
                if (stop == end && !eof) {
                    return false;
                }
                firstLineSeen = true;
                if (isHeader(b, p, stop)) {
                    return lineEnd(stop);
                }
            }
            int count = 0;
            while (true) {
                int q = number(b, p, end, count);
                if (q == MORE) {
                    return false;
                }
                if (count == row.length) {
                    if (cols != 0) {
                        throw error("row " + (rows + 1) + " has more than " + cols + " values (" + firstRow()
                                + "): an extra value at column " + (count + 1));
                    }
                    try {
                        row = Arrays.copyOf(row, Math.max(16, (int) Math.min(MAX_LINE, 2L * row.length)));
                    } catch (OutOfMemoryError tooLong) {
                        throw error("row 1 has more than " + row.length + " values, more than this JVM's heap "
                                + "holds");
                    }
                }
                row[count++] = value;
                p = skipBlanks(b, q, end);
                if (p == end) {
                    if (!eof) {
                        return false;
                    }
                    break;
                }
                c = b[p];
                if (c == '\n' || c == '#') {
                    break;
                }
                if (whitespace) {
                    continue;
                }
                if (c != symbol) {
                    if (tokenEnd(b, p + 1, end) == end && !eof) {
                        // the message quotes the field whole, as a reader of the whole input would
                        return false;
                    }
                    throw error("'" + quote(b, p, end) + "' follows the value at row " + (rows + 1) + ", column "
                            + count + " where " + separator.describe() + " should separate values" + hint());
                }
                p = skipBlanks(b, p + 1, end);
                if (p == end && !eof) {
                    return false;
                }
                if (p == end || b[p] == '\n' || b[p] == '#' || b[p] == symbol) {
                    throw error("empty field at row " + (rows + 1) + ", column " + (count + 1)
                            + (p == end || b[p] != symbol ? " (a " + separator.describe() + " ends the line)" : ""));
                }
            }
            if (p < end && b[p] == '#' && find(b, p, end, (byte) '\n') == end && !eof) {
                return false;
            }
            endRow(count);
            return lineEnd(p);
        }

        /** Moves past the line end at or after {@code p} (or to the end of the input); always true. */
        private boolean lineEnd(int p) {
            int newline = find(buf, p, limit, (byte) '\n');
            pos = newline == limit ? limit : newline + 1;
            lineNumber++;
            return true;
        }

        /**
         * Whether the first line, {@code [from, to)}, is a header: none of its fields begins like a number or is a
         * non-finite word, and one is not empty. A header is noted, never skipped silently.
         */
        private boolean isHeader(byte[] b, int from, int to) throws MatrixFormatException {
            String text = new String(b, from, to - from, StandardCharsets.ISO_8859_1);
            String foreign = FileInput.foreignFormat(text);
            if (foreign != null) {
                throw error("not delimited text: " + foreign);
            }
            for (int k = 0; k < text.length(); k++) {
                char c = text.charAt(k);
                if (c < 0x20 && c != '\t' && c != '\r') {
                    throw error("not text: a control byte 0x" + String.format("%02X", (int) c) + " at byte "
                            + (k + 1) + " of the line (binary data)");
                }
            }
            int comment = text.indexOf('#');
            if (comment >= 0) {
                text = text.substring(0, comment);
            }
            String[] fields = whitespace ? text.strip().split("[ \t\r]+")
                    : text.split(symbol == ',' ? "," : "\t", -1);
            List<String> names = new ArrayList<>();
            boolean named = false;
            for (String f : fields) {
                String name = f.strip();
                if (quotedNumber(name)) {
                    // not a header of names: a row of numbers in quotes, refused here and not at the next line
                    throw error("'" + MatrixMarket.quote(name) + "' at column " + (names.size() + 1) + " is a "
                            + "number in quotes: " + QUOTES);
                }
                if (startsLikeANumber(name) || MatrixMarket.isNonFiniteWord(name)) {
                    return false;
                }
                named |= !name.isEmpty();
                names.add(name);
            }
            if (!named) {
                return false;
            }
            int empty = names.indexOf("");
            if (empty >= 0) {
                // pandas' df.to_csv(f) writes its index as an unnamed first column: the index would be read as data
                throw error("the header names no column " + (empty + 1) + (empty == 0 ? " (an index column, as "
                        + "pandas writes unless df.to_csv(f, index=False))" : "") + ": every column of a header "
                        + "needs a name");
            }
            headerLine = lineNumber;
            headerFields = names.size();
            StringBuilder quoted = new StringBuilder();
            for (int k = 0; k < Math.min(NAMES_QUOTED, names.size()); k++) {
                quoted.append(k == 0 ? "" : ", ").append('\'').append(MatrixMarket.quote(names.get(k))).append('\'');
            }
            notes.accept(source + ", line " + lineNumber + ": skipped as a header (it holds no number): "
                    + names.size() + " name" + (names.size() == 1 ? "" : "s") + ", " + quoted
                    + (names.size() > NAMES_QUOTED ? ", ..." : ""));
            return true;
        }

        /** Checks the row of {@code count} values against the first and stages it. */
        private void endRow(int count) throws MatrixFormatException {
            if (cols == 0) {
                if (headerLine != 0 && headerFields != count) {
                    throw error("the header (line " + headerLine + ") names " + headerFields + " columns, but row 1"
                            + " has " + count + " values");
                }
                cols = count;
                firstRowLine = lineNumber;
                // from now on a value beyond the row's end is an error, found when it arrives
                row = Arrays.copyOf(row, cols);
            } else if (count != cols) {
                throw error("row " + (rows + 1) + " has " + count + " values, " + firstRow() + ": column "
                        + (count + 1) + " is missing");
            }
            if (rows == Integer.MAX_VALUE) {
                throw error("more than " + Integer.MAX_VALUE + " rows");
            }
            long matrixBytes = (rows + 1) * DenseMatrix.strideOf(dtype, cols) * dtype.bytes();
            if (matrixBytes > maxMatrixBytes) {
                throw error("the " + (rows + 1) + " rows of " + cols + " values read so far need " + matrixBytes
                        + " bytes as " + dtype.label() + ", more than the " + maxMatrixBytes + " bytes of memory of "
                        + "this machine");
            }
            if (chunk == null || rowsInChunk == chunkRows) {
                newChunk();
            }
            long offset = rowsInChunk * cols * dtype.bytes();
            if (dtype == DType.FLOAT64) {
                MemorySegment.copy(row, 0, chunk, ValueLayout.JAVA_DOUBLE, offset, cols);
            } else {
                for (int j = 0; j < cols; j++) {
                    chunk.set(ValueLayout.JAVA_FLOAT, offset + 4L * j, (float) row[j]);
                }
            }
            rowsInChunk++;
            rows++;
        }

        /**
         * A chunk as large as everything staged so far (within [MIN_CHUNK, MAX_CHUNK], and at least a row), once the
         * machine has room for it and for the matrix all the chunks go into.
         */
        private void newChunk() throws MatrixFormatException {
            long rowBytes = (long) cols * dtype.bytes();
            // never more rows than the limit admits: the matrix is refused at the row that passes it
            chunkRows = Math.max(1, Math.min(Math.clamp(stagedBytes, MIN_CHUNK, MAX_CHUNK),
                    maxMatrixBytes - stagedBytes) / rowBytes);
            long bytes = chunkRows * rowBytes;
            try {
                // the chunks so far, this one, and the matrix they are copied into at the end
                NativeMemory.requireRoom(2 * (stagedBytes + bytes), () -> "hold the " + (rows + 1) + " rows of "
                        + cols + " values read so far and the matrix they go into");
                chunk = staging.allocate(bytes, Double.BYTES);
            } catch (IllegalArgumentException | OutOfMemoryError e) {
                throw error(e.getMessage());
            }
            chunks.add(chunk);
            stagedBytes += bytes;
            rowsInChunk = 0;
        }

        /** The matrix of the staged rows. */
        private DenseMatrix matrix() throws MatrixFormatException {
            DenseMatrix m;
            EngineProperties.check(); // not as the file's "cannot be held" (see MatrixMarket's parseBody)
            try {
                m = DenseMatrix.allocate(dtype, (int) rows, cols);
            } catch (IllegalArgumentException e) {
                throw error("size " + rows + " x " + cols + " cannot be held in memory: " + e.getMessage());
            }
            try {
                long rowBytes = (long) cols * dtype.bytes();
                int i = 0;
                for (MemorySegment c : chunks) {
                    for (long offset = 0; offset + rowBytes <= c.byteSize() && i < rows; offset += rowBytes) {
                        m.copyRowFrom(i++, c, offset, dtype.layout());
                    }
                }
                return m;
            } catch (RuntimeException | Error e) {
                m.close();
                throw e;
            }
        }

        /**
         * Parses the number starting at {@code p} (a non-blank byte) into {@link #value} and returns where it ends
         * (at a blank, the separator, a line end, {@code #} or the end of the input), or {@link #MORE} when the buffer
         * ends inside it. {@code column} is the 0-based column, for messages.
         */
        private int number(byte[] b, int p, int end, int column) throws MatrixFormatException {
            int start = p;
            boolean negative = b[p] == '-';
            if (negative || b[p] == '+') {
                p++;
            }
            long w = 0;
            int digits = 0;
            long exponent = 0;
            boolean truncated = false;
            boolean anyDigit = false;
            boolean point = false;
            while (p < end) {
                int d = b[p] - '0';
                if (d >= 0 && d <= 9) {
                    anyDigit = true;
                    boolean kept = digits < DecimalDouble.MAX_DIGITS;
                    if (kept && (w != 0 || d != 0)) {
                        w = 10 * w + d;
                        digits++;
                    }
                    // beyond the 19th significant digit a zero only scales, anything else needs the slow path
                    truncated |= !kept && d != 0;
                    // a kept digit after the point divides by 10, a dropped one before it multiplies
                    exponent += (kept ? 0 : 1) - (point ? 1 : 0);
                    p++;
                } else if (b[p] == '.' && !point) {
                    point = true;
                    p++;
                    // eight digits at a time while they fit in w: np.savetxt's %.18e has 18 after the point (leading
                    // zeros count as digits here, which can only send a number to the slow path)
                    long eight;
                    while (digits <= DecimalDouble.MAX_DIGITS - 8 && p + 8 <= end
                            && DecimalDouble.isEightDigits(eight = (long) EIGHT_BYTES.get(b, p))) {
                        anyDigit = true;
                        w = 100_000_000L * w + DecimalDouble.eightDigits(eight);
                        digits += 8;
                        exponent -= 8;
                        p += 8;
                    }
                } else {
                    break;
                }
            }
            if (anyDigit && p < end && (b[p] | 0x20) == 'e') {
                p++;
                boolean negativeExponent = p < end && b[p] == '-';
                if (p < end && (negativeExponent || b[p] == '+')) {
                    p++;
                }
                long e = 0;
                int exponentStart = p;
                int d;
                while (p < end && (d = b[p] - '0') >= 0 && d <= 9) {
                    // saturated: beyond 10^6 every significand of any line this buffer holds is 0 or infinite
                    e = Math.min(10 * e + d, 1_000_000_000L);
                    p++;
                }
                if (p == exponentStart) {
                    anyDigit = false;
                }
                exponent += negativeExponent ? -e : e;
            }
            if (p == end && !eof) {
                return MORE;
            }
            if (!anyDigit || (p < end && !isTerminator(b[p]))) {
                int tokenEnd = tokenEnd(b, p, end);
                if (tokenEnd == end && !eof) {
                    return MORE;
                }
                String token = new String(b, start, tokenEnd - start, StandardCharsets.ISO_8859_1);
                String at = " at row " + (rows + 1) + ", column " + (column + 1);
                if (MatrixMarket.isNonFiniteWord(token)) {
                    throw error("non-finite value '" + token + "'" + at);
                }
                if (token.isEmpty()) {
                    // pandas' DataFrame.to_csv() writes the index as a first column under an empty name
                    throw error("empty field" + at + (rows == 0 && column == 0 ? " (pandas' to_csv writes an index "
                            + "column and a header unless given index=False, header=False)" : ""));
                }
                boolean decimalCommas = token.indexOf(';') >= 0 && (token.indexOf(',') >= 0 || column > 0
                        && symbol == ',');
                throw error("'" + MatrixMarket.quote(token) + "' is not a number" + at + (decimalCommas
                        ? " (';' between values and ',' in numbers: a spreadsheet's CSV in a locale that writes "
                        + "decimal commas; convert it with tr ',;' '.,' < IN > OUT.csv)"
                        : token.startsWith("\"") ? " (" + QUOTES + ")" : otherSeparator(token) ? hint() : ""));
            }
            double v = truncated ? Double.NaN
                    : DecimalDouble.toDouble(w, Math.clamp(exponent, Integer.MIN_VALUE, Integer.MAX_VALUE));
            if (Double.isNaN(v)) {
                v = Math.abs(Double.parseDouble(new String(b, start, p - start, StandardCharsets.ISO_8859_1)));
            }
            String at = "' at row " + (rows + 1) + ", column " + (column + 1);
            if (Double.isInfinite(v)) {
                throw error("non-finite value: '" + quote(b, start, p) + at + " overflows float64");
            }
            if (dtype == DType.FLOAT32 && Float.isInfinite((float) v)) {
                // a finite number: not "non-finite", as the .npy reader says it
                throw error("value '" + quote(b, start, p) + at + " is outside the float32 range (it rounds to "
                        + "infinity); read it as float64");
            }
            value = negative ? -v : v;
            return p;
        }

        /** Whether {@code c} may follow a number: a blank, the separator, a line end or a comment. */
        private boolean isTerminator(byte c) {
            return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '#' || c == symbol;
        }

        /** The end of the field that starts before {@code p}: the next terminator or {@code end}. */
        private int tokenEnd(byte[] b, int p, int end) {
            while (p < end && !isTerminator(b[p])) {
                p++;
            }
            return p;
        }

        /** The blanks around values: spaces, CR, and tabs unless a tab separates values. */
        private int skipBlanks(byte[] b, int p, int end) throws MatrixFormatException {
            while (p < end && (b[p] == ' ' || b[p] == '\r' || (b[p] == '\t' && symbol != '\t'))) {
                if (b[p] == '\r' && p + 1 == end && !eof) {
                    return end; // the next byte, not read yet, decides: read more and parse the line again
                }
                if (b[p] == '\r' && p + 1 < end && b[p + 1] != '\n') {
                    // a CR alone ends lines only in classic Mac OS files: read as a blank it joined the rows
                    throw error("a carriage return (CR) without a line feed: the line ends of this file are CR "
                            + "alone; convert them to LF, e.g. tr '\\r' '\\n' < in > out");
                }
                p++;
            }
            return p;
        }

        /** The index of the first {@code target} in {@code [from, end)}, or {@code end}. */
        private static int find(byte[] b, int from, int end, byte target) {
            for (int p = from; p < end; p++) {
                if (b[p] == target) {
                    return p;
                }
            }
            return end;
        }

        /** The field from {@code from} to its end, quoted for a message. */
        private String quote(byte[] b, int from, int end) {
            int to = Math.max(tokenEnd(b, from + 1, end), Math.min(from + 1, end));
            return MatrixMarket.quote(new String(b, from, to - from, StandardCharsets.ISO_8859_1));
        }

        /**
         * Whether {@code field} (not a number) holds a separator that another of the names would have chosen, or that
         * other tools write ({@code ;} of a spreadsheet's CSV, {@code |}): only then is the name's separator the
         * likely cause ({@code abc} in a .csv was told the name makes ',' the separator). A blank or this name's
         * separator ends a field, so it is never in one.
         */
        private static boolean otherSeparator(String field) {
            for (int k = 0; k < field.length(); k++) {
                if (",;|".indexOf(field.charAt(k)) >= 0) {
                    return true;
                }
            }
            return false;
        }

        /** How the file's name chose the separator, for a line that seems to use another. */
        private String hint() {
            return " (the name of " + source + " makes " + separator.describe() + " the separator: a .csv file is "
                    + "read with ',', .tsv with tabs, .txt and .dat with spaces or tabs)";
        }

        private String firstRow() {
            return "row 1 (line " + firstRowLine + ") has " + cols;
        }

        /**
         * Moves the current line to the start of the buffer (growing it if the line fills it) and reads until the
         * buffer is full or the input ends.
         */
        private void fill() throws IOException {
            if (pos > 0) {
                System.arraycopy(buf, pos, buf, 0, limit - pos);
                limit -= pos;
                pos = 0;
            }
            if (limit == buf.length) {
                if (buf.length >= MAX_LINE) {
                    throw error("a line longer than " + MAX_LINE + " bytes");
                }
                try {
                    buf = Arrays.copyOf(buf, (int) Math.min(MAX_LINE, 2L * buf.length));
                } catch (OutOfMemoryError tooLong) {
                    throw error("a line of more than " + buf.length + " bytes, more than this JVM's heap holds "
                            + "(one line is read whole; a file without line ends is not a text matrix)");
                }
            }
            while (limit < buf.length) {
                Interrupts.checkReading(source);
                int n = in.read(buf, limit, buf.length - limit);
                if (n < 0) {
                    eof = true;
                    return;
                }
                limit += n;
            }
        }

        private MatrixFormatException error(String problem) {
            return new MatrixFormatException(source, lineNumber, problem);
        }

        @Override
        public void close() {
            staging.close();
        }
    }
}
