package org.autobalance.solve;

/**
 * Asks a run to stop early and keep its factors: give the token to {@link Factorizer.Builder#cancelToken}, then call
 * {@link #cancel()} from any thread — another thread of the application, or a listener of the run itself. The run
 * ends at its next check (between iterations, or between the steps of its set-up) and returns its {@link Result}
 * with {@link StopReason#CANCELLED}. A token, once cancelled, stays cancelled: runs built with it later end at once.
 */
public final class CancelToken {
    private volatile boolean cancelled;

    /** A token not yet cancelled. */
    public CancelToken() {
    }

    /** Asks every run holding this token to stop; idempotent. */
    public void cancel() {
        cancelled = true;
    }

    /** Whether {@link #cancel()} has been called. */
    public boolean isCancelled() {
        return cancelled;
    }
}
