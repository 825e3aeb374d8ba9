package org.autobalance.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The header of a NumPy {@code .npy} file
 * (<a href="https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html">format versions 1.0, 2.0 and
 * 3.0</a>): what the array's bytes are and where they start. It describes any array, of any dtype and any number of
 * dimensions; deciding whether that array can be used (a 2-D float matrix, say) is the reader's business ({@link Npy}),
 * so that other readers ({@code .npz} members, integer index arrays) can reuse the parse.
 *
 * <p>The file starts with the magic string {@code \x93NUMPY}, a major and a minor version byte, the length of the
 * header text (a little-endian {@code uint16} in version 1.0, {@code uint32} in 2.0 and 3.0), and the header text: a
 * Python dict literal with exactly the keys {@code 'descr'} (a dtype string such as {@code '<f8'}),
 * {@code 'fortran_order'} ({@code True} or {@code False}) and {@code 'shape'} (a tuple of non-negative integers),
 * padded with spaces and a newline. Version 3.0 differs from 2.0 only in that the text is UTF-8 instead of
 * Latin-1. The array's bytes follow at {@link #dataOffset()}.
 *
 * <p>The text is parsed as the small subset of Python literals numpy writes and reads (strings in single or double
 * quotes, integers, {@code True}/{@code False}/{@code None}, tuples, lists, dicts), not evaluated. A list
 * {@code 'descr'} (a structured dtype) is rejected here: nothing in this project reads record arrays.
 *
 * <p>A class, not a record, so that what the header reports can grow without breaking callers: only {@link #parse}
 * makes one.
 */
public final class NpyHeader {

    /** The first six bytes of every {@code .npy} file. */
    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** Magic, two version bytes and the shortest length field: enough bytes to know the length of the header. */
    public static final int PREAMBLE_BYTES = 10;
    /** numpy pads the header so that the data starts on a multiple of this (older numpy: 16; both are read). */
    static final int DATA_ALIGNMENT = 64;
    /** Largest header text a version 1.0 length field (uint16) can state. */
    private static final int MAX_V1_HEADER = 0xFFFF;
    private static final Set<String> KEYS = Set.of("descr", "fortran_order", "shape");
    private static final int MAX_QUOTED = 60;

    private final int majorVersion;
    private final long dataOffset;
    private final String descr;
    private final ByteOrder byteOrder;
    private final char kind;
    private final int itemSize;
    private final boolean fortranOrder;
    private final long[] shape;

    private NpyHeader(int majorVersion, long dataOffset, String descr, ByteOrder byteOrder, char kind, int itemSize,
            boolean fortranOrder, long[] shape) {
        this.majorVersion = majorVersion;
        this.dataOffset = dataOffset;
        this.descr = Objects.requireNonNull(descr);
        this.byteOrder = Objects.requireNonNull(byteOrder);
        this.kind = kind;
        this.itemSize = itemSize;
        this.fortranOrder = fortranOrder;
        this.shape = shape.clone();
    }

    /** 1, 2 or 3 (the minor version is always 0). */
    public int majorVersion() {
        return majorVersion;
    }

    /** Byte offset of the first element from the start of the file. */
    public long dataOffset() {
        return dataOffset;
    }

    /** The dtype string as written, e.g. {@code "<f4"}, {@code ">f8"}, {@code "|O"}, {@code "<i8"}. */
    public String descr() {
        return descr;
    }

    /**
     * The order of the elements' bytes: {@code '<'} little-endian, {@code '>'} big-endian; {@code '='}, {@code '|'}
     * (not applicable: single bytes, objects) or no prefix mean the native order, as numpy reads them.
     */
    public ByteOrder byteOrder() {
        return byteOrder;
    }

    /**
     * numpy's kind character: {@code 'f'} floating point, {@code 'i'}/{@code 'u'} signed/unsigned integer,
     * {@code 'b'} boolean, {@code 'c'} complex, {@code 'O'} object, ... ({@code '?'} for {@code '?'}, numpy's
     * one-character code for bool, is reported as {@code 'b'}).
     */
    public char kind() {
        return kind;
    }

    /**
     * Bytes per element for the fixed-size numeric kinds {@code b i u f c}; 0 for the others (their descr does not
     * state a byte size this parser knows how to interpret).
     */
    public int itemSize() {
        return itemSize;
    }

    /** Whether the elements are stored column-major (first index fastest) instead of row-major. */
    public boolean fortranOrder() {
        return fortranOrder;
    }

    /** The dimensions (a copy: the header is immutable). */
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements: the product of the dimensions (1 for a 0-d array). */
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /**
     * Bytes of array data the header declares ({@link #elementCount()} × {@link #itemSize()}), or -1 if that is
     * not representable in a {@code long} or the item size is unknown (0).
     */
    public long dataBytes() {
        if (itemSize == 0) {
            return -1;
        }
        try {
            return Math.multiplyExact(elementCount(), (long) itemSize);
        } catch (ArithmeticException overflow) {
            return -1;
        }
    }

    /** The shape as numpy prints it: {@code (3, 4)}, {@code (5,)}, {@code ()}. */
    public String shapeText() {
        StringBuilder b = new StringBuilder("(");
        for (int k = 0; k < shape.length; k++) {
            b.append(k == 0 ? "" : ", ").append(shape[k]);
        }
        return b.append(shape.length == 1 ? ",)" : ")").toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NpyHeader h && majorVersion == h.majorVersion && dataOffset == h.dataOffset
                && descr.equals(h.descr) && byteOrder.equals(h.byteOrder) && kind == h.kind
                && itemSize == h.itemSize && fortranOrder == h.fortranOrder && Arrays.equals(shape, h.shape);
    }

    @Override
    public int hashCode() {
        return descr.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return "NpyHeader[version " + majorVersion + ".0, descr " + descr + ", fortran_order " + fortranOrder
                + ", shape " + shapeText() + ", data at byte " + dataOffset + "]";
    }

    /**
     * The byte offset at which the data starts ({@link #dataOffset()}), from the first {@value #PREAMBLE_BYTES}
     * bytes of a file: a reader of a stream reads this many bytes first, then the rest of the header, then calls
     * {@link #parse(MemorySegment, String)}.
     *
     * @throws MatrixFormatException if the bytes are not the start of a {@code .npy} file of version 1.0–3.0
     */
    public static long headerEnd(MemorySegment preamble, String source) throws MatrixFormatException {
        Objects.requireNonNull(preamble, "preamble must not be null");
        Objects.requireNonNull(source, "source must not be null");
        if (preamble.byteSize() < MAGIC.length
                || MemorySegment.mismatch(preamble, 0, MAGIC.length, MemorySegment.ofArray(MAGIC), 0,
                        MAGIC.length) != -1) {
            byte[] first = new byte[(int) Math.min(preamble.byteSize(), 16)];
            MemorySegment.copy(preamble, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, first, 0, first.length);
            String hint = FileInput.hintFor(new String(first, java.nio.charset.StandardCharsets.ISO_8859_1));
            throw new MatrixFormatException(source, "not a .npy file: it does not start with the magic string "
                    + "\\x93NUMPY" + (hint == null ? "" : " (" + hint + ")"));
        }
        if (preamble.byteSize() < PREAMBLE_BYTES) {
            throw new MatrixFormatException(source, "truncated .npy header: " + preamble.byteSize()
                    + " bytes, the fixed part alone has " + PREAMBLE_BYTES);
        }
        int major = Byte.toUnsignedInt(preamble.get(ValueLayout.JAVA_BYTE, 6));
        int minor = Byte.toUnsignedInt(preamble.get(ValueLayout.JAVA_BYTE, 7));
        if (major < 1 || major > 3 || minor != 0) {
            throw new MatrixFormatException(source, "unsupported .npy format version " + major + "." + minor
                    + ": versions 1.0, 2.0 and 3.0 are read");
        }
        if (major == 1) {
            return 10 + Short.toUnsignedInt(preamble.get(ValueLayout.JAVA_SHORT_UNALIGNED
                    .withOrder(ByteOrder.LITTLE_ENDIAN), 8));
        }
        if (preamble.byteSize() < 12) {
            throw new MatrixFormatException(source, "truncated .npy header: " + preamble.byteSize()
                    + " bytes, the fixed part of a version " + major + ".0 header has 12");
        }
        return 12 + Integer.toUnsignedLong(preamble.get(ValueLayout.JAVA_INT_UNALIGNED
                .withOrder(ByteOrder.LITTLE_ENDIAN), 8));
    }

    /**
     * Parses the header at the start of {@code bytes}, which must hold at least the whole header (it may hold the
     * whole file: a mapped file, an array, a {@link MemorySegment#ofBuffer(java.nio.Buffer) ByteBuffer}). Nothing
     * is checked against the data; see {@link #dataBytes()}.
     *
     * @param source the file or stream, as it should appear in messages
     * @throws MatrixFormatException if the magic string, the version, the length or the dict is malformed, or the
     *         descr is a structured dtype
     */
    public static NpyHeader parse(MemorySegment bytes, String source) throws MatrixFormatException {
        Objects.requireNonNull(bytes, "bytes must not be null");
        long end = headerEnd(bytes, source);
        if (bytes.byteSize() < end) {
            throw new MatrixFormatException(source, "truncated .npy header: its length field declares " + end
                    + " bytes of header, the input holds " + bytes.byteSize());
        }
        int major = Byte.toUnsignedInt(bytes.get(ValueLayout.JAVA_BYTE, 6));
        int start = major == 1 ? 10 : 12;
        if (end - start > Integer.MAX_VALUE - 16) {
            throw new MatrixFormatException(source, "malformed .npy header: it declares " + (end - start)
                    + " bytes of header text");
        }
        byte[] raw = bytes.asSlice(start, end - start).toArray(ValueLayout.JAVA_BYTE);
        String text = new String(raw, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Object literal = new Literal(text, source).parseWhole();
        if (!(literal instanceof Map<?, ?> dict)) {
            throw malformed(source, "the header is not a dict: '" + quote(text.strip()) + "'");
        }
        if (!dict.keySet().equals(KEYS)) {
            throw malformed(source, "the header dict has the keys " + dict.keySet()
                    + ", expected exactly descr, fortran_order and shape");
        }
        Object descr = dict.get("descr");
        if (descr instanceof List<?>) {
            throw new MatrixFormatException(source, "unsupported dtype: a structured dtype (record array) "
                    + quote(String.valueOf(descr)) + "; only plain numeric arrays are read");
        }
        if (!(descr instanceof String d)) {
            throw malformed(source, "'descr' must be a dtype string such as '<f8', found " + describe(descr));
        }
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
            throw malformed(source, "'fortran_order' must be True or False, found "
                    + describe(dict.get("fortran_order")));
        }
        long[] shape = shape(dict.get("shape"), source);
        // Parsed by hand, not with a regular expression: this runs once per process, before anything is compiled,
        // and compiling a Pattern there costs milliseconds.
        int p = !d.isEmpty() && "<>=|".indexOf(d.charAt(0)) >= 0 ? 1 : 0;
        ByteOrder order = p == 1 && d.charAt(0) == '<' ? ByteOrder.LITTLE_ENDIAN
                : p == 1 && d.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.nativeOrder();
        char kind = '\0';
        int itemSize = 0;
        if (p < d.length()) {
            char code = d.charAt(p);
            String size = d.substring(p + 1);
            boolean digits = !size.isEmpty() && size.length() <= 3;
            for (int k = 0; k < size.length(); k++) {
                digits &= Literal.isDigit(size.charAt(k));
            }
            if (code == '?') {
                kind = 'b';
                itemSize = size.isEmpty() ? 1 : 0;
            } else if (Character.isLetter(code)) {
                kind = code;
                itemSize = "biufc".indexOf(code) >= 0 && digits ? Integer.parseInt(size) : 0;
            }
        }
        return new NpyHeader(major, end, d, order, kind, itemSize, fortran, shape);
    }

    /** As {@link #parse(MemorySegment, String)}, from the bytes between the buffer's position and its limit. */
    public static NpyHeader parse(ByteBuffer bytes, String source) throws MatrixFormatException {
        return parse(MemorySegment.ofBuffer(Objects.requireNonNull(bytes, "bytes must not be null")), source);
    }

    /**
     * The header bytes numpy's {@code write_array} would write for this array: version 1.0 (2.0 if the text does
     * not fit a uint16 length), the dict in numpy's key order, padded with spaces and a newline so the data starts
     * on a multiple of {@value #DATA_ALIGNMENT} bytes.
     */
    public static byte[] encode(String descr, boolean fortranOrder, long[] shape) {
        Objects.requireNonNull(descr, "descr must not be null");
        Objects.requireNonNull(shape, "shape must not be null");
        StringBuilder dict = new StringBuilder("{'descr': '").append(descr).append("', 'fortran_order': ")
                .append(fortranOrder ? "True" : "False").append(", 'shape': (");
        for (int k = 0; k < shape.length; k++) {
            dict.append(k == 0 ? "" : ", ").append(shape[k]);
        }
        dict.append(shape.length == 1 ? ",), }" : "), }");
        byte[] text = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
        int prefix = 10;
        int total = paddedLength(prefix, text.length);
        if (total - prefix > MAX_V1_HEADER) {
            prefix = 12;
            total = paddedLength(prefix, text.length);
        }
        byte[] out = new byte[total];
        System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
        out[6] = (byte) (prefix == 10 ? 1 : 2);
        out[7] = 0;
        MemorySegment header = MemorySegment.ofArray(out);
        if (prefix == 10) {
            header.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8,
                    (short) (total - prefix));
        } else {
            header.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8, total - prefix);
        }
        System.arraycopy(text, 0, out, prefix, text.length);
        Arrays.fill(out, prefix + text.length, total - 1, (byte) ' ');
        out[total - 1] = '\n';
        return out;
    }

    /** Prefix + text + at least the newline, rounded up to the data alignment. */
    private static int paddedLength(int prefix, int text) {
        int unpadded = prefix + text + 1;
        return (unpadded + DATA_ALIGNMENT - 1) / DATA_ALIGNMENT * DATA_ALIGNMENT;
    }

    private static long[] shape(Object value, String source) throws MatrixFormatException {
        if (!(value instanceof Literal.Tuple(List<Object> items))) {
            throw malformed(source, "'shape' must be a tuple of integers, found " + describe(value));
        }
        long[] shape = new long[items.size()];
        for (int k = 0; k < shape.length; k++) {
            if (!(items.get(k) instanceof Long d) || d < 0) {
                throw malformed(source, "'shape' must be a tuple of non-negative integers, found "
                        + describe(value));
            }
            shape[k] = d;
        }
        return shape;
    }

    private static String describe(Object value) {
        return value == null ? "None" : quote(String.valueOf(value));
    }

    private static MatrixFormatException malformed(String source, String problem) {
        return new MatrixFormatException(source, "malformed .npy header: " + problem);
    }

    private static String quote(String text) {
        return text.length() <= MAX_QUOTED ? text : text.substring(0, MAX_QUOTED) + "...";
    }

    /** A recursive-descent parser of the Python literals a header may contain. */
    private static final class Literal {
        /** A Python tuple (a list stays a {@link List}; the shape must be a tuple, as numpy requires). */
        record Tuple(List<Object> items) {
            @Override
            public String toString() {
                return items.toString().replace('[', '(').replace(']', ')');
            }
        }

        /**
         * The deepest nesting of dicts, tuples and lists read: numpy's headers nest a few levels (a structured dtype's
         * fields with subarray shapes), and a header of 5000 parentheses ended the recursion in a StackOverflowError.
         */
        private static final int MAX_DEPTH = 32;

        private final String text;
        private final String source;
        private int pos;
        private int depth;

        Literal(String text, String source) {
            this.text = text;
            this.source = source;
        }

        Object parseWhole() throws MatrixFormatException {
            Object value = value();
            skipSpace();
            if (pos != text.length()) {
                throw error("unexpected text after the dict");
            }
            return value;
        }

        private Object value() throws MatrixFormatException {
            skipSpace();
            if (pos == text.length()) {
                throw error("the header text ends early");
            }
            char c = text.charAt(pos);
            if (c == '{' || c == '(' || c == '[') {
                if (depth == MAX_DEPTH) {
                    throw error("nested more than " + MAX_DEPTH + " levels deep");
                }
                depth++;
                try {
                    return c == '{' ? dict() : c == '(' ? new Tuple(sequence(')')) : sequence(']');
                } finally {
                    depth--;
                }
            }
            if (c == '\'' || c == '"') {
                return string(c);
            }
            if (c == '-' || c == '+' || isDigit(c)) {
                return integer();
            }
            for (String word : List.of("True", "False", "None")) {
                if (text.startsWith(word, pos)) {
                    pos += word.length();
                    return word.equals("None") ? null : Boolean.valueOf(word.equals("True"));
                }
            }
            throw error("unexpected '" + c + "'");
        }

        private Map<String, Object> dict() throws MatrixFormatException {
            Map<String, Object> map = new LinkedHashMap<>();
            pos++;
            while (true) {
                skipSpace();
                if (consume('}')) {
                    return map;
                }
                if (!(value() instanceof String key)) {
                    throw error("dict keys must be strings");
                }
                skipSpace();
                if (!consume(':')) {
                    throw error("expected ':' after the key '" + quote(key) + "'");
                }
                Object value = value();
                if (map.containsKey(key)) {
                    throw error("the key '" + quote(key) + "' appears twice");
                }
                map.put(key, value);
                skipSpace();
                if (!consume(',') && !(pos < text.length() && text.charAt(pos) == '}')) {
                    throw error("expected ',' or '}'");
                }
            }
        }

        private List<Object> sequence(char close) throws MatrixFormatException {
            List<Object> items = new ArrayList<>();
            pos++;
            while (true) {
                skipSpace();
                if (consume(close)) {
                    return items;
                }
                items.add(value());
                skipSpace();
                if (!consume(',') && !(pos < text.length() && text.charAt(pos) == close)) {
                    throw error("expected ',' or '" + close + "'");
                }
            }
        }

        private String string(char quoteChar) throws MatrixFormatException {
            StringBuilder b = new StringBuilder();
            pos++;
            while (pos < text.length()) {
                char c = text.charAt(pos++);
                if (c == quoteChar) {
                    return b.toString();
                }
                if (c == '\\' && pos < text.length()) {
                    c = text.charAt(pos++);
                }
                b.append(c);
            }
            throw error("unterminated string");
        }

        private Long integer() throws MatrixFormatException {
            int start = pos;
            if (text.charAt(pos) == '-' || text.charAt(pos) == '+') {
                pos++;
            }
            int digits = pos;
            while (pos < text.length() && isDigit(text.charAt(pos))) {
                pos++;
            }
            if (pos == digits) {
                throw error("expected digits");
            }
            String number = text.substring(start, pos);
            // Python 2 numpy wrote long dimensions as 3L; numpy still accepts them.
            if (pos < text.length() && (text.charAt(pos) == 'L' || text.charAt(pos) == 'l')) {
                pos++;
            }
            try {
                return Long.parseLong(number);
            } catch (NumberFormatException e) {
                throw error("integer " + quote(number) + " is out of range");
            }
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }

        private boolean consume(char c) {
            if (pos < text.length() && text.charAt(pos) == c) {
                pos++;
                return true;
            }
            return false;
        }

        private void skipSpace() {
            while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
                pos++;
            }
        }

        private MatrixFormatException error(String problem) {
            return malformed(source, problem + " at character " + (pos + 1) + " of '" + quote(text.strip()) + "'");
        }
    }
}
