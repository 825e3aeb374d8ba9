package org.autobalance.solve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.Flushable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.autobalance.memory.DType;
import org.autobalance.memory.DenseMatrix;
import org.autobalance.observe.IterationListener;
import org.autobalance.observe.IterationRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a checkpointing run says when a write before or of its checkpoint fails: the log flushed first (on a full disk)
 * used to be reported as the checkpoint that could not be written, with the exception's class name.
 */
class CheckpointFailureTest {
    @TempDir
    Path dir;

    /** A log whose disk is full: records are accepted, the flush fails. */
    static final class FullDiskLog implements IterationListener, Flushable {
        @Override
        public void onIteration(IterationRecord record) {
        }

        @Override
        public void flush() throws IOException {
            throw new IOException("No space left on device");
        }
    }

    @Test
    void aListenerThatCannotBeFlushedIsNotTakenForTheCheckpoint() {
        Path ck = dir.resolve("ck");
        try (DenseMatrix m = DenseMatrix.of(DType.FLOAT64, new double[][] {{1, 2}, {3, 4}, {5, 6}})) {
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> Factorizer.builder(m, 1)
                    .maxIterations(10).tolerance(0).threads(1).checkpoint(ck, 2, null).listener(new FullDiskLog())
                    .build().run().close());
            assertEquals("cannot flush the listener FullDiskLog before the checkpoint of iteration 2 (No space left on "
                    + "device)", e.getMessage());
            assertFalse(Files.exists(ck.resolve(Checkpoint.FILE)));
        }
    }
}
