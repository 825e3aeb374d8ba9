package org.autobalance.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The in-memory {@link Trajectory} and the file {@link JsonLinesLog}. */
class ObserversTest {
    @TempDir
    Path dir;

    private static IterationRecord record(long t) {
        return IterationRecord.builder().iteration(t).eta(0.5).loss(1.0 / (t + 1), t % 2 == 0).relativeError(0.375)
                .balance(0.25).norms(2.0, 3.0).gradientNorm(Double.NaN).seconds(0.125 * t).build();
    }

    @Test
    void recordsAreImmutableCopiesOfTheirBuilderWithUnsetFieldsNaN() {
        IterationRecord.Builder b = IterationRecord.builder().iteration(4).eta(0.5);
        IterationRecord first = b.build();
        IterationRecord second = b.iteration(5).build();
        assertEquals(4, first.iteration(), "building again does not change an earlier record");
        assertEquals(5, second.iteration());
        assertTrue(Double.isNaN(first.loss()) && Double.isNaN(first.relativeError()) && !first.lossExact());
        assertEquals(record(3), record(3));
        assertEquals(record(3).hashCode(), record(3).hashCode());
        assertTrue(!record(3).equals(record(4)));
        assertEquals(java.util.List.of("t", "eta", "loss", "loss_exact", "relative_error", "balance", "norm_u",
                "norm_v", "grad_norm", "seconds"), java.util.List.copyOf(record(1).toMap().keySet()));
    }

    @Test
    void trajectoryKeepsEveryKthRecordFromZero() {
        Trajectory every3 = new Trajectory(3);
        Trajectory all = new Trajectory();
        for (long t = 0; t <= 10; t++) {
            every3.onIteration(record(t));
            all.onIteration(record(t));
        }
        assertEquals(List.of(0L, 3L, 6L, 9L), every3.records().stream().map(IterationRecord::iteration).toList());
        assertEquals(11, all.records().size());
        assertThrows(UnsupportedOperationException.class, () -> all.records().clear());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Trajectory(0));
        assertEquals("sampling interval must be at least 1, got 0", e.getMessage());
    }

    @Test
    void jsonLinesLogWritesOneObjectPerRecordAndTruncates() throws IOException {
        Path file = dir.resolve("log.jsonl");
        Files.writeString(file, "old content that must go\n");
        try (JsonLinesLog log = new JsonLinesLog(file)) {
            log.onIteration(record(0));
            log.onIteration(record(1));
        }
        assertEquals(List.of(
                "{\"t\":0,\"eta\":0.5,\"loss\":1.0,\"loss_exact\":true,\"relative_error\":0.375,\"balance\":0.25,"
                        + "\"norm_u\":2.0,\"norm_v\":3.0,\"grad_norm\":null,\"seconds\":0.0}",
                "{\"t\":1,\"eta\":0.5,\"loss\":0.5,\"loss_exact\":false,\"relative_error\":0.375,\"balance\":0.25,"
                        + "\"norm_u\":2.0,\"norm_v\":3.0,\"grad_norm\":null,\"seconds\":0.125}"),
                Files.readAllLines(file));
    }

    /** A log on a stream (a terminal, a pipe) hands each record on whole as it is written, not 8 KiB at a time. */
    @Test
    void aStreamLogFlushesEachRecord() throws IOException {
        java.io.StringWriter stream = new java.io.StringWriter();
        try (JsonLinesLog log = new JsonLinesLog(stream)) {
            log.onIteration(record(0));
            assertEquals(1, stream.toString().lines().count(), stream.toString());
            assertTrue(stream.toString().startsWith("{\"t\":0,") && stream.toString().endsWith("}\n"));
            log.onIteration(record(1));
            assertEquals(2, stream.toString().lines().count(), stream.toString());
        }
    }

    /**
     * A file log of a slow run reaches the disk while the run goes ({@code tail -f}), not 8 KiB at a time: a record
     * that comes {@link JsonLinesLog#FLUSH_SECONDS} after the last flush is flushed with what came before it (before,
     * the file stayed empty until the buffer filled or the run ended).
     */
    @Test
    void aFileLogOfASlowRunIsFlushedAsItGoes() throws IOException, InterruptedException {
        Path file = dir.resolve("slow.jsonl");
        try (JsonLinesLog log = new JsonLinesLog(file)) {
            log.onIteration(record(0));
            Thread.sleep(JsonLinesLog.FLUSH_SECONDS * 1000 + 100);
            log.onIteration(record(1));
            assertEquals(2, Files.readAllLines(file).size());
        }
    }

    @Test
    void aFailedWriteIsReported() throws IOException {
        JsonLinesLog log = new JsonLinesLog(dir.resolve("closed.jsonl"));
        log.close();
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> log.onIteration(record(0)));
        assertEquals("cannot write the iteration log: Stream closed", e.getMessage());
    }

    /**
     * One {@code Trajectory} and one {@code JsonLinesLog} given to runs in parallel (fifteenth session, a new user's
     * trial: two factorizations sharing them kept 4097 of 4098 records, and 6–18 of the log's lines held parts of two
     * records). Four threads append 20 000 records each, as four runs' solver threads would.
     */
    @Test
    void aTrajectoryAndALogSharedByRunsInParallelKeepEveryRecordWhole() throws Exception {
        int threads = 4;
        int each = 20_000;
        Trajectory shared = new Trajectory();
        java.io.StringWriter text = new java.io.StringWriter();
        JsonLinesLog log = new JsonLinesLog(text);
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        List<Thread> runs = new java.util.ArrayList<>();
        for (int k = 0; k < threads; k++) {
            Thread run = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                for (long t = 0; t < each; t++) {
                    IterationRecord r = IterationRecord.builder().iteration(t).loss(t, true).build();
                    shared.onIteration(r);
                    log.onIteration(r);
                }
            });
            run.start();
            runs.add(run);
        }
        start.countDown();
        for (Thread run : runs) {
            run.join();
        }
        log.close();
        assertEquals(threads * each, shared.records().size(), "records kept");
        List<String> lines = text.toString().lines().toList();
        assertEquals(threads * each, lines.size(), "log lines");
        for (String line : lines) {
            assertTrue(line.startsWith("{\"t\":") && line.endsWith("}") && line.indexOf('{', 1) < 0,
                    "a line of two records: " + line);
        }
    }
}
