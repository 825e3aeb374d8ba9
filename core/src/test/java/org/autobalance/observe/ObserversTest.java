package org.autobalance.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
        return new IterationRecord(t, 0.5, 1.0 / (t + 1), t % 2 == 0, 0.375, 0.25, 2.0, 3.0, Double.NaN, 0.125 * t);
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
                "{\"t\":1,\"eta\":0.5,\"loss\":0.5,\"loss_exact\":false,\"relative_error\":0.375,\"balance\":0.25,\"norm_u\":2.0,"
                        + "\"norm_v\":3.0,\"grad_norm\":null,\"seconds\":0.125}"), Files.readAllLines(file));
    }

    @Test
    void aFailedWriteIsReported() throws IOException {
        JsonLinesLog log = new JsonLinesLog(dir.resolve("closed.jsonl"));
        log.close();
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> log.onIteration(record(0)));
        assertEquals("cannot write the iteration log", e.getMessage());
    }
}
