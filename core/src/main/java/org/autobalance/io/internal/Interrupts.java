package org.autobalance.io.internal;

import java.io.InterruptedIOException;

/**
 * What a reader or writer of matrix files does when the calling thread is interrupted ({@link Thread#interrupt()},
 * set before the call or during it): it stops at its next check and throws {@link InterruptedIOException}
 * {@code "<file>: reading was interrupted …"} (or writing), with no matrix left allocated and no file changed, and the
 * thread's interrupt status stays set — the solvers' rule (stop, keep the status) for work that has nothing partial to
 * return. Found by a library user: the readers that map their file failed with a bare
 * {@code ClosedByInterruptException} (no message, no file; an interrupt closes the {@code FileChannel} in use), the
 * writers with {@code FileSystemException: FILE: ClosedByInterruptException}, and the streaming readers read on.
 * Work that must not be interrupted (a solver's checkpoint) runs under {@link Uninterruptible}.
 *
 * <p>Not exported by the module: public for the project's own modules on the class path.
 */
public final class Interrupts {
    private Interrupts() {
    }

    /** Throws {@link #reading}{@code (source)} if the calling thread's interrupt status is set. */
    public static void checkReading(String source) throws InterruptedIOException {
        if (Thread.currentThread().isInterrupted()) {
            throw reading(source, null);
        }
    }

    /**
     * The failure of a read of {@code source} that an interrupt stopped; {@code cause} (may be null) is how it showed,
     * a channel closed by it.
     */
    public static InterruptedIOException reading(String source, Throwable cause) {
        return withCause(new InterruptedIOException(source + ": reading was interrupted (Thread.interrupt(); the "
                + "thread's interrupt status stays set)"), cause);
    }

    /** As {@link #reading}, for a write of {@code target}, which is left unchanged. */
    public static InterruptedIOException writing(String target, Throwable cause) {
        return withCause(new InterruptedIOException(target + ": writing was interrupted, the file is unchanged "
                + "(Thread.interrupt(); the thread's interrupt status stays set)"), cause);
    }

    private static InterruptedIOException withCause(InterruptedIOException e, Throwable cause) {
        if (cause != null) {
            e.initCause(cause);
        }
        return e;
    }
}
