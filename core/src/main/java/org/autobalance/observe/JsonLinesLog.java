package org.autobalance.observe;

import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.Flushable;
import java.io.IOException;
import java.io.InputStream;
import java.io.Writer;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Objects;
import org.autobalance.json.Json;

/**
 * A listener that writes one JSON object per record (see {@link IterationRecord#toMap()} and
 * {@link NetworkRecord#toMap()}) to a file. It is {@link Flushable}: a checkpointing solver flushes it before each
 * checkpoint, so that the log holds every record up to the checkpoint when the checkpoint exists. A file is also
 * flushed after a record that comes {@value #FLUSH_SECONDS} s or more after the last flush, so that {@code tail -f}
 * follows a slow run (it saw nothing for 40 records, an 8 KiB buffer) while a fast one still writes in whole buffers.
 *
 * <p>Thread-safe: runs in parallel may share one log, each record a whole line (before the fifteenth session two
 * writers could write one line into another). But the records of two runs interleave with nothing saying which run
 * wrote a line (each run's {@code "t"} starts again at 0), and {@link #continueAt} refuses such a file on resume: give
 * each run a log of its own.
 */
public final class JsonLinesLog implements IterationListener, NetworkListener, AutoCloseable, Flushable {
    /** Longest a record waits in the buffer of a file, in seconds, counted when the next record comes. */
    static final long FLUSH_SECONDS = 1;
    /**
     * Longest line {@link #continueAt} takes for a record: a record is a dozen named numbers, and a network's adds
     * three lists of one number a layer (at most 25 bytes each, about 75 a layer), so 64 MiB would be a network of
     * some 900 000 layers. A longer line is not a record, and holding it whole could exhaust the heap.
     */
    static final int MAX_RECORD_BYTES = 64 << 20;
    private final BufferedWriter out;
    private final boolean flushEach;
    private long lastFlush = System.nanoTime();

    /** Creates or truncates {@code path}. */
    public JsonLinesLog(Path path) throws IOException {
        this(Files.newBufferedWriter(Objects.requireNonNull(path, "log path must not be null"),
                StandardCharsets.UTF_8), false);
    }

    /**
     * Writes to {@code out} (a terminal, a pipe, a stream of the caller's), which {@link #close()} closes; every record
     * is flushed whole as it is written, so that a reader sees each as it comes and never half of one.
     */
    public JsonLinesLog(Writer out) {
        Objects.requireNonNull(out, "log writer must not be null");
        this.out = out instanceof BufferedWriter b ? b : new BufferedWriter(out);
        this.flushEach = true;
    }

    /**
     * Continues the log at {@code path} of a run resumed at iteration {@code next}: keeps its first {@code next}
     * records, which must be those of iterations 0 … next − 1 in order, drops what follows (records of iterations the
     * resumed run repeats, a line cut short by a crash), and appends after them: no gap, no duplicate.
     *
     * @throws IOException if the file lacks one of the records 0 … next − 1
     */
    public static JsonLinesLog continueAt(Path path, long next) throws IOException {
        Objects.requireNonNull(path, "log path must not be null");
        long keep = 0;
        // read in chunks, one line held at a time: a long run's log can pass 2 GiB (about 260 bytes a record: 8 million
        // iterations), which no array holds; read whole, it ended --resume with an OutOfMemoryError
        try (InputStream in = Files.newInputStream(path)) {
            byte[] chunk = new byte[1 << 16];
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int filled = 0;
            int at = 0;
            long records = 0;
            while (records < next) {
                if (at == filled) {
                    filled = in.read(chunk);
                    at = 0;
                    if (filled < 0) {
                        throw new IOException("cannot continue the log " + path + " at iteration " + next + ": it "
                                + "holds only " + records + " complete records");
                    }
                    continue;
                }
                int end = at;
                while (end < filled && chunk[end] != '\n') {
                    end++;
                }
                if (line.size() + (end - at) > MAX_RECORD_BYTES) {
                    throw new IOException("cannot continue the log " + path + ": record " + (records + 1) + " is "
                            + "longer than any record a log holds (" + MAX_RECORD_BYTES + " bytes)");
                }
                line.write(chunk, at, end - at);
                at = end;
                if (end < filled) {
                    requireRecord(path, line.toString(StandardCharsets.UTF_8), records);
                    keep += line.size() + 1;
                    records++;
                    line.reset();
                    at++;
                }
            }
        }
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
            channel.truncate(keep);
        }
        return new JsonLinesLog(Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.APPEND),
                false);
    }

    /** Refuses {@code line} unless it is a JSON object whose {@code "t"} is {@code records}. */
    private static void requireRecord(Path path, String line, long records) throws IOException {
        Object value;
        try {
            value = Json.parse(line);
        } catch (IllegalArgumentException e) {
            throw notAnObject(path, records, e);
        }
        // other JSON (null, a number, a list) is no record either: a line "null" threw NullPointerException here
        if (!(value instanceof Map<?, ?> object)) {
            throw notAnObject(path, records, null);
        }
        Object t = object.get("t");
        // compared as a double: a t of 1.5 is no record of iteration 1 (its long value was)
        if (!(t instanceof Number n) || n.doubleValue() != records) {
            throw new IOException("cannot continue the log " + path + ": record " + (records + 1) + " is of "
                    + "iteration " + t + ", expected " + records);
        }
    }

    private static IOException notAnObject(Path path, long records, IllegalArgumentException cause) {
        return new IOException("cannot continue the log " + path + ": record " + (records + 1) + " is not a JSON "
                + "object", cause);
    }

    private JsonLinesLog(BufferedWriter out, boolean flushEach) {
        this.out = out;
        this.flushEach = flushEach;
    }

    @Override
    public void onIteration(IterationRecord record) {
        write(record.toMap());
    }

    @Override
    public void onIteration(NetworkRecord record) {
        write(record.toMap());
    }

    private void write(Map<String, Object> fields) {
        // the text is built outside the lock, so that parallel runs sharing the log wait only for the write itself
        write(Json.object(fields) + '\n');
    }

    private synchronized void write(String line) {
        try {
            out.write(line);
            long now = System.nanoTime();
            if (flushEach || now - lastFlush >= FLUSH_SECONDS * 1_000_000_000L) {
                out.flush();
                lastFlush = now;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the iteration log: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void flush() throws IOException {
        out.flush();
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }
}
