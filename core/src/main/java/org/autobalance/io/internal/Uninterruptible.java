package org.autobalance.io.internal;

import java.io.IOException;
import java.util.function.Supplier;

/**
 * File work that an interrupt of the calling thread must not break. An interrupt closes the {@code FileChannel} a
 * thread is using ({@code ClosedByInterruptException}, which {@link AtomicFile} reports as its target's failure), and
 * on a thread already interrupted the channel's open itself fails; but the solvers' contract for an interrupt is to
 * stop after the current iteration and return what it reached, so the lock a run takes before it starts and the
 * checkpoint of that iteration must still be written. Found by a library user's interrupt: a solver with a
 * checkpoint directory threw "cannot write DIR/.lock (ClosedByInterruptException)" when interrupted before
 * {@code run()}, and "cannot write the checkpoint of iteration 4 … (ClosedByInterruptException)" — its factors freed
 * — when interrupted during an iteration at which a checkpoint was due.
 *
 * <p>Not exported by the module: public for the project's own modules on the class path.
 */
public final class Uninterruptible {
    /** Tries of work that interrupts keep breaking, before the failure is reported. */
    private static final int ATTEMPTS = 3;

    /** Work on files. */
    @FunctionalInterface
    public interface Work<T> {
        T run() throws IOException;
    }

    private Uninterruptible() {
    }

    /**
     * Runs {@code work}, which reports its own failures, with the interrupt status cleared, and sets it again
     * afterwards if it was set before.
     */
    public static <T> T cleared(Supplier<T> work) {
        boolean interrupted = Thread.interrupted();
        try {
            return work.get();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Runs {@code work} with the interrupt status cleared, and sets it again afterwards if it was set before or
     * meanwhile. Work that fails while an interrupt arrived (its channel closed under it) is run again, up to
     * {@value #ATTEMPTS} times in all: it must be safe to repeat (an {@link AtomicFile} write is: each try has its own
     * temporary file, removed on failure).
     */
    public static <T> T run(Work<T> work) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            for (int attempt = 1; ; attempt++) {
                try {
                    return work.run();
                } catch (IOException e) {
                    // ClosedByInterruptException sets the status; AtomicFile may have wrapped it
                    if (!Thread.interrupted() || attempt == ATTEMPTS) {
                        throw e;
                    }
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
