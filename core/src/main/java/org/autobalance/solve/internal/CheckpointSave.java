package org.autobalance.solve.internal;

import java.io.Flushable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.autobalance.io.internal.FileChecks;
import org.autobalance.io.internal.Uninterruptible;

/**
 * Writing a solver's checkpoint, shared by the solvers of the project ({@code Factorizer}, {@code NetworkTrainer}
 * and the Spark module's driver). Not exported by the module (it was public in {@code org.autobalance.solve}, a part
 * of the library's API that no user calls): public for the project's own modules on the class path.
 */
public final class CheckpointSave {
    /** What writes a checkpoint's file. */
    @FunctionalInterface
    public interface Write {
        void write() throws IOException;
    }

    private CheckpointSave() {
    }

    /**
     * Flushes the listeners that are {@link Flushable} (the JSON-lines log), so that what they wrote up to the
     * checkpoint is on disk with it, then writes the checkpoint of the state after {@code iteration} iterations into
     * {@code dir}. Either failing is an {@link UncheckedIOException} saying which, where and why (a full disk): a log
     * that could not be flushed is not reported as a checkpoint. An interrupt of the thread does not stop the write
     * (see {@link Uninterruptible}): the run it ends returns normally, its last checkpoint written.
     */
    public static void after(Iterable<?> listeners, long iteration, Path dir, Write write) {
        for (Object listener : listeners) {
            if (listener instanceof Flushable f) {
                try {
                    f.flush();
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot flush the listener " + listener.getClass().getSimpleName()
                            + " before the checkpoint of iteration " + iteration + " (" + FileChecks.reason(e) + ")",
                            e);
                }
            }
        }
        try {
            Uninterruptible.run(() -> {
                write.write();
                return null;
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the checkpoint of iteration " + iteration + " to " + dir
                    + " (" + FileChecks.reason(e) + ")", e);
        }
    }
}
