package org.autobalance.solve.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.autobalance.io.internal.AtomicFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint is written whatever interrupts its thread: an interrupt that arrives while it is written (another
 * thread's {@code Thread.interrupt()}, here the write's own, at the same point) closes the channel under it, and the
 * write is tried again; one that keeps arriving ends in the write's failure, named, after a bounded number of tries.
 */
class CheckpointSaveTest {
    @TempDir
    Path dir;

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted();
    }

    private void interruptedWrite(Path file, byte[] bytes, boolean interrupt) throws IOException {
        AtomicFile.replace(file, channel -> {
            if (interrupt) {
                Thread.currentThread().interrupt();
            }
            channel.write(ByteBuffer.wrap(bytes));
        });
    }

    private List<String> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aWriteAnInterruptBrokeIsTriedAgainAndTheStatusStaysSet() throws IOException {
        Path file = dir.resolve("checkpoint");
        AtomicInteger tries = new AtomicInteger();
        CheckpointSave.after(List.of(), 7, dir, () -> interruptedWrite(file, new byte[] {1, 2, 3},
                tries.incrementAndGet() == 1));
        assertTrue(Thread.interrupted(), "the interrupt is kept for the run to stop at");
        assertEquals(2, tries.get());
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(file));
        assertEquals(List.of("checkpoint"), files(), "no temporary file left");
    }

    @Test
    void aThreadInterruptedBeforeTheWriteWritesIt() throws IOException {
        Path file = dir.resolve("checkpoint");
        Thread.currentThread().interrupt();
        CheckpointSave.after(List.of(), 7, dir, () -> interruptedWrite(file, new byte[] {4}, false));
        assertTrue(Thread.interrupted());
        assertArrayEquals(new byte[] {4}, Files.readAllBytes(file));
    }

    @Test
    void interruptsThatKeepArrivingEndInTheNamedFailure() throws IOException {
        Path file = dir.resolve("checkpoint");
        AtomicInteger tries = new AtomicInteger();
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> CheckpointSave.after(List.of(), 7,
                dir, () -> {
                    tries.incrementAndGet();
                    interruptedWrite(file, new byte[] {5}, true);
                }));
        assertTrue(e.getMessage().startsWith("cannot write the checkpoint of iteration 7 to " + dir), e.getMessage());
        assertEquals(3, tries.get());
        assertTrue(Thread.interrupted());
        assertEquals(List.of(), files(), "nothing half-written");
    }
}
