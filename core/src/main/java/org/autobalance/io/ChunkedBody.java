package org.autobalance.io;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CancellationException;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.memory.Float32RangeException;
import org.autobalance.memory.NativeMemory;
import org.autobalance.memory.SparseMatrix;
import org.autobalance.memory.internal.InterruptLooks;
import org.autobalance.parallel.ParallelPass;

/**
 * The body of a Matrix Market file mapped into memory (everything after the size line), parsed from its bytes in
 * parallel: split at line ends into one chunk per thread, each chunk parsed into native buffers of its own (no object
 * per line or token; numbers by {@link DecimalParser}), the chunks then handed on in file order, so the matrix is bit
 * for bit the streaming parser's (the same values, added to the same {@link SparseMatrix.Builder} in the same order,
 * which sums duplicates in that order).
 *
 * <p>Only well-formed bodies are read here. At the first token the streaming parser would refuse, a chunk stops and the
 * reading returns null, and the caller reads the file again with the streaming parser, which reports the problem with
 * its line: messages come from one place, and a malformed file costs a second reading, a well-formed one none. The
 * lines are those the streaming parser sees ({@link java.io.BufferedReader#readLine}: a line ends at LF, CR or
 * CR LF), so a chunk boundary is placed just after an LF or CR; a CR LF cut between its two bytes leaves an empty
 * line, which is skipped as any blank line is.
 */
final class ChunkedBody {
    /** What the header and the size line say the body holds. */
    record Shape(boolean coordinate, boolean pattern, boolean integer, int mirror, int rows, int cols, long count,
            DType dtype) {
    }

    /** Where parsed values go: (0-based row, column, value). */
    interface Sink {
        void put(int i, int j, double value);
    }

    /**
     * A mapped file whose header and size line the streaming parser has read, to be parsed on {@code threads} threads
     * in chunks of at least {@code minChunkBytes} (the last may be shorter); {@code beforeInterruptCheck} runs before
     * each look of the parse at the caller's interrupt status (where a test interrupts it mid-parse).
     */
    record Mapped(MemorySegment text, int threads, long minChunkBytes, Runnable beforeInterruptCheck) {
        Mapped(MemorySegment text, int threads, long minChunkBytes) {
            this(text, threads, minChunkBytes, () -> { });
        }

        /**
         * The entries of a coordinate body (mirrors added), or null when it is not well formed or cannot be held, or
         * the thread is interrupted.
         */
        SparseMatrix coordinate(Shape shape) {
            long start = bodyStart(text);
            return ChunkedBody.coordinate(new ChunkedBody(text, start, shape, chunkCount(text.byteSize() - start),
                    beforeInterruptCheck));
        }

        /**
         * Hands the values of an array body to {@code sink} in file order ({@code parallelSink}: from several threads
         * at once, for distinct positions); false, with nothing handed on, when the body is not well formed, and
         * false when the thread is interrupted, with part of the values handed on if the interrupt came after the
         * parse (the caller discards them).
         */
        boolean array(Shape shape, Sink sink, boolean parallelSink) {
            long start = bodyStart(text);
            return ChunkedBody.array(new ChunkedBody(text, start, shape, chunkCount(text.byteSize() - start),
                    beforeInterruptCheck), sink, parallelSink);
        }

        /**
         * Every value of an array body as a stored entry, or null when it is not well formed or cannot be held, or
         * the thread is interrupted.
         */
        SparseMatrix arraySparse(Shape shape) {
            try (SparseMatrix.Builder b = SparseMatrix.builder(shape.rows, shape.cols,
                    shape.mirror == 0 ? shape.count : 2 * shape.count)) {
                return array(shape, b::add, false) ? built(b, shape.dtype) : null;
            } catch (IllegalArgumentException cannotHold) {
                return null;
            }
        }

        private int chunkCount(long bytes) {
            return (int) Math.max(1, Math.min(threads, bytes / Math.max(1, minChunkBytes)));
        }
    }

    /**
     * Below this many bytes of body per thread the chunks are fewer than the threads: a thread's start and the
     * chunk's buffers cost about as much as parsing a few tens of kilobytes.
     */
    static final long MIN_CHUNK_BYTES = 1 << 20;
    /** Bytes of a staged coordinate entry (row and column int32, value float64) and of a staged array value. */
    private static final long ENTRY_BYTES = 2 * Integer.BYTES + Double.BYTES;
    private static final long VALUE_BYTES = Double.BYTES;
    private final MemorySegment text;
    private final Shape shape;
    private final Chunk[] chunks;
    private final Thread caller = Thread.currentThread();
    private final Runnable beforeInterruptCheck;

    private ChunkedBody(MemorySegment text, long start, Shape shape, int chunkCount, Runnable beforeInterruptCheck) {
        this.text = text;
        this.shape = shape;
        this.beforeInterruptCheck = beforeInterruptCheck;
        long end = text.byteSize();
        this.chunks = new Chunk[chunkCount];
        long from = start;
        for (int c = 0; c < chunkCount; c++) {
            long to = end;
            if (c < chunkCount - 1) {
                long nominal = Math.max(from, start + (end - start) / chunkCount * (c + 1));
                long lineEnd = lineEnd(text, nominal, end);
                to = lineEnd < end ? lineEnd + 1 : end;
            }
            // the chunk's share of the declared count, a first guess at its buffers' size (they grow if it is low)
            long guess = (long) ((double) shape.count * (to - from) / Math.max(1, end - start)) + 16;
            chunks[c] = new Chunk(from, to, guess);
            from = to;
        }
    }

    /**
     * The position just after the size line of {@code text}: line 1 is the header, the size line the next line that
     * is neither blank nor a comment. Call it only once the streaming parser has read the header and size line.
     */
    static long bodyStart(MemorySegment text) {
        long end = text.byteSize();
        long p = lineEnd(text, 0, end);
        while (p < end) {
            byte c = text.get(ValueLayout.JAVA_BYTE, p);
            if (c == '%') {
                p = lineEnd(text, p, end);
            } else if ((c & 0xFF) > ' ') {
                return lineEnd(text, p, end);
            } else {
                p++;
            }
        }
        return end;
    }

    /**
     * The entries of a coordinate body (with their mirrors), or null when the body is not well formed or cannot be
     * held (the streaming parser then says why).
     */
    private static SparseMatrix coordinate(ChunkedBody body) {
        Shape shape = body.shape;
        try (ParallelPass pass = new ParallelPass(body.chunks.length)) {
            if (!body.parse(pass)) {
                return null;
            }
            long listed = 0;
            long stored = 0;
            for (Chunk c : body.chunks) {
                listed += c.count;
                stored += c.count + (shape.mirror != 0 ? c.offDiagonal : 0);
            }
            if (listed != shape.count) {
                return null;
            }
            try (SparseMatrix.Builder b = SparseMatrix.builder(shape.rows, shape.cols, stored)) {
                for (Chunk c : body.chunks) {
                    // a look between blocks, each block a call, as SparseMatrix.Builder.build does (InterruptLooks)
                    for (long from = 0; from < c.count; from += InterruptLooks.EVERY) {
                        long to = Math.min(c.count, from + InterruptLooks.EVERY);
                        add(c, shape.mirror, from, to, b);
                        if (body.interrupted(to)) {
                            return null;
                        }
                    }
                    // freed as soon as copied: the staging below holds them now
                    c.close();
                }
                return built(b, shape.dtype);
            }
        } catch (IllegalArgumentException cannotHold) {
            return null;
        } finally {
            body.close();
        }
    }

    /** Entries {@code [from, to)} of coordinate chunk {@code c}, and their mirrors, to {@code b}. */
    private static void add(Chunk c, int mirror, long from, long to, SparseMatrix.Builder b) {
        // locals, so that the segments' liveness and bounds checks can leave the loop
        MemorySegment rows = c.rows;
        MemorySegment cols = c.cols;
        MemorySegment values = c.values;
        for (long k = from; k < to; k++) {
            int i = rows.getAtIndex(ValueLayout.JAVA_INT, k);
            int j = cols.getAtIndex(ValueLayout.JAVA_INT, k);
            double value = values.getAtIndex(ValueLayout.JAVA_DOUBLE, k);
            b.add(i, j, value);
            if (mirror != 0 && i != j) {
                b.add(j, i, mirror * value);
            }
        }
    }

    /**
     * Parses an array body and hands its values to {@code sink} in file order ({@code parallelSink}: sink may be called
     * from several threads at once, for distinct positions, as a dense matrix may); false, with nothing handed on,
     * when the body is not well formed; false when the thread is interrupted, at the parse or the hand-on.
     */
    private static boolean array(ChunkedBody body, Sink sink, boolean parallelSink) {
        Shape shape = body.shape;
        int chunkCount = body.chunks.length;
        try (ParallelPass pass = new ParallelPass(chunkCount)) {
            if (!body.parse(pass)) {
                return false;
            }
            long[] offsets = new long[chunkCount + 1];
            for (int c = 0; c < chunkCount; c++) {
                offsets[c + 1] = offsets[c] + body.chunks[c].count;
            }
            if (offsets[chunkCount] != shape.count) {
                return false;
            }
            // an interrupt stops the hand-on too: the caller discards what was handed on (it closes the matrix)
            if (parallelSink) {
                pass.run((chunk, from, to) -> {
                    for (int c = from; c < to; c++) {
                        if (!body.handOn(body.chunks[c], offsets[c], sink)) {
                            break;
                        }
                    }
                    return 0;
                }, chunkCount);
            } else {
                for (int c = 0; c < chunkCount; c++) {
                    if (!body.handOn(body.chunks[c], offsets[c], sink)) {
                        break;
                    }
                }
            }
            return !body.caller.isInterrupted();
        } catch (IllegalArgumentException cannotHold) {
            return false;
        } finally {
            body.close();
        }
    }

    /**
     * The matrix of the staged entries, or null when a sum of duplicates overflows the dtype (the streaming parser
     * says so, on its line; not to be taken for a matrix too large to hold) or the thread is interrupted during the
     * sort (the caller reports it).
     */
    private static SparseMatrix built(SparseMatrix.Builder b, DType dtype) {
        SparseMatrix s;
        try {
            s = b.build(dtype);
        } catch (Float32RangeException | CancellationException overflowOrInterrupt) {
            return null;
        }
        if (s.firstNonFinite() != null) {
            s.close();
            return null;
        }
        return s;
    }

    /**
     * Parses every chunk, chunk c on thread c; whether all were well formed. False too when the calling thread is
     * interrupted: every chunk looks at its status every 65536 entries and stops (the whole body was parsed first,
     * 1.4 s of a 44 MB file), and the caller, which gets null for the body, reports the interrupt.
     */
    private boolean parse(ParallelPass pass) {
        pass.run((chunk, from, to) -> {
            for (int c = from; c < to; c++) {
                chunks[c].parse(this);
            }
            return 0;
        }, chunks.length);
        if (caller.isInterrupted()) {
            return false;
        }
        for (Chunk c : chunks) {
            if (!c.wellFormed) {
                return false;
            }
        }
        return true;
    }

    /**
     * The values of array chunk {@code c}, the first being value number {@code offset} of the body, to {@code sink} at
     * their positions (column-major, the stored triangle only for a symmetric or skew-symmetric matrix) and mirrors;
     * false when it stopped because the caller is interrupted.
     */
    private boolean handOn(Chunk c, long offset, Sink sink) {
        if (c.count == 0) {
            return true;
        }
        int rows = shape.rows;
        int j = 0;
        long before = offset;
        while (before >= rows - firstRow(j)) {
            before -= rows - firstRow(j);
            j++;
        }
        int i = firstRow(j) + (int) before;
        // a look between blocks, each block a call, as SparseMatrix.Builder.build does (InterruptLooks)
        long at = (long) j << 32 | i;
        for (long from = 0; from < c.count; from += InterruptLooks.EVERY) {
            long to = Math.min(c.count, from + InterruptLooks.EVERY);
            at = handOn(c.values, from, to, at, sink);
            if (interrupted(to)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Values {@code [from, to)} of an array chunk to {@code sink}, the first at position {@code at} (its column in the
     * high 32 bits, its row in the low); returns the position after the last, in the same form.
     */
    private long handOn(MemorySegment values, long from, long to, long at, Sink sink) {
        int mirror = shape.mirror;
        int rows = shape.rows;
        int i = (int) at;
        int j = (int) (at >>> 32);
        for (long k = from; k < to; k++) {
            double value = values.getAtIndex(ValueLayout.JAVA_DOUBLE, k);
            sink.put(i, j, value);
            if (mirror != 0 && i != j) {
                sink.put(j, i, mirror * value);
            }
            if (++i == rows) {
                j++;
                i = firstRow(j);
            }
        }
        return (long) j << 32 | i;
    }

    /**
     * Whether the caller of the parse is interrupted, looked at once {@code done} entries are parsed or handed on, when
     * {@link InterruptLooks#due}; the loop then stops.
     */
    private boolean interrupted(long done) {
        if (!InterruptLooks.due(done)) {
            return false;
        }
        beforeInterruptCheck.run();
        return caller.isInterrupted();
    }

    /** The first row of column j that an array file lists: all, the lower triangle with or without the diagonal. */
    private int firstRow(int j) {
        return shape.mirror == 0 ? 0 : shape.mirror > 0 ? j : j + 1;
    }

    private void close() {
        for (Chunk c : chunks) {
            c.close();
        }
    }

    /** The first line end (LF or CR) at or after {@code from}, or {@code end}. */
    private static long lineEnd(MemorySegment text, long from, long end) {
        long p = from;
        while (p < end) {
            byte c = text.get(ValueLayout.JAVA_BYTE, p);
            if (c == '\n' || c == '\r') {
                return p;
            }
            p++;
        }
        return end;
    }

    /** One chunk: its bytes, its parse position and the values (and coordinate indices) parsed from it. */
    private static final class Chunk {
        private final long start;
        private final long end;
        private long capacity;
        private Arena arena;
        private MemorySegment rows;
        private MemorySegment cols;
        private MemorySegment values;
        private long count;
        /** Entries off the diagonal, which a symmetric matrix stores twice. */
        private long offDiagonal;
        private boolean wellFormed;
        /** The parse position, shared by the token methods. */
        private long pos;

        Chunk(long start, long end, long capacity) {
            this.start = start;
            this.end = end;
            this.capacity = capacity;
        }

        void parse(ChunkedBody body) {
            Shape shape = body.shape;
            allocate(capacity, shape.coordinate);
            pos = start;
            wellFormed = shape.coordinate ? parseCoordinate(body.text, shape, body)
                    : parseArray(body.text, shape, body);
        }

        private boolean parseCoordinate(MemorySegment t, Shape shape, ChunkedBody body) {
            // locals, so that the segments' liveness and bounds checks can leave the loop (reloaded when they grow)
            MemorySegment rowsOut = rows;
            MemorySegment colsOut = cols;
            MemorySegment valuesOut = values;
            while (pos < end) {
                if (skippedNonContent(t)) {
                    continue;
                }
                long i = index(t, shape.rows);
                if (i < 0 || !nextToken(t)) {
                    return false;
                }
                long j = index(t, shape.cols);
                if (j < 0) {
                    return false;
                }
                double value = 1.0;
                if (!shape.pattern) {
                    if (!nextToken(t)) {
                        return false;
                    }
                    value = value(t, shape);
                    if (Double.isNaN(value)) {
                        return false;
                    }
                }
                if (nextToken(t)) {
                    return false;
                }
                if (count == capacity) {
                    grow(true);
                    rowsOut = rows;
                    colsOut = cols;
                    valuesOut = values;
                }
                rowsOut.setAtIndex(ValueLayout.JAVA_INT, count, (int) i);
                colsOut.setAtIndex(ValueLayout.JAVA_INT, count, (int) j);
                valuesOut.setAtIndex(ValueLayout.JAVA_DOUBLE, count, value);
                count++;
                if (i != j) {
                    offDiagonal++;
                }
                if (body.interrupted(count)) {
                    return false;
                }
            }
            return true;
        }

        /**
         * Moves past a comment line ({@code %} to its end) or one byte of a line end or of the whitespace before a
         * line's first token, if the parse position is at one; false at a token.
         */
        private boolean skippedNonContent(MemorySegment t) {
            byte c = t.get(ValueLayout.JAVA_BYTE, pos);
            if (c == '%') {
                pos = lineEnd(t, pos, end);
                return true;
            }
            if ((c & 0xFF) <= ' ') {
                pos++;
                return true;
            }
            return false;
        }

        private boolean parseArray(MemorySegment t, Shape shape, ChunkedBody body) {
            MemorySegment valuesOut = values;
            while (pos < end) {
                if (skippedNonContent(t)) {
                    continue;
                }
                // the tokens of one content line, several values allowed
                do {
                    double value = value(t, shape);
                    if (Double.isNaN(value)) {
                        return false;
                    }
                    if (count == capacity) {
                        grow(false);
                        valuesOut = values;
                    }
                    valuesOut.setAtIndex(ValueLayout.JAVA_DOUBLE, count, value);
                    count++;
                    if (body.interrupted(count)) {
                        return false;
                    }
                } while (nextToken(t));
            }
            return true;
        }

        /**
         * The 1-based index token at {@code pos}, checked against 1..{@code limit} and returned 0-based, with
         * {@code pos} just after it; −1 if it is not {@code [+-]digits} or outside that range.
         */
        private long index(MemorySegment t, int limit) {
            long p = pos;
            byte c = t.get(ValueLayout.JAVA_BYTE, p);
            boolean negative = c == '-';
            if (c == '-' || c == '+') {
                p++;
            }
            long digitsStart = p;
            long value = 0;
            while (p < end) {
                c = t.get(ValueLayout.JAVA_BYTE, p);
                if (c < '0' || c > '9') {
                    break;
                }
                // past the int range the index is out of range whatever follows: stop growing, keep scanning
                if (value <= Integer.MAX_VALUE) {
                    value = value * 10 + (c - '0');
                }
                p++;
            }
            if (p == digitsStart || p < end && (c & 0xFF) > ' ') {
                return -1;
            }
            pos = p;
            return negative || value < 1 || value > limit ? -1 : value - 1;
        }

        /**
         * The value token at {@code pos}, with {@code pos} just after it; NaN where the streaming parser refuses it:
         * not a number (of the field), or overflowing float64 or, for a float32 reading, float32.
         */
        private double value(MemorySegment t, Shape shape) {
            long from = pos;
            long p = from;
            while (p < end && (t.get(ValueLayout.JAVA_BYTE, p) & 0xFF) > ' ') {
                p++;
            }
            pos = p;
            double value = DecimalParser.parse(t, from, p, shape.integer);
            if (Double.isInfinite(value) || shape.dtype == DType.FLOAT32 && Float.isInfinite((float) value)) {
                return Double.NaN;
            }
            return value;
        }

        /** Moves {@code pos} over spaces and tabs to the next token of this line; false at the line's end. */
        private boolean nextToken(MemorySegment t) {
            long p = pos;
            while (p < end) {
                byte c = t.get(ValueLayout.JAVA_BYTE, p);
                if (c == '\n' || c == '\r') {
                    break;
                }
                if ((c & 0xFF) > ' ') {
                    pos = p;
                    return true;
                }
                p++;
            }
            pos = p;
            return false;
        }

        private void allocate(long newCapacity, boolean coordinate) {
            long bytes = newCapacity * (coordinate ? ENTRY_BYTES : VALUE_BYTES);
            NativeMemory.requireRoom(bytes, () -> "stage " + newCapacity + " parsed Matrix Market values");
            Arena next = Arena.ofShared();
            try {
                MemorySegment nextValues = next.allocate(newCapacity * Double.BYTES, Double.BYTES);
                MemorySegment nextRows = coordinate ? next.allocate(newCapacity * Integer.BYTES, Integer.BYTES) : null;
                MemorySegment nextCols = coordinate ? next.allocate(newCapacity * Integer.BYTES, Integer.BYTES) : null;
                if (arena != null) {
                    MemorySegment.copy(values, 0, nextValues, 0, count * Double.BYTES);
                    if (coordinate) {
                        MemorySegment.copy(rows, 0, nextRows, 0, count * Integer.BYTES);
                        MemorySegment.copy(cols, 0, nextCols, 0, count * Integer.BYTES);
                    }
                    arena.close();
                }
                arena = next;
                values = nextValues;
                rows = nextRows;
                cols = nextCols;
                capacity = newCapacity;
            } catch (OutOfMemoryError | RuntimeException e) {
                next.close();
                throw new IllegalArgumentException("cannot stage " + newCapacity + " parsed values: " + e, e);
            }
        }

        private void grow(boolean coordinate) {
            allocate(capacity + Math.max(16, capacity >> 1), coordinate);
        }

        void close() {
            if (arena != null) {
                arena.close();
                arena = null;
            }
        }
    }
}
