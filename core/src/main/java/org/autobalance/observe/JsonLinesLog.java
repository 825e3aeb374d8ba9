package org.autobalance.observe;

import java.io.BufferedWriter;
import java.io.Flushable;
import java.io.IOException;
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
        long keep = 0;
        long records = 0;
        byte[] bytes = Files.readAllBytes(Objects.requireNonNull(path, "log path must not be null"));
        int lineStart = 0;
        while (records < next) {
            int end = lineStart;
            while (end < bytes.length && bytes[end] != '\n') {
                end++;
            }
            if (end == bytes.length) {
                throw new IOException("cannot continue the log " + path + " at iteration " + next + ": it holds only "
                        + records + " complete records");
            }
            Object t;
            try {
                t = ((Map<?, ?>) Json.parse(new String(bytes, lineStart, end - lineStart, StandardCharsets.UTF_8)))
                        .get("t");
            } catch (IllegalArgumentException | ClassCastException e) {
                throw new IOException("cannot continue the log " + path + ": record " + (records + 1) + " is not a "
                        + "JSON object", e);
            }
            if (!(t instanceof Number n) || n.longValue() != records) {
                throw new IOException("cannot continue the log " + path + ": record " + (records + 1) + " is of "
                        + "iteration " + t + ", expected " + records);
            }
            records++;
            lineStart = end + 1;
            keep = lineStart;
        }
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
            channel.truncate(keep);
        }
        return new JsonLinesLog(Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.APPEND),
                false);
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
